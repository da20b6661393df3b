//! `RecordTable`: the rows of one input file, stored column by column.

use std::fmt;

/// The index of a record across all the tables of one run (tables concatenated in input order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowId(pub u32);

impl RowId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A column of strings in one buffer; an empty string is a missing value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrColumn {
    data: String,
    ends: Vec<u32>,
}

impl StrColumn {
    pub fn with_capacity(rows: usize) -> Self {
        StrColumn {
            data: String::new(),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Room for `rows` more values of `bytes` in all.
    pub fn reserve(&mut self, rows: usize, bytes: usize) {
        self.ends.reserve(rows);
        self.data.reserve(bytes);
    }

    /// The bytes of all values together.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    pub fn push(&mut self, value: &str) {
        self.data.push_str(value);
        let end = u32::try_from(self.data.len()).expect("a column holds at most 4 GiB of text");
        self.ends.push(end);
    }

    pub fn get(&self, row: usize) -> &str {
        let start = if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        };
        &self.data[start..self.ends[row] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// The accepted rows of one input file. Every row has a source name and an id; the other columns
/// keep their header names and raw (trimmed, UTF-8) text.
#[derive(Debug, Clone, Default)]
pub struct RecordTable {
    /// The file the rows came from, for messages.
    pub path: String,
    /// Source name per row: the `source` column if the file has one, else the file's stem.
    pub sources: StrColumn,
    /// Record id per row: the id column if there is one, else the row's number (1-based).
    pub ids: StrColumn,
    /// Line in the file where each row starts (1-based, the header is line 1).
    pub lines: Vec<u64>,
    /// Header names, in file order.
    pub headers: Vec<String>,
    /// One column per header.
    pub columns: Vec<StrColumn>,
}

impl RecordTable {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The given rows, in the given order, as a table of their own.
    pub fn rows(&self, rows: &[usize]) -> RecordTable {
        let mut out = RecordTable {
            path: self.path.clone(),
            headers: self.headers.clone(),
            columns: vec![StrColumn::with_capacity(rows.len()); self.headers.len()],
            ..Default::default()
        };
        for &r in rows {
            out.sources.push(self.sources.get(r));
            out.ids.push(self.ids.get(r));
            out.lines.push(self.lines[r]);
            for (c, col) in self.columns.iter().enumerate() {
                out.columns[c].push(col.get(r));
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The column with this header, if the file has it.
    pub fn column(&self, name: &str) -> Option<&StrColumn> {
        self.headers
            .iter()
            .position(|h| h == name)
            .map(|i| &self.columns[i])
    }
}

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.0)
    }
}

/// Whether a file's first line looks like a row of data rather than a header: one of its cells
/// holds no letter (an id number, a date, an age). Messages then say so instead of quoting the
/// line, which would put a person's data on the screen or in a log.
pub fn header_looks_like_data(headers: &[String]) -> bool {
    headers.iter().any(|h| {
        let h = h.trim();
        !h.is_empty() && !h.chars().any(char::is_alphabetic)
    })
}

/// The headers of a file for a message: the names, or only their count when the first line
/// looks like data.
pub fn describe_headers(headers: &[String]) -> String {
    if header_looks_like_data(headers) {
        format!(
            "the first line does not look like a header ({} fields); the file needs a header row naming its columns",
            headers.len()
        )
    } else {
        format!("columns: {}", headers.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_column_round_trips() {
        let mut c = StrColumn::default();
        for v in ["a", "", "Ивано́в", "x y"] {
            c.push(v);
        }
        assert_eq!(c.iter().collect::<Vec<_>>(), vec!["a", "", "Ивано́в", "x y"]);
        assert_eq!(c.len(), 4);
    }
}
