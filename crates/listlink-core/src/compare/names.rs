//! Person names aligned across readings and orders: the best pair of readings, given and
//! family straight or swapped, each part's token level, and the rule behind it.

use super::memo::Memo;
use crate::prepare::PersonFeature;
use crate::settings::{NamePart, PERSON_LEVELS};
use listlink_names::TokenLevel;
use listlink_names::forms::Settled;

pub(crate) const PERSON_LABELS: [&str; PERSON_LEVELS] = [
    "null",
    "exact",
    "equal after transliteration",
    "variant",
    "same consonant skeleton",
    "similar",
    "close",
    "else",
];

pub(crate) fn token_level_index(l: TokenLevel) -> u8 {
    match l {
        TokenLevel::Exact => 1,
        TokenLevel::Transliteration => 2,
        TokenLevel::Variant => 3,
        TokenLevel::Skeleton => 4,
        TokenLevel::Similar => 5,
        TokenLevel::Close => 6,
        TokenLevel::Different => 7,
    }
}

/// A pair's names, aligned once for all its comparisons: not yet, or done (`None` when either
/// record has no name).
#[derive(Debug, Clone, Copy, Default)]
pub enum PairAlignment {
    #[default]
    NotYet,
    Done(Option<Aligned>),
}

impl PairAlignment {
    /// The alignment, from `align` the first time.
    #[inline]
    pub(crate) fn get_or_align(
        &mut self,
        align: impl FnOnce() -> Option<Aligned>,
    ) -> Option<Aligned> {
        match *self {
            PairAlignment::Done(aligned) => aligned,
            PairAlignment::NotYet => {
                let aligned = align();
                *self = PairAlignment::Done(aligned);
                aligned
            }
        }
    }
}

/// Two persons' names aligned: the best pair of readings, in the order (straight or given and
/// family swapped) that agrees best, with each part's level (None: missing on a side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aligned {
    pub readings: (usize, usize),
    pub swapped: bool,
    pub given: Option<TokenLevel>,
    pub family: Option<TokenLevel>,
    pub patronymic: Option<TokenLevel>,
}

pub(crate) fn best_level(
    person: &PersonFeature,
    memo: Option<&Memo>,
    x: &[u32],
    y: &[u32],
) -> Option<TokenLevel> {
    let mut best: Option<TokenLevel> = None;
    for &i in x {
        for &j in y {
            let l = if i == j {
                TokenLevel::Exact
            } else {
                token_level(person, memo, i, j)
            };
            best = Some(best.map_or(l, |b| b.min(l)));
            if l == TokenLevel::Exact {
                return best;
            }
        }
    }
    best
}

/// Token pairs are remembered under this comparison number (past any real comparison's).
pub(crate) const TOKEN_MEMO_SLOT: usize = 30;

/// The level of two distinct tokens, from the memo when there is one.
#[inline]
pub(crate) fn token_level(
    person: &PersonFeature,
    memo: Option<&Memo>,
    i: u32,
    j: u32,
) -> TokenLevel {
    // Always compared in one order, so a remembered level is the same whoever computed it.
    let (lo, hi) = (i.min(j), i.max(j));
    // Most pairs of tokens are unrelated, which their summaries (fewer than the pairs in the
    // memo, and more often in cache) show without the forms. Of the others, most need only
    // their rendering keys, which are compared from the summaries' buffer when not remembered.
    let settled = person.sigs.settle(lo, hi);
    if let Settled::Level(level) = settled {
        return level;
    }
    let compute = || match settled {
        Settled::Fuzzy => person.sigs.fuzzy_level(lo, hi),
        _ => {
            listlink_names::forms::compare(
                &person.forms[lo as usize],
                &person.forms[hi as usize],
                Some(&person.variants),
                false,
            )
            .0
        }
    };
    match memo {
        Some(memo) => {
            TOKEN_LEVELS
                [memo.level(person.id, TOKEN_MEMO_SLOT, lo, hi, || compute() as u8) as usize]
        }
        None => compute(),
    }
}

