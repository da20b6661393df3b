use super::*;

fn read(text: &str, name: &str) -> ReadResult {
    read_bytes(
        text.as_bytes(),
        Path::new(name),
        &ReadOptions {
            id_columns: vec!["id".into()],
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn reads_csv_and_accounts_for_every_row() {
    let r = read(
        "\u{feff}id,given_name,surname\n1,Anna,Ivanova\n2,\"Smith, J\",x\n3,too,many,fields\n,no,id\n1,dup,licate\n,,\n4, Pavel ,Orlov\n",
        "people.csv",
    );
    assert_eq!(r.table.len(), 3);
    assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["1", "2", "4"]);
    assert_eq!(r.table.column("given_name").unwrap().get(2), "Pavel");
    assert_eq!(r.table.sources.get(0), "people");
    let reasons: Vec<(u64, &str)> = r
        .rejects
        .iter()
        .map(|x| (x.line, x.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (4, "the row has 4 fields, the header has 3"),
            (5, "the record has no id"),
            (6, "duplicate id `1` in source `people` (first at line 2)"),
            (7, "the row is empty"),
        ]
    );
    assert_eq!(r.summary.rows_read, 7);
    assert_eq!(
        r.summary.rows_read,
        r.summary.rows_accepted + r.summary.rows_rejected
    );
}

#[test]
fn detects_semicolons_and_tabs() {
    let r = read("id;surname\n1;Müller\n", "a.csv");
    assert_eq!(r.table.column("surname").unwrap().get(0), "Müller");
    let r = read("id\tsurname\n1\tO'Neil\n", "a.tsv");
    assert_eq!(r.table.column("surname").unwrap().get(0), "O'Neil");
}

#[test]
fn reads_json_lines() {
    let r = read(
        "{\"id\": 7, \"surname\": \"Коваль\"}\n\n{\"id\": \"8\", \"given_name\": null}\n",
        "x.jsonl",
    );
    assert_eq!(r.table.headers, vec!["id", "surname", "given_name"]);
    assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["7", "8"]);
    assert_eq!(r.table.lines, vec![1, 3]);
}

#[test]
fn header_problems_are_errors_with_the_file() {
    let e = read_bytes(b"id,id\n1,2\n", Path::new("h.csv"), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(e, "h.csv:1: column `id` appears twice in the header");
    // Bytes that read as no script's words: the run stops and names the likely encodings.
    let e = read_bytes(
        b"id,x\n\xb0\xb1\xb0\xb1\xb0,1\n",
        Path::new("b.csv"),
        &ReadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("b.csv: the file is not UTF-8") && e.contains("pass --encoding"),
        "{e}"
    );
    let forced = ReadOptions {
        encoding: Some("utf-8".into()),
        ..Default::default()
    };
    let e = read_bytes(b"id,x\n\xff\xfe,1\n", Path::new("c.csv"), &forced)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("c.csv:2: the file is not valid UTF-8"), "{e}");
    let e = read_bytes(
        b"id\n1\n",
        Path::new("d.csv"),
        &ReadOptions {
            encoding: Some("klingon".into()),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown encoding `klingon`"), "{e}");
    assert!(Format::of(Path::new("a.xlsx")).is_err());
}

/// Lists typed in each legacy encoding come through byte-exact, with the encoding detected.
#[test]
fn legacy_encodings_are_detected_and_decoded() {
    let cases: [(&str, &str); 7] = [
        (
            "windows-1251",
            "Евгений Семёнович Шуляпов;Анна Ивановна Петрова;Сергей Кузнецов",
        ),
        (
            "KOI8-R",
            "Евгений Семёнович Шуляпов;Анна Ивановна Петрова;Сергей Кузнецов",
        ),
        ("windows-1255", "יבגני שוליאפוב;אנה פטרובה;סרגיי קוזנצוב"),
        ("ISO-8859-8", "יבגני שוליאפוב;אנה פטרובה;סרגיי קוזנצוב"),
        ("windows-1256", "محمد عبد الله;يوسف حداد;أحمد الهاشمي"),
        ("ISO-8859-6", "محمد عبد الله;يوسف حداد;أحمد الهاشمي"),
        ("windows-1252", "José Müller;François Çelik;Zoë Ångström"),
    ];
    for (label, names) in cases {
        let names: Vec<&str> = names.split(';').collect();
        let mut text = String::from("id,full_name\n");
        for (i, n) in names.iter().enumerate() {
            text.push_str(&format!("{},{n}\n", i + 1));
        }
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let (bytes, _, unmappable) = encoding.encode(&text);
        assert!(!unmappable, "{label} cannot hold the test names");
        let detected = read_bytes(&bytes, Path::new("list.csv"), &ReadOptions::default());
        let forced = read_bytes(
            &bytes,
            Path::new("list.csv"),
            &ReadOptions {
                encoding: Some(label.into()),
                ..Default::default()
            },
        )
        .unwrap();
        let got: Vec<&str> = forced.table.column("full_name").unwrap().iter().collect();
        assert_eq!(got, names, "{label} forced");
        // Detected without help, to the same text. (KOI8-R may be reported as KOI8-U and
        // windows-1255 as ISO-8859-8: supersets that give these names the same letters.)
        let r = detected.unwrap_or_else(|e| panic!("{label} not detected: {e}"));
        let got: Vec<&str> = r.table.column("full_name").unwrap().iter().collect();
        assert_eq!(got, names, "{label} detected as {}", r.summary.encoding);
    }
    // UTF-16 with a byte-order mark, as Excel saves "Unicode text".
    let text = "id\tfull_name\n1\tЕвгений Шуляпов\n2\tיבגני שוליאפוב\n";
    for (bom, encode) in [
        (
            vec![0xFF, 0xFE],
            (|c: u16| c.to_le_bytes()) as fn(u16) -> [u8; 2],
        ),
        (vec![0xFE, 0xFF], |c: u16| c.to_be_bytes()),
    ] {
        let mut bytes = bom;
        bytes.extend(text.encode_utf16().flat_map(encode));
        let r = read_bytes(&bytes, Path::new("excel.txt"), &ReadOptions::default()).unwrap();
        assert_eq!(
            r.table.column("full_name").unwrap().get(1),
            "יבגני שוליאפוב"
        );
        assert!(
            r.summary.encoding.starts_with("UTF-16"),
            "{}",
            r.summary.encoding
        );
    }
}

#[test]
fn visual_order_hebrew_is_flagged() {
    let logical = "id,name\n1,משה כהן\n2,אברהם לוין\n3,מרים גולדמן\n4,יוסף אלון\n";
    let visual: String = logical
        .lines()
        .map(|l| l.chars().rev().collect::<String>() + "\n")
        .collect();
    assert!(!hebrew_visual_order(logical));
    assert!(hebrew_visual_order(&visual));
    let r = read_bytes(
        visual.as_bytes(),
        Path::new("v.csv"),
        &ReadOptions::default(),
    );
    // Reversed lines also reverse the header: the file may not even read; when it does, it
    // carries the note.
    if let Ok(r) = r {
        assert!(r.summary.notes[0].contains("visual order"));
    }
    let mixed = format!(
        "id,name\n{}",
        visual
            .lines()
            .skip(1)
            .map(|l| format!("{},{}\n", l.len(), l.replace(',', " ")))
            .collect::<String>()
    );
    let r = read_bytes(
        mixed.as_bytes(),
        Path::new("v.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(
        r.summary.notes[0].contains("visual order"),
        "{:?}",
        r.summary.notes
    );
}

#[test]
fn source_column_and_row_number_ids() {
    let r = read_bytes(
        b"source,name\nhospital,A\npolice,B\n,C\n",
        Path::new("lists.csv"),
        &ReadOptions {
            source_columns: vec!["source".into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        r.table.sources.iter().collect::<Vec<_>>(),
        vec!["hospital", "police", "lists"]
    );
    assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["1", "2", "3"]);
}

#[test]
fn ids_repeat_across_sources_not_within_one_at_any_length() {
    // Past the rows that size the columns: ids 0..1500 in two sources, then each id of
    // the first source again (rejected), with values of growing length.
    let mut text = String::from("source,id,name\n");
    for (source, id) in (0..1500)
        .map(|i| ("a", i))
        .chain((0..1500).map(|i| ("b", i)))
    {
        text += &format!("{source},{id},{}\n", "x".repeat(id % 40));
    }
    for id in 0..1500 {
        text += &format!("a,{id},again\n");
    }
    let r = read_bytes(
        text.as_bytes(),
        Path::new("lists.csv"),
        &ReadOptions {
            id_columns: vec!["id".into()],
            source_columns: vec!["source".into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.table.len(), 3000);
    assert_eq!(r.rejects.len(), 1500);
    assert_eq!(
        r.rejects[7].reason,
        "duplicate id `7` in source `a` (first at line 9)"
    );
    assert_eq!(
        r.table.column("name").unwrap().get(2999),
        "x".repeat(1499 % 40)
    );
    assert_eq!(r.table.sources.get(1500), "b");
}
