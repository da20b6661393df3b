//! A corpus of malformed, mislabelled, mis-encoded and oversized inputs, made by this file's
//! generator (`corpus()`), run through every command that reads a list (dedupe, dedupe
//! --strict, link, find, blocking, estimate --patterns, evaluate --truth): for each case, the exit code is one the
//! README names, every row read is accepted or rejected (and, where the case knows how many
//! rows it holds, all are read), no input value reaches stderr, nothing panics or hangs past
//! 10 s, and the output folder is either complete from this run or untouched.
//!
//! Every value in the corpus carries the marker `QZX`, so that a value on stderr is found
//! whatever the case. Column names do not (messages may name columns).

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

const MARK: &str = "QZX";

/// What a case is: a list to read, or a settings or model file for a good list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    List,
    Settings,
    Model,
}

struct Case {
    name: String,
    kind: Kind,
    /// File name (its extension picks the reader) and bytes.
    file: (String, Vec<u8>),
    /// Data rows the file holds, when the case knows: all of them must be read.
    rows: Option<u64>,
    /// The exit code the case must give without --strict, when it is known.
    code: Option<i32>,
}

fn case(name: &str, file: &str, bytes: impl Into<Vec<u8>>, rows: Option<u64>) -> Case {
    Case {
        name: name.into(),
        kind: Kind::List,
        file: (file.into(), bytes.into()),
        rows,
        code: None,
    }
}

fn expect(mut c: Case, code: i32) -> Case {
    c.code = Some(code);
    c
}

/// A good list: every value marked.
fn good_rows(n: usize, id_prefix: &str) -> String {
    let given = [
        "Anna", "Pavel", "Olga", "Yosef", "Maria", "Ivan", "Elena", "Boris",
    ];
    let family = [
        "Ivanova", "Orlov", "Smirnova", "Cohen", "Petrova", "Petrov", "Volkova",
    ];
    let mut s = String::new();
    for i in 0..n {
        s += &format!(
            "{id_prefix}{i}{MARK},{}{MARK},{}{MARK},19{:02}-0{}-1{}\n",
            given[i % given.len()],
            family[(i * 3) % family.len()],
            50 + i % 40,
            1 + i % 9,
            i % 10
        );
    }
    s
}

const HEADER: &str = "id,given_name,surname,date_of_birth\n";

fn good_list(n: usize, id_prefix: &str) -> String {
    format!("{HEADER}{}", good_rows(n, id_prefix))
}

fn encode(label: &str, text: &str) -> Vec<u8> {
    let e = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let (bytes, _, unmappable) = e.encode(text);
    assert!(!unmappable, "{label}");
    bytes.into_owned()
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if little { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
    }
    for u in text.encode_utf16() {
        out.extend(if little {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        });
    }
    out
}

