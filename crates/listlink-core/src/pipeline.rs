//! The pipeline: the only module that wires the stages together — prepare, block, estimate u,
//! count patterns, EM, score, cluster — and times them for the report.

use crate::block::{Blocker, PairSink, Rule, parse_rule, total_pairs};
use crate::cluster::connected_components;
use crate::compare::{Columns, Comparator, Glimpse, MAX_COMPARISONS, Pattern, Screen};
use crate::error::{Error, Result};
use crate::model::{self, Model};
use crate::prepare::{Features, LinkType};
use crate::score::{RowBound, Scorer, probability};
use crate::settings::Settings;
use crate::table::{RecordTable, RowId};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::time::Instant;

/// One input table and, for find, its side (0: the query list, 1: the roster).
#[derive(Debug, Clone)]
pub struct Input {
    pub table: RecordTable,
    pub side: u8,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub link_type: LinkType,
    /// A trained model to score with instead of training one.
    pub model: Option<Model>,
    /// Whether the blocking rules were inferred (then rules over the pair budget are dropped
    /// with a note instead of failing the run).
    pub rules_inferred: bool,
    /// find: candidates kept per query record.
    pub top_k: usize,
    /// Given-name variants to use instead of the bundled table alone (the caller reads the
    /// user's files named in `settings.variant_files`).
    pub variants: Option<std::sync::Arc<listlink_names::variants::Variants>>,
}

/// A candidate pair that scored at least `thresholds.pairs_min_probability`. `a` is the left
/// record (for find, the query record), `b` the right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: RowId,
    pub b: RowId,
    pub pattern: Pattern,
    pub weight: f64,
}

impl ScoredPair {
    pub fn probability(&self) -> f64 {
        probability(self.weight)
    }
}

/// A blocking rule's figures for the report.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub rule: String,
    /// Pairs the rule produces on its own.
    pub pairs: u64,
    /// Pairs no earlier rule produced.
    pub new_pairs: u64,
    /// Why the rule was not used, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// Seconds per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub prepare: f64,
    pub blocking: f64,
    /// Making the screen's per-row sketches ([`Comparator::screen`]), beside blocking.
    pub screen: f64,
    pub estimate_u: f64,
    pub count_patterns: f64,
    pub em: f64,
    pub score: f64,
    pub cluster: f64,
}

/// find: the answer for one query record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindStatus {
    Found,
    Possible,
    NotFound,
}

impl FindStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindStatus::Found => "found",
            FindStatus::Possible => "possible",
            FindStatus::NotFound => "not_found",
        }
    }
}

/// find: a query record, its status and its best candidates (indexes into `Run::pairs`).
#[derive(Debug, Clone)]
pub struct FindResult {
    pub query: RowId,
    pub status: FindStatus,
    pub candidates: Vec<usize>,
    /// For a query with no candidate at or above `pairs_min_probability`: its best-scoring
    /// blocked pair all the same, so that "not found" shows how near the nearest came.
    pub nearest: Option<ScoredPair>,
}

/// Counts for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub records: u64,
    pub total_pairs: u64,
    pub candidate_pairs: u64,
    pub pairs_written: u64,
    pub matches: u64,
    pub review: u64,
    pub clusters: u64,
    pub clusters_with_several_records: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_found: Option<u64>,
}

/// Everything a run produced.
pub struct Run {
    pub settings: Settings,
    pub inputs: Vec<Input>,
    pub features: Features,
    pub comparator: Comparator,
    pub model: Model,
    /// Whether the model was trained in this run (else it was given).
    pub trained: bool,
    pub scorer: Scorer,
    /// Pairs at or above `pairs_min_probability`, sorted by (a, b).
    pub pairs: Vec<ScoredPair>,
    /// Cluster per row: the row that names it.
    pub clusters: Vec<u32>,
    pub find: Option<Vec<FindResult>>,
    pub rules: Vec<RuleReport>,
    pub counts: Counts,
    pub timings: Timings,
}

