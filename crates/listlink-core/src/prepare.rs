//! Per-record features, computed once per run: keys, interned codes, term frequencies, parsed
//! dates. The comparison and blocking loops read only these arrays.

use crate::settings::{FieldKind, NamePart, PERSON_FIELDS, Settings};
use crate::table::{RecordTable, StrColumn};
use listlink_names::match_key;
use listlink_names::{NameForms, NameParts};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// A calendar date as written: components may be unknown (0) or out of range (kept as digits so a
/// typo like `19450493` can still be compared digit by digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    /// Written as `03/04/1987`: day and month may be either way round. Kept as read day-first,
    /// and comparisons try both readings; never silently guessed.
    pub ambiguous: bool,
}

impl Date {
    /// Whether the components form a real calendar date.
    pub fn is_valid(self) -> bool {
        self.year > 0
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
    }

    /// The other reading of an ambiguous date (day and month swapped).
    pub fn swapped(self) -> Date {
        Date {
            year: self.year,
            month: self.day,
            day: self.month,
            ambiguous: self.ambiguous,
        }
    }

    /// The readings of the date: one, or two when day and month are ambiguous.
    pub fn readings(self) -> impl Iterator<Item = Date> {
        std::iter::once(self).chain(self.ambiguous.then(|| self.swapped()))
    }

    /// The date as one number `YYYYMMDD`, for digit comparisons.
    pub fn digits(self) -> u32 {
        self.year as u32 * 10_000 + self.month as u32 * 100 + self.day as u32
    }

    /// Days since 0000-03-01 in the proleptic Gregorian calendar (valid dates only).
    pub fn day_number(self) -> i64 {
        let (y, m) = if self.month <= 2 {
            (self.year as i64 - 1, self.month as i64 + 9)
        } else {
            (self.year as i64, self.month as i64 - 3)
        };
        365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + self.day as i64 - 1
    }

    /// The date of a day number (the inverse of [`Date::day_number`]).
    pub fn from_day_number(n: i64) -> Date {
        // Civil-from-days over 400-year eras, counted from 0000-03-01.
        let era = n.div_euclid(146_097);
        let doe = n.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date {
            year,
            month,
            day,
            ambiguous: false,
        }
    }

