//! A value on its way into the filter: validated and rewritten as its feature's format says, then
//! cut into tokens by its comparison — each step as clkhash 0.18 does it.
//!
//! Messages name what is wrong with a value but never repeat it: encodings are made from
//! personal data, and errors end up in terminals and logs.

use crate::schema::{Case, Comparison, Feature, Format, Hashing, StringRule, TextEncoding};

/// Validates and formats one raw value of a hashed feature (`format_value` after `validate` in
/// clkhash): the missing-value sentinel becomes its replacement (neither validated nor
/// formatted), integers are written without sign or spaces, dates as `%Y%m%d`.
pub fn prepare(feature: &Feature, hashing: &Hashing, raw: &str) -> Result<String, String> {
    if let Some(m) = &hashing.missing
        && m.sentinel == raw
    {
        return Ok(m.replace_with.clone());
    }
    let Some(format) = &feature.format else {
        return Ok(String::new());
    };
    match format {
        Format::String { encoding, rule } => {
            if *encoding == TextEncoding::Ascii && !raw.is_ascii() {
                return Err(
                    "has characters that ASCII cannot encode (the format's encoding is ascii)"
                        .into(),
                );
            }
            match rule {
                StringRule::Pattern(re) => {
                    if !re.is_match(raw) {
                        return Err(format!(
                            "does not match the pattern {}",
                            re.as_str()
                                .trim_start_matches("^(?:")
                                .trim_end_matches(")$")
                        ));
                    }
                }
                StringRule::Plain {
                    case,
                    min_length,
                    max_length,
                } => {
                    let len = raw.chars().count();
                    if let Some(min) = min_length
                        && len < *min
                    {
                        return Err(format!(
                            "is {len} characters long, shorter than minLength {min}"
                        ));
                    }
                    if let Some(max) = max_length
                        && len > *max
                    {
                        return Err(format!(
                            "is {len} characters long, longer than maxLength {max}"
                        ));
                    }
                    match case {
                        Case::Upper if raw.to_uppercase() != raw => {
                            return Err("is not upper case".into());
                        }
                        Case::Lower if raw.to_lowercase() != raw => {
                            return Err("is not lower case".into());
                        }
                        _ => {}
                    }
                }
            }
            Ok(raw.to_string())
        }
        Format::Integer { minimum, maximum } => {
            let v = python_int(raw).ok_or("is not an integer")?;
            if let Some(min) = minimum
                && v < *min
            {
                return Err(format!("is below the minimum {min}"));
            }
            if let Some(max) = maximum
                && v > *max
            {
                return Err(format!("is above the maximum {max}"));
            }
            Ok(v.to_string())
        }
        Format::Date(d) => d.reformat(raw),
        Format::Enum { values } => {
            if values.iter().any(|v| v == raw) {
                Ok(raw.to_string())
            } else {
                Err(format!("is not one of the enum's {} values", values.len()))
            }
        }
    }
}

/// Python's `str.isspace` (what `int()` and `float()` strip).
fn python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Digits with single underscores between them (PEP 515), ASCII only.
fn strip_underscores(digits: &str) -> Option<String> {
    if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    Some(digits.replace('_', ""))
}

/// Python's `int(s, 10)`, for ASCII digits: spaces around, a sign, underscores between digits.
pub fn python_int(s: &str) -> Option<i128> {
    let t = s.trim_matches(python_space);
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = strip_underscores(digits)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i128 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Python's `float(s)` for what Rust's parser also reads (plus spaces and underscores).
fn python_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(python_space);
    let cleaned = if t.contains('_') {
        // underscores only between digits
        let b = t.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'_'
                && !(i > 0
                    && i + 1 < b.len()
                    && b[i - 1].is_ascii_digit()
                    && b[i + 1].is_ascii_digit())
            {
                return None;
            }
        }
        t.replace('_', "")
    } else {
        t.to_string()
    };
    cleaned.parse::<f64>().ok()
}

