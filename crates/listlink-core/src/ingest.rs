//! Ingest: read a file of records into a [`RecordTable`], accounting for every row — each is
//! accepted or comes back as a [`Reject`] with its line and reason.
//!
//! Readers (CSV, JSON Lines) only split a file into header and rows; [`TableBuilder`] applies the
//! rules every format shares (ids, sources, duplicates, ragged rows).

use crate::error::{Error, Reject, Result, Severity};
use crate::table::{RecordTable, StrColumn};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::Path;

/// Which columns give the id and the source of a record: the first of each list that a file has.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub id_columns: Vec<String>,
    pub source_columns: Vec<String>,
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
pub fn read_headers(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_headers_from_bytes(&bytes, path)
}

/// The header names of a file's contents (`path` names it in messages and gives its format).
pub fn read_headers_from_bytes(bytes: &[u8], path: &Path) -> Result<Vec<String>> {
    let text = decode(bytes, path)?;
    match Format::of(path)? {
        Format::Csv => {
            let mut reader = csv_reader(&text);
            let headers = reader.headers().map_err(|e| csv_error(path, e))?;
            check_headers(headers.iter().map(str::to_string).collect(), path)
        }
        Format::JsonLines => Ok(json_lines(&text, path)?.0),
    }
}

/// Reads a whole file.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<ReadResult> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_bytes(&bytes, path, options)
}

/// Reads a file's contents (`path` names the source and appears in messages).
pub fn read_bytes(bytes: &[u8], path: &Path, options: &ReadOptions) -> Result<ReadResult> {
    let text = decode(bytes, path)?;
    let format = Format::of(path)?;
    let (table, rejects, rows_read) = match format {
        Format::Csv => read_csv(&text, path, options)?,
        Format::JsonLines => {
            let (headers, rows) = json_lines(&text, path)?;
            let mut b = TableBuilder::new(path, headers, options)?;
            let n = rows.len() as u64;
            for (line, fields) in rows {
                b.row(line, fields.iter().map(String::as_str).collect(), || {
                    fields.join(",")
                });
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
        encoding: "UTF-8".into(),
        rows_read,
        rows_accepted: table.len() as u64,
        rows_rejected,
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

/// UTF-8, with or without a byte-order mark.
fn decode<'a>(bytes: &'a [u8], path: &Path) -> Result<std::borrow::Cow<'a, str>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1;
            Err(Error::Input {
                path: path.to_path_buf(),
                line: Some(line),
                message: "the file is not valid UTF-8; save it as UTF-8 (legacy encodings are not yet read)".into(),
            })
        }
    }
}

/// The delimiter of a CSV text: the most frequent of `,`, `;`, tab in its first line.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (first.bytes().filter(|b| b == d).count(), *d == b','))
        .unwrap_or(b',')
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes())
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    Error::Input {
        path: path.to_path_buf(),
        line,
        message: e.to_string(),
    }
}

fn read_csv(
    text: &str,
    path: &Path,
    options: &ReadOptions,
) -> Result<(RecordTable, Vec<Reject>, u64)> {
    let mut reader = csv_reader(text);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut b = TableBuilder::new(path, headers, options)?;
    let mut record = csv::StringRecord::new();
    let mut rows_read = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows_read += 1;
                let line = record.position().map_or(0, |p| p.line());
                b.row(line, record.iter().collect(), || {
                    record.iter().collect::<Vec<_>>().join(",")
                });
            }
            Err(e) => return Err(csv_error(path, e)),
        }
    }
    let (t, r) = b.finish();
    Ok((t, r, rows_read))
}

/// JSON Lines: one object per line; the header is every key in order of first appearance.
/// Values may be strings, numbers, booleans or null; a line that is not an object is rejected
/// by the builder as ragged (it yields no fields).
#[allow(clippy::type_complexity)]
fn json_lines(text: &str, path: &Path) -> Result<(Vec<String>, Vec<(u64, Vec<String>)>)> {
    let mut headers: Vec<String> = Vec::new();
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| Error::Input {
            path: path.to_path_buf(),
            line: Some(line_no),
            message: format!("not a JSON object: {e}"),
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err(Error::Input {
                path: path.to_path_buf(),
                line: Some(line_no),
                message: "not a JSON object".into(),
            });
        };
        for k in map.keys() {
            if !index.contains_key(k) {
                index.insert(k.clone(), headers.len());
                headers.push(k.clone());
            }
        }
        objects.push((line_no, map));
    }
    let rows = objects
        .into_iter()
        .map(|(line, map)| {
            let mut fields = vec![String::new(); headers.len()];
            for (k, v) in map {
                fields[index[&k]] = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
            }
            (line, fields)
        })
        .collect();
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

/// Builds a table row by row, applying the rules every format shares.
pub struct TableBuilder {
    table: RecordTable,
    rejects: Vec<Reject>,
    stem: String,
    id_col: Option<usize>,
    source_col: Option<usize>,
    /// (source, id) → line of first appearance.
    seen: FxHashMap<(String, String), u64>,
    rows: u64,
}

