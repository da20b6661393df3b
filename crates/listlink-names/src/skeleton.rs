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
        let t = Table::parse(
            "skeleton.tsv",
            include_str!("../data/translit/skeleton.tsv"),
        );
        let class = t.col("class");
        let mut map = HashMap::new();
        for row in &t.rows {
            let c = row[class]
                .chars()
                .next()
                .expect("skeleton.tsv: empty class");
            for column in ["latin", "cyrillic", "hebrew", "arabic"] {
                // `x?` marks a non-primary reading: the grapheme's class is given elsewhere.
                for g in row[t.col(column)]
                    .split('|')
                    .map(str::trim)
                    .filter(|g| !g.is_empty() && !g.ends_with('?'))
                {
                    map.insert(g.to_lowercase(), c);
                }
            }
        }
        let longest = map.keys().map(|k| k.chars().count()).max().unwrap_or(1);
        Classes { map, longest }
    })
}

/// The primary class of one grapheme (a Latin letter, a Hebrew or Arabic letter with its geresh);
/// `None` for graphemes the table does not know, `Some('0')` for dropped ones.
pub fn class_of(grapheme: &str) -> Option<char> {
    classes().map.get(grapheme).copied()
}

/// The class of one ASCII letter (a table lookup, no allocation: used inside alignments).
pub fn ascii_class(b: u8) -> Option<char> {
    static TABLE: OnceLock<[Option<char>; 128]> = OnceLock::new();
    let table =
        TABLE.get_or_init(|| std::array::from_fn(|i| class_of(&(i as u8 as char).to_string())));
    table.get(b as usize).copied().flatten()
}

fn latin_vowel(c: char) -> bool {
    "aeiouy".contains(c)
}

/// The consonant skeleton of a folded token in any script: the classes of its consonants in
/// order, repeats collapsed; vowels and silent letters dropped. The first of [`skeletons`].
pub fn skeleton(token: &str) -> String {
    skeletons(token).into_iter().next().unwrap_or_default()
}

/// At most this many skeletons per token.
const MAX_SKELETONS: usize = 4;

