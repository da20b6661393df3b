//! A name token analysed once — renderings, abjad letters, skeleton, variant groups — and the
//! comparison of two analysed tokens into a level with the rule that matched.

use crate::script::{Script, dominant_script};
use crate::translit::{AbjadWord, Rendering, abjad_cost, abjad_word, renderings};
use crate::variants::Variants;

/// Everything about one name token that comparisons read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameForms {
    /// The folded token as written (its own script).
    pub written: String,
    pub script: Option<Script>,
    /// Latin renderings (one for Latin tokens), distinct keys.
    pub renderings: Vec<Rendering>,
    /// Hebrew or Arabic letters with their readings.
    pub abjad: Option<AbjadWord>,
    /// Consonant skeletons, the primary reading first.
    pub skeletons: Vec<String>,
    /// Variant groups (sorted).
    pub groups: Vec<u32>,
    /// The masculine form's rendering keys, when the token is a feminine Slavic surname.
    pub masculine: Vec<String>,
    /// The shape of each rendering's key (`similarity::shape`), to skip hopeless fuzzy pairs.
    pub shapes: Vec<u64>,
}

/// How well two tokens agree, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenLevel {
    Exact,
    Transliteration,
    Variant,
    Skeleton,
    Similar,
    Close,
    Different,
}

/// Jaro–Winkler thresholds of the two fuzzy levels.
pub const SIMILAR: f64 = 0.92;
pub const CLOSE: f64 = 0.85;

