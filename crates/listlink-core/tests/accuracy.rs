//! Accuracy on generated lists with known truth, through the library: a floor that catches
//! regressions in the model, comparisons or blocking. Several seeds, so no one list is tuned to.

use listlink_core::evaluate::{PairSpace, Truth, evaluate};
use listlink_core::ingest::{ReadOptions, read_bytes};
use listlink_core::{Input, LinkType, RunOptions, settings};
use std::path::Path;

fn f1_for_seed(seed: u64, mixed_origins: bool) -> (f64, f64, f64) {
    let config = listlink_synth::Config {
        seed,
        consular: 150,
        roster_only: 1500,
        mixed_origins,
        ..Default::default()
    };
    let lists = listlink_synth::generate(&config);
    let read = |text: &str, name: &str| {
        let headers =
            listlink_core::ingest::read_headers_from_bytes(text.as_bytes(), Path::new(name), None)
                .unwrap();
        (text.to_string(), name.to_string(), headers)
    };
    let files = [
        read(&lists.consular, "consular.csv"),
        read(&lists.roster, "roster.csv"),
    ];
    let headers: Vec<&[String]> = files.iter().map(|f| f.2.as_slice()).collect();
    let (mut s, _) = settings::infer(&headers).unwrap();
    s.as_of = Some("2026-01-01".into());
    let options = ReadOptions {
        id_columns: s.id_columns.clone(),
        source_columns: s.source_columns.clone(),
        encoding: None,
        source_name: None,
    };
    let inputs: Vec<Input> = files
        .iter()
        .enumerate()
        .map(|(i, (text, name, _))| Input {
            table: read_bytes(text.as_bytes(), Path::new(name), &options)
                .unwrap()
                .table,
            side: i as u8,
        })
        .collect();
    let run = listlink_core::run(
        inputs,
        s,
        &RunOptions {
            link_type: LinkType::Find,
            model: None,
            rules_inferred: true,
            top_k: 3,
            variants: None,
        },
    )
    .unwrap();
    let mut labels = rustc_hash::FxHashMap::default();
    for input in &run.inputs {
        let t = &input.table;
        let truth = t.column("truth").unwrap();
        for r in 0..t.len() {
            labels.insert(
                (t.sources.get(r).to_string(), t.ids.get(r).to_string()),
                truth.get(r).to_string(),
            );
        }
    }
    let key = |r: usize| {
        let (s, i) = run.key(r);
        (s.to_string(), i.to_string())
    };
    let scored: Vec<_> = run
        .pairs
        .iter()
        .map(|p| (key(p.a.index()), key(p.b.index()), p.probability()))
        .collect();
    let space = PairSpace::Find {
        query_sources: ["consular".to_string()].into_iter().collect(),
    };
    let e = evaluate(&scored, &Truth::Labels(labels), &space, 0.5);
    (
        e.at_threshold.precision,
        e.at_threshold.recall,
        e.at_threshold.f1,
    )
}

#[test]
fn latin_lists_are_linked_accurately_across_seeds() {
    for seed in [7, 11, 23] {
        let (p, r, f1) = f1_for_seed(seed, false);
        // Today's floor on these deliberately namesake-heavy lists (a small name pool): recall is
        // high; precision suffers from same-name people with other birth dates. Raise the floor
        // as the model improves.
        eprintln!("seed {seed}: precision {p:.4} recall {r:.4} F1 {f1:.4}");
        assert!(r >= 0.95, "seed {seed}: recall {r:.4}");
        assert!(
            f1 >= 0.88,
            "seed {seed}: precision {p:.4} recall {r:.4} F1 {f1:.4}"
        );
    }
}

/// People of several origins (Israeli Hebrew, Arabic, Western European, Ashkenazi,
/// Georgian/Armenian besides Russian), each written natively where its lists would.
#[test]
fn lists_of_several_origins_are_linked_accurately_across_seeds() {
    for seed in [7, 11, 23] {
        let (p, r, f1) = f1_for_seed(seed, true);
        eprintln!("seed {seed}, several origins: precision {p:.4} recall {r:.4} F1 {f1:.4}");
        assert!(
            f1 >= 0.95,
            "seed {seed}: precision {p:.4} recall {r:.4} F1 {f1:.4}"
        );
    }
}
