//! The pipeline: the only module that wires the stages together — prepare, block, estimate u,
//! count patterns, train, score, cluster — and times them for the report. What each stage
//! does is decided in its own module; here only the order, the threads and the clocks.

mod blocking;
mod result;
mod select;
mod sinks;

pub use crate::score::ScoredPair;
pub use blocking::{BlockingPlan, plan_blocking, plan_for};
pub use result::{Counts, FindResult, FindStatus, RuleReport, Run, Timings};
pub use select::BlockingChoice;

use crate::block::{Blocker, FirstRows, total_pairs};
use crate::cluster::connected_components;
use crate::compare::{Comparator, Pattern};
use crate::error::Result;
use crate::model::{self, Model};
use crate::prepare::{Features, LinkType};
use crate::score::Scorer;
use crate::screen::{ScoreSink, Screen};
use crate::settings::Settings;
use crate::table::{RecordTable, RowId};
use blocking::{index_rules, plan_run};
use rayon::prelude::*;
use result::find_results;
use rustc_hash::FxHashMap;
use sinks::{EM_PAIRS, KEPT_PATTERNS, NearestSink, PatternCounter};
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
    let mut timings = Timings {
        prepare: prepared.seconds,
        ..Default::default()
    };
    let Prepared {
        inputs, features, ..
    } = prepared;
    let comparator = Comparator::new(&settings);
    // A run that trains compares millions of random pairs for u, whatever its rows: its memos
    // keep their full size. One that scores with a given model compares only candidates.
    if options.model.is_some() {
        comparator.size_memos(features.len());
    }
    let stage = Stage {
        settings: &settings,
        features: &features,
        comparator: &comparator,
        options,
        on_progress,
    };
    let mut blocked = block_and_look(stage, &mut timings)?;
    // Keep the settings true to what ran: the rules used, in order.
    let rules_used = blocked.blocker.rules.iter().map(|r| r.rule.text.clone());
    settings.blocking.rules = rules_used.collect();
    let stage = Stage {
        settings: &settings,
        features: &features,
        comparator: &comparator,
        options,
        on_progress,
    };
    let (model, trained, patterns) = match (&options.model, blocked.model.take()) {
        (Some(m), _) => (m.clone(), false, None),
        // Trained on the pilot that chose the rules.
        (None, Some(model)) => (model, true, None),
        (None, None) => {
            let (model, patterns) = learn(stage, &blocked, &mut timings);
            (model, true, patterns)
        }
    };
    let scorer = Scorer::new(&model, &comparator, &features);
    let pairs = score_pairs(stage, &scorer, &blocked, patterns, &mut timings);
    let Blocked {
        blocker,
        rules,
        new_pairs,
        choice,
        ..
    } = blocked;
    let clock = Instant::now();
    on_progress(Progress::Stage {
        name: "clustering",
        total: None,
    });
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
        blocking_choice: choice,
        counts: Counts::default(),
        timings,
    };
    cluster_and_find(&mut run, &blocker, options);
    run.timings.cluster = clock.elapsed().as_secs_f64();
    run.counts = count(&run, new_pairs.iter().sum());
    Ok(run)
}

/// What every stage of a run reads: the settings, the records' features, the comparisons, the
/// options and where progress goes.
#[derive(Clone, Copy)]
struct Stage<'a> {
    settings: &'a Settings,
    features: &'a Features,
    comparator: &'a Comparator,
    options: &'a RunOptions,
    on_progress: &'a (dyn Fn(Progress) + Sync),
}

/// What blocking and the looks beside it gave: the blocker and its rules' figures, the new
/// pairs per rule, u's level counts from random pairs (when training), the screen, and when
/// inferred rules were chosen from a pilot, the model the pilot trained and the choice.
struct Blocked {
    blocker: Blocker,
    rules: Vec<RuleReport>,
    new_pairs: Vec<u64>,
    /// Level counts per comparison among random pairs, and how many were sampled.
    u_counts: Option<UCounts>,
    screen: Screen,
    model: Option<Model>,
    choice: Option<BlockingChoice>,
}

/// Level counts per comparison among random pairs, and how many pairs were sampled.
type UCounts = (Vec<Vec<u64>>, u64);

impl Blocked {
    fn candidate_pairs(&self) -> u64 {
        self.new_pairs.iter().sum()
    }
}

/// Blocking, and beside it u from random pairs (which needs no candidate pairs) and the screen
/// (a row's shapes among others: per-record features), each stage timed on its own.
fn block_and_look(stage: Stage, timings: &mut Timings) -> Result<Blocked> {
    let (plan, model, u_counts, screen) = look_and_plan(stage, timings)?;
    let choice = plan.choice.clone();
    let (blocker, rules, new_pairs) = plan.into_blocker()?;
    Ok(Blocked {
        blocker,
        rules,
        new_pairs,
        u_counts,
        screen,
        model,
        choice,
    })
}

