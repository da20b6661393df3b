//! Matching two lists' encodings: Dice similarity from popcounts of 64-bit words, candidate pairs
//! (all pairs, pruned by popcount; or Hamming LSH for large inputs), and anonlink's greedy
//! one-to-one assignment.
//!
//! Dice is `2·|A∧B| / (|A|+|B|)`, computed in `f64` from integer counts as anonlink does, so a
//! pair at the threshold is decided the same way; two empty filters score 0.

use crate::clk::ClkSet;
use rayon::prelude::*;

/// A pair of records (row numbers in the two lists) and their Dice similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub left: u32,
    pub right: u32,
    pub dice: f64,
}

/// How candidate pairs are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Blocking {
    /// Every pair whose popcounts allow the floor (exact: no pair at or above it is missed).
    AllPairs,
    /// Hamming LSH: `tables` tables, each keyed on `bits` sampled bit positions (seeded); pairs
    /// sharing a key in any table are compared. Fast on large lists, at some cost in recall.
    Lsh { tables: u32, bits: u32, seed: u64 },
}

impl Blocking {
    /// All pairs up to `max_all_pairs` pairs, else LSH tuned for Dice around 0.75–0.8 on
    /// 1024-bit CLKs (a pair agreeing on 84% of bits shares a key in at least one of 64 tables
    /// of 16 bits with probability 0.98).
    pub fn auto(left: usize, right: usize, max_all_pairs: u64) -> Blocking {
        if (left as u64) * (right as u64) <= max_all_pairs {
            Blocking::AllPairs
        } else {
            Blocking::Lsh {
                tables: 64,
                bits: 16,
                seed: 26,
            }
        }
    }
}

/// Number of score bins (width 0.01; a Dice of exactly 1 has bin 100).
pub const BINS: usize = 101;

/// The bin of a Dice score.
#[inline]
pub fn bin(dice: f64) -> usize {
    ((dice * 100.0) as usize).min(BINS - 1)
}

/// What one pass over the pairs gives: the pairs at or above the floor, a histogram of their
/// scores (pairs compared but below the floor all in bin 0; pairs not compared in
/// `not_compared`), and each record's best partner among the pairs at or above the floor.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub pairs: Vec<Scored>,
    pub histogram: [u64; BINS],
    pub not_compared: u64,
    /// Pairs whose Dice was computed.
    pub compared: u64,
    /// Each left record's best right record and score (ties: the lower row).
    pub best_left: Vec<Option<(u32, f64)>>,
    /// Each right record's best left record and score (ties: the lower row).
    pub best_right: Vec<Option<(u32, f64)>>,
}

impl Comparison {
    /// Pairs that are each other's best: the pairs a one-to-one linkage most surely holds.
    pub fn mutual_best(&self) -> Vec<Scored> {
        self.best_left
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let (j, dice) = (*b)?;
                match self.best_right[j as usize] {
                    Some((back, _)) if back as usize == i => Some(Scored {
                        left: i as u32,
                        right: j,
                        dice,
                    }),
                    _ => None,
                }
            })
            .collect()
    }
}

/// Dice of two encodings from their popcounts and the popcount of their AND.
#[inline]
pub fn dice_from_counts(common: u32, pa: u32, pb: u32) -> f64 {
    let total = pa + pb;
    if total == 0 {
        0.0
    } else {
        2.0 * f64::from(common) / f64::from(total)
    }
}

/// The obvious Dice, for tests and single pairs.
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    let common = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    let pa = a.iter().map(|x| x.count_ones()).sum();
    let pb = b.iter().map(|x| x.count_ones()).sum();
    dice_from_counts(common, pa, pb)
}

#[inline(always)]
fn and_popcount(a: &[u64], b: &[u64]) -> u32 {
    // Four independent accumulators keep the popcount unit busy.
    let mut acc = [0u32; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        acc[0] += (x[0] & y[0]).count_ones();
        acc[1] += (x[1] & y[1]).count_ones();
        acc[2] += (x[2] & y[2]).count_ones();
        acc[3] += (x[3] & y[3]).count_ones();
    }
    let rest: u32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x & y).count_ones())
        .sum();
    acc[0] + acc[1] + acc[2] + acc[3] + rest
}