impl TableBuilder {
    pub fn new(path: &Path, headers: Vec<String>, options: &ReadOptions) -> Result<TableBuilder> {
        let headers = check_headers(headers, path)?;
        let find = |names: &[String]| {
            names
                .iter()
                .find_map(|n| headers.iter().position(|h| h == n))
        };
        let id_col = find(&options.id_columns);
        let source_col = find(&options.source_columns);
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("input")
            .to_string();
        let table = RecordTable {
            path: path.display().to_string(),
            columns: vec![StrColumn::default(); headers.len()],
            headers,
            ..Default::default()
        };
        Ok(TableBuilder {
            table,
            rejects: Vec::new(),
            stem,
            id_col,
            source_col,
            seen: FxHashMap::default(),
            rows: 0,
        })
    }

    fn reject(&mut self, line: u64, field: Option<&str>, reason: String, raw: String) {
        self.rejects.push(Reject {
            file: self.table.path.clone(),
            line,
            field: field.map(str::to_string),
            severity: Severity::Error,
            reason,
            raw,
        });
    }

    /// Adds one row (or rejects it).
    pub fn row(&mut self, line: u64, fields: Vec<&str>, raw: impl FnOnce() -> String) {
        self.rows += 1;
        let width = self.table.headers.len();
        if fields.len() != width {
            let reason = format!(
                "the row has {} fields, the header has {width}",
                fields.len()
            );
            self.reject(line, None, reason, raw());
            return;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            self.reject(line, None, "the row is empty".into(), raw());
            return;
        }
        let source = match self.source_col.map(|c| fields[c].trim()) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => self.stem.clone(),
        };
        let id = match self.id_col {
            Some(c) => {
                let id = fields[c].trim();
                if id.is_empty() {
                    let name = self.table.headers[c].clone();
                    self.reject(line, Some(&name), "the record has no id".into(), raw());
                    return;
                }
                id.to_string()
            }
            None => self.rows.to_string(),
        };
        if let Some(first) = self.seen.get(&(source.clone(), id.clone())) {
            let name = self.id_col.map(|c| self.table.headers[c].clone());
            let reason =
                format!("duplicate id `{id}` in source `{source}` (first at line {first})");
            self.reject(line, name.as_deref(), reason, raw());
            return;
        }
        self.seen.insert((source.clone(), id.clone()), line);
        self.table.sources.push(&source);
        self.table.ids.push(&id);
        self.table.lines.push(line);
        for (c, v) in self.table.columns.iter_mut().zip(&fields) {
            c.push(v.trim());
        }
    }

    pub fn finish(self) -> (RecordTable, Vec<Reject>) {
        (self.table, self.rejects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, name: &str) -> ReadResult {
        read_bytes(
            text.as_bytes(),
            Path::new(name),
            &ReadOptions {
                id_columns: vec!["id".into()],
                source_columns: vec![],
            },
        )
        .unwrap()
    }

    #[test]
    fn reads_csv_and_accounts_for_every_row() {
        let r = read(
            "\u{feff}id,given_name,surname\n1,Anna,Ivanova\n2,\"Smith, J\",x\n3,too,many,fields\n,no,id\n1,dup,licate\n,,\n4, Pavel ,Orlov\n",
            "people.csv",
        );
        assert_eq!(r.table.len(), 3);
        assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["1", "2", "4"]);
        assert_eq!(r.table.column("given_name").unwrap().get(2), "Pavel");
        assert_eq!(r.table.sources.get(0), "people");
        let reasons: Vec<(u64, &str)> = r
            .rejects
            .iter()
            .map(|x| (x.line, x.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (4, "the row has 4 fields, the header has 3"),
                (5, "the record has no id"),
                (6, "duplicate id `1` in source `people` (first at line 2)"),
                (7, "the row is empty"),
            ]
        );
        assert_eq!(r.summary.rows_read, 7);
        assert_eq!(
            r.summary.rows_read,
            r.summary.rows_accepted + r.summary.rows_rejected
        );
    }

    #[test]
    fn detects_semicolons_and_tabs() {
        let r = read("id;surname\n1;Müller\n", "a.csv");
        assert_eq!(r.table.column("surname").unwrap().get(0), "Müller");
        let r = read("id\tsurname\n1\tO'Neil\n", "a.tsv");
        assert_eq!(r.table.column("surname").unwrap().get(0), "O'Neil");
    }

    #[test]
    fn reads_json_lines() {
        let r = read(
            "{\"id\": 7, \"surname\": \"Коваль\"}\n\n{\"id\": \"8\", \"given_name\": null}\n",
            "x.jsonl",
        );
        assert_eq!(r.table.headers, vec!["id", "surname", "given_name"]);
        assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["7", "8"]);
        assert_eq!(r.table.lines, vec![1, 3]);
    }

    #[test]
    fn header_problems_are_errors_with_the_file() {
        let e = read_bytes(b"id,id\n1,2\n", Path::new("h.csv"), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "h.csv:1: column `id` appears twice in the header");
        let e = read_bytes(
            b"id,x\n\xff\xfe,1\n",
            Path::new("b.csv"),
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("b.csv:2: the file is not valid UTF-8"), "{e}");
        assert!(Format::of(Path::new("a.xlsx")).is_err());
    }

    #[test]
    fn source_column_and_row_number_ids() {
        let r = read_bytes(
            b"source,name\nhospital,A\npolice,B\n,C\n",
            Path::new("lists.csv"),
            &ReadOptions {
                id_columns: vec![],
                source_columns: vec!["source".into()],
            },
        )
        .unwrap();
        assert_eq!(
            r.table.sources.iter().collect::<Vec<_>>(),
            vec!["hospital", "police", "lists"]
        );
        assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["1", "2", "3"]);
    }
}
