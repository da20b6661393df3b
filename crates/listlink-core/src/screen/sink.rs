//! The scoring sink: blocking's pairs in, the pairs at or above the minimum weight out, most
//! ruled out by the screen before any comparison.

use super::{Columns, Glimpse, Screen};
use crate::block::{GroupScreen, PairSink};
use crate::compare::{Comparator, MAX_COMPARISONS, PairAlignment, Pattern};
use crate::prepare::Features;
use crate::score::{RowBound, ScoredPair, Scorer};
use crate::table::RowId;
use rayon::prelude::*;

/// Scores the pairs blocking walks and keeps those at or above the minimum weight, ruling out
/// most of them unseen: by what their rows show ([`Screen::look`]), and in large groups a row
/// against all the rows after it in columns ([`Screen::against`]).
pub(crate) struct ScoreSink<'a> {
    pub(crate) comparator: &'a Comparator,
    pub(crate) scorer: &'a Scorer,
    pub(crate) features: &'a Features,
    pub(crate) min_weight: f64,
    /// The order comparisons are evaluated in ([`Scorer::rejecting_first`]).
    pub(crate) order: Vec<usize>,
    /// What a pair's rows show of its levels before any comparison ([`Screen::new`]).
    pub(crate) screen: &'a Screen,
    pub(crate) progress: &'a (dyn Fn(u64) + Sync),
}

impl ScoreSink<'_> {
    /// The weight a pair's bound must fall below to be dropped: the minimum, less a margin so
    /// that rounding in the running bound never drops a pair that makes it.
    fn floor(&self) -> f64 {
        self.min_weight - 1e-6
    }

    /// Scores pairs with their patterns (counted and kept before scoring); keeps those at or
    /// above the minimum weight.
    pub(crate) fn scored(
        &self,
        out: &mut Vec<ScoredPair>,
        pairs: impl Iterator<Item = (u32, u32, Pattern)>,
    ) {
        for (a, b, pattern) in pairs {
            let weight = self.scorer.weight(self.features, a as usize, pattern);
            if weight >= self.min_weight {
                out.push(ScoredPair {
                    a: RowId(a),
                    b: RowId(b),
                    pattern,
                    weight,
                });
            }
        }
    }
}

/// A scoring task's pairs kept, and the values of the rows it screens in columns.
#[derive(Default)]
pub(crate) struct ScoreState {
    kept: Vec<ScoredPair>,
    /// The pairs other tasks kept, merged in: moved, not copied, until [`ScoreState::into_pairs`].
    merged: Vec<Vec<ScoredPair>>,
    /// The values of the rows entered last ([`GroupScreen::enter`]), in columns.
    columns: Columns,
    /// Those rows.
    rows: Vec<u32>,
    /// Of the pairs among these rows screened in columns so far, how many it kept.
    screened: (u64, u64),
}

impl ScoreState {
    /// The vector to keep up to `n` more pairs in. It never grows: a full one is set aside
    /// and a fresh one started, twice as large up to a limit, rather than copied into a
    /// larger one (some ten million pairs are kept at ten million records).
    fn room_for(&mut self, n: usize) -> &mut Vec<ScoredPair> {
        const KEPT_CHUNK: usize = 1 << 16;
        if self.kept.capacity() - self.kept.len() < n {
            let size = (2 * self.kept.capacity()).clamp(4096, KEPT_CHUNK).max(n);
            let fresh = Vec::with_capacity(size);
            let full = std::mem::replace(&mut self.kept, fresh);
            if !full.is_empty() {
                self.merged.push(full);
            }
        }
        &mut self.kept
    }

    /// All the pairs kept, in one vector: copied once, on all threads. Its memory is fresh
    /// (some ten million pairs at ten million records), and first touching it cost one thread
    /// over half a second there.
    pub(crate) fn into_pairs(mut self) -> Vec<ScoredPair> {
        self.merged.push(self.kept);
        let total = self.merged.iter().map(Vec::len).sum();
        let blank = ScoredPair {
            a: RowId(0),
            b: RowId(0),
            pattern: 0,
            weight: 0.0,
        };
        let mut pairs: Vec<ScoredPair> = (0..total).into_par_iter().map(|_| blank).collect();
        let mut rest = &mut pairs[..];
        let mut parts = Vec::with_capacity(self.merged.len());
        for kept in &self.merged {
            let (part, after) = rest.split_at_mut(kept.len());
            parts.push(part);
            rest = after;
        }
        parts
            .into_par_iter()
            .zip(&self.merged)
            .for_each(|(part, kept)| part.copy_from_slice(kept));
        pairs
    }

    /// Whether screening in columns still pays among the rows entered last: not once it has
    /// kept most of a few hundred pairs (people of one family name and birth date, whose given
    /// names are alike or missing), as each pair kept is screened again pair by pair.
    fn columns_pay(&self) -> bool {
        let (screened, kept) = self.screened;
        screened < 256 || 2 * kept < screened
    }
}

