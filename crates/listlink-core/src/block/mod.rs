//! Blocking: rules turn records into keys; records sharing a rule's key form candidate pairs.
//! Pairs are pushed in chunks into a [`PairSink`], never all held in memory; a pair produced by
//! several rules is passed on once (by the first rule that produces it).

mod keys;
mod sink;
#[cfg(test)]
mod tests;

pub(crate) use keys::KeyedRule;
use keys::{hash_of, rule_keys};
#[cfg(any(test, feature = "bench"))]
pub use sink::CollectPairs;
pub use sink::{FirstRows, GroupScreen, PairSink};

use crate::prepare::{Features, LinkType};
use crate::settings::Rule;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A rule's keys per record (none: the record is not blocked by this rule; several when a
/// field has several renderings, e.g. a name in two transliterations) and the records grouped by
/// key.
#[derive(Debug, Clone)]
pub struct RuleIndex {
    pub rule: Rule,
    /// Sorted, distinct keys of each row.
    keys: RowKeys,
    /// Rows with a key, sorted by (key, row); a row appears once per key it has, except that a
    /// group with the same rows as a group of a smaller key is left out (it has no new pair).
    rows: Vec<u32>,
    /// Aligned with `rows`: whether this is the row's first group (by key), so that the group's
    /// key is the smallest the row shares with any row of the group.
    first: Vec<bool>,
    /// Start of each group of two or more rows in `rows`, plus a final end.
    group_starts: Vec<u32>,
    /// The key of each group.
    group_keys: Vec<u64>,
    /// Candidate pairs this rule produces on its own (before removing pairs of earlier rules;
    /// a pair sharing several keys is counted once per key).
    pub pairs: u64,
}

/// At most this many keys per record and rule (combinations of alternatives beyond it are
/// dropped, lowest hashes kept, so the choice is deterministic).
pub(crate) const MAX_KEYS: usize = 32;

impl RuleIndex {
    /// The keys of a row under this rule, sorted.
    #[inline]
    pub fn keys(&self, row: usize) -> &[u64] {
        self.keys.keys(row)
    }

    /// The smallest key rows `a` and `b` share, if any.
    #[inline]
    pub fn first_shared(&self, a: usize, b: usize) -> Option<u64> {
        first_common(self.keys(a), self.keys(b))
    }
}

/// A rule's sorted, distinct keys per row, without the grouping of [`RuleIndex`]: enough to
/// tell whether two rows share a key.
#[derive(Debug, Clone)]
pub(crate) struct RowKeys {
    /// `keys[key_ends[row-1]..key_ends[row]]`.
    keys: Vec<u64>,
    key_ends: Vec<u32>,
}

impl RowKeys {
    /// Every row's keys under `rule`, in chunks of rows in parallel.
    pub(crate) fn of(rule: &Rule, f: &Features) -> RowKeys {
        const ROWS: usize = 8192;
        let keyed_rule = KeyedRule::new(rule, f);
        let chunks: Vec<(Vec<u64>, Vec<u32>)> = (0..f.len().div_ceil(ROWS))
            .into_par_iter()
            .map(|c| {
                let (mut buf, mut flat, mut counts) = (Vec::new(), Vec::new(), Vec::new());
                for r in c * ROWS..((c + 1) * ROWS).min(f.len()) {
                    rule_keys(&keyed_rule, f, r, &mut buf);
                    flat.extend_from_slice(&buf);
                    counts.push(buf.len() as u32);
                }
                (flat, counts)
            })
            .collect();
        RowKeys::joined(chunks, f.len())
    }

    /// Every row's keys under `base` narrowed by `key`: each combination, sorted, distinct and
    /// cut to [`MAX_KEYS`] as [`keys::rule_keys`] does part by part; none when either has none.
    fn narrowed(base: &RuleIndex, key: &RowKeys, rows: usize) -> RowKeys {
        const ROWS: usize = 8192;
        let chunks: Vec<(Vec<u64>, Vec<u32>)> = (0..rows.div_ceil(ROWS))
            .into_par_iter()
            .map(|c| {
                let (mut buf, mut flat, mut counts) = (Vec::new(), Vec::new(), Vec::new());
                for r in c * ROWS..((c + 1) * ROWS).min(rows) {
                    keys::narrow_keys(base.keys(r), key.keys(r), &mut buf);
                    flat.extend_from_slice(&buf);
                    counts.push(buf.len() as u32);
                }
                (flat, counts)
            })
            .collect();
        RowKeys::joined(chunks, rows)
    }

