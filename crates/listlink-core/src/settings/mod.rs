//! Settings: which columns play which role, how records are compared and blocked, thresholds and
//! seed. Stored as versioned TOML; inferred from column names when the user gives none.

mod infer;
mod rules;
#[cfg(test)]
mod tests;
mod validate;

pub use infer::{InferredColumn, infer, infer_for_files};
pub use rules::{KeyFunc, KeyPart, Rule, Source, parse_rule};

use crate::error::{Error, Result, SettingsProblem};
use serde::{Deserialize, Serialize};

/// The settings format version this build writes and reads.
pub const SETTINGS_VERSION: u32 = 1;

/// At most this many comparisons: a pattern packs 4 bits per comparison into a `u64`.
pub const MAX_COMPARISONS: usize = 16;
/// At most this many levels per comparison, the null level included.
pub const MAX_LEVELS: usize = 16;
/// Levels of a date comparison (null, exact, transposed, one digit, year and month, same age,
/// age within a year, within 1, 5 and 10 years, else).
pub const DATE_LEVELS: usize = 11;
/// Levels of a person-name comparison (null, then one per [`listlink_names::TokenLevel`]).
pub const PERSON_LEVELS: usize = 8;

/// What a field holds; decides how it is prepared and which comparison methods apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A person's name or part of it.
    Name,
    /// A date (of birth): parsed, compared by calendar.
    Date,
    /// An age in whole years at `as_of`.
    Age,
    /// A code with few values (sex): compared after a code table.
    Sex,
    /// Several values separated by `;` or `,` (citizenships).
    Set,
    /// Free text (place, address).
    Text,
    /// An identifier written by people (a national id number): compared as digits and letters.
    Identifier,
}

/// One field: a name, what it holds, and the columns it may be read from (the first column a file
/// has is used, so lists with different headers can be linked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    pub columns: Vec<String>,
}

/// How one comparison turns a pair of values into a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// exact / else.
    Exact,
    /// exact / [swapped with another field] / Jaro–Winkler ≥ each threshold / else.
    JaroWinkler,
    /// exact / Damerau–Levenshtein (optimal string alignment) ≤ each threshold / else.
    Levenshtein,
    /// exact / day and month transposed / one digit off / same year and month / age consistent /
    /// within 1 year / within 5 years / else.
    Date,
    /// same set / sets overlap / disjoint.
    SetOverlap,
    /// One part of a person's name (`part`), aligned across scripts and name orders: exact /
    /// equal after transliteration / variant / same consonant skeleton / similar / close / else.
    /// Reads the person's whole name from the fields named `given_name`, `family_name`,
    /// `patronymic` and `full_name`.
    PersonName,
    /// Whether the names agree in the order they are written or with given and family names
    /// swapped: same order / swapped. Null unless both names have both parts and at least one
    /// part is alike. Reads the person's name like `person_name`.
    NameOrder,
}

/// The part of a person's name a `person_name` comparison looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePart {
    Given,
    Family,
    /// Patronymic, father's names, middle names: neutral when one side has none.
    Patronymic,
}

/// The settings fields a person's name is read from, by part.
pub const PERSON_FIELDS: [&str; 5] = [
    "given_name",
    "family_name",
    "patronymic",
    "full_name",
    "maiden_name",
];

/// One comparison: a method applied to a field, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    pub name: String,
    pub method: Method,
    pub field: String,
    /// JaroWinkler: similarity thresholds, descending. Levenshtein: distance thresholds, ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<f64>,
    /// JaroWinkler: a level for the value being equal to this other field of the other record
    /// (given name written as family name and vice versa).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_with: Option<String>,
    /// Date: an age field compared against the date of birth of the other record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_field: Option<String>,
    /// Adjust the exact level by how common the value is.
    #[serde(default)]
    pub term_frequency: bool,
    /// PersonName: which part of the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<NamePart>,
}

impl Comparison {
    /// The number of levels of the comparison, the null level included.
    pub fn level_count(&self) -> usize {
        match self.method {
            Method::Exact => 3,
            Method::JaroWinkler => {
                3 + usize::from(self.swap_with.is_some()) + self.thresholds.len()
            }
            Method::Levenshtein => 3 + self.thresholds.len(),
            Method::Date => DATE_LEVELS,
            Method::SetOverlap => 4,
            Method::PersonName => PERSON_LEVELS,
            Method::NameOrder => 3,
        }
    }

    /// A comparison of the field of the same name, with no parameters set.
    pub fn plain(field: &str, method: Method) -> Comparison {
        Comparison {
            name: field.to_string(),
            method,
            field: field.to_string(),
            thresholds: Vec::new(),
            swap_with: None,
            age_field: None,
            term_frequency: false,
            part: None,
        }
    }
}

/// Blocking: the rules whose union gives the candidate pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocking {
    /// Each rule is keys joined by `&`; a key is a field name or `func(field)` with func one of
    /// `year`, `soundex`, `metaphone`, `initial`, `prefix3`, `sorted_names`.
    pub rules: Vec<String>,
    /// A rule that would produce more candidate pairs than this is refused.
    #[serde(default = "default_max_pairs_per_rule")]
    pub max_pairs_per_rule: u64,
    /// Keys that narrow an inferred rule (`rule & key`) when the inferred rules together would
    /// give more pairs than the data's budget and are chosen among; written by inference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tighten_with: Vec<String>,
    /// The most candidate pairs inferred rules may give together before they are chosen
    /// among (default: 20 per record, at least 2,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_candidate_pairs: Option<u64>,
}

