//! Name structure: a full name split into given names, patronymic or father's names, and family
//! names, from cues in the writing — a comma (`Ivanov, Petr`), a family name in capitals
//! (`IVANOV Petr`), a Russian patronymic's ending, Arabic `bin`/`ibn` chains — and compounds
//! glued (`Abd Allah` → `abdallah`, `عبد الله` → `عبدالله`).

use crate::normalize::{fold, tokens};

/// The parts of a person's name, as folded tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameParts {
    pub given: Vec<String>,
    /// Patronymic, father's and grandfather's names, and middle names: compared when both sides
    /// have them, neutral when one side lacks them.
    pub patronymic: Vec<String>,
    pub family: Vec<String>,
}

impl NameParts {
    pub fn is_empty(&self) -> bool {
        self.given.is_empty() && self.patronymic.is_empty() && self.family.is_empty()
    }
}

/// Whether a folded token reads as a Russian, Ukrainian or Belarusian patronymic.
pub fn is_patronymic(token: &str) -> bool {
    const ENDINGS: [&str; 14] = [
        "ович",
        "евич",
        "ьич",
        "овна",
        "евна",
        "ична",
        "инична",
        "ovich",
        "evich",
        "ovitch",
        "evitch",
        "ovna",
        "evna",
        "ichna",
    ];
    token.chars().count() > 5 && ENDINGS.iter().any(|e| token.ends_with(e))
}

/// Words that join the next token into one name part.
fn is_compound_head(token: &str) -> bool {
    matches!(
        token,
        "abd"
            | "abdel"
            | "abdul"
            | "abdal"
            | "abu"
            | "abou"
            | "abo"
            | "عبد"
            | "أبو"
            | "ابو"
            | "אבו"
    )
}

/// Words that link a given name to a father's name.
fn is_nasab(token: &str) -> bool {
    matches!(
        token,
        "bin" | "ibn" | "bint" | "ben" | "bat" | "بن" | "ابن" | "بنت" | "בן" | "בת"
    )
}