/// TokenLevel by its discriminant.
pub(crate) const TOKEN_LEVELS: [TokenLevel; 7] = [
    TokenLevel::Exact,
    TokenLevel::Transliteration,
    TokenLevel::Variant,
    TokenLevel::Skeleton,
    TokenLevel::Similar,
    TokenLevel::Close,
    TokenLevel::Different,
];

/// A score to choose alignments by: lower is better; a missing part counts as middling.
pub(crate) fn rank(l: Option<TokenLevel>) -> u32 {
    l.map_or(4, |l| token_level_index(l) as u32)
}

/// Aligns the names of rows a and b; `None` when either has no name. Symmetric: the same levels
/// for (a, b) and (b, a).
pub fn align(person: &PersonFeature, a: usize, b: usize) -> Option<Aligned> {
    align_with(person, None, a, b)
}

/// [`align`] with a memo of token levels.
pub fn align_with(
    person: &PersonFeature,
    memo: Option<&Memo>,
    a: usize,
    b: usize,
) -> Option<Aligned> {
    let mut best: Option<(AlignKey, Aligned)> = None;
    for (i, ra) in person.readings[a].iter().enumerate() {
        for (j, rb) in person.readings[b].iter().enumerate() {
            let candidate = align_readings(person, memo, Parts::of(ra), Parts::of(rb), (i, j));
            if best.as_ref().is_none_or(|(k, _)| candidate.0 < *k) {
                best = Some(candidate);
            }
        }
    }
    best.map(|(_, a)| a)
}

/// The token ids of one reading's parts.
#[derive(Clone, Copy)]
pub(crate) struct Parts<'a> {
    pub(crate) given: &'a [u32],
    pub(crate) family: &'a [u32],
    pub(crate) patronymic: &'a [u32],
}

