//! The sinks a run walks blocking with besides scoring: counting patterns for EM (on a sample
//! when the candidates are many) and the nearest candidate of a query with none above the floor.

use super::Progress;
use crate::block::PairSink;
use crate::compare::{Comparator, Pattern};
use crate::prepare::Features;
use crate::score::{ScoredPair, Scorer};
use crate::screen::Screen;
use crate::table::RowId;
use rustc_hash::FxHashMap;

/// The best-scoring blocked pair of each query row that has no candidate above the minimum,
/// scored in full (queries come first in a find, so they are their pairs' first rows).
pub(crate) struct NearestSink<'a> {
    pub(crate) alone: &'a FxHashMap<u32, usize>,
    pub(crate) comparator: &'a Comparator,
    pub(crate) scorer: &'a Scorer,
    pub(crate) features: &'a Features,
}

impl PairSink for NearestSink<'_> {
    type State = FxHashMap<u32, ScoredPair>;
    fn start(&self) -> Self::State {
        FxHashMap::default()
    }
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        for &(a, b) in pairs {
            if !self.alone.contains_key(&a) {
                continue;
            }
            let pattern = self
                .comparator
                .pattern(self.features, a as usize, b as usize);
            let weight = self.scorer.weight(self.features, a as usize, pattern);
            let pair = ScoredPair {
                a: RowId(a),
                b: RowId(b),
                pattern,
                weight,
            };
            state
                .entry(a)
                .and_modify(|best| {
                    if better(&pair, best) {
                        *best = pair;
                    }
                })
                .or_insert(pair);
        }
    }
    fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
        for (row, pair) in b {
            a.entry(row)
                .and_modify(|best| {
                    if better(&pair, best) {
                        *best = pair;
                    }
                })
                .or_insert(pair);
        }
        a
    }
}

/// Higher weight first; ties by the second row, so that the answer does not depend on threads.
fn better(x: &ScoredPair, y: &ScoredPair) -> bool {
    x.weight > y.weight || (x.weight == y.weight && x.b < y.b)
}

/// Candidate pairs EM learns from at most (more are sampled evenly down to about this many).
pub(crate) const EM_PAIRS: u64 = 5_000_000;
/// Candidate pairs whose patterns are kept from counting for scoring, at most (16 bytes each).
pub(crate) const KEPT_PATTERNS: u64 = EM_PAIRS;

pub(crate) struct PatternCounter<'a> {
    pub(crate) comparator: &'a Comparator,
    /// What the pairs' rows show of their levels ([`Screen::patterns`]).
    pub(crate) screen: &'a Screen,
    pub(crate) features: &'a Features,
    /// The pairs walked stand for this many candidates each (1: all are walked).
    pub(crate) keep_every: u64,
    /// Also keep every pair with its pattern.
    pub(crate) keep_patterns: bool,
    pub(crate) progress: &'a (dyn Fn(Progress) + Sync),
}

/// What counting patterns keeps per task: how many pairs showed each pattern, and when asked
/// the pairs with their patterns, in chunks (never regrown or copied).
#[derive(Default)]
pub(crate) struct Counted {
    pub(crate) counts: FxHashMap<Pattern, u64>,
    pub(crate) kept: Vec<Vec<(u32, u32, Pattern)>>,
}

impl PairSink for PatternCounter<'_> {
    type State = Counted;
    fn start(&self) -> Self::State {
        Counted::default()
    }
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        // Each sampled pair stands for `keep_every` candidates (for the progress bar).
        let all = pairs.len() as u64 * self.keep_every;
        let mut patterns = Vec::new();
        self.screen
            .patterns(self.comparator, self.features, pairs, &mut patterns);
        for &pattern in &patterns {
            *state.counts.entry(pattern).or_default() += 1;
        }
        if self.keep_patterns {
            state.kept.push(
                pairs
                    .iter()
                    .zip(&patterns)
                    .map(|(&(a, b), &p)| (a, b, p))
                    .collect(),
            );
        }
        (self.progress)(Progress::Advance(all));
    }
    /// Into the larger map, the other's pairs after its own.
    fn merge(&self, mut a: Counted, b: Counted) -> Counted {
        if a.counts.len() < b.counts.len() {
            return self.merge(b, a);
        }
        for (k, v) in b.counts {
            *a.counts.entry(k).or_default() += v;
        }
        a.kept.extend(b.kept);
        a
    }
}
