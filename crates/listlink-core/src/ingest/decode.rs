//! Decoding a file's bytes into text: byte-order marks, a forced encoding, UTF-8, or a detected
//! legacy encoding kept only when its text reads as words of one script; else a stop naming the
//! likely encodings.

use crate::error::{Error, Result};
use std::path::Path;

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
pub(crate) const SURE_WORDS: usize = 5;

/// Words (runs between ASCII spaces and punctuation) holding a byte outside ASCII.
pub(crate) fn non_ascii_words(bytes: &[u8]) -> usize {
    bytes
        .split(|b| b.is_ascii_whitespace() || b.is_ascii_punctuation())
        .filter(|w| w.iter().any(|b| !b.is_ascii()))
        .count()
}

/// The script most non-ASCII letters of the text are in.
pub(crate) fn main_script(text: &str) -> Option<listlink_names::Script> {
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
pub(crate) fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
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
pub(crate) fn first_invalid(bytes: &[u8], encoding: &'static encoding_rs::Encoding) -> usize {
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
pub(crate) fn word_share(text: &str) -> f64 {
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
pub(crate) fn reads_as_words(text: &str) -> bool {
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
pub(crate) fn capitalised(text: &str) -> bool {
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
pub(crate) fn is_hebrew_point(c: char) -> bool {
    ('\u{0591}'..='\u{05C7}').contains(&c)
}
