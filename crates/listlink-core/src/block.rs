//! Blocking: rules turn records into keys; records sharing a rule's key form candidate pairs.
//! Pairs are pushed in chunks into a [`PairSink`], never all held in memory; a pair produced by
//! several rules is passed on once (by the first rule that produces it).

use crate::prepare::{Features, FieldFeature, LinkType};
use crate::settings::{FieldKind, NamePart, PERSON_FIELDS, Settings};
use listlink_names::{phonetic, tokens};
use rayon::prelude::*;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a rule's key part computes from a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFunc {
    /// The field's match key (for dates: the whole date).
    Value,
    Year,
    Soundex,
    Metaphone,
    Initial,
    Prefix3,
    /// The name tokens of all the given fields, sorted: catches given/family swaps.
    SortedNames,
    /// The year of birth from a date of birth, else from an age (the two years it allows at
    /// `as_of`): `birth_year(date_of_birth, age)`.
    BirthYear,
    /// The consonant skeleton of each name token: meets across scripts. With two parts
    /// (`skeleton(given_name, family_name)`), the two skeletons sorted: meets across name orders.
    Skeleton,
}

/// What a key part reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A settings field, by index.
    Field(usize),
    /// A part of the person's name (all parts for `full_name`), from every reading of it.
    Person(Option<NamePart>),
}

/// One part of a rule: a function of one or more fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPart {
    pub func: KeyFunc,
    pub sources: Vec<Source>,
}

/// A parsed blocking rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub text: String,
    pub parts: Vec<KeyPart>,
}

/// Parses `key & key & …` where a key is `field` or `func(field, …)`.
pub fn parse_rule(text: &str, settings: &Settings) -> Result<Rule, String> {
    let mut parts = Vec::new();
    for raw in text.split('&') {
        let raw = raw.trim();
        let (func, args) = match raw.find('(') {
            Some(open) => {
                let Some(args) = raw[open + 1..].strip_suffix(')') else {
                    return Err(format!("`{raw}`: missing closing parenthesis"));
                };
                let func = match raw[..open].trim() {
                    "year" => KeyFunc::Year,
                    "soundex" => KeyFunc::Soundex,
                    "metaphone" => KeyFunc::Metaphone,
                    "initial" => KeyFunc::Initial,
                    "prefix3" => KeyFunc::Prefix3,
                    "sorted_names" => KeyFunc::SortedNames,
                    "skeleton" => KeyFunc::Skeleton,
                    "birth_year" => KeyFunc::BirthYear,
                    other => {
                        return Err(format!(
                            "unknown function `{other}`; functions are year, birth_year, soundex, metaphone, initial, prefix3, sorted_names, skeleton"
                        ));
                    }
                };
                (func, args.split(',').map(str::trim).collect::<Vec<_>>())
            }
            None => (KeyFunc::Value, vec![raw]),
        };
        let has_person = PERSON_FIELDS.iter().any(|n| {
            settings
                .field(n)
                .is_some_and(|(_, f)| f.kind == FieldKind::Name)
        });
        let mut sources = Vec::new();
        for name in args {
            if has_person && PERSON_FIELDS.contains(&name) {
                sources.push(Source::Person(match name {
                    "given_name" => Some(NamePart::Given),
                    "family_name" | "maiden_name" => Some(NamePart::Family),
                    "patronymic" => Some(NamePart::Patronymic),
                    _ => None,
                }));
                continue;
            }
            match settings.field(name) {
                Some((i, _)) => sources.push(Source::Field(i)),
                None => {
                    let names: Vec<&str> =
                        settings.fields.iter().map(|f| f.name.as_str()).collect();
                    return Err(format!(
                        "no field named `{name}`; fields are: {}",
                        names.join(", ")
                    ));
                }
            }
        }
        if sources.is_empty() {
            return Err(format!("`{raw}` names no field"));
        }
        if !matches!(
            func,
            KeyFunc::SortedNames | KeyFunc::Skeleton | KeyFunc::BirthYear
        ) && sources.len() != 1
        {
            return Err(format!("`{raw}` takes one field"));
        }
        if func == KeyFunc::Skeleton && !matches!(sources[0], Source::Person(_)) {
            return Err(format!("`{raw}`: skeleton applies to name fields"));
        }
        let kind_of = |s: &Source| match s {
            Source::Person(_) => Some(FieldKind::Name),
            Source::Field(i) => Some(settings.fields[*i].kind),
        };
        let kinds: Vec<Option<FieldKind>> = sources.iter().map(kind_of).collect();
        let dated = |k: &Option<FieldKind>| *k == Some(FieldKind::Date);
        match func {
            KeyFunc::Year if !dated(&kinds[0]) => {
                return Err(format!("`{raw}`: year applies to date fields"));
            }
            KeyFunc::BirthYear
                if kinds.len() != 2 || !dated(&kinds[0]) || kinds[1] != Some(FieldKind::Age) =>
            {
                return Err(format!(
                    "`{raw}`: birth_year takes a date field and an age field"
                ));
            }
            KeyFunc::Soundex
            | KeyFunc::Metaphone
            | KeyFunc::Initial
            | KeyFunc::Prefix3
            | KeyFunc::SortedNames
                if kinds
                    .iter()
                    .any(|k| matches!(k, Some(FieldKind::Date | FieldKind::Age))) =>
            {
                return Err(format!(
                    "`{raw}`: this function applies to names and text, not dates or ages"
                ));
            }
            _ => {}
        }
        parts.push(KeyPart { func, sources });
    }
    Ok(Rule {
        text: text.to_string(),
        parts,
    })
}

