//! A run over a few records and the candidates that share a blocking key with them, given the
//! whole list's value counts, weighs each pair exactly as a run over the whole list does: what
//! a store relies on to look records up without preparing its roster again.

use listlink_core::Blocker;
use listlink_core::frequency::{ValueCounts, reweigh, value_counts};
use listlink_core::pipeline::{prepare, run_prepared};
use listlink_core::{Input, LinkType, RunOptions};
use std::collections::{BTreeSet, HashMap};

mod common;
use common::febrl_table;

fn options(link_type: LinkType, model: Option<listlink_core::Model>) -> RunOptions {
    RunOptions {
        link_type,
        model,
        rules_inferred: false,
        top_k: 3,
        variants: None,
    }
}

/// Weight per pair of record ids (smaller id first) of a run's pairs.
fn weights(run: &listlink_core::Run) -> HashMap<(String, String), f64> {
    run.pairs
        .iter()
        .map(|p| {
            let a = run.key(p.a.index()).1.to_string();
            let b = run.key(p.b.index()).1.to_string();
            (if a < b { (a, b) } else { (b, a) }, p.weight)
        })
        .collect()
}

#[test]
fn a_few_records_against_their_candidates_weigh_as_in_the_whole_run() {
    let (table, settings) = febrl_table(5, 3_000);
    let whole = listlink_core::run(
        vec![Input {
            table: table.clone(),
            side: 0,
        }],
        settings.clone(),
        &options(LinkType::Dedupe, None),
    )
    .unwrap();
    let counts = value_counts(&whole.features, &whole.comparator);
    let index = Blocker::index(whole.settings.blocking_rules().unwrap(), &whole.features);

    // The query: every 30th record. Its candidates: the other records sharing a key with one.
    let query: Vec<usize> = (0..table.len()).step_by(30).collect();
    let keys: BTreeSet<(usize, u64)> = query
        .iter()
        .flat_map(|&r| {
            index
                .iter()
                .enumerate()
                .flat_map(move |(i, rule)| rule.keys(r).iter().map(move |k| (i, *k)))
        })
        .collect();
    let in_query: BTreeSet<usize> = query.iter().copied().collect();
    let candidates: Vec<usize> = (0..table.len())
        .filter(|r| !in_query.contains(r))
        .filter(|&r| {
            index
                .iter()
                .enumerate()
                .any(|(i, rule)| rule.keys(r).iter().any(|k| keys.contains(&(i, *k))))
        })
        .collect();
    assert!(candidates.len() < table.len() / 2, "{}", candidates.len());

    let subset_run = |population: Option<&ValueCounts>| {
        let inputs = vec![
            Input {
                table: table.rows(&query),
                side: 0,
            },
            Input {
                table: table.rows(&candidates),
                side: 1,
            },
        ];
        let opts = options(LinkType::Find, Some(whole.model.clone()));
        let mut prepared = prepare(inputs, &whole.settings, &opts);
        if let Some(population) = population {
            let comparator = listlink_core::Comparator::new(&whole.settings);
            reweigh(&mut prepared.features, &comparator, population);
        }
        run_prepared(prepared, whole.settings.clone(), &opts, &|_| {}).unwrap()
    };
    let whole_weights = weights(&whole);
    let query_ids: BTreeSet<String> = query
        .iter()
        .map(|&r| table.ids.get(r).to_string())
        .collect();
    // The whole run's pairs of a query record and a record outside the query.
    let expected: HashMap<_, _> = whole_weights
        .iter()
        .filter(|((a, b), _)| query_ids.contains(a) != query_ids.contains(b))
        .map(|(k, w)| (k.clone(), *w))
        .collect();
    assert!(expected.len() > 50, "{} pairs", expected.len());

    let got = weights(&subset_run(Some(&counts)));
    assert_eq!(
        got.keys().collect::<BTreeSet<_>>(),
        expected.keys().collect::<BTreeSet<_>>()
    );
    // A term-frequency adjustment reads the first record's name: where a pair's names are
    // swapped, the weight depends on which record is first. The whole run's first is the
    // earlier row, the look-up's is the query record: compare pairs where they are the same.
    let row_of: HashMap<String, usize> = (0..table.len())
        .map(|r| (table.ids.get(r).to_string(), r))
        .collect();
    let mut compared = 0;
    for (pair, w) in &expected {
        let (a, b) = (row_of[&pair.0], row_of[&pair.1]);
        let query_first = if in_query.contains(&a) { a < b } else { b < a };
        if !query_first {
            continue;
        }
        compared += 1;
        assert!(
            (got[pair] - w).abs() < 1e-9,
            "{pair:?}: {} vs {w}",
            got[pair]
        );
    }
    assert!(compared > 20, "{compared} pairs compared");

    // Without the whole list's counts, the few records' own shares weigh differently.
    let own = weights(&subset_run(None));
    let differ = expected
        .iter()
        .filter(|(pair, w)| own.get(*pair).is_none_or(|o| (o - *w).abs() > 1e-6))
        .count();
    assert!(differ > 0, "the counts changed no weight");
}

#[test]
fn counts_of_parts_add_up_to_the_counts_of_the_whole() {
    let (table, settings) = febrl_table(6, 1_000);
    let opts = options(LinkType::Dedupe, None);
    let comparator = listlink_core::Comparator::new(&settings);
    let counts_of = |rows: &[usize]| {
        let prepared = prepare(
            vec![Input {
                table: table.rows(rows),
                side: 0,
            }],
            &settings,
            &opts,
        );
        value_counts(&prepared.features, &comparator)
    };
    let all: Vec<usize> = (0..table.len()).collect();
    let whole = counts_of(&all);
    assert!(
        whole.sources.contains_key("name:given"),
        "{:?}",
        whole.sources.keys()
    );
    assert!(whole.sources["name:family"].present > 900);
    let mut sum = counts_of(&all[..400]);
    sum.add(&counts_of(&all[400..]), 1);
    assert_eq!(sum, whole);
    sum.add(&counts_of(&all[400..]), -1);
    assert_eq!(sum, counts_of(&all[..400]));
}
