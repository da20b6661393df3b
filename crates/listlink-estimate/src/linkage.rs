//! Linkage uncertainty: capture tables from many plausible clusterings instead of one.
//!
//! Each pair of records comes with the probability that they are the same person. Pairs at or
//! above the band's upper edge are links in every draw, pairs below its lower edge never are,
//! and each pair inside the band is a link with its probability, drawn independently
//! (Bernoulli); a draw's clusters are the connected components, a cluster's capture pattern
//! the lists its records are on. Estimating on every draw and combining the draws gives an
//! interval with both the sampling and the linkage uncertainty in it.
//!
//! Combining follows Rubin's rules for multiple imputation (Rubin 1987, ch. 3) on the log of
//! the total: `T = W̄ + (1 + 1/D) B`, with `W̄` the mean within-draw variance (from each draw's
//! interval, `((ln u − ln l) / 3.92)²`) and `B` the variance of the draws' log estimates.

use crate::loglinear::Interval;
use crate::stats::Z975;
use crate::table::CaptureTable;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Two records and the probability that they are one person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: usize,
    pub b: usize,
    pub probability: f64,
}

/// Which pairs are drawn and which are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// Below: never a link.
    pub lower: f64,
    /// At or above: always a link.
    pub upper: f64,
}

impl Default for Band {
    fn default() -> Self {
        Band {
            lower: 0.05,
            upper: 0.95,
        }
    }
}

/// Records (each on one list) and their scored pairs.
#[derive(Debug, Clone)]
pub struct LinkedRecords {
    pub lists: Vec<String>,
    /// `list_of[r]`: the list record `r` is on.
    pub list_of: Vec<usize>,
    pub pairs: Vec<ScoredPair>,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

impl LinkedRecords {
    /// The capture table of the clustering these links make (connected components).
    pub fn table_from_links(&self, links: impl Iterator<Item = (usize, usize)>) -> CaptureTable {
        let n = self.list_of.len();
        let mut parent: Vec<usize> = (0..n).collect();
        for (a, b) in links {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
        let mut pattern = vec![0usize; n];
        for r in 0..n {
            let root = find(&mut parent, r);
            pattern[root] |= 1 << self.list_of[r];
        }
        let mut table = CaptureTable::new(self.lists.clone()).expect("lists checked");
        for r in 0..n {
            if parent[r] == r {
                table.add(pattern[r], 1);
            }
        }
        table
    }

    /// The table of the clustering at one threshold: what ignoring linkage uncertainty uses.
    pub fn table_at(&self, threshold: f64) -> CaptureTable {
        self.table_from_links(
            self.pairs
                .iter()
                .filter(|p| p.probability >= threshold)
                .map(|p| (p.a, p.b)),
        )
    }

    /// `draws` tables, each from one draw of the pairs in the band.
    pub fn draw_tables(&self, band: Band, draws: usize, seed: u64) -> Vec<CaptureTable> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..draws)
            .map(|_| {
                let links: Vec<(usize, usize)> = self
                    .pairs
                    .iter()
                    .filter(|p| {
                        p.probability >= band.upper
                            || (p.probability >= band.lower && rng.random::<f64>() < p.probability)
                    })
                    .map(|p| (p.a, p.b))
                    .collect();
                self.table_from_links(links.into_iter())
            })
            .collect()
    }

    /// Pairs whose link is drawn.
    pub fn uncertain_pairs(&self, band: Band) -> usize {
        self.pairs
            .iter()
            .filter(|p| p.probability >= band.lower && p.probability < band.upper)
            .count()
    }
}

/// The draws' estimates combined.
#[derive(Debug, Clone, Serialize)]
pub struct Combined {
    pub estimate: f64,
    pub ci95: Interval,
    /// Draws that gave an estimate with a bounded interval.
    pub draws_used: usize,
    /// Mean within-draw variance of ln N.
    pub within: f64,
    /// Between-draw variance of ln N.
    pub between: f64,
}

/// Rubin's rules on ln N over the draws' `(estimate, interval)`. `None` when no draw gave a
/// bounded interval.
pub fn combine(per_draw: &[(f64, Interval)]) -> Option<Combined> {
    let usable: Vec<(f64, f64)> = per_draw
        .iter()
        .filter_map(|(e, ci)| {
            let u = ci.upper?;
            (ci.lower > 0.0 && *e > 0.0)
                .then(|| (e.ln(), ((u.ln() - ci.lower.ln()) / (2.0 * Z975)).powi(2)))
        })
        .collect();
    let d = usable.len();
    if d == 0 {
        return None;
    }
    let m = usable.iter().map(|(x, _)| x).sum::<f64>() / d as f64;
    let within = usable.iter().map(|(_, v)| v).sum::<f64>() / d as f64;
    let between = if d > 1 {
        usable.iter().map(|(x, _)| (x - m).powi(2)).sum::<f64>() / (d - 1) as f64
    } else {
        0.0
    };
    let total = within + (1.0 + 1.0 / d as f64) * between;
    Some(Combined {
        estimate: m.exp(),
        ci95: Interval {
            lower: (m - Z975 * total.sqrt()).exp(),
            upper: Some((m + Z975 * total.sqrt()).exp()),
        },
        draws_used: d,
        within,
        between,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> LinkedRecords {
        // lists a, b; records 0,1 on a; 2,3 on b
        LinkedRecords {
            lists: vec!["a".into(), "b".into()],
            list_of: vec![0, 0, 1, 1],
            pairs: vec![
                ScoredPair {
                    a: 0,
                    b: 2,
                    probability: 0.99,
                },
                ScoredPair {
                    a: 1,
                    b: 3,
                    probability: 0.5,
                },
            ],
        }
    }

    #[test]
    fn clusters_become_patterns() {
        let r = records();
        let t = r.table_at(0.9);
        assert_eq!(t.counts(), &[0, 1, 1, 1]);
        let t = r.table_at(0.4);
        assert_eq!(t.counts(), &[0, 0, 0, 2]);
    }

    #[test]
    fn draws_fix_the_sure_pairs_and_vary_the_band() {
        let r = records();
        let tables = r.draw_tables(Band::default(), 200, 9);
        let linked = tables.iter().filter(|t| t.counts()[3] == 2).count();
        assert!(tables.iter().all(|t| t.counts()[3] >= 1));
        assert!((70..130).contains(&linked), "{linked}");
    }

    #[test]
    fn combining_identical_draws_keeps_their_interval() {
        let ci = Interval {
            lower: 90.0,
            upper: Some(110.0),
        };
        let c = combine(&[(100.0, ci), (100.0, ci), (100.0, ci)]).unwrap();
        assert!((c.estimate - 100.0).abs() < 1e-9);
        assert_eq!(c.between, 0.0);
        assert!((c.ci95.lower - 100.0 * (-(110f64.ln() - 90f64.ln()) / 2.0).exp()).abs() < 1e-6);
    }
}
