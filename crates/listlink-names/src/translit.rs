//! Transliteration of a name token to Latin by named standards, from the data tables in
//! `data/translit/` (each cites its sources at the top). A token yields the *set* of its plausible
//! Latin renderings, each labelled with the standard that produced it.
//!
//! - Cyrillic (Russian, Ukrainian, Belarusian): ICAO Doc 9303, BGN/PCGN, ISO 9, German and French
//!   practice, with the context rules the standards give (word-initial, after a vowel).
//! - Hebrew and Arabic are abjads: vowels are mostly unwritten, so a token is kept as a sequence of
//!   letters, each with its alternative renderings ([`AbjadWord`]); a few plausible renderings are
//!   spelled out, and [`abjad_cost`] aligns the letters against a Latin string with free vowels.
//! - Any other script: a generic per-character rendering (`any_ascii`).

use crate::script::Script;
use crate::tables::Table;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The standard a rendering follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Standard {
    /// The token was already in Latin script.
    AsWritten,
    Icao,
    BgnPcgn,
    Iso9,
    German,
    French,
    Italian,
    /// A Latin spelling read by its sounds (Alex as aleks, Philip as filip, Marcel as marsel):
    /// what a Hebrew, Arabic or Cyrillic writer hears and writes.
    Sounded,
    /// A reading of Hebrew letters (common Israeli romanisation).
    Hebrew,
    /// A reading of Arabic letters (common English practice).
    Arabic,
    /// A per-character fallback for other scripts.
    Generic,
}

impl Standard {
    pub fn label(self) -> &'static str {
        match self {
            Standard::AsWritten => "as written",
            Standard::Icao => "ICAO",
            Standard::BgnPcgn => "BGN/PCGN",
            Standard::Iso9 => "ISO 9",
            Standard::German => "German",
            Standard::French => "French",
            Standard::Italian => "Italian",
            Standard::Sounded => "as sounded",
            Standard::Hebrew => "Hebrew",
            Standard::Arabic => "Arabic",
            Standard::Generic => "generic",
        }
    }

    fn from_table(name: &str) -> Option<Standard> {
        Some(match name {
            "icao" => Standard::Icao,
            "bgn_pcgn" => Standard::BgnPcgn,
            "iso9" => Standard::Iso9,
            "german" => Standard::German,
            "french" => Standard::French,
            _ => return None,
        })
    }
}

/// The Cyrillic standards, in the order renderings are listed.
pub const CYRILLIC_STANDARDS: [Standard; 5] = [
    Standard::Icao,
    Standard::BgnPcgn,
    Standard::Iso9,
    Standard::German,
    Standard::French,
];

/// One Latin rendering of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    pub standard: Standard,
    /// As the standard writes it (ISO 9 keeps its diacritics), lowercase.
    pub display: String,
    /// ASCII key: lowercase `a`–`z` only.
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lang {
    Ru,
    Uk,
    Be,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Context {
    Any,
    Initial,
    AfterVowel,
    AfterConsonant,
}

type CyrillicRules = HashMap<(Lang, char, Standard), Vec<(Context, String)>>;

fn cyrillic_rules() -> &'static CyrillicRules {
    static RULES: OnceLock<CyrillicRules> = OnceLock::new();
    RULES.get_or_init(|| {
        let t = Table::parse(
            "cyrillic.tsv",
            include_str!("../data/translit/cyrillic.tsv"),
        );
        let (lang, letter, context, standard, latin) = (
            t.col("lang"),
            t.col("letter"),
            t.col("context"),
            t.col("standard"),
            t.col("latin"),
        );
        let mut rules: CyrillicRules = HashMap::new();
        for row in &t.rows {
            let lang = match row[lang].as_str() {
                "ru" => Lang::Ru,
                "uk" => Lang::Uk,
                "be" => Lang::Be,
                other => panic!("cyrillic.tsv: unknown lang `{other}`"),
            };
            let mut chars = row[letter].chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                panic!("cyrillic.tsv: letter `{}`", row[letter])
            };
            let context = match row[context].as_str() {
                "any" => Context::Any,
                "initial" => Context::Initial,
                "after_vowel" => Context::AfterVowel,
                "after_consonant" => Context::AfterConsonant,
                other => panic!("cyrillic.tsv: unknown context `{other}`"),
            };
            let Some(standard) = Standard::from_table(&row[standard]) else {
                panic!("cyrillic.tsv: unknown standard `{}`", row[standard])
            };
            let latin = row[latin].trim_matches('"').to_string();
            rules
                .entry((lang, c, standard))
                .or_default()
                .push((context, latin));
        }
        rules
    })
}