const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// The tokens of a formatted value under a comparison (clkhash's `tokenize`).
pub fn tokens(comparison: &Comparison, word: &str) -> Result<Vec<String>, String> {
    if word.is_empty() {
        return Ok(Vec::new());
    }
    match *comparison {
        Comparison::Exact => Ok(vec![word.to_string()]),
        Comparison::Ngram { n, positional } => Ok(ngrams(word, n, positional)),
        Comparison::Numeric {
            distance_interval,
            resolution,
            fractional_precision,
        } => numeric_tokens(word, distance_interval, resolution, fractional_precision),
    }
}

/// n-grams of code points, padded with n−1 spaces each side when n > 1; positional ones are
/// prefixed with their 1-based position and a space.
pub fn ngrams(word: &str, n: usize, positional: bool) -> Vec<String> {
    let mut chars: Vec<char> = Vec::with_capacity(word.len() + 2 * n);
    if n > 1 {
        chars.extend(std::iter::repeat_n(' ', n - 1));
    }
    chars.extend(word.chars());
    if n > 1 {
        chars.extend(std::iter::repeat_n(' ', n - 1));
    }
    if chars.len() < n {
        return Vec::new();
    }
    (0..=chars.len() - n)
        .map(|i| {
            let gram: String = chars[i..i + n].iter().collect();
            if positional {
                format!("{} {gram}", i + 1)
            } else {
                gram
            }
        })
        .collect()
}

fn numeric_tokens(
    word: &str,
    distance_interval: i128,
    resolution: i128,
    precision: u32,
) -> Result<Vec<String>, String> {
    const TOO_LARGE: &str = "is too large a number to encode";
    let scale = 10i128.pow(precision);
    let v = match python_int(word) {
        Some(i) => i.checked_mul(scale).ok_or(TOO_LARGE)?,
        None => {
            let f = python_float(word).ok_or("is not a number (the comparison is numeric)")?;
            if !f.is_finite() {
                return Err("is not a finite number".into());
            }
            let x = if precision > 0 {
                (f * POW10[precision as usize]).round_ties_even()
            } else {
                f.trunc()
            };
            if x.abs() > 1e36 {
                return Err(TOO_LARGE.into());
            }
            x as i128
        }
    };
    let v = v.checked_mul(2 * resolution).ok_or(TOO_LARGE)?;
    let residue = v.rem_euclid(distance_interval);
    let v = if residue == 0 {
        v
    } else if 2 * residue < distance_interval {
        v - residue
    } else {
        v + (distance_interval - residue)
    };
    (-resolution..=resolution)
        .map(|i| {
            i.checked_mul(distance_interval)
                .and_then(|d| v.checked_add(d))
                .map(|t| t.to_string())
                .ok_or_else(|| TOO_LARGE.to_string())
        })
        .collect()
}

/// A token's bytes in the feature's encoding, as Python's `str.encode` writes them.
pub fn encode_token(token: &str, encoding: TextEncoding, out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    match encoding {
        TextEncoding::Utf8 => out.extend_from_slice(token.as_bytes()),
        TextEncoding::Ascii => {
            if !token.is_ascii() {
                return Err("has characters that ASCII cannot encode".into());
            }
            out.extend_from_slice(token.as_bytes());
        }
        TextEncoding::Utf16 => {
            out.extend_from_slice(&[0xFF, 0xFE]);
            for unit in token.encode_utf16() {
                out.extend_from_slice(&unit.to_le_bytes());
            }
        }
        TextEncoding::Utf32 => {
            out.extend_from_slice(&[0xFF, 0xFE, 0, 0]);
            for c in token.chars() {
                out.extend_from_slice(&(c as u32).to_le_bytes());
            }
        }
    }
    Ok(())
}

/// listlink's cross-script reading of a name (the `transliterate` extension): folded, each token
/// read into Latin by its script's first rendering (ICAO for Cyrillic, the commonest reading of
/// Hebrew or Arabic letters) as lowercase ASCII, tokens joined by single spaces.
pub fn latin_reading(value: &str, drop_patronymics: bool) -> String {
    let folded = listlink_names::fold(value);
    let mut out = String::with_capacity(folded.len());
    for token in name_tokens(&folded, drop_patronymics) {
        let key = listlink_names::translit::renderings(token)
            .into_iter()
            .next()
            .map(|r| r.key)
            .unwrap_or_else(|| listlink_names::match_key(token).replace(' ', ""));
        if key.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&key);
    }
    out
}

