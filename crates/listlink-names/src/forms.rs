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

/// The fewest consonant classes a shared skeleton needs to make two tokens agree by skeleton.
pub const SKELETON_MIN: usize = 3;

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
    // (An initial, one letter, reads as too many names to be any one's variant.)
    if let Some(w) = abjad.as_ref().filter(|w| w.letters.len() >= 2) {
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
    // A shared skeleton of two consonants (Amna, Muna, Iman: MN) is shared by too many unrelated
    // names to be a level of its own: such tokens are compared as spellings below.
    if let Some(shared) = a
        .skeletons
        .iter()
        .find(|s| s.chars().count() >= SKELETON_MIN && b.skeletons.contains(s))
    {
        return (
            TokenLevel::Skeleton,
            explain.then(|| format!("skeleton {shared}: {}", pair(a, b))),
        );
    }
    // An initial against a name it can stand for (J. ~ John, ל. ~ Leon): weak agreement, never
    // a different name.
    if let Some((initial, name)) = match (is_initial(a), is_initial(b)) {
        (true, false) => Some((a, b)),
        (false, true) => Some((b, a)),
        _ => None,
    } && initial.renderings.iter().any(|i| {
        i.key.len() == 1
            && name
                .renderings
                .iter()
                .any(|n| n.key.as_bytes().first() == i.key.as_bytes().first())
    }) {
        return (
            TokenLevel::Close,
            explain.then(|| format!("initial: {}", pair(a, b))),
        );
    }
    // Fuzzy: the best Jaro–Winkler of any two renderings, or an abjad reading one letter off.
    fn renderings(f: &NameForms) -> impl Iterator<Item = (u64, &[u8])> + Clone {
        f.shapes
            .iter()
            .copied()
            .zip(f.renderings.iter().map(|r| r.key.as_bytes()))
    }
    let best = best_similarity(renderings(a), renderings(b));
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
    let level = fuzzy_level(best, abjad_best <= 2, long);
    let why = explain.then(|| match level {
        TokenLevel::Different => format!("different: {}", pair(a, b)),
        _ if abjad_best <= 2 => format!("letters one off: {}", pair(a, b)),
        _ => format!("similar ({best:.2}): {}", pair(a, b)),
    });
    (level, why)
}

/// Whether a token is an initial: one letter (a Hebrew letter with its geresh counts as one).
fn is_initial(f: &NameForms) -> bool {
    f.written.chars().filter(|c| c.is_alphabetic()).count() == 1
}