/// A rule's keys per record (none: the record is not blocked by this rule; several when a
/// field has several renderings, e.g. a name in two transliterations) and the records grouped by
/// key.
#[derive(Debug, Clone)]
pub struct RuleIndex {
    pub rule: Rule,
    /// Sorted, distinct keys of each row: `keys[key_ends[row-1]..key_ends[row]]`.
    keys: Vec<u64>,
    key_ends: Vec<u32>,
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
const MAX_KEYS: usize = 32;

impl RuleIndex {
    /// The keys of a row under this rule, sorted.
    #[inline]
    pub fn keys(&self, row: usize) -> &[u64] {
        let start = if row == 0 {
            0
        } else {
            self.key_ends[row - 1] as usize
        };
        &self.keys[start..self.key_ends[row] as usize]
    }

    /// The smallest key rows `a` and `b` share, if any.
    #[inline]
    pub fn first_shared(&self, a: usize, b: usize) -> Option<u64> {
        let (x, y) = (self.keys(a), self.keys(b));
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
    /// ([`PairSink::screen_row`]) has only the pairs it keeps checked for being new.
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

fn hash_of(v: impl Hash) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// Pushes the hashes of a part's values for one record (none when a field is missing).
fn part_values(
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
fn birth_years(part: &KeyPart, f: &Features, row: usize, out: &mut Vec<u64>) {
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
fn source_ids(reading: &crate::prepare::PartIds, source: Source) -> [&[u32]; 3] {
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
struct TokenKeys {
    ends: Vec<u32>,
    keys: Vec<u64>,
}

impl TokenKeys {
    fn new(func: KeyFunc, person: &crate::prepare::PersonFeature) -> TokenKeys {
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
    fn of(&self, token: u32) -> &[u64] {
        let t = token as usize;
        let start = if t == 0 { 0 } else { self.ends[t - 1] as usize };
        &self.keys[start..self.ends[t] as usize]
    }
}

/// A rule with what its parts can compute once for all rows: the keys of each name token for
/// parts that key person names token by token.
struct KeyedRule<'a> {
    rule: &'a Rule,
    tokens: Vec<Option<TokenKeys>>,
}

impl<'a> KeyedRule<'a> {
    fn new(rule: &'a Rule, f: &Features) -> KeyedRule<'a> {
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
fn person_values(
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
            let mut keys: Vec<&str> = Vec::new();
            for &source in &part.sources {
                for &id in source_ids(reading, source).into_iter().flatten() {
                    match person.forms[id as usize].renderings.first() {
                        Some(r) => keys.push(&r.key),
                        None => return,
                    }
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
fn text_value(func: KeyFunc, key: &str) -> Option<u64> {
    let value = match func {
        // The value itself: hashed as it is (a `str` hashes as its `String` would).
        KeyFunc::Value
        | KeyFunc::Year
        | KeyFunc::BirthYear
        | KeyFunc::SortedNames
        | KeyFunc::Skeleton => return (!key.is_empty()).then(|| hash_of((func as u8, key))),
        KeyFunc::Soundex => phonetic::soundex(key),
        KeyFunc::Metaphone => {
            let compact: String = key.chars().filter(|c| *c != ' ').collect();
            phonetic::double_metaphone(&compact).0
        }
        KeyFunc::Initial => key[..1].to_string(),
        KeyFunc::Prefix3 => key[..key.len().min(3)].to_string(),
    };
    (!value.is_empty()).then(|| hash_of((func as u8, value)))
}

/// The keys of `row` under `rule`: every combination of its parts' values, sorted and distinct;
/// none when a part has no value.
fn rule_keys(rule: &KeyedRule, f: &Features, row: usize, out: &mut Vec<u64>) {
    out.clear();
    out.push(0x9E37_79B9_7F4A_7C15);
    let mut values = Vec::with_capacity(4);
    for (part, tokens) in rule.rule.parts.iter().zip(&rule.tokens) {
        values.clear();
        part_values(part, tokens.as_ref(), f, row, &mut values);
        if values.is_empty() {
            out.clear();
            return;
        }
        let combine = |k: u64, v: u64| k.rotate_left(5) ^ v.wrapping_mul(0x517C_C1B7_2722_0A95);
        if out.len() == 1 && values.len() == 1 {
            // One value so far and one more: no combinations to sort.
            out[0] = combine(out[0], values[0]);
            continue;
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
                // Keys in chunks of rows, in parallel: per chunk its keys end to end and each
                // row's count, joined in row order.
                const ROWS: usize = 8192;
                let keyed_rule = KeyedRule::new(&rule, f);
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
                let total: usize = chunks.iter().map(|(flat, _)| flat.len()).sum();
                let mut keys = Vec::with_capacity(total);
                let mut key_ends = Vec::with_capacity(f.len());
                let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(total);
                let mut r = 0u32;
                for (flat, counts) in chunks {
                    let mut at = 0;
                    for n in counts {
                        let ks = &flat[at..at + n as usize];
                        at += n as usize;
                        keyed.extend(ks.iter().map(|k| (*k, r)));
                        keys.extend_from_slice(ks);
                        key_ends.push(keys.len() as u32);
                        r += 1;
                    }
                }
                keyed.par_sort_unstable();
                let mut rows = Vec::with_capacity(keyed.len());
                let mut seen_groups: rustc_hash::FxHashMap<(u64, usize), usize> =
                    Default::default();
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
                    key_ends,
                    rows,
                    first,
                    group_starts,
                    group_keys,
                    pairs,
                }
            })
            .collect()
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
    /// In groups of at least [`PairSink::screens_groups_from`] rows the sink first screens each
    /// row against the rows after it, and only the pairs it keeps are checked and passed on.
    ///
    /// Each thread holds one sink state and takes the next stretch of work items as it is
    /// done with its last, so that the threads finish together whatever the items hold: items
    /// differ widely in their pairs, and when rayon split the items once between the threads,
    /// the last stretch left one core working alone for a second of the score stage at ten
    /// million records (splitting them into many rayon tasks instead made a state each).
    pub fn for_each_pair<S: PairSink>(&self, f: &Features, sink: &S) -> S::State {
        const CHUNK: usize = 4096;
        const STRETCHES_PER_THREAD: usize = 256;
        let screens_from = sink.screens_groups_from();
        // A screened item's pairs the sink does not keep are counted, not checked, for its
        // progress: that needs the items' counts.
        let counted = self.counted.get().filter(|_| screens_from.is_some());
        // Fetching a group's lines ahead pays where its pairs are all checked: not for a sink
        // that samples pairs, nor for a group screened first.
        let prefetch = |item| {
            if !sink.samples() {
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
                    if screens_from.is_some_and(|min| group.len() >= min) && new != u32::MAX {
                        let start = item.2 as usize;
                        sink.enter_group(&mut state, &group[start..]);
                        let mut emitted = 0;
                        for i in start..item.3 as usize {
                            keep.clear();
                            keep.resize(group.len() - i - 1, true);
                            sink.screen_row(&mut state, (i - start, group[i]), &mut keep);
                            emitted += self.row_pairs(
                                f,
                                item,
                                i,
                                Some(&keep),
                                |a| sink.wants(a),
                                |a, b| emit(&mut state, a, b),
                            );
                        }
                        sink.screened(&mut state, u64::from(new) - emitted);
                    } else {
                        self.item_pairs(f, item, |a| sink.wants(a), |a, b| emit(&mut state, a, b));
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

/// A sink that keeps every pair (in no particular order): for tests, benchmarks and small runs.
pub struct CollectPairs;

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
    /// Whether the sink takes the pairs whose first (smaller) row is `a` at all, asked before
    /// they are walked: a sink that samples pairs by their first row spares the walk and the
    /// checks of the pairs it would drop.
    #[inline]
    fn wants(&self, _a: u32) -> bool {
        true
    }
    /// Whether [`PairSink::wants`] drops most pairs (a sample): the blocker then spares the
    /// work that pays only when every pair is checked.
    fn samples(&self) -> bool {
        false
    }
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]);
    fn merge(&self, a: Self::State, b: Self::State) -> Self::State;
    /// Groups of at least this many rows are screened row by row, once the blocker has counted
    /// its pairs ([`Blocker::new_pairs_per_rule`]): the sink rules out the pairs it surely
    /// drops in bulk ([`PairSink::screen_row`]), and only the others are checked for being new.
    /// None (the default): never.
    fn screens_groups_from(&self) -> Option<usize> {
        None
    }
    /// Before a screened work item's rows: the rows of its group from the item's first on, in
    /// order (the rows its pairs are among).
    fn enter_group(&self, _state: &mut Self::State, _rows: &[u32]) {}
    /// For row `i` (record `row`) of the rows entered last against each row after it: clears
    /// `keep[j]` (all set on entry) when the sink surely drops the pair with row `i + 1 + j`.
    /// Pairs not kept are never passed to [`PairSink::pairs`].
    fn screen_row(&self, _state: &mut Self::State, _row: (usize, u32), _keep: &mut [bool]) {}
    /// How many candidate pairs of a screened work item the sink's screen left out (the item's
    /// new pairs less those passed on).
    fn screened(&self, _state: &mut Self::State, _pairs: u64) {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::prepare;
    use crate::settings::infer;
    use crate::table::{RecordTable, StrColumn};
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    fn table(source: &str, rows: &[(&str, &str, &str)]) -> RecordTable {
        let headers = ["given_name", "surname", "dob"];
        let mut t = RecordTable {
            path: format!("{source}.csv"),
            headers: headers.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        t.columns = vec![StrColumn::default(); 3];
        for (i, r) in rows.iter().enumerate() {
            t.sources.push(source);
            t.ids.push(&i.to_string());
            t.lines.push(i as u64 + 2);
            t.columns[0].push(r.0);
            t.columns[1].push(r.1);
            t.columns[2].push(r.2);
        }
        t
    }

    /// The obvious blocking: every allowed pair, kept if any rule's keys agree.
    fn reference(b: &Blocker, f: &Features) -> BTreeSet<(u32, u32)> {
        let mut out = BTreeSet::new();
        for x in 0..f.len() {
            for y in x + 1..f.len() {
                if f.allowed(x, y) && b.rules.iter().any(|r| r.first_shared(x, y).is_some()) {
                    out.insert((x as u32, y as u32));
                }
            }
        }
        out
    }

    fn run(
        tables: &[RecordTable],
        link_type: LinkType,
        rules: &[&str],
        per_rule: Option<usize>,
    ) -> (Blocker, Features, Vec<(u32, u32)>) {
        let headers: Vec<&[String]> = tables.iter().map(|t| t.headers.as_slice()).collect();
        let (s, _) = infer(&headers).unwrap();
        let sides: Vec<u8> = (0..tables.len()).map(|i| (i > 0) as u8).collect();
        let f = prepare(tables, &sides, &s, link_type);
        let rules = rules.iter().map(|r| parse_rule(r, &s).unwrap()).collect();
        let b = match per_rule {
            None => Blocker::new(rules, &f),
            Some(k) => Blocker::with_groups_per_rule(Blocker::index(rules, &f), &f, k),
        };
        let pairs = b.for_each_pair(&f, &CollectPairs);
        (b, f, pairs)
    }

    #[test]
    fn pairs_from_several_rules_come_once() {
        let t = table(
            "a",
            &[
                ("john", "smith", "1980"),
                ("john", "smith", "1980"),
                ("jon", "smith", "1980"),
                ("x", "y", ""),
            ],
        );
        let (b, f, pairs) = run(
            &[t],
            LinkType::Dedupe,
            &[
                "given_name & family_name",
                "family_name & year(date_of_birth)",
            ],
            None,
        );
        let set: BTreeSet<_> = pairs.iter().copied().collect();
        assert_eq!(set.len(), pairs.len(), "no pair twice");
        assert_eq!(set, [(0, 1), (0, 2), (1, 2)].into_iter().collect());
        // john/smith shares three keys (as written, and read the German and French way): the
        // per-rule count is an upper bound, counted once per shared key; new pairs are exact.
        assert_eq!(b.rules[0].pairs, 3);
        assert_eq!(b.rules[1].pairs, 3);
        assert_eq!(b.new_pairs_per_rule(&f), vec![1, 2]);
    }

    #[test]
    fn sorted_names_catches_swaps_and_link_only_crosses_sources() {
        let a = table("a", &[("john", "smith", ""), ("smith", "john", "")]);
        let b = table("b", &[("Smith", "John", "")]);
        let (_, _, pairs) = run(
            &[a, b],
            LinkType::Link,
            &["sorted_names(given_name, family_name)"],
            None,
        );
        let set: BTreeSet<_> = pairs.into_iter().collect();
        assert_eq!(set, [(0, 2), (1, 2)].into_iter().collect());
    }

    #[test]
    fn bad_rules_are_explained() {
        let t = table("a", &[]);
        let (s, _) = infer(&[&t.headers]).unwrap();
        assert!(
            parse_rule("nosuch", &s)
                .unwrap_err()
                .contains("no field named `nosuch`")
        );
        assert!(
            parse_rule("foo(surname)", &s)
                .unwrap_err()
                .contains("unknown function `foo`")
        );
        assert!(
            parse_rule("year(surname", &s)
                .unwrap_err()
                .contains("parenthesis")
        );
    }

    proptest! {
        #[test]
        fn group_lines_tell_shared_keys_exactly(
            rows in proptest::collection::vec(("(john|yohn|[ab]{1,2})", "(smith|schmidt|[xy]{0,2})", "(19[0-1][0-9])?"), 0..30),
            per_rule in 1usize..4,
        ) {
            let refs: Vec<(&str, &str, &str)> = rows.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
            let (b, f, _) = run(&[table("a", &refs)], LinkType::Dedupe, &["given_name", "metaphone(given_name) & family_name", "year(date_of_birth)"], Some(per_rule));
            let k = b.groups.per_rule;
            for x in 0..f.len() {
                for y in 0..f.len() {
                    if x == y {
                        continue;
                    }
                    let (lx, ly) = (b.groups.line(x), b.groups.line(y));
                    for (r, (gx, gy)) in b.rules.iter().zip(lx.chunks_exact(k).zip(ly.chunks_exact(k))) {
                        let shared = r.first_shared(x, y).is_some();
                        // Without overflow the lines alone tell it, and must tell it right.
                        if let Some(said) = share_group(gx, gy) {
                            prop_assert_eq!(said, shared, "rule {} rows {} {}", r.rule.text, x, y);
                        }
                    }
                }
            }
        }

        #[test]
        fn streamed_pairs_equal_the_reference(
            // Names read several ways (john: also yohn, zhohn) give rows several keys, groups
            // with the same rows and rows in several groups.
            rows in proptest::collection::vec(("(john|yohn|[ab]{1,2})", "(smith|schmidt|[xy]{0,2})", "(19[0-1][0-9])?"), 0..40),
            link in 0u8..3,
            threads in 1usize..4,
            // 0: as many groups per rule as a cache line allows; 1 and 2: rows in more groups
            // than that take the key lists' way.
            per_rule in 0usize..3,
        ) {
            let refs: Vec<(&str, &str, &str)> = rows.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
            let half = refs.len() / 2;
            let tables = vec![table("a", &refs[..half]), table("b", &refs[half..])];
            let link_type = [LinkType::Dedupe, LinkType::Link, LinkType::Find][link as usize];
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let out = Mutex::new(None);
            pool.install(|| {
                *out.lock().unwrap() = Some(run(&tables, link_type, &["given_name", "family_name & year(date_of_birth)", "metaphone(given_name)"], (per_rule > 0).then_some(per_rule)));
            });
            let (b, f, pairs) = out.into_inner().unwrap().unwrap();
            let set: BTreeSet<_> = pairs.iter().copied().collect();
            prop_assert_eq!(set.len(), pairs.len());
            prop_assert_eq!(&set, &reference(&b, &f));
            let counted: u64 = b.new_pairs_per_rule(&f).iter().sum();
            prop_assert_eq!(counted as usize, pairs.len());
            // A sink that wants some pairs only gets exactly those of the candidates.
            let sampled: BTreeSet<_> = pool.install(|| b.for_each_pair(&f, &EveryThird)).into_iter().collect();
            let expected: BTreeSet<_> = set.into_iter().filter(|&(a, _)| EveryThird.wants(a)).collect();
            prop_assert_eq!(sampled, expected);
        }
    }

    /// Wants the pairs whose first row is a multiple of three.
    struct EveryThird;

    impl PairSink for EveryThird {
        type State = Vec<(u32, u32)>;
        fn start(&self) -> Self::State {
            Vec::new()
        }
        fn wants(&self, a: u32) -> bool {
            a.is_multiple_of(3)
        }
        fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
            assert!(pairs.iter().all(|&(a, b)| a < b && self.wants(a)));
            state.extend_from_slice(pairs);
        }
        fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
            a.extend(b);
            a
        }
    }
}
