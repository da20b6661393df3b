//! Text-like fields read once: match keys interned into codes with their value lines and
//! shapes, sex codes, identifiers, and sets.

use super::*;

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

/// Identifiers compare on letters and digits only: `123-45 67` ~ `1234567`.
pub(crate) fn identifier_key(s: &str) -> String {
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

    pub(crate) fn new(key: &[u8]) -> ValueLine {
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

pub(crate) fn text_feature(raw: &[&str], key_of: fn(&str) -> String) -> TextFeature {
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

pub(crate) fn set_feature(raw: &[&str]) -> SetFeature {
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
