//! Settings from column names: each header matched against names in eight languages to a
//! role (id, source, name parts, date of birth, age, sex, places, identifiers), then the fields,
//! comparisons and blocking rules those roles call for.

use super::*;

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
    let comparisons = infer_comparisons(&fields);
    let rules = infer_rules(&fields);
    let tighten_with = infer_tighteners(&fields);
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
            tighten_with,
            max_candidate_pairs: None,
        },
        training: Training::default(),
        thresholds: Thresholds::default(),
    };
    settings.validate("(inferred)")?;
    Ok((settings, report))
}

/// The comparisons for the fields present: one per part of the person's name, the date of
/// birth (with the age beside it) or the age, and one per other field by its kind.
fn infer_comparisons(fields: &[Field]) -> Vec<Comparison> {
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
        // Whether the names agree as written or swapped (swaps are rarer among the same
        // person's records than among different people's: EM learns how much rarer).
        if has("full_name") || (has("given_name") && has("family_name")) {
            comparisons.push(Comparison {
                name: "name_order".into(),
                field: field.into(),
                ..Comparison::plain("name_order", Method::NameOrder)
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
    for f in fields {
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
    comparisons.truncate(MAX_COMPARISONS);
    comparisons
}

/// Keys that narrow a rule too broad for large data: a name's initial, the year of birth, a
/// postcode. Each is cheap to agree on for a true match whose other fields differ.
fn infer_tighteners(fields: &[Field]) -> Vec<String> {
    let has = |name: &str| fields.iter().any(|f| f.name == name);
    let mut keys = Vec::new();
    if PERSON_FIELDS.iter().any(|n| has(n)) {
        keys.push("initial(given_name)".to_string());
        keys.push("initial(family_name)".to_string());
    }
    if has("date_of_birth") {
        keys.push(if has("age") {
            "birth_year(date_of_birth, age)".to_string()
        } else {
            "year(date_of_birth)".to_string()
        });
    }
    keys.extend(
        fields
            .iter()
            .filter(|f| f.kind == FieldKind::Identifier && f.name != "national_id")
            .filter(|f| f.name.contains("post") || f.name.contains("zip"))
            .map(|f| f.name.clone()),
    );
    keys
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