impl Run {
    /// (source, id) of a row.
    pub fn key(&self, row: usize) -> (&str, &str) {
        let (t, r) = self.locate(row);
        (t.sources.get(r), t.ids.get(r))
    }

    /// The table and row within it of a global row.
    pub fn locate(&self, mut row: usize) -> (&RecordTable, usize) {
        for input in &self.inputs {
            if row < input.table.len() {
                return (&input.table, row);
            }
            row -= input.table.len();
        }
        panic!("row {row} out of range");
    }
}

/// Candidate-pair budget for an inferred rule: generous for small data, linear in records.
fn inferred_budget(records: usize, configured: u64) -> u64 {
    configured.min((records as u64 * 200).max(2_000_000))
}

/// What a run tells its caller as it goes (the CLI draws it on a terminal; the library prints
/// nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// A stage starts; `total` is the work it will count through, when known (candidate pairs).
    Stage { name: &'a str, total: Option<u64> },
    /// This much more of the stage's total is done (reported from any thread).
    Advance(u64),
}

/// Runs the whole pipeline.
pub fn run(inputs: Vec<Input>, settings: Settings, options: &RunOptions) -> Result<Run> {
    run_with_progress(inputs, settings, options, &|_| {})
}

/// Runs the whole pipeline, telling `progress` each stage as it starts and, for the stages
/// that compare candidate pairs, how many are done.
pub fn run_with_progress(
    inputs: Vec<Input>,
    settings: Settings,
    options: &RunOptions,
    on_progress: &(dyn Fn(Progress) + Sync),
) -> Result<Run> {
    on_progress(Progress::Stage {
        name: "preparing names and keys",
        total: None,
    });
    let prepared = prepare(inputs, &settings, options);
    run_prepared(prepared, settings, options, on_progress)
}

/// Input tables with their per-record features: the first stage of a run, which a caller may
/// adjust before the rest (a store gives the shares of values in its whole roster with
/// `frequency::reweigh`).
pub struct Prepared {
    pub inputs: Vec<Input>,
    pub features: Features,
    /// Seconds the preparing took.
    pub seconds: f64,
}

/// Prepares the inputs' names, values and keys for a run under `settings`.
pub fn prepare(inputs: Vec<Input>, settings: &Settings, options: &RunOptions) -> Prepared {
    let clock = Instant::now();
    let sides: Vec<u8> = inputs.iter().map(|i| i.side).collect();
    let tables: Vec<RecordTable> = inputs.into_iter().map(|i| i.table).collect();
    let variants = options
        .variants
        .clone()
        .unwrap_or_else(crate::prepare::bundled_variants);
    let features =
        crate::prepare::prepare_with(&tables, &sides, settings, options.link_type, variants);
    let inputs: Vec<Input> = tables
        .into_iter()
        .zip(&sides)
        .map(|(table, &side)| Input { table, side })
        .collect();
    Prepared {
        inputs,
        features,
        seconds: clock.elapsed().as_secs_f64(),
    }
}