    /// The date `days` after 1970-01-01 (for turning a clock reading into a date).
    pub fn from_unix_days(days: i64) -> Date {
        Date::from_day_number(
            Date {
                year: 1970,
                month: 1,
                day: 1,
                ambiguous: false,
            }
            .day_number()
                + days,
        )
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Whole years from `self` (a date of birth) to `at`.
    pub fn age_at(self, at: Date) -> i32 {
        let mut age = at.year as i32 - self.year as i32;
        if self.month != 0 && (at.month, at.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// Parses `YYYY-MM-DD` (a settings value), valid dates only.
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let d = parse_date(s)?;
    d.is_valid().then_some(d)
}

/// Parses a date of birth as written: `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/MM/DD`, `DD.MM.YYYY`,
/// `DD/MM/YYYY`, `YYYY-MM`, `YYYY`. Day-first is assumed for `DD/MM/YYYY`. Out-of-range
/// components are kept (they are typos to compare, not to discard); `None` means not a date at all.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    // A negative year, or a year of zeros (`0000-00-00`, a placeholder), is no date of birth.
    if s.starts_with('-') || s.bytes().take_while(|&b| b != b'-').all(|b| b == b'0') {
        return None;
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let num = |p: &str| -> Option<u32> {
        if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() {
            p.parse().ok()
        } else {
            None
        }
    };
    match parts.as_slice() {
        [one] if one.len() == 8 => {
            let n = num(one)?;
            Some(Date {
                year: (n / 10_000) as u16,
                month: (n / 100 % 100) as u8,
                day: (n % 100) as u8,
                ambiguous: false,
            })
        }
        [one] if one.len() == 4 => Some(Date {
            year: num(one)? as u16,
            month: 0,
            day: 0,
            ambiguous: false,
        }),
        [y, m] if y.len() == 4 && m.len() <= 2 => Some(Date {
            year: num(y)? as u16,
            month: num(m)? as u8,
            day: 0,
            ambiguous: false,
        }),
        [a, b, c] if a.len() == 4 && b.len() <= 2 && c.len() <= 2 => Some(Date {
            year: num(a)? as u16,
            month: num(b)? as u8,
            day: num(c)? as u8,
            ambiguous: false,
        }),
        [a, b, c] if c.len() == 4 && a.len() <= 2 && b.len() <= 2 => {
            let (first, second, year) = (num(a)? as u8, num(b)? as u8, num(c)? as u16);
            // D.M.Y with dots is always day-first; with slashes or dashes, a number over 12 says
            // which is the day, else both readings stay possible.
            let dots = s.contains('.');
            Some(if !dots && first <= 12 && second > 12 {
                Date {
                    year,
                    month: first,
                    day: second,
                    ambiguous: false,
                }
            } else {
                Date {
                    year,
                    month: second,
                    day: first,
                    ambiguous: !dots && first <= 12 && second <= 12 && first != second,
                }
            })
        }
        _ => None,
    }
}

/// Years of birth before this are taken for placeholders or typos (and warned of).
const EARLIEST_BIRTH_YEAR: u16 = 1850;

/// Parses an age in whole years (0–120).
pub fn parse_age(s: &str) -> Option<u8> {
    let n: u32 = s.trim().parse().ok()?;
    (n <= 120).then_some(n as u8)
}

/// Warnings for fields that could not be used as written: the row is accepted, the field
/// counts as empty (or, for an impossible date, is compared digit by digit). One warning per
/// field and row, with the file, line, column and raw value.
pub fn field_warnings<'a>(
    tables: impl IntoIterator<Item = &'a RecordTable>,
    settings: &Settings,
) -> Vec<crate::error::Reject> {
    use crate::error::{Reject, Severity};
    let as_of = settings.as_of.as_deref().and_then(parse_iso_date);
    let mut out = Vec::new();
    for t in tables {
        let mut warn = |row: usize, column: &str, reason: String, raw: &str| {
            out.push(Reject {
                file: t.path.clone(),
                line: t.lines[row],
                field: Some(column.to_string()),
                severity: Severity::Warning,
                reason,
                raw: raw.to_string(),
            })
        };
        for field in &settings.fields {
            let Some((ci, column)) = field
                .columns
                .iter()
                .find_map(|c| t.headers.iter().position(|h| h == c).map(|i| (i, c)))
            else {
                continue;
            };
            let values = &t.columns[ci];
            for row in 0..t.len() {
                let v = values.get(row);
                if v.is_empty() {
                    continue;
                }
                match field.kind {
                    FieldKind::Date => match parse_date(v) {
                        None => warn(row, column, "not a date (YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY, YYYYMMDD, YYYY); left empty".into(), v),
                        Some(d) if d.month != 0 && d.day != 0 && !d.is_valid() && !d.swapped().is_valid() => {
                            warn(row, column, "not a calendar date; compared digit by digit".into(), v)
                        }
                        Some(d) if d.year < EARLIEST_BIRTH_YEAR => warn(
                            row,
                            column,
                            format!("a year of birth before {EARLIEST_BIRTH_YEAR}: a placeholder or a typo; compared as written"),
                            v,
                        ),
                        Some(d) if as_of.is_some_and(|a| d.digits() > a.digits() && d.month != 0) || as_of.is_some_and(|a| d.year > a.year) => warn(
                            row,
                            column,
                            "a date of birth after the date ages are counted at (as_of): a typo or a wrong column; compared as written".into(),
                            v,
                        ),
                        _ => {}
                    },
                    FieldKind::Age if parse_age(v).is_none() => {
                        warn(row, column, "not an age in whole years from 0 to 120; left empty".into(), v)
                    }
                    FieldKind::Sex if !matches!(sex_key(v).as_str(), "m" | "f" | "x" | "u") => {
                        warn(row, column, "unknown sex code; compared as written".into(), v)
                    }
                    _ => {}
                }
            }
        }
        // A record with no name at all can only be found by its other fields.
        let name_columns: Vec<usize> = settings
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Name)
            .flat_map(|f| f.columns.iter())
            .filter_map(|c| t.headers.iter().position(|h| h == c))
            .collect();
        if !name_columns.is_empty() {
            for row in 0..t.len() {
                // Punctuation, spaces and invisible characters alone are no name either.
                let nameless =
                    |c: &usize| !t.columns[*c].get(row).chars().any(char::is_alphanumeric);
                if name_columns.iter().all(nameless) {
                    let column = t.headers[name_columns[0]].clone();
                    let written = name_columns
                        .iter()
                        .any(|&c| !t.columns[c].get(row).is_empty());
                    let reason = if written {
                        "no name in any name column (only punctuation, spaces or invisible characters)"
                    } else {
                        "no name in any name column"
                    };
                    warn(row, &column, reason.into(), "");
                }
            }
        }
    }
    out
}

/// Normalises a sex code to `m`, `f` or `x` (unknown codes kept as their key).
pub fn sex_key(s: &str) -> String {
    const MALE: [&str; 21] = [
        "m",
        "male",
        "man",
        "masc",
        "h",
        "homme",
        "mann",
        "м",
        "муж",
        "мужской",
        "мужчина",
        "ч",
        "чол",
        "чоловік",
        "чоловіча",
        "זכר",
        "ז",
        "ذكر",
        "ذ",
        "ذكور",
        "مذكر",
    ];
    const FEMALE: [&str; 22] = [
        "f",
        "female",
        "woman",
        "fem",
        "w",
        "femme",
        "frau",
        "ж",
        "жен",
        "женский",
        "женщина",
        "жін",
        "жінка",
        "жіноча",
        "נקבה",
        "נ",
        "أنثى",
        "انثى",
        "أنثي",
        "انثي",
        "ا",
        "أ",
    ];
    let k = listlink_names::fold(s);
    if MALE.contains(&k.as_str()) {
        "m".into()
    } else if FEMALE.contains(&k.as_str()) {
        "f".into()
    } else {
        match_key(s)
    }
}

/// Features of one text-like field for all rows.
#[derive(Debug, Clone, Default)]
pub struct TextFeature {
    /// The distinct ASCII match keys, by code (code 0 is "", a missing value).
    pub values: StrColumn,
    /// Interned key per row; 0 when missing. Equal codes ⇔ equal keys.
    pub codes: Vec<u32>,
    /// Per code, the key's shape and, when short, the key itself, in 32 bytes: what comparing
    /// two values reads, one memory access each.
    pub lines: Vec<ValueLine>,
    /// Share of non-missing rows with each code (index 0 unused).
    pub frequency: Vec<f64>,
    /// The non-missing rows `frequency` shares are of (a store's whole roster when
    /// `frequency::reweigh` gave its shares).
    pub present: u64,
}

/// Features of one date or age field.
#[derive(Debug, Clone, Default)]
pub struct DateFeature {
    /// Parsed date per row, `None` when missing or unreadable.
    pub dates: Vec<Option<Date>>,
}

/// Features of one age field.
#[derive(Debug, Clone, Default)]
pub struct AgeFeature {
    pub ages: Vec<Option<u8>>,
}

/// Features of a multi-valued field: sorted interned codes per row.
#[derive(Debug, Clone, Default)]
pub struct SetFeature {
    pub ends: Vec<u32>,
    pub codes: Vec<u32>,
}

impl SetFeature {
    pub fn get(&self, row: usize) -> &[u32] {
        let start = if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        };
        &self.codes[start..self.ends[row] as usize]
    }
}