    /// Chunks of rows' keys end to end, with each row's count, joined in row order.
    fn joined(chunks: Vec<(Vec<u64>, Vec<u32>)>, rows: usize) -> RowKeys {
        let total: usize = chunks.iter().map(|(flat, _)| flat.len()).sum();
        let mut keys = Vec::with_capacity(total);
        let mut key_ends = Vec::with_capacity(rows);
        for (flat, counts) in chunks {
            let mut at = 0;
            for n in counts {
                keys.extend_from_slice(&flat[at..at + n as usize]);
                at += n as usize;
                key_ends.push(keys.len() as u32);
            }
        }
        RowKeys { keys, key_ends }
    }

    /// The keys of a row, sorted.
    #[inline]
    pub(crate) fn keys(&self, row: usize) -> &[u64] {
        let start = if row == 0 {
            0
        } else {
            self.key_ends[row - 1] as usize
        };
        &self.keys[start..self.key_ends[row] as usize]
    }

    /// Whether rows `a` and `b` share a key.
    #[inline]
    pub(crate) fn share(&self, a: usize, b: usize) -> bool {
        first_common(self.keys(a), self.keys(b)).is_some()
    }
}

/// The smallest value two sorted slices share.
#[inline]
fn first_common(x: &[u64], y: &[u64]) -> Option<u64> {
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(x[i]),
        }
    }
    None
}

/// The candidate-pair generator of a run: the rules' indexes, in rule order.
#[derive(Debug, Clone)]
pub struct Blocker {
    pub rules: Vec<RuleIndex>,
    /// Per row, the groups it is in under each rule but the last (see [`GroupLines`]), so that
    /// whether an earlier rule has a pair is told by one read per row.
    groups: GroupLines,
    /// Once counted ([`Blocker::new_pairs_per_rule`]): per work item ([`Blocker::work`]), its
    /// new pairs (`u32::MAX`: too many to keep), so that a sink screening a group row by row
    /// ([`GroupScreen::screen_row`]) has only the pairs it keeps checked for being new.
    counted: std::sync::OnceLock<Vec<u32>>,
    /// The work items ([`Blocker::work`]), listed once: millions at ten million records.
    items: std::sync::OnceLock<Vec<WorkItem>>,
}

/// A work item: (rule, group, first outer index, end outer index).
type WorkItem = (u32, u32, u32, u32);

/// Per row (row-major, `stride` words a row), for each rule but the last, the indexes of up to
/// `per_rule` kept groups of two or more rows the row is in, ascending, [`GroupLines::EMPTY`]
/// after them; or [`GroupLines::OVERFLOW`] first when it is in more. Two rows share a key under
/// a rule exactly when they share a kept group: a key's group dropped as a copy has the same
/// rows as the group of a smaller key, which they then share.
#[derive(Debug, Clone)]
struct GroupLines {
    ids: Vec<u32>,
    per_rule: usize,
    stride: usize,
}

impl GroupLines {
    const EMPTY: u32 = u32::MAX;
    const OVERFLOW: u32 = u32::MAX - 1;
    /// Words a row's line takes at most when there are few rules: 16, one cache line.
    const LINE: usize = 16;

    fn new(rules: &[RuleIndex], rows: usize, per_rule: usize) -> GroupLines {
        let earlier = rules.len().saturating_sub(1);
        let stride = earlier * per_rule;
        // Rule by rule, group by group, into the rows' lines: no copy of the lines is held.
        let mut ids = vec![Self::EMPTY; rows * stride];
        let mut count = vec![0u32; rows];
        for (r, rule) in rules[..earlier].iter().enumerate() {
            count.fill(0);
            for g in 0..rule.group_starts.len().saturating_sub(1) {
                let span = rule.group_starts[g] as usize..rule.group_starts[g + 1] as usize;
                for &row in &rule.rows[span] {
                    let (row, k) = (row as usize, count[row as usize] as usize);
                    let at = row * stride + r * per_rule;
                    if k < per_rule {
                        ids[at + k] = g as u32;
                    } else {
                        ids[at] = Self::OVERFLOW;
                    }
                    count[row] += 1;
                }
            }
        }
        GroupLines {
            ids,
            per_rule,
            stride,
        }
    }