/// The corpus: lists first, then settings and model files.
fn corpus() -> Vec<Case> {
    let mut c = Vec::new();
    let g = good_list(8, "r");

    // Quoting.
    let mut unclosed = String::from("id,full_name\n");
    for i in 1..=100 {
        let q = if i == 49 { "\"" } else { "" };
        unclosed += &format!("R{i}{MARK},{q}N{i}{MARK} F{i}{MARK}\n");
    }
    c.push(case(
        "unclosed quote at line 50 (issue's reproduction)",
        "q.csv",
        unclosed.clone(),
        Some(100),
    ));
    for at in [1usize, 2, 4, 7] {
        let mut t = String::from(HEADER);
        for (i, line) in good_rows(8, "u").lines().enumerate() {
            let fields: Vec<&str> = line.split(',').collect();
            let mut fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            if i == at {
                let col = i % 4;
                fields[col] = format!("\"{}", fields[col]);
            }
            t += &fields.join(",");
            t.push('\n');
        }
        c.push(case(
            &format!("unclosed quote in row {at}"),
            "uq.csv",
            t,
            Some(8),
        ));
    }
    let mut closed_later = String::from(HEADER);
    for (i, line) in good_rows(8, "c").lines().enumerate() {
        closed_later += &match i {
            2 => line.replacen(',', ",\"", 1),
            5 => line.replacen(',', "\",", 1),
            _ => line.to_string(),
        };
        closed_later.push('\n');
    }
    c.push(case(
        "a quote closed three rows later",
        "cl.csv",
        closed_later,
        Some(8),
    ));
    c.push(case(
        "doubled quotes and delimiters inside quotes",
        "dq.csv",
        format!("{HEADER}a1{MARK},\"An, na{MARK}\",\"say \"\"x{MARK}\"\"\",1980-01-01\na2{MARK},B{MARK},C{MARK},1981-01-01\n"),
        Some(2),
    ));
    c.push(case(
        "a true multi-line field",
        "ml.csv",
        format!("{HEADER}a1{MARK},\"Anna{MARK}\nMaria{MARK}\",Ivanova{MARK},1980-01-01\na2{MARK},B{MARK},C{MARK},1981-01-01\n"),
        Some(2),
    ));
    c.push(case(
        "a quote inside an unquoted field",
        "qi.csv",
        format!("{HEADER}a1{MARK},O\"Neil{MARK},x{MARK},1980-01-01\n"),
        Some(1),
    ));
    c.push(case(
        "unclosed quote in the header",
        "qh.csv",
        format!(
            "id,\"given_name,surname,date_of_birth\n{}",
            good_rows(3, "h")
        ),
        None,
    ));
    c.push(case(
        "unclosed quote in the last row",
        "ql.csv",
        format!("{g}z{MARK},\"Zed{MARK},Zz{MARK},1990-01-01\n"),
        Some(9),
    ));
    c.push(case(
        "unclosed quote with CRLF",
        "qc.csv",
        unclosed.replace('\n', "\r\n"),
        Some(100),
    ));
    c.push(case(
        "unclosed quote, semicolons",
        "qs.csv",
        unclosed.replace(',', ";"),
        Some(100),
    ));
    c.push(case(
        "a lone quote as a field",
        "lq.csv",
        format!("{HEADER}a1{MARK},\",x{MARK},1980-01-01\na2{MARK},B{MARK},C{MARK},1981-01-01\n"),
        Some(2),
    ));
    c.push(case(
        "quotes around every field",
        "qa.csv",
        g.lines()
            .map(|l| {
                l.split(',')
                    .map(|f| format!("\"{f}\""))
                    .collect::<Vec<_>>()
                    .join(",")
                    + "\n"
            })
            .collect::<String>(),
        Some(8),
    ));
    c.push(case(
        "text after a closing quote",
        "ta.csv",
        format!("{HEADER}a1{MARK},\"Anna\"{MARK},x{MARK},1980-01-01\n"),
        Some(1),
    ));

    // Line endings.
    c.push(case("CRLF", "crlf.csv", g.replace('\n', "\r\n"), Some(8)));
    c.push(case("CR only", "cr.csv", g.replace('\n', "\r"), Some(8)));
    c.push(case(
        "CRLF with a ragged row",
        "crlfr.csv",
        format!("{g}x{MARK},y{MARK}\n").replace('\n', "\r\n"),
        Some(9),
    ));
    c.push(case(
        "CR with a ragged row",
        "crr.csv",
        format!("{g}x{MARK},y{MARK}\n").replace('\n', "\r"),
        Some(9),
    ));
    c.push(case(
        "mixed line breaks",
        "mix.csv",
        {
            let mut t = String::new();
            for (i, l) in g.lines().enumerate() {
                t += l;
                t += ["\n", "\r\n", "\r"][i % 3];
            }
            t
        },
        Some(8),
    ));
    c.push(case(
        "no final line break",
        "nf.csv",
        g.trim_end().to_string(),
        Some(8),
    ));
    c.push(case(
        "blank lines between rows",
        "bl.csv",
        g.replace('\n', "\n\n"),
        Some(8),
    ));
    c.push(case(
        "whitespace-only lines",
        "ws.csv",
        g.replace('\n', "\n   \n"),
        None,
    ));
    c.push(case("header only", "ho.csv", HEADER, Some(0)));
    c.push(case(
        "header only, no line break",
        "hn.csv",
        HEADER.trim_end(),
        Some(0),
    ));
    c.push(case("empty file", "empty.csv", "", None));
    c.push(case("only line breaks", "nl.csv", "\n\n\n", None));
    c.push(case("only a byte-order mark", "bom.csv", "\u{feff}", None));

    // Encodings.
    let cyr = format!("id,full_name\n1{MARK},Евгений Шуляпов{MARK}\n");
    let heb = format!("id,full_name\n1{MARK},יבגני שוליאפוב{MARK}\n");
    let arb = format!("id,full_name\n1{MARK},محمد عبد الله{MARK}\n");
    let lat = format!("id,full_name\n1{MARK},José Müller{MARK}\n");
    c.push(case(
        "one row windows-1251",
        "w1251.csv",
        encode("windows-1251", &cyr),
        None,
    ));
    c.push(case(
        "one row KOI8-R",
        "koi.csv",
        encode("KOI8-R", &cyr),
        None,
    ));
    c.push(case(
        "one row windows-1255",
        "w1255.csv",
        encode("windows-1255", &heb),
        None,
    ));
    c.push(case(
        "one row windows-1256",
        "w1256.csv",
        encode("windows-1256", &arb),
        None,
    ));
    c.push(case(
        "one row windows-1252",
        "w1252.csv",
        encode("windows-1252", &lat),
        None,
    ));
    c.push(case(
        "UTF-8 with a byte-order mark",
        "u8bom.csv",
        format!("\u{feff}{g}"),
        Some(8),
    ));
    c.push(case(
        "UTF-16LE with a byte-order mark",
        "u16le.csv",
        utf16(&g, true, true),
        Some(8),
    ));
    c.push(case(
        "UTF-16BE with a byte-order mark",
        "u16be.csv",
        utf16(&g, false, true),
        Some(8),
    ));
    c.push(expect(
        case(
            "UTF-16LE without a byte-order mark",
            "u16n.csv",
            utf16(&g, true, false),
            None,
        ),
        1,
    ));
    c.push(expect(
        case(
            "UTF-16BE without a byte-order mark",
            "u16nb.csv",
            utf16(&g, false, false),
            None,
        ),
        1,
    ));
    c.push(case(
        "invalid UTF-8 bytes",
        "bad8.csv",
        {
            let mut b = g.clone().into_bytes();
            b.extend(b"x1QZX,\xff\xfe\xfdQZX,y,1980-01-01\n");
            b
        },
        None,
    ));
    c.push(case("NUL bytes in an id", "nulid.csv", format!("{HEADER}a\u{0}1{MARK},Anna{MARK},B{MARK},1980-01-01\na2{MARK},C{MARK},D{MARK},1981-01-01\n"), Some(2)));
    c.push(case(
        "NUL bytes in a name",
        "nulname.csv",
        format!("{HEADER}a1{MARK},An\u{0}na{MARK},B{MARK},1980-01-01\n"),
        Some(1),
    ));
    c.push(case(
        "Latin-1 bytes in a UTF-8 file",
        "l1.csv",
        {
            let mut b = g.clone().into_bytes();
            b.extend(b"x1QZX,Jos\xe9QZX,M\xfcllerQZX,1980-01-01\n");
            b
        },
        None,
    ));
    c.push(case(
        "many rows windows-1251",
        "w1251m.csv",
        encode(
            "windows-1251",
            &format!(
                "id,full_name\n{}",
                (0..40)
                    .map(|i| format!("{i}{MARK},Евгений Семёнович Шуляпов{MARK}\n"))
                    .collect::<String>()
            ),
        ),
        Some(40),
    ));
    c.push(case("right-to-left marks in names", "rlm.csv", format!("id,full_name\n1{MARK},\u{200f}יוסף כהן{MARK}\u{200f}\n2{MARK},\u{202b}Anna{MARK}\u{202c}\n"), Some(2)));

    // Sizes.
    c.push(case(
        "a 200 KB single-token name",
        "long.csv",
        format!(
            "{HEADER}a1{MARK},{}{MARK},B{MARK},1980-01-01\n{}",
            "x".repeat(200_000),
            good_rows(4, "l")
        ),
        Some(5),
    ));
    c.push(case(
        "a 100 KB non-ASCII name",
        "longu.csv",
        format!(
            "{HEADER}a1{MARK},{}{MARK},B{MARK},1980-01-01\n{}",
            "ж".repeat(50_000),
            good_rows(4, "l")
        ),
        Some(5),
    ));
    c.push(case(
        "5,000 rows",
        "big.csv",
        good_list(5000, "b"),
        Some(5000),
    ));
    c.push(case(
        "300 columns",
        "wide.csv",
        {
            let mut h = HEADER.trim_end().to_string();
            for i in 0..296 {
                h += &format!(",extra{i}");
            }
            let mut t = h + "\n";
            for l in good_rows(5, "w").lines() {
                t += l;
                t += &format!(",{MARK}").repeat(296);
                t.push('\n');
            }
            t
        },
        Some(5),
    ));
    c.push(case("one row", "one.csv", good_list(1, "o"), Some(1)));
    c.push(case(
        "duplicate ids",
        "dup.csv",
        format!("{g}{}", good_rows(8, "r")),
        Some(16),
    ));
    c.push(case(
        "every id empty",
        "noid.csv",
        good_rows(6, "n")
            .lines()
            .map(|l| format!(",{}\n", l.split_once(',').unwrap().1))
            .fold(String::from(HEADER), |a, l| a + &l),
        Some(6),
    ));
    c.push(case(
        "a 20,000-character line of delimiters",
        "delims.csv",
        format!("{HEADER}{}\n", ",".repeat(20_000)),
        Some(1),
    ));

    // Structure.
    c.push(case(
        "ragged rows",
        "rag.csv",
        format!("{g}x{MARK},y{MARK}\na{MARK},b{MARK},c{MARK},1980-01-01,extra{MARK}\n"),
        Some(10),
    ));
    c.push(expect(
        case(
            "no header: data first",
            "nohead.csv",
            good_rows(5, "1"),
            None,
        ),
        1,
    ));
    c.push(expect(
        case(
            "duplicate header name",
            "dh.csv",
            format!(
                "id,given_name,given_name,date_of_birth\n{}",
                good_rows(3, "d")
            ),
            None,
        ),
        1,
    ));
    c.push(expect(
        case(
            "an empty header cell",
            "eh.csv",
            format!("id,,surname,date_of_birth\n{}", good_rows(3, "e")),
            None,
        ),
        1,
    ));
    c.push(case(
        "tab-delimited",
        "tab.tsv",
        g.replace(',', "\t"),
        Some(8),
    ));
    c.push(case(
        "semicolon-delimited",
        "semi.csv",
        g.replace(',', ";"),
        Some(8),
    ));
    c.push(case(
        "semicolon-delimited with a ragged row",
        "semir.csv",
        format!("{g}x{MARK},y{MARK}\n").replace(',', ";"),
        Some(9),
    ));
    c.push(case("Russian headers in windows-1251 (Excel)", "ru.csv", encode("windows-1251", &format!("Фамилия;Имя;Отчество;Дата рождения;Пол\nИванова{MARK};Анна{MARK};Ивановна{MARK};03.02.1980;Ж\nОрлов{MARK};Павел{MARK};Петрович{MARK};30.11.1975;М\nСмирнова{MARK};Ольга{MARK};Ивановна{MARK};14.07.1990;Ж\nПетров{MARK};Иван{MARK};Ильич{MARK};09.09.1950;М\nКоваль{MARK};Мария{MARK};Олеговна{MARK};05.05.1985;Ж\nЛевин{MARK};Борис{MARK};Маркович{MARK};01.01.1960;М\nВолкова{MARK};Елена{MARK};Сергеевна{MARK};12.12.1999;Ж\nКузнецов{MARK};Сергей{MARK};Иванович{MARK};04.04.1970;М\nМорозова{MARK};Ирина{MARK};Павловна{MARK};02.02.1982;Ж\nСоколов{MARK};Дмитрий{MARK};Андреевич{MARK};07.07.1977;М\nНовикова{MARK};Татьяна{MARK};Игоревна{MARK};08.08.1988;Ж\nФёдоров{MARK};Алексей{MARK};Петрович{MARK};06.06.1966;М\n")), Some(12)));
    c.push(case("Hebrew headers", "he.csv", format!("מזהה,שם פרטי,שם משפחה,תאריך לידה\n1{MARK},יוסף{MARK},כהן{MARK},1969-01-01\n2{MARK},משה{MARK},לוי{MARK},1970-02-02\n"), Some(2)));
    c.push(case("Arabic headers", "ar.csv", format!("رقم,الاسم,اسم العائلة,تاريخ الميلاد\n1{MARK},محمد{MARK},حداد{MARK},1969-01-01\n2{MARK},يوسف{MARK},خوري{MARK},1970-02-02\n"), Some(2)));
    c.push(case("French and German headers", "fr.csv", format!("Nom,Prénom,Date de naissance\nMüller{MARK},Jean{MARK},1969-01-01\nDupont{MARK},Marie{MARK},1970-02-02\n"), Some(2)));
    c.push(case(
        "Name and Surname",
        "ns.csv",
        format!("ID,Name,Surname,DOB\n{}", good_rows(6, "n")),
        Some(6),
    ));
    c.push(expect(
        case(
            "no column with a name role",
            "norole.csv",
            format!(
                "foo,bar,baz\n{}",
                good_rows(3, "x")
                    .lines()
                    .map(|l| l.splitn(4, ',').take(3).collect::<Vec<_>>().join(",") + "\n")
                    .collect::<String>()
            ),
            None,
        ),
        1,
    ));
    c.push(case("JSON Lines with a bad line", "bad.jsonl", format!("{{\"id\":\"1{MARK}\",\"full_name\":\"Anna{MARK} Ivanova{MARK}\"}}\n{{\"id\": 2{MARK}\n{{\"id\":\"3{MARK}\",\"full_name\":\"Pavel{MARK} Orlov{MARK}\"}}\n[1,2]\n\"just a string{MARK}\"\n"), Some(5)));
    c.push(expect(
        case(
            "JSON Lines, no line an object",
            "allbad.jsonl",
            format!("[1]\n\"x{MARK}\"\nnot json{MARK}\n"),
            None,
        ),
        1,
    ));
    c.push(case("JSON Lines with nested values", "nest.jsonl", format!("{{\"id\":\"1{MARK}\",\"full_name\":{{\"a\":\"Anna{MARK}\"}}}}\n{{\"id\":\"2{MARK}\",\"full_name\":[\"B{MARK}\"]}}\n{{\"id\":\"3{MARK}\",\"full_name\":null}}\n"), Some(3)));
    c.push(case("JSON Lines, CRLF", "crlf.jsonl", format!("{{\"id\":\"1{MARK}\",\"full_name\":\"Anna{MARK}\"}}\r\n{{\"id\":\"2{MARK}\",\"full_name\":\"Bo{MARK}\"}}\r\n"), Some(2)));
    c.push(expect(
        case("an unknown file type", "list.xlsx", g.clone(), None),
        1,
    ));
    c.push(expect(
        case("a Parquet file", "list.parquet", "PAR1", None),
        1,
    ));

    // Values.
    c.push(case("dates in the future, zero and negative", "dates.csv", format!("{HEADER}a1{MARK},Anna{MARK},B{MARK},2999-01-01\na2{MARK},C{MARK},D{MARK},0000-00-00\na3{MARK},E{MARK},F{MARK},-0001-01-01\na4{MARK},G{MARK},H{MARK},1700-01-01\n"), Some(4)));
    c.push(case("names only punctuation or invisible", "punct.csv", format!("{HEADER}a1{MARK},...,---,1980-01-01\na2{MARK},\u{200b}\u{200d},\u{2060},1981-01-01\na3{MARK},Anna{MARK},B{MARK},1982-01-01\n"), Some(3)));
    c.push(case("spreadsheet formulas", "formula.csv", format!("{HEADER}=1+1{MARK},=HYPERLINK(\"x\"){MARK},@SUM{MARK},1980-01-01\n+2{MARK},-3{MARK},B{MARK},1981-01-01\n"), Some(2)));
    c.push(case("ambiguous slash dates", "slash.csv", format!("{HEADER}a1{MARK},Anna{MARK},B{MARK},04/03/1987\na2{MARK},Anna{MARK},B{MARK},03/04/1987\n"), Some(2)));
    c.push(case("ages out of range", "ages.csv", format!("id,full_name,age\n1{MARK},Anna{MARK},-3\n2{MARK},Bo{MARK},400\n3{MARK},Cy{MARK},abc{MARK}\n"), Some(3)));
    c.push(case(
        "unknown sex codes",
        "sex.csv",
        format!("id,full_name,sex\n1{MARK},Anna{MARK},Q{MARK}\n2{MARK},Bo{MARK},\n"),
        Some(2),
    ));
    c.push(case(
        "every name the same",
        "same.csv",
        (0..50)
            .map(|i| format!("{i}{MARK},Anna{MARK},Ivanova{MARK},1980-01-01\n"))
            .fold(String::from(HEADER), |a, l| a + &l),
        Some(50),
    ));
    c.push(case(
        "every value empty",
        "allempty.csv",
        format!("{HEADER},,,\n,,,\n"),
        Some(2),
    ));
    c.push(case(
        "leading and trailing spaces",
        "spaces.csv",
        format!("{HEADER}  a1{MARK} ,  Anna{MARK}  ,  B{MARK} , 1980-01-01 \n"),
        Some(1),
    ));
    c.push(case("a source column with blanks", "src.csv", format!("id,source,full_name\n1{MARK},h{MARK},Anna{MARK}\n2{MARK},,Bo{MARK}\n1{MARK},p{MARK},Cy{MARK}\n"), Some(3)));
    c.push(case(
        "control characters in names",
        "ctrl.csv",
        format!("{HEADER}a1{MARK},An\u{7}na{MARK},B\u{1b}[31m{MARK},1980-01-01\n"),
        Some(1),
    ));
    c.push(case(
        "a Hebrew list in visual order",
        "visual.csv",
        format!(
            "id,full_name\n{}",
            ["משה כהן", "אברהם לוין", "מרים גולדמן", "יוסף אלון"]
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{i}{MARK},{}{MARK}\n", n.chars().rev().collect::<String>()))
                .collect::<String>()
        ),
        Some(4),
    ));
    c.push(case(
        "surrogate-like and emoji",
        "emoji.csv",
        format!("{HEADER}a1{MARK},Anna😀{MARK},B\u{fffd}{MARK},1980-01-01\n"),
        Some(1),
    ));

    // Settings files (for a good list).
    let settings = |name: &str, text: &str, code: i32| Case {
        name: format!("settings: {name}"),
        kind: Kind::Settings,
        file: ("s.toml".into(), text.as_bytes().to_vec()),
        rows: None,
        code: Some(code),
    };
    let base = "version = 1\nid_columns = [\"id\"]\n[[fields]]\nname = \"given_name\"\nkind = \"name\"\ncolumns = [\"given_name\"]\n[[fields]]\nname = \"family_name\"\nkind = \"name\"\ncolumns = [\"surname\"]\n[[fields]]\nname = \"date_of_birth\"\nkind = \"date\"\ncolumns = [\"date_of_birth\"]\n[[comparisons]]\nname = \"given\"\nmethod = \"person_name\"\nfield = \"given_name\"\npart = \"given\"\n[[comparisons]]\nname = \"dob\"\nmethod = \"date\"\nfield = \"date_of_birth\"\n";
    let rules = "[blocking]\nrules = [\"date_of_birth\"]\n";
    c.push(settings("valid", &format!("{base}{rules}"), 0));
    c.push(settings("not TOML", "this is = = not toml [", 1));
    c.push(settings(
        "unknown key",
        &format!("{base}{rules}bogus = 1\n"),
        1,
    ));
    c.push(settings(
        "several problems",
        &format!(
            "{}{rules}[thresholds]\nmatch_probability = 7.0\n",
            base.replace("field = \"date_of_birth\"", "field = \"nope\"")
        ),
        1,
    ));
    c.push(settings(
        "a missing id column",
        &format!(
            "{}{rules}",
            base.replace("id_columns = [\"id\"]", "id_columns = [\"person_no\"]")
        ),
        1,
    ));
    c.push(settings(
        "a missing source column",
        &format!(
            "{}{rules}",
            base.replace(
                "id_columns = [\"id\"]",
                "id_columns = [\"id\"]\nsource_columns = [\"origin\"]"
            )
        ),
        1,
    ));
    c.push(settings(
        "year() of a name",
        &format!("{base}[blocking]\nrules = [\"year(given_name)\"]\n"),
        1,
    ));
    c.push(settings(
        "an unknown blocking function",
        &format!("{base}[blocking]\nrules = [\"frobnicate(given_name)\"]\n"),
        1,
    ));
    c.push(settings(
        "no blocking rules",
        &format!("{base}[blocking]\nrules = []\n"),
        1,
    ));
    c.push(settings(
        "version 99",
        &format!("{}{rules}", base.replace("version = 1", "version = 99")),
        1,
    ));
    c.push(settings(
        "a field without columns",
        &format!(
            "{}{rules}",
            base.replace("columns = [\"surname\"]", "columns = []")
        ),
        1,
    ));
    c.push(settings(
        "a bad as_of",
        &format!("as_of = \"yesterday\"\n{base}{rules}"),
        1,
    ));
    c.push(settings(
        "a rule over its budget",
        &format!("{base}[blocking]\nrules = [\"given_name\"]\nmax_pairs_per_rule = 0\n"),
        1,
    ));
    c.push(settings(
        "a column of the wrong kind",
        &format!(
            "{}{rules}",
            base.replace("method = \"date\"", "method = \"set_overlap\"")
        ),
        1,
    ));
    c.push(settings(
        "thresholds out of order",
        &format!("{base}{rules}[thresholds]\nreview_probability = 0.9\nmatch_probability = 0.5\n"),
        1,
    ));
    c.push(settings("empty file", "", 1));

    // Model files (for a good list, with its own inferred settings).
    let model = |name: &str, text: String, code: i32| Case {
        name: format!("model: {name}"),
        kind: Kind::Model,
        file: ("model.json".into(), text.into_bytes()),
        rows: None,
        code: Some(code),
    };
    c.push(model("not JSON", "{ not json".into(), 1));
    c.push(model("empty", String::new(), 1));
    c.push(model(
        "wrong format",
        "{\"format\": \"other\", \"version\": 1}".into(),
        1,
    ));
    c.push(model(
        "version 99",
        "{\"format\": \"listlink-model\", \"version\": 99}".into(),
        1,
    ));
    c.push(model(
        "missing fields",
        "{\"format\": \"listlink-model\", \"version\": 1}".into(),
        1,
    ));
    c.push(model("prior 1.5", "PRIOR:1.5".into(), 1));
    c.push(model("prior 1e308", "PRIOR:1e308".into(), 1));
    c.push(model("m = -5", "M:-5".into(), 1));
    c.push(model("u = 0", "U:0".into(), 1));
    c.push(model("u = 2", "U:2".into(), 1));
    c.push(model("truncated", "TRUNCATE".into(), 1));
    c.push(model("valid", "VALID".into(), 0));
    c
}

