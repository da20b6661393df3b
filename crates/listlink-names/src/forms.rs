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

/// A token's summary in one cache line, enough to tell most pairs of unrelated tokens apart
/// without reading their [`NameForms`]: hashes of its rendering keys and of its skeletons
/// (two characters or more), the shapes of its rendering keys, and whether anything else could
/// relate it to another token (Hebrew or Arabic letters, variant groups, a masculine form, more
/// renderings or skeletons than fit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct TokenSig {
    renderings: [u32; 3],
    skeletons: [u32; 3],
    shapes: [u64; 3],
    rendering_count: u8,
    skeleton_count: u8,
    /// The summary cannot tell: compare the forms.
    unsure: bool,
}

fn hash32(s: &str) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish() as u32
}

impl TokenSig {
    pub fn of(f: &NameForms) -> TokenSig {
        let skeletons: Vec<&String> = f
            .skeletons
            .iter()
            .filter(|s| s.chars().count() >= 2)
            .collect();
        let mut sig = TokenSig {
            unsure: f.abjad.is_some()
                || !f.groups.is_empty()
                || !f.masculine.is_empty()
                || f.renderings.len() > 3
                || skeletons.len() > 3,
            rendering_count: f.renderings.len().min(3) as u8,
            skeleton_count: skeletons.len().min(3) as u8,
            ..TokenSig::default()
        };
        for (i, (r, shape)) in f.renderings.iter().zip(&f.shapes).take(3).enumerate() {
            sig.renderings[i] = hash32(&r.key);
            sig.shapes[i] = *shape;
        }
        for (i, s) in skeletons.iter().take(3).enumerate() {
            sig.skeletons[i] = hash32(s);
        }
        sig
    }

    /// True only when [`compare`] would answer [`TokenLevel::Different`] for two tokens that are
    /// not written alike: no shared rendering or skeleton (even by hash), nothing else that
    /// could relate them, and no pair of renderings whose Jaro–Winkler could reach the lower
    /// fuzzy threshold. False means "compare the forms".
    pub fn surely_different(&self, other: &TokenSig) -> bool {
        if self.unsure || other.unsure {
            return false;
        }
        let (ra, rb) = (
            &self.renderings[..self.rendering_count as usize],
            &other.renderings[..other.rendering_count as usize],
        );
        if ra.iter().any(|h| rb.contains(h)) {
            return false;
        }
        let (sa, sb) = (
            &self.skeletons[..self.skeleton_count as usize],
            &other.skeletons[..other.skeleton_count as usize],
        );
        if sa.iter().any(|h| sb.contains(h)) {
            return false;
        }
        self.shapes[..ra.len()].iter().all(|x| {
            other.shapes[..rb.len()]
                .iter()
                .all(|y| crate::similarity::jaro_winkler_below(*x, *y, CLOSE))
        })
    }
}

#[cfg(test)]
mod sig_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// The summary never calls two tokens different when comparing their forms would not.
        #[test]
        fn surely_different_agrees_with_compare(
            a in "[a-eknorstvy]{1,7}|[абвгдеклмнорст]{1,6}|[אבגדהוכלמנרש]{1,5}|(alexander|sasha|ivanova|ivanov|yosef|joseph|iosif)",
            b in "[a-eknorstvy]{1,7}|[абвгдеклмнорст]{1,6}|[אבגדהוכלמנרש]{1,5}|(alexander|sasha|ivanova|ivanov|yosef|joseph|iosif)",
        ) {
            let variants = crate::variants::bundled();
            let (fa, fb) = (analyse(&a, variants), analyse(&b, variants));
            prop_assume!(fa.written != fb.written);
            if TokenSig::of(&fa).surely_different(&TokenSig::of(&fb)) {
                prop_assert_eq!(compare(&fa, &fb, Some(variants), false).0, TokenLevel::Different);
            }
        }
    }

    #[test]
    fn unrelated_latin_names_are_told_apart_by_the_summary() {
        let variants = crate::variants::bundled();
        let (a, b) = (analyse("wittfily", variants), analyse("hoswott", variants));
        assert!(TokenSig::of(&a).surely_different(&TokenSig::of(&b)));
        let (a, b) = (analyse("ivanova", variants), analyse("ivanov", variants));
        assert!(!TokenSig::of(&a).surely_different(&TokenSig::of(&b)));
    }
}
