//! Everything that rules pairs out before comparing them: what two packed rows and their
//! values' shapes show of the levels ([`Glimpse`]), the column kernels that screen a row
//! against a group, and the scoring sink that drops pairs below the floor unseen. Every
//! shortcut here agrees with the reference path in [`crate::compare`] (property tests).

mod columns;
mod names;
mod sink;
#[cfg(test)]
mod tests;

use crate::compare::{
    Comparator, Kind, PREFETCH_AHEAD, PairAlignment, Pattern, exact_level, packed_date_level,
};
use crate::prepare::{Features, Packed, prefetch};
use crate::score::{RowBound, Scorer};
use crate::settings::NamePart;
pub use columns::Columns;
use columns::{ShapedDrops, against_columns};
use listlink_names::forms::TokenSigs;
use listlink_names::similarity::{self, JaroBelow};
pub use names::Unequal;
use rayon::prelude::*;
pub(crate) use sink::ScoreSink;

/// The level of every pair of values of a field so few-valued (states, sexes) that all pairs
/// fit a small table: a comparison's level is then one read of the table, from the two rows'
/// codes.
#[derive(Debug, Clone)]
pub struct LevelTable {
    /// The packed slot of the field's code.
    slot: usize,
    /// Codes of the field, 0 (missing) included: the table's side.
    side: usize,
    levels: Vec<u8>,
}

impl LevelTable {
    /// Fields with at most this many codes get a table: 64 × 64 levels, 4 KiB.
    pub const MAX_CODES: usize = 64;

    /// The level of the pair whose packed rows are these.
    #[inline]
    pub fn level(&self, (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS])) -> u8 {
        self.levels[ra[self.slot] as usize * self.side + rb[self.slot] as usize]
    }
}

/// What a pair's packed rows and its values' shapes show of one comparison's level without
/// comparing the values ([`Screen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glimpse {
    /// The level itself.
    Level(u8),
    /// This level or one past it (less alike): never null or exact.
    AtLeast(u8),
    /// Not exact (null still possible).
    NotExact,
}

/// One row's shapes of the fields the screen bounds by shape, in one cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
pub struct Sketch([u64; Screen::WORDS]);

/// A comparison of one text field's codes that the screen bounds from the values' shapes.
#[derive(Debug, Clone)]
struct Shaped<T> {
    c: usize,
    /// The field, which is also its packed slot.
    field: usize,
    /// Its word in the rows' [`Sketch`], if it has one; else its shapes are read by code.
    word: Option<usize>,
    /// Per code, the value's shape (Jaro–Winkler: [`similarity::shape`], edit distance:
    /// [`similarity::count_shape`]).
    shapes: Vec<u64>,
    thresholds: Vec<T>,
}

impl Glimpse {
    /// How much this glimpse of comparison `c` lowers the bound of pairs (a, ·).
    #[inline]
    pub fn drop(self, scorer: &Scorer, row: &RowBound, c: usize) -> f64 {
        match self {
            Glimpse::Level(level) => scorer.drop(row, c, level),
            Glimpse::AtLeast(level) => scorer.drop_from(row, c, level),
            Glimpse::NotExact => scorer.unequal_drop(row, c),
        }
    }
}

