//! Blocking planned against the pair budget: each rule's pairs and new pairs, the rules over
//! the budget, the blocker of the kept ones; `listlink blocking` prints the same plan.

use super::{Input, RuleReport, RunOptions};
use crate::block::{Blocker, total_pairs};
use crate::error::{Error, Result};
use crate::prepare::Features;
use crate::settings::Settings;
use std::time::Instant;

/// Candidate-pair budget for an inferred rule: generous for small data, linear in records.
fn inferred_budget(records: usize, configured: u64) -> u64 {
    configured.min((records as u64 * 200).max(2_000_000))
}

/// What blocking will do with the rules: each rule's pairs and new pairs, which rules are over
/// the pair budget, and the blocker of the kept ones. `listlink blocking` prints it; a run
/// blocks with it.
pub struct BlockingPlan {
    pub blocker: Option<Blocker>,
    /// Every rule: kept rules first, in order, then those over the budget.
    pub rules: Vec<RuleReport>,
    pub new_pairs: Vec<u64>,
    /// The most pairs a rule may give.
    pub budget: u64,
    /// Whether the rules were inferred (over the budget they are dropped) or given (refused).
    pub rules_inferred: bool,
}

impl BlockingPlan {
    /// The blocker, or why there is none: a given rule over the budget, or every rule over it.
    pub fn into_blocker(self) -> Result<(Blocker, Vec<RuleReport>, Vec<u64>)> {
        let over: Vec<&RuleReport> = self.rules.iter().filter(|r| r.skipped.is_some()).collect();
        if !self.rules_inferred
            && let Some(r) = over.first()
        {
            return Err(Error::TooManyPairs {
                rule: r.rule.clone(),
                pairs: r.pairs,
                limit: self.budget,
            });
        }
        match self.blocker {
            Some(b) => Ok((b, self.rules, self.new_pairs)),
            None => {
                let each: Vec<String> = over
                    .iter()
                    .map(|r| format!("`{}` {} pairs", r.rule, r.pairs))
                    .collect();
                Err(Error::Usage(format!(
                    "every blocking rule was over its pair budget of {} ({}); give stricter rules in --settings, or raise blocking.max_pairs_per_rule",
                    self.budget,
                    each.join(", ")
                )))
            }
        }
    }
}

/// Indexes every blocking rule, marks the rules over the pair budget, and counts each kept
/// rule's new pairs.
pub fn plan_blocking(
    settings: &Settings,
    features: &Features,
    rules_inferred: bool,
) -> Result<BlockingPlan> {
    let indexes = Blocker::index(settings.blocking_rules()?, features);
    let mut kept = Vec::new();
    let mut rules = Vec::new();
    let budget = if rules_inferred {
        inferred_budget(features.len(), settings.blocking.max_pairs_per_rule)
    } else {
        settings.blocking.max_pairs_per_rule
    };
    for index in indexes {
        if index.pairs > budget {
            rules.push(RuleReport {
                rule: index.rule.text.clone(),
                pairs: index.pairs,
                new_pairs: 0,
                skipped: Some(format!(
                    "{} pairs is over the budget of {budget} for {} rule",
                    index.pairs,
                    if rules_inferred { "an inferred" } else { "a" }
                )),
            });
        } else {
            kept.push(index);
        }
    }
    if kept.is_empty() {
        return Ok(BlockingPlan {
            blocker: None,
            rules,
            new_pairs: Vec::new(),
            budget,
            rules_inferred,
        });
    }
    let blocker = Blocker::from_indexes(kept, features);
    let new_pairs = blocker.new_pairs_per_rule(features);
    let mut kept_reports = Vec::new();
    for (index, new) in blocker.rules.iter().zip(&new_pairs) {
        kept_reports.push(RuleReport {
            rule: index.rule.text.clone(),
            pairs: index.pairs,
            new_pairs: *new,
            skipped: None,
        });
    }
    kept_reports.extend(rules);
    Ok(BlockingPlan {
        blocker: Some(blocker),
        rules: kept_reports,
        new_pairs,
        budget,
        rules_inferred,
    })
}

/// [`plan_blocking`] for a run; with the seconds it took.
pub(crate) fn block_candidates(
    settings: &Settings,
    features: &Features,
    options: &RunOptions,
) -> Result<(Blocker, Vec<RuleReport>, Vec<u64>, f64)> {
    let clock = Instant::now();
    let (blocker, rules, new_pairs) =
        plan_blocking(settings, features, options.rules_inferred)?.into_blocker()?;
    Ok((blocker, rules, new_pairs, clock.elapsed().as_secs_f64()))
}

/// What `listlink blocking` shows: the plan of the settings' rules over these inputs, and how
/// many pairs the inputs allow in all.
pub fn plan_for(
    inputs: Vec<Input>,
    settings: &Settings,
    options: &RunOptions,
) -> Result<(BlockingPlan, u64)> {
    let prepared = super::prepare(inputs, settings, options);
    let plan = plan_blocking(settings, &prepared.features, options.rules_inferred)?;
    Ok((plan, total_pairs(&prepared.features)))
}
