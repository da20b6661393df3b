//! The roster that lives, driven as a user drives it: lists added day after day to a store,
//! decisions, the roster's files, and faults (a killed add, a second writer, an unknown schema).

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn listlink() -> Command {
    Command::cargo_bin("listlink").unwrap()
}

macro_rules! cli {
    ($($arg:expr),+ $(,)?) => {
        listlink()$(.arg($arg))+.assert()
    };
}

fn err_text(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// An output file's text without its byte-order mark.
fn read(p: &Path) -> String {
    let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.strip_prefix('\u{feff}').unwrap_or(&text).to_string()
}

/// Settings and a model trained once on the demo lists (consular list linked to the roster),
/// so that tiny daily lists are scored by a model that knows these names.
fn trained() -> &'static (PathBuf, PathBuf) {
    static TRAINED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
        let out = dir.join("m");
        cli!(
            "link",
            demo.join("consular.csv"),
            demo.join("roster.csv"),
            "--out",
            &out,
            "--as-of",
            "2026-01-01"
        )
        .success();
        // Term frequencies come from the records of each run: in lists of four people every
        // name is "common". Scored without them, these tiny lists link as a large store would.
        let settings = fs::read_to_string(out.join("settings.toml"))
            .unwrap()
            .replace("term_frequency = true", "term_frequency = false");
        let settings = write(&dir, "settings.toml", &settings);
        (settings, out.join("model.json"))
    })
}

const DAY1: &str = "\
id,given_name,surname,sex,date_of_birth
c1,Anna,Ivanova,F,1980-02-03
c2,Pavel,Orlov,M,1975-11-30
c3,Olga,Smirnova,F,1990-07-14
c4,Yosef,Cohen,M,1969-01-01
";

const DAY2: &str = "\
id,given_name,surname,sex,date_of_birth,status
h1,Anna,Ivanova,F,1980-02-03,missing
h2,Boris,Kuznetsov,M,1960-04-04,injured
h3,Pavel,Orlov,M,1975-11-30,injured
";

/// Day 3: h1's status changes, h2's name is corrected, h3 is unchanged, h4 is new.
const DAY3: &str = "\
id,given_name,surname,sex,date_of_birth,status
h1,Anna,Ivanova,F,1980-02-03,released
h2,Borys,Kuznetsov,M,1960-04-04,injured
h3,Pavel,Orlov,M,1975-11-30,injured
h4,Elena,Volkova,F,1999-12-12,missing
";

/// Adds a list to the store as of a day, with the trained settings and model.
fn add(store: &Path, list: &Path, source: &str, day: &str, threads: &str) {
    let (settings, model) = trained();
    cli!(
        "add",
        "--store",
        store,
        list,
        "--source",
        source,
        "--received",
        day,
        "--settings",
        settings,
        "--model",
        model,
        "--threads",
        threads
    )
    .success();
}

/// The three days added to a new store in `dir`.
fn three_days(dir: &Path, threads: &str) -> PathBuf {
    let store = dir.join("s.db");
    add(
        &store,
        &write(dir, "d1.csv", DAY1),
        "consulate",
        "2026-03-01",
        threads,
    );
    add(
        &store,
        &write(dir, "d2.csv", DAY2),
        "hospital",
        "2026-03-02",
        threads,
    );
    add(
        &store,
        &write(dir, "d3.csv", DAY3),
        "hospital",
        "2026-03-03",
        threads,
    );
    store
}

/// roster.csv, history.csv and changes.csv of a store, as text.
fn roster(store: &Path, out: &Path, since: Option<&str>) -> [String; 3] {
    let mut cmd = listlink();
    cmd.args(["roster", "--store"])
        .arg(store)
        .arg("--out")
        .arg(out);
    if let Some(d) = since {
        cmd.args(["--since", d]);
    }
    cmd.assert().success();
    ["roster.csv", "history.csv", "changes.csv"].map(|f| read(&out.join(f)))
}

