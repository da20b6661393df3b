//! The scorer's bounds. The streaming scorer drops a pair as soon as an upper bound on its weight falls below the
//! floor. These tests check, on every candidate pair of a generated FEBRL-like list, that the
//! bound is one: never below the pair's weight, after the screen and at any step of the
//! evaluation order.

use super::*;
use crate::block::{Blocker, CollectPairs};
use crate::compare::{MAX_COMPARISONS, level_of};
use crate::score::weight_of;
use crate::settings::parse_rule;
use crate::{Input, LinkType, Run, RunOptions, SplitMix64};

#[path = "../../tests/common/mod.rs"]
mod common;
use common::febrl_table;

/// A model trained on a generated FEBRL-like list of 3,000 records, with the scale benchmark's
/// settings.
fn febrl_run() -> Run {
    let (table, settings) = febrl_table(9, 3_000);
    crate::run(
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
    .unwrap()
}

#[test]
fn row_ceilings_and_their_drops_bound_every_pairs_weight() {
    let run = febrl_run();
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
    let screen = Screen::new(comparator, f);
    let floor = weight_of(run.settings.thresholds.pairs_min_probability);
    let packed = f.packed.as_ref().expect("the FEBRL fields pack");
    let (mut tighter, mut close, mut early_drops) = (0, 0, 0);
    // Pairs below the floor, and those of them the screen alone rules out.
    let (mut below, mut screened_out) = (0, 0);
    let mut glimpsed = [0usize; MAX_COMPARISONS];
    // Candidate pairs, and as many pairs of random records (from a fixed generator), nearly
    // all of them non-matches far below the floor.
    let rows = f.source.len() as u64;
    let mut random = SplitMix64::new(7);
    let strangers: Vec<(u32, u32)> = (0..pairs.len())
        .map(|_| (random.next_u64() % rows, random.next_u64() % rows))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.min(b) as u32, a.max(b) as u32))
        .collect();
    for &(a, b) in pairs.iter().chain(&strangers) {
        let (a, b) = (a as usize, b as usize);
        let pattern = comparator.pattern(f, a, b);
        let weight = scorer.weight(f, a, pattern);
        let row = scorer.row_bound(f, a);
        // Weighed from the row's bound, as scoring does, to the bit.
        let from_row = scorer.weight_in_row(&row, pattern);
        assert_eq!(from_row.to_bits(), weight.to_bits(), "pair ({a}, {b})");
        let mut bound = row.ceiling;
        assert!(bound <= ceiling + 1e-9, "row {a}: {bound} over {ceiling}");
        if bound < ceiling - 1.0 {
            tighter += 1;
        }
        // What the screen shows lowers the bound before any comparison runs, as the scorer
        // does; a level it shows is the level itself.
        let mut early = [0.0; MAX_COMPARISONS];
        screen.look((a, b), (packed.row(a), packed.row(b)), |c, glimpse| {
            glimpsed[c] += 1;
            early[c] = glimpse.drop(scorer, &row, c);
            early_drops += usize::from(early[c] > 0.0);
            bound -= early[c];
        });
        below += usize::from(weight < floor);
        screened_out += usize::from(bound < floor);
        for &c in &order {
            assert!(
                bound >= weight - 1e-9,
                "pair ({a}, {b}): bound {bound} below weight {weight} before comparison {c}"
            );
            let level = level_of(pattern, c);
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
    let all = pairs.len() + strangers.len();
    assert!(tighter * 2 > all, "{tighter} of {all} tighter");
    assert!(close > 100, "{close} pairs within 0.5 of their bound");
    // The screen lowers the bound of every pair, on several comparisons, and shows all but
    // the names of every pair of these complete records...
    assert!(
        early_drops > 3 * all,
        "{early_drops} early drops over {all} pairs"
    );
    let shown = glimpsed.iter().filter(|n| **n > 0).count();
    assert!(shown >= 10, "{glimpsed:?}");
    // ...and rules out most of those that fall below the floor before any comparison.
    assert!(
        below > pairs.len() / 2 && screened_out * 2 > below,
        "{screened_out} of {below} pairs below the floor screened out"
    );
}

/// Screens runs of `size` rows of `rows` in columns, one row against the rows after it as in
/// the blocks of a rule, with the names' token summaries when `names`, at the floor of the
/// settings raised by `raise`. Checks that every pair cleared falls below the floor when
/// compared in full, and returns (pairs, pairs the screen pair by pair rules out, of those how
/// many were cleared, pairs cleared).
fn screen_in_columns(
    run: &Run,
    rows: &[u32],
    size: usize,
    names: bool,
    raise: f64,
) -> (usize, usize, usize, usize) {
    let (f, comparator, scorer) = (&run.features, &run.comparator, &run.scorer);
    let screen = Screen::new(comparator, f);
    assert!(screen.has_columns());
    let packed = f.packed.as_ref().expect("the FEBRL fields pack");
    let sigs = f.person.as_ref().map(|p| &p.sigs).filter(|_| names);
    let floor = weight_of(run.settings.thresholds.pairs_min_probability) + raise;
    let mut columns = Columns::default();
    let (mut pairs, mut ruled_out, mut both, mut cleared) = (0, 0, 0, 0);
    for group in rows.chunks(size) {
        screen.gather(packed, group, &mut columns);
        assert_eq!(columns.len(), group.len());
        for i in 0..group.len() {
            let a = group[i] as usize;
            let row = scorer.row_bound(f, a);
            let limit = row.ceiling - (floor - 1e-6);
            let mut keep = vec![true; group.len() - i - 1];
            let drop = |c, glimpse: Glimpse| glimpse.drop(scorer, &row, c);
            screen.against(sigs, &mut columns, i, drop, limit, &mut keep);
            for (&b, kept) in group[i + 1..].iter().zip(keep) {
                let b = b as usize;
                let mut bound = row.ceiling;
                screen.look((a, b), (packed.row(a), packed.row(b)), |c, g| {
                    bound -= g.drop(scorer, &row, c);
                });
                let out = bound < floor - 1e-6;
                if !kept {
                    let weight = scorer.weight(f, a, comparator.pattern(f, a, b));
                    assert!(
                        weight < floor,
                        "pair ({a}, {b}) cleared in columns, weight {weight} at floor {floor}"
                    );
                }
                pairs += 1;
                ruled_out += usize::from(out);
                both += usize::from(out && !kept);
                cleared += usize::from(!kept);
            }
        }
    }
    (pairs, ruled_out, both, cleared)
}

/// The screen in columns, in runs of people of one name as the first blocking rule groups them
/// (duplicates, namesakes and strangers), clears only pairs below the floor, and nearly all
/// those the screen pair by pair rules out.
#[test]
fn the_screen_in_columns_clears_only_pairs_below_the_floor() {
    let run = febrl_run();
    let packed = run.features.packed.as_ref().expect("the FEBRL fields pack");
    let slot = packed.person.expect("simple names");
    let mut rows: Vec<u32> = (0..run.features.source.len() as u32).collect();
    rows.sort_by_key(|&r| {
        let line = packed.row(r as usize);
        (line[slot], line[slot + 1], r)
    });
    let (pairs, ruled_out, both, _) = screen_in_columns(&run, &rows, 150, true, 0.0);
    assert!(pairs > 100_000, "{pairs} pairs");
    assert!(ruled_out * 2 > pairs, "{ruled_out} of {pairs} ruled out");
    assert!(
        both * 100 >= ruled_out * 95,
        "{both} of {ruled_out} ruled out pairs cleared in columns"
    );
}

/// Neighbours (runs of one postcode, as the last blocking rule groups them) differ mostly in
/// their names, which the screen pair by pair does not read: in columns, the names' token
/// summaries clear most of the pairs it leaves, and only pairs below the floor, at the
/// settings' floor and at floors high enough for duplicates to come near them.
#[test]
fn the_screen_in_columns_tells_neighbours_apart_by_their_names() {
    let run = febrl_run();
    let packed = run.features.packed.as_ref().expect("the FEBRL fields pack");
    let field = |name: &str| {
        run.settings
            .fields
            .iter()
            .position(|f| f.name == name)
            .unwrap()
    };
    let (postcode, address) = (field("postcode"), field("address_1"));
    let mut rows: Vec<u32> = (0..run.features.source.len() as u32).collect();
    rows.sort_by_key(|&r| {
        let line = packed.row(r as usize);
        (line[postcode], line[address], r)
    });
    let (pairs, ruled_out, _, without) = screen_in_columns(&run, &rows, 40, false, 0.0);
    let (same, same_out, _, with) = screen_in_columns(&run, &rows, 40, true, 0.0);
    for raise in [10.0, 20.0, 30.0, 40.0] {
        screen_in_columns(&run, &rows, 40, true, raise);
    }
    assert_eq!((pairs, ruled_out), (same, same_out));
    let left = pairs - ruled_out;
    assert!(
        left * 10 > pairs,
        "{left} of {pairs} pairs left by the screen pair by pair"
    );
    assert!(
        with >= without + left / 2,
        "{with} pairs cleared with the names, {without} without, of {pairs} ({left} left)"
    );
}