/// Folds and tokenises a name, gluing compounds (`abd` + `allah`, `al` + `hassan`).
pub fn name_tokens(raw: &str) -> Vec<String> {
    let folded = fold(raw)
        .split_whitespace()
        .map(|w| match w.split_once('-') {
            // as-Sayyid, ад-Дин: the article assimilated to a sun letter, as `al`.
            Some((head, rest)) if !rest.is_empty() && is_hyphen_article(head) => {
                format!("al {}", rest.replace('-', " "))
            }
            _ => w.replace('-', " "),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut out: Vec<String> = Vec::new();
    let mut glue_next = false;
    for t in tokens(&folded) {
        let article = is_article(t);
        if glue_next && let Some(last) = out.last_mut() {
            // abd + al + rahman: the article inside a compound is kept.
            last.push_str(t);
            glue_next = article;
            continue;
        }
        if article {
            // Al-Hashimi ~ Hashimi: lists write the article, or leave it out.
            continue;
        }
        glue_next = is_compound_head(t);
        out.push(t.to_string());
    }
    // Particles between a given name and a family name (Ludwig van Beethoven, Charles de
    // Gaulle, לודוויג ואן בטהובן) are not names: lists write them or not, and two that do
    // would agree on them. First or last, a particle may be a name (Van Morrison, Le).
    if out.len() >= 3 {
        let last = out.len() - 1;
        let mut i = 0;
        out.retain(|t| {
            let keep = i == 0 || i == last || !is_particle(t);
            i += 1;
            keep
        });
    }
    out
}

/// Name particles, in the scripts lists write them in (folded).
fn is_particle(t: &str) -> bool {
    matches!(
        t,
        "van"
            | "von"
            | "de"
            | "da"
            | "di"
            | "du"
            | "la"
            | "le"
            | "del"
            | "della"
            | "der"
            | "den"
            | "ten"
            | "ter"
            | "dos"
            | "das"
            | "do"
            | "of"
            | "ван"
            | "фон"
            | "де"
            | "ди"
            | "дю"
            | "ла"
            | "ле"
            | "дер"
            | "ואן"
            | "פון"
            | "פאן"
            | "דה"
            | "די"
            | "דו"
            | "לה"
            | "דל"
            | "דלה"
            | "דר"
            | "فان"
            | "فون"
            | "دي"
    )
}

/// The Arabic article written apart (folded), in the scripts lists write it in.
fn is_article(t: &str) -> bool {
    matches!(t, "al" | "el" | "ال" | "аль" | "эль" | "אל")
}

/// The Arabic article before a hyphen, as written before sun letters too (ad-Din, ash-Shami,
/// ар-Рашид): only with the hyphen, since `An` or `As` alone may be a name.
fn is_hyphen_article(t: &str) -> bool {
    is_article(t)
        || matches!(
            t,
            "ad" | "adh"
                | "ar"
                | "as"
                | "ash"
                | "at"
                | "ath"
                | "az"
                | "an"
                | "ed"
                | "er"
                | "es"
                | "et"
                | "en"
                | "ez"
                | "ал"
                | "эл"
                | "ад"
                | "ар"
                | "ас"
                | "аш"
                | "ат"
                | "аз"
                | "ан"
                | "эд"
                | "эр"
                | "эс"
                | "эт"
                | "эн"
        )
}

/// Splits a full name. Without cues, the first token is the given name and the last the family
/// name (the usual order of Latin, Hebrew and Cyrillic lists alike).
pub fn parse_full_name(raw: &str) -> NameParts {
    without_articles(parse_full_name_as_written(&regnal(raw)))
}

/// Words that open a ruler's or a noble's title after a comma (`Charles II, King of Navarre`,
/// `שארל השני, מלך נווארה`), in the scripts of the bundled tables.
const TITLES: &[&str] = &[
    "king",
    "queen",
    "duke",
    "duchess",
    "prince",
    "princess",
    "elector",
    "emperor",
    "empress",
    "count",
    "countess",
    "pope",
    "earl",
    "margrave",
    "sultan",
    "shah",
    "tsar",
    "czar",
    "lord",
    "מלך",
    "מלכת",
    "מלכה",
    "נסיך",
    "הנסיך",
    "הנסיכה",
    "דוכס",
    "הדוכס",
    "שליט",
    "קיסר",
    "הקיסר",
    "קיסרית",
    "האפיפיור",
    "רוזן",
    "הרוזן",
    "ملك",
    "سلطان",
    "امير",
    "король",
    "королева",
    "князь",
    "император",
    "царь",
    "герцог",
];

/// Hebrew ordinal words as the Roman numerals Latin lists write after a ruler's name.
const ORDINALS: &[(&str, &str)] = &[
    ("הראשון", "i"),
    ("הראשונה", "i"),
    ("השני", "ii"),
    ("השנייה", "ii"),
    ("השניה", "ii"),
    ("השלישי", "iii"),
    ("השלישית", "iii"),
    ("הרביעי", "iv"),
    ("הרביעית", "iv"),
    ("החמישי", "v"),
    ("החמישית", "v"),
    ("השישי", "vi"),
    ("השישית", "vi"),
    ("השביעי", "vii"),
    ("השמיני", "viii"),
    ("התשיעי", "ix"),
    ("השביעית", "vii"),
    ("השמינית", "viii"),
    ("התשיעית", "ix"),
    ("העשירי", "x"),
    ("העשירית", "x"),
];

/// The first word of a Hebrew ordinal from eleven to nineteen (`הארבעה עשר`, the fourteenth),
/// masculine and feminine, with its units; `עשר` or `עשרה` follows.
const TEEN_ORDINALS: &[(&str, u8)] = &[
    ("האחד", 1),
    ("האחת", 1),
    ("השנים", 2),
    ("השתים", 2),
    ("השלושה", 3),
    ("השלוש", 3),
    ("הארבעה", 4),
    ("הארבע", 4),
    ("החמישה", 5),
    ("החמש", 5),
    ("השישה", 6),
    ("השש", 6),
    ("השבעה", 7),
    ("השבע", 7),
    ("השמונה", 8),
    ("התשעה", 9),
    ("התשע", 9),
];

/// Roman numerals of eleven to nineteen, by their units.
const TEEN_NUMERALS: [&str; 10] = [
    "x", "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix",
];

/// The words of a name with each Hebrew ordinal from eleven to nineteen (two words) read as one
/// Roman numeral: `לואי הארבעה עשר` → `לואי XIV`.
fn join_teen_ordinals<'a>(words: &[&'a str]) -> Vec<std::borrow::Cow<'a, str>> {
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let teen = TEEN_ORDINALS.iter().find(|(h, _)| *h == words[i]);
        let ten = words
            .get(i + 1)
            .is_some_and(|w| matches!(*w, "עשר" | "עשרה"));
        match teen.filter(|_| ten) {
            Some(&(_, units)) => {
                // In capitals, as Latin lists write it.
                out.push(std::borrow::Cow::Owned(
                    TEEN_NUMERALS[units as usize].to_uppercase(),
                ));
                i += 2;
            }
            None => {
                out.push(std::borrow::Cow::Borrowed(words[i]));
                i += 1;
            }
        }
    }
    out
}

