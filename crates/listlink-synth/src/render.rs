//! The generator's own renderings of Russian names in other scripts — written independently of
//! the matcher's tables, the way clerks and newspapers do it, so that tests do not grade the
//! matcher against itself.

/// A Latin romanisation style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Passport (ICAO 9303, 2013+): Evgenii, Iuliia, Shchukin.
    Icao,
    /// English-language press (BGN/PCGN-like): Yevgeniy, Yuliya.
    Bgn,
    /// German practice: Jewgeni, Schtschukin.
    German,
    /// French practice: Evgueni, Chtchoukine.
    French,
    /// Ad-hoc English: Yevgeny, Julia, Shukin.
    Loose,
}

fn is_vowel(c: char) -> bool {
    "аеёиоуыэюя".contains(c)
}

/// A Cyrillic name in a Latin style, capitalised.
pub fn to_latin(name: &str, style: Style) -> String {
    let lower = name.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let initial = i == 0 || !chars[i - 1].is_alphabetic();
        let after_vowel = i > 0 && (is_vowel(chars[i - 1]) || "ьъ".contains(chars[i - 1]));
        let last = i + 1 == chars.len();
        let s: &str = match (style, c) {
            (_, 'а') => "a",
            (_, 'б') => "b",
            (Style::German, 'в') => "w",
            (_, 'в') => "v",
            (Style::French, 'г') if i + 1 < chars.len() && "еиэ".contains(chars[i + 1]) => "gu",
            (_, 'г') => "g",
            (_, 'д') => "d",
            (Style::Icao, 'е') | (Style::French, 'е') => "e",
            (Style::German, 'е') if initial || after_vowel => "je",
            (Style::Bgn | Style::Loose, 'е') if initial || after_vowel => "ye",
            (_, 'е') => "e",
            (Style::Icao, 'ё') => "e",
            (Style::German, 'ё') => "jo",
            (Style::French, 'ё') => "io",
            (_, 'ё') => "yo",
            (Style::German, 'ж') => "sch",
            (Style::French, 'ж') => "j",
            (_, 'ж') => "zh",
            (Style::German, 'з') => "s",
            (_, 'з') => "z",
            (Style::French, 'и') if after_vowel => "ï",
            (_, 'и') => "i",
            (Style::Icao, 'й') => "i",
            (Style::Bgn, 'й') => "y",
            (Style::German, 'й') => {
                if last {
                    ""
                } else {
                    "j"
                }
            }
            (Style::French, 'й') => "ï",
            (Style::Loose, 'й') => {
                if last && i > 0 && chars[i - 1] == 'и' {
                    ""
                } else {
                    "y"
                }
            }
            (_, 'к') => "k",
            (_, 'л') => "l",
            (_, 'м') => "m",
            (_, 'н') => "n",
            (_, 'о') => "o",
            (_, 'п') => "p",
            (_, 'р') => "r",
            (Style::French, 'с')
                if after_vowel && i + 1 < chars.len() && is_vowel(chars[i + 1]) =>
            {
                "ss"
            }
            (Style::German, 'с')
                if after_vowel && i + 1 < chars.len() && is_vowel(chars[i + 1]) =>
            {
                "ss"
            }
            (_, 'с') => "s",
            (_, 'т') => "t",
            (Style::French, 'у') => "ou",
            (_, 'у') => "u",
            (_, 'ф') => "f",
            (Style::German, 'х') => "ch",
            (Style::Loose, 'х') => "kh",
            (_, 'х') => "kh",
            (Style::German, 'ц') => "z",
            (_, 'ц') => "ts",
            (Style::German, 'ч') => "tsch",
            (Style::French, 'ч') => "tch",
            (_, 'ч') => "ch",
            (Style::German, 'ш') => "sch",
            (Style::French, 'ш') => "ch",
            (_, 'ш') => "sh",
            (Style::German, 'щ') => "schtsch",
            (Style::French, 'щ') => "chtch",
            (Style::Loose, 'щ') => "sch",
            (_, 'щ') => "shch",
            (Style::Icao, 'ъ') => "ie",
            (_, 'ъ') => "",
            (Style::Bgn, 'ы') => "y",
            (_, 'ы') => "y",
            (Style::Bgn, 'ь') => "",
            (_, 'ь') => "",
            (_, 'э') => "e",
            (Style::Icao, 'ю') => "iu",
            (Style::German, 'ю') => "ju",
            (Style::French, 'ю') => "iou",
            (_, 'ю') => "yu",
            (Style::Icao, 'я') => "ia",
            (Style::German, 'я') => "ja",
            (Style::French, 'я') => "ia",
            (_, 'я') => "ya",
            _ => "",
        };
        if s.is_empty() && !"ьъй".contains(c) && c.is_alphabetic() {
            out.push(c);
        } else {
            out.push_str(s);
        }
    }
    // Loose English: -iy/-ii endings written -y.
    if style == Style::Loose
        && let Some(stem) = out.strip_suffix("ii").or_else(|| out.strip_suffix("iy"))
    {
        out = format!("{stem}y");
    }
    let mut c = out.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => out,
    }
}