/// The best Jaro–Winkler of any rendering of one token with any of another's, each given as
/// (shape, key). A pair whose shapes cannot reach the lower fuzzy threshold, or beat the best so
/// far, changes neither the level nor the similarity reported: it is not compared.
fn best_similarity<'k>(
    x: impl Iterator<Item = (u64, &'k [u8])>,
    y: impl Iterator<Item = (u64, &'k [u8])> + Clone,
) -> f64 {
    let mut best = 0.0f64;
    for (shape_x, key_x) in x {
        for (shape_y, key_y) in y.clone() {
            let bound = crate::similarity::jaro_winkler_upper_bound(shape_x, shape_y);
            if bound < CLOSE || bound <= best {
                continue;
            }
            best = best.max(crate::similarity::jaro_winkler(key_x, key_y));
        }
    }
    best
}

/// The fuzzy level of two tokens from their renderings' best Jaro–Winkler, whether an abjad
/// reading is one letter off, and whether both tokens are long enough for that to count as
/// similar.
fn fuzzy_level(best: f64, abjad_one_off: bool, long: bool) -> TokenLevel {
    if best >= SIMILAR || (abjad_one_off && long) {
        TokenLevel::Similar
    } else if best >= CLOSE || abjad_one_off {
        TokenLevel::Close
    } else {
        TokenLevel::Different
    }
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

/// A token's summary in one cache line, enough to settle most pairs of tokens without reading
/// their [`NameForms`]: hashes of its rendering keys and of its skeletons (two characters or
/// more), the shapes of its rendering keys and where [`TokenSigs`] keeps the keys themselves,
/// and whether anything else could relate it to another token (Hebrew or Arabic letters, variant
/// groups, a masculine form, more renderings or skeletons than fit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct TokenSig {
    renderings: [u32; 3],
    skeletons: [u32; 3],
    /// Where the rendering keys start in [`TokenSigs`]' bytes, one after another.
    key_start: u32,
    shapes: [u64; 3],
    key_lens: [u8; 3],
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
    /// Whether the two share a rendering or a skeleton (by hash: maybe falsely).
    #[inline]
    fn shares_a_key(&self, other: &TokenSig) -> bool {
        let (rx, ry) = (
            &self.renderings[..usize::from(self.rendering_count)],
            &other.renderings[..usize::from(other.rendering_count)],
        );
        let (sx, sy) = (
            &self.skeletons[..usize::from(self.skeleton_count)],
            &other.skeletons[..usize::from(other.skeleton_count)],
        );
        rx.iter().any(|h| ry.contains(h)) || sx.iter().any(|h| sy.contains(h))
    }

    /// The shapes of its renderings.
    #[inline]
    fn shapes(&self) -> &[u64] {
        &self.shapes[..usize::from(self.rendering_count)]
    }

    /// The summary of `f`, whose rendering keys start at `key_start`.
    fn of(f: &NameForms, key_start: u32) -> TokenSig {
        let skeletons: Vec<&String> = f
            .skeletons
            .iter()
            .filter(|s| s.chars().count() >= 2)
            .collect();
        let mut sig = TokenSig {
            unsure: f.abjad.is_some()
                || is_initial(f)
                || !f.groups.is_empty()
                || !f.masculine.is_empty()
                || f.renderings.len() > 3
                || skeletons.len() > 3
                || f.renderings
                    .iter()
                    .any(|r| r.key.len() > usize::from(u8::MAX)),
            rendering_count: f.renderings.len().min(3) as u8,
            skeleton_count: skeletons.len().min(3) as u8,
            key_start,
            ..TokenSig::default()
        };
        for (i, (r, shape)) in f.renderings.iter().zip(&f.shapes).take(3).enumerate() {
            sig.renderings[i] = hash32(&r.key);
            sig.shapes[i] = *shape;
            sig.key_lens[i] = r.key.len().min(usize::from(u8::MAX)) as u8;
        }
        for (i, s) in skeletons.iter().take(3).enumerate() {
            sig.skeletons[i] = hash32(s);
        }
        sig
    }
}

/// Every token's [`TokenSig`], by token id, and the rendering keys they point to, all in one
/// buffer: comparing two unrelated tokens reads two summaries and, when their shapes allow a
/// fuzzy match, their keys, rather than the forms' many small allocations.
#[derive(Debug, Clone, Default)]
pub struct TokenSigs {
    sigs: Vec<TokenSig>,
    keys: Vec<u8>,
}

impl TokenSigs {
    /// The summaries of `forms`, indexed as they are.
    pub fn new(forms: &[NameForms]) -> TokenSigs {
        use rayon::prelude::*;
        // The keys kept: at most three renderings a token, each cut at 255 bytes (a token with
        // longer ones is unsure, and never reads them).
        fn kept(f: &NameForms) -> impl Iterator<Item = &[u8]> {
            f.renderings
                .iter()
                .take(3)
                .map(|r| &r.key.as_bytes()[..r.key.len().min(255)])
        }
        let mut starts = Vec::with_capacity(forms.len());
        let mut keys = Vec::new();
        for f in forms {
            starts.push(keys.len() as u32);
            kept(f).for_each(|k| keys.extend_from_slice(k));
        }
        let sigs = forms
            .par_iter()
            .zip(starts)
            .map(|(f, start)| TokenSig::of(f, start))
            .collect();
        TokenSigs { sigs, keys }
    }

    /// A token's summary, one cache line (for fetching it ahead of [`TokenSigs::settle`]).
    pub fn sig(&self, token: u32) -> Option<&TokenSig> {
        self.sigs.get(token as usize)
    }

    /// A token's renderings as (shape, key).
    fn renderings<'s>(
        &'s self,
        sig: &'s TokenSig,
    ) -> impl Iterator<Item = (u64, &'s [u8])> + Clone {
        (0..usize::from(sig.rendering_count)).map(move |p| (sig.shapes[p], self.key(sig, p)))
    }

    fn key(&self, sig: &TokenSig, i: usize) -> &[u8] {
        let start = sig.key_start as usize
            + sig.key_lens[..i]
                .iter()
                .map(|&l| usize::from(l))
                .sum::<usize>();
        &self.keys[start..start + usize::from(sig.key_lens[i])]
    }

    /// Token `i`, ready to be told from many others as [`TokenSigs::settle`] tells
    /// [`TokenLevel::Different`] ([`Unlike`]); `None` when its summary cannot tell.
    pub fn unlike_from(&self, i: u32) -> Option<Unlike<'_>> {
        let x = self.sigs.get(i as usize).filter(|x| !x.unsure)?;
        let mut below = [None; 3];
        for (b, &shape) in below.iter_mut().zip(x.shapes()) {
            *b = Some(crate::similarity::JaroBelow::new(shape, &[CLOSE]));
        }
        Some(Unlike {
            sigs: self,
            token: i,
            x,
            below,
        })
    }

    /// The level [`compare`] gives tokens `i` and `j`, which are not written alike, when their
    /// summaries settle it: [`TokenSigs::settle`], then [`TokenSigs::fuzzy_level`] if needed.
    pub fn level(&self, i: u32, j: u32) -> Option<TokenLevel> {
        match self.settle(i, j) {
            Settled::Level(level) => Some(level),
            Settled::Fuzzy => Some(self.fuzzy_level(i, j)),
            Settled::Forms => None,
        }
    }

    /// What the summaries of tokens `i` and `j` (not written alike) tell without comparing any
    /// keys: when nothing but their renderings can relate them and they share no rendering or
    /// skeleton (not even by hash), only the fuzzy levels remain, and those depend on the
    /// renderings' Jaro–Winkler similarities alone — [`TokenLevel::Different`] outright when no
    /// two renderings' shapes let it reach the lower fuzzy threshold.
    #[inline]
    pub fn settle(&self, i: u32, j: u32) -> Settled {
        let (Some(x), Some(y)) = (self.sigs.get(i as usize), self.sigs.get(j as usize)) else {
            return Settled::Forms;
        };
        if x.unsure || y.unsure {
            return Settled::Forms;
        }
        if x.shares_a_key(y) {
            return Settled::Forms;
        }
        let hopeless = x.shapes().iter().all(|p| {
            y.shapes()
                .iter()
                .all(|q| crate::similarity::jaro_winkler_below(*p, *q, CLOSE))
        });
        if hopeless {
            Settled::Level(TokenLevel::Different)
        } else {
            Settled::Fuzzy
        }
    }

    /// The level of a pair [`TokenSigs::settle`] calls [`Settled::Fuzzy`], from their rendering
    /// keys as [`compare`] finds it: the best Jaro–Winkler of any two renderings whose shapes
    /// let it reach the lower fuzzy threshold.
    pub fn fuzzy_level(&self, i: u32, j: u32) -> TokenLevel {
        let (x, y) = (&self.sigs[i as usize], &self.sigs[j as usize]);
        // Nothing but renderings relates the two: no abjad reading to count.
        fuzzy_level(
            best_similarity(self.renderings(x), self.renderings(y)),
            false,
            false,
        )
    }
}