/// The rest of a run from prepared inputs: blocking, training when no model is given,
/// scoring, clustering.
pub fn run_prepared(
    prepared: Prepared,
    mut settings: Settings,
    options: &RunOptions,
    on_progress: &(dyn Fn(Progress) + Sync),
) -> Result<Run> {
    let progress = |name: &str| on_progress(Progress::Stage { name, total: None });
    let mut timings = Timings {
        prepare: prepared.seconds,
        ..Default::default()
    };
    let Prepared {
        inputs, features, ..
    } = prepared;

    // Blocking, and u from random pairs (which needs no candidate pairs): side by side, each
    // stage timed on its own.
    progress(if options.model.is_none() {
        "blocking; estimating u from random pairs"
    } else {
        "blocking"
    });
    let comparator = Comparator::new(&settings);
    // A run that trains compares millions of random pairs for u, whatever its rows: its memos
    // keep their full size. One that scores with a given model compares only candidates.
    if options.model.is_some() {
        comparator.size_memos(features.len());
    }
    let (blocked, (u_estimate, (screen, screen_seconds))) = rayon::join(
        || block_candidates(&settings, &features, options),
        || {
            rayon::join(
                || {
                    options.model.is_none().then(|| {
                        let clock = Instant::now();
                        let (u_counts, sampled) = model::sample_u_counts(
                            &features,
                            &comparator,
                            settings.training.u_sample_pairs,
                            settings.seed,
                        );
                        (u_counts, sampled, clock.elapsed().as_secs_f64())
                    })
                },
                // What scoring looks at first, a row's shapes among them: per-record features,
                // made while blocking.
                || {
                    let clock = Instant::now();
                    (comparator.screen(&features), clock.elapsed().as_secs_f64())
                },
            )
        },
    );
    timings.screen = screen_seconds;
    let (blocker, rules, new_pairs, blocking_seconds) = blocked?;
    timings.blocking = blocking_seconds;
    // Keep the settings true to what ran: the rules used, in order.
    settings.blocking.rules = blocker.rules.iter().map(|r| r.rule.text.clone()).collect();
    let total = total_pairs(&features);
    let candidate_pairs: u64 = new_pairs.iter().sum();

    // Candidate pairs with their patterns, when counting kept them.
    let mut patterns: Option<Vec<Vec<(u32, u32, Pattern)>>> = None;
    let (model, trained) = match &options.model {
        Some(m) => (m.clone(), false),
        None => {
            let (u_counts, sampled, u_seconds) = u_estimate.expect("estimated when training");
            let u = model::u_from_counts(&u_counts);
            timings.estimate_u = u_seconds;

            let clock = Instant::now();
            on_progress(Progress::Stage {
                name: "counting comparison patterns",
                total: Some(candidate_pairs),
            });
            // Over EM_PAIRS candidate pairs, EM learns from an even sample of them, each
            // counted for the pairs it stands for: the same patterns' shares, at a fraction
            // of the comparing. The sample is the pairs of a sample of first rows, so that the
            // others are not even walked; it depends on the rows only, not on the threads.
            let keep_every = candidate_pairs.div_ceil(EM_PAIRS).max(1);
            // When every pair is compared here and they fit, their patterns are kept for
            // scoring, which then compares nothing again.
            let keep_patterns = keep_every == 1 && candidate_pairs <= KEPT_PATTERNS;
            let (map, kept) = blocker.for_each_pair(
                &features,
                &PatternCounter {
                    comparator: &comparator,
                    screen: &screen,
                    features: &features,
                    keep_every,
                    seed: settings.seed,
                    keep_patterns,
                    progress: on_progress,
                },
            );
            let mut counts = model::sorted_counts(map);
            counts.iter_mut().for_each(|(_, n)| *n *= keep_every);
            if keep_patterns {
                patterns = Some(kept);
            }
            timings.count_patterns = clock.elapsed().as_secs_f64();

            let clock = Instant::now();
            progress("training the model (EM)");
            let (model, _report) = model::train(&model::TrainingInput {
                comparator: &comparator,
                settings: &settings,
                link_type: options.link_type,
                features: &features,
                counts: &counts,
                u: &u,
                total_pairs: total,
                candidate_pairs,
                u_pairs_sampled: sampled,
            });
            timings.em = clock.elapsed().as_secs_f64();
            (model, true)
        }
    };

    let clock = Instant::now();
    on_progress(Progress::Stage {
        name: "scoring candidate pairs",
        total: Some(candidate_pairs),
    });
    let scorer = Scorer::new(&model, &comparator, &features);
    let min_weight = crate::score::weight_of(settings.thresholds.pairs_min_probability);
    let sink = ScoreSink {
        comparator: &comparator,
        scorer: &scorer,
        features: &features,
        min_weight,
        order: scorer.rejecting_first(&comparator, &features),
        screen,
        progress: on_progress,
    };
    let mut pairs = match patterns {
        Some(kept) => kept
            .par_iter()
            .fold(Vec::new, |mut out, chunk| {
                sink.scored(&mut out, chunk.iter().copied());
                on_progress(Progress::Advance(chunk.len() as u64));
                out
            })
            .reduce(Vec::new, |mut a, b| {
                a.extend(b);
                a
            }),
        None => blocker.for_each_pair(&features, &sink).into_pairs(),
    };
    if options.link_type == LinkType::Find {
        // Orient: for find the query record is on the left.
        pairs.par_iter_mut().for_each(|p| {
            if features.side[p.a.index()] == 1 {
                std::mem::swap(&mut p.a, &mut p.b);
            }
        });
    }
    // Sorted on all threads: at ten million records some ten million pairs are kept.
    pairs.par_sort_unstable_by_key(|p| (p.a, p.b));
    timings.score = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    progress("clustering");
    let mut run = Run {
        settings,
        inputs,
        features,
        comparator,
        model,
        trained,
        scorer,
        pairs,
        clusters: Vec::new(),
        find: None,
        rules,
        counts: Counts::default(),
        timings,
    };
    let t = &run.settings.thresholds;
    let (match_p, review_p) = (t.match_probability, t.review_probability);
    let edges: Vec<(RowId, RowId)> = run
        .pairs
        .iter()
        .filter(|p| p.probability() >= match_p)
        .map(|p| (p.a, p.b))
        .collect();
    run.clusters = connected_components(run.features.len(), edges.iter().copied(), |r| {
        let (s, i) = run.key(r);
        (s.to_string(), i.to_string())
    });
    if options.link_type == LinkType::Find {
        let mut find = find_results(&run, options.top_k.max(1), match_p, review_p);
        let alone: FxHashMap<u32, usize> = find
            .iter()
            .enumerate()
            .filter(|(_, f)| f.candidates.is_empty())
            .map(|(i, f)| (f.query.0, i))
            .collect();
        if !alone.is_empty() {
            let sink = NearestSink {
                alone: &alone,
                comparator: &run.comparator,
                scorer: &run.scorer,
                features: &run.features,
            };
            for pair in blocker.for_each_pair(&run.features, &sink).into_values() {
                find[alone[&pair.a.0]].nearest = Some(pair);
            }
        }
        run.find = Some(find);
    }
    run.timings.cluster = clock.elapsed().as_secs_f64();

    let mut sizes: FxHashMap<u32, u64> = FxHashMap::default();
    for c in &run.clusters {
        *sizes.entry(*c).or_default() += 1;
    }
    let probabilities = run.pairs.iter().map(|p| p.probability());
    let (matches, review) = probabilities.fold((0, 0), |(m, r), p| {
        if p >= match_p {
            (m + 1, r)
        } else if p >= review_p {
            (m, r + 1)
        } else {
            (m, r)
        }
    });
    run.counts = Counts {
        records: run.features.len() as u64,
        total_pairs: total,
        candidate_pairs,
        pairs_written: run.pairs.len() as u64,
        matches,
        review,
        clusters: sizes.len() as u64,
        clusters_with_several_records: sizes.values().filter(|n| **n > 1).count() as u64,
        ..Default::default()
    };
    if let Some(find) = &run.find {
        let count = |s: FindStatus| Some(find.iter().filter(|f| f.status == s).count() as u64);
        run.counts.found = count(FindStatus::Found);
        run.counts.possible = count(FindStatus::Possible);
        run.counts.not_found = count(FindStatus::NotFound);
    }
    Ok(run)
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
    let parsed: Vec<Rule> = settings
        .blocking
        .rules
        .iter()
        .map(|r| {
            parse_rule(r, settings).map_err(|m| Error::Usage(format!("blocking rule `{r}`: {m}")))
        })
        .collect::<Result<_>>()?;
    let indexes = Blocker::index(parsed, features);
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
fn block_candidates(
    settings: &Settings,
    features: &Features,
    options: &RunOptions,
) -> Result<(Blocker, Vec<RuleReport>, Vec<u64>, f64)> {
    let clock = Instant::now();
    let (blocker, rules, new_pairs) =
        plan_blocking(settings, features, options.rules_inferred)?.into_blocker()?;
    Ok((blocker, rules, new_pairs, clock.elapsed().as_secs_f64()))
}

fn find_results(run: &Run, top_k: usize, match_p: f64, review_p: f64) -> Vec<FindResult> {
    let mut by_query: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for (i, p) in run.pairs.iter().enumerate() {
        by_query.entry(p.a.0).or_default().push(i);
    }
    (0..run.features.len())
        .filter(|&r| run.features.side[r] == 0)
        .map(|r| {
            let mut candidates = by_query.remove(&(r as u32)).unwrap_or_default();
            // Best first; ties by row for determinism.
            candidates.sort_by(|&x, &y| {
                run.pairs[y]
                    .weight
                    .total_cmp(&run.pairs[x].weight)
                    .then(run.pairs[x].b.cmp(&run.pairs[y].b))
            });
            candidates.truncate(top_k);
            let best = candidates
                .first()
                .map(|&i| run.pairs[i].probability())
                .unwrap_or(0.0);
            let status = if best >= match_p {
                FindStatus::Found
            } else if best >= review_p {
                FindStatus::Possible
            } else {
                FindStatus::NotFound
            };
            FindResult {
                query: RowId(r as u32),
                status,
                candidates,
                nearest: None,
            }
        })
        .collect()
}

/// The best-scoring blocked pair of each query row that has no candidate above the minimum,
/// scored in full (queries come first in a find, so they are their pairs' first rows).
struct NearestSink<'a> {
    alone: &'a FxHashMap<u32, usize>,
    comparator: &'a Comparator,
    scorer: &'a Scorer,
    features: &'a Features,
}