fn is_cyrillic_vowel(c: char) -> bool {
    "аеёиоуыэюяієїў".contains(c)
}

fn cyrillic_lang(word: &str) -> Lang {
    if word.contains(['ў']) || (word.contains('і') && word.contains('ы')) {
        Lang::Be
    } else if word.contains(['ї', 'є', 'ґ']) || word.contains('і') {
        Lang::Uk
    } else {
        Lang::Ru
    }
}

/// A Cyrillic token under one standard (lowercase, as the standard writes it), the language
/// guessed from its letters (Ukrainian і ї є ґ, Belarusian ў).
pub fn cyrillic_to_latin(word: &str, standard: Standard) -> String {
    cyrillic_in(word, cyrillic_lang(word), standard)
}

/// A Cyrillic token of a known language (`ru`, `uk`, `be`) under one standard.
pub fn cyrillic_to_latin_as(word: &str, lang: &str, standard: Standard) -> String {
    let lang = match lang {
        "uk" => Lang::Uk,
        "be" => Lang::Be,
        _ => Lang::Ru,
    };
    cyrillic_in(word, lang, standard)
}

fn cyrillic_in(word: &str, lang: Lang, standard: Standard) -> String {
    let rules = cyrillic_rules();
    let mut out = String::with_capacity(word.len() * 2);
    let mut prev: Option<char> = None;
    for c in word.chars() {
        let context = match prev {
            None => Context::Initial,
            // й counts as a vowel here (BGN/PCGN: е → ye after vowels, й, ъ, ь).
            Some(p) if is_cyrillic_vowel(p) || matches!(p, 'ъ' | 'ь' | 'й') => {
                Context::AfterVowel
            }
            Some(p) if Script::of(p) == Some(Script::Cyrillic) => Context::AfterConsonant,
            // The Ukrainian and Belarusian apostrophe separates like a consonant.
            Some('\'' | '\u{02BC}' | '\u{2019}') => Context::AfterConsonant,
            Some(_) => Context::Initial,
        };
        let options = rules
            .get(&(lang, c, standard))
            .or_else(|| rules.get(&(Lang::Ru, c, standard)));
        match options {
            Some(options) => {
                let pick = options
                    .iter()
                    .find(|(ctx, _)| *ctx == context)
                    .or_else(|| options.iter().find(|(ctx, _)| *ctx == Context::Any));
                if let Some((_, latin)) = pick {
                    out.push_str(latin);
                }
            }
            None => out.push_str(&any_ascii::any_ascii_char(c).to_lowercase()),
        }
        prev = Some(c);
    }
    out
}

/// An ASCII key of a Latin rendering: diacritics folded, only `a`–`z` kept.
pub fn ascii_key(latin: &str) -> String {
    any_ascii::any_ascii(latin)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase())
        .collect()
}

/// A Hebrew or Arabic token as letters, each with its alternative Latin renderings (most common
/// first; the empty string where the letter may be silent or a vowel carrier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbjadWord {
    pub script: Script,
    pub letters: Vec<Vec<String>>,
    /// Each letter's consonant class (`'0'`: a vowel letter or silent).
    pub classes: Vec<Option<char>>,
    /// The letters as written (one string per letter, geresh included), for explanations.
    pub written: Vec<String>,
}