impl<T> Shaped<T> {
    /// What the pair's codes and shapes show of this comparison's level, given how many of its
    /// thresholds, from the strictest, the two shapes rule out.
    #[inline(always)]
    fn glimpse(
        &self,
        (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS]),
        (sa, sb): (&[u64; Screen::WORDS], &[u64; Screen::WORDS]),
        ruled_out: impl FnOnce(u64, u64, &[T]) -> usize,
    ) -> Glimpse {
        let (x, y) = (ra[self.field], rb[self.field]);
        if x == 0 || y == 0 {
            return Glimpse::Level(0);
        }
        if x == y {
            return Glimpse::Level(1);
        }
        let (sx, sy) = match self.word {
            Some(w) => (sa[w], sb[w]),
            None => (self.shapes[x as usize], self.shapes[y as usize]),
        };
        let past = ruled_out(sx, sy, &self.thresholds);
        if past == self.thresholds.len() {
            Glimpse::Level(2 + past as u8)
        } else {
            Glimpse::AtLeast(2 + past as u8)
        }
    }

    /// A row's shape of this field's value (0 when it has none), from its sketch when that
    /// holds it.
    #[inline]
    fn row_shape(&self, line: &[u32; Packed::SLOTS], sketch: &[u64; Screen::WORDS]) -> u64 {
        match (line[self.field], self.word) {
            (0, _) => 0,
            (_, Some(w)) => sketch[w],
            (code, None) => self.shapes[code as usize],
        }
    }

    /// What each glimpse of row i's value (code `x`) against another drops ([`Shaped::drops`]);
    /// `None` when row i has no value, after adding the null level's drop to every sum.
    fn row_drops(
        &self,
        x: u32,
        sums: &mut [f32],
        drop: impl FnMut(usize, Glimpse) -> f32,
    ) -> Option<(f32, f32, ShapedDrops)> {
        let drops = self.drops(drop);
        if x == 0 {
            sums.iter_mut().for_each(|sum| *sum += drops.0);
            return None;
        }
        Some(drops)
    }

    /// What each glimpse drops, from what `drop` says each drops: null, exact, and by how many
    /// thresholds (from the strictest) are ruled out, at or past each level from 2 while
    /// thresholds remain, and last the level past every threshold (never more thresholds).
    fn drops(&self, mut drop: impl FnMut(usize, Glimpse) -> f32) -> (f32, f32, ShapedDrops) {
        let n = self.thresholds.len();
        // Past the thresholds: as many as there are.
        let mut by_count = [drop(self.c, Glimpse::Level(2 + n as u8)); JaroBelow::MAX + 1];
        for (past, d) in by_count.iter_mut().take(n).enumerate() {
            *d = drop(self.c, Glimpse::AtLeast(2 + past as u8));
        }
        let null = drop(self.c, Glimpse::Level(0));
        (null, drop(self.c, Glimpse::Level(1)), by_count)
    }
}

/// The cheap look at a pair that comes before any comparison: per comparison, what the two
/// packed rows and the values' shapes show of its level ([`Glimpse`]). Comparisons are grouped
/// by kind, so that each group's loop runs the same code for every pair, and the shapes of up to
/// [`Screen::WORDS`] fields are gathered per row into one line ([`Sketch`]), so that looking at a
/// pair reads four cache lines, two of them row a's, whatever the values.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    pub(crate) tables: Vec<(usize, LevelTable)>,
    /// (comparison, slot): exact comparisons of codes.
    exact: Vec<(usize, usize)>,
    /// (comparison, slot): packed dates.
    dates: Vec<(usize, usize)>,
    jaro: Vec<Shaped<f64>>,
    edits: Vec<Shaped<usize>>,
    /// (comparison, slot, part): simple names' tokens.
    names: Vec<(usize, usize, NamePart)>,
    sketches: Vec<Sketch>,
}

impl Screen {
    /// Fields whose shapes a row's [`Sketch`] holds.
    pub const WORDS: usize = 8;

    /// While pair `i` of `pairs` is looked at: fetches the sketches of the rows of a pair a few
    /// places ahead, as [`Comparator::prefetch_ahead`] does their packed rows. The first row's
    /// only when it differs from the pair before's: in small groups (most pairs of rules past
    /// the first) it changes every pair or two, and missing it stalled the screen.
    #[inline]
    pub fn prefetch_ahead(&self, pairs: &[(u32, u32)], i: usize) {
        let ahead = i + PREFETCH_AHEAD;
        let Some(&(a, b)) = pairs.get(ahead) else {
            return;
        };
        if let Some(line) = self.sketches.get(b as usize) {
            prefetch(line);
        }
        let new_first = ahead == 0 || pairs[ahead - 1].0 != a;
        if let Some(line) = self.sketches.get(a as usize).filter(|_| new_first) {
            prefetch(line);
        }
    }

