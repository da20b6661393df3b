//! The streaming scorer drops a pair as soon as an upper bound on its weight falls below the
//! floor. These tests check, on every candidate pair of a generated FEBRL-like list, that the
//! bound is one: never below the pair's weight, at any step of the evaluation order.

use listlink_core::block::{Blocker, CollectPairs, parse_rule};
use listlink_core::ingest::{ReadOptions, read_bytes};
use listlink_core::settings::Settings;
use listlink_core::{Input, LinkType, RunOptions};
use std::path::Path;

#[test]
fn row_ceilings_and_their_drops_bound_every_pairs_weight() {
    let config = listlink_synth::febrl::FebrlConfig {
        seed: 9,
        records: 3_000,
        ..Default::default()
    };
    let mut csv = Vec::new();
    listlink_synth::febrl::write_febrl(&config, &mut csv).unwrap();
    let toml = include_str!("../../../bench/scale-settings.toml");
    let settings = Settings::from_toml(toml, "bench/scale-settings.toml").unwrap();
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
    let run = listlink_core::run(
        vec![Input { table, side: 0 }],
        settings,
        &RunOptions {
            link_type: LinkType::Dedupe,
            model: None,
            rules_inferred: false,
            top_k: 3,
            variants: None,
        },
    )
    .unwrap();
    let (f, comparator, scorer) = (&run.features, &run.comparator, &run.scorer);
    let rules = run
        .settings
        .blocking
        .rules
        .iter()
        .map(|r| parse_rule(r, &run.settings).unwrap())
        .collect();
    let pairs = Blocker::new(rules, f).for_each_pair(f, &CollectPairs);
    assert!(pairs.len() > 3_000, "{} candidate pairs", pairs.len());
    let order = scorer.rejecting_first(comparator, f);
    let ceiling = scorer.weight_ceiling();
    let unequal = comparator.unequal(f);
    // The text comparisons, and both name parts.
    assert!(unequal.len() >= 9, "{unequal:?}");
    let packed = f.packed.as_ref().expect("the FEBRL fields pack");
    let (mut tighter, mut close, mut early_drops) = (0, 0, 0);
    for &(a, b) in &pairs {
        let (a, b) = (a as usize, b as usize);
        let pattern = comparator.pattern(f, a, b);
        let weight = scorer.weight(f, a, pattern);
        let row = scorer.row_bound(f, a);
        let mut bound = row.ceiling;
        assert!(bound <= ceiling + 1e-9, "row {a}: {bound} over {ceiling}");
        if bound < ceiling - 1.0 {
            tighter += 1;
        }
        // Differing codes lower the bound before any comparison runs, as the scorer does.
        let mut early = [0.0; listlink_core::compare::MAX_COMPARISONS];
        for &(c, how) in &unequal {
            if how.rules_out_exact(packed.row(a), packed.row(b)) {
                early[c] = scorer.unequal_drop(&row, c);
                early_drops += usize::from(early[c] > 0.0);
                bound -= early[c];
            }
        }
        for &c in &order {
            assert!(
                bound >= weight - 1e-9,
                "pair ({a}, {b}): bound {bound} below weight {weight} before comparison {c}"
            );
            let level = listlink_core::compare::level_of(pattern, c);
            let drop = scorer.drop(&row, c, level);
            assert!(
                drop >= early[c] - 1e-9,
                "pair ({a}, {b}): comparison {c} dropped {drop} less than its early {}",
                early[c]
            );
            bound -= drop - early[c];
        }
        // Compared to the end, the bound is the weight less the related-class correction.
        let gap = bound - weight + scorer.related_correction(pattern);
        assert!(
            gap.abs() < 1e-6,
            "pair ({a}, {b}): bound {bound}, weight {weight}"
        );
        if bound - weight < 0.5 {
            close += 1;
        }
    }
    // The ceilings are tighter than the global one for most rows, and exact for many pairs.
    assert!(
        tighter * 2 > pairs.len(),
        "{tighter} of {} tighter",
        pairs.len()
    );
    assert!(close > 100, "{close} pairs within 0.5 of their bound");
    // Most candidate pairs differ on some text code that a rare value's adjustment rode on.
    assert!(
        early_drops * 2 > pairs.len(),
        "{early_drops} early drops over {} pairs",
        pairs.len()
    );
}