impl PairSink for NearestSink<'_> {
    type State = FxHashMap<u32, ScoredPair>;
    fn start(&self) -> Self::State {
        FxHashMap::default()
    }
    fn wants(&self, a: u32) -> bool {
        self.alone.contains_key(&a)
    }
    fn samples(&self) -> bool {
        true
    }
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        for &(a, b) in pairs {
            if !self.alone.contains_key(&a) {
                continue;
            }
            let pattern = self
                .comparator
                .pattern(self.features, a as usize, b as usize);
            let weight = self.scorer.weight(self.features, a as usize, pattern);
            let pair = ScoredPair {
                a: RowId(a),
                b: RowId(b),
                pattern,
                weight,
            };
            state
                .entry(a)
                .and_modify(|best| {
                    if better(&pair, best) {
                        *best = pair;
                    }
                })
                .or_insert(pair);
        }
    }
    fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
        for (row, pair) in b {
            a.entry(row)
                .and_modify(|best| {
                    if better(&pair, best) {
                        *best = pair;
                    }
                })
                .or_insert(pair);
        }
        a
    }
}

/// Higher weight first; ties by the second row, so that the answer does not depend on threads.
fn better(x: &ScoredPair, y: &ScoredPair) -> bool {
    x.weight > y.weight || (x.weight == y.weight && x.b < y.b)
}

