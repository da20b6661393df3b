//! String similarity for the hot loop: Jaro–Winkler and optimal string alignment distance on
//! byte strings, written for the short keys of names, dates and identifiers. Both work on the
//! stack, without allocating, for keys of up to 64 bytes, and hand longer ones to `rapidfuzz`;
//! the results are the same as rapidfuzz's (a property test checks it).

thread_local! {
    /// Per ASCII byte, its positions in the string of the current [`with_positions`] call; all
    /// zero between calls.
    static POSITIONS: std::cell::RefCell<[u64; 128]> = const { std::cell::RefCell::new([0; 128]) };
}

/// Runs `f` on the thread's table of where each byte of the ASCII string `b` (at most 64 bytes)
/// occurs. Only b's entries are set, and they are cleared after, so that the table stays all
/// zero between calls and no call clears a kilobyte first.
#[inline]
fn with_positions<R>(b: &[u8], f: impl FnOnce(&[u64; 128]) -> R) -> R {
    POSITIONS.with_borrow_mut(|at| {
        for (j, &c) in b.iter().enumerate() {
            at[c as usize] |= 1 << j;
        }
        let result = f(at);
        for &c in b {
            at[c as usize] = 0;
        }
        result
    })
}

/// Jaro similarity: 1 for equal strings (two empty strings included), 0 when one is empty.
pub fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.len() > 64 || b.len() > 64 {
        return rapidfuzz::distance::jaro::similarity(a.iter().copied(), b.iter().copied());
    }
    let (la, lb) = (a.len(), b.len());
    if la == 0 && lb == 0 {
        return 1.0;
    }
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let window = (la.max(lb) / 2).saturating_sub(1);
    let (mut flags_a, mut flags_b) = (0u64, 0u64);
    let mut matches = 0usize;
    if b.is_ascii() {
        // Bit-parallel: where each byte occurs in b; the first free one in the window matches.
        with_positions(b, |at| {
            let below = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
            for (i, &ca) in a.iter().enumerate() {
                if ca >= 128 {
                    continue;
                }
                let lo = i.saturating_sub(window);
                let hi = (i + window + 1).min(lb);
                let free = at[ca as usize] & !flags_b & below(hi) & !below(lo);
                if free != 0 {
                    flags_b |= free & free.wrapping_neg();
                    flags_a |= 1 << i;
                    matches += 1;
                }
            }
        });
    } else {
        for (i, &ca) in a.iter().enumerate() {
            let lo = i.saturating_sub(window);
            let hi = (i + window + 1).min(lb);
            for (j, &cb) in b.iter().enumerate().take(hi).skip(lo) {
                if flags_b & (1 << j) == 0 && cb == ca {
                    flags_b |= 1 << j;
                    flags_a |= 1 << i;
                    matches += 1;
                    break;
                }
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    // Half the matched characters out of order.
    let mut transposed = 0usize;
    let (mut fa, mut fb) = (flags_a, flags_b);
    while fa != 0 {
        let i = fa.trailing_zeros() as usize;
        let j = fb.trailing_zeros() as usize;
        transposed += usize::from(a[i] != b[j]);
        fa &= fa - 1;
        fb &= fb - 1;
    }
    let m = matches as f64;
    (m / la as f64 + m / lb as f64 + (m - (transposed / 2) as f64) / m) / 3.0
}

/// A key's shape, for bounds that need no access to the key itself: its length (high 16 bits,
/// saturating), which characters it has (a–z, 0–9, space, anything else: one bit each, the low
/// 38 bits), and the class of its first character (one more than its bit, in bits 38–43; 0 for
/// an empty key), which tells when two keys cannot share a prefix.
pub fn shape(key: &[u8]) -> u64 {
    let class = |c: u8| match c {
        b'a'..=b'z' => c - b'a',
        b'A'..=b'Z' => c - b'A',
        b'0'..=b'9' => 26 + c - b'0',
        b' ' => 36,
        _ => 37,
    };
    let mut bits = 0u64;
    for &c in key {
        bits |= 1 << class(c);
    }
    let first = key.first().map_or(0, |&c| u64::from(class(c)) + 1);
    (key.len().min(0xFFFF) as u64) << 48 | first << FIRST_SHIFT | bits
}

/// Where a [`shape`] keeps its first character's class.
const FIRST_SHIFT: u32 = 38;
/// A [`shape`]'s character bits.
const CHARACTERS: u64 = (1 << FIRST_SHIFT) - 1;

/// Whether two keys may share their first character (so that Winkler's prefix boost may
/// apply): not when their shapes' first characters are of different classes.
#[inline]
fn may_share_prefix(x: u64, y: u64) -> bool {
    (x >> FIRST_SHIFT) & 0x3F == (y >> FIRST_SHIFT) & 0x3F
}

/// Characters of `x` that `y` lacks (at least one unmatched position each), and x's length.
#[inline]
fn lacking(x: u64, y: u64) -> (usize, usize) {
    let (bx, by) = (x & CHARACTERS, y & CHARACTERS);
    // Anything-else bits may stand for different characters: they prove nothing.
    let only = bx & !by & !(1 << 37);
    (only.count_ones() as usize, (x >> 48) as usize)
}

/// What two keys' [`shape`]s allow of their Jaro similarity: settled outright (an empty or
/// very long key), or at most `matches` matched characters between keys of these lengths.
enum JaroLimit {
    Settled(f64),
    Matches {
        matches: usize,
        la: usize,
        lb: usize,
        /// Whether the keys may share a prefix, for Winkler's boost.
        boost: bool,
    },
}

/// A character one key has and the other lacks is never matched.
#[inline]
fn jaro_limit(a: u64, b: u64) -> JaroLimit {
    let ((da, la), (db, lb)) = (lacking(a, b), lacking(b, a));
    if la == 0 || lb == 0 {
        return JaroLimit::Settled(if la == lb { 1.0 } else { 0.0 });
    }
    if la >= 0xFFFF || lb >= 0xFFFF {
        return JaroLimit::Settled(1.0);
    }
    match (la - da.min(la)).min(lb - db.min(lb)) {
        0 => JaroLimit::Settled(0.0),
        matches => JaroLimit::Matches {
            matches,
            la,
            lb,
            boost: may_share_prefix(a, b),
        },
    }
}

/// An upper bound on [`jaro_winkler`] of two keys from their [`shape`]s alone.
pub fn jaro_winkler_upper_bound(a: u64, b: u64) -> f64 {
    let (m, la, lb, boost) = match jaro_limit(a, b) {
        JaroLimit::Settled(bound) => return bound,
        JaroLimit::Matches {
            matches,
            la,
            lb,
            boost,
        } => (matches as f64, la as f64, lb as f64, boost),
    };
    // Best case: no transpositions, and a four-character common prefix unless the first
    // characters differ.
    let jaro = (m / la + m / lb + 1.0) / 3.0;
    if boost && jaro > 0.7 {
        jaro + 0.4 * (1.0 - jaro)
    } else {
        jaro
    }
}

/// Whether [`jaro_winkler_upper_bound`] is below `threshold`, without dividing: the bound
/// compared in products of integers. Near the threshold (within a relative 1e-9) it answers
/// false, so it never calls below a pair the bound does not.
#[inline]
pub fn jaro_winkler_below(a: u64, b: u64, threshold: f64) -> bool {
    let (m, la, lb, boost) = match jaro_limit(a, b) {
        JaroLimit::Settled(bound) => return bound < threshold,
        JaroLimit::Matches {
            matches,
            la,
            lb,
            boost,
        } => (matches, la, lb, boost),
    };
    // Jaro = (m/la + m/lb + 1) / 3 = (s/q + 1) / 3, with s and q exact in f64.
    let (s, q) = ((m * (la + lb)) as f64, (la * lb) as f64);
    const SLACK: f64 = 1.0 - 1e-9;
    // Jaro above 0.7 (s/q above 1.1, taken so when close: the stricter case) gets the prefix
    // boost when the keys may share a prefix, bound = 0.6 Jaro + 0.4; else the bound is the
    // Jaro itself.
    let k = if boost && s >= 1.1 * q * SLACK {
        5.0 * threshold - 3.0
    } else {
        3.0 * threshold - 1.0
    };
    s < k * q * SLACK
}

/// [`jaro_winkler_below`] of one key against many, for screening a row against a block: made
/// once from the first key's [`shape`] and up to [`JaroBelow::MAX`] thresholds (strictest
/// first; any after one out of that order are never counted), it counts the thresholds, from
/// the strictest, that a second shape surely falls below. The count is branch-free and in
/// `f32`, so that a loop over many shapes vectorizes; it never exceeds the count
/// [`jaro_winkler_below`] gives (it may fall short within a relative 1e-4 of a threshold, and
/// for keys over 1,023 bytes it is 0).
#[derive(Debug, Clone, Copy)]
pub struct JaroBelow {
    bits: u64,
    len: u32,
    first: u64,
    /// Per threshold, the factor of `la · lb` that `m (la + lb)` must stay under (see
    /// [`jaro_winkler_below`]) with and without Winkler's boost, the margin included; past the
    /// thresholds, −∞.
    boosted: [f32; JaroBelow::MAX],
    plain: [f32; JaroBelow::MAX],
}

impl JaroBelow {
    /// Thresholds a [`JaroBelow`] takes.
    pub const MAX: usize = 4;
    /// Longest key whose lengths' products stay exact in `f32`.
    const LONGEST: u32 = 1023;
    /// The margin the `f32` products keep from the thresholds.
    const SLACK: f32 = 1.0 - 1e-4;

    /// For key a's shape and at most [`JaroBelow::MAX`] thresholds, strictest first.
    pub fn new(a: u64, thresholds: &[f64]) -> JaroBelow {
        assert!(
            thresholds.len() <= Self::MAX,
            "at most {} thresholds",
            Self::MAX
        );
        // Longer keys are capped (with nothing below), which keeps the products in range.
        let len = ((a >> 48) as u32).min(Self::LONGEST + 1);
        let mut boosted = [f32::NEG_INFINITY; Self::MAX];
        let mut plain = [f32::NEG_INFINITY; Self::MAX];
        if len <= Self::LONGEST {
            // Thresholds strictest first; any after one out of that order are never counted.
            let ordered = thresholds
                .iter()
                .enumerate()
                .take_while(|&(t, th)| t == 0 || *th <= thresholds[t - 1]);
            let slack = f64::from(Self::SLACK);
            for (t, th) in ordered {
                boosted[t] = ((5.0 * th - 3.0) * slack) as f32;
                plain[t] = ((3.0 * th - 1.0) * slack) as f32;
            }
        }
        JaroBelow {
            bits: a & CHARACTERS & !(1 << 37),
            len,
            first: (a >> FIRST_SHIFT) & 0x3F,
            boosted,
            plain,
        }
    }

    /// How many thresholds, from the strictest, key b (by its shape) surely falls below.
    #[inline(always)]
    pub fn count(&self, b: u64) -> u32 {
        self.pick::<{ JaroBelow::MAX }, u32>(b, &[0, 1, 2, 3, 4])
    }

    /// `by_count[n]`, where n is [`JaroBelow::count`] of key b, looking at the first `N`
    /// thresholds only (all of them when there are no more): picked without branches or
    /// lookups, for the thresholds (strictest first) a key falls below are always the first.
    #[inline(always)]
    pub fn pick<const N: usize, T: Copy>(&self, b: u64, by_count: &[T; JaroBelow::MAX + 1]) -> T {
        let lb = ((b >> 48) as u32).min(Self::LONGEST + 1);
        let bits = b & CHARACTERS & !(1 << 37);
        let da = (self.bits & !bits).count_ones();
        let db = (bits & !self.bits).count_ones();
        let m = self.len.saturating_sub(da).min(lb.saturating_sub(db));
        // Exact in f32 for keys up to LONGEST; an empty key makes q 0, and so nothing below.
        let s = (m * (self.len + lb)) as f32;
        let q = if lb <= Self::LONGEST {
            (self.len * lb) as f32
        } else {
            0.0
        };
        // Where the exact bound might boost, boost: a lower bound, so fewer thresholds below.
        let boost = (self.first == (b >> FIRST_SHIFT) & 0x3F) & (s >= (1.1 * Self::SLACK) * q);
        let mut picked = by_count[0];
        for t in 0..N.min(Self::MAX) {
            // Both products, then one of the two answers: choosing the factor instead makes a
            // vectorized loop gather it from memory, lane by lane.
            let below = (s < self.boosted[t] * q, s < self.plain[t] * q);
            // Below a looser threshold is below the stricter ones too: the last wins.
            if (boost & below.0) | (!boost & below.1) {
                picked = by_count[t + 1];
            }
        }
        picked
    }
}

/// A lower bound on [`osa_distance`] from the keys' [`shape`]s: the length difference, and
/// one edit at least for each character one key has and the other lacks.
pub fn osa_lower_bound(a: u64, b: u64) -> usize {
    let ((da, la), (db, lb)) = (lacking(a, b), lacking(b, a));
    la.abs_diff(lb).max(da).max(db)
}

/// A key's character counts for edit-distance bounds: sixteen counters of four bits, one per
/// class of byte (each digit its own, letters six to a class by their place in the alphabet,
/// anything else with the last letters), each saturating at 15. Identifiers and postcodes are
/// digits, which character sets alone hardly tell apart ([`shape`]), their counts far better.
pub fn count_shape(key: &[u8]) -> u64 {
    let mut counts = 0u64;
    for &c in key {
        let class = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => 10 + u32::from(c - b'a') % 6,
            b'A'..=b'Z' => 10 + u32::from(c - b'A') % 6,
            _ => 15,
        };
        if (counts >> (4 * class)) & 0xF != 0xF {
            counts += 1 << (4 * class);
        }
    }
    counts
}

/// A lower bound on [`osa_distance`] from the keys' [`count_shape`]s: half the counters'
/// total difference, rounded up. A substitution changes two counters by one, an insertion or a
/// deletion one, a transposition none; a saturated counter differs by less than the counts.
#[inline]
pub fn count_lower_bound(x: u64, y: u64) -> usize {
    const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    let half = |x: u64, y: u64| {
        // Bytes of 0..=15: x − y + 128 per byte borrows from no neighbour.
        let d = ((x | 0x8080_8080_8080_8080) - y) ^ 0x8080_8080_8080_8080;
        // d per byte is x − y in two's complement: negate the negative ones.
        let negative = (d >> 7) & 0x0101_0101_0101_0101;
        let abs = (d ^ (negative * 0xFF)) + negative;
        (abs.wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize
    };
    let total = half(x & LOW, y & LOW) + half((x >> 4) & LOW, (y >> 4) & LOW);
    total.div_ceil(2)
}

/// Jaro–Winkler similarity with the standard prefix weight 0.1 over at most four characters,
/// applied when the Jaro similarity is above 0.7.
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    if a.len() > 64 || b.len() > 64 {
        return rapidfuzz::distance::jaro_winkler::similarity(a.iter().copied(), b.iter().copied());
    }
    let sim = jaro(a, b);
    if sim > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        sim + prefix as f64 * 0.1 * (1.0 - sim)
    } else {
        sim
    }
}

