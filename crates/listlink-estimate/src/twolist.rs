//! Two lists: Lincoln–Petersen and Chapman estimators with their variances and intervals.
//!
//! - Lincoln–Petersen: `N = n₁n₂/m`, variance `n₁n₂(n₁−m)(n₂−m)/m³` (Seber 1982, §3.1.1).
//! - Chapman (1951): `N = (n₁+1)(n₂+1)/(m+1) − 1`, variance
//!   `(n₁+1)(n₂+1)(n₁−m)(n₂−m)/((m+1)²(m+2))` (Seber 1970), nearly unbiased for small `m`.
//! - Interval: log-normal on the unobserved `f₀ = N − n` (Chao 1987, Biometrics 43:783):
//!   `[n + f₀/C, n + f₀·C]`, `C = exp(1.96 √ln(1 + var/f₀²))`, which never falls below the
//!   number observed.

use crate::error::{Error, Result};
use crate::loglinear::Interval;
use crate::stats::Z975;
use crate::table::CaptureTable;
use serde::Serialize;

/// An estimate from two lists.
#[derive(Debug, Clone, Serialize)]
pub struct TwoList {
    pub estimate: f64,
    pub variance: f64,
    pub ci95: Interval,
}

fn counts(table: &CaptureTable) -> Result<(f64, f64, f64)> {
    if table.k() != 2 {
        return Err(Error::NotEstimable(format!(
            "Chapman and Lincoln–Petersen need exactly two lists; this table has {}",
            table.k()
        )));
    }
    Ok((
        table.on_list(0) as f64,
        table.on_list(1) as f64,
        table.counts()[3] as f64,
    ))
}

fn chao_interval(n_obs: f64, estimate: f64, variance: f64) -> Interval {
    let f0 = estimate - n_obs;
    if f0 <= 0.0 {
        return Interval {
            lower: n_obs,
            upper: Some(n_obs + Z975 * variance.sqrt()),
        };
    }
    let c = (Z975 * (1.0 + variance / (f0 * f0)).ln().sqrt()).exp();
    Interval {
        lower: n_obs + f0 / c,
        upper: Some(n_obs + f0 * c),
    }
}

/// Lincoln–Petersen; refused when the lists share nobody (the estimate is infinite).
pub fn lincoln_petersen(table: &CaptureTable) -> Result<TwoList> {
    let (n1, n2, m) = counts(table)?;
    if m == 0.0 {
        return Err(Error::NotEstimable(
            "the two lists share nobody: Lincoln–Petersen is infinite".into(),
        ));
    }
    let estimate = n1 * n2 / m;
    let variance = n1 * n2 * (n1 - m) * (n2 - m) / m.powi(3);
    Ok(TwoList {
        estimate,
        variance,
        ci95: chao_interval(table.observed() as f64, estimate, variance),
    })
}

/// Chapman's nearly unbiased estimator.
pub fn chapman(table: &CaptureTable) -> Result<TwoList> {
    let (n1, n2, m) = counts(table)?;
    let estimate = (n1 + 1.0) * (n2 + 1.0) / (m + 1.0) - 1.0;
    let variance = (n1 + 1.0) * (n2 + 1.0) * (n1 - m) * (n2 - m) / ((m + 1.0).powi(2) * (m + 2.0));
    Ok(TwoList {
        estimate,
        variance,
        ci95: chao_interval(table.observed() as f64, estimate, variance),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values() {
        let t = CaptureTable::from_pattern_strings(
            vec!["a".into(), "b".into()],
            [("10", 360), ("01", 360), ("11", 40)],
        )
        .unwrap();
        let lp = lincoln_petersen(&t).unwrap();
        assert_eq!(lp.estimate, 4000.0);
        assert_eq!(lp.variance, 400.0 * 400.0 * 360.0 * 360.0 / 64000.0);
        let c = chapman(&t).unwrap();
        assert!((c.estimate - (401.0 * 401.0 / 41.0 - 1.0)).abs() < 1e-9);
        assert!(c.ci95.lower > 760.0 && c.ci95.lower < c.estimate);
    }
}
