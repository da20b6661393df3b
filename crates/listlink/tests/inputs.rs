//! What hostile input and real spreadsheets used to break, one test per class: rows lost to a
//! runaway quote, sources merged, invalid models, output folders mixed between runs, hangs,
//! values on stderr, exit codes, line numbers, encodings of tiny files, unclear messages,
//! headers in the users' languages, `Name` beside `Surname`, `found.csv` for spreadsheets, the
//! demo's paths and ambiguous dates.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn listlink() -> Command {
    let mut c = Command::cargo_bin("listlink").unwrap();
    c.timeout(Duration::from_secs(60));
    c
}

macro_rules! cli {
    ($($arg:expr),+ $(,)?) => {
        listlink()$(.arg($arg))+.assert()
    };
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&p, bytes).unwrap();
    p
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// An output file's text without its byte-order mark.
fn read(p: &Path) -> String {
    let t = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t)
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&out.join("report.json"))).unwrap()
}

/// Rejects as (line, reason) pairs.
fn rejects(out: &Path) -> Vec<(u64, String)> {
    let text = read(&out.join("rejects.csv"));
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (x[1].parse().unwrap(), x[4].to_string())
        })
        .collect()
}

const LIST: &str = "\
id,given_name,surname,date_of_birth
a1,Anna,Ivanova,1980-02-03
a2,Pavel,Orlov,1975-11-30
a3,Olga,Smirnova,1990-07-14
a4,Yosef,Cohen,1969-01-01
";

// 1. An unclosed quote swallows no rows: it is reported at the line it opened, and the rows
// after it are read.
#[test]
fn an_unclosed_quote_loses_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,full_name\n");
    for i in 1..=100 {
        let q = if i == 49 { "\"" } else { "" };
        text += &format!("R{i},{q}N{i} F{i}\n");
    }
    let q = write(dir.path(), "q.csv", &text);
    let out = dir.path().join("o");
    let a = cli!("dedupe", &q, "--out", &out).success();
    assert!(
        stdout(&a).contains("read 100 rows from 1 file(s): 99 accepted, 1 rejected"),
        "{}",
        stdout(&a)
    );
    let r = rejects(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, 50);
    assert!(
        r[0].1.contains("a quote opened at line 50 is never closed"),
        "{}",
        r[0].1
    );
    // Under --strict the same file stops the run.
    cli!("dedupe", &q, "--strict", "--out", dir.path().join("s")).code(2);
    // A quote closed rows later is the same class.
    let text = "id,name,dob\n1,\"Anna,1980\n2,Boris,1981\n3,Olga\",1982\n4,Ivan,1983\n";
    let c = write(dir.path(), "c.csv", text);
    let out = dir.path().join("c");
    cli!("dedupe", &c, "--out", &out).success();
    assert_eq!(report(&out)["rows_read"], 4);
    assert!(
        rejects(&out)
            .iter()
            .any(|(l, why)| *l == 2 && why.contains("not closed until line 4"))
    );
}

// 2. Two files of one name are two sources; the same file twice is an error naming both.
#[test]
fn files_of_the_same_name_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a/people.csv", LIST);
    let b = write(dir.path(), "b/people.csv", LIST.replace("a1", "b1"));
    let out = dir.path().join("o");
    let assert = cli!("link", &a, &b, "--out", &out).success();
    assert!(
        !stdout(&assert).contains("0 candidate pairs"),
        "{}",
        stdout(&assert)
    );
    let sources: Vec<String> = report(&out)["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources, vec!["a/people", "b/people"]);
    let clusters = read(&out.join("clusters.csv"));
    let mut keys: Vec<&str> = clusters
        .lines()
        .skip(1)
        .map(|l| l.rsplitn(3, ',').nth(2).unwrap())
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "no duplicate (source, id) in clusters.csv");
    let a2 = cli!("link", &a, &a, "--out", dir.path().join("t")).code(1);
    assert!(stderr(&a2).contains("are the same file"), "{}", stderr(&a2));
    // Two files giving the same source by a source column are refused too.
    let s1 = write(
        dir.path(),
        "s1.csv",
        "id,source,full_name\n1,hospital,Anna Ivanova\n",
    );
    let s2 = write(
        dir.path(),
        "s2.csv",
        "id,source,full_name\n2,hospital,Pavel Orlov\n",
    );
    let a3 = cli!("link", &s1, &s2, "--out", dir.path().join("u")).code(1);
    assert!(
        stderr(&a3).contains("source `hospital` has records in both"),
        "{}",
        stderr(&a3)
    );
    // A list with a source column linked to one without: the settings the run wrote (naming
    // the source column) run again on the same two files.
    let plain = write(dir.path(), "plain.csv", "id,full_name\n7,Anna Ivanova\n");
    let run = dir.path().join("v");
    cli!("link", &plain, &s1, "--out", &run).success();
    let written = read(&run.join("settings.toml"));
    assert!(written.contains("source_columns"), "{written}");
    cli!(
        "link",
        &plain,
        &s1,
        "--settings",
        run.join("settings.toml"),
        "--out",
        dir.path().join("w")
    )
    .success();
}