#[derive(Debug)]
struct AbjadTable {
    /// letter (with geresh where it has one) → per position: renderings.
    units: HashMap<String, Vec<(Position, Vec<String>)>>,
    longest: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Any,
    Initial,
    Medial,
    Final,
}

fn abjad_table(script: Script) -> &'static AbjadTable {
    static HEBREW: OnceLock<AbjadTable> = OnceLock::new();
    static ARABIC: OnceLock<AbjadTable> = OnceLock::new();
    let (cell, name, text) = match script {
        Script::Hebrew => (
            &HEBREW,
            "hebrew.tsv",
            include_str!("../data/translit/hebrew.tsv"),
        ),
        _ => (
            &ARABIC,
            "arabic.tsv",
            include_str!("../data/translit/arabic.tsv"),
        ),
    };
    cell.get_or_init(|| {
        let t = Table::parse(name, text);
        let (letter, position, renderings) =
            (t.col("letter"), t.col("position"), t.col("renderings"));
        let mut units: HashMap<String, Vec<(Position, Vec<String>)>> = HashMap::new();
        let mut longest = 1;
        for row in &t.rows {
            let unit = normalize_geresh(&row[letter]);
            let position = match row[position].as_str() {
                "any" | "" => Position::Any,
                "initial" => Position::Initial,
                "medial" => Position::Medial,
                "final" => Position::Final,
                other => panic!("{name}: unknown position `{other}`"),
            };
            let alternatives: Vec<String> = row[renderings]
                .split('|')
                .map(|r| r.trim().to_lowercase())
                .collect();
            longest = longest.max(unit.chars().count());
            units
                .entry(unit)
                .or_default()
                .push((position, alternatives));
        }
        AbjadTable { units, longest }
    })
}

/// Apostrophes typed for a geresh become the geresh itself.
fn normalize_geresh(s: &str) -> String {
    s.replace(['\'', '\u{2019}', '`'], "\u{05F3}")
}

/// Splits a Hebrew or Arabic token into letters with their renderings; `None` for other scripts.
pub fn abjad_word(token: &str) -> Option<AbjadWord> {
    let script = crate::script::dominant_script(token)?;
    if !matches!(script, Script::Hebrew | Script::Arabic) {
        return None;
    }
    let table = abjad_table(script);
    let chars: Vec<char> = normalize_geresh(token)
        .chars()
        .filter(|c| Script::of(*c) == Some(script) || *c == '\u{05F3}')
        .collect();
    let mut letters = Vec::new();
    let mut written = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let mut matched = false;
        for len in (1..=table.longest.min(chars.len() - i)).rev() {
            let unit: String = chars[i..i + len].iter().collect();
            if let Some(options) = table.units.get(&unit) {
                let position = if i == 0 {
                    Position::Initial
                } else if i + len == chars.len() {
                    Position::Final
                } else {
                    Position::Medial
                };
                let pick = options
                    .iter()
                    .find(|(p, _)| *p == position)
                    .or_else(|| options.iter().find(|(p, _)| *p == Position::Any))
                    .or(options.first());
                if let Some((_, alternatives)) = pick {
                    letters.push(alternatives.clone());
                    written.push(unit);
                }
                i += len;
                matched = true;
                break;
            }
        }
        if !matched {
            // A sign the table does not know (a stray geresh, punctuation): skipped.
            i += 1;
        }
    }
    if letters.is_empty() {
        return None;
    }
    let classes = written
        .iter()
        .map(|w| crate::skeleton::class_of(w))
        .collect();
    Some(AbjadWord {
        script,
        letters,
        classes,
        written,
    })
}

