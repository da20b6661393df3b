//! [`TableBuilder`]: a table built row by row under the rules every format shares: ids and
//! sources, duplicate ids, ragged rows, oversized values, each row accepted or a [`Reject`].

use super::{ReadOptions, check_headers};
use crate::error::{Reject, Result, Severity};
use crate::table::{RecordTable, StrColumn};
use std::path::Path;

/// Builds a table row by row, applying the rules every format shares.
pub struct TableBuilder {
    pub(crate) table: RecordTable,
    rejects: Vec<Reject>,
    stem: String,
    id_col: Option<usize>,
    source_col: Option<usize>,
    /// The accepted rows (their index in the table) by a hash of their source and id: a
    /// duplicate id is found by reading the table, without a copy of any id.
    seen: hashbrown::HashTable<u32>,
    rows: u64,
    /// Rows the file is expected to hold, when known: storage is sized once from the first
    /// rows rather than regrown (each regrowth copies the column and touches new memory).
    expected: usize,
}

/// Values longer than this are cut (with a warning): no name, date or place is so long, and
/// comparing one costs time in its length for every pair it is in.
pub const MAX_VALUE_BYTES: usize = 1024;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Rows read before the columns' storage is sized for the rest.
pub(crate) const SIZING_ROWS: u64 = 1024;

pub(crate) fn source_id_hash(source: &str, id: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one((source, id))
}

/// The hash of an accepted row's source and id, for the duplicate-id table to rehash by.
pub(crate) fn row_hash(table: &RecordTable, row: u32) -> u64 {
    source_id_hash(table.sources.get(row as usize), table.ids.get(row as usize))
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
        let stem = match &options.source_name {
            Some(name) => name.clone(),
            None => path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("input")
                .to_string(),
        };
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
            seen: hashbrown::HashTable::new(),
            rows: 0,
            expected: 0,
        })
    }

    pub(crate) fn reject(&mut self, line: u64, field: Option<&str>, reason: String, raw: String) {
        self.rejects.push(Reject {
            file: self.table.path.clone(),
            line,
            field: field.map(str::to_string),
            severity: Severity::Error,
            reason,
            raw,
        });
    }

    /// Rejects a whole row that could not even be split into fields (it still counts as a row,
    /// so that ids by row number stay the rows' numbers).
    pub fn reject_row(&mut self, line: u64, reason: String, raw: String) {
        self.rows += 1;
        self.reject(line, None, reason, raw);
    }

    /// Expect about this many rows: row storage is reserved now, and text storage once the
    /// first rows show how long each column's values are.
    pub fn expect_rows(&mut self, rows: usize) {
        self.expected = rows;
        let t = &self.table;
        self.seen.reserve(rows, |&r| row_hash(t, r));
        let t = &mut self.table;
        t.ids.reserve(rows, 0);
        t.sources.reserve(rows, 0);
        t.lines.reserve(rows);
        for c in &mut t.columns {
            c.reserve(rows, 0);
        }
    }

    /// Adds one row (or rejects it).
    pub fn row(&mut self, line: u64, fields: &[&str], raw: impl FnOnce() -> String) {
        self.rows += 1;
        if self.rows == SIZING_ROWS && self.expected as u64 > SIZING_ROWS {
            let rest = self.expected - SIZING_ROWS as usize;
            let t = &mut self.table;
            for c in [&mut t.ids, &mut t.sources]
                .into_iter()
                .chain(&mut t.columns)
            {
                // An eighth more than the first rows' average length, for the longer ones.
                let bytes = c.bytes() * rest / c.len().max(1);
                c.reserve(0, bytes + bytes / 8);
            }
        }
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
        let number;
        let id: &str = match self.id_col {
            Some(c) => {
                let id = fields[c].trim();
                if id.is_empty() {
                    let name = self.table.headers[c].clone();
                    self.reject(line, Some(&name), "the record has no id".into(), raw());
                    return;
                }
                if id.chars().any(char::is_control) {
                    let name = self.table.headers[c].clone();
                    let reason = "the id holds control characters (such as NUL bytes), which no one can type to find it again".into();
                    self.reject(line, Some(&name), reason, raw());
                    return;
                }
                id
            }
            None => {
                number = self.rows.to_string();
                &number
            }
        };
        let source: &str = match self.source_col.map(|c| fields[c].trim()) {
            Some(s) if !s.is_empty() => s,
            _ => &self.stem,
        };
        let table = &self.table;
        let hash = source_id_hash(source, id);
        let same =
            |&r: &u32| table.ids.get(r as usize) == id && table.sources.get(r as usize) == source;
        if let Some(&first) = self.seen.find(hash, same) {
            let first = self.table.lines[first as usize];
            let name = self.id_col.map(|c| self.table.headers[c].clone());
            let reason =
                format!("duplicate id `{id}` in source `{source}` (first at line {first})");
            self.reject(line, name.as_deref(), reason, raw());
            return;
        }
        let row = u32::try_from(self.table.len()).expect("a table holds under 2^32 rows");
        let table = &self.table;
        self.seen.insert_unique(hash, row, |&r| row_hash(table, r));
        self.table.sources.push(source);
        self.table.ids.push(id);
        self.table.lines.push(line);
        for (i, v) in fields.iter().enumerate() {
            let v = v.trim();
            let kept = cut(v, MAX_VALUE_BYTES);
            if kept.len() < v.len() {
                self.rejects.push(Reject {
                    file: self.table.path.clone(),
                    line,
                    field: Some(self.table.headers[i].clone()),
                    severity: Severity::Warning,
                    reason: format!(
                        "the value is {} bytes long; only its first {} are kept and compared",
                        v.len(),
                        kept.len()
                    ),
                    raw: cut(v, 200).to_string(),
                });
            }
            self.table.columns[i].push(kept);
        }
    }

    pub fn finish(self) -> (RecordTable, Vec<Reject>) {
        (self.table, self.rejects)
    }
}
