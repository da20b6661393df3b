//! A list's encodings in memory (one row of `u64` words per record, with its popcount) and in
//! clkhash's JSON form, `{"clks": [base64, ...]}`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Encodings of equal length, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClkSet {
    bytes_per: usize,
    words_per: usize,
    words: Vec<u64>,
    popcounts: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ClkError {
    pub file: String,
    pub message: String,
}

impl ClkSet {
    /// Encodings from filters of `bits` bits each, given as big-endian-ordered words.
    pub fn from_words(bits: usize, rows: impl IntoIterator<Item = Vec<u64>>) -> ClkSet {
        let words_per = bits.div_ceil(64);
        let mut words = Vec::new();
        let mut popcounts = Vec::new();
        for row in rows {
            assert_eq!(row.len(), words_per, "every filter has the set's length");
            popcounts.push(row.iter().map(|w| w.count_ones()).sum());
            words.extend_from_slice(&row);
        }
        ClkSet {
            bytes_per: bits.div_ceil(8),
            words_per,
            words,
            popcounts,
        }
    }

    pub fn len(&self) -> usize {
        self.popcounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.popcounts.is_empty()
    }

    /// Words per encoding (the last one zero-padded).
    pub fn words_per(&self) -> usize {
        self.words_per
    }

    /// Bits per encoding as serialised (a whole number of bytes).
    pub fn bits(&self) -> usize {
        self.bytes_per * 8
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[u64] {
        &self.words[i * self.words_per..(i + 1) * self.words_per]
    }

    #[inline]
    pub fn popcount(&self, i: usize) -> u32 {
        self.popcounts[i]
    }

    pub fn popcounts(&self) -> &[u32] {
        &self.popcounts
    }

    /// One encoding as clkhash serialises it: base64 of the filter's bytes.
    pub fn base64(&self, i: usize) -> String {
        let mut bytes = Vec::with_capacity(self.words_per * 8);
        for w in self.row(i) {
            bytes.extend_from_slice(&w.to_be_bytes());
        }
        bytes.truncate(self.bytes_per);
        STANDARD.encode(bytes)
    }

    /// The set in clkhash's JSON form, as Python's `json.dumps({"clks": [...]})` writes it,
    /// with a final line break.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(12 + self.len() * (self.bytes_per * 4 / 3 + 8));
        out.push_str("{\"clks\": [");
        for i in 0..self.len() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push('"');
            out.push_str(&self.base64(i));
            out.push('"');
        }
        out.push_str("]}\n");
        out
    }

    /// Reads `{"clks": [base64, ...]}`; every encoding must have the first one's length.
    pub fn from_json(text: &str, file: &str) -> Result<ClkSet, ClkError> {
        let err = |message: String| ClkError {
            file: file.to_string(),
            message,
        };
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            clks: Vec<String>,
        }
        let doc: Doc = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "not a CLK file ({{\"clks\": [base64, ...]}}): line {}, column {}: {}",
                e.line(),
                e.column(),
                match e.classify() {
                    serde_json::error::Category::Data => "expected a \"clks\" array of strings",
                    serde_json::error::Category::Eof => "unexpected end of file",
                    _ => "syntax error",
                }
            ))
        })?;
        let mut bytes_per = None;
        let mut words = Vec::new();
        let mut popcounts = Vec::with_capacity(doc.clks.len());
        let mut buf = Vec::new();
        for (i, s) in doc.clks.iter().enumerate() {
            buf.clear();
            STANDARD
                .decode_vec(s.as_bytes(), &mut buf)
                .map_err(|e| err(format!("clks[{i}]: not base64: {e}")))?;
            let expected = *bytes_per.get_or_insert(buf.len());
            if buf.len() != expected {
                return Err(err(format!(
                    "clks[{i}]: {} bytes where clks[0] has {expected}",
                    buf.len()
                )));
            }
            if expected == 0 {
                return Err(err(format!("clks[{i}]: empty encoding")));
            }
            let mut pop = 0;
            for chunk in buf.chunks(8) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                let w = u64::from_be_bytes(w);
                pop += w.count_ones();
                words.push(w);
            }
            popcounts.push(pop);
        }
        let bytes_per = bytes_per.unwrap_or(0);
        Ok(ClkSet {
            bytes_per,
            words_per: bytes_per.div_ceil(8),
            words,
            popcounts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_and_lengths_must_agree() {
        let set = ClkSet::from_words(72, [vec![u64::MAX, 1 << 63], vec![0, 0]]);
        assert_eq!(set.popcount(0), 65);
        let json = set.to_json();
        assert!(json.starts_with("{\"clks\": [\""));
        let back = ClkSet::from_json(&json, "a.json").unwrap();
        assert_eq!(back, set);
        let e = ClkSet::from_json("{\"clks\": [\"AAAA\", \"AA==\"]}", "a.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.json: clks[1]: 1 bytes where clks[0] has 3"
        );
        assert!(ClkSet::from_json("{\"clks\": [\"@@\"]}", "a.json").is_err());
        assert!(
            ClkSet::from_json("[1]", "a.json")
                .unwrap_err()
                .to_string()
                .starts_with("a.json: not a CLK file")
        );
    }
}
