//! The seam between blocking and what consumes its pairs: [`PairSink`] (start, pairs, merge),
//! its one group-screening hook ([`GroupScreen`]), and which first rows a walk takes ([`FirstRows`]).

/// A sink that keeps every pair (in no particular order): for tests, benchmarks and small runs.
#[cfg(any(test, feature = "bench"))]
pub struct CollectPairs;

#[cfg(any(test, feature = "bench"))]
impl PairSink for CollectPairs {
    type State = Vec<(u32, u32)>;
    fn start(&self) -> Self::State {
        Vec::new()
    }
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        state.extend_from_slice(pairs);
    }
    fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
        a.extend(b);
        a
    }
}

/// Receives candidate pairs in chunks. Each rayon task holds a `State`; states are merged.
pub trait PairSink: Sync {
    type State: Send;
    fn start(&self) -> Self::State;
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]);
    fn merge(&self, a: Self::State, b: Self::State) -> Self::State;
    /// The sink's screen of large groups, if it has one: their rows are screened against the
    /// rows after them before any pair is checked for being new ([`GroupScreen`]).
    fn group_screen(&self) -> Option<&dyn GroupScreen<Self::State>> {
        None
    }
}

/// How a sink rules out in bulk the pairs of a large group it surely drops, once the blocker
/// has counted its pairs ([`Blocker::new_pairs_per_rule`]): only the pairs it keeps are checked
/// for being new and passed to [`PairSink::pairs`].
pub trait GroupScreen<S>: Sync {
    /// Groups of at least this many rows are screened.
    fn min_rows(&self) -> usize;
    /// Before a screened work item's rows: the rows of its group from the item's first on, in
    /// order (the rows its pairs are among).
    fn enter(&self, state: &mut S, rows: &[u32]);
    /// For row `i` (record `row`) of the rows entered last against each row after it: clears
    /// `keep[j]` (all set on entry) when the sink surely drops the pair with row `i + 1 + j`.
    fn screen_row(&self, state: &mut S, row: (usize, u32), keep: &mut [bool]);
    /// How many new pairs of the item entered last the screen left out (never passed on).
    fn left_out(&self, state: &mut S, pairs: u64);
}

/// Which pairs a walk takes, by their first (smaller) row, asked before the row's pairs are
/// walked: the rows left out cost nothing.
#[derive(Clone, Copy)]
pub enum FirstRows<'a> {
    All,
    /// An even sample: the rows whose hash with `seed` is a multiple of `every`, so each pair
    /// is in it with chance 1/`every`, whatever the threads.
    Sample {
        every: u64,
        seed: u64,
    },
    /// The rows this says yes to.
    Where(&'a (dyn Fn(u32) -> bool + Sync)),
}

impl FirstRows<'_> {
    /// Whether the pairs whose first row is `a` are walked.
    #[inline]
    pub fn takes(&self, a: u32) -> bool {
        match *self {
            FirstRows::All => true,
            FirstRows::Sample { every, seed } => {
                every <= 1 || crate::rng::hash(u64::from(a), seed).is_multiple_of(every)
            }
            FirstRows::Where(takes) => takes(a),
        }
    }

    /// Whether most pairs are left out: the walk then spares the work that pays only when
    /// every pair is checked.
    pub(crate) fn is_few(&self) -> bool {
        match *self {
            FirstRows::All => false,
            FirstRows::Sample { every, .. } => every > 1,
            FirstRows::Where(_) => true,
        }
    }
}
