//! The screen in columns: one row of a group against every row after it, one comparison at
//! a time, each loop without branches ([`against_columns`]; its reference is
//! [`Screen::look`] pair by pair).

use super::names::{add_unlike_names, names_unequal};
use super::{Glimpse, LevelTable, Screen};
use crate::compare::{DATE_5Y, DATE_10Y, DATE_ELSE, DATE_EXACT, token_level_index};
use crate::date::PackedDate;
use crate::prepare::Packed;
use crate::settings::NamePart;
use listlink_names::TokenLevel;
use listlink_names::forms::{TokenColumns, TokenSigs};
use listlink_names::similarity::{self, JaroBelow};
use multiversion::multiversion;

/// A run of a group's rows, the values and shapes the [`Screen`] reads of them in columns, so
/// that one row is screened against all the rows after it one comparison at a time
/// ([`Screen::against`]).
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub(crate) rows: usize,
    /// Per table, exact comparison and date (in that order), its slot's codes; per edit-distance
    /// and Jaro–Winkler comparison, its codes; per name comparison, its given and family tokens.
    pub(crate) slots: Vec<Vec<u32>>,
    /// Per edit-distance and Jaro–Winkler comparison (in that order), its values' shapes.
    pub(crate) shapes: Vec<Vec<u64>>,
    /// Per pair of [`Screen::against`], what its glimpses drop.
    pub(crate) sums: Vec<f32>,
    /// For the row screened last, the simple names of the pairs its names pass read.
    pub(crate) names: NameColumns,
}

/// The simple names of the pairs [`add_unlike_names`] reads, in columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameColumns {
    /// Which pairs, by their place after row i.
    pub(crate) pairs: Vec<u32>,
    /// Their other rows' given and family tokens.
    pub(crate) given: TokenColumns,
    pub(crate) family: TokenColumns,
    /// Per pair, whether row i's given token is unlike the other's given and family tokens, and
    /// row i's family token unlike them.
    pub(crate) unlike: [Vec<bool>; 4],
}

#[cfg(test)]
impl Columns {
    /// Rows gathered.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// What each glimpse of a shape-bounded comparison but null and exact drops, for one row, by
/// how many of its thresholds the shapes rule out ([`Shaped::drops`]).
pub(crate) type ShapedDrops = [f32; JaroBelow::MAX + 1];

/// [`Screen::against`], compiled also for AVX-512 (with its population count of 64-bit lanes)
/// and for AVX2, so that its loops run many pairs at a time: the best the CPU has is chosen at
/// run time.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512dq+avx512vpopcntdq+avx2+popcnt+bmi1+bmi2+fma",
    "x86_64+avx2+popcnt+bmi1+bmi2+fma",
))]
pub(crate) fn against_columns(
    screen: &Screen,
    sigs: Option<&TokenSigs>,
    columns: &mut Columns,
    i: usize,
    drop: impl Fn(usize, Glimpse) -> f64,
    limit: f64,
    keep: &mut [bool],
) {
    // One loop over the pairs per comparison, each without branches.
    let Columns {
        rows,
        slots,
        shapes,
        sums,
        names,
    } = columns;
    let from = i + 1;
    assert_eq!(keep.len() + from, *rows, "a flag per row after row i");
    sums.clear();
    sums.resize(keep.len(), 0.0);
    let sums = &mut sums[..];
    // More than all drops can add up to, for the margin of the f32 sums.
    let mut most = 0.0f64;
    let mut drop32 = |c: usize, glimpse: Glimpse| {
        let d = drop(c, glimpse);
        most += d;
        d as f32
    };
    let mut slots = slots.iter().map(Vec::as_slice);
    let mut next = || slots.next().expect("a column per slot");
    for (c, table) in &screen.tables {
        let xs = next();
        let row = &table.levels[xs[i] as usize * table.side..][..table.side];
        let mut by_code = [0.0f32; LevelTable::MAX_CODES];
        for (d, &level) in by_code.iter_mut().zip(row) {
            *d = drop32(*c, Glimpse::Level(level));
        }
        for (sum, &y) in sums.iter_mut().zip(&xs[from..]) {
            *sum += by_code[y as usize % LevelTable::MAX_CODES];
        }
    }
    for &(c, _) in &screen.exact {
        let xs = next();
        let x = xs[i];
        let [null, exact, other] = [0, 1, 2].map(|level| drop32(c, Glimpse::Level(level)));
        if x == 0 {
            sums.iter_mut().for_each(|sum| *sum += null);
            continue;
        }
        for (sum, &y) in sums.iter_mut().zip(&xs[from..]) {
            let d = if y == x { exact } else { other };
            *sum += if y == 0 { null } else { d };
        }
    }
    for &(c, _) in &screen.dates {
        let xs = next();
        let x = PackedDate(xs[i]);
        if !x.is_some() {
            // No date of row i's: no level read from the words.
            continue;
        }
        let drops = [DATE_EXACT, DATE_5Y, DATE_10Y, DATE_ELSE]
            .map(|level| drop32(c, Glimpse::Level(level)));
        add_dates(sums, x, &xs[from..], drops);
    }
    let mut shapes = shapes.iter().map(Vec::as_slice);
    let mut shaped = || (next(), shapes.next().expect("a column per field"));
    for e in &screen.edits {
        let (xs, ss) = shaped();
        let (x, sx) = (xs[i], ss[i]);
        let Some((null, exact, by_count)) = e.row_drops(x, sums, &mut drop32) else {
            continue;
        };
        let pairs = (x, (null, exact, by_count), &xs[from..], &ss[from..]);
        add_edits(sums, sx, &e.thresholds, pairs);
    }
    for e in &screen.jaro {
        let (xs, ss) = shaped();
        let (x, sx) = (xs[i], ss[i]);
        let Some(drops) = e.row_drops(x, sums, &mut drop32) else {
            continue;
        };
        let below = JaroBelow::new(sx, &e.thresholds);
        let pairs = (x, drops, &xs[from..], &ss[from..]);
        // One loop per number of thresholds, each looking at no more than it has.
        match e.thresholds.len() {
            0 => add_jaro::<0>(sums, &below, pairs),
            1 => add_jaro::<1>(sums, &below, pairs),
            2 => add_jaro::<2>(sums, &below, pairs),
            3 => add_jaro::<3>(sums, &below, pairs),
            _ => add_jaro::<{ JaroBelow::MAX }>(sums, &below, pairs),
        }
    }
    // Per part (given, family): what else drops beyond not exact, and the tokens.
    let mut else_drops = [0.0f32; 2];
    let mut tokens = None;
    for &(c, _, part) in &screen.names {
        let (gs, fs) = (next(), next());
        tokens = Some((gs, fs));
        let d = drop32(c, Glimpse::NotExact);
        let different = token_level_index(TokenLevel::Different);
        else_drops[usize::from(part == NamePart::Family)] =
            drop32(c, Glimpse::Level(different)) - d;
        let (ga, fa) = (gs[i], fs[i]);
        if ga == Packed::COMPLEX {
            continue;
        }
        for (sum, (&gb, &fb)) in sums.iter_mut().zip(gs[from..].iter().zip(&fs[from..])) {
            *sum += if names_unequal((ga, fa), (gb, fb)) {
                d
            } else {
                0.0
            };
        }
    }
    // Rounding: each f32 drop is within a relative 2^-24 of its f64, and so is each sum.
    let limit32 = (limit + 1e-3 + 1e-5 * (limit.abs() + most)) as f32;
    if let (Some(sigs), Some(tokens)) = (sigs, tokens) {
        add_unlike_names(sigs, names, tokens, (i, from), else_drops, limit32, sums);
    }
    for (k, &sum) in keep.iter_mut().zip(sums.iter()) {
        *k = sum <= limit32;
    }
}