fn listlink() -> Command {
    let mut c = Command::cargo_bin("listlink").unwrap();
    c.timeout(Duration::from_secs(10));
    c
}

/// Every file of a folder with its bytes (empty when the folder does not exist).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            out.insert(
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap_or_default(),
            );
        }
    }
    out
}

fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for (name, bytes) in snapshot(from) {
        fs::write(to.join(name), bytes).unwrap();
    }
}

struct Outcome {
    code: i32,
    stderr: String,
}

/// Runs one command and checks what every command must do whatever the input.
fn run(
    case: &Case,
    args: &[&std::ffi::OsStr],
    out: Option<&Path>,
    problems: &mut Vec<String>,
) -> Outcome {
    let before = out.map(snapshot);
    let output = listlink().args(args).output();
    let label = format!(
        "{} | {}",
        case.name,
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            problems.push(format!("{label}: did not finish within 10 s ({e})"));
            return Outcome {
                code: -1,
                stderr: String::new(),
            };
        }
    };
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !(0..=2).contains(&code) {
        problems.push(format!("{label}: exit {code}\n{stderr}"));
    }
    if stderr.contains("panicked") {
        problems.push(format!("{label}: panic\n{stderr}"));
    }
    for (stream, text) in [("stderr", &stderr), ("stdout", &stdout)] {
        if text.contains(MARK) {
            problems.push(format!("{label}: an input value on {stream}:\n{text}"));
        }
    }
    if let (Some(out), Some(before)) = (out, before) {
        let after = snapshot(out);
        let complete = after.contains_key("report.json") && after.contains_key("pairs.csv");
        let strict_set = after.keys().map(String::as_str).collect::<Vec<_>>() == ["rejects.csv"];
        let ok = match code {
            0 => complete && after != before,
            2 => strict_set,
            _ => after == before,
        };
        if !ok {
            problems.push(format!(
                "{label}: exit {code} left the output folder {:?} (before {:?})",
                after.keys().collect::<Vec<_>>(),
                before.keys().collect::<Vec<_>>()
            ));
        }
    }
    Outcome { code, stderr }
}

