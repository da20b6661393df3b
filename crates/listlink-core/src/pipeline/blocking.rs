//! Blocking planned against the pair budget: each rule's pairs and new pairs, the rules over
//! the budget, the blocker of the kept ones; `listlink blocking` prints the same plan.

use super::select::{self, BlockingChoice};
use super::{Input, Progress, RuleReport, RunOptions, Stage, Timings};
use crate::block::{Blocker, RuleIndex, total_pairs};
use crate::compare::Comparator;
use crate::error::{Error, Result};
use crate::model::{self, Model};
use crate::prepare::Features;
use crate::score::Scorer;
use crate::screen::Screen;
use crate::settings::Settings;
use std::time::Instant;

/// Candidate-pair budget for an inferred rule: generous for small data, linear in records.
/// Inferred settings always carry the default `max_pairs_per_rule`, which a linear budget
/// passes at five million records; beyond that the rules are chosen from a pilot rather than
/// walked whole, so the budget stays linear.
fn inferred_budget(records: usize) -> u64 {
    (records as u64 * 200).max(2_000_000)
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
    /// How inferred rules were chosen among, when they were.
    pub choice: Option<BlockingChoice>,
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

/// Every rule indexed, those over the pair budget set aside (with why).
pub(crate) struct Indexed {
    kept: Vec<RuleIndex>,
    over: Vec<RuleReport>,
    budget: u64,
    rules_inferred: bool,
}

/// Indexes every blocking rule and sets aside the rules over the pair budget.
pub(crate) fn index_rules(
    settings: &Settings,
    features: &Features,
    rules_inferred: bool,
) -> Result<Indexed> {
    let indexes = Blocker::index(settings.blocking_rules()?, features);
    let budget = if rules_inferred {
        inferred_budget(features.len())
    } else {
        settings.blocking.max_pairs_per_rule
    };
    let (kept, over): (Vec<RuleIndex>, Vec<RuleIndex>) =
        indexes.into_iter().partition(|i| i.pairs <= budget);
    let over = over
        .into_iter()
        .map(|index| {
            let why = format!(
                "{} pairs is over the budget of {budget} for {} rule",
                index.pairs,
                if rules_inferred { "an inferred" } else { "a" }
            );
            RuleReport::new(index.rule.text.clone(), index.pairs, 0, Some(why))
        })
        .collect();
    Ok(Indexed {
        kept,
        over,
        budget,
        rules_inferred,
    })
}

impl Indexed {
    /// Whether the rules are inferred and together could give more candidates than the data's
    /// budget: then they are chosen among ([`super::select`]).
    pub(crate) fn needs_choice(&self, settings: &Settings, records: usize) -> bool {
        let bound: u64 = self.kept.iter().map(|r| r.pairs).sum();
        self.rules_inferred && self.kept.len() > 1 && bound > select::pair_budget(settings, records)
    }

    /// The plan of every kept rule, in order: their blocker and new pairs.
    pub(crate) fn plan(self, features: &Features) -> BlockingPlan {
        let Indexed {
            kept,
            over,
            budget,
            rules_inferred,
        } = self;
        if kept.is_empty() {
            return BlockingPlan {
                blocker: None,
                rules: over,
                new_pairs: Vec::new(),
                budget,
                rules_inferred,
                choice: None,
            };
        }
        let blocker = Blocker::from_indexes(kept, features);
        let new_pairs = blocker.new_pairs_per_rule(features);
        let mut rules: Vec<RuleReport> = blocker
            .rules
            .iter()
            .zip(&new_pairs)
            .map(|(index, new)| RuleReport::new(index.rule.text.clone(), index.pairs, *new, None))
            .collect();
        rules.extend(over);
        BlockingPlan {
            blocker: Some(blocker),
            rules,
            new_pairs,
            budget,
            rules_inferred,
            choice: None,
        }
    }
}

/// Indexes every blocking rule, marks the rules over the pair budget, and counts each kept
/// rule's new pairs (every kept rule, without choosing among inferred ones).
pub fn plan_blocking(
    settings: &Settings,
    features: &Features,
    rules_inferred: bool,
) -> Result<BlockingPlan> {
    Ok(index_rules(settings, features, rules_inferred)?.plan(features))
}

/// The plan of a run: every kept rule, or when inferred rules could give more pairs than the
/// data's budget, those chosen from a pilot ([`super::select`]); with the model the pilot
/// trained, if it trained one. The pilot's comparing and training are timed as counting
/// patterns and EM.
pub(crate) fn plan_run(
    stage: Stage,
    indexed: Indexed,
    screen: &Screen,
    u_counts: Option<&(Vec<Vec<u64>>, u64)>,
    timings: &mut Timings,
) -> Result<(BlockingPlan, Option<Model>)> {
    let Stage {
        settings,
        features,
        comparator,
        options,
        on_progress,
    } = stage;
    if !indexed.needs_choice(settings, features.len()) {
        let clock = Instant::now();
        let plan = indexed.plan(features);
        timings.blocking += clock.elapsed().as_secs_f64();
        return Ok((plan, None));
    }
    let Indexed {
        kept,
        over,
        budget: rule_budget,
        rules_inferred,
    } = indexed;
    let clock = Instant::now();
    on_progress(Progress::Stage {
        name: "choosing blocking rules from a pilot sample",
        total: None,
    });
    let all = Blocker::from_indexes(kept, features);

    // The broad rules narrowed by each key they do not read yet, as more rules to choose from.
    let narrowing = select::Narrowing::new(settings, &all.rules, features);

    timings.blocking += clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let bound: u64 = all.rules.iter().map(|r| r.pairs).sum();
    let (rows, every) =
        select::pilot_rows(bound, select::pilot_pairs(features.len()), settings.seed);
    let sink = select::PilotSink {
        comparator,
        screen,
        features,
        rules: &all.rules,
        narrowing: &narrowing,
    };
    let pilot = all.walk(features, &sink, rows);
    timings.count_patterns = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let model = match (&options.model, u_counts) {
        (Some(m), _) => m.clone(),
        (None, Some(u_counts)) => train_on_pilot(stage, &pilot, every, u_counts),
        (None, None) => unreachable!("u is estimated whenever no model is given"),
    };
    timings.em = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let scorer = Scorer::new(&model, comparator, features);
    let budget = select::pair_budget(settings, features.len());
    let rule_count = narrowing.rules();
    let chosen = select::choose(&pilot, &scorer, features, rule_count, every, budget);
    let pilot_len = pilot.len() as u64;
    drop(pilot);
    // The chosen narrowed rules are indexed now; the indexed ones are taken as they are.
    let base = all.rules.len();
    let wanted: Vec<usize> = chosen
        .order
        .iter()
        .copied()
        .filter(|&r| r >= base)
        .collect();
    // The pilot's group lines go first: at ten million records every byte counts.
    let all = all.into_rules();
    let fresh = Blocker::index_narrowed(
        wanted
            .iter()
            .map(|&r| narrowing.input(r - base, &all))
            .collect(),
        features,
    );
    let mut slots: Vec<Option<RuleIndex>> = all.into_iter().map(Some).collect();
    slots.extend((base..rule_count).map(|_| None));
    for (r, index) in wanted.into_iter().zip(fresh) {
        slots[r] = Some(index);
    }
    let order: Vec<RuleIndex> = chosen
        .order
        .iter()
        .filter_map(|&r| slots[r].take())
        .collect();
    // What is left is the rules left out: their text and pairs are all the report needs.
    let left: Vec<Option<(String, u64)>> = slots
        .into_iter()
        .map(|slot| slot.map(|index| (index.rule.text, index.pairs)))
        .collect();
    let blocker = Blocker::from_indexes(order, features);
    let new_pairs = blocker.new_pairs_per_rule(features);
    let mut rules = choice_reports(&chosen, &blocker, &new_pairs, left, &narrowing);
    rules.extend(over);
    timings.blocking += clock.elapsed().as_secs_f64();
    let choice = BlockingChoice {
        estimated_recall: chosen.estimated_recall,
        expected_matches: chosen.expected_matches.round(),
        pilot_pairs: pilot_len,
        pilot_every: every,
        budget,
        why: format!(
            "the inferred rules could give up to {bound} pairs, over the budget of {budget} (blocking.max_candidate_pairs; by default {} per record, at least {}): rules were chosen by the expected matches they add per pair, from a pilot of one first row in {every}",
            select::PAIRS_PER_RECORD,
            select::PAIRS_FLOOR
        ),
    };
    let plan = BlockingPlan {
        blocker: Some(blocker),
        rules,
        new_pairs,
        budget: rule_budget,
        rules_inferred,
        choice: Some(choice),
    };
    Ok((plan, options.model.is_none().then_some(model)))
}

/// The model trained on the pilot's patterns, each pair counted for the `every` candidates it
/// stands for, with u from random pairs.
fn train_on_pilot(
    Stage {
        settings,
        features,
        comparator,
        options,
        ..
    }: Stage,
    pilot: &[select::PilotPair],
    every: u64,
    (u_counts, sampled): &(Vec<Vec<u64>>, u64),
) -> Model {
    let counts = select::pattern_counts(pilot, every);
    let u = model::u_from_counts(u_counts);
    model::train(&model::TrainingInput {
        comparator,
        settings,
        link_type: options.link_type,
        features,
        counts: &counts,
        u: &u,
        total_pairs: total_pairs(features),
        candidate_pairs: pilot.len() as u64 * every,
        u_pairs_sampled: *sampled,
    })
    .0
}

/// Every rule's figures after the choice: the chosen in the order chosen, then those left out
/// (`left`: the text and pairs of each indexed rule not taken; narrowed rules not chosen have
/// none).
fn choice_reports(
    chosen: &select::Chosen,
    blocker: &Blocker,
    new_pairs: &[u64],
    left: Vec<Option<(String, u64)>>,
    narrowing: &select::Narrowing,
) -> Vec<RuleReport> {
    let base = left.len() - narrowing.narrowed.len();
    let mut rules: Vec<RuleReport> = chosen
        .order
        .iter()
        .zip(blocker.rules.iter().zip(new_pairs))
        .map(|(&r, (index, &new))| {
            let fig = &chosen.figures[r];
            RuleReport {
                expected_matches: Some(fig.matches.round()),
                only_matches: Some(fig.only.round()),
                ..RuleReport::new(index.rule.text.clone(), index.pairs, new, None)
            }
        })
        .collect();
    let left_out = |r: usize| {
        let fig = &chosen.figures[r];
        format!(
            "left out: it would add about {:.0} expected matches ({:.2} % of them) for about {:.0} more pairs",
            fig.only,
            100.0 * fig.only / chosen.expected_matches.max(1e-9),
            fig.new_pairs
        )
    };
    for (r, slot) in left.into_iter().enumerate() {
        let fig = &chosen.figures[r];
        let (text, pairs, why) = match slot {
            Some((text, pairs)) => (text, pairs, left_out(r)),
            None if r >= base && !chosen.order.contains(&r) => (
                narrowing.narrowed[r - base].rule.text.clone(),
                fig.pairs.round() as u64,
                format!(
                    "{} (narrowed; its pairs estimated from the pilot)",
                    left_out(r)
                ),
            ),
            None => continue,
        };
        rules.push(RuleReport {
            expected_matches: Some(fig.matches.round()),
            only_matches: Some(fig.only.round()),
            ..RuleReport::new(text, pairs, 0, Some(why))
        });
    }
    rules
}

/// What `listlink blocking` shows: the plan a run would block with over these inputs (with
/// the choice among inferred rules, from the same pilot), and how many pairs the inputs allow
/// in all.
pub fn plan_for(
    inputs: Vec<Input>,
    settings: &Settings,
    options: &RunOptions,
) -> Result<(BlockingPlan, u64)> {
    let prepared = super::prepare(inputs, settings, options);
    let features = &prepared.features;
    let comparator = Comparator::new(settings);
    let stage = Stage {
        settings,
        features,
        comparator: &comparator,
        options,
        on_progress: &|_| {},
    };
    let (plan, ..) = super::look_and_plan(stage, &mut Timings::default())?;
    Ok((plan, total_pairs(features)))
}
