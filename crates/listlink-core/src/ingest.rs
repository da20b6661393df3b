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

/// UTF-8, with or without a byte-order mark.
/// The legacy encodings lists arrive in, besides UTF-8 and UTF-16 (named in messages).
pub const LEGACY_ENCODINGS: [&str; 7] = [
    "windows-1251",
    "KOI8-R",
    "windows-1255",
    "ISO-8859-8",
    "windows-1256",
    "ISO-8859-6",
    "windows-1252",
];

/// Decodes a file's bytes: a byte-order mark (UTF-8, UTF-16 LE/BE) decides; else `forced` (an
/// encoding label) when given; else UTF-8 when the bytes are valid UTF-8; else the encoding
/// `chardetng` guesses, kept only when the text it gives reads as words of one script — when not,
/// the run stops naming the likely encodings instead of guessing. Returns the text and the
/// encoding's name.
pub fn decode<'a>(
    bytes: &'a [u8],
    path: &Path,
    forced: Option<&str>,
) -> Result<(std::borrow::Cow<'a, str>, &'static str)> {
    let err = |line: Option<u64>, message: String| Error::Input {
        path: path.to_path_buf(),
        line,
        message,
    };
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(err(
                None,
                format!(
                    "the file starts with a {} byte-order mark but is not valid {}",
                    encoding.name(),
                    encoding.name()
                ),
            ));
        }
        return Ok((text, encoding.name()));
    }
    if let Some(label) = forced {
        let encoding =
            encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
                err(
                    None,
                    format!(
                        "unknown encoding `{label}`; try one of UTF-8, UTF-16LE, UTF-16BE, {}",
                        LEGACY_ENCODINGS.join(", ")
                    ),
                )
            })?;
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if had_errors {
            let valid = match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
                Some(_) => bytes.len(),
                None => first_invalid(bytes, encoding),
            };
            let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() as u64 + 1;
            return Err(err(
                Some(line),
                format!("the file is not valid {} (--encoding)", encoding.name()),
            ));
        }
        return Ok((text, encoding.name()));
    }
    if let Some(order) = utf16_without_bom(bytes) {
        return Err(err(
            None,
            format!(
                "the file looks like UTF-16 ({order}) without a byte-order mark (every other byte is NUL); pass --encoding UTF-16{order}"
            ),
        ));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((std::borrow::Cow::Borrowed(text), "UTF-8"));
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    // Every legacy reading that gives well-formed words, with its main script.
    let readings: Vec<(
        &'static encoding_rs::Encoding,
        Option<listlink_names::Script>,
    )> = LEGACY_ENCODINGS
        .iter()
        .filter_map(|name| encoding_rs::Encoding::for_label(name.as_bytes()))
        .filter_map(|e| {
            let (t, bad) = e.decode_without_bom_handling(bytes);
            (!bad && reads_as_words(&t) && capitalised(&t)).then(|| (e, main_script(&t)))
        })
        .collect();
    let (text, had_errors) = guess.decode_without_bom_handling(bytes);
    // Kept only when the guess is an encoding lists of people are written in and its text reads
    // as words; anything else is a guess this tool will not make for the user.
    let expected = LEGACY_ENCODINGS
        .iter()
        .chain(&["IBM866", "KOI8-U", "ISO-8859-8-I"])
        .any(|n| guess.name() == *n);
    let guessed_script = main_script(&text);
    // A few words can read well in two scripts (a line of Cyrillic in windows-1251 is also
    // lower-case Hebrew letters in windows-1255): with too small a sample, name both and stop.
    let other_scripts: Vec<&str> = readings
        .iter()
        .filter(|(_, script)| *script != guessed_script)
        .map(|(e, _)| e.name())
        .collect();
    let small = non_ascii_words(bytes) < SURE_WORDS;
    if expected && !had_errors && reads_as_words(&text) && (!small || other_scripts.is_empty()) {
        return Ok((text, guess.name()));
    }
    if small && !readings.is_empty() {
        let names: Vec<&str> = readings.iter().map(|(e, _)| e.name()).collect();
        return Err(err(
            None,
            format!(
                "the file is not UTF-8, and too little of it is in another script to tell its encoding (it reads as words in {}); pass --encoding NAME",
                names.join(", ")
            ),
        ));
    }
    // Not sure: name the candidates whose text reads best, and stop.
    let mut candidates: Vec<(&str, f64)> = LEGACY_ENCODINGS
        .iter()
        .filter_map(|name| encoding_rs::Encoding::for_label(name.as_bytes()))
        .map(|e| {
            let (t, bad) = e.decode_without_bom_handling(bytes);
            (e.name(), if bad { 0.0 } else { word_share(&t) })
        })
        .collect();
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
    let likely: Vec<&str> = candidates.iter().take(3).map(|c| c.0).collect();
    Err(err(
        None,
        format!(
            "the file is not UTF-8 and its encoding cannot be told with confidence (likely: {}); pass --encoding NAME",
            likely.join(", ")
        ),
    ))
}