/// roster.csv rows as (person_id, records, status, status_source, status_date).
fn persons(roster_csv: &str) -> Vec<[String; 5]> {
    let mut r = csv::Reader::from_reader(roster_csv.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (p, rec, s, ss, sd) = (
        col("person_id"),
        col("records"),
        col("status"),
        col("status_source"),
        col("status_date"),
    );
    r.records()
        .map(|row| {
            let row = row.unwrap();
            [&row[p], &row[rec], &row[s], &row[ss], &row[sd]].map(String::from)
        })
        .collect()
}

fn p(cells: [&str; 5]) -> [String; 5] {
    cells.map(String::from)
}

#[test]
fn a_roster_over_three_days_keeps_ids_statuses_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_days(dir.path(), "2");
    let [roster_csv, history, changes] = roster(&store, &dir.path().join("r"), None);
    assert_eq!(
        persons(&roster_csv),
        vec![
            p([
                "P-000001",
                "consulate:c1;hospital:h1",
                "released",
                "hospital",
                "2026-03-03"
            ]),
            p([
                "P-000002",
                "consulate:c2;hospital:h3",
                "injured",
                "hospital",
                "2026-03-02"
            ]),
            p(["P-000003", "consulate:c3", "", "", ""]),
            p(["P-000004", "consulate:c4", "", "", ""]),
            p([
                "P-000005",
                "hospital:h2",
                "injured",
                "hospital",
                "2026-03-02"
            ]),
            p([
                "P-000006",
                "hospital:h4",
                "missing",
                "hospital",
                "2026-03-03"
            ]),
        ],
        "{roster_csv}"
    );
    assert!(
        roster_csv.starts_with("person_id,name_latin,name_cyrillic,name_hebrew,name_arabic,name_other,sex,birth,sources,records,status,status_source,status_date,first_seen,last_seen,to_review\n"),
        "{roster_csv}"
    );
    // Anna Ivanova: first seen on day 1, last on day 3, on two sources; the corrected name is
    // the one shown.
    assert!(
        roster_csv.contains("P-000001,Anna Ivanova,,,,,F,1980-02-03,2,consulate:c1;hospital:h1,released,hospital,2026-03-03,2026-03-01,2026-03-03,"),
        "{roster_csv}"
    );
    assert!(
        roster_csv.contains("P-000005,Borys Kuznetsov,"),
        "{roster_csv}"
    );

    let p1: Vec<&str> = history
        .lines()
        .filter(|l| l.starts_with("P-000001,"))
        .collect();
    assert_eq!(
        p1,
        vec![
            "P-000001,2026-03-01,,,created,",
            "P-000001,2026-03-01,consulate,c1,added,d1.csv line 2",
            "P-000001,2026-03-02,hospital,h1,added,d2.csv line 2; status missing",
            "P-000001,2026-03-03,hospital,h1,status changed,missing → released",
        ],
        "{history}"
    );
    assert!(
        history.contains("P-000005,2026-03-03,hospital,h2,changed,given_name: Boris → Borys"),
        "{history}"
    );
    // Changes since the last add (day 3): the new person, the status change, the correction.
    assert_eq!(
        changes,
        "change,person_id,date,source,record,detail\n\
         new person,P-000006,2026-03-03,,,hospital:h4\n\
         status changed,P-000001,2026-03-03,hospital,h1,missing → released\n\
         record changed,P-000005,2026-03-03,hospital,h2,given_name: Boris → Borys\n",
    );
    // Since day 2: also day 2's new person, records and statuses.
    let [_, _, since2] = roster(&store, &dir.path().join("r2"), Some("2026-03-02"));
    assert!(
        since2.contains("new person,P-000005,2026-03-02,,,hospital:h2"),
        "{since2}"
    );
    assert!(
        since2.contains("new record,P-000001,2026-03-02,hospital,h1,d2.csv line 2; status missing"),
        "{since2}"
    );
    assert!(!since2.contains("2026-03-01"), "{since2}");
}

