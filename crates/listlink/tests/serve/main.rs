//! `listlink serve` driven over real HTTP on loopback: every route, success and failure; the
//! security rules; the OpenAPI document against the routes; and a fault test (decisions posted
//! from 8 clients while the server is SIGKILLed: every decision acknowledged is kept).

mod browser;
mod http;

use assert_cmd::Command;
use http::{Reply, Server, request};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn listlink() -> Command {
    Command::cargo_bin("listlink").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Settings and a model trained once on the demo lists, so that tiny lists are scored by a
/// model that knows these names (as `tests/store.rs` does).
fn trained() -> &'static (PathBuf, PathBuf) {
    static TRAINED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
        let out = dir.join("m");
        listlink()
            .arg("link")
            .arg(demo.join("consular.csv"))
            .arg(demo.join("roster.csv"))
            .arg("--out")
            .arg(&out)
            .args(["--as-of", "2026-01-01"])
            .assert()
            .success();
        let settings = fs::read_to_string(out.join("settings.toml"))
            .unwrap()
            .replace("term_frequency = true", "term_frequency = false");
        let settings = write(&dir, "settings.toml", &settings);
        (settings, out.join("model.json"))
    })
}

pub const DAY1: &str = "\
id,given_name,surname,sex,date_of_birth
c1,Anna,Ivanova,F,1980-02-03
c2,Pavel,Orlov,M,1975-11-30
c3,Olga,Smirnova,F,1990-07-14
c4,Yosef,Cohen,M,1969-01-01
c5,Maria,Petrova,F,1985-05-05
";

/// h1 and h3 are c1 and c2; h5 has c5's name and nothing else to tell (the review band);
/// h2 is new.
pub const DAY2: &str = "\
id,given_name,surname,sex,date_of_birth,status
h1,Anna,Ivanova,F,1980-02-03,missing
h2,Boris,Kuznetsov,M,1960-04-04,injured
h3,Pavel,Orlov,M,1975-11-30,injured
h5,Maria,Petrova,,,missing
";

pub const DAY3: &str = "\
id,given_name,surname,sex,date_of_birth,status
h4,Elena,Volkova,F,1999-12-12,missing
";

fn add(store: &Path, list: &Path, source: &str, day: &str) {
    let (settings, model) = trained();
    listlink()
        .args(["add", "--store"])
        .arg(store)
        .arg(list)
        .args(["--source", source, "--received", day, "--settings"])
        .arg(settings)
        .arg("--model")
        .arg(model)
        .assert()
        .success();
}

/// A store of two days in a new temporary folder.
fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    add(
        &store,
        &write(dir.path(), "d1.csv", DAY1),
        "consulate",
        "2026-03-01",
    );
    add(
        &store,
        &write(dir.path(), "d2.csv", DAY2),
        "hospital",
        "2026-03-02",
    );
    (dir, store)
}

fn csrf(server: &Server) -> String {
    let r = server.get("/api/csrf");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["csrf_token"].as_str().unwrap().to_string()
}