/// Optimal string alignment distance (Damerau–Levenshtein where no substring is edited twice),
/// or any number above `max` when it is above `max`: levels only ask whether it is within a
/// threshold, and a length difference over `max` answers without computing.
pub fn osa_distance_within(a: &[u8], b: &[u8], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    osa_distance(a, b)
}

/// Optimal string alignment distance.
pub fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    const N: usize = 64;
    let (la, lb) = (a.len(), b.len());
    if la >= N || lb >= N {
        return rapidfuzz::distance::osa::distance(a.iter().copied(), b.iter().copied());
    }
    if la == 0 || lb == 0 {
        return la.max(lb);
    }
    if b.is_ascii() {
        return osa_bit_parallel(a, b);
    }
    // Three rows of the dynamic programme, used in turn: two back (for transpositions), one
    // back, current. Distances below 64 fit a byte.
    let mut rows = [[0u8; N]; 3];
    for (j, v) in rows[1].iter_mut().enumerate().take(lb + 1) {
        *v = j as u8;
    }
    let (mut two, mut one, mut cur) = (0usize, 1usize, 2usize);
    for i in 1..=la {
        rows[cur][0] = i as u8;
        let ca = a[i - 1];
        let prev_a = if i > 1 { a[i - 2] } else { 0 };
        for j in 1..=lb {
            let cb = b[j - 1];
            let cost = u8::from(ca != cb);
            let mut d = (rows[one][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[one][j - 1] + cost);
            if i > 1 && j > 1 && ca == b[j - 2] && prev_a == cb {
                d = d.min(rows[two][j - 2] + 1);
            }
            rows[cur][j] = d;
        }
        (two, one, cur) = (one, cur, two);
    }
    rows[one][lb] as usize
}

