//! Two lists' encodings linked one-to-one: compare, calibrate, decide, assign.

use crate::calibrate::{Calibration, fit};
use crate::clk::ClkSet;
use crate::matching::{Blocking, Scored, compare, greedy_one_to_one};
use std::time::Instant;

/// Which pairs may be matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Dice at or above this (anonlink's rule).
    Dice(f64),
    /// Calibrated match probability at or above this; pairs are compared down to Dice
    /// `EM_FLOOR`.
    Probability(f64),
}

/// The lowest Dice kept for the probability decision.
pub const EM_FLOOR: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    pub decision: Decision,
    pub blocking: Blocking,
    pub assignment: Assignment,
}

/// How many matches a record may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    /// At most one on each side: anonlink's greedy solver.
    OneToOne,
    /// Every pair the decision allows (lists with several records of one person).
    All,
}

/// One accepted pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub left: u32,
    pub right: u32,
    pub dice: f64,
    pub probability: f64,
    pub weight: f64,
}

/// The result and what it took.
#[derive(Debug, Clone)]
pub struct Linkage {
    /// Accepted pairs, ordered by left row, then right row.
    pub matches: Vec<Match>,
    pub calibration: Calibration,
    /// Pairs whose Dice was computed.
    pub compared: u64,
    /// Pairs at or above the decision's floor.
    pub candidates: u64,
    pub seconds_compare: f64,
    pub seconds_solve: f64,
}

pub fn link(left: &ClkSet, right: &ClkSet, config: &LinkConfig) -> Linkage {
    let floor = match config.decision {
        Decision::Dice(t) => t,
        Decision::Probability(_) => EM_FLOOR,
    };
    let t0 = Instant::now();
    let comparison = compare(left, right, floor, config.blocking);
    let seconds_compare = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let calibration = fit(&comparison);
    let allowed: Vec<Scored> = match config.decision {
        Decision::Dice(_) => comparison.pairs.clone(),
        Decision::Probability(p) => comparison
            .pairs
            .iter()
            .filter(|s| calibration.probability(s.dice) >= p)
            .copied()
            .collect(),
    };
    let assigned = match config.assignment {
        Assignment::OneToOne => greedy_one_to_one(&allowed, left.len(), right.len()),
        Assignment::All => allowed,
    };
    let matches = assigned
        .into_iter()
        .map(|s| Match {
            left: s.left,
            right: s.right,
            dice: s.dice,
            probability: calibration.probability(s.dice),
            weight: calibration.weight(s.dice),
        })
        .collect();
    Linkage {
        matches,
        calibration,
        compared: comparison.compared,
        candidates: comparison.pairs.len() as u64,
        seconds_compare,
        seconds_solve: t1.elapsed().as_secs_f64(),
    }
}