/// One token against many others: whether their summaries settle them as
/// [`TokenLevel::Different`] ([`TokenSigs::unlike_from`]). The shapes are bounded as
/// [`crate::similarity::JaroBelow`] bounds them, made once for this token: never unlike where
/// [`TokenSigs::settle`] would not tell `Different`, and rarely short of it (within a relative
/// 1e-4 of the threshold).
#[derive(Debug, Clone, Copy)]
pub struct Unlike<'s> {
    sigs: &'s TokenSigs,
    token: u32,
    x: &'s TokenSig,
    below: [Option<crate::similarity::JaroBelow>; 3],
}

impl Unlike<'_> {
    /// Whether token `j` is surely [`TokenLevel::Different`] from this one.
    #[inline]
    pub fn unlike(&self, j: u32) -> bool {
        let Some(y) = self.sigs.sigs.get(j as usize) else {
            return false;
        };
        if j == self.token || y.unsure {
            return false;
        }
        if self.x.shares_a_key(y) {
            return false;
        }
        let shapes = y.shapes();
        // Below the one threshold, CLOSE.
        let below = |b: &crate::similarity::JaroBelow, q| {
            b.pick::<1, bool>(q, &[false, true, true, true, true])
        };
        self.below
            .iter()
            .flatten()
            .all(|b| shapes.iter().all(|&q| below(b, q)))
    }

    /// [`Unlike::unlike`] of every token gathered in `columns`, into `out` (a flag each): one
    /// loop without branches per hash or shape of this token and of the most any row has,
    /// rather than one call and its branches per token. The same answer but for a token without
    /// renderings, never unlike here (it is in [`Unlike::unlike`]).
    #[inline(always)]
    pub fn unlike_all(&self, columns: &TokenColumns, out: &mut [bool]) {
        let n = columns.len();
        let out = &mut out[..n];
        let (renderings, skeletons) = columns.most;
        let tokens = columns.tokens.iter().zip(&columns.usable);
        for (o, (&t, &usable)) in out.iter_mut().zip(tokens) {
            *o = usable & (t != self.token);
        }
        let x = self.x;
        for &h in &x.renderings[..usize::from(x.rendering_count)] {
            for column in &columns.renderings[..renderings] {
                for (o, &y) in out.iter_mut().zip(&column[..n]) {
                    *o &= y != h;
                }
            }
        }
        for &h in &x.skeletons[..usize::from(x.skeleton_count)] {
            for column in &columns.skeletons[..skeletons] {
                let ys = column[..n].iter().zip(&columns.skeletal[..n]);
                for (o, (&y, &skeletal)) in out.iter_mut().zip(ys) {
                    *o &= (y != h) | !skeletal;
                }
            }
        }
        for b in self.below.iter().flatten() {
            for column in &columns.shapes[..renderings] {
                for (o, &q) in out.iter_mut().zip(&column[..n]) {
                    *o &= b.pick::<1, bool>(q, &[false, true, true, true, true]);
                }
            }
        }
    }
}