    /// Calls `each` with what the pair's rows show of each comparison they show anything of.
    #[inline]
    pub fn look(
        &self,
        (a, b): (usize, usize),
        (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS]),
        mut each: impl FnMut(usize, Glimpse),
    ) {
        for (c, table) in &self.tables {
            each(*c, Glimpse::Level(table.level((ra, rb))));
        }
        for &(c, slot) in &self.exact {
            each(c, Glimpse::Level(exact_level(ra[slot], rb[slot])));
        }
        for &(c, slot) in &self.dates {
            if let Some(level) = packed_date_level(ra[slot], rb[slot]) {
                each(c, Glimpse::Level(level));
            }
        }
        let (sa, sb) = match (self.sketches.get(a), self.sketches.get(b)) {
            (Some(sa), Some(sb)) => (&sa.0, &sb.0),
            _ => (&[0; Screen::WORDS], &[0; Screen::WORDS]),
        };
        for e in &self.edits {
            let glimpse = e.glimpse((ra, rb), (sa, sb), |sx, sy, thresholds| {
                let least = similarity::count_lower_bound(sx, sy);
                thresholds.iter().take_while(|th| **th < least).count()
            });
            each(e.c, glimpse);
        }
        for e in &self.jaro {
            let glimpse = e.glimpse((ra, rb), (sa, sb), |sx, sy, thresholds| {
                let below = |th: f64| similarity::jaro_winkler_below(sx, sy, th);
                // Most pairs are below the loosest threshold, and so below all.
                if thresholds.last().is_none_or(|&th| below(th)) {
                    thresholds.len()
                } else {
                    thresholds.iter().take_while(|th| below(**th)).count()
                }
            });
            each(e.c, glimpse);
        }
        for &(c, slot, _) in &self.names {
            if Unequal::Names(slot).rules_out_exact(ra, rb) {
                each(c, Glimpse::NotExact);
            }
        }
    }

    /// Whether the screen looks at anything, and [`Screen::against`] can screen in columns
    /// what [`Screen::look`] screens pair by pair.
    pub fn has_columns(&self) -> bool {
        let fits = |n: usize| n <= JaroBelow::MAX;
        let any = !(self.tables.is_empty()
            && self.exact.is_empty()
            && self.dates.is_empty()
            && self.edits.is_empty()
            && self.jaro.is_empty()
            && self.names.is_empty());
        any && self.edits.iter().all(|e| fits(e.thresholds.len()))
            && self.jaro.iter().all(|e| fits(e.thresholds.len()))
    }

    /// The packed slots [`Columns`] hold, in their order.
    fn column_slots(&self) -> impl Iterator<Item = usize> + '_ {
        let slot = |&(_, slot): &(usize, usize)| slot;
        (self.tables.iter().map(|(_, t)| t.slot))
            .chain(self.exact.iter().map(slot))
            .chain(self.dates.iter().map(slot))
            .chain(self.edits.iter().map(|e| e.field))
            .chain(self.jaro.iter().map(|e| e.field))
            .chain(self.names.iter().flat_map(|&(_, slot, _)| [slot, slot + 1]))
    }

    /// Gathers the packed values and shapes of `rows` into `columns`, for [`Screen::against`].
    pub fn gather(&self, packed: &Packed, rows: &[u32], columns: &mut Columns) {
        columns.rows = rows.len();
        columns
            .slots
            .resize_with(self.column_slots().count(), Vec::new);
        columns
            .shapes
            .resize_with(self.edits.len() + self.jaro.len(), Vec::new);
        // A column at a time, each extended from an iterator of known length: pushing to each
        // column in turn, a row at a time, keeps every column's length in memory between pushes.
        for (column, slot) in columns.slots.iter_mut().zip(self.column_slots()) {
            column.clear();
            column.extend(rows.iter().map(|&r| packed.row(r as usize)[slot]));
        }
        let sketch = |r: u32| {
            self.sketches
                .get(r as usize)
                .map_or(&[0; Screen::WORDS], |s| &s.0)
        };
        let (edits, jaro) = columns.shapes.split_at_mut(self.edits.len());
        for (column, e) in edits.iter_mut().zip(&self.edits) {
            column.clear();
            column.extend(
                rows.iter()
                    .map(|&r| e.row_shape(packed.row(r as usize), sketch(r))),
            );
        }
        for (column, e) in jaro.iter_mut().zip(&self.jaro) {
            column.clear();
            column.extend(
                rows.iter()
                    .map(|&r| e.row_shape(packed.row(r as usize), sketch(r))),
            );
        }
    }

    /// Screens gathered row `i` against every row after it: clears `keep[j]` when the pair
    /// (i, i + 1 + j) surely drops more than `limit` by what [`Screen::look`] shows of it,
    /// `drop(c, glimpse)` being what a glimpse of comparison `c` drops for row i. The glimpses
    /// are those `look` gives, or weaker ones (a date level it does not read from the two words,
    /// a shape bound within a relative 1e-4 of a threshold), and the sums are in `f32` with a
    /// margin. With the names' token summaries (`sigs`), it also reads what `look` does not:
    /// simple names whose tokens the summaries settle as unlike are else, as comparing them
    /// would find ([`Unlike`]). A pair cleared here falls below the floor when compared in full,
    /// so this screen changes which pairs are looked at pair by pair, never which are kept.
    ///
    /// [`Unlike`]: listlink_names::forms::Unlike
    pub fn against(
        &self,
        sigs: Option<&TokenSigs>,
        columns: &mut Columns,
        i: usize,
        drop: impl Fn(usize, Glimpse) -> f64,
        limit: f64,
        keep: &mut [bool],
    ) {
        against_columns(self, sigs, columns, i, drop, limit, keep);
    }

    /// [`Comparator::patterns`], taking first the levels the screen shows of each pair
    /// ([`Screen::look`]): the same patterns, without comparing the values whose codes or
    /// shapes already settle their level (most texts of pairs that are not the same person).
    pub fn patterns(
        &self,
        comparator: &Comparator,
        f: &Features,
        pairs: &[(u32, u32)],
        out: &mut Vec<Pattern>,
    ) {
        let screen = self;
        let Some(packed) = &f.packed else {
            return comparator.patterns(f, pairs, out);
        };
        out.reserve(pairs.len());
        for (i, &(a, b)) in pairs.iter().enumerate() {
            comparator.prefetch_ahead(f, pairs, i);
            screen.prefetch_ahead(pairs, i);
            let (a, b) = (a as usize, b as usize);
            let rows = (packed.row(a), packed.row(b));
            let (mut pattern, mut known) = (0u64, 0u32);
            screen.look((a, b), rows, |c, glimpse| {
                if let Glimpse::Level(level) = glimpse {
                    known |= 1 << c;
                    pattern |= u64::from(level) << (4 * c);
                }
            });
            let mut aligned = PairAlignment::NotYet;
            for (c, comparison) in comparator.comparisons.iter().enumerate() {
                if known & (1 << c) == 0 {
                    let level = comparison.level_packed(f, a, b, rows, comparator, &mut aligned);
                    pattern |= u64::from(level) << (4 * c);
                }
            }
            out.push(pattern);
        }
    }

    /// The screen of these features' pairs under these comparisons: empty without packed rows.
    pub fn new(comparator: &Comparator, f: &Features) -> Screen {
        let mut screen = Screen::default();
        let Some(packed) = &f.packed else {
            return screen;
        };
        let tables = level_tables(comparator, f);
        let mut words = 0;
        let mut word = || {
            let w = (words < Screen::WORDS).then_some(words);
            words += 1;
            w
        };
        for (c, comparison) in comparator.comparisons.iter().enumerate() {
            if let Some(table) = &tables[c] {
                screen.tables.push((c, table.clone()));
                continue;
            }
            match &comparison.kind {
                Kind::Exact { field } => screen.exact.push((c, *field)),
                Kind::Date { field, .. } => screen.dates.push((c, *field)),
                Kind::JaroWinkler {
                    field,
                    swap: None,
                    thresholds,
                } => screen.jaro.push(Shaped {
                    c,
                    field: *field,
                    word: word(),
                    shapes: f.text(*field).lines.iter().map(|l| l.shape).collect(),
                    thresholds: thresholds.clone(),
                }),
                Kind::Levenshtein { field, thresholds } => {
                    let t = f.text(*field);
                    screen.edits.push(Shaped {
                        c,
                        field: *field,
                        word: word(),
                        shapes: (0..t.lines.len() as u32)
                            .map(|code| similarity::count_shape(t.value(code)))
                            .collect(),
                        thresholds: thresholds.clone(),
                    })
                }
                Kind::PersonName {
                    part: part @ (NamePart::Given | NamePart::Family),
                } => {
                    if let Some(slot) = packed.person {
                        screen.names.push((c, slot, *part));
                    }
                }
                _ => {}
            }
        }
        if words > 0 {
            let (jaro, edits) = (&screen.jaro, &screen.edits);
            screen.sketches = (0..packed.rows.len())
                .into_par_iter()
                .map(|r| {
                    let row = packed.row(r);
                    let mut line = Sketch::default();
                    for (w, field, shapes) in jaro
                        .iter()
                        .map(|e| (e.word, e.field, &e.shapes))
                        .chain(edits.iter().map(|e| (e.word, e.field, &e.shapes)))
                    {
                        if let Some(w) = w {
                            line.0[w] = shapes[row[field] as usize];
                        }
                    }
                    line
                })
                .collect();
        }
        screen
    }
}

