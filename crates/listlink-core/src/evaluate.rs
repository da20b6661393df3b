//! Evaluation against known truth: pairwise precision, recall and F1 at a threshold, at the
//! threshold that maximises F1, and across a sweep of thresholds.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// A record's key: (source, id).
pub type Key = (String, String);

/// What is known to be true.
#[derive(Debug, Clone)]
pub enum Truth {
    /// Records with the same label are the same person.
    Labels(FxHashMap<Key, String>),
    /// These unordered pairs are the same person; no other pair is.
    Pairs(FxHashSet<(Key, Key)>),
}

/// Which pairs count: the same rule the run compared under.
#[derive(Debug, Clone)]
pub enum PairSpace {
    /// All pairs.
    Dedupe,
    /// Pairs across different sources.
    Link,
    /// Pairs of a query source and a roster source.
    Find { query_sources: FxHashSet<String> },
}

impl PairSpace {
    fn allows(&self, a: &Key, b: &Key) -> bool {
        match self {
            PairSpace::Dedupe => a != b,
            PairSpace::Link => a.0 != b.0,
            PairSpace::Find { query_sources } => {
                query_sources.contains(&a.0) != query_sources.contains(&b.0)
            }
        }
    }
}

fn ordered(a: &Key, b: &Key) -> (Key, Key) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

impl Truth {
    fn is_match(&self, a: &Key, b: &Key) -> bool {
        match self {
            Truth::Labels(l) => matches!((l.get(a), l.get(b)), (Some(x), Some(y)) if x == y),
            Truth::Pairs(p) => p.contains(&ordered(a, b)),
        }
    }

    /// The number of true pairs in the pair space.
    fn true_pairs(&self, space: &PairSpace) -> u64 {
        match self {
            Truth::Pairs(p) => p.iter().filter(|(a, b)| space.allows(a, b)).count() as u64,
            Truth::Labels(labels) => {
                let mut groups: FxHashMap<&str, Vec<&Key>> = FxHashMap::default();
                for (k, l) in labels {
                    groups.entry(l.as_str()).or_default().push(k);
                }
                groups
                    .values()
                    .map(|members| {
                        let n = members.len() as u64;
                        match space {
                            PairSpace::Dedupe => n * n.saturating_sub(1) / 2,
                            _ => {
                                let mut pairs = 0;
                                for (i, a) in members.iter().enumerate() {
                                    pairs += members[i + 1..]
                                        .iter()
                                        .filter(|b| space.allows(a, b))
                                        .count()
                                        as u64;
                                }
                                pairs
                            }
                        }
                    })
                    .sum()
            }
        }
    }
}