/// Tokens gathered one a row (the given or family names of a block's rows), so that one token
/// can be told unlike all of them at once ([`Unlike::unlike_all`]): their summaries' hashes and
/// shapes in columns, a summary's fewer than three repeated to fill its row (which changes no
/// "any" or "all" over them).
#[derive(Debug, Clone, Default)]
pub struct TokenColumns {
    tokens: Vec<u32>,
    renderings: [Vec<u32>; 3],
    skeletons: [Vec<u32>; 3],
    shapes: [Vec<u64>; 3],
    /// Whether the row has a token whose summary can tell (not unsure, with renderings).
    usable: Vec<bool>,
    /// Whether its token has skeletons.
    skeletal: Vec<bool>,
    /// The most renderings and skeletons of any usable row's token: no column past them is read.
    most: (usize, usize),
}

impl TokenColumns {
    /// Rows gathered.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Gathers these rows' tokens (`None`: no single token, unlike nothing), in place of those
    /// gathered before. Each column is sized first and written by place: pushing to twelve
    /// columns in turn keeps each one's length in memory from one push to the next.
    pub fn gather(&mut self, sigs: &TokenSigs, tokens: impl ExactSizeIterator<Item = Option<u32>>) {
        let n = tokens.len();
        let columns = self.renderings.iter_mut().chain(&mut self.skeletons);
        columns
            .chain([&mut self.tokens])
            .for_each(|c| c.resize(n, 0));
        self.shapes.iter_mut().for_each(|c| c.resize(n, 0));
        self.usable.resize(n, false);
        self.skeletal.resize(n, false);
        self.most = (0, 0);
        let [r0, r1, r2] = &mut self.renderings;
        let [k0, k1, k2] = &mut self.skeletons;
        let [s0, s1, s2] = &mut self.shapes;
        for (i, token) in tokens.enumerate().take(n) {
            let sig = token
                .and_then(|t| sigs.sig(t))
                .filter(|s| !s.unsure && s.rendering_count > 0);
            let s = sig.copied().unwrap_or_default();
            let (r, k) = (
                usize::from(s.rendering_count),
                usize::from(s.skeleton_count),
            );
            // A summary's fewer than three repeated.
            let (r, k) = (r.max(1) - 1, k.max(1) - 1);
            (r0[i], r1[i], r2[i]) = (
                s.renderings[0],
                s.renderings[1.min(r)],
                s.renderings[r.min(2)],
            );
            (s0[i], s1[i], s2[i]) = (s.shapes[0], s.shapes[1.min(r)], s.shapes[r.min(2)]);
            (k0[i], k1[i], k2[i]) = (s.skeletons[0], s.skeletons[1.min(k)], s.skeletons[k.min(2)]);
            self.tokens[i] = token.unwrap_or(u32::MAX);
            self.usable[i] = sig.is_some();
            self.skeletal[i] = s.skeleton_count > 0;
            if sig.is_some() {
                self.most = (
                    self.most.0.max(usize::from(s.rendering_count)),
                    self.most.1.max(usize::from(s.skeleton_count)),
                );
            }
        }
    }
}

