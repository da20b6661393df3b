//! Term-frequency counts that outlive a run: how often each value a term-frequency adjustment
//! reads occurs among some rows, kept as counts so that the counts of several sets of rows add
//! up (and an updated record's old values can be taken away). A store keeps its whole roster's
//! counts and gives them to a run over a few of its records ([`reweigh`]), whose adjustments
//! are then those of a run over the whole roster.

use crate::compare::Comparator;
use crate::prepare::{Features, FieldFeature, part_index, share_key};
use crate::settings::NamePart;
use std::collections::BTreeMap;

/// Counts per source of shares (`name:given`, or `value:` and a comparison's name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueCounts {
    pub sources: BTreeMap<String, SourceCounts>,
}

/// How many rows have a value in one source, and per value how many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCounts {
    pub present: i64,
    pub values: BTreeMap<String, i64>,
}

/// Where a term-frequency adjustment reads its shares.
enum Source {
    Text(usize),
    Person(NamePart),
}

/// The sources of the comparator's term-frequency adjustments that these features have, by
/// name.
fn sources(comparator: &Comparator, f: &Features) -> Vec<(String, Source)> {
    let mut out: Vec<(String, Source)> = Vec::new();
    for c in comparator
        .comparisons
        .iter()
        .filter(|c| c.tf_level.is_some())
    {
        let (name, source) = match (c.person_part, &f.fields[c.field], &f.person) {
            (Some(part), _, Some(_)) => (format!("name:{}", part_name(part)), Source::Person(part)),
            (None, FieldFeature::Text(_), _) => {
                (format!("value:{}", c.name), Source::Text(c.field))
            }
            _ => continue,
        };
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, source));
        }
    }
    out
}

fn part_name(part: NamePart) -> &'static str {
    match part {
        NamePart::Given => "given",
        NamePart::Patronymic => "patronymic",
        NamePart::Family => "family",
    }
}

/// The counts of the values these features' rows have in every source the comparator's
/// adjustments read.
pub fn value_counts(f: &Features, comparator: &Comparator) -> ValueCounts {
    let mut out = ValueCounts::default();
    for (name, source) in sources(comparator, f) {
        let mut counts = SourceCounts::default();
        match source {
            Source::Text(field) => {
                let t = f.text(field);
                let mut per_code = vec![0i64; t.values.len()];
                for &code in t.codes.iter().filter(|c| **c != 0) {
                    per_code[code as usize] += 1;
                }
                for (code, n) in per_code.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    counts.values.insert(t.values.get(code).to_string(), n);
                    counts.present += n;
                }
            }
            Source::Person(part) => {
                let person = f.person.as_ref().expect("a person source has names");
                let mut keys: Vec<Option<String>> = vec![None; person.forms.len()];
                for first in person.readings.iter().filter_map(|row| row.first()) {
                    if let Some(&token) = first.part(part).first() {
                        let key = keys[token as usize]
                            .get_or_insert_with(|| share_key(&person.forms[token as usize]));
                        *counts.values.entry(key.clone()).or_default() += 1;
                        counts.present += 1;
                    }
                }
            }
        }
        out.sources.insert(name, counts);
    }
    out
}

impl ValueCounts {
    /// Adds `other`'s counts (`sign` 1) or takes them away (`sign` -1); values whose count
    /// falls to zero go.
    pub fn add(&mut self, other: &ValueCounts, sign: i64) {
        for (name, theirs) in &other.sources {
            let ours = self.sources.entry(name.clone()).or_default();
            ours.present += sign * theirs.present;
            for (value, n) in &theirs.values {
                let count = ours.values.entry(value.clone()).or_default();
                *count += sign * n;
                if *count == 0 {
                    ours.values.remove(value);
                }
            }
        }
    }

    /// The (source, value) pairs counted, for looking the same values up in a larger count.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sources
            .iter()
            .flat_map(|(s, c)| c.values.keys().map(move |v| (s.as_str(), v.as_str())))
    }
}

/// Gives the features' rows the shares their values have in `population` (a larger set of
/// rows holding these, such as a store's whole roster) instead of those among the rows
/// themselves. A source `population` lacks keeps the rows' own shares; a value it lacks has
/// share 0 (the scorer floors it at one row's worth).
pub fn reweigh(f: &mut Features, comparator: &Comparator, population: &ValueCounts) {
    for (name, source) in sources(comparator, f) {
        let Some(pop) = population.sources.get(&name) else {
            continue;
        };
        let present = pop.present.max(0);
        let share = |key: &str| match pop.values.get(key) {
            Some(&n) if present > 0 => n.max(0) as f64 / present as f64,
            _ => 0.0,
        };
        match source {
            Source::Text(field) => {
                let FieldFeature::Text(t) = &mut f.fields[field] else {
                    unreachable!("a text source is a text field")
                };
                for code in 1..t.values.len() {
                    t.frequency[code] = share(t.values.get(code));
                }
                t.present = present as u64;
            }
            Source::Person(part) => {
                let person = f.person.as_mut().expect("a person source has names");
                let p = part_index(part);
                for (token, forms) in person.forms.iter().enumerate() {
                    person.frequency[p][token] = share(&share_key(forms));
                }
                person.present[p] = present as usize;
            }
        }
    }
}
