use super::*;

#[test]
fn interns_and_counts() {
    let t = text_feature(&["Smith", "SMITH", "", "Jones"], match_key);
    assert_eq!(t.codes[0], t.codes[1]);
    assert_eq!(t.codes[2], 0);
    assert_ne!(t.codes[3], t.codes[0]);
    assert!((t.frequency[t.codes[0] as usize] - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn warnings_name_the_field_and_keep_the_row() {
    let mut t = RecordTable {
        path: "w.csv".into(),
        headers: vec![
            "given_name".into(),
            "dob".into(),
            "age".into(),
            "sex".into(),
        ],
        ..Default::default()
    };
    t.columns = vec![StrColumn::default(); 4];
    for (i, row) in [
        ["Anna", "1980-02-30", "", "F"],
        ["", "soon", "200", "Q"],
        ["Ivan", "1980-02-03", "44", "m"],
    ]
    .iter()
    .enumerate()
    {
        t.sources.push("w");
        t.ids.push(&i.to_string());
        t.lines.push(i as u64 + 2);
        for (c, v) in row.iter().enumerate() {
            t.columns[c].push(v);
        }
    }
    let (s, _) = crate::settings::infer(&[&t.headers]).unwrap();
    let w = field_warnings([&t], &s);
    let got: Vec<(u64, &str, &str)> = w
        .iter()
        .map(|r| (r.line, r.field.as_deref().unwrap(), r.raw.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "dob", "1980-02-30"),
            (3, "dob", "soon"),
            (3, "age", "200"),
            (3, "sex", "Q"),
            (3, "given_name", "")
        ]
    );
    assert!(
        w.iter()
            .all(|r| r.severity == crate::error::Severity::Warning)
    );
}

#[test]
fn sex_codes() {
    // English, French, German, Russian, Ukrainian, Hebrew, Arabic, as lists write them.
    for m in [
        "Male",
        "M",
        "m.",
        "homme",
        "Mann",
        "м",
        "М.",
        "муж",
        "мужской",
        "чол",
        "זכר",
        "ז",
        "ذكر",
        "ذ",
    ] {
        assert_eq!(sex_key(m), "m", "{m}");
    }
    for f in [
        "Female",
        "F",
        "W",
        "femme",
        "Frau",
        "ж",
        "Ж.",
        "жен",
        "женский",
        "жін",
        "נקבה",
        "נ",
        "أنثى",
        "انثى",
        "ا",
    ] {
        assert_eq!(sex_key(f), "f", "{f}");
    }
    assert_eq!(sex_key("Q"), "q");
}