/// What two tokens' summaries tell ([`TokenSigs::settle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The level, without reading anything else.
    Level(TokenLevel),
    /// The level is [`TokenSigs::fuzzy_level`], from the rendering keys alone.
    Fuzzy,
    /// Only comparing the forms tells.
    Forms,
}

#[cfg(test)]
mod sig_tests {
    use super::*;
    use proptest::prelude::*;

    fn summaries(a: &NameForms, b: &NameForms) -> TokenSigs {
        TokenSigs::new(&[a.clone(), b.clone()])
    }

    const TOKENS: &str = "[a-eknorstvy]{1,7}|[абвгдеклмнорст]{1,6}|[אבגדהוכלמנרש]{1,5}|(alexander|sasha|ivanova|ivanov|yosef|joseph|iosif|tepeen|tepeem|teppen|cundlaindby|cundlandby|kundlaindbi|hoswott|hosvott|jeckcaimen|jackcaimen|yeckcaimen)";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Where the summaries settle a level, it is the level comparing the forms gives.
        #[test]
        fn summary_levels_agree_with_compare(a in TOKENS, b in TOKENS) {
            let variants = crate::variants::bundled();
            let (fa, fb) = (analyse(&a, variants), analyse(&b, variants));
            prop_assume!(fa.written != fb.written);
            let sigs = summaries(&fa, &fb);
            let expected = compare(&fa, &fb, Some(variants), false).0;
            if let Some(level) = sigs.level(0, 1) {
                prop_assert_eq!(level, expected);
                prop_assert_eq!(sigs.level(1, 0), Some(level));
            }
        }