// 3. Every probability of a model is checked on load, named by its key.
#[test]
fn invalid_models_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "l.csv", LIST);
    let out = dir.path().join("o");
    cli!("dedupe", &list, "--out", &out).success();
    let valid: serde_json::Value = serde_json::from_str(&read(&out.join("model.json"))).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 5] = [
        ("prior", |m| m["prior"] = 1.5.into(), "prior = 1.5"),
        (
            "huge",
            |m| m["prior"] = 1e308.into(),
            "prior = 100000000000",
        ),
        (
            "m",
            |m| m["comparisons"][0]["levels"][1]["m"] = (-5.0).into(),
            "comparisons[0].levels[1].m = -5",
        ),
        (
            "u",
            |m| m["comparisons"][1]["levels"][2]["u"] = 0.0.into(),
            "comparisons[1].levels[2].u = 0",
        ),
        (
            "sum",
            |m| m["comparisons"][0]["levels"][1]["u"] = 0.9.into(),
            "comparisons[0].levels[*].u add up to",
        ),
    ];
    for (name, edit, expected) in cases {
        let mut m = valid.clone();
        edit(&mut m);
        let path = write(
            dir.path(),
            &format!("{name}.json"),
            serde_json::to_string(&m).unwrap(),
        );
        let a = cli!(
            "dedupe",
            &list,
            "--settings",
            out.join("settings.toml"),
            "--model",
            &path,
            "--out",
            dir.path().join(name)
        )
        .code(1);
        assert!(stderr(&a).contains(expected), "{name}: {}", stderr(&a));
    }
}

// 4. A run's folder is one run's: a failed run leaves the last one whole, a later command's
// outputs do not sit beside an earlier one's, and a killed run's leftovers are removed.
#[test]
fn an_output_folder_holds_one_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "l.csv", LIST);
    let roster = write(
        dir.path(),
        "r.csv",
        LIST.replace("a1", "b1").replace("a2", "b2"),
    );
    let out = dir.path().join("o");
    cli!("find", "--list", &list, "--roster", &roster, "--out", &out).success();
    assert!(out.join("found.csv").exists());
    let before: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    // A failed run (a bad settings file; a strict run with rejects) leaves it as it was.
    let bad = write(dir.path(), "bad.toml", "nonsense = = 1");
    cli!("dedupe", &list, "--settings", &bad, "--out", &out).code(1);
    for (p, b) in &before {
        assert_eq!(&fs::read(p).unwrap(), b, "{} changed", p.display());
    }
    // A dedupe after a find: no found.csv left from the find.
    cli!("dedupe", &list, "--out", &out).success();
    assert!(!out.join("found.csv").exists());
    // Under --strict with rejects: the folder is this run's, with its rejects only.
    let ragged = write(dir.path(), "ragged.csv", format!("{LIST}x,y\n"));
    cli!("dedupe", &ragged, "--strict", "--out", &out).code(2);
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["rejects.csv"]);
    // What a killed run leaves (a staging folder of a dead process, a temporary file) goes.
    let stale = dir.path().join(".o.listlink-4999999");
    fs::create_dir(&stale).unwrap();
    write(&out, ".pairs.csv.tmp-4999999", "half");
    write(&out, ".listlink-Ab12Cd.tmp", "half");
    cli!("dedupe", &list, "--out", &out).success();
    assert!(!stale.exists());
    assert!(!out.join(".pairs.csv.tmp-4999999").exists());
    assert!(!out.join(".listlink-Ab12Cd.tmp").exists());
    let left: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A folder holding someone else's files is not replaced.
    let mine = dir.path().join("mine");
    write(&mine, "notes.txt", "keep");
    let a = cli!("dedupe", &list, "--out", &mine).code(1);
    assert!(stderr(&a).contains("notes.txt"));
    assert_eq!(fs::read_to_string(mine.join("notes.txt")).unwrap(), "keep");
}

