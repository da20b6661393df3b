//! Field warnings: values a row holds that cannot be used as written (an impossible date, an
//! age out of range, no name in a name column), reported with file, line and column; the row stays.

use super::sex_key;
use crate::date::{parse_age, parse_date, parse_iso_date};
use crate::error::{Reject, Severity};
use crate::settings::{FieldKind, Settings};
use crate::table::RecordTable;

/// Years of birth before this are taken for placeholders or typos (and warned of).
pub(crate) const EARLIEST_BIRTH_YEAR: u16 = 1850;

/// Warnings for fields that could not be used as written: the row is accepted, the field
/// counts as empty (or, for an impossible date, is compared digit by digit). One warning per
/// field and row, with the file, line, column and raw value.
pub fn field_warnings<'a>(
    tables: impl IntoIterator<Item = &'a RecordTable>,
    settings: &Settings,
) -> Vec<crate::error::Reject> {
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