        /// A token is unlike another only where the summaries settle the two as different,
        /// and in both directions alike but for bounds at the threshold's edge.
        #[test]
        fn unlike_tokens_are_those_settled_different(a in TOKENS, b in TOKENS) {
            let variants = crate::variants::bundled();
            let (fa, fb) = (analyse(&a, variants), analyse(&b, variants));
            let sigs = summaries(&fa, &fb);
            let unlike = sigs.unlike_from(0).is_some_and(|u| u.unlike(1));
            if unlike {
                prop_assert_eq!(sigs.settle(0, 1), Settled::Level(TokenLevel::Different));
                prop_assert_eq!(compare(&fa, &fb, Some(variants), false).0, TokenLevel::Different);
            }
            prop_assert!(!sigs.unlike_from(0).is_some_and(|u| u.unlike(0)));
        }

        /// Told in columns, each gathered token is unlike where it is told alone (all of these
        /// have renderings), and a row without a token is unlike nothing.
        #[test]
        fn unlike_in_columns_is_unlike_one_at_a_time(
            words in proptest::collection::vec(TOKENS, 2..12),
            order in proptest::collection::vec(0usize..16, 0..16),
        ) {
            let variants = crate::variants::bundled();
            let forms: Vec<NameForms> = words.iter().map(|w| analyse(w, variants)).collect();
            let sigs = TokenSigs::new(&forms);
            // Any tokens in any order, repeated or not, and rows without one.
            let rows: Vec<Option<u32>> = order
                .iter()
                .map(|&k| (k < forms.len()).then_some(k as u32))
                .collect();
            let mut columns = TokenColumns::default();
            // Gathered over others, as when reused.
            columns.gather(&sigs, (0..7).map(|t| Some(t % forms.len() as u32)));
            columns.gather(&sigs, rows.iter().copied());
            prop_assert_eq!(columns.len(), rows.len());
            for x in 0..forms.len() as u32 {
                let Some(unlike) = sigs.unlike_from(x) else { continue };
                let mut out = vec![true; rows.len() + 1];
                unlike.unlike_all(&columns, &mut out);
                let one_at_a_time: Vec<bool> = rows
                    .iter()
                    .map(|t| t.is_some_and(|t| unlike.unlike(t)))
                    .chain([true])
                    .collect();
                prop_assert_eq!(&out, &one_at_a_time);
            }
        }

        /// A token one letter off another, both Latin, is settled by the summaries alike.
        #[test]
        fn edited_latin_tokens_agree_with_compare(a in "[a-z]{4,14}", at in 0usize..14, c in "[a-z]") {
            let mut b = a.clone().into_bytes();
            let at = at.min(b.len() - 1);
            b[at] = c.as_bytes()[0];
            let b = String::from_utf8(b).unwrap();
            let variants = crate::variants::bundled();
            let (fa, fb) = (analyse(&a, variants), analyse(&b, variants));
            prop_assume!(fa.written != fb.written);
            if let Some(level) = summaries(&fa, &fb).level(0, 1) {
                prop_assert_eq!(level, compare(&fa, &fb, Some(variants), false).0);
            }
        }
    }

    #[test]
    fn summaries_settle_unrelated_and_similar_latin_names() {
        let variants = crate::variants::bundled();
        let level =
            |a: &str, b: &str| summaries(&analyse(a, variants), &analyse(b, variants)).level(0, 1);
        assert_eq!(level("wittfily", "hoswott"), Some(TokenLevel::Different));
        let unlike = |a: &str, b: &str| {
            let sigs = summaries(&analyse(a, variants), &analyse(b, variants));
            sigs.unlike_from(0).is_some_and(|u| u.unlike(1))
        };
        assert!(unlike("wittfily", "hoswott"));
        assert!(!unlike("cundlaindby", "cundlaimdby"));
        assert_eq!(
            level("cundlaindby", "cundlaimdby"),
            Some(TokenLevel::Similar)
        );
        // A feminine surname may meet its masculine form: the forms decide.
        assert_eq!(level("ivanova", "ivanov"), None);
    }
}