// 5. Work per value is bounded: a huge single-token name is cut (with a warning), and an absurd
// thread count is capped with a message.
#[test]
fn huge_values_and_thread_counts_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(1_000_000);
    let list = write(
        dir.path(),
        "l.csv",
        format!("{LIST}a5,{long},Petrova,1985-05-05\n"),
    );
    let out = dir.path().join("o");
    let started = std::time::Instant::now();
    cli!("dedupe", &list, "--out", &out).success();
    // A guard against a run quadratic in a value's length (it takes well under a second), not a
    // benchmark: speed is measured in bench/.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        rejects(&out)
            .iter()
            .any(|(l, why)| *l == 6 && why.contains("1000000 bytes long"))
    );
    let a = cli!("--threads", "100000", "dedupe", &list, "--out", &out).success();
    assert!(
        stderr(&a).contains("--threads 100000 taken as"),
        "{}",
        stderr(&a)
    );
}

// 6. No value of the input reaches stderr: a file without a header is described by its field
// count.
#[test]
fn a_file_without_a_header_is_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "l.csv",
        "1,Secretname,Hiddensurname,1980-01-01\n2,Other,Person,1970-01-01\n",
    );
    let a = cli!("dedupe", &list, "--out", dir.path().join("o")).code(1);
    let e = stderr(&a);
    assert!(
        e.contains("the first line does not look like a header (4 fields)"),
        "{e}"
    );
    assert!(
        !e.contains("Secretname") && !e.contains("Hiddensurname"),
        "{e}"
    );
}

// 7. Exit codes: usage errors 1; a bad JSON Lines line is a reject; bad thresholds and settings
// naming missing columns or misapplied functions are errors; --strict agrees with its help.
#[test]
fn exit_codes_are_the_readmes() {
    let dir = tempfile::tempdir().unwrap();
    cli!("link", "only-one.csv", "--out", "x").code(1);
    let jl = write(
        dir.path(),
        "l.jsonl",
        "{\"id\":\"1\",\"full_name\":\"Anna Ivanova\"}\n{\"id\": \n{\"id\":\"3\",\"full_name\":\"Pavel Orlov\"}\n",
    );
    let out = dir.path().join("o");
    cli!("dedupe", &jl, "--out", &out).success();
    assert_eq!(
        rejects(&out).iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(report(&out)["rows_accepted"], 2);
    for t in ["7", "NaN", "1.5"] {
        let a = cli!("evaluate", "--out", &out, "--truth", &jl, "--threshold", t).code(1);
        assert!(
            stderr(&a).contains("is not a probability"),
            "{t}: {}",
            stderr(&a)
        );
    }
    let list = write(dir.path(), "l.csv", LIST);
    cli!("dedupe", &list, "--out", &out).success();
    let settings = read(&out.join("settings.toml"));
    for (edit, expected) in [
        (
            settings.replace("id_columns = [\"id\"]", "id_columns = [\"person_no\"]"),
            "id_columns [\"person_no\"]: none is in",
        ),
        (
            settings.replace(
                "id_columns = [\"id\"]",
                "id_columns = [\"id\"]\nsource_columns = [\"origin\"]",
            ),
            "source_columns [\"origin\"]: none is in",
        ),
        (
            settings.replace("rules = [", "rules = [\"year(given_name)\", "),
            "year applies to date fields",
        ),
    ] {
        let s = write(dir.path(), "s.toml", edit);
        let a = cli!(
            "dedupe",
            &list,
            "--settings",
            &s,
            "--out",
            dir.path().join("x")
        )
        .code(1);
        assert!(stderr(&a).contains(expected), "{}", stderr(&a));
    }
    // --strict: warnings alone stop it too, as its help says.
    let warned = write(
        dir.path(),
        "w.csv",
        format!("{LIST}a9,Ivan,Petrov,not a date\n"),
    );
    cli!("dedupe", &warned, "--out", dir.path().join("w")).success();
    let a = cli!("dedupe", &warned, "--strict", "--out", dir.path().join("w")).code(2);
    assert!(
        stderr(&a).contains("0 row(s) rejected and 1 warning(s)"),
        "{}",
        stderr(&a)
    );
    let help = stdout(&cli!("dedupe", "--help").success());
    assert!(
        help.contains("rejected or any value cannot be used"),
        "{help}"
    );
}

// 8. Line numbers are physical lines in CRLF and CR-only files.
#[test]
fn line_numbers_are_right_whatever_the_line_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{LIST}x,y\na5,Maria,Petrova,1985-05-05\nz,w\n");
    for (name, breaks) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let f = write(dir.path(), name, text.replace('\n', breaks));
        let out = dir.path().join(name.replace('.', "_"));
        cli!("dedupe", &f, "--out", &out).success();
        let lines: Vec<u64> = rejects(&out).iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![6, 8], "{name}");
    }
}

