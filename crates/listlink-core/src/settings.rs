//! Settings: which columns play which role, how records are compared and blocked, thresholds and
//! seed. Stored as versioned TOML; inferred from column names when the user gives none.

use crate::error::{Error, Result, SettingsProblem};
use serde::{Deserialize, Serialize};

/// The settings format version this build writes and reads.
pub const SETTINGS_VERSION: u32 = 1;

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

    /// Checks every cross-reference and value at once and reports all the problems found.
    pub fn validate(&self, origin: &str) -> Result<()> {
        let mut problems = Vec::new();
        let mut problem =
            |key: String, message: String| problems.push(SettingsProblem { key, message });
        if self.version != SETTINGS_VERSION {
            problem(
                "version".into(),
                format!(
                    "settings version {} is not supported; this build reads version {SETTINGS_VERSION}",
                    self.version
                ),
            );
        }
        for (i, f) in self.fields.iter().enumerate() {
            if f.columns.is_empty() {
                problem(
                    format!("fields[{i}].columns"),
                    format!("field `{}` names no column", f.name),
                );
            }
            if self.fields[..i].iter().any(|g| g.name == f.name) {
                problem(
                    format!("fields[{i}].name"),
                    format!("field `{}` is defined twice", f.name),
                );
            }
        }
        let field_names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        let unknown = |name: &str| {
            format!(
                "no field named `{name}`; fields are: {}",
                field_names.join(", ")
            )
        };
        if self.comparisons.is_empty() {
            problem(
                "comparisons".into(),
                "at least one comparison is needed".into(),
            );
        }
        if self.comparisons.len() > crate::compare::MAX_COMPARISONS {
            problem(
                "comparisons".into(),
                format!(
                    "at most {} comparisons are supported, found {}",
                    crate::compare::MAX_COMPARISONS,
                    self.comparisons.len()
                ),
            );
        }
        for (i, c) in self.comparisons.iter().enumerate() {
            let key = |k: &str| format!("comparisons[{i}].{k}");
            if self.comparisons[..i].iter().any(|d| d.name == c.name) {
                problem(
                    key("name"),
                    format!("comparison `{}` is defined twice", c.name),
                );
            }
            match self.field(&c.field) {
                None => problem(key("field"), unknown(&c.field)),
                Some((_, f)) => {
                    let fits = match c.method {
                        Method::Exact => true,
                        Method::JaroWinkler | Method::Levenshtein => {
                            !matches!(f.kind, FieldKind::Date | FieldKind::Age | FieldKind::Set)
                        }
                        Method::Date => matches!(f.kind, FieldKind::Date | FieldKind::Age),
                        Method::SetOverlap => f.kind == FieldKind::Set,
                        Method::PersonName => {
                            f.kind == FieldKind::Name && PERSON_FIELDS.contains(&f.name.as_str())
                        }
                    };
                    if !fits {
                        problem(
                            key("method"),
                            format!(
                                "method {:?} does not apply to field `{}` of kind {:?}",
                                c.method, f.name, f.kind
                            ),
                        );
                    }
                }
            }
            match c.method {
                Method::JaroWinkler
                    if (c.thresholds.iter().any(|t| !(0.0..=1.0).contains(t))
                        || !is_sorted_by(&c.thresholds, |a, b| a > b)) =>
                {
                    problem(
                        key("thresholds"),
                        "Jaro-Winkler thresholds are similarities in [0, 1], in descending order"
                            .into(),
                    );
                }
                Method::Levenshtein
                    if (c.thresholds.iter().any(|t| *t < 1.0 || t.fract() != 0.0)
                        || !is_sorted_by(&c.thresholds, |a, b| a < b)) =>
                {
                    problem(
                        key("thresholds"),
                        "Levenshtein thresholds are whole distances ≥ 1, in ascending order".into(),
                    );
                }
                Method::PersonName if c.part.is_none() => {
                    problem(key("part"), "a person_name comparison needs part = \"given\", \"family\" or \"patronymic\"".into());
                }
                _ => {}
            }
            if c.part.is_some() && c.method != Method::PersonName {
                problem(
                    key("part"),
                    "only a person_name comparison takes a part".into(),
                );
            }
            let levels = crate::compare::level_count(c);
            if levels > crate::compare::MAX_LEVELS {
                problem(
                    key("thresholds"),
                    format!(
                        "comparison `{}` would have {levels} levels; at most {} are supported",
                        c.name,
                        crate::compare::MAX_LEVELS
                    ),
                );
            }
            if let Some(other) = &c.swap_with
                && self.field(other).is_none()
            {
                problem(key("swap_with"), unknown(other));
            }
            if let Some(age) = &c.age_field {
                match self.field(age) {
                    None => problem(key("age_field"), unknown(age)),
                    Some((_, f)) if f.kind != FieldKind::Age => problem(
                        key("age_field"),
                        format!("field `{age}` is of kind {:?}, not age", f.kind),
                    ),
                    _ => {}
                }
            }
        }
        if self.blocking.rules.is_empty() {
            problem(
                "blocking.rules".into(),
                "at least one blocking rule is needed".into(),
            );
        }
        for (i, rule) in self.blocking.rules.iter().enumerate() {
            if let Err(message) = crate::block::parse_rule(rule, self) {
                problem(format!("blocking.rules[{i}]"), message);
            }
        }
        let t = &self.thresholds;
        for (k, v) in [
            ("thresholds.match_probability", t.match_probability),
            ("thresholds.review_probability", t.review_probability),
            ("thresholds.pairs_min_probability", t.pairs_min_probability),
        ] {
            if !(0.0..=1.0).contains(&v) {
                problem(k.into(), format!("{v} is not a probability in [0, 1]"));
            }
        }
        if t.review_probability > t.match_probability {
            problem(
                "thresholds.review_probability".into(),
                "the review band must lie below the match threshold".into(),
            );
        }
        if let Some(as_of) = &self.as_of
            && crate::prepare::parse_iso_date(as_of).is_none()
        {
            problem(
                "as_of".into(),
                format!("`{as_of}` is not a date in the form YYYY-MM-DD"),
            );
        }
        if self.training.u_sample_pairs == 0 {
            problem(
                "training.u_sample_pairs".into(),
                "must be at least 1".into(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Settings {
                path: origin.to_string(),
                problems,
            })
        }
    }
}