fn post_json(server: &Server, path: &str, body: &Value, csrf: &str) -> Reply {
    server.send(
        "POST",
        path,
        &[("X-CSRF-Token", csrf), ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// The error's field, asserting the body is the JSON error shape.
fn field(r: &Reply) -> String {
    let v = r.json();
    assert!(v["error"]["message"].is_string(), "{}", r.text());
    v["error"]["field"].as_str().unwrap().to_string()
}

#[test]
fn healthz_and_the_host_check() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let r = server.get("/api/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["records"], 9);
    // A page from another name resolving to 127.0.0.1 (DNS rebinding) is refused.
    let r = request(
        server.addr,
        "GET",
        "/api/healthz",
        &[("Host", "evil.example:80")],
        b"",
    );
    assert_eq!(r.status, 403);
    assert_eq!(field(&r), "host");
    let r = server.get("/api/nothing-here");
    assert_eq!(r.status, 404);
    assert_eq!(field(&r), "path");
}

#[test]
fn match_finds_the_person_and_explains_the_weight_part_by_part() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    let body = json!({"records": [
        {"given_name": "Анна", "surname": "Иванова", "date_of_birth": "1980-02-03"},
        {"given_name": "Zebulon", "surname": "Quartermaine", "date_of_birth": "1901-01-01"},
    ], "top": 2});
    let r = post_json(&server, "/api/match", &body, &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["status"], "found", "{}", results[0]);
    let best = &results[0]["candidates"][0];
    let key = format!(
        "{}:{}",
        best["record"]["source"].as_str().unwrap(),
        best["record"]["id"].as_str().unwrap()
    );
    assert!(key == "consulate:c1" || key == "hospital:h1", "{key}");
    assert!(best["person_id"].as_str().unwrap().starts_with("P-"));
    assert!(best["probability"].as_f64().unwrap() >= 0.5);
    // The parts add up to the weight: a waterfall that ends where the score is.
    let parts = best["explanation"].as_array().unwrap();
    let sum: f64 = parts.iter().map(|p| p["weight"].as_f64().unwrap()).sum();
    let weight = best["weight"].as_f64().unwrap();
    assert!(
        (sum - weight).abs() < 1e-6,
        "parts {sum} against weight {weight}"
    );
    let family = parts
        .iter()
        .find(|p| p["comparison"].as_str().unwrap().contains("family"))
        .expect("a family-name comparison");
    assert!(family["rule"].is_string(), "{family}");
    assert!(family["level"].is_string());
    assert_eq!(results[1]["status"], "not_found", "{}", results[1]);
    // Both persons of the first answer are the ones the person route shows.
    let person = best["person_id"].as_str().unwrap();
    let p = server.get(&format!("/api/persons/{person}"));
    assert_eq!(p.status, 200);
    let mut keys: Vec<String> = p.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(keys, ["consulate:c1", "hospital:h1"]);
}

#[test]
fn match_refuses_bad_requests_naming_the_field() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"records": []}), 422, "records"),
        (
            json!({"records": [{"given_name": "Anna", "age": {"x": 1}}]}),
            422,
            "records[0].age",
        ),
        (json!({"records": [{"colour": "blue"}]}), 422, "records"),
        (
            json!({"records": [{"given_name": "Anna"}], "top": 0}),
            422,
            "top",
        ),
        (
            json!({"records": [{"given_name": "Anna"}], "limit": 3}),
            422,
            "limit",
        ),
        (json!({"top": 3}), 422, "records"),
        (json!({"records": "Anna"}), 422, "records"),
        (
            json!({"records": vec![json!({"given_name": "Anna"}); 1001]}),
            413,
            "records",
        ),
    ];
    for (body, status, expected) in cases {
        let r = post_json(&server, "/api/match", &body, &token);
        assert_eq!(r.status, status, "{body}: {}", r.text());
        assert_eq!(field(&r), expected, "{body}: {}", r.text());
    }
    // Duplicate ids in one batch: the second is named.
    let body = json!({"records": [{"id": "q1", "given_name": "Anna"}, {"id": "q1", "given_name": "Olga"}]});
    let r = post_json(&server, "/api/match", &body, &token);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(field(&r).starts_with("records[1]"), "{}", r.text());
    // Not JSON, and too large.
    let r = server.send("POST", "/api/match", &[("X-CSRF-Token", &token)], b"{}");
    assert_eq!(r.status, 415);
    assert_eq!(field(&r), "content-type");
    let r = server.send(
        "POST",
        "/api/match",
        &[
            ("X-CSRF-Token", &token),
            ("Content-Type", "application/json"),
        ],
        b"{\"records\": [",
    );
    assert_eq!(r.status, 400);
    let big = format!(
        "{{\"records\": [{{\"given_name\": \"{}\"}}]}}",
        "a".repeat(listlink_serve_limit() + 10)
    );
    let r = server.send(
        "POST",
        "/api/match",
        &[
            ("X-CSRF-Token", &token),
            ("Content-Type", "application/json"),
        ],
        big.as_bytes(),
    );
    assert_eq!(r.status, 413);
    assert_eq!(field(&r), "body");
    // A batch of 1,000 is accepted.
    let body = json!({"records": vec![json!({"given_name": "Anna", "surname": "Ivanova"}); 1000], "top": 1});
    let r = post_json(&server, "/api/match", &body, &token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 1000);
}