impl PairSink for ScoreSink<'_> {
    type State = ScoreState;
    fn start(&self) -> Self::State {
        ScoreState::default()
    }
    /// Looks at each pair's rows first ([`Screen`]): most candidate pairs are clear non-matches,
    /// which the levels and bounds the rows show rule out at once. The others are compared
    /// cheap comparisons first, stopping as soon as the weight cannot reach the minimum whatever
    /// the rest say. A pair compared to the end is scored in full, so the pairs kept and their
    /// weights are those of comparing everything.
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        let kept = state.room_for(pairs.len());
        let (f, comparator, scorer, screen) =
            (self.features, self.comparator, self.scorer, self.screen);
        let floor = self.floor();
        // Pairs come grouped by their first row: its side of the bound is computed once.
        let mut row: Option<(usize, RowBound)> = None;
        for (i, &(a, b)) in pairs.iter().enumerate() {
            comparator.prefetch_ahead(f, pairs, i);
            screen.prefetch_ahead(pairs, i);
            // A pair a few places ahead, once its packed lines (fetched further ahead) are in:
            // its names' token summaries, and its first row's term-frequency entries and names
            // when that row changes.
            if let Some(&[(before, _), (next, b_next)]) = pairs.get(i + 3..i + 5) {
                comparator.prefetch_names(f, b_next);
                if next != before {
                    scorer.prefetch_row(f, next as usize);
                    comparator.prefetch_names(f, next);
                }
            }
            let (a, b) = (a as usize, b as usize);
            let row = match &row {
                Some((cached, bound)) if *cached == a => bound,
                _ => &row.insert((a, scorer.row_bound(f, a))).1,
            };
            let mut bound = row.ceiling;
            let mut pattern: Pattern = 0;
            // Comparisons whose level the screen showed, and per comparison what it took off
            // the bound.
            let mut known = 0u32;
            let mut early = [0.0; MAX_COMPARISONS];
            let rows = f.packed.as_ref().map(|p| (p.row(a), p.row(b)));
            if let Some(rows) = rows {
                screen.look((a, b), rows, |c, glimpse| {
                    let drop = glimpse.drop(scorer, row, c);
                    early[c] = drop;
                    bound -= drop;
                    if let Glimpse::Level(level) = glimpse {
                        known |= 1 << c;
                        pattern |= u64::from(level) << (4 * c);
                    }
                });
            }
            let mut aligned = PairAlignment::NotYet;
            let mut rejected = bound < floor;
            if !rejected {
                for &c in &self.order {
                    if known & (1 << c) != 0 {
                        continue;
                    }
                    let level = comparator.level_of_pair(f, c, a, b, &mut aligned);
                    pattern |= (level as u64) << (4 * c);
                    bound -= scorer.drop(row, c, level) - early[c];
                    if bound < floor {
                        rejected = true;
                        break;
                    }
                }
            }
            if !rejected {
                let weight = scorer.weight_in_row(row, pattern);
                if weight >= self.min_weight {
                    kept.push(ScoredPair {
                        a: RowId(a as u32),
                        b: RowId(b as u32),
                        pattern,
                        weight,
                    });
                }
            }
        }
        (self.progress)(pairs.len() as u64);
    }
    /// Moves the other task's pairs over: merging by copying them into one vector would
    /// copy them again at every level of rayon's splits, into fresh memory each time.
    fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
        a.merged.push(b.kept);
        a.merged.extend(b.merged);
        a
    }
    /// Large groups hold most candidate pairs: many people of one name, many neighbours at one
    /// address. There a row is screened against all the rows after it in columns
    /// ([`Screen::against`], which also tells neighbours apart by their names' token
    /// summaries), and only the pairs that may still reach the minimum come to
    /// [`PairSink::pairs`], which screens them again pair by pair.
    fn group_screen(&self) -> Option<&dyn GroupScreen<ScoreState>> {
        (self.features.packed.is_some() && self.screen.has_columns()).then_some(self)
    }
}

impl GroupScreen<ScoreState> for ScoreSink<'_> {
    /// From 16 rows: at 10M records it screened faster than from 8 or 64 (rules past the
    /// first have groups of a dozen).
    fn min_rows(&self) -> usize {
        16
    }
    fn enter(&self, state: &mut ScoreState, rows: &[u32]) {
        if let Some(packed) = &self.features.packed {
            state.screened = (0, 0);
            self.screen.gather(packed, rows, &mut state.columns);
            state.rows.clear();
            state.rows.extend_from_slice(rows);
            if let Some(&first) = rows.first() {
                self.scorer.prefetch_row(self.features, first as usize);
            }
            // Their names' token summaries, which screening them reads at random.
            for &r in rows {
                self.comparator.prefetch_names(self.features, r);
            }
        }
    }
    fn screen_row(&self, state: &mut ScoreState, (i, a): (usize, u32), keep: &mut [bool]) {
        if !state.columns_pay() {
            return;
        }
        let (f, scorer) = (self.features, self.scorer);
        // The next row's term-frequency entries, which its bound reads at random, while this
        // row is screened.
        if let Some(&next) = state.rows.get(i + 1) {
            scorer.prefetch_row(f, next as usize);
        }
        let row = scorer.row_bound(f, a as usize);
        // The pair is dropped when its bound, the ceiling less the drops, falls below the floor.
        let limit = row.ceiling - self.floor();
        let drop = |c, glimpse: Glimpse| glimpse.drop(scorer, &row, c);
        let sigs = f.person.as_ref().map(|p| &p.sigs);
        self.screen
            .against(sigs, &mut state.columns, i, drop, limit, keep);
        let kept = keep.iter().filter(|&&k| k).count();
        state.screened.0 += keep.len() as u64;
        state.screened.1 += kept as u64;
    }
    fn left_out(&self, _state: &mut ScoreState, pairs: u64) {
        (self.progress)(pairs);
    }
}