impl AbjadWord {
    /// A few plausible renderings: the most common reading of every letter, then each letter's
    /// second reading in turn. Deterministic, at most `limit`.
    pub fn renderings(&self, limit: usize) -> Vec<String> {
        let first: Vec<&str> = self.letters.iter().map(|l| l[0].as_str()).collect();
        let mut out = vec![first.concat()];
        for (i, l) in self.letters.iter().enumerate() {
            if out.len() >= limit {
                break;
            }
            if let Some(second) = l.get(1) {
                let mut v = first.clone();
                v[i] = second;
                let s = v.concat();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

/// The cost of reading `latin` (an ASCII key) as the abjad letters, in half-errors: each letter
/// rendered by one of its readings costs nothing; a Latin vowel (a e i o u y) left over costs
/// nothing (short vowels are unwritten), nor does a vowel letter (ו, י, ا, و …) left unread next
/// to a written vowel it can stand for; a letter read as another Latin letter of its consonant class (ف as v,
/// و as v) costs 1; any other leftover character, letter left out or substitution costs 2.
/// 0 means `latin` is a faithful reading of the letters.
///
/// The word's first letter and the Latin's first consonant are anchored: a name's first sound is
/// written on both sides, so the first letter is never absorbed as a vowel letter (ולש is not
/// Elsa) unless it is silent (א, ע) before a Latin vowel, a Latin first vowel is unread only beside a first letter
/// that can be silent (לוי is not Ulya), and a leading `y` or `i` before a vowel is a consonant
/// (לוי is not Yulia or Iulia). A doubled Latin consonant is one sound (Eddie אדי, Lloyd לויד).
pub fn abjad_cost(word: &AbjadWord, latin: &str) -> u32 {
    let mut undoubled = Vec::with_capacity(latin.len());
    for &b in latin.as_bytes() {
        if undoubled.last() == Some(&b) && !b"aeiouy".contains(&b) {
            continue;
        }
        undoubled.push(b);
    }
    let l = &undoubled[..];
    let n = word.letters.len();
    const INF: u32 = u32::MAX / 2;
    let is_vowel = |b: u8| b"aeiouy".contains(&b);
    // Iu, Ya, Yo at the start are a consonant y and a vowel (Iulia, Yulia, Iosif).
    let leading_consonant_y = l.len() > 1 && matches!(l[0], b'y' | b'i') && is_vowel(l[1]);
    // A name that starts with a vowel is written with a letter for it (א, ע, ا): the Latin's
    // first vowel goes unread only beside a first letter that can be silent (Uri אורי).
    let first_silent = word
        .letters
        .first()
        .is_some_and(|alts| alts.iter().any(|a| a.is_empty()));
    // An h that English spelling writes and nobody says: after w (White), in a final gh or
    // before t (McVeigh, Wright), after a vowel before a consonant or the end (Johnson, Sarah).
    let silent_h = |j: usize| {
        l[j] == b'h'
            && j > 0
            && (l[j - 1] == b'w'
                || l[j - 1] == b'g' && (j + 1 == l.len() || l[j + 1] == b't')
                || is_vowel(l[j - 1]) && (j + 1 == l.len() || !is_vowel(l[j + 1])))
    };
    // Per letter, the Latin vowels it can stand for (ו: o, u; י: i, e): a vowel letter goes
    // unread only beside one of them (the ו of שאטוב is not absorbed by the e of Steve).
    let own_vowels: Vec<Vec<u8>> = word
        .letters
        .iter()
        .map(|alts| {
            let mut v: Vec<u8> = alts
                .iter()
                .filter(|a| !a.is_empty() && a.bytes().all(is_vowel))
                .flat_map(|a| a.bytes())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let latin_class: Vec<Option<char>> =
        l.iter().map(|&b| crate::skeleton::ascii_class(b)).collect();
    // cost[k][j]: k letters read, j Latin bytes consumed.
    let mut cost = vec![vec![INF; l.len() + 1]; n + 1];
    cost[0][0] = 0;
    for k in 0..=n {
        for j in 0..=l.len() {
            let c = cost[k][j];
            if c >= INF {
                continue;
            }
            if j < l.len() {
                let skip = if is_vowel(l[j]) && (j > 0 || first_silent && !leading_consonant_y)
                    || silent_h(j)
                {
                    0
                } else {
                    2
                };
                cost[k][j + 1] = cost[k][j + 1].min(c + skip);
            }
            if k < n {
                for alt in &word.letters[k] {
                    let a = alt.as_bytes();
                    // A silent first letter (א, ע) stands for a first vowel: it is not silent
                    // before a Latin consonant (אלכס is not Lukas).
                    if k == 0 && a.is_empty() && l.first().is_some_and(|&b| !is_vowel(b)) {
                        continue;
                    }
                    if l[j..].starts_with(a) {
                        cost[k + 1][j + a.len()] = cost[k + 1][j + a.len()].min(c);
                    }
                }
                // A vowel letter absorbed by a neighbouring written vowel.
                let own = &own_vowels[k];
                let near_vowel =
                    (j > 0 && own.contains(&l[j - 1])) || (j < l.len() && own.contains(&l[j]));
                let drop = if near_vowel && k > 0 { 0 } else { 2 };
                cost[k + 1][j] = cost[k + 1][j].min(c + drop);
                if j < l.len() {
                    let same_class = matches!((word.classes[k], latin_class[j]), (Some(x), Some(y)) if x == y && x != '0');
                    cost[k + 1][j + 1] = cost[k + 1][j + 1].min(c + if same_class { 1 } else { 2 });
                }
            }
        }
    }
    cost[n][l.len()]
}

/// German spellings of Russian names, read back (longest first).
const GERMAN_READING: &[(&str, &str)] = &[
    ("schtsch", "shch"),
    ("tsch", "ch"),
    ("sch", "sh"),
    ("ch", "kh"),
    ("w", "v"),
    ("ja", "ya"),
    ("je", "ye"),
    ("ju", "yu"),
    ("jo", "yo"),
    ("j", "y"),
];

/// French spellings of Russian names, read back (longest first).
const FRENCH_READING: &[(&str, &str)] = &[
    ("chtch", "shch"),
    ("tch", "ch"),
    ("ch", "sh"),
    ("ou", "u"),
    ("gue", "ge"),
    ("gui", "gi"),
    ("j", "zh"),
    ("ia", "ya"),
];

/// Latin spellings read by their sounds (longest first): one letter for two sounds (x), two
/// letters for one (ph, ck), a soft c. `ch` is kept as it is, read as it may be.
const SOUNDED_READING: &[(&str, &str)] = &[
    ("ch", "ch"),
    ("ck", "k"),
    ("ph", "f"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "sy"),
    ("x", "ks"),
];

/// A French name as Russian, Hebrew and Arabic writers hear it (Dubois Дюбуа, Moreau Моро,
/// Lambert Ламбер, Isabelle Изабель): vowel digraphs as their sounds, a final consonant
/// unsaid, an s between vowels as z. Only for a spelling French by its look (eau, oi, or one
/// of French names' silent endings), so that English names keep one reading.
fn french_sounds(ascii: &str) -> Option<String> {
    const ENDINGS: [&str; 15] = [
        "eau", "eaux", "ois", "oit", "ault", "aud", "ard", "ert", "ot", "et", "at", "oux", "eux",
        "aux", "ier",
    ];
    let french = ascii.len() >= 4
        && (ascii.contains("eau")
            || ascii[1..].contains("oi")
            || ENDINGS.iter().any(|e| ascii.ends_with(e)));
    if !french {
        return None;
    }
    let mut read = rewrite(
        ascii,
        &[
            ("eaux", "o"),
            ("eau", "o"),
            ("aux", "o"),
            ("au", "o"),
            ("oi", "ua"),
            ("ou", "u"),
            ("ier", "ie"),
            ("ch", "sh"),
        ],
    );
    // The final consonant unsaid (Bernard, Lambert, Renault), and a second one before it.
    for _ in 0..2 {
        if read.len() > 3 && read.ends_with(['s', 't', 'd', 'x', 'z']) {
            read.pop();
        }
        if read.len() > 3 && read.ends_with('l') && ascii.ends_with("ault") {
            read.pop();
        }
    }
    // s between vowels as z.
    let b = read.as_bytes();
    let vowel = |c: u8| b"aeiouy".contains(&c);
    let read: String = (0..b.len())
        .map(|i| {
            if b[i] == b's' && i > 0 && i + 1 < b.len() && vowel(b[i - 1]) && vowel(b[i + 1]) {
                'z'
            } else {
                b[i] as char
            }
        })
        .collect();
    (read != ascii).then_some(read)
}

/// An Italian name as Russian, Hebrew and Arabic writers hear it (Giulia Джулия, Giovanni
/// Джованни, Cecilia Чечилия): a soft g and c before e or i, a hard ch and gh. Only for a word
/// ending in a vowel with one of those letters, as Italian names are.
fn italian_sounds(ascii: &str) -> Option<String> {
    const SOFT: [&str; 6] = ["gi", "ge", "ci", "ce", "gn", "gh"];
    let italian = ascii.len() >= 4
        && ascii.ends_with(['a', 'e', 'i', 'o'])
        && (SOFT.iter().any(|s| ascii.contains(s))
            || ascii.contains("che")
            || ascii.contains("chi"));
    if !italian {
        return None;
    }
    let read = rewrite(
        ascii,
        &[
            ("ggia", "dzha"),
            ("ggio", "dzho"),
            ("gia", "dzha"),
            ("gio", "dzho"),
            ("giu", "dzhu"),
            ("gi", "dzhi"),
            ("ge", "dzhe"),
            ("ccia", "cha"),
            ("cci", "chi"),
            ("cce", "che"),
            ("cia", "cha"),
            ("cio", "cho"),
            ("ciu", "chu"),
            ("ci", "chi"),
            ("ce", "che"),
            ("chi", "ki"),
            ("che", "ke"),
            ("gh", "g"),
            ("gli", "li"),
            ("gn", "n"),
            ("sci", "shi"),
            ("sce", "she"),
            ("ia", "iya"),
        ],
    );
    (read != ascii).then_some(read)
}

/// Applies rewrite rules left to right, longest rule first at each position.
fn rewrite(s: &str, rules: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < s.len() {
        match rules.iter().find(|(from, _)| s[i..].starts_with(from)) {
            Some((from, to)) => {
                out.push_str(to);
                i += from.len();
            }
            None => {
                let c = s[i..].chars().next().expect("in bounds");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// All plausible renderings of a folded token, deduplicated by key, in a fixed order.
pub fn renderings(token: &str) -> Vec<Rendering> {
    let mut out: Vec<Rendering> = Vec::new();
    let mut push = |standard: Standard, display: String| {
        let key = ascii_key(&display);
        if !key.is_empty() && !out.iter().any(|r| r.key == key) {
            out.push(Rendering {
                standard,
                display,
                key,
            });
        }
    };
    match crate::script::dominant_script(token) {
        None => {}
        Some(Script::Latin) => {
            push(Standard::AsWritten, token.to_string());
            // A Russian name spelt the German or French way, read back the English way:
            // Jewgeni ~ Yevgeni, Schukow ~ Shukov, Tchoukine ~ Chukine.
            let ascii = ascii_key(token);
            for (standard, rules) in [
                (Standard::German, GERMAN_READING),
                (Standard::French, FRENCH_READING),
                (Standard::Sounded, SOUNDED_READING),
            ] {
                let read = rewrite(&ascii, rules);
                if read != ascii {
                    push(standard, read);
                }
            }
            if let Some(read) = french_sounds(&ascii) {
                push(Standard::French, read);
            }
            if let Some(read) = italian_sounds(&ascii) {
                push(Standard::Italian, read);
            }
        }
        Some(Script::Cyrillic) => {
            for standard in CYRILLIC_STANDARDS {
                push(standard, cyrillic_to_latin(token, standard));
            }
        }
        Some(script @ (Script::Hebrew | Script::Arabic)) => {
            let standard = if script == Script::Hebrew {
                Standard::Hebrew
            } else {
                Standard::Arabic
            };
            if let Some(w) = abjad_word(token) {
                for r in w.renderings(6) {
                    push(standard, r);
                }
            }
        }
        Some(_) => push(Standard::Generic, any_ascii::any_ascii(token)),
    }
    out
}
