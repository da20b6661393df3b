//! The level rules of the comparisons of one field: exact, edit distance, Jaro–Winkler,
//! dates and ages, sets; names go through the alignment ([`super::names`]).

use super::dates::{age_level, date_level, packed_date_level};
use super::memo::{MEMO_BITS, Memo};
use super::names::{Aligned, Parts, align_readings, align_with, token_level_index};
use super::{Comparator, PairAlignment};
use crate::prepare::{Features, FieldFeature, Packed};
use crate::settings::NamePart;
use listlink_names::TokenLevel;

/// What a comparison reads and how, resolved against the settings' fields.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Exact {
        field: usize,
    },
    JaroWinkler {
        field: usize,
        swap: Option<usize>,
        thresholds: Vec<f64>,
    },
    Levenshtein {
        field: usize,
        thresholds: Vec<usize>,
    },
    Date {
        field: usize,
        age: Option<usize>,
    },
    Age {
        field: usize,
    },
    SetOverlap {
        field: usize,
    },
    PersonName {
        part: NamePart,
    },
    /// Same order or swapped, from the names' alignment.
    NameOrder,
}

/// A comparison resolved against the settings' fields, ready for the hot loop.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub name: String,
    /// Index of the settings field it reads.
    pub field: usize,
    /// Level labels, index = level.
    pub labels: Vec<String>,
    /// The level that is an exact agreement eligible for a term-frequency adjustment.
    pub tf_level: Option<u8>,
    /// For a person_name comparison, the part of the name it compares.
    pub person_part: Option<NamePart>,
    /// Its place among the run's comparisons (the memo's key).
    pub(crate) index: usize,
    pub(crate) kind: Kind,
}

impl Compiled {
    /// The level of this comparison for the pair (a, b); symmetric in a and b.
    pub fn level(&self, f: &Features, a: usize, b: usize) -> u8 {
        self.level_with(f, a, b, None, &mut PairAlignment::NotYet)
    }

    /// The level of two codes of the comparison's text field (0: missing), for an exact,
    /// edit-distance or Jaro–Winkler comparison of one field (others panic).
    #[inline(always)]
    pub(crate) fn codes_level(&self, f: &Features, memo: &Memo, x: u32, y: u32) -> u8 {
        match &self.kind {
            Kind::Exact { .. } => exact_level(x, y),
            Kind::JaroWinkler {
                field,
                swap: None,
                thresholds,
            } => {
                let t = f.text(*field);
                if x == 0 || y == 0 {
                    0
                } else if x == y {
                    1
                } else if thresholds.last().is_none_or(|last| {
                    listlink_names::similarity::jaro_winkler_below(t.shape(x), t.shape(y), *last)
                }) {
                    // Below every threshold whatever the keys' order: else.
                    2 + thresholds.len() as u8
                } else {
                    let (lo, hi) = (x.min(y), x.max(y));
                    let compute = || {
                        let sim =
                            listlink_names::similarity::jaro_winkler(t.value(lo), t.value(hi));
                        2 + thresholds.iter().take_while(|th| sim < **th).count() as u8
                    };
                    if few_values(t) {
                        memo.level(f.id, self.index, lo, hi, compute)
                    } else {
                        // Pairs of values rarely repeat: remembering them only evicts others.
                        compute()
                    }
                }
            }
            Kind::Levenshtein { field, thresholds } => {
                let t = f.text(*field);
                let loosest = thresholds.last().copied().unwrap_or(0);
                if x == 0 || y == 0 {
                    0
                } else if x == y {
                    1
                } else if listlink_names::similarity::osa_lower_bound(t.shape(x), t.shape(y))
                    > loosest
                {
                    // More edits apart than the loosest threshold: else.
                    2 + thresholds.len() as u8
                } else {
                    let compute = || {
                        let d = listlink_names::similarity::osa_distance_within(
                            t.value(x),
                            t.value(y),
                            loosest,
                        );
                        2 + thresholds.iter().take_while(|th| d > **th).count() as u8
                    };
                    if few_values(t) {
                        // Few distinct values (postcodes, house numbers): pairs repeat.
                        memo.level(f.id, self.index, x.min(y), x.max(y), compute)
                    } else {
                        compute()
                    }
                }
            }
            _ => unreachable!("codes_level of a comparison not of one text field's codes"),
        }
    }