/// Words with bytes outside ASCII needed before a legacy encoding's guess is trusted over
/// another reading in a different script.
const SURE_WORDS: usize = 5;

/// Words (runs between ASCII spaces and punctuation) holding a byte outside ASCII.
fn non_ascii_words(bytes: &[u8]) -> usize {
    bytes
        .split(|b| b.is_ascii_whitespace() || b.is_ascii_punctuation())
        .filter(|w| w.iter().any(|b| !b.is_ascii()))
        .count()
}

/// The script most non-ASCII letters of the text are in.
fn main_script(text: &str) -> Option<listlink_names::Script> {
    let mut counts: Vec<(listlink_names::Script, usize)> = Vec::new();
    for s in text
        .chars()
        .filter(|c| !c.is_ascii())
        .filter_map(listlink_names::Script::of)
    {
        match counts.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(s, _)| s)
}

/// `LE` or `BE` when the bytes look like UTF-16 text without a byte-order mark: NUL in most
/// odd (little-endian ASCII) or even (big-endian) positions.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let odd = sample.chunks(2).filter(|p| p[1] == 0 && p[0] != 0).count();
    let even = sample.chunks(2).filter(|p| p[0] == 0 && p[1] != 0).count();
    if odd * 10 >= pairs * 7 {
        Some("LE")
    } else if even * 10 >= pairs * 7 {
        Some("BE")
    } else {
        None
    }
}

/// Whether Hebrew words in the text look reversed (visual order, as old systems stored them):
/// final letter forms (ך ם ן ף ץ) beginning words more often than ending them.
pub fn hebrew_visual_order(text: &str) -> bool {
    // Hebrew letters (U+05D0–U+05EA) all start with the byte 0xD7 in UTF-8: without it there
    // is nothing to look at.
    if !text.as_bytes().contains(&0xD7) {
        return false;
    }
    let is_final = |c: char| "ךםןףץ".contains(c);
    let (mut starts, mut ends) = (0usize, 0usize);
    for word in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() > 1)
    {
        let (first, last) = (
            word.chars().next().unwrap_or(' '),
            word.chars().last().unwrap_or(' '),
        );
        if listlink_names::Script::of(first) != Some(listlink_names::Script::Hebrew) {
            continue;
        }
        starts += usize::from(is_final(first));
        ends += usize::from(is_final(last));
    }
    starts >= 3 && starts > 2 * ends
}

/// The offset of the first byte an encoding cannot decode (for the line in a message).
fn first_invalid(bytes: &[u8], encoding: &'static encoding_rs::Encoding) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length(bytes.len())
            .unwrap_or(bytes.len() * 3),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(bad as usize),
        _ => read,
    }
}

/// The share of non-ASCII characters that are letters (or marks) of the text's main script.
fn word_share(text: &str) -> f64 {
    let mut scripts = std::collections::HashMap::new();
    let mut non_ascii = 0usize;
    for c in text.chars().filter(|c| !c.is_ascii()) {
        non_ascii += 1;
        if let Some(s) = listlink_names::Script::of(c) {
            *scripts.entry(s).or_insert(0usize) += 1;
        }
    }
    if non_ascii == 0 {
        return 1.0;
    }
    scripts.values().max().copied().unwrap_or(0) as f64 / non_ascii as f64
}

/// Whether decoded text reads as words: most non-ASCII characters letters of one script, and
/// words well formed in it: letters of one script each (ASCII letters count as Latin), no
/// capital after a small letter (KOI8-R read as windows-1251 swaps case), Latin words mostly
/// ASCII (Cyrillic bytes read as windows-1252 give words of accented letters only), Hebrew
/// words without vowel points and with final letters only at their end.
fn reads_as_words(text: &str) -> bool {
    use listlink_names::Script;
    if word_share(text) < 0.9 {
        return false;
    }
    let (mut words, mut odd) = (0usize, 0usize);
    for w in text.split(|c: char| !(c.is_alphabetic() || is_hebrew_point(c))) {
        if w.is_ascii() {
            continue;
        }
        words += 1;
        let chars: Vec<char> = w.chars().collect();
        let scripts: Vec<Option<Script>> = chars.iter().map(|&c| Script::of(c)).collect();
        let mixed = scripts.windows(2).any(|p| p[0] != p[1]);
        let case_flip = chars
            .windows(2)
            .any(|p| p[0].is_lowercase() && p[1].is_uppercase());
        let latin_accented = scripts[0] == Some(Script::Latin)
            && chars.iter().filter(|c| !c.is_ascii()).count() * 2 > chars.len();
        let hebrew_bad = scripts[0] == Some(Script::Hebrew)
            && (chars.iter().any(|&c| is_hebrew_point(c))
                || chars[..chars.len() - 1]
                    .iter()
                    .any(|c| "ךםןףץ".contains(*c)));
        if mixed || case_flip || latin_accented || hebrew_bad {
            odd += 1;
        }
    }
    words == 0 || (odd as f64) / (words as f64) < 0.1
}