/// The tokens of a folded name, less its patronymics when asked (`Вячеславовна`, `Petrovich`:
/// one list writes them, most others do not) and when two other tokens remain.
fn name_tokens(folded: &str, drop_patronymics: bool) -> Vec<&str> {
    let all: Vec<&str> = listlink_names::tokens(folded).collect();
    if !drop_patronymics {
        return all;
    }
    let kept: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| !listlink_names::parts::is_patronymic(t))
        .collect();
    if kept.len() >= 2 { kept } else { all }
}

/// The consonant skeletons of a name's tokens (the `skeleton` extension): each whole, and its
/// bigrams (so that skeletons one consonant apart still share most tokens), each marked so that
/// it cannot collide with an n-gram of the name.
pub fn skeleton_tokens(value: &str, drop_patronymics: bool) -> Vec<String> {
    let folded = listlink_names::fold(value);
    let mut out = Vec::new();
    for skeleton in name_tokens(&folded, drop_patronymics)
        .into_iter()
        .map(listlink_names::skeleton::skeleton)
    {
        if skeleton.is_empty() {
            continue;
        }
        for gram in ngrams(&skeleton, 2, false) {
            out.push(format!("\u{1}skeleton-gram {gram}"));
        }
        out.push(format!("\u{1}skeleton {skeleton}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ngrams_are_padded_and_positional_ones_numbered() {
        assert_eq!(ngrams("ab", 2, false), [" a", "ab", "b "]);
        assert_eq!(ngrams("ab", 1, true), ["1 a", "2 b"]);
        assert_eq!(ngrams("ж", 3, false), ["  ж", " ж ", "ж  "]);
    }

    #[test]
    fn numeric_tokens_follow_clkhash_example() {
        // clkhash's docstring: threshold 8, resolution 2, x = 25 → [88, 96, 104, 112, 120]
        let t = tokens(
            &Comparison::Numeric {
                distance_interval: 8,
                resolution: 2,
                fractional_precision: 0,
            },
            "25",
        )
        .unwrap();
        assert_eq!(t, ["88", "96", "104", "112", "120"]);
        let t = numeric_tokens("-3", 5, 3, 0).unwrap();
        assert_eq!(t[3], "-20");
        assert!(numeric_tokens("abc", 5, 3, 0).is_err());
        assert!(numeric_tokens("inf", 5, 3, 0).is_err());
    }

    #[test]
    fn integers_parse_as_python_int_does() {
        assert_eq!(python_int(" +13 "), Some(13));
        assert_eq!(python_int("-0"), Some(0));
        assert_eq!(python_int("1_000"), Some(1000));
        assert_eq!(python_int("007"), Some(7));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("_1"), None);
        assert_eq!(python_int("1.0"), None);
        assert_eq!(python_int(""), None);
        assert_eq!(python_int("+"), None);
    }

    #[test]
    fn utf16_and_utf32_tokens_carry_a_byte_order_mark() {
        let mut b = Vec::new();
        encode_token("a", TextEncoding::Utf16, &mut b).unwrap();
        assert_eq!(b, [0xFF, 0xFE, b'a', 0]);
        encode_token("a", TextEncoding::Utf32, &mut b).unwrap();
        assert_eq!(b, [0xFF, 0xFE, 0, 0, b'a', 0, 0, 0]);
        assert!(encode_token("é", TextEncoding::Ascii, &mut b).is_err());
    }

    #[test]
    fn latin_reading_brings_scripts_together() {
        assert_eq!(latin_reading("Евгений ШУЛЯПОВ", false), "evgenii shuliapov");
        assert_eq!(
            latin_reading("  Evgenii   Shuliapov", false),
            "evgenii shuliapov"
        );
        assert!(!latin_reading("יבגני", false).is_empty());
        assert_eq!(
            latin_reading("Евгений Семёнович Шуляпов", true),
            "evgenii shuliapov"
        );
        assert_eq!(
            latin_reading("Semyonovich Shulyapov", true),
            "semyonovich shulyapov"
        );
        let with = skeleton_tokens("Евгений Семёнович Шуляпов", true);
        assert_eq!(with, skeleton_tokens("Евгений Шуляпов", false));
    }
}
