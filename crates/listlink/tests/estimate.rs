//! `listlink estimate`, driven as a user drives it: tiny tables in a temporary folder.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn listlink() -> Command {
    Command::cargo_bin("listlink").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

/// Three lists, 361 people seen.
const PATTERNS: &str = "\
a,b,c,count
1,0,0,120
0,1,0,90
0,0,1,70
1,1,0,30
1,0,1,25
0,1,1,20
1,1,1,6
";

#[test]
fn patterns_give_a_selected_loglinear_estimate_and_every_model() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "table.csv", PATTERNS);
    let out = dir.path().join("est");
    let a = listlink()
        .args(["estimate", "--patterns"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        stdout.starts_with("361 people observed; estimated total"),
        "{stdout}"
    );
    let j = json(&out.join("estimate.json"));
    assert_eq!(j["selected"]["method"], "loglinear");
    assert_eq!(j["observed"], 361);
    let est = j["selected"]["estimate"].as_f64().unwrap();
    let ci = j["selected"]["ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() < est && est < ci[1].as_f64().unwrap());
    assert_eq!(j["models"].as_array().unwrap().len(), 8);
    assert!(
        fs::read_to_string(out.join("estimate.svg"))
            .unwrap()
            .starts_with("<svg")
    );
    // Same input, same seed: the same bytes.
    let out2 = dir.path().join("est2");
    listlink()
        .args(["estimate", "--method", "all", "--seed", "5", "--patterns"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    listlink()
        .args(["estimate", "--method", "all", "--seed", "5", "--patterns"])
        .arg(&p)
        .arg("--out")
        .arg(&out2)
        .assert()
        .success();
    assert_eq!(
        fs::read(out.join("estimate.json")).unwrap(),
        fs::read(out2.join("estimate.json")).unwrap()
    );
}

#[test]
fn clusters_with_pairs_report_the_interval_with_linkage_uncertainty() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    fs::create_dir(&run).unwrap();
    // Two lists: 40 people on a only, 30 on b only, 20 on both; two of the both are uncertain.
    let mut clusters = String::from("source,record_id,cluster_id,cluster_size\n");
    let mut pairs =
        String::from("left_source,left_id,right_source,right_id,match_probability,match_weight\n");
    for i in 0..60 {
        clusters.push_str(&format!("a,{i},a:{i},{}\n", if i < 20 { 2 } else { 1 }));
    }
    for i in 0..50 {
        let cid = if i < 20 {
            format!("a:{i}")
        } else {
            format!("b:{i}")
        };
        clusters.push_str(&format!("b,{i},{cid},{}\n", if i < 20 { 2 } else { 1 }));
        if i < 20 {
            let p = if i < 2 { "0.6" } else { "0.99" };
            pairs.push_str(&format!("a,{i},b,{i},{p},5.0\n"));
        }
    }
    let c = write(&run, "clusters.csv", &clusters);
    write(&run, "pairs.csv", &pairs);
    let out = dir.path().join("est");
    let a = listlink()
        .args(["estimate", "--clusters"])
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(stdout.contains("with linkage uncertainty"), "{stdout}");
    let j = json(&out.join("estimate.json"));
    assert_eq!(j["selected"]["method"], "chapman");
    assert_eq!(j["observed"], 90);
    // Chapman on n1 = 60, n2 = 50, m = 20
    let chapman = 61.0 * 51.0 / 21.0 - 1.0;
    assert!((j["selected"]["estimate"].as_f64().unwrap() - chapman).abs() < 1e-9);
    assert_eq!(j["linkage"]["uncertain_pairs"], 2);
    assert!(
        j["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("two lists only")
    );
}

#[test]
fn a_bad_pattern_value_fails_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.csv", "a,b,count\n1,0,4\n1,x,2\n");
    let a = listlink()
        .args(["estimate", "--patterns"])
        .arg(&p)
        .arg("--out")
        .arg(dir.path().join("est"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        stderr.contains("bad.csv, line 3, field `b`: the value is not 0 or 1"),
        "{stderr}"
    );
    assert!(!dir.path().join("est").join("estimate.json").exists());
}

#[test]
fn by_a_column_estimates_each_stratum_and_their_total() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,c,sex,count\n");
    for (sex, scale) in [("F", 1), ("M", 2)] {
        for line in PATTERNS.lines().skip(1) {
            let (bits, count) = line.rsplit_once(',').unwrap();
            let count: u64 = count.parse().unwrap();
            text.push_str(&format!("{bits},{sex},{}\n", count * scale));
        }
    }
    let p = write(dir.path(), "strata.csv", &text);
    let out = dir.path().join("est");
    listlink()
        .args(["estimate", "--by", "sex", "--patterns"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let j = json(&out.join("estimate.json"));
    let strata = j["strata"].as_array().unwrap();
    assert_eq!(strata.len(), 2);
    assert_eq!(strata[0]["stratum"], "F");
    assert_eq!(strata[1]["observed"], 722);
    let sum: f64 = strata
        .iter()
        .map(|s| s["selected"]["estimate"].as_f64().unwrap())
        .sum();
    assert!((j["selected"]["estimate"].as_f64().unwrap() - sum).abs() < 1e-6);
    assert_eq!(j["observed"], 1083);
}

/// Each person's records (`source:id`) in `roster.csv`.
fn roster_records(roster_csv: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(roster_csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rc = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "records")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[rc].split(';').map(String::from).collect())
        .collect()
}

/// The capture table of a store's persons, from `roster.csv` (its `records` column,
/// `source:id;…`): sources in name order as columns, and `count`.
fn patterns_of_roster(roster_csv: &Path) -> (String, u64) {
    let people: Vec<std::collections::BTreeSet<String>> = roster_records(roster_csv)
        .iter()
        .map(|keys| {
            keys.iter()
                .map(|k| k.rsplit_once(':').unwrap().0.to_string())
                .collect()
        })
        .collect();
    let mut sources: Vec<String> = people.iter().flatten().cloned().collect();
    sources.sort();
    sources.dedup();
    let mut counts: std::collections::BTreeMap<Vec<u8>, u64> = Default::default();
    for p in &people {
        let bits = sources.iter().map(|s| u8::from(p.contains(s))).collect();
        *counts.entry(bits).or_default() += 1;
    }
    let mut out = format!("{},count\n", sources.join(","));
    for (bits, n) in counts {
        let cells: Vec<String> = bits.iter().map(|b| b.to_string()).collect();
        out.push_str(&format!("{},{n}\n", cells.join(",")));
    }
    (out, people.len() as u64)
}

/// The demo lists in a store: the estimate from `--store` is the estimate from the capture
/// table of the store's persons, with the linkage interval beside it; a not-match decision
/// changes the table and the estimate with it; `--by` a column of the lists gives strata.
#[test]
fn a_store_estimates_from_its_persons_with_the_linkage_interval() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    let store = dir.path().join("s.db");
    for (list, source, day) in [
        ("roster.csv", None, "2026-03-01"),
        ("consular.csv", Some("consulate"), "2026-03-02"),
    ] {
        let mut cmd = listlink();
        cmd.args(["add", "--store"])
            .arg(&store)
            .arg(demo.join(list))
            .args(["--received", day]);
        if let Some(s) = source {
            cmd.args(["--source", s]);
        }
        cmd.assert().success();
    }
    let check = |name: &str| -> serde_json::Value {
        let roster = dir.path().join(format!("roster-{name}"));
        listlink()
            .args(["roster", "--store"])
            .arg(&store)
            .arg("--out")
            .arg(&roster)
            .assert()
            .success();
        let (patterns, people) = patterns_of_roster(&roster.join("roster.csv"));
        let p = write(dir.path(), &format!("patterns-{name}.csv"), &patterns);
        let (from_store, from_table) = (
            dir.path().join(format!("store-{name}")),
            dir.path().join(format!("table-{name}")),
        );
        listlink()
            .args(["estimate", "--iterations", "2000", "--store"])
            .arg(&store)
            .arg("--out")
            .arg(&from_store)
            .assert()
            .success();
        listlink()
            .args(["estimate", "--iterations", "2000", "--patterns"])
            .arg(&p)
            .arg("--out")
            .arg(&from_table)
            .assert()
            .success();
        let (s, t) = (
            json(&from_store.join("estimate.json")),
            json(&from_table.join("estimate.json")),
        );
        assert_eq!(s["observed"], people);
        assert_eq!(s["selected"], t["selected"]);
        assert!(
            s["linkage"]["draws"].as_u64().unwrap() > 0,
            "{}",
            s["linkage"]
        );
        s
    };
    let before = check("before");
    // A person of two records, one on the consular list and one on the roster: decided apart.
    let pair = roster_records(&dir.path().join("roster-before/roster.csv"))
        .into_iter()
        .find_map(|keys| {
            if keys.len() != 2 {
                return None;
            }
            let c = keys.iter().find(|k| k.starts_with("consulate:"))?;
            let o = keys.iter().find(|k| !k.starts_with("consulate:"))?;
            Some((c.clone(), o.clone()))
        })
        .expect("a person on the consular list and the roster");
    listlink()
        .args(["decide", "--store"])
        .arg(&store)
        .args(["--not-match", &pair.0, &pair.1, "--by", "test"])
        .assert()
        .success();
    let after = check("after");
    assert_eq!(
        after["observed"].as_u64().unwrap(),
        before["observed"].as_u64().unwrap() + 1
    );

    let strata = dir.path().join("strata");
    listlink()
        // Five roster sources and the consulate, split by sex: tables too sparse for a
        // log-linear model; LCMCR takes them.
        .args([
            "estimate",
            "--iterations",
            "2000",
            "--method",
            "lcmcr",
            "--by",
            "sex",
            "--store",
        ])
        .arg(&store)
        .arg("--out")
        .arg(&strata)
        .assert()
        .success();
    let j = json(&strata.join("estimate.json"));
    assert!(j["strata"].as_array().unwrap().len() >= 2, "{j}");
    let bad = listlink()
        .args(["estimate", "--by", "nosuch", "--store"])
        .arg(&store)
        .arg("--out")
        .arg(dir.path().join("bad"))
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&bad.get_output().stderr).into_owned();
    assert!(
        err.contains("--by nosuch") && err.contains("date_of_birth"),
        "{err}"
    );
}