/// Analyses a folded token.
pub fn analyse(token: &str, variants: &Variants) -> NameForms {
    let script = dominant_script(token);
    let renderings = renderings(token);
    let abjad = abjad_word(token);
    let keys: Vec<&str> = renderings.iter().map(|r| r.key.as_str()).collect();
    let skeletons = crate::skeleton::skeletons(token);
    let mut groups = variants.groups_of(token, &keys);
    if let Some(w) = &abjad {
        groups.extend(variants.groups_of_abjad(w, &skeletons));
        groups.sort_unstable();
        groups.dedup();
    }
    let masculine = match crate::parts::masculine_surname(token) {
        Some(m) => crate::translit::renderings(&m)
            .into_iter()
            .map(|r| r.key)
            .collect(),
        None => Vec::new(),
    };
    let shapes = renderings
        .iter()
        .map(|r| crate::similarity::shape(r.key.as_bytes()))
        .collect();
    NameForms {
        written: token.to_string(),
        script,
        skeletons,
        shapes,
        renderings,
        abjad,
        groups,
        masculine,
    }
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The two tokens of a rule, the non-Latin one as written and the Latin one title-cased:
/// `Evgenii ~ Евгений`.
fn pair(a: &NameForms, b: &NameForms) -> String {
    format!("{} ~ {}", title(&a.written), title(&b.written))
}

/// Compares two analysed tokens. With `explain`, also says which rule matched, e.g.
/// `ICAO: Evgenii ~ Евгений`, `variant: Sasha ~ Aleksandr`, `skeleton RBN: Rabin ~ רבין`.
pub fn compare(
    a: &NameForms,
    b: &NameForms,
    variants: Option<&Variants>,
    explain: bool,
) -> (TokenLevel, Option<String>) {
    if a.written == b.written {
        return (
            TokenLevel::Exact,
            explain.then(|| format!("exact: {}", title(&a.written))),
        );
    }
    // Equal after transliteration: a shared rendering key.
    for ra in &a.renderings {
        if let Some(rb) = b.renderings.iter().find(|rb| rb.key == ra.key) {
            let standard = if ra.standard != crate::translit::Standard::AsWritten {
                ra.standard
            } else {
                rb.standard
            };
            return (
                TokenLevel::Transliteration,
                explain.then(|| format!("{}: {}", standard.label(), pair(a, b))),
            );
        }
    }
    // An abjad word read letter by letter against the other side's renderings.
    for (x, y) in [(a, b), (b, a)] {
        if let Some(w) = &x.abjad
            && y.abjad.is_none()
            && y.renderings.iter().any(|r| abjad_cost(w, &r.key) == 0)
        {
            let label = if w.script == Script::Hebrew {
                "Hebrew"
            } else {
                "Arabic"
            };
            return (
                TokenLevel::Transliteration,
                explain.then(|| format!("{label} letters: {}", pair(a, b))),
            );
        }
    }
    if a.groups.iter().any(|g| b.groups.binary_search(g).is_ok()) {
        return (
            TokenLevel::Variant,
            explain.then(|| {
                let g = a
                    .groups
                    .iter()
                    .find(|g| b.groups.binary_search(g).is_ok())
                    .copied()
                    .unwrap_or(0);
                let group = variants
                    .map(|v| v.group_name(g).to_string())
                    .unwrap_or_default();
                format!("variant ({group}): {}", pair(a, b))
            }),
        );
    }
    let masculine_match = |x: &NameForms, y: &NameForms| {
        x.masculine
            .iter()
            .any(|m| y.renderings.iter().any(|r| &r.key == m) || y.masculine.contains(m))
    };
    if masculine_match(a, b) || masculine_match(b, a) {
        return (
            TokenLevel::Variant,
            explain.then(|| format!("feminine form: {}", pair(a, b))),
        );
    }
    if let Some(shared) = a
        .skeletons
        .iter()
        .find(|s| s.chars().count() >= 2 && b.skeletons.contains(s))
    {
        return (
            TokenLevel::Skeleton,
            explain.then(|| format!("skeleton {shared}: {}", pair(a, b))),
        );
    }
    // Fuzzy: the best Jaro–Winkler of any two renderings, or an abjad reading one letter off.
    let mut best = 0.0f64;
    for (ra, sa) in a.renderings.iter().zip(&a.shapes) {
        for (rb, sb) in b.renderings.iter().zip(&b.shapes) {
            // A pair that cannot reach the lower fuzzy threshold, or beat the best so far,
            // changes neither the level nor the similarity reported.
            let bound = crate::similarity::jaro_winkler_upper_bound(*sa, *sb);
            if bound < CLOSE || bound <= best {
                continue;
            }
            best = best.max(crate::similarity::jaro_winkler(
                ra.key.as_bytes(),
                rb.key.as_bytes(),
            ));
        }
    }
    let mut abjad_best = u32::MAX;
    for (x, y) in [(a, b), (b, a)] {
        if let (Some(w), None) = (&x.abjad, &y.abjad) {
            for r in &y.renderings {
                abjad_best = abjad_best.min(abjad_cost(w, &r.key));
            }
        }
    }
    // abjad costs are in half-errors: ≤ 2 is one letter off.
    let long = a.skeletons.first().is_some_and(|s| s.chars().count() >= 3)
        && b.skeletons.first().is_some_and(|s| s.chars().count() >= 3);
    let level = if best >= SIMILAR || (abjad_best <= 2 && long) {
        TokenLevel::Similar
    } else if best >= CLOSE || abjad_best <= 2 {
        TokenLevel::Close
    } else {
        TokenLevel::Different
    };
    let why = explain.then(|| match level {
        TokenLevel::Different => format!("different: {}", pair(a, b)),
        _ if abjad_best <= 2 => format!("letters one off: {}", pair(a, b)),
        _ => format!("similar ({best:.2}): {}", pair(a, b)),
    });
    (level, why)
}

/// The best level between any token of `a` and any token of `b` (a name part of several words).
pub fn compare_parts(
    a: &[NameForms],
    b: &[NameForms],
    variants: Option<&Variants>,
) -> Option<TokenLevel> {
    let mut best: Option<TokenLevel> = None;
    for x in a {
        for y in b {
            let (l, _) = compare(x, y, variants, false);
            best = Some(best.map_or(l, |b| b.min(l)));
            if l == TokenLevel::Exact {
                return best;
            }
        }
    }
    best
}
