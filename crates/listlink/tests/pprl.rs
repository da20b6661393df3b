//! `listlink encode` and `listlink link --encoded` through the real binary: clkhash's CLKs byte
//! for byte, linkage, errors that say where, and the secret nowhere in any output, log line or
//! error.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const SECRET: &str = "Zx9-unmistakable-secret-Qw7";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../listlink-pprl/tests/fixtures")
}

fn listlink() -> Command {
    let mut c = Command::cargo_bin("listlink").unwrap();
    c.env("LISTLINK_LOG", "trace");
    c
}

/// Every output: the files written under `dir`, stdout and stderr.
struct Outputs {
    texts: Vec<(String, Vec<u8>)>,
}

impl Outputs {
    fn new() -> Outputs {
        Outputs { texts: Vec::new() }
    }

    fn run(&mut self, cmd: &mut Command, label: &str) -> std::process::Output {
        let out = cmd.output().unwrap();
        self.texts
            .push((format!("{label}: stdout"), out.stdout.clone()));
        self.texts
            .push((format!("{label}: stderr"), out.stderr.clone()));
        out
    }

    fn files_under(&mut self, dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                self.files_under(&path);
            } else if path.file_name().is_some_and(|n| n != "secret.txt") {
                self.texts
                    .push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }

    /// The secret in any of the forms a leak could take: raw, base64, hex.
    fn assert_no_secret(&self) {
        use std::fmt::Write;
        let hex = SECRET.bytes().fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        });
        let b64 = base64_of(SECRET.as_bytes());
        for (label, bytes) in &self.texts {
            let text = String::from_utf8_lossy(bytes).to_lowercase();
            for needle in [
                SECRET.to_lowercase(),
                hex.clone(),
                b64.to_lowercase(),
                "zx9-unmistakable".into(),
            ] {
                assert!(
                    !text.contains(&needle),
                    "{label} holds the secret ({needle})"
                );
            }
        }
        assert!(self.texts.len() > 10, "the check saw the outputs");
    }
}

fn base64_of(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn encode_gives_clkhash_clks_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixtures().join("febrl_tutorial");
    let out = dir.path().join("a.clk.json");
    listlink()
        .args(["encode", "--schema"])
        .arg(fx.join("schema.json"))
        .arg("--secret-file")
        .arg(fx.join("secret.txt"))
        .arg(fx.join("data.csv"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(fx.join("clks.json")).unwrap()
    );
    // the secret from stdin gives the same file
    let out2 = dir.path().join("b.clk.json");
    listlink()
        .args(["encode", "--schema"])
        .arg(fx.join("schema.json"))
        .args(["--secret-file", "-"])
        .arg(fx.join("data.csv"))
        .arg("--out")
        .arg(&out2)
        .write_stdin(std::fs::read(fx.join("secret.txt")).unwrap())
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap());
}

/// A list against a copy of itself with a few records altered: every row finds itself.
#[test]
fn link_encoded_matches_records_to_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixtures().join("febrl_tutorial");
    let key = dir.path().join("key");
    std::fs::write(&key, format!("{SECRET}\n")).unwrap();
    let text = std::fs::read_to_string(fx.join("data.csv")).unwrap();
    // the second list: every tenth record with its surname misspelt
    let mut altered = String::new();
    for (n, line) in text.lines().enumerate() {
        if n > 0 && n % 10 == 0 {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            cells[2].push('x');
            altered.push_str(&cells.join(","));
        } else {
            altered.push_str(line);
        }
        altered.push('\n');
    }
    std::fs::write(dir.path().join("b.csv"), altered).unwrap();
    for (csv, clk) in [
        (fx.join("data.csv"), "left.clk.json"),
        (dir.path().join("b.csv"), "right.clk.json"),
    ] {
        listlink()
            .args(["encode", "--schema"])
            .arg(fx.join("schema.json"))
            .arg("--secret-file")
            .arg(&key)
            .arg(csv)
            .arg("--out")
            .arg(dir.path().join(clk))
            .assert()
            .success();
    }
    for extra in [&[][..], &["--em"][..]] {
        let out = dir.path().join(format!("out{}", extra.len()));
        listlink()
            .args(["link", "--encoded"])
            .arg(dir.path().join("left.clk.json"))
            .arg(dir.path().join("right.clk.json"))
            .args(extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let pairs = std::fs::read_to_string(out.join("pairs.csv")).unwrap();
        let mut lines = pairs.lines();
        assert_eq!(
            lines.next().unwrap(),
            "\u{feff}left_source,left_id,right_source,right_id,match_probability,match_weight,dice"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 300, "{extra:?}");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!((r[0], r[2]), ("left.clk.json", "right.clk.json"));
            assert_eq!(r[1], i.to_string());
            assert_eq!(r[3], i.to_string());
            let p: f64 = r[4].parse().unwrap();
            assert!(p > 0.5, "{r:?}");
        }
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["pairs_compared"], 90_000);
        assert_eq!(report["matches"], 300);
    }
}