#[derive(Debug, Clone)]
pub enum FieldFeature {
    Text(TextFeature),
    Date(DateFeature),
    Age(AgeFeature),
    Set(SetFeature),
}

/// Which records may be paired with which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// Every pair of records, within and across sources.
    Dedupe,
    /// Only pairs of records from different sources.
    Link,
    /// Only pairs of a query record (side 0) and a roster record (side 1).
    Find,
}

/// Everything the comparison and blocking loops read, for all rows of a run.
#[derive(Debug, Clone)]
pub struct Features {
    /// Distinguishes these features from others built in the same process (for caches keyed
    /// by value codes).
    pub id: u64,
    pub link_type: LinkType,
    /// Source index per row (into `source_names`).
    pub source: Vec<u32>,
    pub source_names: Vec<String>,
    /// For find: 0 query, 1 roster. Otherwise 0.
    pub side: Vec<u8>,
    /// One entry per settings field, in settings order.
    pub fields: Vec<FieldFeature>,
    /// The date ages are counted at; without it a date of birth is not compared with an age.
    pub as_of: Option<Date>,
    /// Persons' names, parsed and analysed, when the settings have name fields.
    pub person: Option<PersonFeature>,
    /// Per row, the values the comparison loop reads first, in one cache line (when the
    /// settings have at most [`Packed::SLOTS`] − 2 fields).
    pub packed: Option<Packed>,
}

/// One cache line of a row's packed values.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
pub struct Line(pub [u32; Packed::SLOTS]);

/// Rows' values packed row by row, so that comparing a pair reads two cache lines rather than
/// one array per field: slot `i` holds field `i`'s value (text: its code; date: [`pack_date`];
/// age: age + 1; 0: missing or not packed), and the two slots from [`Packed::person`] the
/// row's given and family name tokens when its name is simple (one reading, at most one token
/// per part, no patronymic) — else [`Packed::COMPLEX`].
#[derive(Debug, Clone, Default)]
pub struct Packed {
    pub rows: Vec<Line>,
    /// Slot of the given-name token (the family token is next), if there are names.
    pub person: Option<usize>,
}

impl Packed {
    pub const SLOTS: usize = 16;
    /// A name part the row does not have.
    pub const NO_TOKEN: u32 = u32::MAX;
    /// The row's name is not simple: compare its readings.
    pub const COMPLEX: u32 = u32::MAX - 1;

    #[inline]
    pub fn row(&self, row: usize) -> &[u32; Packed::SLOTS] {
        &self.rows[row].0
    }