fn default_max_pairs_per_rule() -> u64 {
    200_000_000
}

/// Training parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    /// Random pairs drawn to estimate u (all pairs when there are fewer).
    #[serde(default = "default_u_sample_pairs")]
    pub u_sample_pairs: u64,
    #[serde(default = "default_em_max_iterations")]
    pub em_max_iterations: u32,
    #[serde(default = "default_em_tolerance")]
    pub em_tolerance: f64,
    /// Model related non-matches (namesakes, relatives) as a class of their own.
    #[serde(default = "default_true")]
    pub related_class: bool,
}

fn default_true() -> bool {
    true
}

fn default_u_sample_pairs() -> u64 {
    1_000_000
}
fn default_em_max_iterations() -> u32 {
    500
}
fn default_em_tolerance() -> f64 {
    1e-7
}

impl Default for Training {
    fn default() -> Self {
        Training {
            u_sample_pairs: default_u_sample_pairs(),
            em_max_iterations: default_em_max_iterations(),
            em_tolerance: default_em_tolerance(),
            related_class: true,
        }
    }
}

/// Decision thresholds on the match probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// At or above: a match (clustered; `found` in find).
    #[serde(default = "default_match")]
    pub match_probability: f64,
    /// At or above, below the match threshold: the review band (`possible` in find).
    #[serde(default = "default_review")]
    pub review_probability: f64,
    /// Pairs below this are not written to pairs.csv.
    #[serde(default = "default_pairs_min")]
    pub pairs_min_probability: f64,
}

fn default_match() -> f64 {
    0.5
}
fn default_review() -> f64 {
    0.1
}
fn default_pairs_min() -> f64 {
    0.01
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            match_probability: default_match(),
            review_probability: default_review(),
            pairs_min_probability: default_pairs_min(),
        }
    }
}

/// Everything a run needs to know besides its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub version: u32,
    /// Seed for every random choice (u sampling).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Columns that may hold the record id; the first a file has is used (else the row number
    /// is the id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_columns: Vec<String>,
    /// Columns that may hold the source name; the first a file has is used (else the file's stem).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_columns: Vec<String>,
    /// Files of given-name variants of the user's own (tab-separated, with columns `group` and
    /// `name`), added to the bundled table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variant_files: Vec<String>,
    /// The date ages are counted at, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    pub fields: Vec<Field>,
    pub comparisons: Vec<Comparison>,
    pub blocking: Blocking,
    #[serde(default)]
    pub training: Training,
    #[serde(default)]
    pub thresholds: Thresholds,
}

fn default_seed() -> u64 {
    42
}

/// The keys a settings file may have at its top level.
const TOP_LEVEL_KEYS: [&str; 11] = [
    "version",
    "seed",
    "id_columns",
    "source_columns",
    "variant_files",
    "as_of",
    "fields",
    "comparisons",
    "blocking",
    "training",
    "thresholds",
];

impl Settings {
    /// Parses and validates settings; `origin` names the file in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Settings> {
        let fail = |problems: Vec<SettingsProblem>| Error::Settings {
            path: origin.to_string(),
            problems,
        };
        // The TOML syntax first (the parser stops at its first error), then each section and
        // each field and comparison on its own, so that every problem is reported at once.
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            fail(vec![SettingsProblem {
                key: toml_error_key(text, &e),
                message: e.message().to_string(),
            }])
        })?;
        let mut problems = Vec::new();
        for key in table.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                problems.push(SettingsProblem {
                    key: key.clone(),
                    message: format!("unknown key; the keys are {}", TOP_LEVEL_KEYS.join(", ")),
                });
            }
        }
        fn check<T: serde::de::DeserializeOwned>(
            value: &toml::Value,
            key: String,
            problems: &mut Vec<SettingsProblem>,
        ) {
            if let Err(e) = T::deserialize(value.clone()) {
                problems.push(SettingsProblem {
                    key,
                    message: e.message().to_string(),
                });
            }
        }
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("fields", toml::Value::Array(items)) => {
                    for (i, v) in items.iter().enumerate() {
                        check::<Field>(v, format!("fields[{i}]"), &mut problems);
                    }
                }
                ("comparisons", toml::Value::Array(items)) => {
                    for (i, v) in items.iter().enumerate() {
                        check::<Comparison>(v, format!("comparisons[{i}]"), &mut problems);
                    }
                }
                ("blocking", v) => check::<Blocking>(v, key.clone(), &mut problems),
                ("training", v) => check::<Training>(v, key.clone(), &mut problems),
                ("thresholds", v) => check::<Thresholds>(v, key.clone(), &mut problems),
                _ => {}
            }
        }
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        let settings = Settings::deserialize(toml::Value::Table(table)).map_err(|e| {
            fail(vec![SettingsProblem {
                key: "(document)".into(),
                message: e.message().to_string(),
            }])
        })?;
        settings.validate(origin)?;
        Ok(settings)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("settings serialise to TOML")
    }

    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }
}

/// The dotted key a TOML parse error is at, as far as the parser tells (else the line).
fn toml_error_key(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}")
        }
        None => "(document)".into(),
    }
}