/// A Cyrillic name in Hebrew letters, as Israeli papers write Russian names. `plene`: write more
/// vowels as ו/י (full spelling) where the short spelling leaves them out.
pub fn to_hebrew(name: &str, plene: bool) -> String {
    let lower = name.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let n = chars.len();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let initial = i == 0;
        let last = i + 1 == n;
        let s: &str = match c {
            'а' if initial => "א",
            'а' if last => "ה",
            'а' if plene => "א",
            'б' => "ב",
            'в' if i + 1 < n && chars[i + 1] == 'в' => "",
            'в' => "ב",
            'г' => "ג",
            'д' => "ד",
            'е' if initial => "י",
            'е' if last => "ה",
            'е' if plene => "י",
            'ё' if i > 0 && "жшчщц".contains(chars[i - 1]) => "ו",
            'ё' => "יו",
            'ж' => "ז׳",
            'з' => "ז",
            'и' if initial => "אי",
            'и' => "י",
            'й' => {
                if i > 0 && "иы".contains(chars[i - 1]) {
                    ""
                } else {
                    "י"
                }
            }
            'к' => "ק",
            'л' => "ל",
            'м' => {
                if last {
                    "ם"
                } else {
                    "מ"
                }
            }
            'н' => {
                if last {
                    "ן"
                } else {
                    "נ"
                }
            }
            'о' if initial => "או",
            'о' => "ו",
            'п' => {
                if last {
                    "ף"
                } else {
                    "פ"
                }
            }
            'р' => "ר",
            'с' => "ס",
            'т' => "ט",
            'у' if initial => "או",
            'у' => "ו",
            'ф' => {
                if last {
                    "ף"
                } else {
                    "פ"
                }
            }
            'х' => "ח",
            'ц' => {
                if last {
                    "ץ"
                } else {
                    "צ"
                }
            }
            'ч' => "צ׳",
            'ш' => "ש",
            'щ' => "שצ׳",
            'ъ' | 'ь' => "",
            'ы' => "י",
            'э' if initial => "א",
            'ю' => "יו",
            'я' if initial => "י",
            'я' if last => "יה",
            'я' => "יא",
            _ => "",
        };
        out.push_str(s);
    }
    out
}

/// A Cyrillic name in Arabic letters, as Arabic media write Russian names. `long`: write more
/// vowels as ا/و/ي.
pub fn to_arabic(name: &str, long: bool) -> String {
    let lower = name.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let n = chars.len();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let initial = i == 0;
        let last = i + 1 == n;
        let s: &str = match c {
            'а' if initial => "ا",
            'а' if last => "ا",
            'а' if long => "ا",
            'б' => "ب",
            'в' => "ف",
            'г' => {
                if long {
                    "ج"
                } else {
                    "غ"
                }
            }
            'д' => "د",
            'е' if initial => "ي",
            'е' if long => "ي",
            'ё' => "يو",
            'ж' => "ج",
            'з' => "ز",
            'и' if initial => "إي",
            'и' => "ي",
            'й' => {
                if i > 0 && "иы".contains(chars[i - 1]) {
                    ""
                } else {
                    "ي"
                }
            }
            'к' => "ك",
            'л' => "ل",
            'м' => "م",
            'н' => "ن",
            'о' if initial => "أو",
            'о' => "و",
            'п' => "ب",
            'р' => "ر",
            'с' => "س",
            'т' => "ت",
            'у' if initial => "أو",
            'у' => "و",
            'ф' => "ف",
            'х' => "خ",
            'ц' => "تس",
            'ч' => "تش",
            'ш' => "ش",
            'щ' => "شتش",
            'ъ' | 'ь' => "",
            'ы' => "ي",
            'э' => {
                if initial {
                    "إ"
                } else {
                    "ي"
                }
            }
            'ю' => "يو",
            'я' if initial => "يا",
            'я' => "يا",
            _ => "",
        };
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_press() {
        assert_eq!(to_latin("Евгений", Style::Icao), "Evgenii");
        assert_eq!(to_latin("Евгений", Style::Bgn), "Yevgeniy");
        assert_eq!(to_latin("Евгений", Style::Loose), "Yevgeni");
        assert_eq!(to_latin("Шуляпов", Style::German), "Schuljapow");
        assert_eq!(to_latin("Щукин", Style::French), "Chtchoukin");
        assert_eq!(to_hebrew("Шуляпов", false), "שוליאפוב");
        assert_eq!(to_hebrew("Горбачёв", false), "גורבצ׳וב");
        assert_eq!(to_hebrew("Евгений", false), "יבגני");
        assert_eq!(to_arabic("Смирнов", false), "سميرنوف");
    }
}