    fn build(
        fields: &[FieldFeature],
        person: Option<&PersonFeature>,
        rows: usize,
    ) -> Option<Packed> {
        if fields.len() + 2 > Packed::SLOTS {
            return None;
        }
        let person_slot = person.map(|_| fields.len());
        let lines = (0..rows)
            .into_par_iter()
            .map(|r| {
                let mut line = Line::default();
                for (i, field) in fields.iter().enumerate() {
                    line.0[i] = match field {
                        FieldFeature::Text(t) => t.codes[r],
                        FieldFeature::Date(d) => d.dates[r].map_or(0, pack_date),
                        FieldFeature::Age(a) => a.ages[r].map_or(0, |v| u32::from(v) + 1),
                        FieldFeature::Set(_) => 0,
                    };
                }
                if let (Some(slot), Some(p)) = (person_slot, person) {
                    let readings = &p.readings[r];
                    let one = |ids: &[u32]| match ids {
                        [] => Some(Packed::NO_TOKEN),
                        [t] if *t < Packed::COMPLEX => Some(*t),
                        _ => None,
                    };
                    let simple = match readings.as_slice() {
                        [only] if only.patronymic.is_empty() => {
                            one(&only.given).zip(one(&only.family))
                        }
                        _ => None,
                    };
                    let (g, f) = simple.unwrap_or((Packed::COMPLEX, Packed::COMPLEX));
                    line.0[slot] = g;
                    line.0[slot + 1] = f;
                }
                line
            })
            .collect();
        Some(Packed {
            rows: lines,
            person: person_slot,
        })
    }
}

/// The date a nonzero [`pack_date`] word holds.
pub fn unpack_date(word: u32) -> Date {
    Date {
        year: (word >> 14) as u16,
        month: ((word >> 9) & 0x1F) as u8,
        day: ((word >> 4) & 0x1F) as u8,
        ambiguous: word & 2 != 0,
    }
}

/// A date in one word: equal nonzero words ⇔ equal dates as read. 0 for a date whose month or
/// day is out of range (kept for digit comparisons; the loop then reads the date itself).
pub fn pack_date(d: Date) -> u32 {
    if d.month > 12 || d.day > 31 {
        return 0;
    }
    (u32::from(d.year) << 14 | u32::from(d.month) << 9 | u32::from(d.day) << 4)
        | u32::from(d.ambiguous) << 1
        | 1
}

/// One reading of a person's name: token ids (into [`PersonFeature::forms`]) per part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartIds {
    pub given: Vec<u32>,
    pub patronymic: Vec<u32>,
    pub family: Vec<u32>,
    /// Whether which part is given and which family was guessed (see
    /// `listlink_names::parts::order_guessed`).
    pub guessed_order: bool,
}

impl PartIds {
    pub fn part(&self, part: NamePart) -> &[u32] {
        match part {
            NamePart::Given => &self.given,
            NamePart::Family => &self.family,
            NamePart::Patronymic => &self.patronymic,
        }
    }
}

/// Persons' names for all rows. Each distinct token is analysed once (`forms`); a row holds one
/// or two readings of its name (from given/family columns, and from a full-name column).
#[derive(Debug, Clone, Default)]
pub struct PersonFeature {
    /// Distinguishes this feature from others built in the same process (for caches keyed by
    /// token ids).
    pub id: u64,
    /// The given-name variant groups in use (the bundled table, plus the user's files).
    pub variants: std::sync::Arc<listlink_names::variants::Variants>,
    pub forms: Vec<NameForms>,
    /// Per token, its one-line summary and its rendering keys (`TokenSigs`), which settle most
    /// pairs of tokens without their forms.
    pub sigs: listlink_names::forms::TokenSigs,
    pub readings: Vec<Vec<PartIds>>,
    /// Per part (given, patronymic, family): the share of rows whose first reading's first token
    /// is each token id (index = token id), for term-frequency adjustments.
    pub frequency: [Vec<f64>; 3],
    /// Per part, how many rows' first readings have it: the rows `frequency` shares are of.
    pub present: [usize; 3],
}

impl PersonFeature {
    /// The share of rows whose first token in this part is this name, in any script (tokens of
    /// one variant group, else of one consonant skeleton, count together).
    pub fn share(&self, part: NamePart, token: u32) -> f64 {
        self.frequency[part_index(part)]
            .get(token as usize)
            .copied()
            .unwrap_or(0.0)
    }

    /// How many rows' first readings have a name in this part.
    pub fn present(&self, part: NamePart) -> usize {
        self.present[part_index(part)]
    }
}

/// What a name token counts as in [`PersonFeature::share`]: its variant group, else its
/// consonant skeleton, else the token as written.
pub fn share_key(forms: &NameForms) -> String {
    match (
        forms.groups.first(),
        forms.skeletons.first().filter(|s| s.chars().count() >= 2),
    ) {
        (Some(g), _) => format!("g{g}"),
        (None, Some(sk)) => format!("s{sk}"),
        (None, None) => format!("w{}", forms.written),
    }
}

pub fn part_index(part: NamePart) -> usize {
    match part {
        NamePart::Given => 0,
        NamePart::Patronymic => 1,
        NamePart::Family => 2,
    }
}