/// Candidate pairs EM learns from at most (more are sampled evenly down to about this many).
const EM_PAIRS: u64 = 5_000_000;
/// Candidate pairs whose patterns are kept from counting for scoring, at most (16 bytes each).
const KEPT_PATTERNS: u64 = EM_PAIRS;

struct PatternCounter<'a> {
    comparator: &'a Comparator,
    /// What the pairs' rows show of their levels ([`Comparator::patterns_screened`]).
    screen: &'a Screen,
    features: &'a Features,
    /// Count one pair in this many (1: all).
    keep_every: u64,
    seed: u64,
    /// Also keep every pair with its pattern.
    keep_patterns: bool,
    progress: &'a (dyn Fn(Progress) + Sync),
}

impl PatternCounter<'_> {
    /// Whether the pairs whose first row is `a` are in the sample: a hash of the row and the
    /// seed. Each pair is in it with the same chance, and the blocker walks no others.
    fn keeps(&self, a: u32) -> bool {
        if self.keep_every <= 1 {
            return true;
        }
        crate::rng::hash(u64::from(a), self.seed).is_multiple_of(self.keep_every)
    }
}

impl PairSink for PatternCounter<'_> {
    /// Pattern counts, and the kept pairs in chunks (never regrown or copied).
    type State = (FxHashMap<Pattern, u64>, Vec<Vec<(u32, u32, Pattern)>>);
    fn start(&self) -> Self::State {
        Default::default()
    }
    /// Only the sample: pairs outside it are never walked, checked against the rules or
    /// compared.
    #[inline]
    fn wants(&self, a: u32) -> bool {
        self.keeps(a)
    }
    fn samples(&self) -> bool {
        self.keep_every > 1
    }
    fn pairs(&self, (counts, kept): &mut Self::State, pairs: &[(u32, u32)]) {
        // Each sampled pair stands for `keep_every` candidates (for the progress bar).
        let all = pairs.len() as u64 * self.keep_every;
        let mut patterns = Vec::new();
        self.comparator
            .patterns_screened(self.features, self.screen, pairs, &mut patterns);
        for &pattern in &patterns {
            *counts.entry(pattern).or_default() += 1;
        }
        if self.keep_patterns {
            kept.push(
                pairs
                    .iter()
                    .zip(&patterns)
                    .map(|(&(a, b), &p)| (a, b, p))
                    .collect(),
            );
        }
        (self.progress)(Progress::Advance(all));
    }
    fn merge(&self, (mut a, mut kept_a): Self::State, (b, kept_b): Self::State) -> Self::State {
        if a.len() < b.len() {
            return self.merge((b, kept_b), (a, kept_a));
        }
        for (k, v) in b {
            *a.entry(k).or_default() += v;
        }
        kept_a.extend(kept_b);
        (a, kept_a)
    }
}