/// The comparisons whose level the pair's packed rows can show is not 1 (exact), with how
/// ([`Unequal`]): exact, edit-distance and Jaro–Winkler comparisons of one text field (equal
/// codes ⇔ equal keys), and person-name comparisons of simple names (one token a part, so
/// only a shared token is exact, whichever order the names are read in). Empty without
/// packed rows.
pub fn unequal(comparator: &Comparator, f: &Features) -> Vec<(usize, Unequal)> {
    let Some(packed) = &f.packed else {
        return Vec::new();
    };
    comparator
        .comparisons
        .iter()
        .enumerate()
        .filter_map(|(c, comparison)| match comparison.kind {
            Kind::Exact { field }
            | Kind::Levenshtein { field, .. }
            | Kind::JaroWinkler {
                field, swap: None, ..
            } => Some((c, Unequal::Codes(field))),
            Kind::PersonName {
                part: NamePart::Given | NamePart::Family,
            } => packed.person.map(|slot| (c, Unequal::Names(slot))),
            _ => None,
        })
        .collect()
}

/// Per comparison, a [`LevelTable`] when it is an exact, edit-distance or Jaro–Winkler
/// comparison of one text field with at most [`LevelTable::MAX_CODES`] codes and rows are
/// packed. Each entry is the level comparing the two codes gives.
pub fn level_tables(comparator: &Comparator, f: &Features) -> Vec<Option<LevelTable>> {
    let one_field = unequal(comparator, f);
    comparator
        .comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| {
            let slot = one_field.iter().find_map(|&(x, how)| match how {
                Unequal::Codes(slot) if x == c => Some(slot),
                _ => None,
            })?;
            let side = f.text(slot).lines.len();
            (side <= LevelTable::MAX_CODES).then(|| LevelTable {
                slot,
                side,
                levels: (0..side * side)
                    .map(|i| {
                        let (x, y) = ((i / side) as u32, (i % side) as u32);
                        comparison.codes_level(f, &comparator.memo, x, y)
                    })
                    .collect(),
            })
        })
        .collect()
}