/// Builds the person feature from the name fields, if there are any.
fn person_feature(
    tables: &[RecordTable],
    settings: &Settings,
    variants: std::sync::Arc<listlink_names::variants::Variants>,
) -> Option<PersonFeature> {
    let column = |name: &str| -> Option<Vec<&str>> {
        let (_, field) = settings
            .field(name)
            .filter(|(_, f)| f.kind == FieldKind::Name)?;
        Some(FieldValues::new(tables, &field.columns).iter().collect())
    };
    let [given, family, patronymic, full, maiden] = PERSON_FIELDS.map(column);
    if given.is_none() && family.is_none() && patronymic.is_none() && full.is_none() {
        return None;
    }
    let rows = tables.iter().map(RecordTable::len).sum::<usize>();
    fn cell<'a>(c: &Option<Vec<&'a str>>, r: usize) -> &'a str {
        c.as_ref().map_or("", |v| v[r])
    }
    let parse = |r: usize| {
        let (g, f, p, full_name) = (
            cell(&given, r),
            cell(&family, r),
            cell(&patronymic, r),
            cell(&full, r),
        );
        let mut readings: Vec<(NameParts, bool)> = Vec::with_capacity(1);
        if !g.trim().is_empty() || !f.trim().is_empty() {
            readings.push((listlink_names::from_columns(g, f, p, ""), false));
        }
        if !full_name.trim().is_empty() {
            let mut parts = listlink_names::parse_full_name(full_name);
            if readings.is_empty() {
                parts
                    .patronymic
                    .extend(listlink_names::parts::name_tokens(p));
            }
            readings.push((parts, listlink_names::parts::order_guessed(full_name)));
        }
        // A maiden name is one more reading: the same person under her family name at birth.
        let maiden_name = cell(&maiden, r);
        if !maiden_name.trim().is_empty()
            && let Some((first, _)) = readings.first()
        {
            let mut born = first.clone();
            born.family = listlink_names::parts::name_tokens(maiden_name);
            readings.push((born, false));
        }
        readings.retain(|(r, _)| !r.is_empty());
        readings
    };
    // Rows are parsed in parallel a chunk at a time and their tokens interned in row order
    // (ids by first appearance), so the parsed strings of one chunk only are held at once.
    const ROWS: usize = 65_536;
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut tokens = StrColumn::default();
    let mut readings: Vec<Vec<PartIds>> = Vec::with_capacity(rows);
    let mut intern = |list: &[String]| -> Vec<u32> {
        list.iter()
            .map(|t| match index.get(t.as_str()) {
                Some(&id) => id,
                None => {
                    let id = tokens.len() as u32;
                    tokens.push(t);
                    index.insert(t.as_str().into(), id);
                    id
                }
            })
            .collect()
    };
    for start in (0..rows).step_by(ROWS) {
        let parsed: Vec<Vec<(NameParts, bool)>> = (start..(start + ROWS).min(rows))
            .into_par_iter()
            .map(parse)
            .collect();
        for row in &parsed {
            let mut ids = Vec::with_capacity(row.len());
            for (parts, guessed_order) in row {
                ids.push(PartIds {
                    given: intern(&parts.given),
                    patronymic: intern(&parts.patronymic),
                    family: intern(&parts.family),
                    guessed_order: *guessed_order,
                });
            }
            readings.push(ids);
        }
    }
    drop(index);
    let tokens: Vec<&str> = tokens.iter().collect();
    let forms: Vec<NameForms> = tokens
        .par_iter()
        .map(|t| listlink_names::analyse(t, &variants))
        .collect();
    let mut frequency = [
        vec![0.0; forms.len()],
        vec![0.0; forms.len()],
        vec![0.0; forms.len()],
    ];
    // How common a name is, across scripts: tokens count together when they share a variant
    // group, else a consonant skeleton (Alina, Алина and אלינה are one name).
    let mut key_index: FxHashMap<String, usize> = FxHashMap::default();
    let token_key: Vec<usize> = forms
        .iter()
        .map(|f| {
            let key = share_key(f);
            let next = key_index.len();
            *key_index.entry(key).or_insert(next)
        })
        .collect();
    // One pass over the rows for the three parts: each row's first reading is read once.
    let parts = [NamePart::Given, NamePart::Patronymic, NamePart::Family];
    let mut counts = vec![vec![0.0; key_index.len()]; 3];
    let mut present = [0usize; 3];
    for first in readings.iter().filter_map(|row| row.first()) {
        for part in parts {
            if let Some(&token) = first.part(part).first() {
                counts[part_index(part)][token_key[token as usize]] += 1.0;
                present[part_index(part)] += 1;
            }
        }
    }
    for part in parts {
        let (counts, present) = (&counts[part_index(part)], present[part_index(part)]);
        for (token, share) in frequency[part_index(part)].iter_mut().enumerate() {
            *share = counts[token_key[token]] / present.max(1) as f64;
        }
    }
    let id = next_id();
    let sigs = listlink_names::forms::TokenSigs::new(&forms);
    Some(PersonFeature {
        id,
        variants,
        sigs,
        forms,
        readings,
        frequency,
        present,
    })
}