struct ScoreSink<'a> {
    comparator: &'a Comparator,
    scorer: &'a Scorer,
    features: &'a Features,
    min_weight: f64,
    /// The order comparisons are evaluated in ([`Scorer::rejecting_first`]).
    order: Vec<usize>,
    /// What a pair's rows show of its levels before any comparison ([`Comparator::screen`]).
    screen: Screen,
    progress: &'a (dyn Fn(Progress) + Sync),
}

impl ScoreSink<'_> {
    /// The weight a pair's bound must fall below to be dropped: the minimum, less a margin so
    /// that rounding in the running bound never drops a pair that makes it.
    fn floor(&self) -> f64 {
        self.min_weight - 1e-6
    }

    /// Scores pairs with their patterns (counted and kept before scoring); keeps those at or
    /// above the minimum weight.
    fn scored(&self, out: &mut Vec<ScoredPair>, pairs: impl Iterator<Item = (u32, u32, Pattern)>) {
        for (a, b, pattern) in pairs {
            let weight = self.scorer.weight(self.features, a as usize, pattern);
            if weight >= self.min_weight {
                out.push(ScoredPair {
                    a: RowId(a),
                    b: RowId(b),
                    pattern,
                    weight,
                });
            }
        }
    }
}

/// A scoring task's pairs kept, and the values of the rows it screens in columns.
#[derive(Default)]
struct ScoreState {
    kept: Vec<ScoredPair>,
    /// The pairs other tasks kept, merged in: moved, not copied, until [`ScoreState::into_pairs`].
    merged: Vec<Vec<ScoredPair>>,
    /// The values of the rows entered last ([`PairSink::enter_group`]), in columns.
    columns: Columns,
    /// Those rows.
    rows: Vec<u32>,
    /// Of the pairs among these rows screened in columns so far, how many it kept.
    screened: (u64, u64),
}