// 9. A one-row file in a legacy encoding that reads as words in two scripts stops, naming the
// candidates; UTF-16 without a byte-order mark is named as such.
#[test]
fn tiny_legacy_files_and_utf16_without_bom_are_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,full_name\n1,Евгений Шуляпов\n";
    for label in ["KOI8-R", "windows-1251"] {
        let e = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let f = write(dir.path(), &format!("{label}.csv"), e.encode(text).0);
        let out = dir.path().join(label);
        let a = listlink()
            .arg("dedupe")
            .arg(&f)
            .arg("--out")
            .arg(&out)
            .assert();
        let code = a.get_output().status.code();
        if code == Some(0) {
            // Read: then it must be read right.
            let r = report(&out);
            let enc = r["inputs"][0]["encoding"].as_str().unwrap().to_string();
            assert!(
                enc == label || (label == "KOI8-R" && enc == "KOI8-U"),
                "{label} read as {enc}"
            );
        } else {
            assert_eq!(code, Some(1));
            let e = stderr(&a);
            assert!(
                e.contains("--encoding") && e.contains(label),
                "{label}: {e}"
            );
        }
        // Named, it is read.
        cli!(
            "dedupe",
            &f,
            "--encoding",
            label,
            "--out",
            dir.path().join(format!("{label}-named"))
        )
        .success();
    }
    let utf16: Vec<u8> = "id,full_name\n1,Anna Ivanova\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let f = write(dir.path(), "u16.csv", utf16);
    let a = cli!("dedupe", &f, "--out", dir.path().join("u")).code(1);
    assert!(
        stderr(&a).contains("looks like UTF-16 (LE) without a byte-order mark"),
        "{}",
        stderr(&a)
    );
}

