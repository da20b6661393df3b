//! Ingest: read a file of records into a [`RecordTable`], accounting for every row — each is
//! accepted or comes back as a [`Reject`] with its line and reason.
//!
//! Readers (CSV, JSON Lines) only split a file into header and rows; [`TableBuilder`] applies the
//! rules every format shares (ids, sources, duplicates, ragged rows).

mod builder;
mod decode;
#[cfg(test)]
mod tests;

pub use builder::{MAX_VALUE_BYTES, TableBuilder};
pub use decode::{LEGACY_ENCODINGS, decode, hebrew_visual_order};

use crate::error::{Error, Reject, Result, Severity};
use crate::table::RecordTable;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::Path;

/// Which columns give the id and the source of a record: the first of each list that a file has.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub id_columns: Vec<String>,
    pub source_columns: Vec<String>,
    /// An encoding label that overrides detection (`--encoding`).
    pub encoding: Option<String>,
    /// The source of rows without a source column (default: the file's stem). Callers reading
    /// several files give each its own.
    pub source_name: Option<String>,
}

/// Per input file: what was read, for `report.json`. Always `rows_read = rows_accepted + rows_rejected`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileSummary {
    pub path: String,
    pub format: String,
    pub encoding: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// What a person should know about the file (e.g. Hebrew stored in visual order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A file read: its accepted rows, its rejects and its summary.
#[derive(Debug, Clone)]
pub struct ReadResult {
    pub table: RecordTable,
    pub rejects: Vec<Reject>,
    pub summary: FileSummary,
}

/// The formats a file can be read as, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" | "" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "parquet" => Err(Error::Input {
                path: path.to_path_buf(),
                line: None,
                message: "Parquet is not read yet; export the file to CSV or JSON Lines".into(),
            }),
            other => Err(Error::Input {
                path: path.to_path_buf(),
                line: None,
                message: format!(
                    "unknown file type `.{other}`; listlink reads .csv, .tsv, .txt, .jsonl and .ndjson"
                ),
            }),
        }
    }
}

/// The header names of a file, for inferring settings before the rows are read.
pub fn read_headers(path: &Path, encoding: Option<&str>) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    read_headers_from_bytes(&bytes, path, encoding)
}

/// The header names of a file's contents (`path` names it in messages and gives its format).
pub fn read_headers_from_bytes(
    bytes: &[u8],
    path: &Path,
    encoding: Option<&str>,
) -> Result<Vec<String>> {
    let (text, _) = decode(bytes, path, encoding)?;
    match Format::of(path)? {
        Format::Csv => {
            let mut splitter = crate::delimited::Splitter::new(&text, delimiter(&text));
            check_headers(csv_headers(&mut splitter, path)?, path)
        }
        Format::JsonLines => Ok(json_lines(&text, path)?.0),
    }
}

/// Reads a whole file.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<ReadResult> {
    let bytes = std::fs::read(path).map_err(|cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    read_bytes(&bytes, path, options)
}

/// Reads a file's contents (`path` names the source and appears in messages).
pub fn read_bytes(bytes: &[u8], path: &Path, options: &ReadOptions) -> Result<ReadResult> {
    let (text, encoding) = decode(bytes, path, options.encoding.as_deref())?;
    let format = Format::of(path)?;
    let (table, rejects, rows_read) = match format {
        Format::Csv => read_csv(&text, path, options)?,
        Format::JsonLines => {
            let (headers, rows) = json_lines(&text, path)?;
            let mut b = TableBuilder::new(path, headers, options)?;
            let n = rows.len() as u64;
            for (line, row) in rows {
                match row {
                    JsonRow::Fields(fields) => b.row(
                        line,
                        &fields.iter().map(String::as_str).collect::<Vec<_>>(),
                        || serde_json::to_string(&fields).unwrap_or_default(),
                    ),
                    JsonRow::Bad { reason, raw } => b.reject_row(line, reason, raw),
                }
            }
            let (t, r) = b.finish();
            (t, r, n)
        }
    };
    let rows_rejected = rejects
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .count() as u64;
    let summary = FileSummary {
        path: path.display().to_string(),
        format: match format {
            Format::Csv => "csv".into(),
            Format::JsonLines => "jsonl".into(),
        },
        encoding: encoding.into(),
        rows_read,
        rows_accepted: table.len() as u64,
        rows_rejected,
        notes: if hebrew_visual_order(&text) {
            vec!["Hebrew text looks stored in visual order (reversed: final letters begin words); convert it to logical order, or its names will not match".into()]
        } else {
            Vec::new()
        },
    };
    debug_assert_eq!(
        summary.rows_read,
        summary.rows_accepted + summary.rows_rejected
    );
    Ok(ReadResult {
        table,
        rejects,
        summary,
    })
}

/// The delimiter of a CSV text: the most frequent of `,`, `;`, tab in its first line.
fn delimiter(text: &str) -> u8 {
    let first = text.split(['\n', '\r']).next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (first.bytes().filter(|b| b == d).count(), *d == b','))
        .unwrap_or(b',')
}