impl ScoreState {
    /// The vector to keep up to `n` more pairs in. It never grows: a full one is set aside
    /// and a fresh one started, twice as large up to a limit, rather than copied into a
    /// larger one (some ten million pairs are kept at ten million records).
    fn room_for(&mut self, n: usize) -> &mut Vec<ScoredPair> {
        const KEPT_CHUNK: usize = 1 << 16;
        if self.kept.capacity() - self.kept.len() < n {
            let size = (2 * self.kept.capacity()).clamp(4096, KEPT_CHUNK).max(n);
            let fresh = Vec::with_capacity(size);
            let full = std::mem::replace(&mut self.kept, fresh);
            if !full.is_empty() {
                self.merged.push(full);
            }
        }
        &mut self.kept
    }

    /// All the pairs kept, in one vector: copied once, on all threads. Its memory is fresh
    /// (some ten million pairs at ten million records), and first touching it cost one thread
    /// over half a second there.
    fn into_pairs(mut self) -> Vec<ScoredPair> {
        self.merged.push(self.kept);
        let total = self.merged.iter().map(Vec::len).sum();
        let blank = ScoredPair {
            a: RowId(0),
            b: RowId(0),
            pattern: 0,
            weight: 0.0,
        };
        let mut pairs: Vec<ScoredPair> = (0..total).into_par_iter().map(|_| blank).collect();
        let mut rest = &mut pairs[..];
        let mut parts = Vec::with_capacity(self.merged.len());
        for kept in &self.merged {
            let (part, after) = rest.split_at_mut(kept.len());
            parts.push(part);
            rest = after;
        }
        parts
            .into_par_iter()
            .zip(&self.merged)
            .for_each(|(part, kept)| part.copy_from_slice(kept));
        pairs
    }

    /// Whether screening in columns still pays among the rows entered last: not once it has
    /// kept most of a few hundred pairs (people of one family name and birth date, whose given
    /// names are alike or missing), as each pair kept is screened again pair by pair.
    fn columns_pay(&self) -> bool {
        let (screened, kept) = self.screened;
        screened < 256 || 2 * kept < screened
    }
}