#[test]
fn adding_the_same_list_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_days(dir.path(), "2");
    let before = roster(&store, &dir.path().join("a"), Some("2026-01-01"));
    add(
        &store,
        &dir.path().join("d3.csv"),
        "hospital",
        "2026-03-03",
        "2",
    );
    let after = roster(&store, &dir.path().join("b"), Some("2026-01-01"));
    assert_eq!(before[0], after[0]);
    assert_eq!(before[1], after[1]);
}

#[test]
fn decisions_split_and_merge_and_hold_through_the_next_add() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_days(dir.path(), "2");
    // The hospital's Anna Ivanova is not ours: the person splits; the part holding the oldest
    // record keeps the id.
    cli!(
        "decide",
        "--store",
        &store,
        "--not-match",
        "consulate:c1",
        "hospital:h1",
        "--by",
        "desk-1",
        "--note",
        "different mother's name"
    )
    .success();
    // Olga Smirnova and the hospital's Borys Kuznetsov are one person (a mix-up at intake): the
    // oldest id survives.
    cli!(
        "decide",
        "--store",
        &store,
        "--match",
        "consulate:c3",
        "hospital:h2",
        "--by",
        "desk-2"
    )
    .success();
    let [roster_csv, history, changes] = roster(&store, &dir.path().join("r"), None);
    let rows = persons(&roster_csv);
    let ids: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("P-000001", "consulate:c1"),
            ("P-000002", "consulate:c2;hospital:h3"),
            ("P-000003", "consulate:c3;hospital:h2"),
            ("P-000004", "consulate:c4"),
            ("P-000006", "hospital:h4"),
            ("P-000007", "hospital:h1"),
        ],
        "{roster_csv}"
    );
    assert!(
        history.contains("P-000007,")
            && history.contains("split from,P-000001 (records hospital:h1)"),
        "{history}"
    );
    assert!(
        history.contains("P-000005,"),
        "the merged id stays in the history: {history}"
    );
    assert!(history.contains("merged into,P-000003"), "{history}");
    assert!(
        history.contains("decided,not-match with hospital:h1 by desk-1 (probability"),
        "{history}"
    );
    assert!(history.contains("different mother's name"), "{history}");
    assert!(changes.contains("split,P-000007"), "{changes}");
    assert!(changes.contains("merged,P-000005"), "{changes}");

    // The next day: the same hospital list, and one more Anna Ivanova of that birth date, who
    // matches both records: she may join either, but they stay apart.
    let day4 = format!("{DAY3}h5,Anna,Ivanova,F,1980-02-03,injured\n");
    add(
        &store,
        &write(dir.path(), "d4.csv", &day4),
        "hospital",
        "2026-03-04",
        "2",
    );
    let [roster_csv, _, _] = roster(&store, &dir.path().join("r4"), None);
    let rows = persons(&roster_csv);
    let person_of = |rec: &str| {
        rows.iter()
            .find(|r| r[1].split(';').any(|x| x == rec))
            .map(|r| r[0].clone())
            .unwrap_or_else(|| panic!("{rec} not in {roster_csv}"))
    };
    assert_ne!(
        person_of("consulate:c1"),
        person_of("hospital:h1"),
        "{roster_csv}"
    );
    assert_eq!(
        person_of("consulate:c3"),
        person_of("hospital:h2"),
        "{roster_csv}"
    );
    assert_eq!(person_of("consulate:c1"), "P-000001");
    assert_eq!(person_of("hospital:h1"), "P-000007");
    assert!(
        [person_of("consulate:c1"), person_of("hospital:h1")].contains(&person_of("hospital:h5")),
        "{roster_csv}"
    );

    // A match that would put together two records a person said are different, through a chain
    // of match decisions, is refused and nothing is recorded. (A match with h5 alone is no
    // contradiction: the model's edge to h5 gives way to a decision.)
    cli!(
        "decide",
        "--store",
        &store,
        "--match",
        "hospital:h5",
        "consulate:c1"
    )
    .success();
    let [roster_csv, _, _] = roster(&store, &dir.path().join("r5"), None);
    let a = cli!(
        "decide",
        "--store",
        &store,
        "--match",
        "hospital:h5",
        "hospital:h1"
    )
    .failure();
    assert_eq!(a.get_output().status.code(), Some(1));
    assert!(err_text(&a).contains("contradicts"), "{}", err_text(&a));
    let [after, _, _] = roster(&store, &dir.path().join("r6"), None);
    assert_eq!(after, roster_csv);
}

