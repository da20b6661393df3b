//! CLKs byte-identical to clkhash 0.18: every fixture under `tests/fixtures/` (written by
//! `bench/pprl_fixtures.py` from the PyPI package) is encoded again here and compared.

use listlink_pprl::{ClkSet, Secret, encode_csv, schema};
use std::path::Path;

fn encode_fixture(dir: &Path) -> (ClkSet, ClkSet) {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let schema = schema::parse(&read("schema.json"), "schema.json").unwrap();
    let secret = Secret::from_bytes(std::fs::read(dir.join("secret.txt")).unwrap()).unwrap();
    let ours = encode_csv(read("data.csv").as_bytes(), "data.csv", &schema, &secret).unwrap();
    let theirs = ClkSet::from_json(&read("clks.json"), "clks.json").unwrap();
    (ours, theirs)
}

fn check(case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case);
    let (ours, theirs) = encode_fixture(&dir);
    assert_eq!(ours.len(), theirs.len(), "{case}: number of CLKs");
    for i in 0..ours.len() {
        assert_eq!(ours.base64(i), theirs.base64(i), "{case}: row {i}");
    }
    let expected = std::fs::read_to_string(dir.join("clks.json")).unwrap();
    assert_eq!(
        ours.to_json(),
        expected,
        "{case}: the JSON file byte for byte"
    );
}

#[test]
fn double_hashing_of_bigrams() {
    check("double_bigrams");
}

#[test]
fn blake_hashing_positional_ngrams_and_many_bits_per_token() {
    check("blake_positional");
}

#[test]
fn exact_comparison_enum_date_and_missing_values() {
    check("exact_enum_date_missing");
}

#[test]
fn numeric_comparisons() {
    check("numeric");
}

#[test]
fn xor_folding_and_prevent_singularity() {
    check("fold_singularity");
}

#[test]
fn filter_lengths_not_a_multiple_of_eight() {
    check("length_not_byte_multiple");
}

#[test]
fn blake_folded() {
    check("blake_folded");
}

#[test]
fn kdf_options_string_formats_and_encodings() {
    check("kdf_formats_encodings");
}

#[test]
fn febrl4_rows_under_clkhash_tutorial_schema() {
    check("febrl_tutorial");
}

#[test]
fn every_fixture_folder_is_checked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.contains('.'))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "blake_folded",
            "blake_positional",
            "double_bigrams",
            "exact_enum_date_missing",
            "febrl_tutorial",
            "fold_singularity",
            "kdf_formats_encodings",
            "length_not_byte_multiple",
            "numeric",
        ]
    );
}

#[test]
fn a_different_secret_gives_different_clks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/double_bigrams");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let schema = schema::parse(&read("schema.json"), "schema.json").unwrap();
    let secret = Secret::from_bytes(b"another secret".to_vec()).unwrap();
    let ours = encode_csv(read("data.csv").as_bytes(), "data.csv", &schema, &secret).unwrap();
    let theirs = ClkSet::from_json(&read("clks.json"), "clks.json").unwrap();
    assert!((0..ours.len()).all(|i| ours.popcount(i) == 0 || ours.base64(i) != theirs.base64(i)));
}