impl PairSink for ScoreSink<'_> {
    type State = ScoreState;
    fn start(&self) -> Self::State {
        ScoreState::default()
    }
    /// Looks at each pair's rows first ([`Screen`]): most candidate pairs are clear non-matches,
    /// which the levels and bounds the rows show rule out at once. The others are compared
    /// cheap comparisons first, stopping as soon as the weight cannot reach the minimum whatever
    /// the rest say. A pair compared to the end is scored in full, so the pairs kept and their
    /// weights are those of comparing everything.
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        let kept = state.room_for(pairs.len());
        let (f, comparator, scorer, screen) =
            (self.features, self.comparator, self.scorer, &self.screen);
        let floor = self.floor();
        // Pairs come grouped by their first row: its side of the bound is computed once.
        let mut row: Option<(usize, RowBound)> = None;
        for (i, &(a, b)) in pairs.iter().enumerate() {
            comparator.prefetch_ahead(f, pairs, i);
            screen.prefetch_ahead(pairs, i);
            // A pair a few places ahead, once its packed lines (fetched further ahead) are in:
            // its names' token summaries, and its first row's term-frequency entries and names
            // when that row changes.
            if let Some(&[(before, _), (next, b_next)]) = pairs.get(i + 3..i + 5) {
                comparator.prefetch_names(f, b_next);
                if next != before {
                    scorer.prefetch_row(f, next as usize);
                    comparator.prefetch_names(f, next);
                }
            }
            let (a, b) = (a as usize, b as usize);
            let row = match &row {
                Some((cached, bound)) if *cached == a => bound,
                _ => &row.insert((a, scorer.row_bound(f, a))).1,
            };
            let mut bound = row.ceiling;
            let mut pattern: Pattern = 0;
            // Comparisons whose level the screen showed, and per comparison what it took off
            // the bound.
            let mut known = 0u32;
            let mut early = [0.0; MAX_COMPARISONS];
            let rows = f.packed.as_ref().map(|p| (p.row(a), p.row(b)));
            if let Some(rows) = rows {
                screen.look((a, b), rows, |c, glimpse| {
                    let drop = scorer.glimpse_drop(row, c, glimpse);
                    early[c] = drop;
                    bound -= drop;
                    if let Glimpse::Level(level) = glimpse {
                        known |= 1 << c;
                        pattern |= u64::from(level) << (4 * c);
                    }
                });
            }
            let mut aligned = None;
            let mut rejected = bound < floor;
            if !rejected {
                for &c in &self.order {
                    if known & (1 << c) != 0 {
                        continue;
                    }
                    let level = comparator.level_of_pair(f, c, a, b, &mut aligned);
                    pattern |= (level as u64) << (4 * c);
                    bound -= scorer.drop(row, c, level) - early[c];
                    if bound < floor {
                        rejected = true;
                        break;
                    }
                }
            }
            if !rejected {
                let weight = scorer.weight_in_row(row, pattern);
                if weight >= self.min_weight {
                    kept.push(ScoredPair {
                        a: RowId(a as u32),
                        b: RowId(b as u32),
                        pattern,
                        weight,
                    });
                }
            }
        }
        (self.progress)(Progress::Advance(pairs.len() as u64));
    }
    /// Moves the other task's pairs over: merging by copying them into one vector would
    /// copy them again at every level of rayon's splits, into fresh memory each time.
    fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
        a.merged.push(b.kept);
        a.merged.extend(b.merged);
        a
    }
    /// Large groups hold most candidate pairs: many people of one name, many neighbours at one
    /// address. There a row is screened against all the rows after it in columns
    /// ([`Screen::against`], which also tells neighbours apart by their names' token
    /// summaries), and only the pairs that may still reach the minimum come to
    /// [`PairSink::pairs`], which screens them again pair by pair. From 16 rows: at 10M records
    /// it screened faster than from 8 or 64 (rules past the first have groups of a dozen).
    fn screens_groups_from(&self) -> Option<usize> {
        const GROUP_SCREEN_ROWS: usize = 16;
        (self.features.packed.is_some() && self.screen.has_columns()).then_some(GROUP_SCREEN_ROWS)
    }
    fn enter_group(&self, state: &mut Self::State, rows: &[u32]) {
        if let Some(packed) = &self.features.packed {
            state.screened = (0, 0);
            self.screen.gather(packed, rows, &mut state.columns);
            state.rows.clear();
            state.rows.extend_from_slice(rows);
            if let Some(&first) = rows.first() {
                self.scorer.prefetch_row(self.features, first as usize);
            }
            // Their names' token summaries, which screening them reads at random.
            for &r in rows {
                self.comparator.prefetch_names(self.features, r);
            }
        }
    }
    fn screen_row(&self, state: &mut Self::State, (i, a): (usize, u32), keep: &mut [bool]) {
        if !state.columns_pay() {
            return;
        }
        let (f, scorer) = (self.features, self.scorer);
        // The next row's term-frequency entries, which its bound reads at random, while this
        // row is screened.
        if let Some(&next) = state.rows.get(i + 1) {
            scorer.prefetch_row(f, next as usize);
        }
        let row = scorer.row_bound(f, a as usize);
        // The pair is dropped when its bound, the ceiling less the drops, falls below the floor.
        let limit = row.ceiling - self.floor();
        let drop = |c, glimpse| scorer.glimpse_drop(&row, c, glimpse);
        let sigs = f.person.as_ref().map(|p| &p.sigs);
        self.screen
            .against(sigs, &mut state.columns, i, drop, limit, keep);
        let kept = keep.iter().filter(|&&k| k).count();
        state.screened.0 += keep.len() as u64;
        state.screened.1 += kept as u64;
    }
    fn screened(&self, _state: &mut Self::State, pairs: u64) {
        (self.progress)(Progress::Advance(pairs));
    }
}