    /// How many groups a line keeps per rule for `rules` rules: one cache line in all while
    /// that leaves at least one per rule.
    fn per_rule(rules: usize) -> usize {
        match rules.saturating_sub(1) {
            0 => 0,
            earlier => (Self::LINE / earlier).clamp(1, 8),
        }
    }

    /// Row `row`'s groups under each rule but the last.
    #[inline]
    fn line(&self, row: usize) -> &[u32] {
        &self.ids[row * self.stride..(row + 1) * self.stride]
    }
}

/// Whether two rows' groups under one rule (a [`GroupLines`] line's part) share one: `None` when
/// either row is in more groups than the line keeps.
#[inline]
fn share_group(x: &[u32], y: &[u32]) -> Option<bool> {
    if x[0] == GroupLines::OVERFLOW || y[0] == GroupLines::OVERFLOW {
        return None;
    }
    Some(
        x.iter()
            .take_while(|&&g| g != GroupLines::EMPTY)
            .any(|g| y.contains(g)),
    )
}

impl Blocker {
    /// Computes every rule's keys and groups. Rules are indexed in parallel.
    pub fn new(rules: Vec<Rule>, f: &Features) -> Blocker {
        Blocker::from_indexes(Blocker::index(rules, f), f)
    }

    /// Every rule's keys and groups, in parallel, not yet a blocker (rules over a budget may
    /// still be left out).
    pub fn index(rules: Vec<Rule>, f: &Features) -> Vec<RuleIndex> {
        rules
            .into_par_iter()
            .map(|rule| {
                let keys = RowKeys::of(&rule, f);
                RuleIndex::group(rule, keys, f)
            })
            .collect()
    }

    /// The indexes of rules that narrow indexed ones by one more key (`rule & key`): each row's
    /// keys are its keys under the indexed rule combined with its keys under the one more key,
    /// as [`Blocker::index`] would compute them for the narrowed rule's text, without computing
    /// the indexed rule's parts again.
    pub(crate) fn index_narrowed(
        narrowed: Vec<(Rule, &RuleIndex, &RowKeys)>,
        f: &Features,
    ) -> Vec<RuleIndex> {
        narrowed
            .into_par_iter()
            .map(|(rule, base, key)| {
                let keys = RowKeys::narrowed(base, key, f.len());
                RuleIndex::group(rule, keys, f)
            })
            .collect()
    }
}

impl RuleIndex {
    /// A rule's groups from its rows' keys.
    fn group(rule: Rule, keys: RowKeys, f: &Features) -> RuleIndex {
        let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(keys.keys.len());
        for r in 0..keys.key_ends.len() {
            keyed.extend(keys.keys(r).iter().map(|&k| (k, r as u32)));
        }
        keyed.par_sort_unstable();
        let mut rows = Vec::with_capacity(keyed.len());
        let mut seen_groups: rustc_hash::FxHashMap<(u64, usize), usize> = Default::default();
        let mut group = Vec::new();
        let mut group_starts = Vec::new();
        let mut group_keys = Vec::new();
        let mut pairs = 0u64;
        let mut i = 0;
        while i < keyed.len() {
            let mut j = i + 1;
            while j < keyed.len() && keyed[j].0 == keyed[i].0 {
                j += 1;
            }
            if j - i >= 2 {
                group.clear();
                group.extend(keyed[i..j].iter().map(|(_, r)| *r));
                pairs += group_pairs(f, &group);
                // A group with the same rows as one of a smaller key passes on no
                // pair: each of its pairs shares that smaller key.
                let members = (hash_of(&group), group.len());
                let copy = seen_groups.get(&members).is_some_and(|&g| {
                    let start = group_starts[g] as usize;
                    rows[start..start + group.len()] == group[..]
                });
                if !copy {
                    seen_groups.insert(members, group_starts.len());
                    group_starts.push(rows.len() as u32);
                    group_keys.push(keyed[i].0);
                    rows.extend_from_slice(&group);
                }
            }
            i = j;
        }
        group_starts.push(rows.len() as u32);
        // In its first group (of those kept, by key) a row shares no smaller key with
        // any row: the group of a pair's smallest shared key is never dropped as a
        // copy, since the group it would repeat has a smaller key.
        let mut seen = vec![false; f.len()];
        let first = rows
            .iter()
            .map(|&r| !std::mem::replace(&mut seen[r as usize], true))
            .collect();
        RuleIndex {
            rule,
            keys,
            rows,
            first,
            group_starts,
            group_keys,
            pairs,
        }
    }
}