/// Whether a text in a script with capitals has some: names are written capitalised or in
/// capitals (Hebrew read as windows-1251 gives small Cyrillic letters only).
fn capitalised(text: &str) -> bool {
    let mut bicameral = false;
    for w in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_ascii())
    {
        if w.chars().next().is_some_and(char::is_uppercase) || w.chars().all(char::is_uppercase) {
            return true;
        }
        bicameral |= w.chars().any(char::is_lowercase);
    }
    !bicameral
}

/// Hebrew vowel points and cantillation marks, which lists of names do not carry.
fn is_hebrew_point(c: char) -> bool {
    ('\u{0591}'..='\u{05C7}').contains(&c)
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

/// Builds a table row by row, applying the rules every format shares.
pub struct TableBuilder {
    table: RecordTable,
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
fn cut(s: &str, max: usize) -> &str {
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
const SIZING_ROWS: u64 = 1024;

fn source_id_hash(source: &str, id: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one((source, id))
}

/// The hash of an accepted row's source and id, for the duplicate-id table to rehash by.
fn row_hash(table: &RecordTable, row: u32) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, name: &str) -> ReadResult {
        read_bytes(
            text.as_bytes(),
            Path::new(name),
            &ReadOptions {
                id_columns: vec!["id".into()],
                ..Default::default()
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
        // Bytes that read as no script's words: the run stops and names the likely encodings.
        let e = read_bytes(
            b"id,x\n\xb0\xb1\xb0\xb1\xb0,1\n",
            Path::new("b.csv"),
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("b.csv: the file is not UTF-8") && e.contains("pass --encoding"),
            "{e}"
        );
        let forced = ReadOptions {
            encoding: Some("utf-8".into()),
            ..Default::default()
        };
        let e = read_bytes(b"id,x\n\xff\xfe,1\n", Path::new("c.csv"), &forced)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.csv:2: the file is not valid UTF-8"), "{e}");
        let e = read_bytes(
            b"id\n1\n",
            Path::new("d.csv"),
            &ReadOptions {
                encoding: Some("klingon".into()),
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown encoding `klingon`"), "{e}");
        assert!(Format::of(Path::new("a.xlsx")).is_err());
    }

    /// Lists typed in each legacy encoding come through byte-exact, with the encoding detected.
    #[test]
    fn legacy_encodings_are_detected_and_decoded() {
        let cases: [(&str, &str); 7] = [
            (
                "windows-1251",
                "Евгений Семёнович Шуляпов;Анна Ивановна Петрова;Сергей Кузнецов",
            ),
            (
                "KOI8-R",
                "Евгений Семёнович Шуляпов;Анна Ивановна Петрова;Сергей Кузнецов",
            ),
            ("windows-1255", "יבגני שוליאפוב;אנה פטרובה;סרגיי קוזנצוב"),
            ("ISO-8859-8", "יבגני שוליאפוב;אנה פטרובה;סרגיי קוזנצוב"),
            ("windows-1256", "محمد عبد الله;يوسف حداد;أحمد الهاشمي"),
            ("ISO-8859-6", "محمد عبد الله;يوسف حداد;أحمد الهاشمي"),
            ("windows-1252", "José Müller;François Çelik;Zoë Ångström"),
        ];
        for (label, names) in cases {
            let names: Vec<&str> = names.split(';').collect();
            let mut text = String::from("id,full_name\n");
            for (i, n) in names.iter().enumerate() {
                text.push_str(&format!("{},{n}\n", i + 1));
            }
            let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
            let (bytes, _, unmappable) = encoding.encode(&text);
            assert!(!unmappable, "{label} cannot hold the test names");
            let detected = read_bytes(&bytes, Path::new("list.csv"), &ReadOptions::default());
            let forced = read_bytes(
                &bytes,
                Path::new("list.csv"),
                &ReadOptions {
                    encoding: Some(label.into()),
                    ..Default::default()
                },
            )
            .unwrap();
            let got: Vec<&str> = forced.table.column("full_name").unwrap().iter().collect();
            assert_eq!(got, names, "{label} forced");
            // Detected without help, to the same text. (KOI8-R may be reported as KOI8-U and
            // windows-1255 as ISO-8859-8: supersets that give these names the same letters.)
            let r = detected.unwrap_or_else(|e| panic!("{label} not detected: {e}"));
            let got: Vec<&str> = r.table.column("full_name").unwrap().iter().collect();
            assert_eq!(got, names, "{label} detected as {}", r.summary.encoding);
        }
        // UTF-16 with a byte-order mark, as Excel saves "Unicode text".
        let text = "id\tfull_name\n1\tЕвгений Шуляпов\n2\tיבגני שוליאפוב\n";
        for (bom, encode) in [
            (
                vec![0xFF, 0xFE],
                (|c: u16| c.to_le_bytes()) as fn(u16) -> [u8; 2],
            ),
            (vec![0xFE, 0xFF], |c: u16| c.to_be_bytes()),
        ] {
            let mut bytes = bom;
            bytes.extend(text.encode_utf16().flat_map(encode));
            let r = read_bytes(&bytes, Path::new("excel.txt"), &ReadOptions::default()).unwrap();
            assert_eq!(
                r.table.column("full_name").unwrap().get(1),
                "יבגני שוליאפוב"
            );
            assert!(
                r.summary.encoding.starts_with("UTF-16"),
                "{}",
                r.summary.encoding
            );
        }
    }

    #[test]
    fn visual_order_hebrew_is_flagged() {
        let logical = "id,name\n1,משה כהן\n2,אברהם לוין\n3,מרים גולדמן\n4,יוסף אלון\n";
        let visual: String = logical
            .lines()
            .map(|l| l.chars().rev().collect::<String>() + "\n")
            .collect();
        assert!(!hebrew_visual_order(logical));
        assert!(hebrew_visual_order(&visual));
        let r = read_bytes(
            visual.as_bytes(),
            Path::new("v.csv"),
            &ReadOptions::default(),
        );
        // Reversed lines also reverse the header: the file may not even read; when it does, it
        // carries the note.
        if let Ok(r) = r {
            assert!(r.summary.notes[0].contains("visual order"));
        }
        let mixed = format!(
            "id,name\n{}",
            visual
                .lines()
                .skip(1)
                .map(|l| format!("{},{}\n", l.len(), l.replace(',', " ")))
                .collect::<String>()
        );
        let r = read_bytes(
            mixed.as_bytes(),
            Path::new("v.csv"),
            &ReadOptions::default(),
        )
        .unwrap();
        assert!(
            r.summary.notes[0].contains("visual order"),
            "{:?}",
            r.summary.notes
        );
    }

    #[test]
    fn source_column_and_row_number_ids() {
        let r = read_bytes(
            b"source,name\nhospital,A\npolice,B\n,C\n",
            Path::new("lists.csv"),
            &ReadOptions {
                source_columns: vec!["source".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            r.table.sources.iter().collect::<Vec<_>>(),
            vec!["hospital", "police", "lists"]
        );
        assert_eq!(r.table.ids.iter().collect::<Vec<_>>(), vec!["1", "2", "3"]);
    }

    #[test]
    fn ids_repeat_across_sources_not_within_one_at_any_length() {
        // Past the rows that size the columns: ids 0..1500 in two sources, then each id of
        // the first source again (rejected), with values of growing length.
        let mut text = String::from("source,id,name\n");
        for (source, id) in (0..1500)
            .map(|i| ("a", i))
            .chain((0..1500).map(|i| ("b", i)))
        {
            text += &format!("{source},{id},{}\n", "x".repeat(id % 40));
        }
        for id in 0..1500 {
            text += &format!("a,{id},again\n");
        }
        let r = read_bytes(
            text.as_bytes(),
            Path::new("lists.csv"),
            &ReadOptions {
                id_columns: vec!["id".into()],
                source_columns: vec!["source".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.table.len(), 3000);
        assert_eq!(r.rejects.len(), 1500);
        assert_eq!(
            r.rejects[7].reason,
            "duplicate id `7` in source `a` (first at line 9)"
        );
        assert_eq!(
            r.table.column("name").unwrap().get(2999),
            "x".repeat(1499 % 40)
        );
        assert_eq!(r.table.sources.get(1500), "b");
    }
}
