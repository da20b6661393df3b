//! Delimited text (CSV, semicolon, tab) split into records with the physical line each starts
//! on, and quoted fields that run away (a quote never closed, swallowing the rows after it)
//! caught before they merge rows.
//!
//! RFC 4180 quoting, read leniently as spreadsheets write it: a field that starts with `"` runs
//! to the next `"` not doubled, and what follows the closing quote up to the delimiter is kept;
//! a quote inside an unquoted field is a character. Line breaks are `\n`, `\r\n` and a lone `\r`
//! alike, so line numbers are right in Unix, Windows and old Mac files.

use std::borrow::Cow;

/// One record: its fields, the line it starts on, and its text as written (without the line
/// break that ends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub line: u64,
    pub fields: Vec<Cow<'a, str>>,
    pub raw: &'a str,
}

/// A quoted field that swallowed what look like whole rows: the record is not kept, and
/// reading resumes on the line after the one where the quote opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runaway<'a> {
    /// The line the record starts on.
    pub line: u64,
    /// The line the runaway quote opened on.
    pub quote_line: u64,
    /// The line the quote closed on, or `None` when it never closes before the end of the file.
    pub closed_line: Option<u64>,
    /// The record's first physical line as written.
    pub raw: &'a str,
}

impl Runaway<'_> {
    /// The reason, for a reject row.
    pub fn reason(&self) -> String {
        let closed = match self.closed_line {
            Some(l) => format!("not closed until line {l}"),
            None => "never closed before the end of the file".to_string(),
        };
        format!(
            "a quote opened at line {} is {closed}, swallowing the rows after it: this row is rejected and the lines after it are read as rows of their own",
            self.quote_line
        )
    }
}

/// What the splitter yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    Record(Record<'a>),
    Runaway(Runaway<'a>),
}

/// A quoted field spanning more line breaks than this is taken as runaway, whatever its lines
/// hold: no name, date or address is written over so many lines.
const MAX_FIELD_LINE_BREAKS: usize = 20;

/// Splits `text` into records. `width` is the header's field count once known (0 for the
/// header itself): a quoted field whose inner lines each hold a row's worth of delimiters is a
/// runaway.
pub struct Splitter<'a> {
    text: &'a str,
    delimiter: u8,
    pos: usize,
    line: u64,
    pub width: usize,
}

