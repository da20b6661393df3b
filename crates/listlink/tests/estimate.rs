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
