//! The Fellegi–Sunter model: the prior λ, and per comparison level the probabilities m (of the
//! level among matches) and u (among non-matches). u comes from a seeded sample of random pairs;
//! m and λ from EM over the counts of comparison patterns among candidate pairs, so that EM costs
//! the same for a thousand or a billion pairs.

use crate::compare::{Comparator, Pattern, level_of};
use crate::error::{Error, Result};
use crate::prepare::{Features, LinkType};
pub use crate::rng::SplitMix64;
use crate::settings::{FieldKind, Settings};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The model file format this build writes; it reads this version and older ones it knows.
pub const MODEL_VERSION: u32 = 1;
const MODEL_FORMAT: &str = "listlink-model";

/// Probabilities below this are raised to it, so that no level has an infinite weight.
const MIN_PROBABILITY: f64 = 1e-9;

/// The least m (or r) a level's weight is computed from: one match in a thousand. EM drives the m
/// of a level it sees in no match towards zero (on names-only lists a wholly different family
/// name weighed −29.6, which no other evidence could outweigh), yet records of one person
/// disagree that way at some rate: a clerk's error, a changed name. Weights are floored there,
/// at most ten bits against a pair per comparison; the fitted m is kept as it is.
const M_FLOOR: f64 = 1e-3;

/// The least m a person-name level that finds the names alike (after transliteration, as
/// variants, by skeleton, similar or close) is weighed with: one match in a hundred. On
/// names-only lists EM, with two comparisons to go by, drives such a level's m to nothing for
/// one part while real lists show it for a few percent of one person's records (a family name
/// one letter off across scripts: Reigns ~ ריינס), which then weighed as strongly against a
/// pair as a wholly different name.
const NAME_AGREEMENT_FLOOR: f64 = 1e-2;

/// The label a person-name comparison's levels include, which tells it apart.
const NAME_LEVEL_MARK: &str = "same consonant skeleton";

/// m and u of one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelModel {
    pub label: String,
    pub m: f64,
    pub u: f64,
    /// The level's probability among related non-matches (namesakes, relatives), when the
    /// model has that class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<f64>,
}

/// One comparison's levels; index 0 is the null level (m and u unused, weight 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonModel {
    pub name: String,
    pub levels: Vec<LevelModel>,
}

/// How the model was trained, for the report and for whoever reads the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub total_pairs: u64,
    pub candidate_pairs: u64,
    pub distinct_patterns: u64,
    pub u_pairs_sampled: u64,
    pub em_iterations: u32,
    pub em_converged: bool,
    pub log_likelihood: f64,
    pub seed: u64,
}

/// A trained model, saved as versioned JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub version: u32,
    pub link_type: LinkType,
    /// λ: the probability that two records of a random allowed pair are the same person.
    pub prior: f64,
    /// The probability that a random allowed pair is a related non-match (namesakes,
    /// relatives), when the model has that class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_prior: Option<f64>,
    pub comparisons: Vec<ComparisonModel>,
    pub training: TrainingInfo,
}

