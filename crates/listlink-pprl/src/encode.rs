//! A CSV list into CLKs: header checked against the schema's identifiers, every value validated
//! (all problems reported, each with its line and field), records encoded in parallel, in input
//! order.

use crate::clk::ClkSet;
use crate::hashing::{Filter, derive_keys, insert};
use crate::schema::{Schema, TextEncoding};
use crate::secret::Secret;
use crate::values::{encode_token, latin_reading, prepare, skeleton_tokens, tokens};
use rayon::prelude::*;
use std::fmt;
use std::io::Read;

/// A value that cannot be encoded: where, and why (never the value itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// 1-based line of the CSV file.
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// At most this many problems are kept in an error; the count says how many there were.
const MAX_PROBLEMS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("{file}: {source}")]
    Csv { file: String, source: csv::Error },
    #[error("{file}:1: {message}")]
    Header { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Row {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{}", EntriesDisplay { file, problems, total: *total })]
    Entries {
        file: String,
        problems: Vec<EntryProblem>,
        total: usize,
    },
}

struct EntriesDisplay<'a> {
    file: &'a str,
    problems: &'a [EntryProblem],
    total: usize,
}

impl fmt::Display for EntriesDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} value(s) cannot be encoded",
            self.file, self.total
        )?;
        for p in self.problems {
            write!(
                f,
                "\n  {}:{}: {}: {}",
                self.file, p.line, p.field, p.message
            )?;
        }
        if self.total > self.problems.len() {
            write!(f, "\n  … and {} more", self.total - self.problems.len())?;
        }
        Ok(())
    }
}

/// Encodes every record of a CSV list (with a header naming the schema's features in order).
pub fn encode_csv(
    input: impl Read,
    file: &str,
    schema: &Schema,
    secret: &Secret,
) -> Result<ClkSet, EncodeError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let csv_err = |source| EncodeError::Csv {
        file: file.to_string(),
        source,
    };
    let header = reader.headers().map_err(csv_err)?.clone();
    let expected: Vec<&str> = schema
        .features
        .iter()
        .map(|f| f.identifier.as_str())
        .collect();
    let found: Vec<&str> = header.iter().collect();
    if found != expected {
        return Err(EncodeError::Header {
            file: file.to_string(),
            message: format!(
                "the header must name the schema's features in order: expected {}, found {}",
                expected.join(","),
                found.join(",")
            ),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != expected.len() {
            return Err(EncodeError::Row {
                file: file.to_string(),
                line,
                message: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    expected.len()
                ),
            });
        }
        rows.push((line, record));
    }
    encode_rows(
        rows.iter()
            .map(|(line, r)| (*line, r.iter().collect::<Vec<_>>()))
            .collect(),
        file,
        schema,
        secret,
    )
}

/// Encodes rows of values (one per feature), each with the line it came from.
pub fn encode_rows(
    rows: Vec<(u64, Vec<&str>)>,
    file: &str,
    schema: &Schema,
    secret: &Secret,
) -> Result<ClkSet, EncodeError> {
    let keys = derive_keys(secret, schema);
    let results: Vec<Result<Vec<u64>, Vec<EntryProblem>>> = rows
        .par_iter()
        .with_min_len(64)
        .map(|(line, values)| encode_record(*line, values, schema, &keys))
        .collect();
    let mut problems = Vec::new();
    let mut total = 0;
    let mut filters = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(f) => filters.push(f),
            Err(p) => {
                total += p.len();
                problems.extend(
                    p.into_iter()
                        .take(MAX_PROBLEMS.saturating_sub(problems.len())),
                );
            }
        }
    }
    if total > 0 {
        return Err(EncodeError::Entries {
            file: file.to_string(),
            problems,
            total,
        });
    }
    Ok(ClkSet::from_words(schema.l, filters))
}

fn encode_record(
    line: u64,
    values: &[&str],
    schema: &Schema,
    keys: &[crate::hashing::FeatureKeys],
) -> Result<Vec<u64>, Vec<EntryProblem>> {
    let mut filter = Filter::new(schema.hash_len());
    let mut problems = Vec::new();
    let mut bytes = Vec::new();
    for ((feature, value), key) in schema.features.iter().zip(values).zip(keys) {
        let Some(h) = &feature.hashing else { continue };
        let mut problem = |message: String| {
            problems.push(EntryProblem {
                line,
                field: feature.identifier.clone(),
                message,
            })
        };
        let formatted = match prepare(feature, h, value) {
            Ok(v) => v,
            Err(m) => {
                problem(m);
                continue;
            }
        };
        let ext = h.extension.unwrap_or_default();
        let result = if ext.transliterate {
            // Token by token, so that the order of the name's parts does not matter.
            let reading = latin_reading(&formatted, ext.drop_patronymics);
            let mut toks = Vec::new();
            let mut result = Ok(());
            for part in reading.split(' ').filter(|t| !t.is_empty()) {
                match tokens(&h.comparison, part) {
                    Ok(t) => toks.extend(t),
                    Err(m) => result = Err(m),
                }
            }
            if ext.skeleton {
                toks.extend(skeleton_tokens(&formatted, ext.drop_patronymics));
            }
            result.map(|()| toks)
        } else {
            tokens(&h.comparison, &formatted)
        };
        let toks = match result {
            Ok(t) => t,
            Err(m) => {
                problem(m);
                continue;
            }
        };
        if toks.is_empty() {
            continue;
        }
        let encoding = match &feature.format {
            Some(crate::schema::Format::String { encoding, .. }) => *encoding,
            _ => TextEncoding::Utf8,
        };
        for (tok, k) in toks.iter().zip(h.strategy.bits_per_token(toks.len())) {
            if let Err(m) = encode_token(tok, encoding, &mut bytes) {
                problem(m);
                break;
            }
            insert(&mut filter, &bytes, k, h.hash, key);
        }
    }
    if problems.is_empty() {
        Ok(filter.fold(schema.xor_folds).words)
    } else {
        Err(problems)
    }
}
