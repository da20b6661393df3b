//! The keys a rule gives each record: per key part the hashes of its values (names from every
//! reading, phonetic codes, skeletons, years of birth from dates or ages), combined across parts.

use super::MAX_KEYS;
use crate::prepare::{Features, FieldFeature};
use crate::settings::{KeyFunc, KeyPart, NamePart, Rule, Source};
use listlink_names::{phonetic, tokens};
use rayon::prelude::*;
use std::hash::{Hash, Hasher};

pub(crate) fn hash_of(v: impl Hash) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// Pushes the hashes of a part's values for one record (none when a field is missing).
pub(crate) fn part_values(
    part: &KeyPart,
    token_keys: Option<&TokenKeys>,
    f: &Features,
    row: usize,
    out: &mut Vec<u64>,
) {
    let field = match part.sources[0] {
        Source::Person(_) => return person_values(part, token_keys, f, row, out),
        Source::Field(i) => i,
    };
    if part.func == KeyFunc::BirthYear {
        return birth_years(part, f, row, out);
    }
    match (&f.fields[field], part.func) {
        (FieldFeature::Date(d), func) => {
            let Some(date) = d.dates[row] else { return };
            if func == KeyFunc::Year {
                if date.year != 0 {
                    out.push(hash_of(date.year));
                }
            } else {
                for reading in date.readings() {
                    out.push(hash_of(reading.digits()));
                }
            }
        }
        (FieldFeature::Age(a), _) => out.extend(a.ages[row].map(hash_of)),
        (FieldFeature::Set(s), _) => {
            let v = s.get(row);
            if !v.is_empty() {
                out.push(hash_of(v));
            }
        }
        (FieldFeature::Text(t), func) => {
            let key = t.key(row);
            if key.is_empty() {
                return;
            }
            if func == KeyFunc::SortedNames {
                let mut all: Vec<&str> = Vec::new();
                for source in &part.sources {
                    if let Source::Field(fi) = source
                        && let FieldFeature::Text(t) = &f.fields[*fi]
                    {
                        all.extend(tokens(t.key(row)));
                    }
                }
                all.sort_unstable();
                out.push(hash_of(all));
            } else {
                out.extend(text_value(func, key));
            }
        }
    }
}

/// Years of birth: the date's year, or from an age the two years it allows at `as_of`.
pub(crate) fn birth_years(part: &KeyPart, f: &Features, row: usize, out: &mut Vec<u64>) {
    for source in &part.sources {
        let Source::Field(i) = source else { continue };
        match &f.fields[*i] {
            FieldFeature::Date(d) => {
                if let Some(date) = d.dates[row].filter(|d| d.year != 0) {
                    out.push(hash_of((KeyFunc::Year as u8, date.year)));
                    return;
                }
            }
            FieldFeature::Age(a) => {
                if let (Some(age), Some(at)) = (a.ages[row], f.as_of) {
                    let year = at.year as i32 - age as i32;
                    for y in [year - 1, year] {
                        out.push(hash_of((KeyFunc::Year as u8, y as u16)));
                    }
                    return;
                }
            }
            _ => {}
        }
    }
}

/// The token ids of a reading that a person source reads: up to three slices (a guessed order
/// reads given and family names as either).
pub(crate) fn source_ids(reading: &crate::prepare::PartIds, source: Source) -> [&[u32]; 3] {
    match source {
        Source::Person(Some(NamePart::Given | NamePart::Family)) if reading.guessed_order => {
            [&reading.given, &reading.family, &[]]
        }
        Source::Person(Some(p)) => [reading.part(p), &[], &[]],
        _ => [&reading.given, &reading.patronymic, &reading.family],
    }
}

/// Per name token, the keys one key function gives it (every rendering's, or every skeleton's),
/// computed once per distinct token rather than once per row it occurs in.
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenKeys {
    ends: Vec<u32>,
    keys: Vec<u64>,
}