/// The rules indexed beside u and the screen, then the blocking plan ([`blocking::plan_run`]).
fn look_and_plan(
    stage: Stage,
    timings: &mut Timings,
) -> Result<(BlockingPlan, Option<Model>, Option<UCounts>, Screen)> {
    let Stage {
        settings,
        features,
        comparator,
        options,
        on_progress,
    } = stage;
    on_progress(Progress::Stage {
        name: if options.model.is_none() {
            "blocking; estimating u from random pairs"
        } else {
            "blocking"
        },
        total: None,
    });
    // u's random pairs are compared through the screen, as candidates are: the same patterns,
    // most of them settled by the rows' codes and shapes.
    let sample_u = |screen: &Screen| {
        options.model.is_none().then(|| {
            let pairs = settings.training.u_sample_pairs;
            let patterns_of = |chunk: &[(u32, u32)], out: &mut Vec<Pattern>| {
                screen.patterns(comparator, features, chunk, out)
            };
            model::sample_u_counts(features, comparator, pairs, settings.seed, &patterns_of)
        })
    };
    let (indexed, ((screen, screen_seconds), (u_counts, u_seconds))) = rayon::join(
        || timed(|| index_rules(settings, features, options.rules_inferred)),
        || {
            let screened = timed(|| Screen::new(comparator, features));
            let u = timed(|| sample_u(&screened.0));
            (screened, u)
        },
    );
    timings.screen = screen_seconds;
    if u_counts.is_some() {
        timings.estimate_u = u_seconds;
    }
    let (indexed, index_seconds) = indexed;
    timings.blocking = index_seconds;

    let (plan, model) = plan_run(stage, indexed?, &screen, u_counts.as_ref(), timings)?;
    Ok((plan, model, u_counts, screen))
}

/// What `f` gives, with the seconds it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let clock = Instant::now();
    let out = f();
    (out, clock.elapsed().as_secs_f64())
}

/// Candidate pairs with their patterns, in chunks, when counting kept them for scoring.
type KeptPatterns = Vec<Vec<(u32, u32, Pattern)>>;

/// Training: the candidates' patterns counted (on an even sample of them when they are many),
/// then [`model::train`]. Returns the model, and the candidates with their patterns when every
/// one was compared and they fit (scoring then compares nothing again).
fn learn(
    Stage {
        settings,
        features,
        comparator,
        options,
        on_progress,
    }: Stage,
    blocked: &Blocked,
    timings: &mut Timings,
) -> (Model, Option<KeptPatterns>) {
    let (u_counts, sampled) = blocked.u_counts.as_ref().expect("estimated when training");
    let u = model::u_from_counts(u_counts);
    let candidate_pairs = blocked.candidate_pairs();
    let clock = Instant::now();
    on_progress(Progress::Stage {
        name: "counting comparison patterns",
        total: Some(candidate_pairs),
    });
    // Over EM_PAIRS candidate pairs, EM learns from an even sample of them, each counted for
    // the pairs it stands for: the same patterns' shares, at a fraction of the comparing. The
    // sample is the pairs of a sample of first rows, so that the others are not even walked;
    // it depends on the rows only, not on the threads.
    let keep_every = candidate_pairs.div_ceil(EM_PAIRS).max(1);
    // When every pair is compared here and they fit, their patterns are kept for scoring,
    // which then compares nothing again.
    let keep_patterns = keep_every == 1 && candidate_pairs <= KEPT_PATTERNS;
    let counter = PatternCounter {
        comparator,
        screen: &blocked.screen,
        features,
        keep_every,
        keep_patterns,
        progress: on_progress,
    };
    let sample = FirstRows::Sample {
        every: keep_every,
        seed: settings.seed,
    };
    let counted = blocked.blocker.walk(features, &counter, sample);
    let mut counts = model::sorted_counts(counted.counts);
    counts.iter_mut().for_each(|(_, n)| *n *= keep_every);
    timings.count_patterns = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    on_progress(Progress::Stage {
        name: "training the model (EM)",
        total: None,
    });
    let (model, _report) = model::train(&model::TrainingInput {
        comparator,
        settings,
        link_type: options.link_type,
        features,
        counts: &counts,
        u: &u,
        total_pairs: total_pairs(features),
        candidate_pairs,
        u_pairs_sampled: *sampled,
    });
    timings.em = clock.elapsed().as_secs_f64();
    (model, keep_patterns.then_some(counted.kept))
}

/// Scoring: the candidates' weights (from their kept patterns, or walking blocking again with
/// the scoring sink), those at or above the minimum kept, oriented for find and sorted.
fn score_pairs(
    Stage {
        settings,
        features,
        comparator,
        options,
        on_progress,
    }: Stage,
    scorer: &Scorer,
    blocked: &Blocked,
    patterns: Option<KeptPatterns>,
    timings: &mut Timings,
) -> Vec<ScoredPair> {
    let clock = Instant::now();
    on_progress(Progress::Stage {
        name: "scoring candidate pairs",
        total: Some(blocked.candidate_pairs()),
    });
    let min_weight = crate::score::weight_of(settings.thresholds.pairs_min_probability);
    let sink = ScoreSink {
        comparator,
        scorer,
        features,
        min_weight,
        order: scorer.rejecting_first(comparator, features),
        screen: &blocked.screen,
        progress: &|n| on_progress(Progress::Advance(n)),
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
        None => blocked.blocker.for_each_pair(features, &sink).into_pairs(),
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
    pairs
}

/// Clusters above the match threshold; for find, each query's candidates and, for a query
/// with none above the minimum, its nearest blocked record.
fn cluster_and_find(run: &mut Run, blocker: &Blocker, options: &RunOptions) {
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
    if options.link_type != LinkType::Find {
        return;
    }
    let mut find = find_results(run, options.top_k.max(1), match_p, review_p);
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
        let lonely = |a: u32| alone.contains_key(&a);
        let nearest = blocker.walk(&run.features, &sink, FirstRows::Where(&lonely));
        for pair in nearest.into_values() {
            find[alone[&pair.a.0]].nearest = Some(pair);
        }
    }
    run.find = Some(find);
}

/// The run's counts for the report.
fn count(run: &Run, candidate_pairs: u64) -> Counts {
    let t = &run.settings.thresholds;
    let (match_p, review_p) = (t.match_probability, t.review_probability);
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
    let mut counts = Counts {
        records: run.features.len() as u64,
        total_pairs: total_pairs(&run.features),
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
        counts.found = count(FindStatus::Found);
        counts.possible = count(FindStatus::Possible);
        counts.not_found = count(FindStatus::NotFound);
    }
    counts
}
