//! The blocking-rule grammar: `key & key & …` where a key is `field` or `func(field, …)`,
//! parsed against the settings' fields into [`Rule`]s, the one form blocking reads.

use super::{FieldKind, NamePart, PERSON_FIELDS, Settings};
use crate::error::{Error, Result};

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

impl Settings {
    /// The blocking rules, parsed: the one way from their text to [`Rule`]s. An error names
    /// the rule (settings that passed [`Settings::validate`] never fail here).
    pub fn blocking_rules(&self) -> Result<Vec<Rule>> {
        self.blocking
            .rules
            .iter()
            .map(|r| {
                parse_rule(r, self).map_err(|m| Error::Usage(format!("blocking rule `{r}`: {m}")))
            })
            .collect()
    }
}