#[test]
fn the_roster_is_the_same_whatever_the_threads() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let a = three_days(one.path(), "1");
    let b = three_days(two.path(), "2");
    let ra = roster(&a, &one.path().join("r"), Some("2026-01-01"));
    let rb = roster(&b, &two.path().join("r"), Some("2026-01-01"));
    assert_eq!(ra, rb);
}

#[test]
fn an_unreadable_list_adds_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_days(dir.path(), "2");
    let before = roster(&store, &dir.path().join("a"), Some("2026-01-01"));
    let bad = write(dir.path(), "bad.csv", "id,colour\n1,red\n");
    let a = cli!("add", "--store", &store, &bad, "--received", "2026-03-05").failure();
    assert_eq!(a.get_output().status.code(), Some(1));
    assert!(err_text(&a).contains("bad.csv"), "{}", err_text(&a));
    let missing = dir.path().join("nowhere.csv");
    let a = cli!("add", "--store", &store, &missing).failure();
    assert!(err_text(&a).contains("nowhere.csv"), "{}", err_text(&a));
    let after = roster(&store, &dir.path().join("b"), Some("2026-01-01"));
    assert_eq!(before, after);
}

#[test]
fn a_store_of_an_unknown_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    add(
        &store,
        &write(dir.path(), "d1.csv", DAY1),
        "consulate",
        "2026-03-01",
        "2",
    );
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let a = cli!("roster", "--store", &store, "--out", dir.path().join("r")).failure();
    assert_eq!(a.get_output().status.code(), Some(1));
    let e = err_text(&a);
    assert!(e.contains("schema version 99") && e.contains("s.db"), "{e}");
    let a = cli!("add", "--store", &store, dir.path().join("d1.csv")).failure();
    assert!(
        err_text(&a).contains("schema version 99"),
        "{}",
        err_text(&a)
    );
    // Not a store at all.
    let junk = write(
        dir.path(),
        "junk.db",
        "this is not a database, it is a text file of some length, long enough to be read as a header of one",
    );
    let a = cli!("roster", "--store", &junk, "--out", dir.path().join("r")).failure();
    assert!(err_text(&a).contains("junk.db"), "{}", err_text(&a));
}

#[test]
fn a_second_writer_waits_then_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_days(dir.path(), "2");
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let a = cli!(
        "decide",
        "--store",
        &store,
        "--match",
        "consulate:c3",
        "hospital:h2",
        "--wait",
        "1"
    )
    .failure();
    assert_eq!(a.get_output().status.code(), Some(1));
    assert!(
        err_text(&a).contains("another listlink is writing to it"),
        "{}",
        err_text(&a)
    );
    // Readers are not held up by a writer.
    roster(&store, &dir.path().join("r"), None);
    conn.execute_batch("ROLLBACK").unwrap();
    cli!(
        "decide",
        "--store",
        &store,
        "--match",
        "consulate:c3",
        "hospital:h2"
    )
    .success();
}

#[test]
fn find_in_a_store_gives_each_candidate_its_person() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_days(dir.path(), "2");
    let list = write(
        dir.path(),
        "q.csv",
        "id,given_name,surname,sex,date_of_birth\nq1,Pavel,Orlov,M,1975-11-30\nq2,Ivan,Nobody,M,2001-01-01\n",
    );
    let out = dir.path().join("f");
    cli!("find", "--store", &store, "--list", &list, "--out", &out).success();
    let found = read(&out.join("found.csv"));
    assert!(
        found.starts_with(
            "query_source,query_id,query_name,query_birth,status,rank,candidate_person_id,"
        ),
        "{found}"
    );
    assert!(
        found.contains("q,q1,Pavel Orlov,1975-11-30,found,1,P-000002,"),
        "{found}"
    );
    assert!(
        found.contains("q,q2,Ivan Nobody,2001-01-01,not_found"),
        "{found}"
    );
    // Neither --roster nor --store; both.
    let a = cli!("find", "--list", &list, "--out", dir.path().join("g")).failure();
    assert_eq!(a.get_output().status.code(), Some(1));
    assert!(
        err_text(&a).contains("--roster FILE... or --store"),
        "{}",
        err_text(&a)
    );
    let a = cli!(
        "find",
        "--store",
        &store,
        "--roster",
        &list,
        "--list",
        &list,
        "--out",
        dir.path().join("g")
    )
    .failure();
    assert_eq!(a.get_output().status.code(), Some(1));
}