fn is_sorted_by(v: &[f64], ok: impl Fn(&f64, &f64) -> bool) -> bool {
    v.windows(2).all(|w| ok(&w[0], &w[1]))
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

/// The role a column plays, inferred from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Id,
    Source,
    Ignore,
    Field(&'static str, FieldKind),
    /// Place-like text fields keep their own column name as field name.
    Place(FieldKind),
    /// `Name`: the full name, or the given name in a file that also has a family-name column.
    BareName,
}

/// A column name reduced for matching: lower case, without spaces, underscores, hyphens, dots
/// or apostrophes (`Дата рождения`, `date_of_birth` and `Date of Birth` all reduce alike).
fn reduce(column: &str) -> String {
    column
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| {
            !matches!(
                c,
                ' ' | '_' | '-' | '.' | '\'' | '’' | 'ʼ' | '`' | '/' | '\u{a0}'
            )
        })
        .collect()
}

/// Column names by role, in English, Russian, Ukrainian, Hebrew, Arabic, French, German and
/// Spanish (compared after [`reduce`]).
const ID_NAMES: &[&str] = &[
    "id",
    "rec_id",
    "record_id",
    "unique_id",
    "recid",
    "ид",
    "№",
    "номер",
    "номерзаписи",
    "מזהה",
    "מספר",
    "רשומה",
    "رقم",
    "المعرف",
    "معرف",
    "identifiant",
    "numéro",
    "kennung",
    "nummer",
    "número",
    "identificador",
];
const SOURCE_NAMES: &[&str] = &[
    "source",
    "source_dataset",
    "list",
    "источник",
    "список",
    "джерело",
    "מקור",
    "المصدر",
    "liste",
    "quelle",
    "fuente",
    "lista",
];
const TRUTH_NAMES: &[&str] = &[
    "truth",
    "true_id",
    "cluster",
    "cluster_id",
    "entity_id",
    "match_id",
];
const GIVEN_NAMES: &[&str] = &[
    "given_name",
    "first_name",
    "firstname",
    "forename",
    "given",
    "givenname",
    "имя",
    "імя",
    "שםפרטי",
    "פרטי",
    "الاسمالأول",
    "الاسمالاول",
    "prénom",
    "prenom",
    "prénoms",
    "vorname",
    "vornamen",
    "nombrepropio",
    "primernombre",
];
const FAMILY_NAMES: &[&str] = &[
    "surname",
    "family_name",
    "last_name",
    "lastname",
    "familyname",
    "фамилия",
    "прізвище",
    "שםמשפחה",
    "משפחה",
    "اسمالعائلة",
    "العائلة",
    "اللقب",
    "الكنية",
    "nom",
    "nomdefamille",
    "nachname",
    "familienname",
    "apellido",
    "apellidos",
    "primerapellido",
];
/// A bare "name": the full name, or the given name beside a family-name column (`Name` and
/// `Surname`).
const BARE_NAMES: &[&str] = &[
    "name",
    "имя",
    "імя",
    "שם",
    "الاسم",
    "اسم",
    "nombre",
    "nombres",
];
const FULL_NAMES: &[&str] = &[
    "full_name",
    "fullname",
    "person_name",
    "фио",
    "полноеимя",
    "піб",
    "повнеімя",
    "שםמלא",
    "الاسمالكامل",
    "الاسمالثلاثي",
    "الاسمالرباعي",
    "nomcomplet",
    "nometprénom",
    "nometprenom",
    "vollständigername",
    "vollername",
    "nombrecompleto",
    "nombreyapellidos",
];
const MAIDEN_NAMES: &[&str] = &[
    "maiden_name",
    "birth_name",
    "birth_surname",
    "maiden",
    "former_surname",
    "previous_surname",
    "née",
    "nee",
    "девичьяфамилия",
    "дівочепрізвище",
    "שםנעורים",
    "nomdejeunefille",
    "geburtsname",
    "apellidodesoltera",
];
const PATRONYMIC_NAMES: &[&str] = &[
    "patronymic",
    "middle_name",
    "father_name",
    "fathers_name",
    "middlename",
    "отчество",
    "побатькові",
    "שםהאב",
    "اسمالأب",
    "اسمالاب",
    "deuxièmeprénom",
    "zweitername",
    "segundonombre",
];
const DOB_NAMES: &[&str] = &[
    "date_of_birth",
    "dob",
    "birth_date",
    "birthdate",
    "born",
    "датарождения",
    "деньрождения",
    "датанародження",
    "תאריךלידה",
    "תלידה",
    "تاريخالميلاد",
    "تاريخالولادة",
    "datedenaissance",
    "néle",
    "geburtsdatum",
    "geboren",
    "fechadenacimiento",
];
const AGE_NAMES: &[&str] = &[
    "age",
    "возраст",
    "вік",
    "גיל",
    "العمر",
    "السن",
    "âge",
    "alter",
    "edad",
];
const SEX_NAMES: &[&str] = &[
    "sex",
    "gender",
    "пол",
    "стать",
    "מין",
    "מגדר",
    "الجنس",
    "sexe",
    "genre",
    "geschlecht",
    "sexo",
    "género",
    "genero",
];
const CITIZENSHIP_NAMES: &[&str] = &[
    "citizenship",
    "citizenships",
    "nationality",
    "nationalities",
    "гражданство",
    "громадянство",
    "אזרחות",
    "الجنسية",
    "nationalité",
    "citoyenneté",
    "staatsangehörigkeit",
    "nationalität",
    "nacionalidad",
    "ciudadanía",
];
const NATIONAL_ID_NAMES: &[&str] = &[
    "soc_sec_id",
    "national_id",
    "passport",
    "passport_number",
    "passport_no",
    "ssn",
    "id_number",
    "personal_number",
    "national_id_number",
    "паспорт",
    "номерпаспорта",
    "инн",
    "снилс",
    "תעודתזהות",
    "תז",
    "מספרדרכון",
    "رقمالهوية",
    "رقمجوازالسفر",
    "numérodepasseport",
    "reisepassnummer",
    "pasaporte",
    "dni",
];
const PLACE_NAMES: &[(&str, &[&str])] = &[
    (
        "place_of_birth",
        &[
            "place_of_birth",
            "birth_place",
            "месторождения",
            "місценародження",
            "מקוםלידה",
            "مكانالميلاد",
            "مكانالولادة",
            "lieudenaissance",
            "geburtsort",
            "lugardenacimiento",
        ],
    ),
    (
        "city",
        &[
            "город",
            "місто",
            "עיר",
            "מקוםמגורים",
            "المدينة",
            "مدينة",
            "ville",
            "stadt",
            "ort",
            "ciudad",
        ],
    ),
    (
        "address",
        &[
            "адрес",
            "адреса",
            "כתובת",
            "العنوان",
            "adresse",
            "dirección",
            "direccion",
        ],
    ),
];