/// Per-thread results of scoring a stretch of left rows.
struct Partial {
    pairs: Vec<Scored>,
    histogram: [u64; BINS],
    compared: u64,
    best_left: Vec<(u32, Option<(u32, f64)>)>,
    best_right: Vec<Option<(u32, f64)>>,
}

impl Partial {
    fn new(right: usize) -> Partial {
        Partial {
            pairs: Vec::new(),
            histogram: [0; BINS],
            compared: 0,
            best_left: Vec::new(),
            best_right: vec![None; right],
        }
    }
}

/// Better partner: higher score, then lower row.
#[inline]
fn better(candidate: (u32, f64), current: Option<(u32, f64)>) -> bool {
    match current {
        None => true,
        Some((row, score)) => candidate.1 > score || (candidate.1 == score && candidate.0 < row),
    }
}

/// The rows of `right` whose popcount lets a pair with a row of popcount `pa` reach `floor`.
fn popcount_window(pa: u32, floor: f64, sorted_pops: &[u32]) -> std::ops::Range<usize> {
    if floor <= 0.0 {
        return 0..sorted_pops.len();
    }
    // 2·min(pa,pb)/(pa+pb) ≥ floor  ⇔  pb ∈ [pa·f/(2−f), pa·(2−f)/f]; a margin keeps it exact.
    let lo = (f64::from(pa) * floor / (2.0 - floor) - 1e-9)
        .floor()
        .max(0.0) as u32;
    let hi = (f64::from(pa) * (2.0 - floor) / floor + 1e-9).ceil();
    let hi = if hi > f64::from(u32::MAX) {
        u32::MAX
    } else {
        hi as u32
    };
    let start = sorted_pops.partition_point(|&p| p < lo);
    let end = sorted_pops.partition_point(|&p| p <= hi);
    start..end
}

/// Scores the pairs `blocking` proposes and keeps those with Dice ≥ `floor`.
pub fn compare(left: &ClkSet, right: &ClkSet, floor: f64, blocking: Blocking) -> Comparison {
    assert_eq!(
        left.words_per(),
        right.words_per(),
        "both lists' encodings have one length (checked by the caller)"
    );
    match blocking {
        Blocking::AllPairs => compare_all(left, right, floor),
        Blocking::Lsh { tables, bits, seed } => compare_lsh(left, right, floor, tables, bits, seed),
    }
}

fn finish(parts: Vec<Partial>, left: usize, right: usize) -> Comparison {
    let mut out = Comparison {
        pairs: Vec::new(),
        histogram: [0; BINS],
        not_compared: 0,
        compared: 0,
        best_left: vec![None; left],
        best_right: vec![None; right],
    };
    for p in parts {
        out.pairs.extend(p.pairs);
        for (h, x) in out.histogram.iter_mut().zip(p.histogram) {
            *h += x;
        }
        out.compared += p.compared;
        for (i, b) in p.best_left {
            out.best_left[i as usize] = b;
        }
        for (j, b) in p.best_right.into_iter().enumerate() {
            if let Some(c) = b
                && better(c, out.best_right[j])
            {
                out.best_right[j] = Some(c);
            }
        }
    }
    out.not_compared = left as u64 * right as u64 - out.compared;
    out.pairs
        .sort_unstable_by_key(|p| u64::from(p.left) << 32 | u64::from(p.right));
    out
}

