//! Dice scores turned into match probabilities: a two-class Fellegi–Sunter mixture over score
//! bins (width 0.01), fitted by EM.
//!
//! Every pair of the two lists falls in one bin (pairs never compared, in one bin of their own).
//! A pair is a match with prior λ; matches fall in bin b with probability m_b, non-matches with
//! u_b. u is counted, not sampled: it is the share of bin b among all pairs except the mutual
//! best ones (the pairs whose records are each other's most similar), which a one-to-one
//! linkage holds nearly all of its matches in. With u fixed, EM estimates m and λ (exact EM for
//! this model: the likelihood never decreases). A pair's probability is its bin's posterior,
//! made non-decreasing in the score (pool-adjacent-violators, weighted by pairs per bin), and its
//! weight `log2(p / (1 − p))`.
//!
//! The assumption to keep in mind: a record has at most one match in the other list. Records
//! whose match is absent still have a most similar record; where such pairs are mutually best,
//! they are counted as matches, so probabilities in low bins read high.

use crate::matching::{BINS, Comparison, bin};

/// The fitted model: per bin, the match probability and weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// λ: the share of all pairs that are matches.
    pub prior: f64,
    /// Per score bin (last: never compared), P(match | bin), non-decreasing in the score.
    pub probability: Vec<f64>,
    pub m: Vec<f64>,
    pub u: Vec<f64>,
    pub iterations: u32,
}

impl Calibration {
    /// P(match) of a pair with this Dice score.
    pub fn probability(&self, dice: f64) -> f64 {
        self.probability[bin(dice)]
    }

    /// The match weight (log2 odds) of a pair with this Dice score.
    pub fn weight(&self, dice: f64) -> f64 {
        let p = self.probability(dice).clamp(1e-12, 1.0 - 1e-12);
        (p / (1.0 - p)).log2()
    }
}

/// Fits the mixture to one comparison of two lists.
pub fn fit(c: &Comparison) -> Calibration {
    // counts per bin, the last one holding pairs never compared
    let mut n = vec![0f64; BINS + 1];
    for (b, &x) in c.histogram.iter().enumerate() {
        n[b] = x as f64;
    }
    n[BINS] = c.not_compared as f64;
    let mut best = vec![0f64; BINS + 1];
    for p in c.mutual_best() {
        best[bin(p.dice)] += 1.0;
    }
    let total: f64 = n.iter().sum();
    // u: bins among pairs that are not mutually best; half a pair where a bin has none.
    let mut u: Vec<f64> = n
        .iter()
        .zip(&best)
        .map(|(all, b)| (all - b).max(0.5))
        .collect();
    let su: f64 = u.iter().sum();
    u.iter_mut().for_each(|x| *x /= su);
    // start: m from the mutual-best pairs, λ their share
    let mb: f64 = best.iter().sum::<f64>().max(1.0);
    let mut m: Vec<f64> = best
        .iter()
        .map(|b| (b + 0.5) / (mb + 0.5 * (BINS + 1) as f64))
        .collect();
    let mut lambda = (mb / total.max(1.0)).clamp(1e-12, 0.5);
    let mut iterations = 0;
    let mut post = vec![0f64; BINS + 1];
    for it in 0..1000 {
        iterations = it + 1;
        let mut matched = 0.0;
        for b in 0..=BINS {
            let a = lambda * m[b];
            let z = a + (1.0 - lambda) * u[b];
            post[b] = if z > 0.0 { a / z } else { 0.0 };
            matched += n[b] * post[b];
        }
        let new_lambda = (matched / total.max(1.0)).clamp(1e-15, 1.0 - 1e-15);
        let mut change = (new_lambda - lambda).abs() / lambda;
        for b in 0..=BINS {
            let nm = if matched > 0.0 {
                n[b] * post[b] / matched
            } else {
                0.0
            };
            change = change.max((nm - m[b]).abs());
            m[b] = nm;
        }
        lambda = new_lambda;
        if change < 1e-10 {
            break;
        }
    }
    for b in 0..=BINS {
        let a = lambda * m[b];
        let z = a + (1.0 - lambda) * u[b];
        post[b] = if z > 0.0 { a / z } else { 0.0 };
    }
    // Monotone in the score over the scored bins; pairs never compared keep their own.
    // A bin without pairs says nothing: it takes its neighbours' value.
    let weights: Vec<f64> = n[..BINS]
        .iter()
        .map(|&x| if x > 0.0 { x } else { 1e-9 })
        .collect();
    let mut probability = pool_adjacent_violators(&post[..BINS], &weights);
    probability.push(post[BINS]);
    Calibration {
        prior: lambda,
        probability,
        m,
        u,
        iterations,
    }
}

/// The non-decreasing sequence closest to `y` in weighted least squares.
pub fn pool_adjacent_violators(y: &[f64], w: &[f64]) -> Vec<f64> {
    // blocks of (mean, weight, length)
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (&v, &wt) in y.iter().zip(w) {
        blocks.push((v, wt, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, w2, l2) = blocks.pop().expect("two blocks");
            let (m1, w1, l1) = blocks.pop().expect("two blocks");
            let wsum = w1 + w2;
            blocks.push(((m1 * w1 + m2 * w2) / wsum, wsum, l1 + l2));
        }
    }
    blocks
        .into_iter()
        .flat_map(|(m, _, l)| std::iter::repeat_n(m, l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Scored;

    #[test]
    fn pav_makes_a_sequence_non_decreasing_and_keeps_sorted_ones() {
        assert_eq!(
            pool_adjacent_violators(&[0.1, 0.3, 0.2, 0.4], &[1.0; 4]),
            [0.1, 0.25, 0.25, 0.4]
        );
        assert_eq!(
            pool_adjacent_violators(&[0.1, 0.2], &[1.0, 1.0]),
            [0.1, 0.2]
        );
    }

    /// 1,000 × 1,000 pairs: 900 matches around Dice 0.9, non-matches around 0.3, a few at 0.6.
    fn synthetic() -> Comparison {
        let n = 1000usize;
        let mut histogram = [0u64; BINS];
        let mut best_left = vec![None; n];
        let mut best_right = vec![None; n];
        for i in 0..900 {
            let d = 0.85 + (i % 10) as f64 * 0.01;
            histogram[bin(d)] += 1;
            best_left[i] = Some((i as u32, d));
            best_right[i] = Some((i as u32, d));
        }
        histogram[bin(0.3)] += (n * n - 900 - 2000) as u64;
        histogram[bin(0.6)] += 2000;
        Comparison {
            pairs: Vec::<Scored>::new(),
            histogram,
            not_compared: 0,
            compared: (n * n) as u64,
            best_left,
            best_right,
        }
    }

    #[test]
    fn separated_classes_give_confident_probabilities() {
        let cal = fit(&synthetic());
        assert!((cal.prior - 900.0 / 1e6).abs() < 1e-5, "{}", cal.prior);
        assert!(cal.probability(0.9) > 0.99, "{}", cal.probability(0.9));
        assert!(cal.probability(0.6) < 0.01);
        assert!(cal.probability(0.3) < 1e-3);
        assert!(cal.weight(0.9) > 5.0 && cal.weight(0.3) < -5.0);
        assert!(
            cal.probability
                .windows(2)
                .take(BINS - 1)
                .all(|w| w[0] <= w[1])
        );
    }
}