/// The header of a delimited text: its first record, which must not be a runaway quote.
fn csv_headers<'a>(
    splitter: &mut crate::delimited::Splitter<'a>,
    path: &Path,
) -> Result<Vec<String>> {
    use crate::delimited::Item;
    match splitter.next() {
        Some(Item::Record(r)) => Ok(r.fields.iter().map(|f| f.to_string()).collect()),
        Some(Item::Runaway(r)) => Err(Error::Input {
            path: path.to_path_buf(),
            line: Some(r.line),
            message: format!("the header: {}", r.reason()),
        }),
        None => Err(Error::Input {
            path: path.to_path_buf(),
            line: Some(1),
            message: "the file is empty".into(),
        }),
    }
}

fn read_csv(
    text: &str,
    path: &Path,
    options: &ReadOptions,
) -> Result<(RecordTable, Vec<Reject>, u64)> {
    use crate::delimited::{Item, Splitter};
    let delimiter = delimiter(text);
    let mut splitter = Splitter::new(text, delimiter);
    let headers = csv_headers(&mut splitter, path)?;
    let mut b = TableBuilder::new(path, headers, options)?;
    let mut rows_read = 0;
    // Without quotes or carriage returns a record is a line and a field what lies between
    // delimiters: split the text directly, without copying.
    if !text.bytes().any(|c| c == b'"' || c == b'\r') && !text.starts_with('\n') {
        let delimiter = delimiter as char;
        b.expect_rows(text.bytes().filter(|&c| c == b'\n').count());
        let mut fields: Vec<&str> = Vec::new();
        for (i, line) in text.split('\n').enumerate().skip(1) {
            if line.is_empty() {
                continue;
            }
            rows_read += 1;
            fields.clear();
            fields.extend(line.split(delimiter));
            b.row(i as u64 + 1, &fields, || line.to_string());
        }
        let (t, r) = b.finish();
        return Ok((t, r, rows_read));
    }
    splitter.width = b.table.headers.len();
    for item in splitter {
        rows_read += 1;
        match item {
            Item::Record(r) => {
                let fields: Vec<&str> = r.fields.iter().map(|f| f.as_ref()).collect();
                b.row(r.line, &fields, || r.raw.to_string());
            }
            Item::Runaway(r) => b.reject_row(r.line, r.reason(), r.raw.to_string()),
        }
    }
    let (t, r) = b.finish();
    Ok((t, r, rows_read))
}

/// A JSON Lines file read: its header (every key in order of first appearance) and each line.
type JsonLines = (Vec<String>, Vec<(u64, JsonRow)>);

/// One line of a JSON Lines file: its fields in header order, or why it is not a record.
enum JsonRow {
    Fields(Vec<String>),
    Bad { reason: String, raw: String },
}

/// JSON Lines: one object per line; the header is every key in order of first appearance.
/// Values may be strings, numbers, booleans or null; a line that is not a JSON object becomes
/// a reject, and the lines after it are read.
fn json_lines(text: &str, path: &Path) -> Result<JsonLines> {
    let mut headers: Vec<String> = Vec::new();
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        let bad = |reason: String| {
            Err(JsonRow::Bad {
                reason,
                raw: line.to_string(),
            })
        };
        // serde_json's messages name a line and column, never the text itself.
        let parsed = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => bad("the line is JSON but not an object".into()),
            Err(e) => bad(format!("the line is not a JSON object: {e}")),
        };
        if let Ok(map) = &parsed {
            for k in map.keys() {
                if !index.contains_key(k) {
                    index.insert(k.clone(), headers.len());
                    headers.push(k.clone());
                }
            }
        }
        objects.push((line_no, parsed));
    }
    let rows = objects
        .into_iter()
        .map(|(line, parsed)| {
            let row = match parsed {
                Err(bad) => bad,
                Ok(map) => {
                    let mut fields = vec![String::new(); headers.len()];
                    for (k, v) in map {
                        fields[index[&k]] = match v {
                            serde_json::Value::String(s) => s,
                            serde_json::Value::Null => String::new(),
                            other => other.to_string(),
                        };
                    }
                    JsonRow::Fields(fields)
                }
            };
            (line, row)
        })
        .collect();
    if headers.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            line: None,
            message: "no line of the file is a JSON object with keys".into(),
        });
    }
    // JSON Lines has no header row; line numbers are the object's own line.
    Ok((check_headers(headers, path)?, rows))
}

fn check_headers(headers: Vec<String>, path: &Path) -> Result<Vec<String>> {
    let headers: Vec<String> = headers.into_iter().map(|h| h.trim().to_string()).collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Error::Input {
            path: path.to_path_buf(),
            line: Some(1),
            message: "the file has no header row".into(),
        });
    }
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(Error::Input {
                path: path.to_path_buf(),
                line: Some(1),
                message: format!("column {} of the header has no name", i + 1),
            });
        }
        if headers[..i].contains(h) {
            return Err(Error::Input {
                path: path.to_path_buf(),
                line: Some(1),
                message: format!("column `{h}` appears twice in the header"),
            });
        }
    }
    Ok(headers)
}