    /// The level from the pair's packed rows where they answer (equal values, memoised
    /// levels, simple names), else as [`Compiled::level_with`]. Always the same level.
    #[inline(always)]
    pub fn level_packed(
        &self,
        f: &Features,
        a: usize,
        b: usize,
        (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS]),
        comparator: &Comparator,
        aligned: &mut PairAlignment,
    ) -> u8 {
        match &self.kind {
            Kind::Exact { field }
            | Kind::JaroWinkler {
                field, swap: None, ..
            }
            | Kind::Levenshtein { field, .. } => {
                self.codes_level(f, &comparator.memo, ra[*field], rb[*field])
            }
            Kind::Date { field, .. } => packed_date_level(ra[*field], rb[*field])
                .unwrap_or_else(|| self.level_with(f, a, b, None, aligned)),
            Kind::PersonName { .. } | Kind::NameOrder => {
                let (Some(slot), Some(person)) =
                    (f.packed.as_ref().and_then(|p| p.person), &f.person)
                else {
                    return 0;
                };
                let (ga, fa, gb, fb) = (ra[slot], ra[slot + 1], rb[slot], rb[slot + 1]);
                let memo = &*comparator.token_memo;
                let al = if ga == Packed::COMPLEX || gb == Packed::COMPLEX {
                    aligned.get_or_align(|| align_with(person, Some(memo), a, b))
                } else {
                    aligned.get_or_align(|| {
                        fn part(t: &u32) -> &[u32] {
                            if *t == Packed::NO_TOKEN {
                                &[]
                            } else {
                                std::slice::from_ref(t)
                            }
                        }
                        let side = |g, f| Parts {
                            given: part(g),
                            family: part(f),
                            patronymic: &[],
                        };
                        Some(
                            align_readings(
                                person,
                                Some(memo),
                                side(&ga, &fa),
                                side(&gb, &fb),
                                (0, 0),
                            )
                            .1,
                        )
                    })
                };
                al.map_or(0, |al| self.aligned_level(&al))
            }
            _ => self.level_with(f, a, b, Some(&comparator.token_memo), aligned),
        }
    }

    /// The level of a name comparison from the pair's alignment: one part's token level, or
    /// the order (null unless both names have both parts and one of them is alike).
    fn aligned_level(&self, al: &Aligned) -> u8 {
        let level = match self.kind {
            Kind::PersonName {
                part: NamePart::Given,
            } => al.given,
            Kind::PersonName {
                part: NamePart::Family,
            } => al.family,
            Kind::PersonName {
                part: NamePart::Patronymic,
            } => al.patronymic,
            Kind::NameOrder => {
                return match (al.given, al.family) {
                    (Some(g), Some(f)) if g.min(f) <= TokenLevel::Similar => {
                        1 + u8::from(al.swapped)
                    }
                    _ => 0,
                };
            }
            _ => unreachable!("a name comparison"),
        };
        level.map_or(0, token_level_index)
    }

    /// The level, sharing one name alignment among the comparisons of a pair.
    pub fn level_with(
        &self,
        f: &Features,
        a: usize,
        b: usize,
        memo: Option<&Memo>,
        aligned: &mut PairAlignment,
    ) -> u8 {
        if let Kind::PersonName { .. } | Kind::NameOrder = &self.kind {
            let Some(person) = &f.person else { return 0 };
            let al = aligned.get_or_align(|| align_with(person, memo, a, b));
            return al.map_or(0, |al| self.aligned_level(&al));
        }
        match &self.kind {
            Kind::Exact { field } => {
                let t = f.text(*field);
                exact_level(t.codes[a], t.codes[b])
            }
            Kind::JaroWinkler {
                field,
                swap,
                thresholds,
            } => {
                let t = f.text(*field);
                let (x, y) = (t.codes[a], t.codes[b]);
                if x == 0 || y == 0 {
                    return 0;
                }
                if x == y {
                    return 1;
                }
                let mut level = 2;
                if let Some(other) = swap {
                    let o = f.text(*other);
                    let (ka, kb) = (t.key(a), t.key(b));
                    if ka == o.key(b) || kb == o.key(a) {
                        return level;
                    }
                    level += 1;
                }
                let jw_level = || {
                    let sim = jaro_winkler(t.key(a), t.key(b));
                    let mut level = level;
                    for th in thresholds {
                        if sim >= *th {
                            return level;
                        }
                        level += 1;
                    }
                    level
                };
                match memo {
                    Some(memo) => memo.level(f.id, self.index, x.min(y), x.max(y), jw_level),
                    None => jw_level(),
                }
            }
            Kind::Levenshtein { field, thresholds } => {
                let t = f.text(*field);
                let (x, y) = (t.codes[a], t.codes[b]);
                if x == 0 || y == 0 {
                    return 0;
                }
                if x == y {
                    return 1;
                }
                let max = thresholds.last().copied().unwrap_or(0);
                let d = listlink_names::similarity::osa_distance_within(
                    t.key(a).as_bytes(),
                    t.key(b).as_bytes(),
                    max,
                );
                let mut level = 2;
                for th in thresholds {
                    if d <= *th {
                        return level;
                    }
                    level += 1;
                }
                level
            }
            Kind::Date { field, age } => {
                let FieldFeature::Date(d) = &f.fields[*field] else {
                    unreachable!("date field")
                };
                match (d.dates[a], d.dates[b]) {
                    (Some(x), Some(y)) => date_level(x, y),
                    (x, y) => {
                        let Some(age) = age else { return 0 };
                        let FieldFeature::Age(ages) = &f.fields[*age] else {
                            unreachable!("age field")
                        };
                        let age_a = x
                            .filter(|d| d.year > 0)
                            .and_then(|d| Some(d.age_at(f.as_of?)))
                            .or(ages.ages[a].map(i32::from));
                        let age_b = y
                            .filter(|d| d.year > 0)
                            .and_then(|d| Some(d.age_at(f.as_of?)))
                            .or(ages.ages[b].map(i32::from));
                        match (age_a, age_b) {
                            (Some(p), Some(q)) => age_level(p, q),
                            _ => 0,
                        }
                    }
                }
            }
            Kind::Age { field } => {
                let FieldFeature::Age(ages) = &f.fields[*field] else {
                    unreachable!("age field")
                };
                match (ages.ages[a], ages.ages[b]) {
                    (Some(p), Some(q)) => age_level(p as i32, q as i32),
                    _ => 0,
                }
            }
            Kind::PersonName { .. } | Kind::NameOrder => unreachable!("handled above"),
            Kind::SetOverlap { field } => {
                let FieldFeature::Set(s) = &f.fields[*field] else {
                    unreachable!("set field")
                };
                let (x, y) = (s.get(a), s.get(b));
                if x.is_empty() || y.is_empty() {
                    0
                } else if x == y {
                    1
                } else if x.iter().any(|v| y.binary_search(v).is_ok()) {
                    2
                } else {
                    3
                }
            }
        }
    }
}

/// Whether a field has so few distinct values that pairs of them repeat often enough to be worth
/// remembering (their pairs fit the memo). Comparing two value lines costs about what a memo miss
/// does, so a field with more values is compared directly.
#[inline]
pub(crate) fn few_values(t: &crate::prepare::TextFeature) -> bool {
    t.lines.len() <= FEW_VALUES
}

/// At most this many distinct values make a field [`few_values`]: their pairs fill a memo.
pub(crate) const FEW_VALUES: usize = 1 << (MEMO_BITS / 2 + 1);

/// The level of an exact comparison of two value codes (0: missing): null, exact or else.
#[inline(always)]
pub(crate) fn exact_level(x: u32, y: u32) -> u8 {
    if x == 0 || y == 0 {
        0
    } else if x == y {
        1
    } else {
        2
    }
}

/// Jaro–Winkler similarity of two ASCII keys (prefix weight 0.1, as is standard).
#[inline]
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    listlink_names::similarity::jaro_winkler(a.as_bytes(), b.as_bytes())
}