fn role_of(column: &str) -> Option<Role> {
    let c = column.trim().to_lowercase().replace([' ', '-', '.'], "_");
    let r = reduce(column);
    let is = |names: &[&str]| names.iter().any(|n| reduce(n) == r);
    let role =
        if is(ID_NAMES) {
            Role::Id
        } else if is(SOURCE_NAMES) {
            Role::Source
        } else if is(TRUTH_NAMES) || c.starts_with("truth") {
            Role::Ignore
        } else if is(GIVEN_NAMES) {
            Role::Field("given_name", FieldKind::Name)
        } else if is(FAMILY_NAMES) {
            Role::Field("family_name", FieldKind::Name)
        } else if is(BARE_NAMES) {
            Role::BareName
        } else if is(FULL_NAMES) {
            Role::Field("full_name", FieldKind::Name)
        } else if is(MAIDEN_NAMES) {
            Role::Field("maiden_name", FieldKind::Name)
        } else if is(PATRONYMIC_NAMES) {
            Role::Field("patronymic", FieldKind::Name)
        } else if is(DOB_NAMES) {
            Role::Field("date_of_birth", FieldKind::Date)
        } else if is(AGE_NAMES) {
            Role::Field("age", FieldKind::Age)
        } else if is(SEX_NAMES) {
            Role::Field("sex", FieldKind::Sex)
        } else if is(CITIZENSHIP_NAMES) {
            Role::Field("citizenship", FieldKind::Set)
        } else if is(NATIONAL_ID_NAMES) {
            Role::Field("national_id", FieldKind::Identifier)
        } else if let Some((name, _)) = PLACE_NAMES.iter().find(|(_, names)| is(names)) {
            Role::Field(name, FieldKind::Text)
        } else {
            match c.as_str() {
                "street_number" | "postcode" | "zip" | "zipcode" | "postal_code"
                | "house_number" => Role::Place(FieldKind::Identifier),
                "place" | "city" | "suburb" | "town" | "state" | "region" | "street"
                | "address" => Role::Place(FieldKind::Text),
                _ if c.starts_with("address_") => Role::Place(FieldKind::Text),
                _ => return None,
            }
        };
    Some(role)
}