/// `II`, `vi`, `XIV`: a ruler's ordinal as Latin lists write it (up to 39).
fn is_roman_numeral(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 6
        && t.chars()
            .all(|c| matches!(c, 'i' | 'v' | 'x' | 'I' | 'V' | 'X'))
}

/// A ruler's name as lists of people write it in either script: the title after a comma
/// dropped (`Charles II, Duke of X` → `Charles II`), `of` and what follows a Roman numeral
/// dropped (`John III of Portugal` → `John III`), and a Hebrew ordinal written as the numeral
/// (`קלמנס השישי` → `קלמנס VI`), so that the two spellings share their words. Other names are
/// returned as they are.
pub fn regnal(raw: &str) -> std::borrow::Cow<'_, str> {
    let mut text = raw;
    if let Some((before, after)) = raw.split_once(',')
        && let Some(first) = after.split_whitespace().next()
        && TITLES.contains(&first.to_lowercase().as_str())
    {
        text = before;
    }
    let written: Vec<&str> = text.split_whitespace().collect();
    let words = join_teen_ordinals(&written);
    let numeral = words
        .iter()
        .position(|w| is_roman_numeral(w) || ORDINALS.iter().any(|(h, _)| *h == w.as_ref()));
    let Some(at) = numeral.filter(|&i| i >= 1) else {
        return if text.len() == raw.len() {
            std::borrow::Cow::Borrowed(raw)
        } else {
            std::borrow::Cow::Owned(text.to_string())
        };
    };
    let end = words[at + 1..]
        .iter()
        .position(|w| w.eq_ignore_ascii_case("of"))
        .map_or(words.len(), |i| at + 1 + i);
    let out: Vec<String> = words[..end]
        .iter()
        .map(|w| match ORDINALS.iter().find(|(h, _)| *h == w.as_ref()) {
            // In capitals, as Latin lists write it (and as a caseless script reads).
            Some((_, r)) => r.to_uppercase(),
            None => w.to_string(),
        })
        .collect();
    std::borrow::Cow::Owned(out.join(" "))
}

fn parse_full_name_as_written(raw: &str) -> NameParts {
    // "Family, Given Patronymic"
    if let Some((family, rest)) = raw.split_once(',') {
        let family = name_tokens(family);
        let rest = name_tokens(rest);
        if !family.is_empty() && !rest.is_empty() {
            let (given, patronymic) = split_given(&rest);
            return NameParts {
                given,
                patronymic,
                family,
            };
        }
    }
    let raw_tokens: Vec<&str> = raw.split_whitespace().collect();
    let tokens = name_tokens(raw);
    if tokens.is_empty() {
        return NameParts::default();
    }
    if tokens.len() == 1 {
        return NameParts {
            given: Vec::new(),
            patronymic: Vec::new(),
            family: tokens,
        };
    }
    // Arabic nasab: X bin Y [bin Z] [family]
    if let Some(pos) = tokens.iter().position(|t| is_nasab(t))
        && pos >= 1
    {
        let given = tokens[..pos].to_vec();
        let rest: Vec<String> = tokens[pos..]
            .iter()
            .filter(|t| !is_nasab(t))
            .cloned()
            .collect();
        // The last word is the family name: after `bin` it is a father's name, but with no
        // family name written it is the name that tells the person apart (Simeon ben Shetach,
        // Ahmad bin Khalid), and lists that leave `bin` out write it as the family name.
        let (patronymic, family) = match rest.split_last() {
            Some((last, before)) => (before.to_vec(), vec![last.clone()]),
            None => (Vec::new(), Vec::new()),
        };
        return NameParts {
            given,
            patronymic,
            family,
        };
    }
    // Family name in capitals among other words: "IVANOV Petr Sergeevich".
    // (Two letters at least: an initial, `L.`, is no family name.)
    let is_caps = |t: &str| {
        t.chars().filter(|c| c.is_alphabetic()).count() > 1 && t.chars().all(|c| !c.is_lowercase())
    };
    let caps: Vec<usize> = (0..raw_tokens.len())
        .filter(|&i| is_caps(raw_tokens[i]))
        .collect();
    if caps.len() == 1 && raw_tokens.len() == tokens.len() && raw_tokens.iter().any(|t| !is_caps(t))
    {
        let family = vec![tokens[caps[0]].clone()];
        let rest: Vec<String> = tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != caps[0])
            .map(|(_, t)| t.clone())
            .collect();
        let (given, patronymic) = split_given(&rest);
        return NameParts {
            given,
            patronymic,
            family,
        };
    }
    // Russian order by the patronymic's place.
    let n = tokens.len();
    if n >= 3 && is_patronymic(&tokens[n - 1]) {
        // Family Given Patronymic
        return NameParts {
            given: tokens[1..n - 1].to_vec(),
            patronymic: vec![tokens[n - 1].clone()],
            family: vec![tokens[0].clone()],
        };
    }
    // A hyphenated last word is one compound family name: Petrova-Vodkina.
    let compound = fold(raw)
        .split_whitespace()
        .last()
        .map_or(1, |w| {
            w.split('-')
                .filter(|p| !p.is_empty() && !is_hyphen_article(p))
                .count()
        })
        .clamp(1, n - 1);
    let family = tokens[n - compound..].to_vec();
    let (given, patronymic) = split_given(&tokens[..n - compound]);
    NameParts {
        given,
        patronymic,
        family,
    }
}