/// Adds to each sum what the date glimpse of row i's date `x` against the next row's drops:
/// [`far_dates_level`] without branches (`&`, not `&&`), `drops` being what exact, within 5
/// years, within 10 and else drop; any other pair of dates drops nothing here.
///
/// [`far_dates_level`]: crate::compare
#[inline(always)]
fn add_dates(sums: &mut [f32], x: PackedDate, ys: &[u32], [exact, five, ten, far]: [f32; 4]) {
    // A full date equal to row i's agrees exactly.
    let exact = if x.is_full() { exact } else { 0.0 };
    let year_x = x.year();
    for (sum, &y) in sums.iter_mut().zip(ys) {
        let y = PackedDate(y);
        let year_y = y.year();
        let apart = year_x.abs_diff(year_y);
        let is_far = y.is_some()
            & !x.either_ambiguous(y)
            & (year_x < 10_000)
            & (year_y < 10_000)
            & (apart >= 2)
            & x.month_differs(y)
            & x.day_differs(y);
        let known = (year_x != 0) & (year_y != 0);
        let d = if known & (apart <= 5) {
            five
        } else if known & (apart <= 10) {
            ten
        } else {
            far
        };
        let d = if is_far { d } else { 0.0 };
        *sum += if y == x { exact } else { d };
    }
}

/// Adds to each sum what the edit-distance glimpse of row i's value (code `x`, shape `sx`)
/// against the next row's drops: null, exact, or by how many thresholds the shapes' lower
/// bound on the distance rules out ([`Shaped::drops`]).
#[inline(always)]
fn add_edits(
    sums: &mut [f32],
    sx: u64,
    thresholds: &[usize],
    (x, (null, exact, by_count), ys, shapes): (u32, (f32, f32, ShapedDrops), &[u32], &[u64]),
) {
    // The most edits each level allows, while in ascending order (as levels are); past that,
    // any number.
    let mut most_edits = [u32::MAX; JaroBelow::MAX];
    let ordered = thresholds.iter().enumerate();
    let ordered = ordered.take_while(|&(t, th)| t == 0 || *th >= thresholds[t - 1]);
    for (t, &edits) in ordered {
        most_edits[t] = edits.min(u32::MAX as usize) as u32;
    }
    for (sum, (&y, &sy)) in sums.iter_mut().zip(ys.iter().zip(shapes)) {
        let least = similarity::count_lower_bound(sx, sy) as u32;
        // Ruling out a larger distance rules out the smaller ones: the last wins.
        let mut d = by_count[0];
        for t in 0..JaroBelow::MAX {
            if least > most_edits[t] {
                d = by_count[t + 1];
            }
        }
        let d = if y == x { exact } else { d };
        *sum += if y == 0 { null } else { d };
    }
}

/// Adds to each sum what the Jaro–Winkler glimpse of row x against the next row drops:
/// null, exact, or by how many of `N` thresholds the shapes rule out ([`Shaped::drops`]).
#[inline(always)]
pub(crate) fn add_jaro<const N: usize>(
    sums: &mut [f32],
    below: &JaroBelow,
    (x, (null, exact, by_count), ys, shapes): (u32, (f32, f32, ShapedDrops), &[u32], &[u64]),
) {
    for (sum, (&y, &sy)) in sums.iter_mut().zip(ys.iter().zip(shapes)) {
        let d = below.pick::<N, f32>(sy, &by_count);
        let d = if y == x { exact } else { d };
        *sum += if y == 0 { null } else { d };
    }
}