#[test]
fn errors_say_where_and_no_output_holds_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("secret.txt");
    std::fs::write(&key, SECRET).unwrap();
    let schema = r#"{"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
      "features": [
        {"identifier": "id", "ignored": true},
        {"identifier": "name", "format": {"type": "string", "maxLength": 20},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 200}, "hash": {"type": "doubleHash"}}},
        {"identifier": "dob", "format": {"type": "date", "format": "%Y-%m-%d"},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": true}, "strategy": {"bitsPerToken": 10},
                     "missingValue": {"sentinel": ""}}}
      ]}"#;
    std::fs::write(d.join("schema.json"), schema).unwrap();
    std::fs::write(
        d.join("bad-schema.json"),
        schema.replace("bitsPerFeature", "bitsPerFeatures"),
    )
    .unwrap();
    std::fs::write(
        d.join("a.csv"),
        "id,name,dob\n1,Anna Ivanova,1970-01-02\n2,Ivan Petrov,\n3,Олег Сидоров,1980-13-01\n",
    )
    .unwrap();
    std::fs::write(
        d.join("b.csv"),
        "id,name,dob\n1,Anna Ivanovna,1970-01-02\n2,Ivan Petrov,1955-05-05\n",
    )
    .unwrap();
    std::fs::write(
        d.join("wrong-header.csv"),
        "id,nom,dob\n1,Anna,1970-01-02\n",
    )
    .unwrap();
    std::fs::write(d.join("key-empty"), "\n").unwrap();
    let out_dir = d.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut outputs = Outputs::new();
    let encode = |schema: &str, list: &str, clk: &str| {
        let mut c = listlink();
        c.args(["encode", "--schema"])
            .arg(d.join(schema))
            .arg("--secret-file")
            .arg(&key)
            .arg(d.join(list))
            .arg("--out")
            .arg(out_dir.join(clk));
        c
    };

    // a value that is not a date: the file, line and field, not the value
    let o = outputs.run(
        &mut encode("schema.json", "a.csv", "a.clk.json"),
        "bad value",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("a.csv: 1 value(s) cannot be encoded"), "{err}");
    assert!(
        err.contains("a.csv:4: dob: does not match the date format \"%Y-%m-%d\""),
        "{err}"
    );
    assert!(
        !err.contains("1980-13-01"),
        "the value itself is not repeated: {err}"
    );
    assert!(
        !out_dir.join("a.clk.json").exists(),
        "no output from a failed run"
    );

    // a schema error names the path of the key at fault
    let o = outputs.run(
        &mut encode("bad-schema.json", "b.csv", "b.clk.json"),
        "bad schema",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad-schema.json: features[1].hashing.strategy: expected exactly one of"),
        "{err}"
    );

    // the header must name the features
    let o = outputs.run(
        &mut encode("schema.json", "wrong-header.csv", "c.clk.json"),
        "header",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("wrong-header.csv:1: the header must name")
    );

    // an empty secret
    let o = outputs.run(
        listlink()
            .args(["encode", "--schema"])
            .arg(d.join("schema.json"))
            .arg("--secret-file")
            .arg(d.join("key-empty"))
            .arg(d.join("b.csv"))
            .arg("--out")
            .arg(out_dir.join("d.clk.json")),
        "empty secret",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the secret is empty"));

    // good runs: encode both, link them
    std::fs::write(
        d.join("a.csv"),
        "id,name,dob\n1,Anna Ivanova,1970-01-02\n2,Ivan Petrov,\n",
    )
    .unwrap();
    for (list, clk) in [("a.csv", "a.clk.json"), ("b.csv", "b.clk.json")] {
        let o = outputs.run(&mut encode("schema.json", list, clk), "encode");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = outputs.run(
        listlink()
            .args(["link", "--encoded"])
            .arg(out_dir.join("a.clk.json"))
            .arg(out_dir.join("b.clk.json"))
            .args(["--threshold", "0.6", "--out"])
            .arg(out_dir.join("linked")),
        "link",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pairs = std::fs::read_to_string(out_dir.join("linked/pairs.csv")).unwrap();
    assert!(pairs.contains("a.clk.json,0,b.clk.json,0,"), "{pairs}");
    assert!(pairs.contains("a.clk.json,1,b.clk.json,1,"), "{pairs}");

    // link errors: lengths that differ, a threshold out of range, options of the plain link
    std::fs::write(out_dir.join("short.clk.json"), "{\"clks\": [\"AAAA\"]}").unwrap();
    let o = outputs.run(
        listlink()
            .args(["link", "--encoded"])
            .arg(out_dir.join("a.clk.json"))
            .arg(out_dir.join("short.clk.json"))
            .arg("--out")
            .arg(d.join("x")),
        "lengths",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has 1024-bit encodings"));
    let o = outputs.run(
        listlink()
            .args(["link", "--encoded"])
            .arg(out_dir.join("a.clk.json"))
            .arg(out_dir.join("b.clk.json"))
            .args(["--threshold", "1.5", "--out"])
            .arg(d.join("x")),
        "threshold",
    );
    assert_eq!(o.status.code(), Some(1));
    let o = outputs.run(
        listlink()
            .arg("link")
            .arg(d.join("a.csv"))
            .arg(d.join("b.csv"))
            .args(["--threshold", "0.5", "--out"])
            .arg(d.join("x")),
        "plain link with --threshold",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("apply to --encoded links only"));

    outputs.files_under(d);
    outputs.assert_no_secret();
}