/// [`parse_full_name`], and the name with its family name's attached article kept when one was
/// taken off: `الكسيف` may be al-Kasif or Alekseev.
pub fn parse_full_name_readings(raw: &str) -> (NameParts, Option<NameParts>) {
    articles_off(parse_full_name_as_written(&regnal(raw)))
}

/// [`from_columns`], and the name with its family name's attached article kept when one was
/// taken off.
pub fn from_columns_readings(
    given: &str,
    family: &str,
    patronymic: &str,
    full: &str,
) -> (NameParts, Option<NameParts>) {
    articles_off(from_columns_as_written(given, family, patronymic, full))
}

fn articles_off(written: NameParts) -> (NameParts, Option<NameParts>) {
    let off = without_articles(written.clone());
    let kept = (off != written).then_some(written);
    (off, kept)
}

/// The Arabic article attached in Arabic script taken off family names: `الهاشمي` → `هاشمي`
/// (a separate `Al-`/`El ` is dropped by [`name_tokens`]).
fn without_articles(mut parts: NameParts) -> NameParts {
    for t in &mut parts.family {
        // Only the Arabic script's attached article: a Latin `al…` may be Alexandrov.
        if let Some(rest) = t.strip_prefix("ال").filter(|r| r.chars().count() >= 3) {
            *t = rest.to_string();
        }
    }
    parts
}

/// Whether [`parse_full_name`] had to guess which word is the family name (no comma, no word in
/// capitals, no patronymic or `bin` to go by): then given and family may be the other way round.
pub fn order_guessed(raw: &str) -> bool {
    let raw = &*regnal(raw);
    let tokens = name_tokens(raw);
    if tokens.len() < 2 || raw.contains(',') || tokens.iter().any(|t| is_nasab(t)) {
        return false;
    }
    // (Two letters at least: an initial, `L.`, is no family name.)
    let is_caps = |t: &str| {
        t.chars().filter(|c| c.is_alphabetic()).count() > 1 && t.chars().all(|c| !c.is_lowercase())
    };
    let words: Vec<&str> = raw.split_whitespace().collect();
    let caps = words.iter().filter(|t| is_caps(t)).count();
    if caps == 1 && words.len() == tokens.len() && words.iter().any(|t| !is_caps(t)) {
        return false;
    }
    !tokens.iter().any(|t| is_patronymic(t))
}

/// The first token is the given name; the others patronymic or middle names.
fn split_given(tokens: &[String]) -> (Vec<String>, Vec<String>) {
    match tokens.split_first() {
        Some((first, rest)) => (vec![first.clone()], rest.to_vec()),
        None => (Vec::new(), Vec::new()),
    }
}

/// Name parts from whichever columns a record has: given, family and patronymic columns when
/// present (a given-name cell holding "Evgenii Semenovich" yields the patronymic too), else the
/// full name parsed.
pub fn from_columns(given: &str, family: &str, patronymic: &str, full: &str) -> NameParts {
    without_articles(from_columns_as_written(given, family, patronymic, full))
}

