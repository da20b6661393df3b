//! LCMCR: the Bayesian latent-class model of Manrique-Vallier (2016, Biometrics 72:1246), for
//! lists whose capture probabilities differ between people.
//!
//! People fall into latent classes (a Dirichlet process truncated at `K*` classes by stick
//! breaking, concentration α ~ Gamma(0.25, 0.25)); within a class, lists capture independently
//! with probabilities λⱼₖ ~ Beta(1, 1); the total has the prior p(N) ∝ 1/N. The Gibbs sampler
//! follows the paper's §3 with data augmentation for the people on no list:
//! 1. each observed person's class given λ, π — done per distinct pattern, a multinomial draw of
//!    the pattern's count over the classes (the same law as drawing each person in turn);
//! 2. the number unobserved, `n₀ ~ NegBin(n, 1 − p₀)` with `p₀ = Σₖ πₖ Πⱼ(1 − λⱼₖ)`, drawn as
//!    Poisson(Gamma(n, p₀/(1 − p₀))), and their classes, a multinomial;
//! 3. λⱼₖ ~ Beta(1 + people of class k on list j, 1 + people of class k not on it);
//! 4. stick breaks Vₖ ~ Beta(1 + nₖ, α + Σ_{l>k} nₗ), V_{K*} = 1;
//! 5. α ~ Gamma(0.25 + K* − 1, rate 0.25 − Σ_{k<K*} ln(1 − Vₖ)).
//!
//! Work per iteration grows with distinct patterns × classes × lists, not with people.

use crate::error::{Error, Result};
use crate::loglinear::Interval;
use crate::stats::{effective_sample_size, quantile_sorted};
use crate::table::CaptureTable;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Gamma, Poisson};
use serde::Serialize;

/// Sampler settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LcmcrConfig {
    /// Truncation of the stick-breaking prior (K*).
    pub classes: usize,
    /// Gibbs iterations in all, burn-in included.
    pub iterations: usize,
    /// Iterations discarded at the start.
    pub burn_in: usize,
    /// Keep every `thin`-th iteration after burn-in.
    pub thin: usize,
    pub seed: u64,
    /// Points kept in the trace written to the output.
    pub trace_points: usize,
}

impl Default for LcmcrConfig {
    fn default() -> Self {
        LcmcrConfig {
            classes: 10,
            iterations: 10_000,
            burn_in: 2_500,
            thin: 1,
            seed: 1,
            trace_points: 200,
        }
    }
}

/// The posterior of the total.
#[derive(Debug, Clone, Serialize)]
pub struct Posterior {
    pub median: f64,
    pub mean: f64,
    /// Equal-tailed 95 % credible interval.
    pub ci95: Interval,
    /// Effective sample size of the kept draws of N (Geyer's initial positive sequence).
    pub effective_sample_size: f64,
    pub draws_kept: usize,
    /// (iteration, N) at evenly spaced iterations, burn-in included.
    pub trace: Vec<(usize, f64)>,
    /// The kept draws of N, for pooling across linkage draws.
    #[serde(skip)]
    pub draws: Vec<f64>,
}

