//! What several test files build: a generated FEBRL-like list read as a table, with the scale
//! benchmark's settings.

use listlink_core::RecordTable;
use listlink_core::ingest::{ReadOptions, read_bytes};
use listlink_core::settings::Settings;
use std::path::Path;

pub fn febrl_table(seed: u64, records: usize) -> (RecordTable, Settings) {
    let config = listlink_synth::febrl::FebrlConfig {
        seed,
        records,
        ..Default::default()
    };
    let mut csv = Vec::new();
    listlink_synth::febrl::write_febrl(&config, &mut csv).unwrap();
    let toml = include_str!("../fixtures/febrl-settings.toml");
    let settings = Settings::from_toml(toml, "tests/fixtures/febrl-settings.toml").unwrap();
    let table = read_bytes(
        &csv,
        Path::new("people.csv"),
        &ReadOptions {
            id_columns: settings.id_columns.clone(),
            ..Default::default()
        },
    )
    .unwrap()
    .table;
    (table, settings)
}