impl TokenKeys {
    pub(crate) fn new(func: KeyFunc, person: &crate::prepare::PersonFeature) -> TokenKeys {
        let per_token: Vec<Vec<u64>> = person
            .forms
            .par_iter()
            .map(|forms| {
                if func == KeyFunc::Skeleton {
                    forms
                        .skeletons
                        .iter()
                        .filter(|s| s.chars().count() >= 2)
                        .map(|sk| hash_of((KeyFunc::Skeleton as u8, sk)))
                        .collect()
                } else {
                    forms
                        .renderings
                        .iter()
                        .filter_map(|r| text_value(func, &r.key))
                        .collect()
                }
            })
            .collect();
        let mut out = TokenKeys::default();
        for keys in per_token {
            out.keys.extend(keys);
            out.ends.push(out.keys.len() as u32);
        }
        out
    }

    #[inline]
    pub(crate) fn of(&self, token: u32) -> &[u64] {
        let t = token as usize;
        let start = if t == 0 { 0 } else { self.ends[t - 1] as usize };
        &self.keys[start..self.ends[t] as usize]
    }
}

/// A rule with what its parts can compute once for all rows: the keys of each name token for
/// parts that key person names token by token.
pub(crate) struct KeyedRule<'a> {
    rule: &'a Rule,
    tokens: Vec<Option<TokenKeys>>,
}