fn compare_all(left: &ClkSet, right: &ClkSet, floor: f64) -> Comparison {
    // Right rows in popcount order, their words copied in that order so the scan reads memory
    // straight through.
    let mut order: Vec<u32> = (0..right.len() as u32).collect();
    order.sort_by_key(|&j| (right.popcount(j as usize), j));
    let sorted_pops: Vec<u32> = order.iter().map(|&j| right.popcount(j as usize)).collect();
    let wp = right.words_per();
    let mut sorted_words = Vec::with_capacity(order.len() * wp);
    for &j in &order {
        sorted_words.extend_from_slice(right.row(j as usize));
    }
    let chunk = 64usize;
    let parts: Vec<Partial> = (0..left.len().div_ceil(chunk))
        .into_par_iter()
        .fold(
            || Partial::new(right.len()),
            |mut part, c| {
                for i in c * chunk..((c + 1) * chunk).min(left.len()) {
                    score_row(
                        left.row(i),
                        left.popcount(i),
                        i as u32,
                        floor,
                        &order,
                        &sorted_pops,
                        &sorted_words,
                        wp,
                        &mut part,
                    );
                }
                part
            },
        )
        .collect();
    finish(parts, left.len(), right.len())
}

#[allow(clippy::too_many_arguments)]
fn score_row(
    a: &[u64],
    pa: u32,
    i: u32,
    floor: f64,
    order: &[u32],
    sorted_pops: &[u32],
    sorted_words: &[u64],
    wp: usize,
    part: &mut Partial,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512vpopcntdq") {
            // SAFETY: the CPU has AVX-512F and VPOPCNTDQ (checked just above; the first
            // implies the second's base).
            unsafe {
                score_row_avx512(a, pa, i, floor, order, sorted_pops, sorted_words, wp, part);
            }
            return;
        }
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has the popcnt instruction (checked just above).
            unsafe {
                score_row_popcnt(a, pa, i, floor, order, sorted_pops, sorted_words, wp, part);
            }
            return;
        }
    }
    score_row_body(
        a,
        pa,
        i,
        floor,
        order,
        sorted_pops,
        sorted_words,
        wp,
        part,
        and_popcount,
    );
}

/// The plain form of [`and_popcount`], which the compiler turns into vector popcounts
/// (`vpopcntq`) where the CPU has them.
#[inline(always)]
fn and_popcount_lanes(a: &[u64], b: &[u64]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x & y).count_ones() as u64)
        .sum::<u64>() as u32
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
#[allow(clippy::too_many_arguments)]
fn score_row_avx512(
    a: &[u64],
    pa: u32,
    i: u32,
    floor: f64,
    order: &[u32],
    sorted_pops: &[u32],
    sorted_words: &[u64],
    wp: usize,
    part: &mut Partial,
) {
    if wp.is_multiple_of(8) {
        // The closure shares this function's target features, so the call needs no `unsafe`.
        score_row_body(
            a,
            pa,
            i,
            floor,
            order,
            sorted_pops,
            sorted_words,
            wp,
            part,
            |a, b| and_popcount_zmm(a, b),
        );
    } else {
        score_row_body(
            a,
            pa,
            i,
            floor,
            order,
            sorted_pops,
            sorted_words,
            wp,
            part,
            and_popcount_lanes,
        );
    }
}

/// [`and_popcount`] of lengths that are a multiple of 8 words, 512 bits at a time, reduced once.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
#[inline]
fn and_popcount_zmm(a: &[u64], b: &[u64]) -> u32 {
    use std::arch::x86_64::*;
    debug_assert!(a.len() == b.len() && a.len().is_multiple_of(8));
    let mut acc = _mm512_setzero_si512();
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        // SAFETY: each chunk is 8 u64 = 64 readable bytes; unaligned loads are allowed.
        let (vx, vy) = unsafe {
            (
                _mm512_loadu_si512(x.as_ptr().cast()),
                _mm512_loadu_si512(y.as_ptr().cast()),
            )
        };
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(vx, vy)));
    }
    _mm512_reduce_add_epi64(acc) as u32
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
#[allow(clippy::too_many_arguments)]
fn score_row_popcnt(
    a: &[u64],
    pa: u32,
    i: u32,
    floor: f64,
    order: &[u32],
    sorted_pops: &[u32],
    sorted_words: &[u64],
    wp: usize,
    part: &mut Partial,
) {
    score_row_body(
        a,
        pa,
        i,
        floor,
        order,
        sorted_pops,
        sorted_words,
        wp,
        part,
        and_popcount,
    );
}

