//! Unicode normalisation of names: NFC, full case folding, removal of combining marks, and an
//! ASCII match key in which Latin diacritics are folded away.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a name for comparison within its own script: NFC, full case folding, Hebrew points
/// (niqqud, cantillation) and Arabic harakat and tatweel removed, punctuation other than
/// apostrophes, hyphens and the Hebrew geresh turned into spaces, and runs of white space
/// collapsed to one space. Letters keep their own diacritics (`й` is not `и`, `ł` is not `l`):
/// [`match_key`] folds those away. Idempotent.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return fold_ascii(s);
    }
    fold_unicode(s)
}

/// [`fold`] of ASCII text: lower case, separators to single spaces.
fn fold_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'\'' || b == b'-' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(b.to_ascii_lowercase() as char);
        } else {
            pending_space = true;
        }
    }
    out
}

fn fold_unicode(s: &str) -> String {
    let folded = caseless::default_case_fold_str(s);
    let mut out = String::with_capacity(folded.len());
    let mut pending_space = false;
    for c in folded.nfd().filter(|c| !is_semitic_mark(*c)) {
        if c.is_alphanumeric()
            || is_combining_mark(c)
            || matches!(c, '\'' | '-' | '\u{05F3}' | '\u{2019}')
        {
            // A mark only follows a letter it belongs to.
            if is_combining_mark(c) && (out.is_empty() || pending_space) {
                continue;
            }
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(if c == '\u{2019}' { '\'' } else { c });
        } else {
            pending_space = true;
        }
    }
    out.nfc().collect()
}

/// Hebrew points and cantillation, Arabic harakat, superscript alef and Quranic marks, tatweel.
fn is_semitic_mark(c: char) -> bool {
    matches!(c as u32, 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2 | 0x05C4..=0x05C5 | 0x05C7
        | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0640)
}

/// An ASCII key for a name: [`fold`], then a per-character ASCII rendering (`any_ascii`), then
/// only `a`–`z`, `0`–`9` and single spaces kept. Apostrophes and hyphens are dropped so that
/// `O'Brien`, `OBrien` and `O Brien`... compare close. Idempotent.
///
/// This key is only a floor for scripts other than Latin: a bare per-letter rendering of Hebrew or
/// Arabic loses the vowels, which the transliteration tables of this crate restore.
pub fn match_key(s: &str) -> String {
    if s.is_ascii() {
        // Folding ASCII only lowers case and spaces separators, which the key does too.
        return ascii_key(s);
    }
    ascii_key(&any_ascii::any_ascii(&fold(s)))
}

/// The key of ASCII text: lower-case letters and digits, single spaces between words.
fn ascii_key(ascii: &str) -> String {
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for b in ascii.bytes() {
        let c = b.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c as char);
        } else if c == b'\'' || c == b'-' {
            // dropped without a space: O'Brien ~ OBrien, Abd-Allah ~ AbdAllah
            if c == b'-' {
                pending_space = true;
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// Splits a folded or keyed name into its space-separated tokens.
pub fn tokens(key: &str) -> impl Iterator<Item = &str> {
    key.split(' ').filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_accents_and_marks() {
        assert_eq!(fold("  José   MÜLLER "), "josé müller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Йорк Ёлкин"), "йорк ёлкин");
        assert_eq!(fold("גורבצ׳וב"), "גורבצ׳וב");
        assert_eq!(fold("O’Brien"), "o'brien");
        // Hebrew niqqud: מֹשֶׁה → משה
        assert_eq!(fold("מֹשֶׁה"), "משה");
        // Arabic harakat and tatweel: مُحَمَّـد → محمد
        assert_eq!(fold("مُحَمَّـد"), "محمد");
        assert_eq!(fold("Семёнович"), "семёнович");
    }

    #[test]
    fn match_key_is_ascii() {
        assert_eq!(match_key("O'Brien-Smith"), "obrien smith");
        assert_eq!(match_key("SMITH, John"), "smith john");
        assert_eq!(match_key("Łukasz Żółć"), "lukasz zolc");
        assert_eq!(match_key(""), "");
        assert_eq!(match_key("  ,  "), "");
    }

    proptest! {
        #[test]
        fn ascii_fast_paths_agree_with_the_unicode_path(s in "[ -~\t]{0,24}") {
            prop_assert_eq!(fold(&s), fold_unicode(&s));
            prop_assert_eq!(
                match_key(&s),
                ascii_key(&any_ascii::any_ascii(&fold_unicode(&s)))
            );
        }

        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn match_key_is_idempotent_and_ascii(s in "\\PC{0,40}") {
            let once = match_key(&s);
            prop_assert!(once.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '));
            prop_assert_eq!(match_key(&once), once);
        }
    }
}