/// OSA distance by Hyyrö's bit-parallel algorithm (2003), for an ASCII `b` of 1 to 63 bytes:
/// one column of the dynamic programme per byte of `a`, in a few word operations.
fn osa_bit_parallel(a: &[u8], b: &[u8]) -> usize {
    with_positions(b, |at| osa_columns(a, b.len(), at))
}

/// The columns of Hyyrö's OSA algorithm over `a`, given where each ASCII byte occurs in the
/// other string (of `lb` bytes, 1 to 63).
fn osa_columns(a: &[u8], lb: usize, at: &[u64; 128]) -> usize {
    let last = 1u64 << (lb - 1);
    let (mut vp, mut vn, mut d0, mut pm_old) = (!0u64, 0u64, 0u64, 0u64);
    let mut distance = lb;
    for &ca in a {
        let pm = if ca < 128 { at[ca as usize] } else { 0 };
        let tr = ((!d0 & pm) << 1) & pm_old;
        d0 = (((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn | tr;
        let mut hp = vn | !(d0 | vp);
        let mut hn = d0 & vp;
        if hp & last != 0 {
            distance += 1;
        } else if hn & last != 0 {
            distance -= 1;
        }
        hp = (hp << 1) | 1;
        hn <<= 1;
        vp = hn | !(d0 | hp);
        vn = hp & d0;
        pm_old = pm;
    }
    distance
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_tell_digits_apart() {
        let shape = |s: &str| count_shape(s.as_bytes());
        // Seven digits each, two shared (a 5 and a 2): at least five edits.
        assert_eq!(count_lower_bound(shape("5542751"), shape("2080995")), 5);
        assert_eq!(osa_distance(b"5542751", b"2080995"), 7);
        // A transposition changes no count; one substitution two.
        assert_eq!(count_lower_bound(shape("1234"), shape("1243")), 0);
        assert_eq!(count_lower_bound(shape("1234"), shape("1235")), 1);
        // A counter saturates rather than spilling into its neighbour.
        let long = "1".repeat(20);
        assert_eq!(count_shape(long.as_bytes()), 0xF << 4);
        assert_eq!(count_lower_bound(shape(&long), shape("")), 8);
    }

    #[test]
    fn known_values() {
        let jw = |a: &str, b: &str| jaro_winkler(a.as_bytes(), b.as_bytes());
        assert!((jw("martha", "marhta") - 0.9611).abs() < 1e-4);
        assert!((jw("dixon", "dicksonx") - 0.8133).abs() < 1e-4);
        assert_eq!(jw("", ""), 1.0);
        assert_eq!(jw("abc", ""), 0.0);
        assert_eq!(osa_distance(b"ca", b"ac"), 1);
        assert_eq!(osa_distance(b"ca", b"abc"), 3);
        assert_eq!(osa_distance_within(b"1234567", b"12", 2), 3);
    }

    fn short() -> impl Strategy<Value = Vec<u8>> {
        // A small alphabet so that matches and transpositions are common.
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'd')],
            0..20,
        )
    }

    fn long() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::num::u8::ANY, 0..80)
    }

    #[test]
    fn first_characters_that_differ_rule_out_the_prefix_boost() {
        // Seven characters at most in common: Jaro ≤ 0.917, 0.95 with a shared prefix.
        let a = shape(b"abcdefgh");
        assert!(jaro_winkler_below(a, shape(b"bcdefghz"), 0.92));
        assert!(jaro_winkler_upper_bound(a, shape(b"bcdefghz")) < 0.92);
        assert!(!jaro_winkler_below(a, shape(b"acdefghz"), 0.92));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn count_bounds_hold(a in "[0-9a-hxyz é]{0,40}", b in "[0-9a-hxyz é]{0,40}") {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            let bound = count_lower_bound(count_shape(a), count_shape(b));
            prop_assert!(bound <= osa_distance(a, b), "{bound}");
            prop_assert_eq!(count_lower_bound(count_shape(b), count_shape(a)), bound);
        }

        #[test]
        fn shape_bounds_hold(a in "[a-f0-3 é]{0,12}", b in "[a-f0-3 é]{0,12}") {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            let (sa, sb) = (shape(a), shape(b));
            prop_assert!(jaro_winkler_upper_bound(sa, sb) + 1e-12 >= jaro_winkler(a, b));
            for threshold in [0.7, 0.8, 0.85, 0.88, 0.92] {
                if jaro_winkler_below(sa, sb, threshold) {
                    prop_assert!(jaro_winkler_upper_bound(sa, sb) < threshold);
                    prop_assert!(jaro_winkler(a, b) < threshold);
                }
            }
            prop_assert!(osa_lower_bound(sa, sb) <= osa_distance(a, b));
        }

        #[test]
        fn batch_counts_never_pass_the_exact_bound(
            a in "[a-f0-3 é]{0,14}",
            b in "[a-f0-3 é]{0,14}",
            loose in 0.34f64..0.95,
            step in 0.0f64..0.1,
        ) {
            let (sa, sb) = (shape(a.as_bytes()), shape(b.as_bytes()));
            let thresholds = [loose + 2.0 * step, loose + step, loose];
            let count = JaroBelow::new(sa, &thresholds).count(sb) as usize;
            let exact = thresholds.iter().take_while(|th| jaro_winkler_below(sa, sb, **th)).count();
            prop_assert!(count <= exact, "{count} > {exact}");
            // Short of the exact count only near a threshold (or for an empty key, which it
            // leaves to the exact bound).
            if count < exact && !a.is_empty() && !b.is_empty() {
                let bound = jaro_winkler_upper_bound(sa, sb);
                prop_assert!((bound - thresholds[count]).abs() < 1e-3, "{bound} {thresholds:?}");
            }
        }

        #[test]
        fn same_as_rapidfuzz(a in prop_oneof![short(), long()], b in prop_oneof![short(), long()]) {
            let expected = rapidfuzz::distance::jaro_winkler::similarity(a.iter().copied(), b.iter().copied());
            prop_assert!((jaro_winkler(&a, &b) - expected).abs() < 1e-9, "jw {a:?} {b:?}: {} vs {expected}", jaro_winkler(&a, &b));
            let expected = rapidfuzz::distance::osa::distance(a.iter().copied(), b.iter().copied());
            prop_assert_eq!(osa_distance(&a, &b), expected);
            for max in 0..3 {
                let within = osa_distance_within(&a, &b, max);
                prop_assert_eq!(within <= max, expected <= max);
                if expected <= max { prop_assert_eq!(within, expected); }
            }
        }
    }
}