fn from_columns_as_written(given: &str, family: &str, patronymic: &str, full: &str) -> NameParts {
    if given.trim().is_empty() && family.trim().is_empty() {
        let mut parts = parse_full_name(full);
        parts.patronymic.extend(name_tokens(patronymic));
        return parts;
    }
    let mut given_tokens = name_tokens(given);
    let mut patronymic_tokens = name_tokens(patronymic);
    if given_tokens.len() > 1 {
        let extra = given_tokens.split_off(1);
        patronymic_tokens.extend(extra);
    }
    NameParts {
        given: given_tokens,
        patronymic: patronymic_tokens,
        family: name_tokens(family),
    }
}

/// The masculine form of a Slavic feminine surname (`ivanova` → `ivanov`, `ивановa` → `иванов`,
/// `tolstaya` → `tolstoi`), if it is one.
pub fn masculine_surname(token: &str) -> Option<String> {
    for (fem, masc) in [
        ("ova", "ov"),
        ("eva", "ev"),
        ("ina", "in"),
        ("skaya", "skii"),
        ("skaia", "skii"),
        ("ская", "ский"),
        ("ова", "ов"),
        ("ева", "ев"),
        ("ёва", "ёв"),
        ("ина", "ин"),
        ("yna", "yn"),
        ("ына", "ын"),
    ] {
        if let Some(stem) = token.strip_suffix(fem)
            && stem.chars().count() >= 2
        {
            return Some(format!("{stem}{masc}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn rulers_share_their_words_in_either_script() {
        use super::regnal;
        assert_eq!(regnal("Charles II of Navarre"), "Charles II");
        assert_eq!(regnal("שארל השני, מלך נווארה"), "שארל II");
        assert_eq!(regnal("קלמנס השישי"), "קלמנס VI");
        assert_eq!(regnal("William II, Elector of Hesse"), "William II");
        assert_eq!(regnal("Clement VI"), "Clement VI");
        // Past ten, a Hebrew ordinal is two words.
        assert_eq!(regnal("לואי הארבעה עשר"), "לואי XIV");
        assert_eq!(regnal("פיוס השנים עשר"), "פיוס XII");
        assert_eq!(regnal("קתרינה השתים עשרה"), "קתרינה XII");
        assert_eq!(regnal("Louis XIV of France"), "Louis XIV");
        // Not rulers: as they are.
        assert_eq!(regnal("Forbes, Bryan"), "Forbes, Bryan");
        assert_eq!(regnal("Ludwig van Beethoven"), "Ludwig van Beethoven");
        assert_eq!(regnal("Vi Nguyen"), "Vi Nguyen");
        let (h, l) = (
            super::parse_full_name("ז'ואאו השלישי, מלך פורטוגל"),
            super::parse_full_name("John III of Portugal"),
        );
        assert_eq!(h.family, l.family);
        assert_eq!(l.family, vec!["iii".to_string()]);
    }

    use super::*;

    fn p(given: &[&str], patronymic: &[&str], family: &[&str]) -> NameParts {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        NameParts {
            given: v(given),
            patronymic: v(patronymic),
            family: v(family),
        }
    }

    #[test]
    fn parses_name_orders() {
        assert_eq!(
            parse_full_name("Евгений Семёнович Шуляпов"),
            p(&["евгений"], &["семёнович"], &["шуляпов"])
        );
        assert_eq!(
            parse_full_name("Шуляпов Евгений Семёнович"),
            p(&["евгений"], &["семёнович"], &["шуляпов"])
        );
        assert_eq!(
            parse_full_name("SHULYAPOV, Yevgeny"),
            p(&["yevgeny"], &[], &["shulyapov"])
        );
        assert_eq!(
            parse_full_name("IVANOV Petr"),
            p(&["petr"], &[], &["ivanov"])
        );
        assert_eq!(
            parse_full_name("יבגני שוליאפוב"),
            p(&["יבגני"], &[], &["שוליאפוב"])
        );
        assert_eq!(
            parse_full_name("Ahmad bin Khalid bin Saleh Al-Hashimi"),
            p(&["ahmad"], &["khalid", "saleh"], &["hashimi"])
        );
        assert_eq!(
            parse_full_name("Abd Allah Haddad"),
            p(&["abdallah"], &[], &["haddad"])
        );
        assert_eq!(
            parse_full_name("عبد الله حداد"),
            p(&["عبدالله"], &[], &["حداد"])
        );
        assert_eq!(parse_full_name("Smith"), p(&[], &[], &["smith"]));
        // Particles between the parts are not names; first or last, they may be.
        assert_eq!(
            parse_full_name("Ludwig van Beethoven"),
            p(&["ludwig"], &[], &["beethoven"])
        );
        assert_eq!(
            parse_full_name("לודוויג ואן בטהובן"),
            p(&["לודוויג"], &[], &["בטהובן"])
        );
        assert_eq!(
            parse_full_name("Van Morrison"),
            p(&["van"], &[], &["morrison"])
        );
        // A middle initial is no family name in capitals.
        assert_eq!(
            parse_full_name("George L. Berry"),
            p(&["george"], &["l"], &["berry"])
        );
        // With no family name after `ben`, the father's name is compared as one.
        assert_eq!(
            parse_full_name("Simeon ben Shetach"),
            p(&["simeon"], &[], &["shetach"])
        );
        assert_eq!(
            parse_full_name("שמעון בן שטח"),
            p(&["שמעון"], &[], &["שטח"])
        );
        assert_eq!(parse_full_name(""), NameParts::default());
    }

    #[test]
    fn compound_family_names_stay_together() {
        assert_eq!(
            parse_full_name("Anna Petrova-Vodkina"),
            p(&["anna"], &[], &["petrova", "vodkina"])
        );
        assert_eq!(
            from_columns("Anna", "Petrova-Vodkina", "", ""),
            p(&["anna"], &[], &["petrova", "vodkina"])
        );
    }

    #[test]
    fn the_arabic_article_is_written_or_not() {
        assert_eq!(parse_full_name("Omar Al-Masri").family, vec!["masri"]);
        assert_eq!(parse_full_name("EL MASRI, Omar").family, vec!["masri"]);
        assert_eq!(parse_full_name("عمر المصري").family, vec!["مصري"]);
        // A Latin `Al…` is not cut: Alexandrov stays whole.
        assert_eq!(
            parse_full_name("Petr Alexandrov").family,
            vec!["alexandrov"]
        );
        assert_eq!(
            parse_full_name("Abd al-Rahman Haddad").given,
            vec!["abdalrahman"]
        );
        // In Cyrillic and Hebrew, and assimilated to a sun letter; only with its hyphen.
        assert_eq!(parse_full_name("Худа Аль-Ахмад").family, vec!["ахмад"]);
        assert_eq!(parse_full_name("Худа аль Ахмад").family, vec!["ахмад"]);
        assert_eq!(parse_full_name("הודא אל-חטיב").family, vec!["חטיב"]);
        assert_eq!(parse_full_name("Nasir ad-Din").family, vec!["din"]);
        assert_eq!(parse_full_name("Рашид ар-Рашид").family, vec!["рашид"]);
        assert_eq!(
            parse_full_name("Abd ar-Rahman Haddad").given,
            vec!["abdalrahman"]
        );
        assert_eq!(parse_full_name("Nguyen An").family, vec!["an"]);
        // The attached article taken off, and the name as written kept as a second reading
        // (الكسيف may be Alekseev); none when there was no article.
        let (off, kept) = parse_full_name_readings("إيغور الكسيف");
        assert_eq!(off.family, vec!["كسيف"]);
        assert_eq!(kept.unwrap().family, vec!["الكسيف"]);
        assert_eq!(parse_full_name_readings("Omar Al-Masri").1, None);
    }

    #[test]
    fn columns_win_over_parsing() {
        assert_eq!(
            from_columns("Evgenii Semenovich", "Shuliapov", "", ""),
            p(&["evgenii"], &["semenovich"], &["shuliapov"])
        );
        assert_eq!(
            from_columns("", "", "", "Anna Ivanova"),
            p(&["anna"], &[], &["ivanova"])
        );
    }

    #[test]
    fn says_when_the_order_was_guessed() {
        assert!(order_guessed("גורבצ׳וב פיודור"));
        assert!(!order_guessed("SHULYAPOV, Yevgeny"));
        assert!(!order_guessed("IVANOV Petr"));
        assert!(!order_guessed("Шуляпов Евгений Семёнович"));
        assert!(!order_guessed("Smith"));
    }

    #[test]
    fn feminine_surnames() {
        assert_eq!(masculine_surname("ivanova").as_deref(), Some("ivanov"));
        assert_eq!(masculine_surname("иванова").as_deref(), Some("иванов"));
        assert_eq!(masculine_surname("petrov"), None);
        assert!(
            is_patronymic("семёнович") && is_patronymic("sergeevna") && !is_patronymic("ivanov")
        );
    }
}