impl<'a> Parts<'a> {
    pub(crate) fn of(r: &'a crate::prepare::PartIds) -> Parts<'a> {
        Parts {
            given: &r.given,
            family: &r.family,
            patronymic: &r.patronymic,
        }
    }
}

/// How good an alignment is: lower is better.
pub(crate) type AlignKey = (u32, u32, [u32; 3]);

/// Aligns one reading of each name, straight or with given and family names swapped.
pub(crate) fn align_readings(
    person: &PersonFeature,
    memo: Option<&Memo>,
    ra: Parts,
    rb: Parts,
    readings: (usize, usize),
) -> (AlignKey, Aligned) {
    let straight = (
        best_level(person, memo, ra.given, rb.given),
        best_level(person, memo, ra.family, rb.family),
    );
    let exact = Some(TokenLevel::Exact);
    let s_score = rank(straight.0) + rank(straight.1);
    // Both parts exact in the straight order: swapping cannot do better.
    let cross = if straight == (exact, exact) {
        (None, None)
    } else {
        let first = best_level(person, memo, ra.given, rb.family);
        // Swapped, the score is at least the first cross level's rank and an exact level's
        // (or twice the first's, when the second is missing). When that is no better than
        // the straight score, the swap loses whatever the second is: it is not compared.
        if first.is_some() && rank(first) + rank(exact) >= s_score {
            (first, None)
        } else {
            (first, best_level(person, memo, ra.family, rb.given))
        }
    };
    let patronymic = best_level(person, memo, ra.patronymic, rb.patronymic);
    choose_alignment(straight, cross, patronymic, readings)
}

/// Of the straight and the swapped order, the one that agrees best (the straight on a tie),
/// from the levels of the straight and cross pairs of parts, with how good it is.
pub(crate) fn choose_alignment(
    straight: (Option<TokenLevel>, Option<TokenLevel>),
    cross: (Option<TokenLevel>, Option<TokenLevel>),
    patronymic: Option<TokenLevel>,
    readings: (usize, usize),
) -> (AlignKey, Aligned) {
    // Swapped, the two cross levels are the same pair whichever record leads; the better
    // one goes to the family name. When only one cross pair exists (a record with one part
    // only), the swap explains that one token and the other part is missing: one token never
    // stands for both parts.
    let swapped = match (cross.0, cross.1) {
        (Some(x), Some(y)) => (Some(x.max(y)), Some(x.min(y))),
        (x, y) => (None, x.or(y)),
    };
    let s_score = rank(straight.0) + rank(straight.1);
    let w_score = rank(swapped.0) + rank(swapped.1);
    let (is_swapped, (given, family), score) = if w_score < s_score {
        (true, swapped, w_score)
    } else {
        (false, straight, s_score)
    };
    let missing = [given, family, patronymic]
        .iter()
        .filter(|l| l.is_none())
        .count() as u32;
    let key = (
        score * 8 + rank(patronymic),
        missing,
        [rank(given), rank(family), rank(patronymic)],
    );
    (
        key,
        Aligned {
            readings,
            swapped: is_swapped,
            given,
            family,
            patronymic,
        },
    )
}

/// The rule behind one part's level of an aligned pair.
pub(crate) fn describe_part(
    person: &PersonFeature,
    a: usize,
    b: usize,
    al: &Aligned,
    part: NamePart,
) -> Option<String> {
    let level = match part {
        NamePart::Given => al.given,
        NamePart::Family => al.family,
        NamePart::Patronymic => al.patronymic,
    }?;
    let ra = &person.readings[a][al.readings.0];
    let rb = &person.readings[b][al.readings.1];
    let other = |p: NamePart| match (al.swapped, p) {
        (true, NamePart::Given) => NamePart::Family,
        (true, NamePart::Family) => NamePart::Given,
        (_, p) => p,
    };
    let variants = &person.variants;
    // Swapped, each part's level is one of the two cross pairs' (the better one is the family
    // name's), so both are looked at.
    let pairs = if al.swapped && part != NamePart::Patronymic {
        vec![
            (ra.part(part), rb.part(other(part))),
            (ra.part(other(part)), rb.part(part)),
        ]
    } else {
        vec![(ra.part(part), rb.part(part))]
    };
    for (xs, ys) in pairs {
        for &i in xs {
            for &j in ys {
                let (l, why) = listlink_names::forms::compare(
                    &person.forms[i as usize],
                    &person.forms[j as usize],
                    Some(variants),
                    true,
                );
                if l == level {
                    let swapped = if al.swapped && part != NamePart::Patronymic {
                        " (given and family names swapped)"
                    } else {
                        ""
                    };
                    return why.map(|w| format!("{w}{swapped}"));
                }
            }
        }
    }
    None
}

/// How closely two persons' names are written, in [0, 1], to order candidates the model scores
/// alike: over the tokens of the two readings the alignment chose, the mean of each token's best
/// Jaro–Winkler against the other name's tokens (any rendering of each, so across scripts), both
/// ways, less a little for an alignment that swaps given and family names. `Moore` is closer to
/// `מור` than `Murray` is; `Sylvia Rafael` to `סילביה רפאל` than `Rafael Pereira da Silva`.
pub(crate) fn closeness(person: &PersonFeature, a: usize, b: usize) -> f64 {
    let Some(al) = align(person, a, b) else {
        return 0.0;
    };
    let tokens = |row: usize, reading: usize| -> Vec<u32> {
        let r = &person.readings[row][reading];
        r.given
            .iter()
            .chain(&r.family)
            .chain(&r.patronymic)
            .copied()
            .collect()
    };
    let (xs, ys) = (tokens(a, al.readings.0), tokens(b, al.readings.1));
    if xs.is_empty() || ys.is_empty() {
        return 0.0;
    }
    let like = |i: u32, j: u32| -> f64 {
        if i == j {
            return 1.0;
        }
        let (fi, fj) = (&person.forms[i as usize], &person.forms[j as usize]);
        let mut best = 0.0f64;
        for x in &fi.renderings {
            for y in &fj.renderings {
                best = best.max(listlink_names::similarity::jaro_winkler(
                    x.key.as_bytes(),
                    y.key.as_bytes(),
                ));
            }
        }
        best
    };
    let mean_best = |from: &[u32], to: &[u32]| -> f64 {
        from.iter()
            .map(|&i| to.iter().map(|&j| like(i, j)).fold(0.0, f64::max))
            .sum::<f64>()
            / from.len() as f64
    };
    let both = (mean_best(&xs, &ys) + mean_best(&ys, &xs)) / 2.0;
    if al.swapped { both - 0.05 } else { both }
}