impl<'a> Splitter<'a> {
    pub fn new(text: &'a str, delimiter: u8) -> Splitter<'a> {
        Splitter {
            text,
            delimiter,
            pos: 0,
            line: 1,
            width: 0,
        }
    }

    /// The length of the line break at `i`, if one starts there.
    fn line_break(&self, i: usize) -> Option<usize> {
        match self.text.as_bytes().get(i) {
            Some(b'\n') => Some(1),
            Some(b'\r') if self.text.as_bytes().get(i + 1) == Some(&b'\n') => Some(2),
            Some(b'\r') => Some(1),
            _ => None,
        }
    }

    /// Skips to just after the first line break at or after `i` (or the end), counting it.
    fn resume_after_line_of(&mut self, i: usize, line: u64) {
        let bytes = self.text.as_bytes();
        let mut j = i;
        while j < bytes.len() && bytes[j] != b'\n' && bytes[j] != b'\r' {
            j += 1;
        }
        self.line = line;
        match self.line_break(j) {
            Some(n) => {
                self.pos = j + n;
                self.line += 1;
            }
            None => self.pos = j,
        }
    }

    /// Whether the inner lines of a quoted field (all but the first) look like rows of their own.
    fn holds_rows(&self, content: &str) -> bool {
        if self.width < 2 {
            return false;
        }
        let inner: Vec<&str> = content.split(['\n', '\r']).skip(1).collect();
        let full = inner
            .iter()
            .filter(|l| {
                l.bytes().filter(|&b| b == self.delimiter).count() + 1 >= self.width
                    && !l.trim().is_empty()
            })
            .count();
        // In a two-column file one comma in an address line is ordinary; two such lines are not.
        full >= if self.width == 2 { 2 } else { 1 }
    }
}

impl<'a> Iterator for Splitter<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        let bytes = self.text.as_bytes();
        // Empty lines are no records.
        while let Some(n) = self.line_break(self.pos) {
            self.pos += n;
            self.line += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let start_line = self.line;
        let mut line = self.line;
        let mut i = self.pos;
        let mut fields: Vec<Cow<'a, str>> = Vec::new();
        loop {
            if bytes.get(i) == Some(&b'"') {
                let quote_line = line;
                let quote_at = i;
                let mut value = String::new();
                let mut breaks = 0usize;
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' if bytes.get(i + 1) == Some(&b'"') => {
                            value.push('"');
                            i += 2;
                        }
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => {
                            if let Some(n) = self.line_break(i) {
                                line += 1;
                                breaks += 1;
                                value.push_str(&self.text[i..i + n]);
                                i += n;
                            } else {
                                // Copy up to the next quote or line break in one go.
                                let run = bytes[i..]
                                    .iter()
                                    .position(|&b| b == b'"' || b == b'\n' || b == b'\r')
                                    .unwrap_or(bytes.len() - i);
                                value.push_str(&self.text[i..i + run]);
                                i += run;
                            }
                        }
                    }
                }
                let runaway = breaks > 0
                    && (!closed || breaks > MAX_FIELD_LINE_BREAKS || self.holds_rows(&value));
                if runaway {
                    let first_line_end = bytes[start..]
                        .iter()
                        .position(|&b| b == b'\n' || b == b'\r')
                        .map_or(bytes.len(), |p| start + p);
                    let item = Runaway {
                        line: start_line,
                        quote_line,
                        closed_line: closed.then_some(line),
                        raw: &self.text[start..first_line_end.max(start)],
                    };
                    // Read on from the line after the one the quote opened on.
                    self.resume_after_line_of(quote_at, quote_line);
                    return Some(Item::Runaway(item));
                }
                // After the closing quote, anything up to the delimiter belongs to the field.
                let rest = bytes[i..]
                    .iter()
                    .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
                    .unwrap_or(bytes.len() - i);
                value.push_str(&self.text[i..i + rest]);
                i += rest;
                fields.push(Cow::Owned(value));
            } else {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
                    .unwrap_or(bytes.len() - i);
                fields.push(Cow::Borrowed(&self.text[i..i + end]));
                i += end;
            }
            if bytes.get(i) == Some(&self.delimiter) {
                i += 1;
                continue;
            }
            break;
        }
        let raw = &self.text[start..i];
        match self.line_break(i) {
            Some(n) => {
                self.pos = i + n;
                self.line = line + 1;
            }
            None => {
                self.pos = i;
                self.line = line;
            }
        }
        Some(Item::Record(Record {
            line: start_line,
            fields,
            raw,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str, width: usize) -> Vec<Item<'_>> {
        let mut s = Splitter::new(text, b',');
        s.width = width;
        s.collect()
    }

    fn lines_and_fields(text: &str) -> Vec<(u64, Vec<String>)> {
        lines_and_fields_width(text, 0)
    }

    #[test]
    fn line_numbers_are_physical_whatever_the_line_breaks() {
        let unix = "a,b\n1,2\n\n3,4\n";
        let windows = unix.replace('\n', "\r\n");
        let mac = unix.replace('\n', "\r");
        let expected = vec![
            (1, vec!["a".to_string(), "b".into()]),
            (2, vec!["1".into(), "2".into()]),
            (4, vec!["3".into(), "4".into()]),
        ];
        for text in [unix.to_string(), windows, mac] {
            assert_eq!(lines_and_fields(&text), expected, "{text:?}");
        }
    }

    #[test]
    fn quotes_are_read_as_spreadsheets_write_them() {
        let text = "a,b\n\"Smith, J\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nO\"Neil,y\n";
        assert_eq!(
            lines_and_fields(text),
            vec![
                (1, vec!["a".to_string(), "b".into()]),
                (2, vec!["Smith, J".into(), "say \"hi\"".into()]),
                (3, vec!["two\nlines".into(), "x".into()]),
                (5, vec!["O\"Neil".into(), "y".into()]),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_caught_and_the_rows_after_it_are_read() {
        let mut text = String::from("id,full_name\n");
        for i in 1..=100 {
            let quote = if i == 49 { "\"" } else { "" };
            text += &format!("R{i},{quote}N{i} F{i}\n");
        }
        let all = items(&text, 2);
        // The header, 99 records and one runaway: no row merged into another.
        assert_eq!(all.len(), 101);
        let runaway: Vec<&Runaway> = all
            .iter()
            .filter_map(|i| match i {
                Item::Runaway(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(runaway.len(), 1);
        assert_eq!((runaway[0].line, runaway[0].quote_line), (50, 50));
        assert_eq!(runaway[0].closed_line, None);
        assert_eq!(runaway[0].raw, "R49,\"N49 F49");
        let Item::Record(last) = all.last().unwrap() else {
            panic!()
        };
        assert_eq!((last.line, last.raw), (101, "R100,N100 F100"));
    }

    #[test]
    fn a_quote_closed_rows_later_is_caught_too() {
        let text = "id,name,dob\n1,\"Anna,1980\n2,Boris,1981\n3,Olga\",1982\n4,Ivan,1983\n";
        let got = lines_and_fields_width(text, 3);
        assert_eq!(
            got,
            vec![
                (1, vec!["id".to_string(), "name".into(), "dob".into()]),
                (2, vec!["runaway@2".into()]),
                (3, vec!["2".into(), "Boris".into(), "1981".into()]),
                (4, vec!["3".into(), "Olga\"".into(), "1982".into()]),
                (5, vec!["4".into(), "Ivan".into(), "1983".into()]),
            ]
        );
    }

    fn lines_and_fields_width(text: &str, width: usize) -> Vec<(u64, Vec<String>)> {
        items(text, width)
            .into_iter()
            .map(|i| match i {
                Item::Record(r) => (r.line, r.fields.iter().map(|f| f.to_string()).collect()),
                Item::Runaway(r) => (r.line, vec![format!("runaway@{}", r.quote_line)]),
            })
            .collect()
    }

    #[test]
    fn a_true_multi_line_field_is_kept() {
        let text = "id,name,address\n1,Anna,\"12 Main St\nApt 4\"\n2,Boris,x\n";
        let got = lines_and_fields_width(text, 3);
        assert_eq!(got[1].1[2], "12 Main St\nApt 4");
        assert_eq!(got[2].0, 4);
    }
}
