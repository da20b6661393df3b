//! Small numerical helpers: normal quantiles, log-gamma, Poisson tail probabilities and the
//! effective sample size of a Markov chain.

/// The 97.5 % point of the standard normal.
pub const Z975: f64 = 1.959_963_984_540_054;
/// The 95 % point of χ² with one degree of freedom (= Z975²): the profile-likelihood cut.
pub const CHI2_1_95: f64 = 3.841_458_820_694_124;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; Numerical Recipes 3rd ed. §6.1), about 15 digits.
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// P(X ≤ n) for X ~ Poisson(mean), summed term by term in log space.
pub fn poisson_cdf(n: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 1.0;
    }
    let mut total = 0.0;
    for j in 0..=n {
        let j = j as f64;
        total += (j * mean.ln() - mean - ln_gamma(j + 1.0)).exp();
    }
    total.min(1.0)
}

/// Effective sample size of a chain by Geyer's initial positive sequence (Geyer 1992, §3.3):
/// autocorrelations summed in adjacent pairs while the pair sums stay positive.
pub fn effective_sample_size(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 4 {
        return n as f64;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    if var <= 0.0 {
        return n as f64;
    }
    let acf = |lag: usize| -> f64 {
        (0..n - lag)
            .map(|i| (x[i] - mean) * (x[i + lag] - mean))
            .sum::<f64>()
            / (n as f64 * var)
    };
    let mut sum = 0.0;
    let mut lag = 0;
    while lag + 1 < n {
        let pair = acf(lag) + acf(lag + 1);
        if pair <= 0.0 {
            break;
        }
        sum += pair;
        lag += 2;
    }
    let tau = (2.0 * sum - 1.0).max(1.0);
    n as f64 / tau
}

/// The `q` quantile of sorted values (linear interpolation between order statistics, R type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!((ln_gamma(1.0)).abs() < 1e-13);
        assert!((ln_gamma(11.0) - 3_628_800f64.ln()).abs() < 1e-11);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn poisson_cdf_matches_closed_form() {
        // P(X <= 1) for mean 2 = 3 e^-2
        assert!((poisson_cdf(1, 2.0) - 3.0 * (-2.0f64).exp()).abs() < 1e-14);
    }

    #[test]
    fn ess_of_independent_draws_is_near_their_number() {
        // A deterministic, weakly correlated sequence (a Weyl sequence).
        let x: Vec<f64> = (0..2000)
            .map(|i| ((i as f64) * 0.618_033_988_7).fract())
            .collect();
        let ess = effective_sample_size(&x);
        assert!(ess > 1000.0, "{ess}");
    }
}