/// What inference decided about each column, for the run report.
#[derive(Debug, Clone, Serialize)]
pub struct InferredColumn {
    pub column: String,
    pub role: String,
}

/// Infers settings from the headers of the input files: the roles of columns from their names,
/// then comparisons and blocking rules for the fields found. The caller writes the result to
/// `DIR/settings.toml` so the user can edit it.
pub fn infer(headers: &[&[String]]) -> Result<(Settings, Vec<InferredColumn>)> {
    let names: Vec<String> = (1..=headers.len()).map(|i| format!("list {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    infer_roles(&names, headers, NameColumns::Optional)
}

/// [`infer`] for lists of people a user gives: every file must have a column read as a name
/// (else the run stops, naming the file, its headers and the settings key that maps them), and
/// each file is named by its path in messages.
pub fn infer_for_files(
    files: &[&str],
    headers: &[&[String]],
) -> Result<(Settings, Vec<InferredColumn>)> {
    infer_roles(files, headers, NameColumns::Required)
}

/// Whether inference requires a name column in every file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameColumns {
    Required,
    Optional,
}

fn infer_roles(
    files: &[&str],
    headers: &[&[String]],
    names: NameColumns,
) -> Result<(Settings, Vec<InferredColumn>)> {
    let mut fields: Vec<Field> = Vec::new();
    let mut id_columns: Vec<String> = Vec::new();
    let mut source_columns: Vec<String> = Vec::new();
    let mut report = Vec::new();
    let mut named_files = vec![false; headers.len()];
    for (file, file_headers) in headers.iter().enumerate() {
        let has_family = file_headers
            .iter()
            .any(|c| role_of(c) == Some(Role::Field("family_name", FieldKind::Name)));
        for column in file_headers.iter() {
            let role = match role_of(column) {
                Some(Role::BareName) if has_family => {
                    Some(Role::Field("given_name", FieldKind::Name))
                }
                Some(Role::BareName) => Some(Role::Field("full_name", FieldKind::Name)),
                role => role,
            };
            let (field_name, kind) = match role {
                None => {
                    report.push(InferredColumn {
                        column: column.clone(),
                        role: "unused".into(),
                    });
                    continue;
                }
                Some(Role::Id) => {
                    if !id_columns.contains(column) {
                        id_columns.push(column.clone());
                    }
                    report.push(InferredColumn {
                        column: column.clone(),
                        role: "id".into(),
                    });
                    continue;
                }
                Some(Role::Source) => {
                    if !source_columns.contains(column) {
                        source_columns.push(column.clone());
                    }
                    report.push(InferredColumn {
                        column: column.clone(),
                        role: "source".into(),
                    });
                    continue;
                }
                Some(Role::Ignore) => {
                    report.push(InferredColumn {
                        column: column.clone(),
                        role: "ignored (truth)".into(),
                    });
                    continue;
                }
                Some(Role::Field(name, kind)) => {
                    named_files[file] |= PERSON_FIELDS.contains(&name);
                    (name.to_string(), kind)
                }
                Some(Role::BareName) => unreachable!("resolved above"),
                Some(Role::Place(kind)) => (
                    column.trim().to_lowercase().replace([' ', '-', '.'], "_"),
                    kind,
                ),
            };
            report.push(InferredColumn {
                column: column.clone(),
                role: field_name.clone(),
            });
            match fields.iter_mut().find(|f| f.name == field_name) {
                Some(f) => {
                    if !f.columns.contains(column) {
                        f.columns.push(column.clone());
                    }
                }
                None => fields.push(Field {
                    name: field_name,
                    kind,
                    columns: vec![column.clone()],
                }),
            }
        }
    }
    report.sort_by(|a, b| a.column.cmp(&b.column));
    report.dedup_by(|a, b| a.column == b.column);
    if fields.is_empty() || (names == NameColumns::Required && named_files.contains(&false)) {
        let described: Vec<String> = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !named_files[*i])
            .map(|(i, h)| format!("{}: {}", files[i], crate::table::describe_headers(h)))
            .collect();
        return Err(Error::Usage(format!(
            "no column could be read as a person's name (given name, family name or full name) from its header ({}); rename the columns (e.g. given_name, surname, full_name, date_of_birth, or Имя, Фамилия, שם פרטי, اسم العائلة, Prénom, Nachname, Apellido), or pass --settings with a field such as [[fields]] name = \"full_name\", kind = \"name\", columns = [\"YOUR COLUMN\"]",
            described.join("; ")
        )));
    }
    let has = |name: &str| fields.iter().any(|f| f.name == name);
    let mut comparisons = Vec::new();
    // One comparison per part of the person's name, read from whichever name fields a list has
    // (a list with only full names is compared with one with given and family names).
    let any_name = PERSON_FIELDS.iter().any(|n| has(n));
    if any_name {
        let field = *PERSON_FIELDS.iter().find(|n| has(n)).expect("a name field");
        for (name, part) in [
            ("given_name", NamePart::Given),
            ("family_name", NamePart::Family),
            ("patronymic", NamePart::Patronymic),
        ] {
            if part == NamePart::Patronymic && !has("patronymic") && !has("full_name") {
                continue;
            }
            comparisons.push(Comparison {
                name: name.into(),
                field: field.into(),
                term_frequency: part != NamePart::Patronymic,
                part: Some(part),
                ..Comparison::plain(name, Method::PersonName)
            });
        }
    }
    if has("date_of_birth") {
        comparisons.push(Comparison {
            age_field: has("age").then(|| "age".into()),
            ..Comparison::plain("date_of_birth", Method::Date)
        });
    } else if has("age") {
        comparisons.push(Comparison::plain("age", Method::Date));
    }
    for f in &fields {
        let c = match f.kind {
            FieldKind::Sex => Comparison::plain(&f.name, Method::Exact),
            FieldKind::Set => Comparison::plain(&f.name, Method::SetOverlap),
            // National ids: typed digit by digit, rarely shared. Postcodes and house numbers:
            // shared by neighbours, so a common one says less.
            FieldKind::Identifier if f.name == "national_id" => Comparison {
                thresholds: vec![1.0, 2.0],
                ..Comparison::plain(&f.name, Method::Levenshtein)
            },
            FieldKind::Identifier => Comparison {
                thresholds: vec![1.0],
                term_frequency: true,
                ..Comparison::plain(&f.name, Method::Levenshtein)
            },
            FieldKind::Text => Comparison {
                thresholds: vec![0.92, 0.80],
                term_frequency: true,
                ..Comparison::plain(&f.name, Method::JaroWinkler)
            },
            _ => continue,
        };
        comparisons.push(c);
    }
    comparisons.truncate(crate::compare::MAX_COMPARISONS);
    let rules = infer_rules(&fields);
    let settings = Settings {
        version: SETTINGS_VERSION,
        seed: default_seed(),
        id_columns,
        source_columns,
        variant_files: Vec::new(),
        as_of: None,
        fields,
        comparisons,
        blocking: Blocking {
            rules,
            max_pairs_per_rule: default_max_pairs_per_rule(),
        },
        training: Training::default(),
        thresholds: Thresholds::default(),
    };
    settings.validate("(inferred)")?;
    Ok((settings, report))
}

