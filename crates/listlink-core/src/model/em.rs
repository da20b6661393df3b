//! Expectation–maximisation over distinct patterns: m per comparison and level and the
//! classes' shares, summed in sorted order so that a run gives the same model on any threads.

use super::*;

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
