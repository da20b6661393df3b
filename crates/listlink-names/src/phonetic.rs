//! Phonetic keys of ASCII name renderings, used as blocking keys.

use rphonetic::{DoubleMetaphone, Encoder, Soundex};
use std::sync::OnceLock;

fn double_metaphone_encoder() -> &'static DoubleMetaphone {
    static ENCODER: OnceLock<DoubleMetaphone> = OnceLock::new();
    ENCODER.get_or_init(|| DoubleMetaphone::new(Some(6)))
}

fn soundex_encoder() -> &'static Soundex {
    static ENCODER: OnceLock<Soundex> = OnceLock::new();
    ENCODER.get_or_init(Soundex::default)
}

/// Primary and alternate Double Metaphone codes of an ASCII key (non-ASCII input yields empty
/// codes rather than garbage: callers pass [`crate::match_key`] output).
pub fn double_metaphone(ascii: &str) -> (String, String) {
    if ascii.is_empty() || !ascii.is_ascii() {
        return (String::new(), String::new());
    }
    let result = double_metaphone_encoder().double_metaphone(ascii);
    (result.primary(), result.alternate())
}

/// American Soundex of an ASCII key; empty for input without ASCII letters.
pub fn soundex(ascii: &str) -> String {
    // rphonetic's Soundex is only defined on ASCII letters: filter first, as the architecture
    // notes warn it panics otherwise.
    let letters: String = ascii.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    if letters.is_empty() {
        return String::new();
    }
    soundex_encoder().encode(&letters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_codes() {
        assert_eq!(soundex("robert"), "R163");
        assert_eq!(soundex("rupert"), "R163");
        assert_eq!(double_metaphone("smith").0, double_metaphone("smyth").0);
        assert_eq!(double_metaphone("").0, "");
    }

    proptest! {
        #[test]
        fn total_on_any_input(s in "\\PC{0,30}") {
            let key = crate::match_key(&s);
            let _ = soundex(&key);
            let _ = double_metaphone(&key);
            let _ = soundex(&s);
            let _ = double_metaphone(&s);
        }
    }
}
