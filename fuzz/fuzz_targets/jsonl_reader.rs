//! Any bytes as a JSON Lines file: read without a panic, every line accounted for (a line that
//! is not an object is a reject, never a failed read once one line is an object).
#![no_main]
use libfuzzer_sys::fuzz_target;
use listlink_core::ingest::{ReadOptions, read_bytes};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions { id_columns: vec!["id".into()], ..Default::default() };
    if let Ok(r) = read_bytes(data, Path::new("fuzz.jsonl"), &options) {
        assert_eq!(r.summary.rows_read, r.summary.rows_accepted + r.summary.rows_rejected);
    }
});