impl Blocker {
    /// The rules' indexes, the rest let go.
    pub(crate) fn into_rules(self) -> Vec<RuleIndex> {
        self.rules
    }

    /// A blocker of rules already indexed (e.g. some of another blocker's).
    pub fn from_indexes(rules: Vec<RuleIndex>, f: &Features) -> Blocker {
        let per_rule = GroupLines::per_rule(rules.len());
        Blocker::with_groups_per_rule(rules, f, per_rule)
    }

    /// [`Blocker::from_indexes`] keeping `per_rule` groups per row and rule in its lines.
    fn with_groups_per_rule(rules: Vec<RuleIndex>, f: &Features, per_rule: usize) -> Blocker {
        let groups = GroupLines::new(&rules, f.len(), per_rule);
        Blocker {
            rules,
            groups,
            counted: Default::default(),
            items: Default::default(),
        }
    }

    /// Whether an earlier rule than `rule` already produces the pair (a, b).
    #[inline]
    fn seen_before(&self, rule: usize, a: usize, b: usize) -> bool {
        let k = self.groups.per_rule;
        let (la, lb) = (self.groups.line(a), self.groups.line(b));
        self.rules[..rule]
            .iter()
            .zip(la.chunks_exact(k).zip(lb.chunks_exact(k)))
            .any(|(r, (x, y))| share_group(x, y).unwrap_or_else(|| r.first_shared(a, b).is_some()))
    }