/// Counts and rates at one threshold.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Point {
    pub threshold: f64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The evaluation written to `evaluation.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub true_pairs: u64,
    pub predicted_pairs_scored: u64,
    pub at_threshold: Point,
    pub best: Point,
    pub sweep: Vec<Point>,
}

fn point(threshold: f64, tp: u64, fp: u64, true_pairs: u64) -> Point {
    let precision = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        tp as f64 / true_pairs as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Point {
        threshold,
        true_positives: tp,
        false_positives: fp,
        false_negatives: true_pairs.saturating_sub(tp),
        precision,
        recall,
        f1,
    }
}

/// Evaluates scored pairs `(a, b, probability)`; a pair at or above `threshold` is predicted a
/// match. Pairs not listed count as predicted non-matches. Pairs appearing twice count once.
pub fn evaluate(
    scored: &[(Key, Key, f64)],
    truth: &Truth,
    space: &PairSpace,
    threshold: f64,
) -> Evaluation {
    let true_pairs = truth.true_pairs(space);
    let mut seen = FxHashSet::default();
    let mut labelled: Vec<(f64, bool)> = scored
        .iter()
        .filter(|(a, b, _)| space.allows(a, b) && seen.insert(ordered(a, b)))
        .map(|(a, b, p)| (*p, truth.is_match(a, b)))
        .collect();
    labelled.sort_by(|x, y| y.0.total_cmp(&x.0));
    let at = |t: f64| {
        let (tp, fp) = labelled
            .iter()
            .filter(|(p, _)| *p >= t)
            .fold(
                (0, 0),
                |(tp, fp), (_, m)| if *m { (tp + 1, fp) } else { (tp, fp + 1) },
            );
        point(t, tp, fp, true_pairs)
    };
    // Best: walk down the distinct probabilities.
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut best = point(1.0, 0, 0, true_pairs);
    let mut i = 0;
    while i < labelled.len() {
        let p = labelled[i].0;
        while i < labelled.len() && labelled[i].0 == p {
            if labelled[i].1 {
                tp += 1
            } else {
                fp += 1
            }
            i += 1;
        }
        let candidate = point(p, tp, fp, true_pairs);
        if candidate.f1 > best.f1 {
            best = candidate;
        }
    }
    let sweep = [
        0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
    ]
    .iter()
    .map(|&t| at(t))
    .collect();
    Evaluation {
        true_pairs,
        predicted_pairs_scored: labelled.len() as u64,
        at_threshold: at(threshold),
        best,
        sweep,
    }
}

/// A table of the evaluation for people: threshold, precision, recall, F1.
pub fn format_table(e: &Evaluation) -> String {
    let mut s = format!(
        "{:>9}  {:>9}  {:>7}  {:>7}  {:>6}  {:>6}\n",
        "threshold", "precision", "recall", "F1", "FP", "FN"
    );
    for p in &e.sweep {
        s.push_str(&format!(
            "{:>9.2}  {:>9.4}  {:>7.4}  {:>7.4}  {:>6}  {:>6}\n",
            p.threshold, p.precision, p.recall, p.f1, p.false_positives, p.false_negatives
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str, id: &str) -> Key {
        (s.to_string(), id.to_string())
    }

    #[test]
    fn counts_by_hand() {
        let labels: FxHashMap<Key, String> = [
            (k("a", "1"), "x"),
            (k("b", "1"), "x"),
            (k("a", "2"), "y"),
            (k("b", "2"), "y"),
            (k("b", "3"), "z"),
        ]
        .into_iter()
        .map(|(k, l)| (k, l.to_string()))
        .collect();
        let scored = vec![
            (k("a", "1"), k("b", "1"), 0.99),
            (k("a", "2"), k("b", "3"), 0.7),
            (k("b", "2"), k("a", "2"), 0.4),
            (k("a", "2"), k("b", "2"), 0.4), // the same pair again: counted once
        ];
        let e = evaluate(&scored, &Truth::Labels(labels), &PairSpace::Link, 0.5);
        assert_eq!(e.true_pairs, 2);
        assert_eq!(e.at_threshold.true_positives, 1);
        assert_eq!(e.at_threshold.false_positives, 1);
        assert_eq!(e.at_threshold.false_negatives, 1);
        assert!((e.at_threshold.f1 - 0.5).abs() < 1e-12);
        // at 0.4 both true pairs are found, with one false positive: F1 = 0.8
        assert_eq!(e.best.threshold, 0.4);
        assert!((e.best.f1 - 0.8).abs() < 1e-12);
    }

    #[test]
    fn truth_pairs_and_dedupe() {
        let pairs: FxHashSet<(Key, Key)> =
            [ordered(&k("s", "2"), &k("s", "1"))].into_iter().collect();
        let scored = vec![
            (k("s", "1"), k("s", "2"), 0.9),
            (k("s", "1"), k("s", "3"), 0.2),
        ];
        let e = evaluate(&scored, &Truth::Pairs(pairs), &PairSpace::Dedupe, 0.5);
        assert_eq!(
            (e.at_threshold.precision, e.at_threshold.recall),
            (1.0, 1.0)
        );
    }
}