/// The rows each input of a run's report read, accepted and rejected.
fn accounting(out: &Path, file: &str, case: &Case, problems: &mut Vec<String>) {
    let Ok(text) = fs::read_to_string(out.join("report.json")) else {
        problems.push(format!("{}: no report.json", case.name));
        return;
    };
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    for input in report["inputs"].as_array().unwrap() {
        let (read, accepted, rejected) = (
            input["rows_read"].as_u64().unwrap(),
            input["rows_accepted"].as_u64().unwrap(),
            input["rows_rejected"].as_u64().unwrap(),
        );
        if read != accepted + rejected {
            problems.push(format!(
                "{}: read {read} != accepted {accepted} + rejected {rejected}",
                case.name
            ));
        }
        if input["path"].as_str().unwrap().ends_with(file)
            && let Some(rows) = case.rows
            && read != rows
        {
            problems.push(format!("{}: read {read} rows of {rows}", case.name));
        }
    }
}

#[test]
fn every_malformed_input_is_accounted_for_through_every_command() {
    let corpus = corpus();
    assert!(corpus.len() >= 100, "the corpus has {} cases", corpus.len());
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    // Twelve rows: given names repeat, so a rule on them has pairs.
    fs::write(&good, good_list(12, "g")).unwrap();
    // A previous run's folder, copied into each run's --out first.
    let previous = dir.path().join("previous");
    listlink()
        .arg("dedupe")
        .arg(&good)
        .arg("--out")
        .arg(&previous)
        .assert()
        .success();
    let model_text = fs::read_to_string(previous.join("model.json")).unwrap();
    let mut problems = Vec::new();
    for (n, case) in corpus.iter().enumerate() {
        let case_dir = dir.path().join(format!("case{n}"));
        fs::create_dir_all(&case_dir).unwrap();
        let path = case_dir.join(&case.file.0);
        let bytes = match (case.kind, std::str::from_utf8(&case.file.1)) {
            (Kind::Model, Ok(text)) => model_file(&model_text, text).into_bytes(),
            _ => case.file.1.clone(),
        };
        fs::write(&path, &bytes).unwrap();
        let out = |name: &str| {
            let o = case_dir.join(name);
            copy_folder(&previous, &o);
            o
        };
        let os = |s: &str| std::ffi::OsString::from(s);
        match case.kind {
            Kind::List => {
                let o = out("dedupe");
                let r = run(
                    case,
                    &[&os("dedupe"), path.as_os_str(), &os("--out"), o.as_os_str()],
                    Some(&o),
                    &mut problems,
                );
                if let Some(code) = case.code
                    && r.code != code
                {
                    problems.push(format!(
                        "{}: dedupe exit {} (expected {code})\n{}",
                        case.name, r.code, r.stderr
                    ));
                }
                if r.code == 0 {
                    accounting(&o, &case.file.0, case, &mut problems);
                }
                let report: serde_json::Value = fs::read_to_string(o.join("report.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                let flagged = report["rows_rejected"].as_u64().unwrap_or(0)
                    + report["warnings"].as_u64().unwrap_or(0);
                let o2 = out("strict");
                let s = run(
                    case,
                    &[
                        &os("dedupe"),
                        path.as_os_str(),
                        &os("--strict"),
                        &os("--out"),
                        o2.as_os_str(),
                    ],
                    Some(&o2),
                    &mut problems,
                );
                if r.code == 0 && s.code != if flagged > 0 { 2 } else { 0 } {
                    problems.push(format!(
                        "{}: --strict exit {} with {flagged} rows rejected or warned",
                        case.name, s.code
                    ));
                }
                if r.code == 1 && s.code != 1 {
                    problems.push(format!(
                        "{}: --strict exit {} where the run exits 1",
                        case.name, s.code
                    ));
                }
                for (cmd, first, second) in [("link", &path, &good), ("find", &path, &good)] {
                    let o = out(cmd);
                    let args: Vec<std::ffi::OsString> = if cmd == "link" {
                        vec![
                            os("link"),
                            first.into(),
                            second.into(),
                            os("--out"),
                            o.clone().into(),
                        ]
                    } else {
                        vec![
                            os("find"),
                            os("--list"),
                            first.into(),
                            os("--roster"),
                            second.into(),
                            os("--out"),
                            o.clone().into(),
                        ]
                    };
                    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
                    let l = run(case, &refs, Some(&o), &mut problems);
                    if l.code == 0 {
                        accounting(&o, &case.file.0, case, &mut problems);
                    }
                }
                run(
                    case,
                    &[&os("blocking"), path.as_os_str(), good.as_os_str()],
                    None,
                    &mut problems,
                );
                // The case as a table of capture patterns, into a fresh folder.
                let e = case_dir.join("estimate");
                run(
                    case,
                    &[
                        &os("estimate"),
                        &os("--patterns"),
                        path.as_os_str(),
                        &os("--out"),
                        e.as_os_str(),
                    ],
                    None,
                    &mut problems,
                );
                // The case as truth for the previous run.
                let o = out("evaluate");
                run(
                    case,
                    &[
                        &os("evaluate"),
                        &os("--out"),
                        o.as_os_str(),
                        &os("--truth"),
                        path.as_os_str(),
                    ],
                    None,
                    &mut problems,
                );
            }
            Kind::Settings => {
                let o = out("dedupe");
                let r = run(
                    case,
                    &[
                        &os("dedupe"),
                        good.as_os_str(),
                        &os("--settings"),
                        path.as_os_str(),
                        &os("--out"),
                        o.as_os_str(),
                    ],
                    Some(&o),
                    &mut problems,
                );
                if Some(r.code) != case.code {
                    problems.push(format!(
                        "{}: exit {} (expected {:?})\n{}",
                        case.name, r.code, case.code, r.stderr
                    ));
                }
                run(
                    case,
                    &[
                        &os("blocking"),
                        good.as_os_str(),
                        &os("--settings"),
                        path.as_os_str(),
                    ],
                    None,
                    &mut problems,
                );
            }
            Kind::Model => {
                let o = out("dedupe");
                let r = run(
                    case,
                    &[
                        &os("dedupe"),
                        good.as_os_str(),
                        &os("--settings"),
                        previous.join("settings.toml").as_os_str(),
                        &os("--model"),
                        path.as_os_str(),
                        &os("--out"),
                        o.as_os_str(),
                    ],
                    Some(&o),
                    &mut problems,
                );
                if Some(r.code) != case.code {
                    problems.push(format!(
                        "{}: exit {} (expected {:?})\n{}",
                        case.name, r.code, case.code, r.stderr
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// A model file from a valid one and an instruction (`PRIOR:x`, `M:x`, `U:x`, `TRUNCATE`,
/// `VALID`), or the text itself.
fn model_file(valid: &str, how: &str) -> String {
    let mut m: serde_json::Value = serde_json::from_str(valid).unwrap();
    match how.split_once(':') {
        Some(("PRIOR", x)) => m["prior"] = serde_json::Value::from(x.parse::<f64>().unwrap()),
        Some(("M", x)) => m["comparisons"][0]["levels"][1]["m"] = x.parse::<f64>().unwrap().into(),
        Some(("U", x)) => m["comparisons"][0]["levels"][1]["u"] = x.parse::<f64>().unwrap().into(),
        _ if how == "TRUNCATE" => return valid[..valid.len() / 2].to_string(),
        _ if how == "VALID" => {}
        _ => return how.to_string(),
    }
    serde_json::to_string_pretty(&m).unwrap()
}