impl Model {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("model serialises")
    }

    /// Reads a model file, checking its format and version.
    pub fn from_json(text: &str, path: &Path) -> Result<Model> {
        let err = |message: String| Error::Model {
            path: path.to_path_buf(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(format!("not a model file: {e}")))?;
        if value.get("format").and_then(|v| v.as_str()) != Some(MODEL_FORMAT) {
            return Err(err(format!(
                "not a listlink model file (no \"format\": \"{MODEL_FORMAT}\")"
            )));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version == 0 || version > MODEL_VERSION as u64 {
            return Err(err(format!(
                "model version {version} is not supported by this build (it reads versions 1 to {MODEL_VERSION}); retrain with this version"
            )));
        }
        let mut model: Model = serde_json::from_value(value)
            .map_err(|e| err(format!("model version {version} is malformed: {e}")))?;
        model.split_far_dates();
        let problems = model.problems();
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(err(format!(
                "{} invalid value(s): {}",
                problems.len(),
                problems.join("; ")
            )))
        }
    }

    /// A model written before dates six to ten years apart had a level of their own: its
    /// `else` date level (more than five years apart) is split in two of the same weight,
    /// `within 10 years` and `else`, half its m, u and r each. It weighs every pair as before.
    fn split_far_dates(&mut self) {
        for c in &mut self.comparisons {
            let n = c.levels.len();
            let old = n >= 2
                && c.levels[n - 2].label == "within 5 years"
                && c.levels[n - 1].label == "else";
            if old {
                let far = &mut c.levels[n - 1];
                far.m /= 2.0;
                far.u /= 2.0;
                far.r = far.r.map(|r| r / 2.0);
                let mut ten = far.clone();
                ten.label = "within 10 years".into();
                c.levels.insert(n - 1, ten);
            }
        }
    }

    /// Every probability that is not one, named by its key (`comparisons[2].levels[1].u`):
    /// priors strictly between 0 and 1 and summing to under 1; m and r in [0, 1], u in (0, 1]
    /// (a level no random pair shows would weigh infinitely), each summing to 1 over a
    /// comparison's levels.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let in_open = |x: f64| x.is_finite() && x > 0.0 && x < 1.0;
        if !in_open(self.prior) {
            out.push(format!(
                "prior = {} is not a probability strictly between 0 and 1",
                self.prior
            ));
        }
        if let Some(r) = self.related_prior {
            if !in_open(r) {
                out.push(format!(
                    "related_prior = {r} is not a probability strictly between 0 and 1"
                ));
            } else if in_open(self.prior) && self.prior + r >= 1.0 {
                out.push(format!(
                    "prior + related_prior = {} is not below 1",
                    self.prior + r
                ));
            }
        }
        for (c, comparison) in self.comparisons.iter().enumerate() {
            if comparison.levels.len() < 2 {
                out.push(format!("comparisons[{c}].levels: a comparison needs its null level and at least one more"));
                continue;
            }
            let mut sums = [0.0f64; 3];
            for (l, level) in comparison.levels.iter().enumerate().skip(1) {
                let key = |name: &str| format!("comparisons[{c}].levels[{l}].{name}");
                let mut check = |name: &str, x: f64, zero_ok: bool, sum: &mut f64| {
                    let ok = x.is_finite() && x <= 1.0 && (x > 0.0 || (zero_ok && x == 0.0));
                    if !ok {
                        out.push(format!(
                            "{} = {x} is not a probability in {}",
                            key(name),
                            if zero_ok { "[0, 1]" } else { "(0, 1]" }
                        ));
                    }
                    *sum += x;
                };
                let [sm, su, sr] = &mut sums;
                check("m", level.m, true, sm);
                check("u", level.u, false, su);
                if let Some(r) = level.r {
                    check("r", r, true, sr);
                }
            }
            let has_r = comparison.levels.iter().skip(1).any(|l| l.r.is_some());
            for (name, sum, present) in [
                ("m", sums[0], true),
                ("u", sums[1], true),
                ("r", sums[2], has_r),
            ] {
                if present && sum.is_finite() && (sum - 1.0).abs() > 1e-3 {
                    out.push(format!(
                        "comparisons[{c}].levels[*].{name} add up to {sum}, not 1"
                    ));
                }
            }
        }
        out
    }

    /// Checks that this model fits the comparisons of a run: same names and level labels.
    pub fn check_fits(&self, comparator: &Comparator, path: &Path) -> Result<()> {
        let mut problems = Vec::new();
        if self.comparisons.len() != comparator.comparisons.len() {
            problems.push(format!(
                "the model has {} comparisons, the settings {}",
                self.comparisons.len(),
                comparator.comparisons.len()
            ));
        }
        for (m, c) in self.comparisons.iter().zip(&comparator.comparisons) {
            let labels: Vec<&str> = m.levels.iter().map(|l| l.label.as_str()).collect();
            if m.name != c.name || labels != c.labels.iter().map(String::as_str).collect::<Vec<_>>()
            {
                problems.push(format!(
                    "comparison `{}` of the model does not match `{}` of the settings",
                    m.name, c.name
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Model {
                path: path.to_path_buf(),
                message: problems.join("; "),
            })
        }
    }

    /// The related class, if any: log2(λ₂/λ₃) and log2(r/u) per comparison and level (0 for the
    /// null level).
    pub fn related_log_ratios(&self) -> Option<(f64, Vec<Vec<f64>>)> {
        let prior_r = self.related_prior?;
        let prior_u = 1.0 - self.prior - prior_r;
        Some((
            (prior_r / prior_u).log2(),
            self.log_ratios(|l| l.r.unwrap_or(l.u)),
        ))
    }

    /// log2(m/u) per comparison and level (0 for the null level).
    pub fn level_weights(&self) -> Vec<Vec<f64>> {
        self.log_ratios(|l| l.m)
    }

    /// log2(numerator/u) per comparison and level, 0 for the null level.
    fn log_ratios(&self, numerator: impl Fn(&LevelModel) -> f64) -> Vec<Vec<f64>> {
        let ratio = |floor: f64, l: &LevelModel| {
            (numerator(l).max(floor) / l.u.max(MIN_PROBABILITY)).log2()
        };
        self.comparisons
            .iter()
            .map(|c| {
                let names = c.levels.iter().any(|l| l.label == NAME_LEVEL_MARK);
                let last = c.levels.len() - 1;
                c.levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| match i {
                        0 => 0.0,
                        // Exact agreement is its own evidence; the others find the names alike.
                        _ if names && i >= 2 && i < last => ratio(NAME_AGREEMENT_FLOOR, l),
                        _ => ratio(M_FLOOR, l),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Counts of each distinct pattern among candidate pairs, sorted by pattern.
pub type PatternCounts = Vec<(Pattern, u64)>;

/// Merges a pattern → count map into a sorted list (sorted so that sums run in a fixed order).
pub fn sorted_counts(map: FxHashMap<Pattern, u64>) -> PatternCounts {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_unstable();
    v
}

/// What training needs: the comparisons and settings, the candidate pairs' pattern counts (each
/// counted for the pairs it stands for), u, and the size of the pair space.
pub struct TrainingInput<'a> {
    pub comparator: &'a Comparator,
    pub settings: &'a Settings,
    pub link_type: LinkType,
    pub features: &'a Features,
    /// Distinct patterns among candidate pairs with their counts, sorted by pattern.
    pub counts: &'a PatternCounts,
    pub u: &'a [Vec<f64>],
    pub total_pairs: u64,
    pub candidate_pairs: u64,
    pub u_pairs_sampled: u64,
}

/// How training went, beyond what the model file keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingReport {
    /// The prior EM started from.
    pub start_prior: f64,
    /// Iterations of the two-class fit.
    pub two_class_iterations: u32,
    /// The log-likelihood each start of the three-class fit reached (from the two-class fit,
    /// and from strict m), when the model has the related class.
    pub related_starts: Vec<f64>,
}

/// Trains the model without labels: the prior from the expected number of matches, EM with u
/// fixed over the pattern counts, two classes first and then, when the comparisons have names
/// and something else, a third class of namesakes and relatives from two starts, keeping the
/// likelier.
pub fn train(input: &TrainingInput) -> (Model, TrainingReport) {
    let TrainingInput {
        comparator,
        settings,
        link_type,
        features,
        counts,
        u,
        total_pairs: total,
        ..
    } = *input;
    let levels: Vec<usize> = comparator
        .comparisons
        .iter()
        .map(|c| c.labels.len())
        .collect();
    let expected_matches = match link_type {
        LinkType::Dedupe => features.len() as f64 / 4.0,
        _ => {
            let left = features.side.iter().filter(|s| **s == 0).count();
            let per_source = features.len() / features.source_names.len().max(1);
            match link_type {
                LinkType::Find => left.min(features.len() - left) as f64 / 2.0,
                _ => per_source as f64 / 2.0,
            }
        }
    };
    let prior0 = (expected_matches.max(1.0) / total.max(1) as f64).min(0.2);
    let m0 = initial_m(&levels);
    // Related non-matches (namesakes, relatives) agree on names like matches, and on
    // everything else like random pairs.
    // Sex goes with the names: people who share a given name mostly share a sex.
    let is_name = |c: &crate::compare::Compiled| {
        c.person_part.is_some()
            || matches!(
                settings.fields[c.field].kind,
                FieldKind::Name | FieldKind::Sex
            )
    };
    let names: Vec<bool> = comparator.comparisons.iter().map(is_name).collect();
    let with_related =
        settings.training.related_class && names.iter().any(|n| *n) && names.iter().any(|n| !*n);
    let em_options = EmOptions {
        max_iterations: settings.training.em_max_iterations,
        tolerance: settings.training.em_tolerance,
    };
    // Two classes first; then, from there, the related class (started from nothing it would
    // stay at nothing: EM moves a vanishing class's share only slowly).
    let mut fit = em(counts, total, u, &m0, None, prior0, em_options);
    let mut report = TrainingReport {
        start_prior: prior0,
        two_class_iterations: fit.iterations,
        related_starts: Vec::new(),
    };
    let last_ll = |f: &EmResult| {
        f.log_likelihood
            .last()
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    };
    if with_related {
        // Two starts: from the two-class fit, and from one where non-name comparisons rarely
        // disagree outright among matches (namesakes then go to the related class). EM finds
        // the nearest optimum; the likelier one is kept.
        let mut strict = fit.m.clone();
        for (c, levels) in strict.iter_mut().enumerate() {
            if !names[c] && levels.len() > 2 {
                let last = levels.len() - 1;
                levels[last] = levels[last].min(0.01);
                let total: f64 = levels[1..].iter().sum();
                levels[1..].iter_mut().for_each(|v| *v /= total);
            }
        }
        let starts = [fit.m.clone(), strict];
        let fits: Vec<EmResult> = starts
            .iter()
            .map(|m| {
                em(
                    counts,
                    total,
                    u,
                    m,
                    Some(names.as_slice()),
                    fit.prior,
                    em_options,
                )
            })
            .collect();
        report.related_starts = fits.iter().map(last_ll).collect();
        // The iterations reported are the kept fit's own, each run at most the settings'
        // maximum.
        fit = fits
            .into_iter()
            .max_by(|a, b| last_ll(a).total_cmp(&last_ll(b)))
            .expect("two starts");
    }
    let info = TrainingInfo {
        total_pairs: total,
        candidate_pairs: input.candidate_pairs,
        distinct_patterns: counts.len() as u64,
        u_pairs_sampled: input.u_pairs_sampled,
        em_iterations: fit.iterations,
        em_converged: fit.converged,
        log_likelihood: fit.log_likelihood.last().copied().unwrap_or(0.0),
        seed: settings.seed,
    };
    (assemble(comparator, link_type, u, &fit, info), report)
}

/// Level counts per comparison (index = level) among sampled random pairs, and the number of
/// pairs sampled. All allowed pairs are enumerated when there are at most `max_pairs`.
pub fn sample_u_counts(
    f: &Features,
    comparator: &Comparator,
    max_pairs: u64,
    seed: u64,
) -> (Vec<Vec<u64>>, u64) {
    use rayon::prelude::*;
    let n = f.len();
    let total = crate::block::total_pairs(f);
    let empty = || {
        comparator
            .comparisons
            .iter()
            .map(|c| vec![0u64; c.labels.len()])
            .collect::<Vec<Vec<u64>>>()
    };
    let add = |mut acc: Vec<Vec<u64>>, chunk: &[(u32, u32)]| {
        let mut patterns = Vec::new();
        comparator.patterns(f, chunk, &mut patterns);
        for p in patterns {
            for (c, counts) in acc.iter_mut().enumerate() {
                counts[level_of(p, c) as usize] += 1;
            }
        }
        acc
    };
    let merge = |mut x: Vec<Vec<u64>>, y: Vec<Vec<u64>>| {
        for (cx, cy) in x.iter_mut().zip(y) {
            cx.iter_mut().zip(cy).for_each(|(p, q)| *p += q);
        }
        x
    };
    if total == 0 {
        return (empty(), 0);
    }
    let pairs: Vec<(usize, usize)> = if total <= max_pairs {
        (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|&(a, b)| f.allowed(a, b))
            .collect()
    } else {
        let mut rng = SplitMix64::new(seed);
        let queries: Vec<usize> = (0..n).filter(|&r| f.side[r] == 0).collect();
        let roster: Vec<usize> = (0..n).filter(|&r| f.side[r] == 1).collect();
        let mut out = Vec::with_capacity(max_pairs as usize);
        while (out.len() as u64) < max_pairs {
            let (a, b) = match f.link_type {
                LinkType::Find => (
                    queries[rng.below(queries.len() as u64) as usize],
                    roster[rng.below(roster.len() as u64) as usize],
                ),
                _ => (rng.below(n as u64) as usize, rng.below(n as u64) as usize),
            };
            if a != b && f.allowed(a, b) {
                out.push((a.min(b), a.max(b)));
            }
        }
        out
    };
    let sampled = pairs.len() as u64;
    let pairs: Vec<(u32, u32)> = pairs.iter().map(|&(a, b)| (a as u32, b as u32)).collect();
    let counts = pairs.par_chunks(4096).fold(empty, add).reduce(empty, merge);
    (counts, sampled)
}

/// u per comparison and level from sampled counts: the share of each non-null level among the
/// non-null levels, with a floor of half a pair for levels never seen.
pub fn u_from_counts(counts: &[Vec<u64>]) -> Vec<Vec<f64>> {
    counts
        .iter()
        .map(|levels| {
            let seen: u64 = levels[1..].iter().sum();
            let denom = seen as f64 + 0.5 * (levels.len() - 1) as f64;
            let mut u: Vec<f64> = levels
                .iter()
                .map(|&c| (c as f64 + 0.5) / denom.max(1.0))
                .collect();
            u[0] = 0.0;
            u
        })
        .collect()
}

/// Options of the EM run.
#[derive(Debug, Clone, Copy)]
pub struct EmOptions {
    pub max_iterations: u32,
    pub tolerance: f64,
}

/// Result of EM: m per comparison and level, λ, and the log-likelihood after each iteration; with
/// a related class, its level probabilities r and its prior.
#[derive(Debug, Clone)]
pub struct EmResult {
    pub m: Vec<Vec<f64>>,
    pub prior: f64,
    pub related: Option<(Vec<Vec<f64>>, f64)>,
    pub iterations: u32,
    pub converged: bool,
    pub log_likelihood: Vec<f64>,
}

/// Estimates m and λ by EM with u fixed — and, when `names` marks the name comparisons, the
/// prior of a third class of "related" non-matches: namesakes and relatives, people whose names
/// agree as a match's do (r = m on name comparisons) while everything else agrees only by chance
/// (r = u elsewhere).
///
/// The model: every allowed pair is a match with probability λ₁ (pattern probability Π m), a
/// related non-match with probability λ₂ (Π r), else a random non-match (Π u, from random
/// pairs). Matches and related pairs are always candidates (blocking keeps pairs whose names
/// agree); non-candidate pairs are random non-matches. Over all `total_pairs` pairs this gives
///   log L = Σ_candidates n_p log(λ₁ Π m + λ₂ Π r + λ₃ Π u) + (total − candidates) log λ₃,
/// with λ₃ = 1 − λ₁ − λ₂, which EM never decreases (the M-step for the shared name parameters
/// pools both classes' expected counts). A null level contributes a factor of 1 to each product
/// (missing values are neutral evidence). Without the related class, the excess of same-name
/// pairs among non-matches — more than independence predicts, since relatives and namesakes
/// exist — is explained as matches with wrong birth dates.
pub fn em(
    counts: &PatternCounts,
    total_pairs: u64,
    u: &[Vec<f64>],
    m0: &[Vec<f64>],
    names: Option<&[bool]>,
    prior0: f64,
    opts: EmOptions,
) -> EmResult {
    let k = u.len();
    let candidates: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut m: Vec<Vec<f64>> = m0.to_vec();
    let mut prior = prior0.clamp(1e-12, 0.5);
    let mut prior_r = if names.is_some() { prior } else { 0.0 };
    let is_name = |c: usize| names.is_some_and(|n| n[c]);
    let mut trace = Vec::new();
    let mut converged = false;
    let mut iterations = 0;
    let non_candidates = total_pairs.saturating_sub(candidates) as f64;
    // The prior's weight, fixed for the run so that EM maximises one objective: a quarter of
    // the matches the starting prior expects.
    let beta = 0.25 * prior * total_pairs as f64;
    for _ in 0..opts.max_iterations {
        iterations += 1;
        let mut m_acc: Vec<Vec<f64>> = m.iter().map(|l| vec![0.0; l.len()]).collect();
        let (mut matches, mut related) = (0.0, 0.0);
        let prior_u = 1.0 - prior - prior_r;
        let mut ll = non_candidates * prior_u.ln();
        for &(p, n) in counts {
            let (mut pm, mut pr, mut pu) = (1.0f64, 1.0f64, 1.0f64);
            for c in 0..k {
                let l = level_of(p, c) as usize;
                if l != 0 {
                    let (mv, uv) = (m[c][l].max(MIN_PROBABILITY), u[c][l].max(MIN_PROBABILITY));
                    pm *= mv;
                    pu *= uv;
                    pr *= if is_name(c) { mv } else { uv };
                }
            }
            let joint_m = prior * pm;
            let joint_r = prior_r * pr;
            let joint = joint_m + joint_r + prior_u * pu;
            ll += n as f64 * joint.ln();
            let (wm, wr) = (n as f64 * joint_m / joint, n as f64 * joint_r / joint);
            matches += wm;
            related += wr;
            for (c, acc) in m_acc.iter_mut().enumerate().take(k) {
                let l = level_of(p, c) as usize;
                if l != 0 {
                    acc[l] += if is_name(c) { wm + wr } else { wm };
                }
            }
        }
        // With the related class, a Dirichlet prior on m of the other comparisons: `beta`
        // pseudo-matches that mostly agree fully, rarely not at all.
        // Namesakes make "a match whose birth date disagrees" and "a namesake" explain the same
        // pairs about equally well; the prior says which is usual. The trace is of the
        // penalised likelihood, which EM never decreases.
        if names.is_some() {
            for c in (0..k).filter(|&c| !is_name(c)) {
                let levels = m[c].len();
                if levels < 3 {
                    continue;
                }
                // Halving from the strongest level down: a match agrees fully more often than
                // partly.
                let norm: f64 = (1..levels - 1).map(|l| 0.5f64.powi(l as i32)).sum();
                for l in 1..levels {
                    let q = if l == levels - 1 {
                        0.01
                    } else {
                        0.99 * 0.5f64.powi(l as i32) / norm
                    };
                    m_acc[c][l] += beta * q;
                    ll += beta * q * m[c][l].max(MIN_PROBABILITY).ln();
                }
            }
        }
        trace.push(ll);
        let n = total_pairs.max(1) as f64;
        let (new_prior, new_prior_r) = if names.is_none() {
            ((matches / n).clamp(1e-12, 0.5), 0.0)
        } else {
            let (joint, joint_r) = (matches / n, related / n);
            if (1e-12..=0.5).contains(&joint) && (1e-15..=0.45).contains(&joint_r) {
                (joint, joint_r)
            } else {
                // The joint optimum is outside the bounds: one exact step per prior, each from
                // the other's current value and within its bounds, so the objective still
                // never decreases. For each, the best share of what the other leaves is its
                // expected count over its own and the non-matches'.
                let unmatched = (n - matches - related).max(0.0);
                let best = |own: f64, other: f64, lo: f64, hi: f64| {
                    let share = if own + unmatched > 0.0 {
                        own / (own + unmatched)
                    } else {
                        0.0
                    };
                    (share * (1.0 - other)).clamp(lo, hi.min(1.0 - other - 1e-12).max(lo))
                };
                let p = best(matches, prior_r, 1e-12, 0.5);
                let r = best(related, p, 1e-15, 0.45);
                (p, r)
            }
        };
        let mut delta = ((new_prior - prior) / prior).abs();
        if names.is_some() {
            delta = delta.max(
                ((new_prior_r - prior_r) / prior_r.max(1e-15))
                    .abs()
                    .min(1.0)
                    * (prior_r / prior).min(1.0),
            );
        }
        for c in 0..k {
            let total: f64 = m_acc[c][1..].iter().sum();
            for l in 1..m[c].len() {
                let v = if total > 0.0 {
                    m_acc[c][l] / total
                } else {
                    m[c][l]
                };
                delta = delta.max((v - m[c][l]).abs());
                m[c][l] = v;
            }
        }
        prior = new_prior;
        prior_r = new_prior_r;
        if delta < opts.tolerance {
            converged = true;
            break;
        }
    }
    let related = names.map(|names| {
        let r = (0..k)
            .map(|c| if names[c] { m[c].clone() } else { u[c].clone() })
            .collect();
        (r, prior_r)
    });
    EmResult {
        m,
        prior,
        related,
        iterations,
        converged,
        log_likelihood: trace,
    }
}

/// Starting m: most of the mass on the strongest level, the rest spread evenly.
pub fn initial_m(levels: &[usize]) -> Vec<Vec<f64>> {
    levels
        .iter()
        .map(|&n| {
            let mut m = vec![0.0; n];
            if n >= 2 {
                m[1] = 0.8;
                let rest = n - 2;
                for x in m.iter_mut().skip(2) {
                    *x = if rest > 0 { 0.2 / rest as f64 } else { 0.0 };
                }
                if rest == 0 {
                    m[1] = 1.0;
                }
            }
            m
        })
        .collect()
}

/// Assembles a model from its parts.
pub fn assemble(
    comparator: &Comparator,
    link_type: LinkType,
    u: &[Vec<f64>],
    fit: &EmResult,
    training: TrainingInfo,
) -> Model {
    let comparisons = comparator
        .comparisons
        .iter()
        .enumerate()
        .map(|(c, comp)| ComparisonModel {
            name: comp.name.clone(),
            levels: comp
                .labels
                .iter()
                .enumerate()
                .map(|(l, label)| LevelModel {
                    label: label.clone(),
                    m: if l == 0 { 0.0 } else { fit.m[c][l] },
                    u: if l == 0 { 0.0 } else { u[c][l] },
                    r: fit
                        .related
                        .as_ref()
                        .map(|(r, _)| if l == 0 { 0.0 } else { r[c][l] }),
                })
                .collect(),
        })
        .collect();
    Model {
        format: MODEL_FORMAT.into(),
        version: MODEL_VERSION,
        link_type,
        prior: fit.prior,
        related_prior: fit.related.as_ref().map(|(_, p)| *p),
        comparisons,
        training,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Two comparisons with 3 non-null levels each; matches agree, non-matches do not.
    fn synthetic_counts() -> PatternCounts {
        let pat = |a: u64, b: u64| a | (b << 4);
        vec![
            (pat(1, 1), 90),
            (pat(1, 2), 8),
            (pat(2, 1), 6),
            (pat(3, 3), 5000),
            (pat(2, 3), 300),
            (pat(3, 2), 250),
            (pat(0, 1), 4),
        ]
    }

    /// A level EM never saw among matches weighs at most ten bits against a pair, not thirty.
    #[test]
    fn weights_are_floored_at_one_match_in_a_thousand() {
        let level = |m: f64, u: f64| LevelModel {
            label: String::new(),
            m,
            u,
            r: None,
        };
        let model = Model {
            format: String::new(),
            version: 1,
            link_type: crate::prepare::LinkType::Dedupe,
            prior: 1e-4,
            related_prior: None,
            comparisons: vec![ComparisonModel {
                name: "family_name".into(),
                levels: vec![level(0.0, 0.0), level(0.9, 0.01), level(1e-12, 0.99)],
            }],
            training: TrainingInfo::default(),
        };
        let w = model.level_weights();
        assert!((w[0][1] - (0.9f64 / 0.01).log2()).abs() < 1e-12);
        assert!(
            (w[0][2] - (1e-3f64 / 0.99).log2()).abs() < 1e-12,
            "{}",
            w[0][2]
        );
    }

    #[test]
    fn em_recovers_a_clear_structure() {
        let u = vec![vec![0.0, 0.001, 0.05, 0.949], vec![0.0, 0.001, 0.05, 0.949]];
        let m0 = initial_m(&[4, 4]);
        let fit = em(
            &synthetic_counts(),
            1_000_000,
            &u,
            &m0,
            None,
            1e-3,
            EmOptions {
                max_iterations: 500,
                tolerance: 1e-10,
            },
        );
        assert!(fit.converged);
        assert!(fit.m[0][1] > 0.8, "{:?}", fit.m);
        // about 100 matches among a million pairs
        assert!((fit.prior * 1e6 - 100.0).abs() < 15.0, "{}", fit.prior);
    }

    #[test]
    fn model_json_round_trips_and_checks_version() {
        let comparator_free = Model {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            link_type: LinkType::Link,
            prior: 1e-4,
            related_prior: None,
            comparisons: vec![ComparisonModel {
                name: "x".into(),
                levels: vec![
                    LevelModel {
                        label: "null".into(),
                        m: 0.0,
                        u: 0.0,
                        r: None,
                    },
                    LevelModel {
                        label: "exact".into(),
                        m: 0.9,
                        u: 0.01,
                        r: None,
                    },
                    LevelModel {
                        label: "else".into(),
                        m: 0.1,
                        u: 0.99,
                        r: None,
                    },
                ],
            }],
            training: TrainingInfo::default(),
        };
        let p = Path::new("model.json");
        let back = Model::from_json(&comparator_free.to_json(), p).unwrap();
        assert_eq!(back, comparator_free);
        let newer = comparator_free
            .to_json()
            .replace("\"version\": 1", "\"version\": 99");
        let err = Model::from_json(&newer, p).unwrap_err().to_string();
        assert!(
            err.contains("model.json") && err.contains("version 99"),
            "{err}"
        );
        assert!(
            Model::from_json("{}", p)
                .unwrap_err()
                .to_string()
                .contains("not a listlink model")
        );
    }

    /// A name level that finds the names alike weighs from an m of 1 % at least, whatever EM
    /// fitted; a wholly different name and other comparisons' levels from 0.1 %.
    #[test]
    fn name_levels_that_agree_are_floored_at_one_in_a_hundred() {
        let level = |label: &str, m: f64, u: f64| LevelModel {
            label: label.into(),
            m,
            u,
            r: None,
        };
        let model = Model {
            comparisons: vec![
                ComparisonModel {
                    name: "family_name".into(),
                    levels: vec![
                        level("null", 0.0, 0.0),
                        level("exact", 0.0, 1e-6),
                        level("equal after transliteration", 0.9, 0.01),
                        level("same consonant skeleton", 0.1, 0.01),
                        level("similar", 0.0, 0.005),
                        level("else", 0.0, 0.975),
                    ],
                },
                ComparisonModel {
                    name: "city".into(),
                    levels: vec![
                        level("null", 0.0, 0.0),
                        level("exact", 1.0, 0.01),
                        level("similar", 0.0, 0.005),
                        level("else", 0.0, 0.985),
                    ],
                },
            ],
            ..Model::from_json(
                include_str!("../tests/fixtures/model-v1.json"),
                Path::new("m"),
            )
            .unwrap()
        };
        let w = model.level_weights();
        assert!(
            (w[0][4] - (0.01f64 / 0.005).log2()).abs() < 1e-12,
            "{:?}",
            w[0]
        );
        assert!((w[0][1] - (1e-3f64 / 1e-6).log2()).abs() < 1e-12);
        assert!((w[0][5] - (1e-3f64 / 0.975).log2()).abs() < 1e-12);
        assert!(
            (w[1][2] - (1e-3f64 / 0.005).log2()).abs() < 1e-12,
            "{:?}",
            w[1]
        );
    }

    #[test]
    fn version_1_fixture_still_loads() {
        let text = include_str!("../tests/fixtures/model-v1.json");
        let m = Model::from_json(text, Path::new("model-v1.json")).unwrap();
        assert_eq!(m.version, 1);
        assert!(!m.comparisons.is_empty());
        // Written before dates 6–10 years apart had their own level: that level comes in, of
        // the weight `else` had.
        let date = m
            .comparisons
            .iter()
            .find(|c| c.levels.iter().any(|l| l.label == "within 5 years"))
            .expect("a date comparison");
        let n = date.levels.len();
        assert_eq!(date.levels[n - 2].label, "within 10 years");
        let weight = |l: &LevelModel| (l.m / l.u).log2();
        assert!((weight(&date.levels[n - 2]) - weight(&date.levels[n - 1])).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn em_never_decreases_the_likelihood(
            counts in proptest::collection::btree_map(0u64..256, 1u64..5000, 1..40),
            u_raw in proptest::collection::vec(proptest::collection::vec(0.01f64..1.0, 3), 2),
            m_raw in proptest::collection::vec(proptest::collection::vec(0.01f64..1.0, 3), 2),
            prior in 1e-6f64..0.5,
            extra in 0u64..10_000_000,
            with_related in proptest::bool::ANY,
        ) {
            // patterns: 2 comparisons, levels 0..=3 each (4 bits): keep levels ≤ 3
            let counts: PatternCounts = counts.into_iter().map(|(p, n)| (p & 0x33, n)).collect::<std::collections::BTreeMap<_, _>>().into_iter().collect();
            let norm = |v: &Vec<f64>| { let s: f64 = v.iter().sum(); let mut o = vec![0.0]; o.extend(v.iter().map(|x| x / s)); o };
            let u: Vec<Vec<f64>> = u_raw.iter().map(norm).collect();
            let m0: Vec<Vec<f64>> = m_raw.iter().map(norm).collect();
            let candidates: u64 = counts.iter().map(|c| c.1).sum();
            let names = [true, false];
            let fit = em(&counts, candidates + extra, &u, &m0, with_related.then_some(&names[..]), prior.min(0.2), EmOptions { max_iterations: 60, tolerance: 0.0 });
            for w in fit.log_likelihood.windows(2) {
                prop_assert!(w[1] >= w[0] - 1e-7 * w[0].abs().max(1.0), "likelihood fell: {} -> {}", w[0], w[1]);
            }
        }
    }
}