/// A process-wide id, never 0.
fn next_id() -> u64 {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Features {
    pub fn len(&self) -> usize {
        self.source.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Whether rows `a` and `b` (a ≠ b) may form a candidate pair.
    #[inline]
    pub fn allowed(&self, a: usize, b: usize) -> bool {
        match self.link_type {
            LinkType::Dedupe => true,
            LinkType::Link => self.source[a] != self.source[b],
            LinkType::Find => self.side[a] != self.side[b],
        }
    }

    pub fn text(&self, field: usize) -> &TextFeature {
        match &self.fields[field] {
            FieldFeature::Text(t) => t,
            _ => panic!("field {field} is not a text field"),
        }
    }
}

/// The raw value of a settings field for one row of the concatenated tables.
pub struct FieldValues<'a> {
    tables: &'a [RecordTable],
    /// Per table: the column index holding this field, if the table has one.
    columns: Vec<Option<usize>>,
}

impl<'a> FieldValues<'a> {
    pub fn new(tables: &'a [RecordTable], candidates: &[String]) -> Self {
        let columns = tables
            .iter()
            .map(|t| {
                candidates
                    .iter()
                    .find_map(|c| t.headers.iter().position(|h| h == c))
            })
            .collect();
        FieldValues { tables, columns }
    }

    /// Iterates the values of all rows of all tables, in order ("" when the table lacks the field).
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.tables.iter().zip(&self.columns).flat_map(|(t, c)| {
            let col = c.map(|i| &t.columns[i]);
            (0..t.len()).map(move |r| col.map_or("", |c| c.get(r)))
        })
    }
}

/// Computes the features of all rows: `tables` concatenated in order; `sides` gives, per table,
/// the side for find (ignored otherwise).
pub fn prepare(
    tables: &[RecordTable],
    sides: &[u8],
    settings: &Settings,
    link_type: LinkType,
) -> Features {
    prepare_with(tables, sides, settings, link_type, bundled_variants())
}

/// The bundled given-name variants, shared (not copied) by every run that uses them.
pub fn bundled_variants() -> std::sync::Arc<listlink_names::variants::Variants> {
    static SHARED: std::sync::OnceLock<std::sync::Arc<listlink_names::variants::Variants>> =
        std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| std::sync::Arc::new(listlink_names::variants::bundled().clone()))
        .clone()
}

/// [`prepare`] with the given-name variants to use (the bundled table and a user's own files).
pub fn prepare_with(
    tables: &[RecordTable],
    sides: &[u8],
    settings: &Settings,
    link_type: LinkType,
    variants: std::sync::Arc<listlink_names::variants::Variants>,
) -> Features {
    let mut source_names: Vec<String> = Vec::new();
    let mut source = Vec::new();
    let mut side = Vec::new();
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    for (t, &s) in tables.iter().zip(sides) {
        for name in t.sources.iter() {
            let id = *index.entry(name).or_insert_with(|| {
                source_names.push(name.to_string());
                (source_names.len() - 1) as u32
            });
            source.push(id);
            side.push(s);
        }
    }
    let as_of = settings.as_of.as_deref().and_then(parse_iso_date);
    // The fields and the names side by side: the names' sequential steps (interning, counting)
    // overlap the fields' parallel ones.
    let (fields, person) = rayon::join(
        || -> Vec<FieldFeature> {
            settings
                .fields
                .par_iter()
                .map(|field| {
                    let values = FieldValues::new(tables, &field.columns);
                    let raw: Vec<&str> = values.iter().collect();
                    match field.kind {
                        FieldKind::Date => FieldFeature::Date(DateFeature {
                            dates: raw.par_iter().map(|v| parse_date(v)).collect(),
                        }),
                        FieldKind::Age => FieldFeature::Age(AgeFeature {
                            ages: raw.par_iter().map(|v| parse_age(v)).collect(),
                        }),
                        FieldKind::Set => FieldFeature::Set(set_feature(&raw)),
                        FieldKind::Sex => FieldFeature::Text(text_feature(&raw, sex_key)),
                        FieldKind::Identifier => {
                            FieldFeature::Text(text_feature(&raw, identifier_key))
                        }
                        FieldKind::Name | FieldKind::Text => {
                            FieldFeature::Text(text_feature(&raw, match_key))
                        }
                    }
                })
                .collect::<Vec<FieldFeature>>()
        },
        || person_feature(tables, settings, variants),
    );
    let packed = Packed::build(&fields, person.as_ref(), source.len());
    Features {
        id: next_id(),
        person,
        packed,
        link_type,
        source,
        source_names,
        side,
        fields,
        as_of,
    }
}