/// A cheap seeded generator for the kill times.
fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// Copies a store (closed, so its log is checkpointed) to a new path.
fn copy_store(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap();
    for ext in ["-wal", "-shm"] {
        let mut f = from.as_os_str().to_owned();
        f.push(ext);
        let _ = fs::remove_file({
            let mut t = to.as_os_str().to_owned();
            t.push(ext);
            PathBuf::from(t)
        });
        assert!(!Path::new(&f).exists(), "{} left open", from.display());
    }
}

#[test]
fn an_add_killed_at_any_point_leaves_the_store_as_it_was() {
    let records: usize = std::env::var("LISTLINK_FAULT_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let kills = 20;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli!(
        "generate",
        "--kind",
        "febrl",
        "--records",
        "2000",
        "--seed",
        "1",
        "--out",
        d.join("g1")
    )
    .success();
    cli!(
        "generate",
        "--kind",
        "febrl",
        "--records",
        records.to_string(),
        "--seed",
        "2",
        "--out",
        d.join("g2")
    )
    .success();
    let base = d.join("base.db");
    cli!(
        "add",
        "--store",
        &base,
        d.join("g1/people.csv"),
        "--source",
        "day1",
        "--received",
        "2026-03-01"
    )
    .success();
    let before = roster(&base, &d.join("before"), Some("2026-01-01"));
    // The whole add once, timed: the kills fall anywhere in it.
    let full = d.join("full.db");
    copy_store(&base, &full);
    let clock = std::time::Instant::now();
    let add_args = |store: &Path| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("listlink"));
        c.arg("add")
            .arg("--store")
            .arg(store)
            .arg(d.join("g2/people.csv"))
            .args(["--source", "day2", "--received", "2026-03-02"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    assert!(add_args(&full).status().unwrap().success());
    let took = clock.elapsed();
    let after = roster(&full, &d.join("after"), Some("2026-01-01"));
    assert_ne!(before, after);
    let mut state = 7u64;
    let (mut as_before, mut as_after) = (0, 0);
    for k in 0..kills {
        let trial = d.join(format!("t{k}.db"));
        copy_store(&base, &trial);
        let at = took.mul_f64((next(&mut state) % 1000) as f64 / 1000.0);
        let mut child = add_args(&trial).spawn().unwrap();
        std::thread::sleep(at);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let conn = rusqlite::Connection::open(&trial).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "kill {k} at {at:?}");
        drop(conn);
        let now = roster(&trial, &d.join(format!("r{k}")), Some("2026-01-01"));
        if now == before {
            as_before += 1;
        } else {
            // Killed after its commit: the add is whole.
            assert_eq!(
                now, after,
                "kill {k} at {at:?}: the store is neither before nor after"
            );
            as_after += 1;
        }
        let _ = fs::remove_file(&trial);
    }
    eprintln!(
        "{records} records: add took {took:?}; {kills} kills: {as_before} left the store as before, {as_after} after a whole add"
    );
    // Kills fall uniformly over the first add's time, and most of an add comes before its
    // commit; but a loaded machine (other tests running beside the first add) makes the later
    // adds relatively faster and moves kills past the commit. A quarter landing before it is
    // enough to show the kills hit the add while it works.
    assert!(
        as_before >= kills / 4,
        "too few kills landed before the commit: {as_before} of {kills}"
    );
}