/// Runs the sampler on the table.
pub fn lcmcr(table: &CaptureTable, config: &LcmcrConfig) -> Result<Posterior> {
    let k_lists = table.k();
    let kk = config.classes.max(1);
    if config.iterations <= config.burn_in {
        return Err(Error::NotEstimable(
            "LCMCR: iterations must exceed the burn-in".into(),
        ));
    }
    let patterns: Vec<(usize, u64)> = table
        .counts()
        .iter()
        .enumerate()
        .filter(|(p, c)| *p != 0 && **c > 0)
        .map(|(p, &c)| (p, c))
        .collect();
    let n_obs: u64 = patterns.iter().map(|(_, c)| c).sum();
    if n_obs == 0 {
        return Err(Error::NotEstimable("LCMCR: nobody observed".into()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let unit = Beta::new(1.0, 1.0).expect("valid beta");
    // λ[k * k_lists + j]
    let mut lambda: Vec<f64> = (0..kk * k_lists).map(|_| unit.sample(&mut rng)).collect();
    let mut pi = vec![1.0 / kk as f64; kk];
    let mut alpha = 1.0f64;
    let mut class_n = vec![0u64; kk];
    let mut class_on = vec![0u64; kk * k_lists];
    let mut probs = vec![0.0; kk];
    let mut alloc = vec![0u64; kk];
    let trace_every = (config.iterations / config.trace_points.max(1)).max(1);
    let mut trace = Vec::new();
    let mut draws = Vec::with_capacity((config.iterations - config.burn_in) / config.thin.max(1));

    for iter in 0..config.iterations {
        class_n.iter_mut().for_each(|v| *v = 0);
        class_on.iter_mut().for_each(|v| *v = 0);
        // 1. classes of the observed, per pattern
        for &(p, c) in &patterns {
            for k in 0..kk {
                let mut pr = pi[k];
                for j in 0..k_lists {
                    let l = lambda[k * k_lists + j];
                    pr *= if p >> j & 1 == 1 { l } else { 1.0 - l };
                }
                probs[k] = pr;
            }
            multinomial(&mut rng, c, &probs, &mut alloc);
            for k in 0..kk {
                class_n[k] += alloc[k];
                for j in 0..k_lists {
                    if p >> j & 1 == 1 {
                        class_on[k * k_lists + j] += alloc[k];
                    }
                }
            }
        }
        // 2. the unobserved: how many, and their classes
        for k in 0..kk {
            probs[k] = pi[k]
                * (0..k_lists)
                    .map(|j| 1.0 - lambda[k * k_lists + j])
                    .product::<f64>();
        }
        let p0: f64 = probs.iter().sum::<f64>().clamp(0.0, 1.0 - 1e-12);
        let n0: u64 = if p0 <= 0.0 {
            0
        } else {
            let g = Gamma::new(n_obs as f64, p0 / (1.0 - p0))
                .expect("valid gamma")
                .sample(&mut rng);
            if g <= 0.0 {
                0
            } else {
                Poisson::new(g).expect("valid poisson").sample(&mut rng) as u64
            }
        };
        multinomial(&mut rng, n0, &probs, &mut alloc);
        for k in 0..kk {
            class_n[k] += alloc[k];
        }
        // 3. capture probabilities
        for k in 0..kk {
            for j in 0..k_lists {
                let on = class_on[k * k_lists + j] as f64;
                let off = class_n[k] as f64 - on;
                lambda[k * k_lists + j] = Beta::new(1.0 + on, 1.0 + off)
                    .expect("valid beta")
                    .sample(&mut rng)
                    .clamp(1e-12, 1.0 - 1e-12);
            }
        }
        // 4. stick breaks and weights; 5. concentration
        let mut rest: u64 = class_n.iter().sum();
        let mut remaining = 1.0;
        let mut log_sum = 0.0;
        for k in 0..kk {
            rest -= class_n[k];
            let v = if k + 1 == kk {
                1.0
            } else {
                let v = Beta::new(1.0 + class_n[k] as f64, alpha + rest as f64)
                    .expect("valid beta")
                    .sample(&mut rng)
                    .clamp(1e-12, 1.0 - 1e-12);
                log_sum += (1.0 - v).ln();
                v
            };
            pi[k] = remaining * v;
            remaining *= 1.0 - v;
        }
        alpha = Gamma::new(0.25 + kk as f64 - 1.0, 1.0 / (0.25 - log_sum))
            .expect("valid gamma")
            .sample(&mut rng)
            .max(1e-6);

        let total = (n_obs + n0) as f64;
        if iter % trace_every == 0 {
            trace.push((iter, total));
        }
        if iter >= config.burn_in && (iter - config.burn_in).is_multiple_of(config.thin.max(1)) {
            draws.push(total);
        }
    }
    let ess = effective_sample_size(&draws);
    Ok(summarise(draws, ess, trace))
}

/// Posterior summary of draws of N (sorted inside).
pub fn summarise(draws: Vec<f64>, ess: f64, trace: Vec<(usize, f64)>) -> Posterior {
    let mut sorted = draws.clone();
    sorted.sort_by(f64::total_cmp);
    Posterior {
        median: quantile_sorted(&sorted, 0.5),
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        ci95: Interval {
            lower: quantile_sorted(&sorted, 0.025),
            upper: Some(quantile_sorted(&sorted, 0.975)),
        },
        effective_sample_size: ess,
        draws_kept: sorted.len(),
        trace,
        draws,
    }
}

/// Draws `n` items over categories with weights `w` (not normalised) by successive binomials.
fn multinomial(rng: &mut ChaCha8Rng, n: u64, w: &[f64], out: &mut [u64]) {
    out.iter_mut().for_each(|v| *v = 0);
    let mut left = n;
    let mut mass: f64 = w.iter().sum();
    if mass.is_nan() || mass <= 0.0 {
        // every class impossible to the last digit: place them by the largest weight
        out[0] = n;
        return;
    }
    for (k, &wk) in w.iter().enumerate() {
        if left == 0 {
            break;
        }
        if k + 1 == w.len() || mass <= 0.0 {
            out[k] = left;
            break;
        }
        let p = (wk / mass).clamp(0.0, 1.0);
        let x = if p >= 1.0 {
            left
        } else if p <= 0.0 {
            0
        } else if left == 1 {
            u64::from(rng.random::<f64>() < p)
        } else {
            Binomial::new(left, p).expect("valid binomial").sample(rng)
        };
        out[k] = x;
        left -= x;
        mass -= wk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multinomial_places_everyone() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut out = [0; 4];
        multinomial(&mut rng, 1000, &[1.0, 2.0, 0.0, 1.0], &mut out);
        assert_eq!(out.iter().sum::<u64>(), 1000);
        assert_eq!(out[2], 0);
        assert!(out[1] > 400 && out[1] < 600, "{out:?}");
    }

    /// With one class LCMCR is the Bayesian independence model: its posterior median must sit
    /// by the log-linear independence estimate (the prior 1/N shifts it by well under 1 %).
    #[test]
    fn one_class_agrees_with_the_independence_model() {
        let t = CaptureTable::from_pattern_strings(
            vec!["a".into(), "b".into(), "c".into()],
            [
                ("100", 300),
                ("010", 250),
                ("001", 200),
                ("110", 60),
                ("101", 50),
                ("011", 45),
                ("111", 9),
            ],
        )
        .unwrap();
        let c = LcmcrConfig {
            classes: 1,
            iterations: 6000,
            burn_in: 1000,
            ..LcmcrConfig::default()
        };
        let p = lcmcr(&t, &c).unwrap();
        let f = crate::loglinear::fit(&t, &crate::loglinear::Model::independence());
        let e = f.fitted().unwrap().estimate;
        assert!((p.median - e).abs() / e < 0.01, "{} vs {e}", p.median);
        assert!(
            p.effective_sample_size > 500.0,
            "{}",
            p.effective_sample_size
        );
    }

    #[test]
    fn same_seed_same_draws() {
        let t = CaptureTable::from_pattern_strings(
            vec!["a".into(), "b".into(), "c".into()],
            [
                ("100", 50),
                ("010", 40),
                ("001", 30),
                ("110", 10),
                ("101", 8),
                ("011", 6),
                ("111", 2),
            ],
        )
        .unwrap();
        let c = LcmcrConfig {
            iterations: 500,
            burn_in: 100,
            ..LcmcrConfig::default()
        };
        let a = lcmcr(&t, &c).unwrap();
        let b = lcmcr(&t, &c).unwrap();
        assert_eq!(a.draws, b.draws);
        assert!(a.median > t.observed() as f64);
    }
}
