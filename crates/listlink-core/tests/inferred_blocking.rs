//! Inferred blocking sized to the data: when the inferred rules would give more pairs than the
//! budget, the rules chosen from the pilot keep nearly every match that all of them find, give
//! at most the budget's pairs, and say by estimate how much they keep.

mod common;

use listlink_core::pipeline::{Run, RunOptions, run};
use listlink_core::settings::{Settings, infer};
use listlink_core::{LinkType, RecordTable};
use std::collections::BTreeSet;

fn inferred_run(table: &RecordTable, budget: Option<u64>) -> (Run, Settings) {
    let (mut settings, _) = infer(&[table.headers.as_slice()]).unwrap();
    settings.blocking.max_candidate_pairs = budget;
    let options = RunOptions {
        link_type: LinkType::Dedupe,
        model: None,
        rules_inferred: true,
        top_k: 1,
        variants: None,
    };
    let input = listlink_core::pipeline::Input {
        table: table.clone(),
        side: 0,
    };
    (
        run(vec![input], settings.clone(), &options).unwrap(),
        settings,
    )
}

fn matches(run: &Run) -> BTreeSet<(u32, u32)> {
    run.pairs
        .iter()
        .filter(|p| p.probability() >= 0.5)
        .map(|p| (p.a.index() as u32, p.b.index() as u32))
        .collect()
}

#[test]
fn chosen_rules_keep_the_matches_within_the_budget_and_estimate_what_they_keep() {
    let (table, _) = common::febrl_table(11, 6_000);
    let (all, settings) = inferred_run(&table, None);
    assert!(
        all.blocking_choice.is_none(),
        "6,000 records are under the default budget: every inferred rule is kept"
    );
    let every_rule = all.counts.candidate_pairs;
    // A budget of a fifth of what every rule gives forces a choice.
    let budget = every_rule / 5;
    let (chosen, _) = inferred_run(&table, Some(budget));
    let choice = chosen
        .blocking_choice
        .as_ref()
        .expect("the rules were chosen among");
    assert_eq!(choice.budget, budget);
    assert!(
        chosen.counts.candidate_pairs <= budget,
        "{} pairs",
        chosen.counts.candidate_pairs
    );
    assert!(chosen.counts.candidate_pairs < every_rule);

    // Nearly every match all the rules find is still found, and the estimate says how many.
    let (before, after) = (matches(&all), matches(&chosen));
    let kept = before.intersection(&after).count() as f64 / before.len() as f64;
    assert!(
        kept >= 0.97,
        "the chosen rules keep {kept:.4} of the matches"
    );
    assert!(
        (choice.estimated_recall - kept).abs() <= 0.02,
        "estimated recall {:.4}, kept {kept:.4}",
        choice.estimated_recall
    );

    // The report says which rules were chosen, what each finds alone, and why the others not.
    let used: Vec<_> = chosen
        .rules
        .iter()
        .filter(|r| r.skipped.is_none())
        .collect();
    assert!(!used.is_empty());
    assert!(
        used.iter()
            .all(|r| r.only_matches.is_some() && r.expected_matches.is_some())
    );
    let left_out: Vec<_> = chosen
        .rules
        .iter()
        .filter(|r| {
            r.skipped
                .as_deref()
                .is_some_and(|w| w.starts_with("left out"))
        })
        .collect();
    assert!(
        !left_out.is_empty(),
        "with a fifth of the pairs some rule is left out"
    );
    // Broad rules are also tried narrowed by the keys inference wrote.
    assert!(!settings.blocking.tighten_with.is_empty());
    let narrowed = chosen.rules.iter().any(|r| {
        settings
            .blocking
            .tighten_with
            .iter()
            .any(|k| r.rule.ends_with(&format!("& {k}")))
    });
    assert!(narrowed, "no narrowed rule was considered");
    // The settings of the run keep the rules it used, in order.
    let in_order: Vec<&str> = used.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(chosen.settings.blocking.rules, in_order);
}

#[test]
fn the_choice_does_not_depend_on_the_threads() {
    let (table, _) = common::febrl_table(5, 3_000);
    let once = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let (run, _) = inferred_run(&table, Some(30_000));
            let rules: Vec<String> = run.rules.iter().map(|r| r.rule.clone()).collect();
            (
                rules,
                matches(&run),
                run.blocking_choice.unwrap().estimated_recall,
            )
        })
    };
    assert_eq!(once(1), once(3));
}
