//! The abjad bridge: a consonant-skeleton key that maps Hebrew and Arabic letters and Latin and
//! Cyrillic spellings onto shared consonant classes, vowels dropped, so that משה ~ Moshe ~ Moche
//! and محمد ~ Muhammad ~ Mohammed share a key. The classes are data
//! (`data/translit/skeleton.tsv`, which explains each choice); the few context rules it names are
//! here.

use crate::script::Script;
use crate::tables::Table;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The class of dropped graphemes (vowels, silent letters).
const DROPPED: char = '0';

#[derive(Debug)]
struct Classes {
    /// A grapheme (letter, digraph, letter + geresh) → its primary class.
    map: HashMap<String, char>,
    longest: usize,
}

fn classes() -> &'static Classes {
    static CLASSES: OnceLock<Classes> = OnceLock::new();
    CLASSES.get_or_init(|| {
        let t = Table::parse("skeleton.tsv", include_str!("../data/translit/skeleton.tsv"));
        let class = t.col("class");
        let mut map = HashMap::new();
        for row in &t.rows {
            let c = row[class].chars().next().expect("skeleton.tsv: empty class");
            for column in ["latin", "cyrillic", "hebrew", "arabic"] {
                // `x?` marks a non-primary reading: the grapheme's class is given elsewhere.
                for g in row[t.col(column)].split('|').map(str::trim).filter(|g| !g.is_empty() && !g.ends_with('?')) {
                    map.insert(g.to_lowercase(), c);
                }
            }
        }
        let longest = map.keys().map(|k| k.chars().count()).max().unwrap_or(1);
        Classes { map, longest }
    })
}

fn latin_vowel(c: char) -> bool {
    "aeiouy".contains(c)
}

/// The consonant skeleton of a folded token in any script: the classes of its consonants in
/// order, repeats collapsed; vowels and silent letters dropped.
pub fn skeleton(token: &str) -> String {
    let cl = classes();
    let script = crate::script::dominant_script(token);
    let folded = crate::normalize::fold(token).replace(['\'', '\u{2019}'], "\u{05F3}");
    let mut chars: Vec<char> = match script {
        Some(Script::Cyrillic | Script::Hebrew | Script::Arabic) => folded.chars().filter(|c| !c.is_whitespace()).collect(),
        // Latin keeps its diacritics (š is not s); other scripts go through a generic rendering.
        Some(Script::Latin) => folded.chars().filter(|c| c.is_alphabetic()).collect(),
        _ => any_ascii::any_ascii(&folded).to_lowercase().chars().filter(|c| c.is_ascii_alphabetic()).collect(),
    };
    if script != Some(Script::Hebrew) && script != Some(Script::Arabic) && script != Some(Script::Cyrillic) {
        // x reads as ks (Alexander = Aleksandr).
        chars = chars.into_iter().flat_map(|c| if c == 'x' { vec!['k', 's'] } else { vec![c] }).collect();
    }
    let n = chars.len();
    let mut out = String::new();
    let mut i = 0;
    while i < n {
        let mut step = 1;
        let mut class = None;
        for len in (1..=cl.longest.min(n - i)).rev() {
            let unit: String = chars[i..i + len].iter().collect();
            if let Some(&c) = cl.map.get(&unit) {
                class = Some(contextual(&chars, i, len, c, script));
                step = len;
                break;
            }
        }
        if class.is_none() && script == Some(Script::Latin) {
            // A Latin letter the table lacks: its ASCII form.
            let ascii = any_ascii::any_ascii_char(chars[i]).to_lowercase();
            class = ascii.chars().next().and_then(|a| cl.map.get(&a.to_string()).copied());
        }
        if let Some(c) = class {
            if c != DROPPED && !out.ends_with(c) {
                out.push(c);
            }
        }
        i += step;
    }
    out
}

/// The context rules the table names.
fn contextual(chars: &[char], i: usize, len: usize, class: char, script: Option<Script>) -> char {
    let unit = &chars[i..i + len];
    let next = chars.get(i + len).copied();
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let last = i + len == chars.len();
    match script {
        Some(Script::Hebrew) => match unit {
            ['ו'] if i == 0 => 'B',
            ['ה'] if last => DROPPED,
            _ => class,
        },
        Some(Script::Arabic) => match unit {
            ['و'] if i == 0 => 'B',
            ['ه'] if last && prev.is_some_and(|p| "اوىي".contains(p)) => DROPPED,
            _ => class,
        },
        Some(Script::Cyrillic) => class,
        _ => match unit {
            ['c'] if next.is_some_and(|c| "eiy".contains(c)) => 'S',
            ['h'] if last && prev.is_some_and(latin_vowel) => DROPPED,
            ['j'] if prev.is_some_and(|p| !latin_vowel(p)) => DROPPED,
            _ => class,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_own_examples() {
        for (name, key) in [
            ("משה", "MC"), ("Moshe", "MC"), ("Moche", "MC"), ("רבין", "RBN"), ("Rabin", "RBN"),
            ("محمد", "MKMD"), ("Muhammad", "MKMD"), ("Mohammed", "MKMD"),
            ("גורבצ׳וב", "KRBCB"), ("Горбачёв", "KRBCB"), ("Gorbachev", "KRBCB"), ("Gorbatschow", "KRBCB"), ("غورباتشوف", "KRBCB"),
            ("Shuliapov", "CLB"), ("Шуляпов", "CLB"), ("שוליאפוב", "CLB"), ("Schuljapow", "CLB"),
            ("Alexander", "LKSNDR"), ("Aleksandr", "LKSNDR"), ("Александр", "LKSNDR"),
        ] {
            assert_eq!(skeleton(name), key, "{name}");
        }
        assert_eq!(skeleton(""), "");
        assert_eq!(skeleton("aeiou"), "");
    }
}