impl<'a> KeyedRule<'a> {
    pub(crate) fn new(rule: &'a Rule, f: &Features) -> KeyedRule<'a> {
        let tokens = rule
            .parts
            .iter()
            .map(|part| {
                let person = f.person.as_ref()?;
                let by_token = matches!(part.sources[0], Source::Person(_))
                    && part.func != KeyFunc::SortedNames
                    && !(part.func == KeyFunc::Skeleton && part.sources.len() == 2);
                by_token.then(|| TokenKeys::new(part.func, person))
            })
            .collect();
        KeyedRule { rule, tokens }
    }
}

/// The values of a person-name part: from every reading of the row's name, every token, every
/// rendering of it. `tokens`: the part's keys per token, when it keys token by token.
pub(crate) fn person_values(
    part: &KeyPart,
    tokens: Option<&TokenKeys>,
    f: &Features,
    row: usize,
    out: &mut Vec<u64>,
) {
    let Some(person) = &f.person else { return };
    for reading in &person.readings[row] {
        if part.func == KeyFunc::Skeleton && part.sources.len() == 2 {
            // Sorted skeletons of the first token of each part, every reading combination.
            let first = |source: Source| {
                source_ids(reading, source)
                    .into_iter()
                    .flatten()
                    .next()
                    .map(|&id| &person.forms[id as usize].skeletons)
            };
            let (Some(x), Some(y)) = (first(part.sources[0]), first(part.sources[1])) else {
                continue;
            };
            for sx in x.iter().filter(|s| !s.is_empty()) {
                for sy in y.iter().filter(|s| !s.is_empty()) {
                    let pair = if sx <= sy { (sx, sy) } else { (sy, sx) };
                    out.push(hash_of((KeyFunc::Skeleton as u8, pair)));
                }
            }
            continue;
        }
        if part.func == KeyFunc::SortedNames {
            let ids: Vec<u32> = part
                .sources
                .iter()
                .flat_map(|&source| source_ids(reading, source).into_iter().flatten())
                .copied()
                .collect();
            // A name of one word (a mononym, or a part missing) is keyed by each of its
            // renderings: Nani meets נאני whichever reading of the Hebrew comes first. Longer
            // names by their first renderings only (their combinations would multiply).
            if let [id] = ids[..] {
                for r in &person.forms[id as usize].renderings {
                    out.push(hash_of([r.key.as_str()].as_slice()));
                }
                continue;
            }
            let mut keys: Vec<&str> = Vec::new();
            for &id in &ids {
                match person.forms[id as usize].renderings.first() {
                    Some(r) => keys.push(&r.key),
                    None => return,
                }
            }
            if keys.is_empty() {
                continue;
            }
            keys.sort_unstable();
            out.push(hash_of(keys));
            continue;
        }
        let tokens = tokens.expect("token keys for a part keyed token by token");
        for &id in source_ids(reading, part.sources[0]).into_iter().flatten() {
            out.extend_from_slice(tokens.of(id));
        }
    }
}

/// The key of one ASCII value under a key function.
pub(crate) fn text_value(func: KeyFunc, key: &str) -> Option<u64> {
    if key.is_empty() {
        return None;
    }
    let value = match func {
        // The value itself: hashed as it is (a `str` hashes as its `String` would).
        KeyFunc::Value
        | KeyFunc::Year
        | KeyFunc::BirthYear
        | KeyFunc::SortedNames
        | KeyFunc::Skeleton => return Some(hash_of((func as u8, key))),
        KeyFunc::Soundex => phonetic::soundex(key),
        KeyFunc::Metaphone => {
            let compact: String = key.chars().filter(|c| *c != ' ').collect();
            phonetic::double_metaphone(&compact).0
        }
        // A slice hashes as the `String` of it would: no allocation per row.
        KeyFunc::Initial => return Some(hash_of((func as u8, &key[..1]))),
        KeyFunc::Prefix3 => return Some(hash_of((func as u8, &key[..key.len().min(3)]))),
    };
    (!value.is_empty()).then(|| hash_of((func as u8, value)))
}

/// The keys of `row` under `rule`: every combination of its parts' values, sorted and distinct;
/// none when a part has no value.
pub(crate) fn rule_keys(rule: &KeyedRule, f: &Features, row: usize, out: &mut Vec<u64>) {
    out.clear();
    out.push(SEED);
    let mut values = Vec::with_capacity(4);
    for (part, tokens) in rule.rule.parts.iter().zip(&rule.tokens) {
        values.clear();
        part_values(part, tokens.as_ref(), f, row, &mut values);
        if values.is_empty() {
            out.clear();
            return;
        }
        add_part(out, &values);
    }
}

/// The keys of a row under a rule narrowed by one more key whose rule has a single part: its
/// keys under the rule combined with that part's values, as [`rule_keys`] combines them.
pub(crate) fn narrow_keys(keys: &[u64], more: &[u64], out: &mut Vec<u64>) {
    out.clear();
    if keys.is_empty() || more.is_empty() {
        return;
    }
    out.extend_from_slice(keys);
    // `more` are the one-part rule's keys: its values combined with the seed.
    let values: Vec<u64> = more.iter().map(|&k| uncombine_seed(k)).collect();
    add_part(out, &values);
}

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
const MIX: u64 = 0x517C_C1B7_2722_0A95;

/// Combines one more part's values into the keys so far: every combination, sorted, distinct,
/// at most [`MAX_KEYS`].
fn add_part(out: &mut Vec<u64>, values: &[u64]) {
    let combine = |k: u64, v: u64| k.rotate_left(5) ^ v.wrapping_mul(MIX);
    if out.len() == 1 && values.len() == 1 {
        // One value so far and one more: no combinations to sort.
        out[0] = combine(out[0], values[0]);
        return;
    }
    let combined: Vec<u64> = out
        .iter()
        .flat_map(|&k| values.iter().map(move |&v| combine(k, v)))
        .collect();
    *out = combined;
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_KEYS);
}

/// The value behind a one-part rule's key (`SEED.rotate_left(5) ^ value * MIX`): `MIX` is odd,
/// so multiplying by its inverse modulo 2^64 undoes it.
fn uncombine_seed(key: u64) -> u64 {
    (key ^ SEED.rotate_left(5)).wrapping_mul(MIX_INVERSE)
}

/// `MIX`'s inverse modulo 2^64, by Newton's iteration (each step doubles the bits right).
const MIX_INVERSE: u64 = {
    let mut x = MIX;
    let mut i = 0;
    while i < 6 {
        x = x.wrapping_mul(2u64.wrapping_sub(MIX.wrapping_mul(x)));
        i += 1;
    }
    x
};