/// The skeletons of a token: the primary reading first, then the readings of graphemes the
/// table marks as ambiguous — a Latin `j` (`Jewgeni`: semivowel; `Jamal`: consonant), a Latin `ch`
/// (`Chaim`: velar; `Chernov`: postalveolar), a Hebrew ו between letters (`דוד` David: consonant).
pub fn skeletons(token: &str) -> Vec<String> {
    let script = crate::script::dominant_script(token);
    let folded = crate::normalize::fold(token).replace(['\'', '\u{2019}'], "\u{05F3}");
    let mut chars: Vec<char> = match script {
        Some(Script::Cyrillic | Script::Hebrew | Script::Arabic) => {
            folded.chars().filter(|c| !c.is_whitespace()).collect()
        }
        // Latin keeps its diacritics (š is not s); other scripts go through a generic rendering.
        Some(Script::Latin) => folded.chars().filter(|c| c.is_alphabetic()).collect(),
        _ => any_ascii::any_ascii(&folded)
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect(),
    };
    if !matches!(
        script,
        Some(Script::Hebrew | Script::Arabic | Script::Cyrillic)
    ) {
        // x reads as ks (Alexander = Aleksandr).
        chars = chars
            .into_iter()
            .flat_map(|c| if c == 'x' { vec!['k', 's'] } else { vec![c] })
            .collect();
    }
    let mut out = skeletons_of(&chars, script);
    // A Polish or Czech spelling read as it sounds, as a Hebrew, Arabic or Cyrillic writer hears
    // it: one more reading, after the primary ones.
    if script == Some(Script::Latin)
        && let Some(heard) = west_slavic_spelling(&chars)
    {
        for s in skeletons_of(&heard, script) {
            if out.len() < MAX_SKELETONS && !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// The letters Polish and Czech spellings have and English, German and French ones lack.
const WEST_SLAVIC_LETTERS: &str = "łśźżńąęćčšžřěůťďň";

/// A Latin token spelt the Polish or Czech way, rewritten as it sounds (`None` when nothing
/// changes): `rz` after a consonant, at the start or at the end is ž (Krzysztof = Кшиштоф, קשישטוף), `ř` is
/// rž (Říha = רז׳יהה), and `c` is ts (Wacław = Вацлав, Kadlec = קדלץ) in a token marked as
/// Polish or Czech by its letters or its `cz`, `sz`, `rz`, and at the end of `-ec` (the surname
/// ending of both languages).
fn west_slavic_spelling(chars: &[char]) -> Option<Vec<char>> {
    let vowel = |c: char| latin_vowel(c) || class_of(&c.to_string()) == Some(DROPPED);
    let text: String = chars.iter().collect();
    let marked = chars.iter().any(|c| WEST_SLAVIC_LETTERS.contains(*c))
        || ["cz", "sz", "rz"].iter().any(|d| text.contains(d));
    let mut out = Vec::with_capacity(chars.len() + 2);
    let mut i = 0;
    while i < chars.len() {
        let (c, next) = (chars[i], chars.get(i + 1).copied());
        let after_consonant = i == 0 || !vowel(chars[i - 1]);
        match c {
            'r' if next == Some('z') && (after_consonant || i + 2 == chars.len()) => {
                out.push('ž');
                i += 2;
                continue;
            }
            'ř' => out.extend(['r', 'ž']),
            'c' if next.is_some_and(|n| "zhs".contains(n)) => out.push(c),
            'c' if marked || (i + 1 == chars.len() && i > 0 && chars[i - 1] == 'e') => {
                out.extend(['t', 's'])
            }
            _ => out.push(c),
        }
        i += 1;
    }
    (out != chars).then_some(out)
}

/// The skeletons of a token's letters (see [`skeletons`]).
fn skeletons_of(chars: &[char], script: Option<Script>) -> Vec<String> {
    let cl = classes();
    // Each grapheme's class choices, primary first.
    let n = chars.len();
    let mut units: Vec<Vec<char>> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut step = 1;
        let mut choice = None;
        for len in (1..=cl.longest.min(n - i)).rev() {
            let unit: String = chars[i..i + len].iter().collect();
            if let Some(&c) = cl.map.get(&unit) {
                choice = Some(contextual(chars, i, len, c, script));
                step = len;
                break;
            }
        }
        if choice.is_none() && script == Some(Script::Latin) {
            // A Latin letter the table lacks: its ASCII form.
            let ascii = any_ascii::any_ascii_char(chars[i]).to_lowercase();
            choice = ascii
                .chars()
                .next()
                .and_then(|a| cl.map.get(&a.to_string()))
                .map(|c| vec![*c]);
        }
        if let Some(c) = choice {
            units.push(c);
        }
        i += step;
    }
    let mut out: Vec<String> = vec![String::new()];
    for choices in &units {
        let mut next = Vec::new();
        for prefix in &out {
            for (k, &c) in choices.iter().enumerate() {
                if k > 0 && next.len() + out.len() > MAX_SKELETONS * 2 {
                    break;
                }
                let mut s = prefix.clone();
                if c != DROPPED && !s.ends_with(c) {
                    s.push(c);
                }
                next.push(s);
            }
        }
        next.dedup();
        next.truncate(MAX_SKELETONS);
        out = next;
    }
    let mut distinct: Vec<String> = Vec::new();
    for s in out {
        if !distinct.contains(&s) {
            distinct.push(s);
        }
    }
    distinct
}

/// The context rules the table names; several classes where a grapheme is ambiguous.
fn contextual(
    chars: &[char],
    i: usize,
    len: usize,
    class: char,
    script: Option<Script>,
) -> Vec<char> {
    let unit = &chars[i..i + len];
    let next = chars.get(i + len).copied();
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let last = i + len == chars.len();
    let one = |c: char| vec![c];
    match script {
        Some(Script::Hebrew) => match unit {
            ['ו'] if i == 0 => one('B'),
            ['ו'] if !last && i > 0 => vec![DROPPED, 'B'],
            ['ה'] if last => one(DROPPED),
            _ => one(class),
        },
        Some(Script::Arabic) => match unit {
            ['و'] if i == 0 => one('B'),
            ['ه'] if last && prev.is_some_and(|p| "اوىي".contains(p)) => one(DROPPED),
            _ => one(class),
        },
        Some(Script::Cyrillic) => one(class),
        _ => match unit {
            ['c'] if next.is_some_and(|c| "eiy".contains(c)) => one('S'),
            // g before e, i, y: hard in German and Slavic spellings, soft (C) in English and
            // French ones (George, Gérard: ג׳ורג׳, جورج), as the table says.
            ['g'] if next.is_some_and(|c| "eiy".contains(c)) => vec!['K', 'C'],
            ['h'] if last && prev.is_some_and(latin_vowel) => one(DROPPED),
            // j: a semivowel in German, Slavic and biblical spellings, a consonant in English.
            ['j'] if i == 0 => vec![DROPPED, 'C'],
            ['j'] => one(DROPPED),
            ['c', 'h'] => vec!['C', 'K'],
            _ => one(class),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_own_examples() {
        for (name, key) in [
            ("משה", "MC"),
            ("Moshe", "MC"),
            ("Moche", "MC"),
            ("רבין", "RBN"),
            ("Rabin", "RBN"),
            ("محمد", "MKMD"),
            ("Muhammad", "MKMD"),
            ("Mohammed", "MKMD"),
            ("גורבצ׳וב", "KRBCB"),
            ("Горбачёв", "KRBCB"),
            ("Gorbachev", "KRBCB"),
            ("Gorbatschow", "KRBCB"),
            ("غورباتشوف", "KRBCB"),
            ("Shuliapov", "CLB"),
            ("Шуляпов", "CLB"),
            ("שוליאפוב", "CLB"),
            ("Schuljapow", "CLB"),
            ("Alexander", "LKSNDR"),
            ("Aleksandr", "LKSNDR"),
            ("Александр", "LKSNDR"),
        ] {
            assert_eq!(skeleton(name), key, "{name}");
        }
        assert_eq!(skeleton(""), "");
        assert!(skeletons("Jewgeni").contains(&skeleton("Evgenii")));
        assert!(skeletons("Tschajkowskaja").contains(&skeleton("Chaikovskaia")));
        assert!(skeletons("Chaim").contains(&skeleton("חיים")));
        assert_eq!(skeleton("aeiou"), "");
    }

    #[test]
    fn polish_and_czech_spellings_are_also_read_as_they_sound() {
        for (latin, written) in [
            ("Krzysztof", "קשישטוף"),
            ("Krzysztof", "Кшиштоф"),
            ("Kadlec", "קדלץ"),
            ("Říha", "רז׳יהה"),
            ("Wacław", "Вацлав"),
            ("Grzegorz", "Гжегож"),
        ] {
            let heard = skeletons(latin);
            assert!(
                heard.contains(&skeleton(written)),
                "{latin} {heard:?} ~ {written} {}",
                skeleton(written)
            );
        }
        // The primary reading stays first, and English or German spellings get no other.
        assert_eq!(skeleton("Krzysztof"), "KRSCTB");
        assert_eq!(skeletons("Herzog"), vec![skeleton("Herzog")]);
        assert_eq!(skeletons("Clement").len(), 1);
    }
}
