//! Any bytes as a CSV file: read (decoding included) without a panic, every row accounted for.
#![no_main]
use libfuzzer_sys::fuzz_target;
use listlink_core::ingest::{ReadOptions, read_bytes};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions { id_columns: vec!["id".into()], ..Default::default() };
    if let Ok(r) = read_bytes(data, Path::new("fuzz.csv"), &options) {
        assert_eq!(r.summary.rows_read, r.summary.rows_accepted + r.summary.rows_rejected);
    }
    let _ = read_bytes(data, Path::new("fuzz.jsonl"), &options);
});