/// `listlink_serve::MAX_JSON_BYTES`, as the test binary does not link the server crate.
fn listlink_serve_limit() -> usize {
    4 << 20
}

#[test]
fn persons_and_review_and_pair() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    for bad in ["/api/persons/P-999999", "/api/persons/nobody"] {
        let r = server.get(bad);
        assert_eq!(r.status, 404, "{bad}");
        assert_eq!(field(&r), "person_id");
    }
    for (bad, f) in [
        ("/api/review?limit=abc", "limit"),
        ("/api/review?limit=0", "limit"),
        ("/api/review?colour=1", "colour"),
    ] {
        let r = server.get(bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(field(&r), f);
    }
    let r = server.get("/api/review?limit=10");
    assert_eq!(r.status, 200);
    let pairs = r.json()["pairs"].as_array().unwrap().clone();
    // Maria Petrova on two days, the second without sex or birth date: the pair waits for a person.
    let maria = pairs
        .iter()
        .find(|p| {
            let k = [
                p["left"]["key"].as_str().unwrap(),
                p["right"]["key"].as_str().unwrap(),
            ];
            k.contains(&"consulate:c5") && k.contains(&"hospital:h5")
        })
        .unwrap_or_else(|| panic!("c5 ~ h5 in the queue: {pairs:?}"));
    assert_eq!(maria["has_status"], true);
    let p = maria["probability"].as_f64().unwrap();
    assert!((0.1..1.0).contains(&p), "{p}");
    // Ordered: status first, then more records touched.
    let order: Vec<(bool, u64)> = pairs
        .iter()
        .filter(|p| !p["unsure"].as_bool().unwrap())
        .map(|p| {
            (
                p["has_status"].as_bool().unwrap(),
                p["records_touched"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, sorted);
    let r = server.get(&format!(
        "/api/pair?left={}&right={}",
        maria["left"]["key"].as_str().unwrap(),
        maria["right"]["key"].as_str().unwrap()
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    let e = r.json();
    assert_eq!(e["candidate"], true, "{e}");
    // As read: the name's parts with their Latin renderings, and the rule that paired them.
    let read = |side: &str| -> Vec<String> {
        e["as_read"][side]
            .as_array()
            .unwrap()
            .iter()
            .map(|it| it["read"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(read("left").iter().any(|r| r == "family name"), "{e}");
    assert!(read("right").iter().any(|r| r == "given name"), "{e}");
    assert!(
        e["blocking_rule"].as_str().is_some_and(|r| !r.is_empty()),
        "{e}"
    );
    assert!(
        (e["probability"].as_f64().unwrap() - p).abs() < 0.05,
        "{e} against {p}"
    );
    let r = server.get("/api/pair?left=consulate:c5");
    assert_eq!(r.status, 422);
    assert_eq!(field(&r), "right");
    let r = server.get("/api/pair?left=consulate:c5&right=hospital:nobody");
    assert_eq!(r.status, 404);
    assert_eq!(field(&r), "right");
}

#[test]
fn decisions_are_recorded_listed_undone_and_refused_when_they_contradict() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    let decide = |left: &str, right: &str, decision: &str| {
        post_json(
            &server,
            "/api/decisions",
            &json!({"left": left, "right": right, "decision": decision, "note": "checked", "by": "desk-1"}),
            &token,
        )
    };
    // Without the CSRF token: refused, nothing recorded.
    let r = server.send(
        "POST",
        "/api/decisions",
        &[("Content-Type", "application/json")],
        json!({"left": "consulate:c5", "right": "hospital:h5", "decision": "match"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 403);
    assert_eq!(field(&r), "x-csrf-token");
    let r = decide("consulate:c5", "hospital:h5", "match");
    assert_eq!(r.status, 201, "{}", r.text());
    let first = r.json()["id"].as_i64().unwrap();
    let persons = r.json()["persons"].clone();
    assert_eq!(
        persons[0], persons[1],
        "a match joins the records: {persons}"
    );
    // The decision is the CLI's: the roster shows them as one person.
    let p = server.get(&format!("/api/persons/{}", persons[0].as_str().unwrap()));
    assert_eq!(p.json()["records"].as_array().unwrap().len(), 2);
    assert_eq!(p.json()["decisions"][0]["id"], first);
    // c1 and h1 are one person by the model; c5 is now with h5. A not-match of c1 and h1 is fine.
    let r = decide("consulate:c1", "hospital:h1", "not_match");
    assert_eq!(r.status, 201, "{}", r.text());
    let second = r.json()["id"].as_i64().unwrap();
    assert_ne!(r.json()["persons"][0], r.json()["persons"][1]);
    // A match that contradicts it through a chain: c1 = h1 cannot hold beside the not-match.
    let r = decide("hospital:h1", "consulate:c1", "match");
    assert_eq!(
        r.status,
        201,
        "the latest decision on a pair wins: {}",
        r.text()
    );
    let third = r.json()["id"].as_i64().unwrap();
    let r = decide("consulate:c5", "consulate:c1", "match");
    assert_eq!(r.status, 201, "{}", r.text());
    let r = decide("hospital:h5", "hospital:h1", "not_match");
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(field(&r), "decision");
    // Bad requests name their field.
    for (body, status, f) in [
        (
            json!({"left": "consulate:c1", "right": "hospital:nobody", "decision": "match"}),
            404,
            "right",
        ),
        (
            json!({"left": "nobody:x", "right": "hospital:h1", "decision": "match"}),
            404,
            "left",
        ),
        (
            json!({"left": "consulate:c1", "right": "hospital:h1", "decision": "maybe"}),
            422,
            "decision",
        ),
        (
            json!({"left": "consulate", "right": "hospital:h1", "decision": "match"}),
            422,
            "left",
        ),
        (
            json!({"right": "hospital:h1", "decision": "match"}),
            422,
            "left",
        ),
        (
            json!({"left": "consulate:c1", "right": "consulate:c1", "decision": "match"}),
            422,
            "decision",
        ),
    ] {
        let r = post_json(&server, "/api/decisions", &body, &token);
        assert_eq!(r.status, status, "{body}: {}", r.text());
        assert_eq!(field(&r), f, "{body}");
    }
    // The log, since a decision id.
    let r = server.get("/api/decisions");
    let all = r.json()["decisions"].as_array().unwrap().clone();
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[0]["decision"], "match");
    assert_eq!(all[1]["decision"], "not_match");
    assert_eq!(all[0]["by"], "desk-1");
    let r = server.get(&format!("/api/decisions?since={second}"));
    let later: Vec<i64> = r.json()["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert!(later.iter().all(|&id| id > second) && later.contains(&third));
    let r = server.get("/api/decisions?since=yesterday");
    assert_eq!(r.status, 400);
    assert_eq!(field(&r), "since");
    // By date: every decision from a day long past, none from a day to come.
    let r = server.get("/api/decisions?since=2000-01-01");
    assert_eq!(r.json()["decisions"].as_array().unwrap().len(), 4);
    let r = server.get("/api/decisions?since=2999-01-01T00:00:00Z");
    assert_eq!(r.status, 200);
    assert!(r.json()["decisions"].as_array().unwrap().is_empty());
    let r = server.get("/api/decisions?since=2026-02-30");
    assert_eq!(r.status, 400);
    // Undo the last match of c1 and h1: the not-match before it is in force again.
    let r = server.send(
        "DELETE",
        &format!("/api/decisions/{third}"),
        &[("X-CSRF-Token", &token)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let undo = r.json()["id"].as_i64().unwrap();
    let log = server
        .get(&format!("/api/decisions?since={}", undo - 1))
        .json();
    assert_eq!(log["decisions"][0]["decision"], "undo");
    assert_eq!(log["decisions"][0]["undoes"], third);
    let c1 = post_json(&server, "/api/match", &json!({"records": [{"id": "q", "given_name": "Anna", "surname": "Ivanova", "date_of_birth": "1980-02-03"}], "top": 2}), &token).json();
    let cands = c1["results"][0]["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 2);
    assert_ne!(
        cands[0]["person_id"], cands[1]["person_id"],
        "the not-match holds again"
    );
    // Undo twice, an undo, a decision that is not there, or no number: refused.
    for (path, status, f) in [
        (format!("/api/decisions/{third}"), 409, "id"),
        (format!("/api/decisions/{undo}"), 422, "id"),
        ("/api/decisions/9999".to_string(), 404, "id"),
        ("/api/decisions/abc".to_string(), 400, "id"),
    ] {
        let r = server.send("DELETE", &path, &[("X-CSRF-Token", &token)], b"");
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert_eq!(field(&r), f);
    }
    let r = server.send("DELETE", &format!("/api/decisions/{first}"), &[], b"");
    assert_eq!(
        r.status, 403,
        "an undo changes the store: it needs the CSRF token"
    );
    drop(server);
    // The log is the store's: `listlink roster` sees the decisions in history.csv.
    let out = tempfile::tempdir().unwrap();
    listlink()
        .args(["roster", "--store"])
        .arg(&store)
        .arg("--out")
        .arg(out.path().join("r"))
        .assert()
        .success();
    let history = fs::read_to_string(out.path().join("r/history.csv")).unwrap();
    assert!(
        history.contains(&format!("undo of decision {third} (match)")),
        "{history}"
    );
}

#[test]
fn lists_are_added_over_http_and_looked_up_at_once() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    let r = server.multipart(
        "/api/lists",
        &token,
        &[
            ("file", Some("d3.csv"), DAY3.as_bytes()),
            ("source", None, b"hospital"),
            ("received", None, b"2026-03-03"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rows_accepted"], 1);
    assert_eq!(v["new_records"], 1);
    assert_eq!(server.get("/api/healthz").json()["records"], 10);
    let m = post_json(
        &server,
        "/api/match",
        &json!({"records": [{"given_name": "Elena", "surname": "Volkova", "date_of_birth": "1999-12-12"}]}),
        &token,
    )
    .json();
    assert_eq!(m["results"][0]["status"], "found", "{m}");
    assert_eq!(m["results"][0]["candidates"][0]["record"]["id"], "h4");
    for (case, (parts, status, f)) in [
        (vec![("source", None, b"x".as_slice())], 422, "file"),
        (
            vec![
                ("file", Some("d.csv"), DAY3.as_bytes()),
                ("colour", None, b"red".as_slice()),
            ],
            422,
            "colour",
        ),
        (
            vec![
                ("file", Some("d.csv"), DAY3.as_bytes()),
                ("received", None, b"03/03/2026".as_slice()),
            ],
            422,
            "received",
        ),
        (
            vec![("file", Some("d.csv"), b"\x00\x01\x02 not a list".as_slice())],
            422,
            "file",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let r = server.multipart("/api/lists", &token, &parts);
        assert_eq!(r.status, status, "case {case}: {}", r.text());
        assert_eq!(field(&r), f);
    }
    assert_eq!(
        server.get("/api/healthz").json()["records"],
        10,
        "a failed add adds nothing"
    );
    // Asked for progress: a line per stage as it starts, then the result (or the error).
    let lines = |r: &Reply| -> Vec<serde_json::Value> {
        assert_eq!(r.status, 200, "{}", r.text());
        r.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let r = server.multipart_accepting(
        "/api/lists",
        &token,
        &[
            ("file", Some("d4.csv"), DAY3.as_bytes()),
            ("source", None, b"hospital"),
            ("received", None, b"2026-03-04"),
        ],
        "application/x-ndjson",
    );
    let got = lines(&r);
    let stages: Vec<&str> = got.iter().filter_map(|l| l["stage"].as_str()).collect();
    assert!(
        stages.starts_with(&["reading the list", "opening the store", "writing records"]),
        "{stages:?}"
    );
    assert!(stages.contains(&"recomputing persons"), "{stages:?}");
    let last = got.last().unwrap();
    assert_eq!(
        last["result"]["list_version"],
        v["list_version"].as_i64().unwrap() + 1,
        "{last}"
    );
    assert_eq!(last["result"]["new_records"], 0);
    let r = server.multipart_accepting(
        "/api/lists",
        &token,
        &[("file", Some("d.csv"), b"\x00\x01\x02 not a list".as_slice())],
        "application/x-ndjson",
    );
    let got = lines(&r);
    assert_eq!(got.last().unwrap()["error"]["field"], "file", "{got:?}");
}

#[test]
fn roster_model_openapi_and_pages() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let r = server.get("/api/roster?status=injured");
    assert_eq!(r.status, 200);
    let v = r.json();
    let status = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "status")
        .unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert!(rows.iter().all(|r| r[status] == "injured"));
    let r = server.get("/api/roster?source=consulate");
    assert_eq!(r.json()["rows"].as_array().unwrap().len(), 5);
    assert_eq!(server.get("/api/roster?colour=1").status, 400);
    let m = server.get("/api/model").json();
    assert!(m["model"]["comparisons"].as_array().unwrap().len() >= 3);
    assert!(m["thresholds"]["match_probability"].as_f64().unwrap() > 0.0);
    // Pages: the desk, the roster with its CSV, a person, the model's charts.
    let page = server.get("/");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("<meta name=\"csrf-token\" content=\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );
    assert!(server.get("/assets/desk.js").text().contains("keydown"));
    let roster = server.get("/roster?status=missing").text();
    assert!(
        roster.contains("Ivanova") && !roster.contains("Kuznetsov"),
        "filtered by status"
    );
    let csv = server.get("/roster.csv?source=hospital");
    assert_eq!(csv.status, 200);
    assert!(csv.text().starts_with("\u{feff}person_id,"));
    assert_eq!(csv.text().lines().count(), 5, "{}", csv.text());
    let model = server.get("/model").text();
    assert!(model.contains("<svg") && model.contains("threshold"));
    let person = server.get("/persons/P-000001").text();
    assert!(person.contains("History") && person.contains("P-000001"));
    // A name with markup is shown as text.
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "x.csv",
        "id,given_name,surname,sex,date_of_birth\nx1,<script>alert(1)</script>,Doe,F,1970-01-01\n",
    );
    let token = csrf(&server);
    let bytes = fs::read(&list).unwrap();
    let r = server.multipart("/api/lists", &token, &[("file", Some("x.csv"), &bytes)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let roster = server.get("/roster").text();
    assert!(!roster.contains("<script>alert") && roster.contains("&lt;script&gt;"));
}

#[test]
fn every_route_served_is_documented_and_every_documented_route_is_served() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let doc = server.get("/api/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    // The routes the server declares, read from its router.
    let source = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../listlink-serve/src/lib.rs"),
    )
    .unwrap();
    let router =
        &source[source.find("let api = Router::new()").unwrap()..source.find("let pages").unwrap()];
    let mut served: Vec<(String, String)> = Vec::new();
    for chunk in router.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_string();
        for method in ["get", "post", "delete", "put", "patch"] {
            if chunk.contains(&format!("{method}(")) {
                served.push((method.to_string(), path.clone()));
            }
        }
    }
    served.sort();
    assert_eq!(served, documented);
    // And each documented route answers (with something other than "no such route").
    for (method, path) in &documented {
        let path = path.replace("{person_id}", "P-000001").replace("{id}", "1");
        let r = server.send(&method.to_uppercase(), &path, &[], b"");
        assert!(
            r.status != 404 || field(&r) != "path",
            "{method} {path}: {}",
            r.status
        );
        assert_ne!(r.status, 405, "{method} {path}");
    }
}

#[test]
fn a_token_guards_every_request_and_a_public_address_needs_one() {
    let (dir, store) = store();
    // Not loopback, no token: refused before anything is opened.
    let a = listlink()
        .args(["serve", "--store"])
        .arg(&store)
        .args(["--bind", "0.0.0.0:0"])
        .assert()
        .failure()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("--token-file"), "{err}");
    let short = write(dir.path(), "short", "abc\n");
    listlink()
        .args(["serve", "--store"])
        .arg(&store)
        .arg("--token-file")
        .arg(&short)
        .assert()
        .failure()
        .code(1);
    let token = "s3cret-token-for-the-desk-0123456789";
    let file = write(dir.path(), "token", &format!("{token}\n"));
    let server = Server::start(&store, &["--token-file".as_ref(), file.as_os_str()]);
    for path in ["/api/healthz", "/", "/api/openapi.json"] {
        let r = server.get(path);
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(field(&r), "authorization");
    }
    let bearer = format!("Bearer {token}");
    let wrong = format!("Bearer {}x", &token[..token.len() - 1]);
    let r = server.send("GET", "/api/healthz", &[("Authorization", &wrong)], b"");
    assert_eq!(r.status, 401);
    let r = server.send("GET", "/api/healthz", &[("Authorization", &bearer)], b"");
    assert_eq!(r.status, 200);
    // With the Bearer header, a state-changing request needs no CSRF token.
    let r = server.send(
        "POST",
        "/api/decisions",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        json!({"left": "consulate:c3", "right": "hospital:h2", "decision": "not_match"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    // A browser opens /?token=… once and carries a cookie; with the cookie alone a
    // state-changing request still needs the page's CSRF token.
    let r = server.send("GET", &format!("/?token={token}"), &[], b"");
    assert_eq!(r.status, 200);
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = server.send("GET", "/api/csrf", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200);
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    let body =
        json!({"left": "consulate:c3", "right": "hospital:h2", "decision": "unsure"}).to_string();
    let r = server.send(
        "POST",
        "/api/decisions",
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    let r = server.send(
        "POST",
        "/api/decisions",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &csrf),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
}

#[test]
fn the_log_holds_no_names_or_values() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    post_json(
        &server,
        "/api/match",
        &json!({"records": [{"given_name": "Anna", "surname": "Ivanova", "date_of_birth": "1980-02-03"}]}),
        &token,
    );
    server.get("/api/persons/P-000001");
    server.get("/roster?source=hospital");
    post_json(
        &server,
        "/api/decisions",
        &json!({"left": "consulate:c3", "right": "hospital:h2", "decision": "unsure", "note": "Ivanova"}),
        &token,
    );
    let log = server.stop();
    assert!(
        log.contains("route=/api/match") && log.contains("status=200"),
        "{log}"
    );
    assert!(log.contains("route=/api/persons/{person_id}"), "{log}");
    for secret in [
        "Anna",
        "Ivanova",
        "1980",
        "P-000001",
        "hospital",
        "consulate",
        "c3",
        &token,
    ] {
        assert!(!log.contains(secret), "`{secret}` in the log:\n{log}");
    }
}

/// 1,000 decisions from 8 clients; the server is SIGKILLed midway and started again: every
/// decision answered 201 is in the store, with its pair and kind.
#[test]
fn every_acknowledged_decision_survives_a_sigkill() {
    let (_dir, store) = store();
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    let addr = server.addr;
    let keys = [
        "consulate:c1",
        "consulate:c2",
        "consulate:c3",
        "consulate:c4",
        "consulate:c5",
        "hospital:h1",
        "hospital:h2",
        "hospital:h3",
        "hospital:h5",
    ];
    let acked = std::sync::Mutex::new(Vec::<(i64, String, String)>::new());
    let sent = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for client in 0..8usize {
            let (acked, sent, token) = (&acked, &sent, &token);
            s.spawn(move || {
                for i in 0..125usize {
                    let n = client * 125 + i;
                    let left = keys[n % keys.len()];
                    let right = keys[(n / keys.len() + n + 1) % keys.len()];
                    if left == right {
                        continue;
                    }
                    sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let body = json!({"left": left, "right": right, "decision": "unsure", "note": format!("n{n}")}).to_string();
                    let r = http::try_request(
                        addr,
                        "POST",
                        "/api/decisions",
                        &[("X-CSRF-Token", token), ("Content-Type", "application/json")],
                        body.as_bytes(),
                    );
                    match r {
                        Some(r) if r.status == 201 => acked.lock().unwrap().push((
                            r.json()["id"].as_i64().unwrap(),
                            left.to_string(),
                            right.to_string(),
                        )),
                        Some(r) => panic!("{}: {}", r.status, r.text()),
                        None => return, // the server is gone
                    }
                }
            });
        }
        // Kill once some hundreds are acknowledged, while the clients are still sending.
        let started = std::time::Instant::now();
        while acked.lock().unwrap().len() < 200 && started.elapsed().as_secs() < 120 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        server.kill9();
    });
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() >= 200, "only {} acknowledged", acked.len());
    assert!(
        acked.len() < sent.load(std::sync::atomic::Ordering::SeqCst),
        "the kill came after every request: the test did not test"
    );
    let server = Server::start(&store, &[]);
    let log = server.get("/api/decisions").json();
    let stored: std::collections::HashMap<i64, (String, String)> = log["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_i64().unwrap(),
                (
                    d["left"].as_str().unwrap().to_string(),
                    d["right"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    for (id, left, right) in &acked {
        let (l, r) = stored
            .get(id)
            .unwrap_or_else(|| panic!("decision {id} was acknowledged and is lost"));
        assert!(
            (l == left && r == right) || (l == right && r == left),
            "decision {id}: {l} ~ {r}, sent {left} ~ {right}"
        );
    }
    eprintln!(
        "{} acknowledged before the kill; {} in the store after",
        acked.len(),
        stored.len()
    );
}

/// A store written before undos and the look-up index (schema 1) is brought to schema 3 when
/// opened: its decisions can be undone and its records looked up.
#[test]
fn a_schema_1_store_gains_undos_and_its_index_when_served() {
    let (_dir, store) = store();
    listlink()
        .args(["decide", "--store"])
        .arg(&store)
        .args(["--unsure", "consulate:c3", "hospital:h2", "--by", "desk-0"])
        .assert()
        .success();
    {
        let conn = rusqlite::Connection::open(&store).unwrap();
        conn.execute_batch(
            "ALTER TABLE decisions DROP COLUMN undoes; DROP TABLE keys; DROP TABLE counts;
             DELETE FROM meta WHERE key = 'index_settings'; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let server = Server::start(&store, &[]);
    let token = csrf(&server);
    let r = server.send(
        "DELETE",
        "/api/decisions/1",
        &[("X-CSRF-Token", &token)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = server.get("/api/pair?left=consulate:c5&right=hospital:h5");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["candidate"], true, "{}", r.text());
    drop(server);
    let conn = rusqlite::Connection::open(&store).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    let keys: i64 = conn
        .query_row("SELECT count(*) FROM keys", [], |r| r.get(0))
        .unwrap();
    assert!(keys > 0);
    let undoes: i64 = conn
        .query_row(
            "SELECT undoes FROM decisions WHERE decision = 'undo'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(undoes, 1);
}