/// One left row against the right rows its popcount allows. Most pairs cost an AND, a popcount
/// and one comparison without a division (surely below the floor: only counted).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn score_row_body(
    a: &[u64],
    pa: u32,
    i: u32,
    floor: f64,
    order: &[u32],
    sorted_pops: &[u32],
    sorted_words: &[u64],
    wp: usize,
    part: &mut Partial,
    kernel: impl Fn(&[u64], &[u64]) -> u32,
) {
    let window = popcount_window(pa, floor, sorted_pops);
    let mut best: Option<(u32, f64)> = None;
    let mut below = 0u64;
    // 2·common < (floor − ε)·(pa + pb) is surely Dice < floor (the margin covers rounding).
    let low = floor - 1e-9;
    let rows = sorted_words[window.start * wp..window.end * wp].chunks_exact(wp);
    for (k, b) in window.clone().zip(rows) {
        let common = kernel(a, b);
        let pb = sorted_pops[k];
        if f64::from(2 * common) < low * f64::from(pa + pb) {
            below += 1;
            continue;
        }
        let d = dice_from_counts(common, pa, pb);
        if d < floor {
            below += 1;
            continue;
        }
        let j = order[k];
        part.pairs.push(Scored {
            left: i,
            right: j,
            dice: d,
        });
        part.histogram[bin(d)] += 1;
        if better((j, d), best) {
            best = Some((j, d));
        }
        if better((i, d), part.best_right[j as usize]) {
            part.best_right[j as usize] = Some((i, d));
        }
    }
    part.histogram[0] += below;
    part.compared += window.len() as u64;
    part.best_left.push((i, best));
}

/// `and_popcount` compiled with the CPU's popcount instruction when it has one.
#[inline]
fn and_popcount_dispatch(a: &[u64], b: &[u64]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has the popcnt instruction (checked just above).
            return unsafe { and_popcount_popcnt(a, b) };
        }
    }
    and_popcount(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn and_popcount_popcnt(a: &[u64], b: &[u64]) -> u32 {
    and_popcount(a, b)
}

/// SplitMix64: the seeded choice of LSH bit positions.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn compare_lsh(
    left: &ClkSet,
    right: &ClkSet,
    floor: f64,
    tables: u32,
    bits: u32,
    seed: u64,
) -> Comparison {
    let nbits = left.words_per() * 64;
    let mut state = seed;
    let samples: Vec<Vec<usize>> = (0..tables)
        .map(|_| {
            (0..bits.min(64))
                .map(|_| (splitmix(&mut state) % nbits as u64) as usize)
                .collect()
        })
        .collect();
    let key = |row: &[u64], sample: &[usize]| -> u64 {
        sample
            .iter()
            .fold(0u64, |k, &p| k << 1 | (row[p / 64] >> (63 - p % 64) & 1))
    };
    // Candidate pairs from every table, as (left << 32 | right), deduplicated.
    let mut codes: Vec<u64> = samples
        .par_iter()
        .flat_map_iter(|sample| {
            let mut keyed: Vec<(u64, u8, u32)> = Vec::with_capacity(left.len() + right.len());
            keyed.extend((0..left.len()).map(|i| (key(left.row(i), sample), 0, i as u32)));
            keyed.extend((0..right.len()).map(|j| (key(right.row(j), sample), 1, j as u32)));
            keyed.sort_unstable();
            let mut out = Vec::new();
            let mut g = 0;
            while g < keyed.len() {
                let mut e = g;
                while e < keyed.len() && keyed[e].0 == keyed[g].0 {
                    e += 1;
                }
                let split = g + keyed[g..e].partition_point(|x| x.1 == 0);
                for l in &keyed[g..split] {
                    for r in &keyed[split..e] {
                        out.push(u64::from(l.2) << 32 | u64::from(r.2));
                    }
                }
                g = e;
            }
            out
        })
        .collect();
    codes.par_sort_unstable();
    codes.dedup();
    let chunk = 4096;
    let parts: Vec<Partial> = codes
        .par_chunks(chunk)
        .fold(
            || Partial::new(right.len()),
            |mut part, codes| {
                let mut current: Option<(u32, Option<(u32, f64)>)> = None;
                for &code in codes {
                    let (i, j) = ((code >> 32) as u32, code as u32);
                    let (pa, pb) = (left.popcount(i as usize), right.popcount(j as usize));
                    let d = dice_from_counts(
                        and_popcount_dispatch(left.row(i as usize), right.row(j as usize)),
                        pa,
                        pb,
                    );
                    part.compared += 1;
                    if d < floor {
                        part.histogram[0] += 1;
                        continue;
                    }
                    part.pairs.push(Scored {
                        left: i,
                        right: j,
                        dice: d,
                    });
                    part.histogram[bin(d)] += 1;
                    match &mut current {
                        Some((row, best)) if *row == i => {
                            if better((j, d), *best) {
                                *best = Some((j, d));
                            }
                        }
                        _ => {
                            if let Some(done) = current.take() {
                                part.best_left.push(done);
                            }
                            current = Some((i, Some((j, d))));
                        }
                    }
                    if better((i, d), part.best_right[j as usize]) {
                        part.best_right[j as usize] = Some((i, d));
                    }
                }
                if let Some(done) = current {
                    part.best_left.push(done);
                }
                part
            },
        )
        .collect();
    // A left row whose pairs straddle two chunks has two partial bests: merge them.
    let mut merged: Vec<Partial> = Vec::new();
    let mut best_left: Vec<Option<(u32, f64)>> = vec![None; left.len()];
    for mut p in parts {
        for (i, b) in p.best_left.drain(..) {
            if let Some(c) = b
                && better(c, best_left[i as usize])
            {
                best_left[i as usize] = Some(c);
            }
        }
        merged.push(p);
    }
    let mut out = finish(merged, left.len(), right.len());
    out.best_left = best_left;
    out
}

