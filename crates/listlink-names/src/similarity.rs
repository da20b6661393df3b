//! String similarity for the hot loop: Jaro–Winkler and optimal string alignment distance on
//! byte strings, written for the short keys of names, dates and identifiers. Both work on the
//! stack, without allocating, for keys of up to 64 bytes, and hand longer ones to `rapidfuzz`;
//! the results are the same as rapidfuzz's (a property test checks it).

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
        let mut at = [0u64; 128];
        for (j, &c) in b.iter().enumerate() {
            at[c as usize] |= 1 << j;
        }
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
    } else {
        for (i, &ca) in a.iter().enumerate() {
            let lo = i.saturating_sub(window);
            let hi = (i + window + 1).min(lb);
            for j in lo..hi {
                if flags_b & (1 << j) == 0 && b[j] == ca {
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
    let mut at = [0u64; 128];
    for (j, &c) in b.iter().enumerate() {
        at[c as usize] |= 1 << j;
    }
    let last = 1u64 << (b.len() - 1);
    let (mut vp, mut vn, mut d0, mut pm_old) = (!0u64, 0u64, 0u64, 0u64);
    let mut distance = b.len();
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
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
