//! The Fellegi–Sunter model: the prior λ, and per comparison level the probabilities m (of the
//! level among matches) and u (among non-matches). u comes from a seeded sample of random pairs;
//! m and λ from EM over the counts of comparison patterns among candidate pairs, so that EM costs
//! the same for a thousand or a billion pairs.

mod em;
#[cfg(test)]
mod tests;
mod train;

pub use em::{EmOptions, EmResult, assemble, em, initial_m};
pub use train::{
    PatternCounts, TrainingInput, TrainingReport, sample_u_counts, sorted_counts, train,
    u_from_counts,
};

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