/// anonlink's greedy solver for two lists: pairs by Dice descending (ties: lower left row, then
/// lower right row), each accepted unless one of its records is already taken. Returns the
/// accepted pairs ordered by left row.
pub fn greedy_one_to_one(pairs: &[Scored], left: usize, right: usize) -> Vec<Scored> {
    let mut order: Vec<&Scored> = pairs.iter().collect();
    order.sort_unstable_by(|a, b| {
        b.dice
            .total_cmp(&a.dice)
            .then(a.left.cmp(&b.left))
            .then(a.right.cmp(&b.right))
    });
    let mut left_taken = vec![false; left];
    let mut right_taken = vec![false; right];
    let mut out = Vec::new();
    for p in order {
        let (l, r) = (p.left as usize, p.right as usize);
        if !left_taken[l] && !right_taken[r] {
            left_taken[l] = true;
            right_taken[r] = true;
            out.push(*p);
        }
    }
    out.sort_unstable_by_key(|p| (p.left, p.right));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(rows: &[Vec<u64>]) -> ClkSet {
        ClkSet::from_words(rows[0].len() * 64, rows.iter().cloned())
    }

    fn all_pairs_reference(l: &ClkSet, r: &ClkSet, floor: f64) -> Vec<Scored> {
        let mut out = Vec::new();
        for i in 0..l.len() {
            for j in 0..r.len() {
                let d = dice(l.row(i), r.row(j));
                if d >= floor {
                    out.push(Scored {
                        left: i as u32,
                        right: j as u32,
                        dice: d,
                    });
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn popcount_pruning_misses_no_pair_at_the_floor(
            rows_l in prop::collection::vec(prop::collection::vec(any::<u64>(), 3), 1..20),
            rows_r in prop::collection::vec(prop::collection::vec(any::<u64>(), 3), 1..20),
            sparsity in 0u32..4,
            floor in 0.0f64..1.0,
        ) {
            // Sparser filters spread the popcounts, so the pruning has work to do.
            let thin = |rows: Vec<Vec<u64>>| -> Vec<Vec<u64>> {
                rows.into_iter().enumerate().map(|(k, r)| r.into_iter().map(|w| {
                    let mut w = w;
                    for s in 0..(sparsity + k as u32 % 3) { w &= w.rotate_left(7 + s); }
                    w
                }).collect()).collect()
            };
            let (l, r) = (set(&thin(rows_l)), set(&thin(rows_r)));
            let got = compare(&l, &r, floor, Blocking::AllPairs);
            prop_assert_eq!(got.pairs, all_pairs_reference(&l, &r, floor));
            prop_assert_eq!(got.histogram.iter().sum::<u64>() + got.not_compared, (l.len() * r.len()) as u64);
            // LSH only ever proposes real pairs, scored the same way
            let lsh = compare(&l, &r, floor, Blocking::Lsh { tables: 8, bits: 4, seed: 1 });
            let reference = all_pairs_reference(&l, &r, floor);
            for p in &lsh.pairs {
                prop_assert!(reference.contains(p));
            }
        }

        #[test]
        fn greedy_is_one_to_one_and_takes_the_best_pair_first(
            scores in prop::collection::vec((0u32..8, 0u32..8, 0u32..20), 0..40)
        ) {
            let pairs: Vec<Scored> = scores.iter().map(|&(l, r, s)| Scored { left: l, right: r, dice: f64::from(s) / 20.0 }).collect();
            let got = greedy_one_to_one(&pairs, 8, 8);
            let mut lefts: Vec<u32> = got.iter().map(|p| p.left).collect();
            let mut rights: Vec<u32> = got.iter().map(|p| p.right).collect();
            lefts.dedup(); rights.sort(); rights.dedup();
            prop_assert_eq!(lefts.len(), got.len());
            prop_assert_eq!(rights.len(), got.len());
            if let Some(max) = pairs.iter().map(|p| p.dice).reduce(f64::max) {
                prop_assert!(got.iter().any(|p| p.dice == max));
            }
            // every pair left out shares a record with an accepted pair at least as similar
            for p in &pairs {
                if !got.contains(p) {
                    prop_assert!(got.iter().any(|g| (g.left == p.left || g.right == p.right) && g.dice >= p.dice));
                }
            }
        }
    }

    #[test]
    fn every_popcount_kernel_agrees() {
        let mut state = 3u64;
        for words in [1usize, 3, 8, 16, 24] {
            let a: Vec<u64> = (0..words).map(|_| splitmix(&mut state)).collect();
            let b: Vec<u64> = (0..words).map(|_| splitmix(&mut state)).collect();
            let expected: u32 = a.iter().zip(&b).map(|(x, y)| (x & y).count_ones()).sum();
            assert_eq!(and_popcount(&a, &b), expected);
            assert_eq!(and_popcount_lanes(&a, &b), expected);
            #[cfg(target_arch = "x86_64")]
            if words % 8 == 0 && std::arch::is_x86_feature_detected!("avx512vpopcntdq") {
                // SAFETY: the CPU has the features (checked just above).
                assert_eq!(unsafe { and_popcount_zmm(&a, &b) }, expected);
            }
        }
    }

    #[test]
    fn identical_filters_score_one_and_empty_ones_zero() {
        assert_eq!(dice(&[0b1011], &[0b1011]), 1.0);
        assert_eq!(dice(&[0], &[0]), 0.0);
        assert_eq!(dice(&[0b11], &[0b01]), 2.0 / 3.0);
    }

    #[test]
    fn mutual_best_pairs_are_found() {
        let l = set(&[vec![0xFF00], vec![0x00FF]]);
        let r = set(&[vec![0x00FE], vec![0xFF00], vec![0xF000]]);
        let c = compare(&l, &r, 0.0, Blocking::AllPairs);
        let m: Vec<(u32, u32)> = c.mutual_best().iter().map(|p| (p.left, p.right)).collect();
        assert_eq!(m, [(0, 1), (1, 0)]);
    }
}