/// Identifiers compare on letters and digits only: `123-45 67` ~ `1234567`.
fn identifier_key(s: &str) -> String {
    match_key(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

impl TextFeature {
    /// The match key of a row ("" when missing).
    #[inline]
    pub fn key(&self, row: usize) -> &str {
        self.values.get(self.codes[row] as usize)
    }

    /// The key of a code.
    #[inline]
    pub fn value(&self, code: u32) -> &[u8] {
        let line = &self.lines[code as usize];
        match line.text() {
            Some(text) => text,
            None => self.values.get(code as usize).as_bytes(),
        }
    }

    /// The shape of a code's key (`listlink_names::similarity::shape`).
    #[inline]
    pub fn shape(&self, code: u32) -> u64 {
        self.lines[code as usize].shape
    }
}

/// One distinct value of a text field as comparisons read it: its shape (length and
/// characters, for bounds that spare reading the key) and the key itself when it has at most
/// [`ValueLine::INLINE`] bytes. Two lines share a cache line and none straddles two.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub struct ValueLine {
    pub shape: u64,
    /// The key's length, or `u8::MAX` when it is kept only in `TextFeature::values`.
    len: u8,
    text: [u8; ValueLine::INLINE],
}

impl ValueLine {
    /// Keys up to this many bytes are kept in the line.
    pub const INLINE: usize = 23;

    fn new(key: &[u8]) -> ValueLine {
        let mut line = ValueLine {
            shape: listlink_names::similarity::shape(key),
            len: u8::MAX,
            text: [0; ValueLine::INLINE],
        };
        if key.len() <= ValueLine::INLINE {
            line.len = key.len() as u8;
            line.text[..key.len()].copy_from_slice(key);
        }
        line
    }

    /// The key, when the line holds it.
    #[inline]
    pub fn text(&self) -> Option<&[u8]> {
        self.text.get(..usize::from(self.len))
    }
}

fn text_feature(raw: &[&str], key_of: fn(&str) -> String) -> TextFeature {
    // Keys computed in parallel into one buffer per chunk of rows, not one string per row:
    // each key's temporary string is freed at once, and the keys take their bytes only.
    const ROWS: usize = 16_384;
    let keyed: Vec<StrColumn> = raw
        .par_chunks(ROWS)
        .map(|chunk| {
            let mut keys = StrColumn::with_capacity(chunk.len());
            for v in chunk {
                keys.push(&key_of(v));
            }
            keys
        })
        .collect();
    let mut values = StrColumn::default();
    values.push("");
    let mut codes = Vec::with_capacity(raw.len());
    let mut intern: FxHashMap<&str, u32> = FxHashMap::default();
    let mut counts: Vec<u64> = vec![0];
    for k in keyed.iter().flat_map(StrColumn::iter) {
        if k.is_empty() {
            codes.push(0);
            continue;
        }
        let next = counts.len() as u32;
        let code = *intern.entry(k).or_insert(next);
        if code == next {
            counts.push(0);
            values.push(k);
        }
        counts[code as usize] += 1;
        codes.push(code);
    }
    let lines = (0..values.len())
        .map(|code| ValueLine::new(values.get(code).as_bytes()))
        .collect();
    let present: u64 = counts.iter().sum();
    let frequency = counts
        .iter()
        .map(|&c| {
            if present == 0 {
                0.0
            } else {
                c as f64 / present as f64
            }
        })
        .collect();
    TextFeature {
        values,
        codes,
        lines,
        frequency,
        present,
    }
}

fn set_feature(raw: &[&str]) -> SetFeature {
    let mut intern: FxHashMap<String, u32> = FxHashMap::default();
    let mut out = SetFeature::default();
    for v in raw {
        let mut row: Vec<u32> = v
            .split([';', ',', '|', '/'])
            .map(match_key)
            .filter(|k| !k.is_empty())
            .map(|k| {
                let next = intern.len() as u32 + 1;
                *intern.entry(k).or_insert(next)
            })
            .collect();
        row.sort_unstable();
        row.dedup();
        out.codes.extend(row);
        out.ends.push(out.codes.len() as u32);
    }
    out
}

/// Asks the processor to bring `line` into cache (a hint: no effect on results).
#[inline(always)]
pub fn prefetch<T>(line: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch never faults and reads nothing into the program; the pointer is
        // valid anyway (it comes from a reference).
        unsafe { _mm_prefetch::<_MM_HINT_T0>((line as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = line;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_date_forms() {
        let d = Date {
            year: 1987,
            month: 3,
            day: 14,
            ambiguous: false,
        };
        for s in [
            "1987-03-14",
            "19870314",
            "1987/3/14",
            "14.03.1987",
            "14/03/1987",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(
            parse_date("1987"),
            Some(Date {
                year: 1987,
                month: 0,
                day: 0,
                ambiguous: false
            })
        );
        // An impossible date is kept as its digits, not dropped.
        let typo = parse_date("19450493").unwrap();
        assert!(!typo.is_valid());
        assert_eq!(typo.digits(), 19450493);
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn day_and_month_are_never_silently_guessed() {
        let d = parse_date("03/04/1987").unwrap();
        assert!(d.ambiguous, "both readings stay possible");
        let readings: Vec<(u8, u8)> = d.readings().map(|r| (r.month, r.day)).collect();
        assert_eq!(readings, vec![(4, 3), (3, 4)]);
        // A number over 12 says which is the day, either way round.
        let us = parse_date("04/13/1987").unwrap();
        assert_eq!((us.month, us.day, us.ambiguous), (4, 13, false));
        let eu = parse_date("13/04/1987").unwrap();
        assert_eq!((eu.month, eu.day, eu.ambiguous), (4, 13, false));
        // Dots are day-first by convention; the same day twice is no ambiguity.
        assert!(!parse_date("03.04.1987").unwrap().ambiguous);
        assert!(!parse_date("05/05/1987").unwrap().ambiguous);
    }

    #[test]
    fn ages_and_day_numbers() {
        let dob = Date {
            year: 1990,
            month: 6,
            day: 15,
            ambiguous: false,
        };
        assert_eq!(
            dob.age_at(Date {
                year: 2020,
                month: 6,
                day: 14,
                ambiguous: false
            }),
            29
        );
        assert_eq!(
            dob.age_at(Date {
                year: 2020,
                month: 6,
                day: 15,
                ambiguous: false
            }),
            30
        );
        let a = Date {
            year: 2000,
            month: 2,
            day: 28,
            ambiguous: false,
        };
        let b = Date {
            year: 2000,
            month: 3,
            day: 1,
            ambiguous: false,
        };
        assert_eq!(b.day_number() - a.day_number(), 2);
        assert!(
            !Date {
                year: 2001,
                month: 2,
                day: 29,
                ambiguous: false
            }
            .is_valid()
        );
        assert!(
            Date {
                year: 2000,
                month: 2,
                day: 29,
                ambiguous: false
            }
            .is_valid()
        );
    }

    #[test]
    fn interns_and_counts() {
        let t = text_feature(&["Smith", "SMITH", "", "Jones"], match_key);
        assert_eq!(t.codes[0], t.codes[1]);
        assert_eq!(t.codes[2], 0);
        assert_ne!(t.codes[3], t.codes[0]);
        assert!((t.frequency[t.codes[0] as usize] - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn warnings_name_the_field_and_keep_the_row() {
        let mut t = RecordTable {
            path: "w.csv".into(),
            headers: vec![
                "given_name".into(),
                "dob".into(),
                "age".into(),
                "sex".into(),
            ],
            ..Default::default()
        };
        t.columns = vec![StrColumn::default(); 4];
        for (i, row) in [
            ["Anna", "1980-02-30", "", "F"],
            ["", "soon", "200", "Q"],
            ["Ivan", "1980-02-03", "44", "m"],
        ]
        .iter()
        .enumerate()
        {
            t.sources.push("w");
            t.ids.push(&i.to_string());
            t.lines.push(i as u64 + 2);
            for (c, v) in row.iter().enumerate() {
                t.columns[c].push(v);
            }
        }
        let (s, _) = crate::settings::infer(&[&t.headers]).unwrap();
        let w = field_warnings([&t], &s);
        let got: Vec<(u64, &str, &str)> = w
            .iter()
            .map(|r| (r.line, r.field.as_deref().unwrap(), r.raw.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "dob", "1980-02-30"),
                (3, "dob", "soon"),
                (3, "age", "200"),
                (3, "sex", "Q"),
                (3, "given_name", "")
            ]
        );
        assert!(
            w.iter()
                .all(|r| r.severity == crate::error::Severity::Warning)
        );
    }

    #[test]
    fn sex_codes() {
        // English, French, German, Russian, Ukrainian, Hebrew, Arabic, as lists write them.
        for m in [
            "Male",
            "M",
            "m.",
            "homme",
            "Mann",
            "м",
            "М.",
            "муж",
            "мужской",
            "чол",
            "זכר",
            "ז",
            "ذكر",
            "ذ",
        ] {
            assert_eq!(sex_key(m), "m", "{m}");
        }
        for f in [
            "Female",
            "F",
            "W",
            "femme",
            "Frau",
            "ж",
            "Ж.",
            "жен",
            "женский",
            "жін",
            "נקבה",
            "נ",
            "أنثى",
            "انثى",
            "ا",
        ] {
            assert_eq!(sex_key(f), "f", "{f}");
        }
        assert_eq!(sex_key("Q"), "q");
    }
}