// 10. Messages that say what they mean.
#[test]
fn messages_are_whole_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "l.csv",
        format!("{LIST}a5,Anna,Ivanova,1980-02-03\n"),
    );
    let out = dir.path().join("o");
    cli!("dedupe", &list, "--out", &out).success();
    // Every problem of a settings file that does not parse, at once.
    let settings = read(&out.join("settings.toml"));
    let bad = settings
        .replacen("kind = \"name\"", "kind = \"nmae\"", 1)
        .replacen("method = \"date\"", "method = \"dte\"", 1)
        + "\nbogus = 1\n";
    let s = write(dir.path(), "bad.toml", bad);
    let e = stderr(
        &cli!(
            "dedupe",
            &list,
            "--settings",
            &s,
            "--out",
            dir.path().join("x")
        )
        .code(1),
    );
    assert!(
        e.contains("3 problem(s)")
            && e.contains("fields[0]")
            && e.contains("comparisons[")
            && e.contains("bogus"),
        "{e}"
    );
    // Over the budget: the numbers.
    let tight: String = settings
        .lines()
        .map(|l| {
            if l.starts_with("max_pairs_per_rule") {
                "max_pairs_per_rule = 0\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let s = write(dir.path(), "tight.toml", tight);
    let e = stderr(
        &cli!(
            "dedupe",
            &list,
            "--settings",
            &s,
            "--out",
            dir.path().join("x")
        )
        .code(1),
    );
    assert!(
        e.contains("candidate pairs, more than the limit of 0"),
        "{e}"
    );
    // `blocking` shows the budget and what pairs it counts.
    let b = stdout(&cli!("blocking", &list, "--settings", &s).success());
    assert!(
        b.contains("pair budget per rule: 0") && b.contains("refused"),
        "{b}"
    );
    // Evaluate: truth of other lists is warned of; no true pairs is said, not scored 1.0.
    let other = write(
        dir.path(),
        "other.csv",
        "id,given_name,surname,truth\nz1,A,B,1\nz2,A,B,1\n",
    );
    let a = cli!("evaluate", "--out", &out, "--truth", &other).success();
    assert!(
        stderr(&a).contains("2 of 2 truth records are not records of this run"),
        "{}",
        stderr(&a)
    );
    let lonely = write(
        dir.path(),
        "lonely.csv",
        "id,given_name,surname,truth\na1,A,B,1\na2,A,B,2\n",
    );
    let a = cli!("evaluate", "--out", &out, "--truth", &lonely).success();
    assert!(
        stdout(&a).contains("0 true pairs") && !stdout(&a).contains("best F1 1.0000"),
        "{}",
        stdout(&a)
    );
    // An I/O error's cause once.
    let e = stderr(
        &cli!(
            "dedupe",
            dir.path().join("nope.csv"),
            "--out",
            dir.path().join("x")
        )
        .code(1),
    );
    assert_eq!(e.matches("No such file").count(), 1, "{e}");
    // Warnings counted in the summary; semicolon rows kept as written; odd dates and
    // nameless names warned; NUL in ids rejected.
    let odd = write(
        dir.path(),
        "odd.csv",
        "id;given_name;surname;date_of_birth\nb1;Anna;Ivanova;2999-01-01\nb2;Pavel;Orlov;0000-00-00\nb3;Olga;Smirnova;-0001-01-01\nb4;...;---;1970-01-01\nb\u{0}5;Ivan;Petrov;1970-01-01\nb6;x;y\n",
    );
    let o = dir.path().join("odd");
    let a = cli!("dedupe", &odd, "--as-of", "2026-01-01", "--out", &o).success();
    assert!(
        stdout(&a).contains("2 rejected, 4 warnings (see rejects.csv)"),
        "{}",
        stdout(&a)
    );
    let text = read(&o.join("rejects.csv"));
    assert!(text.contains("b6;x;y"), "{text}");
    for reason in [
        "after the date ages are counted at",
        "not a date",
        "only punctuation",
        "control characters",
    ] {
        assert!(text.contains(reason), "{reason}: {text}");
    }
    let r = report(&out);
    assert!(r["model"]["em_iterations"].as_u64().unwrap() <= 500);
}

// 11 and 12. Headers in the users' languages; `Name` beside `Surname` is the given name; a list
// with no name column stops naming its headers and the settings key.
#[test]
fn headers_in_the_users_languages_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let ru = "Фамилия;Имя;Отчество;Дата рождения;Пол\nИванова;Анна;Ивановна;03.02.1980;Ж\nОрлов;Павел;Петрович;30.11.1975;М\nСмирнова;Ольга;Ивановна;14.07.1990;Ж\n";
    let e = encoding_rs::Encoding::for_label(b"windows-1251").unwrap();
    let list = write(dir.path(), "ru.csv", e.encode(ru).0);
    let roster = write(
        dir.path(),
        "roster.csv",
        "id,first_name,last_name,dob\nb1,Anna,Ivanova,1980-02-03\nb2,Pavel,Orlov,1975-11-30\n",
    );
    let out = dir.path().join("o");
    let a = cli!(
        "find",
        "--list",
        &list,
        "--roster",
        &roster,
        "--encoding",
        "windows-1251",
        "--out",
        &out
    )
    .success();
    assert!(stdout(&a).contains("find: 2 found"), "{}", stdout(&a));
    let roles: Vec<(String, String)> = report(&out)["inferred_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap().into(),
                c["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (col, role) in [
        ("Фамилия", "family_name"),
        ("Имя", "given_name"),
        ("Отчество", "patronymic"),
        ("Дата рождения", "date_of_birth"),
        ("Пол", "sex"),
    ] {
        assert!(
            roles.contains(&(col.to_string(), role.to_string())),
            "{col}: {roles:?}"
        );
    }
    for (header, expected) in [
        (
            "שם פרטי,שם משפחה,תאריך לידה",
            ["given_name", "family_name", "date_of_birth"],
        ),
        (
            "الاسم,اسم العائلة,تاريخ الميلاد",
            ["given_name", "family_name", "date_of_birth"],
        ),
        (
            "Prénom,Nom,Date de naissance",
            ["given_name", "family_name", "date_of_birth"],
        ),
        (
            "VORNAME,Nachname,Geburtsdatum",
            ["given_name", "family_name", "date_of_birth"],
        ),
        (
            "Nombre,Apellido,Fecha de nacimiento",
            ["given_name", "family_name", "date_of_birth"],
        ),
        (
            "Name,Surname,DOB",
            ["given_name", "family_name", "date_of_birth"],
        ),
    ] {
        let f = write(
            dir.path(),
            "h.csv",
            format!("{header}\nA,B,1980-01-01\nC,D,1981-01-01\n"),
        );
        let o = dir.path().join("h");
        cli!("dedupe", &f, "--out", &o).success();
        let cols: Vec<String> = report(&o)["inferred_columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["role"].as_str().unwrap().to_string())
            .collect();
        for e in expected {
            assert!(cols.contains(&e.to_string()), "{header}: {cols:?}");
        }
    }
    let f = write(dir.path(), "none.csv", "foo,bar\n1,2\n");
    let e = stderr(&cli!("dedupe", &f, "--out", dir.path().join("n")).code(1));
    assert!(
        e.contains("none.csv") && e.contains("[[fields]]") && e.contains("columns"),
        "{e}"
    );
}

// 13. found.csv: the person's status on every row, the candidate's band, birth dates of both,
// a byte-order mark for spreadsheets, and the full name once.
#[test]
fn found_csv_counts_people_right_in_a_spreadsheet() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "l.csv",
        "id,full_name,given_name,surname,age\nq1,Anna Ivanova,Anna,Ivanova,45\nq2,Boris Cohen,Boris,Cohen,20\n",
    );
    let roster = write(dir.path(), "r.csv", LIST);
    let out = dir.path().join("o");
    cli!(
        "find",
        "--list",
        &list,
        "--roster",
        &roster,
        "--as-of",
        "2026-01-01",
        "--out",
        &out
    )
    .success();
    let raw = fs::read(out.join("found.csv")).unwrap();
    assert!(
        raw.starts_with(b"\xEF\xBB\xBF"),
        "found.csv has a byte-order mark"
    );
    let text = read(&out.join("found.csv"));
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    assert_eq!(&h[3], "query_birth");
    assert_eq!(&h[10], "candidate_band");
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(
        &rows[0][2], "Anna Ivanova",
        "the full name, not repeated with its parts"
    );
    assert_eq!(&rows[0][3], "age 45");
    let statuses: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|x| &x[1] == "q1")
        .map(|x| &x[4])
        .collect();
    assert_eq!(statuses.len(), 1, "one status per person");
    // Not found, and the nearest candidate shown all the same, under the minimum probability.
    let q2: Vec<&csv::StringRecord> = rows.iter().filter(|x| &x[1] == "q2").collect();
    assert_eq!(q2.len(), 1);
    assert_eq!(
        (&q2[0][4], &q2[0][5], &q2[0][10]),
        ("not_found", "1", "not_found")
    );
    assert!(q2[0][11].parse::<f64>().unwrap() < 0.01, "{:?}", q2[0]);
    for f in ["pairs.csv", "clusters.csv", "rejects.csv"] {
        assert!(
            fs::read(out.join(f)).unwrap().starts_with(b"\xEF\xBB\xBF"),
            "{f}"
        );
    }
}

// 14. The demo keeps the folder whose paths it prints; an ambiguous slash date that decides a
// match is flagged in the explanation.
#[test]
fn the_demo_prints_paths_that_exist_and_slash_dates_are_flagged() {
    let a = cli!("demo").success();
    let out = stdout(&a);
    let found = out
        .lines()
        .find_map(|l| l.strip_prefix("answers for every person on the list: "))
        .and_then(|l| l.split(" (").next())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(Path::new(found).exists(), "{found}");
    let folder = Path::new(found)
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    fs::remove_dir_all(folder).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "l.csv",
        "id,given_name,surname,date_of_birth\nq1,Anna,Ivanova,04/03/1987\n",
    );
    let roster = write(
        dir.path(),
        "r.csv",
        "id,given_name,surname,date_of_birth\nr1,Anna,Ivanova,1987-04-03\nr2,Pavel,Orlov,1970-01-01\nr3,Olga,Smirnova,1990-07-14\n",
    );
    let o = dir.path().join("o");
    cli!("find", "--list", &list, "--roster", &roster, "--out", &o).success();
    let text = read(&o.join("found.csv"));
    assert!(
        text.contains("date written with slashes reads day-first or month-first"),
        "{text}"
    );
}