/// Candidate blocking rules for the fields present. The pipeline drops inferred rules that would
/// produce too many pairs for the data at hand (and says so in the report).
fn infer_rules(fields: &[Field]) -> Vec<String> {
    let has = |name: &str| fields.iter().any(|f| f.name == name);
    let mut rules = Vec::new();
    // Name parts come from given/family columns or a parsed full name alike.
    let names = PERSON_FIELDS.iter().any(|n| has(n));
    let (given, family) = (names, names);
    let dob = has("date_of_birth");
    if names {
        rules.push("sorted_names(given_name, family_name)".to_string());
        rules.push("metaphone(given_name) & metaphone(family_name)".into());
        // One name exact, the other only roughly: typos in one of them.
        rules.push("family_name & initial(given_name)".into());
        rules.push("given_name & prefix3(family_name)".into());
        rules.push("given_name & initial(family_name)".into());
        // Across scripts: consonant skeletons.
        rules.push("skeleton(given_name, family_name)".into());
    }
    if dob {
        rules.push("date_of_birth".into());
        // With ages in some lists, the year of birth they allow stands in for the date's year.
        let year = if has("age") {
            "birth_year(date_of_birth, age)"
        } else {
            "year(date_of_birth)"
        };
        if names {
            rules.push(format!("soundex(family_name) & {year}"));
            rules.push(format!("soundex(given_name) & {year}"));
            rules.push(format!("skeleton(family_name) & {year}"));
            rules.push(format!("metaphone(given_name) & {year}"));
        }
    }
    if names {
        rules.push("skeleton(family_name)".into());
    }
    if has("national_id") {
        rules.push("national_id".into());
    }
    let places: Vec<&Field> = fields
        .iter()
        .filter(|f| f.kind == FieldKind::Identifier && f.name != "national_id")
        .collect();
    for p in places
        .iter()
        .filter(|f| f.name.contains("post") || f.name.contains("zip"))
    {
        if family {
            rules.push(format!("{} & initial(family_name)", p.name));
        }
        if given {
            rules.push(format!("{} & initial(given_name)", p.name));
        }
    }
    if rules.is_empty() {
        // Fall back to every name-like or text field on its own.
        for f in fields.iter().filter(|f| {
            matches!(
                f.kind,
                FieldKind::Name | FieldKind::Text | FieldKind::Identifier
            )
        }) {
            rules.push(f.name.clone());
        }
    }
    if rules.is_empty() {
        rules.extend(fields.iter().map(|f| f.name.clone()));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn infers_febrl_columns() {
        let h = headers(&[
            "rec_id",
            "given_name",
            "surname",
            "street_number",
            "address_1",
            "address_2",
            "suburb",
            "postcode",
            "state",
            "date_of_birth",
            "soc_sec_id",
            "truth",
        ]);
        let (s, report) = infer(&[&h]).unwrap();
        assert_eq!(s.id_columns, vec!["rec_id"]);
        let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert!(
            names.contains(&"given_name")
                && names.contains(&"family_name")
                && names.contains(&"national_id")
        );
        assert!(!names.contains(&"truth"));
        assert!(
            report
                .iter()
                .any(|r| r.column == "truth" && r.role.starts_with("ignored"))
        );
        assert!(
            s.comparisons
                .iter()
                .any(|c| c.name == "date_of_birth" && c.method == Method::Date)
        );
        // round trip through TOML
        let again = Settings::from_toml(&s.to_toml(), "x.toml").unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn different_headers_share_a_field() {
        let a = headers(&["id", "first_name", "last_name"]);
        let b = headers(&["id", "given_name", "surname"]);
        let (s, _) = infer(&[&a, &b]).unwrap();
        let given = s.field("given_name").unwrap().1;
        assert_eq!(given.columns, vec!["first_name", "given_name"]);
    }

    #[test]
    fn no_known_column_is_an_error_naming_the_columns() {
        let a = headers(&["foo", "bar"]);
        let err = infer(&[&a]).unwrap_err().to_string();
        assert!(err.contains("foo, bar"), "{err}");
    }

    #[test]
    fn validation_reports_every_problem_with_its_key() {
        let h = headers(&["id", "given_name", "surname"]);
        let (mut s, _) = infer(&[&h]).unwrap();
        s.comparisons[0].field = "nope".into();
        s.comparisons[1].part = None;
        s.thresholds.match_probability = 1.5;
        let err = s.validate("my.toml").unwrap_err();
        let Error::Settings { path, problems } = &err else {
            panic!("{err}")
        };
        assert_eq!(path, "my.toml");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "comparisons[0].field",
                "comparisons[1].part",
                "thresholds.match_probability"
            ]
        );
        assert!(
            err.to_string()
                .contains("no field named `nope`; fields are: given_name, family_name")
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Settings::from_toml(
            "version = 1\nfields = []\ncomparisons = []\nbogus = 3\n[blocking]\nrules=[]\n",
            "s.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("s.toml") && err.contains("bogus"), "{err}");
    }
}