    /// The rule that passes the pair on: the first rule sharing a key.
    pub fn first_rule(&self, a: usize, b: usize) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.first_shared(a, b).is_some())
    }

    /// Work items: (rule, group, first outer index, end outer index). Large groups are split by
    /// their outer loop so that threads share them. Listed the first time, for the counting
    /// pass and each pass over the pairs.
    fn work(&self) -> &[WorkItem] {
        self.items.get_or_init(|| self.list_work())
    }

    fn list_work(&self) -> Vec<WorkItem> {
        const OUTER_SLICE: u32 = 256;
        let items = self
            .rules
            .iter()
            .map(|r| r.group_starts.len().saturating_sub(1));
        let mut items = Vec::with_capacity(items.sum());
        for (ri, r) in self.rules.iter().enumerate() {
            for g in 0..r.group_starts.len().saturating_sub(1) {
                let len = r.group_starts[g + 1] - r.group_starts[g];
                let mut start = 0;
                while start < len {
                    let end = (start + OUTER_SLICE).min(len);
                    items.push((ri as u32, g as u32, start, end));
                    start = end;
                }
            }
        }
        items
    }

    /// A work item's rule, group rows, and their first-group flags.
    #[inline]
    fn item_group(&self, (ri, g, _, _): WorkItem) -> (&RuleIndex, &[u32], &[bool]) {
        let r = &self.rules[ri as usize];
        let span = r.group_starts[g as usize] as usize..r.group_starts[g as usize + 1] as usize;
        (r, &r.rows[span.clone()], &r.first[span])
    }

    /// The new pairs of one work item (rule, group, outer range): each pair once, in the group
    /// of the smallest key the two share, and only if no earlier rule has them.
    #[inline]
    fn item_pairs(
        &self,
        f: &Features,
        item: WorkItem,
        wants: impl Fn(u32) -> bool,
        mut emit: impl FnMut(u32, u32),
    ) {
        for i in item.2 as usize..item.3 as usize {
            self.row_pairs(f, item, i, None, &wants, &mut emit);
        }
    }

    /// Fetches the group lines of the rows of the group after the item's group, when the item
    /// ends its group and they are read for every pair (rules past the first), unless the next
    /// group has `unchecked_from` rows or more (its pairs are screened before they are checked).
    #[inline]
    fn prefetch_next_group(&self, (ri, g, _, end): WorkItem, unchecked_from: Option<usize>) {
        let r = &self.rules[ri as usize];
        let len = r.group_starts[g as usize + 1] - r.group_starts[g as usize];
        let next_len = r
            .group_starts
            .get(g as usize + 2)
            .map_or(0, |&after| after - r.group_starts[g as usize + 1]);
        let checked = unchecked_from.is_none_or(|min| (next_len as usize) < min);
        if ri > 0 && end == len && checked {
            let next = r.group_starts[g as usize + 1] as usize;
            for &row in r.rows[next..].iter().take(8) {
                if let Some(line) = self.groups.ids.get(row as usize * self.groups.stride) {
                    crate::prepare::prefetch(line);
                }
            }
        }
    }

    /// The new pairs of row `i` of a work item's group with the rows after it ([`item_pairs`]).
    /// With `keep` (one flag per row after `i`), only the rows kept are looked at. Returns how
    /// many pairs it emitted.
    ///
    /// [`item_pairs`]: Blocker::item_pairs
    #[inline]
    fn row_pairs(
        &self,
        f: &Features,
        item: WorkItem,
        i: usize,
        keep: Option<&[bool]>,
        wants: impl Fn(u32) -> bool,
        mut emit: impl FnMut(u32, u32),
    ) -> u64 {
        let (r, group, first) = self.item_group(item);
        let (ri, key) = (item.0 as usize, r.group_keys[item.1 as usize]);
        let a = group[i] as usize;
        // Groups hold their rows in ascending order: `a` is each pair's first row.
        if !wants(a as u32) {
            return 0;
        }
        let mut emitted = 0;
        let mut pair = |b: usize, b_first: bool| {
            // In either row's first group, the key is the smallest the two share.
            if f.allowed(a, b)
                && (first[i] || b_first || r.first_shared(a, b) == Some(key))
                && (ri == 0 || !self.seen_before(ri, a, b))
            {
                emit(a as u32, b as u32);
                emitted += 1;
            }
        };
        let after = group[i + 1..].iter().zip(&first[i + 1..]);
        match keep {
            None => after.for_each(|(&b, &b_first)| pair(b as usize, b_first)),
            Some(keep) => after
                .zip(keep)
                .filter(|(_, kept)| **kept)
                .for_each(|((&b, &b_first), _)| pair(b as usize, b_first)),
        }
        emitted
    }

    /// Streams every candidate pair the sink wants once, as `(a, b)` with `a < b`, in chunks
    /// into `sink`, in parallel. The sink's states are merged at the end; the result does not
    /// depend on the order chunks arrive in as long as the sink's merge is order-independent.
    /// In groups the sink's [`GroupScreen`] takes, it first screens each row against the rows
    /// after it, and only the pairs it keeps are checked and passed on.
    ///
    /// Each thread holds one sink state and takes the next stretch of work items as it is
    /// done with its last, so that the threads finish together whatever the items hold: items
    /// differ widely in their pairs, and when rayon split the items once between the threads,
    /// the last stretch left one core working alone for a second of the score stage at ten
    /// million records (splitting them into many rayon tasks instead made a state each).
    pub fn for_each_pair<S: PairSink>(&self, f: &Features, sink: &S) -> S::State {
        self.walk(f, sink, FirstRows::All)
    }

    /// [`Blocker::for_each_pair`] over the pairs whose first row `first_rows` takes.
    pub fn walk<S: PairSink>(&self, f: &Features, sink: &S, first_rows: FirstRows) -> S::State {
        const CHUNK: usize = 4096;
        const STRETCHES_PER_THREAD: usize = 256;
        let group_screen = sink.group_screen();
        let screens_from = group_screen.map(|s| s.min_rows());
        // A screened item's pairs the sink does not keep are counted, not checked, for its
        // progress: that needs the items' counts.
        let counted = self.counted.get().filter(|_| screens_from.is_some());
        // Fetching a group's lines ahead pays where its pairs are all checked: not for a sink
        // that samples pairs, nor for a group screened first.
        let prefetch = |item| {
            if !first_rows.is_few() {
                self.prefetch_next_group(item, screens_from.filter(|_| counted.is_some()));
            }
        };
        let items = self.work();
        let threads = rayon::current_num_threads();
        let stretch = (items.len() / (threads * STRETCHES_PER_THREAD)).max(1);
        let next = AtomicUsize::new(0);
        let walk = |_| {
            let (mut state, mut buf, mut keep) = (sink.start(), Vec::with_capacity(CHUNK), vec![]);
            let mut emit = |state: &mut S::State, a, b| {
                buf.push((a, b));
                if buf.len() == CHUNK {
                    sink.pairs(state, &buf);
                    buf.clear();
                }
            };
            loop {
                let from = next.fetch_add(stretch, Ordering::Relaxed);
                let Some(stretch) = items.get(from..(from + stretch).min(items.len())) else {
                    break;
                };
                for (n, &item) in (from..).zip(stretch) {
                    let (_, group, _) = self.item_group(item);
                    let new = counted.map_or(u32::MAX, |counted| counted[n]);
                    prefetch(item);
                    let screened = group_screen.filter(|s| group.len() >= s.min_rows());
                    if let Some(screen) = screened.filter(|_| new != u32::MAX) {
                        let start = item.2 as usize;
                        screen.enter(&mut state, &group[start..]);
                        let mut emitted = 0;
                        for i in start..item.3 as usize {
                            keep.clear();
                            keep.resize(group.len() - i - 1, true);
                            screen.screen_row(&mut state, (i - start, group[i]), &mut keep);
                            emitted += self.row_pairs(
                                f,
                                item,
                                i,
                                Some(&keep),
                                |a| first_rows.takes(a),
                                |a, b| emit(&mut state, a, b),
                            );
                        }
                        screen.left_out(&mut state, u64::from(new) - emitted);
                    } else {
                        let takes = |a| first_rows.takes(a);
                        self.item_pairs(f, item, takes, |a, b| emit(&mut state, a, b));
                    }
                }
            }
            if !buf.is_empty() {
                sink.pairs(&mut state, &buf);
            }
            state
        };
        (0..threads)
            .into_par_iter()
            .map(walk)
            .reduce(|| sink.start(), |a, b| sink.merge(a, b))
    }

    /// Candidate pairs per rule that no earlier rule produced: the pairs each rule's work
    /// items pass on. Keeps each item's count, for [`Blocker::for_each_pair`].
    pub fn new_pairs_per_rule(&self, f: &Features) -> Vec<u64> {
        let items = self.work();
        let counts: Vec<u64> = items
            .par_iter()
            .map(|&item| {
                let mut new = 0u64;
                self.prefetch_next_group(item, None);
                self.item_pairs(f, item, |_| true, |_, _| new += 1);
                new
            })
            .collect();
        let mut per_rule = vec![0u64; self.rules.len()];
        for (item, &n) in items.iter().zip(&counts) {
            per_rule[item.0 as usize] += n;
        }
        let counts = counts.iter().map(|&n| u32::try_from(n).unwrap_or(u32::MAX));
        let _ = self.counted.set(counts.collect());
        per_rule
    }
}

/// Allowed pairs among a group of rows.
fn group_pairs(f: &Features, group: &[u32]) -> u64 {
    let k = group.len() as u64;
    match f.link_type {
        LinkType::Dedupe => k * (k - 1) / 2,
        LinkType::Find => {
            let q = group.iter().filter(|r| f.side[**r as usize] == 0).count() as u64;
            q * (k - q)
        }
        LinkType::Link => {
            let mut per_source: rustc_hash::FxHashMap<u32, u64> = Default::default();
            for r in group {
                *per_source.entry(f.source[*r as usize]).or_default() += 1;
            }
            let same: u64 = per_source.values().map(|n| n * n).sum();
            (k * k - same) / 2
        }
    }
}

/// All allowed pairs among all rows: the size of the comparison space.
pub fn total_pairs(f: &Features) -> u64 {
    let all: Vec<u32> = (0..f.len() as u32).collect();
    if all.len() < 2 {
        0
    } else {
        group_pairs(f, &all)
    }
}
