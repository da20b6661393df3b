//! The whole pipeline on arbitrary records — any Unicode in any field, any link type — finishes
//! without a panic and accounts for every record.

use listlink_core::ingest::{ReadOptions, read_bytes};
use listlink_core::{Input, LinkType, RunOptions, settings};
use proptest::prelude::*;
use std::path::Path;

fn csv_cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn the_pipeline_is_total(
        rows in proptest::collection::vec(
            ("\\PC{0,12}", "\\PC{0,12}", "\\PC{0,10}", "\\PC{0,4}", "\\PC{0,3}", "\\PC{0,12}"),
            0..24,
        ),
        link in 0u8..3,
    ) {
        let header = "id,given_name,surname,date_of_birth,age,sex,full_name\n";
        let mut a = String::from(header);
        let mut b = String::from(header);
        for (i, r) in rows.iter().enumerate() {
            let line = format!(
                "{i},{},{},{},{},{},{}\n",
                csv_cell(&r.0), csv_cell(&r.1), csv_cell(&r.2), csv_cell(&r.3), csv_cell(&r.4), csv_cell(&r.5)
            );
            if i % 2 == 0 { a.push_str(&line) } else { b.push_str(&line) }
        }
        let headers: Vec<String> = header.trim().split(',').map(str::to_string).collect();
        let (mut s, _) = settings::infer(&[&headers]).unwrap();
        s.as_of = Some("2026-01-01".into());
        let options = ReadOptions { id_columns: s.id_columns.clone(), ..Default::default() };
        let mut inputs = Vec::new();
        let mut accepted = 0;
        for (side, (text, name)) in [(a, "a.csv"), (b, "b.csv")].into_iter().enumerate() {
            let read = read_bytes(text.as_bytes(), Path::new(name), &options).unwrap();
            prop_assert_eq!(read.summary.rows_read, read.summary.rows_accepted + read.summary.rows_rejected);
            accepted += read.table.len();
            inputs.push(Input { table: read.table, side: side as u8 });
        }
        let link_type = [LinkType::Dedupe, LinkType::Link, LinkType::Find][link as usize];
        let options = RunOptions { link_type, model: None, rules_inferred: true, top_k: 2, variants: None };
        let run = listlink_core::run(inputs, s, &options).unwrap();
        prop_assert_eq!(run.clusters.len(), accepted);
        for p in &run.pairs {
            prop_assert!(p.probability() >= 0.0 && p.probability() <= 1.0);
        }
        let _ = listlink_core::export::pairs_csv(&run);
        let _ = listlink_core::export::found_csv(&run);
    }
}
