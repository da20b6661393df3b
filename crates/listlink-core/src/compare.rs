//! The comparison library: for a pair of records, each comparison yields a level (`u8`). Level 0
//! is always "null" (a value missing on either side: neutral evidence); level 1 is the strongest
//! agreement and the last level is "else".

use crate::prepare::PersonFeature;
use crate::prepare::{Date, Features, FieldFeature, Packed, prefetch, unpack_date};
use crate::settings::{Comparison, FieldKind, Method, NamePart, Settings};
use listlink_names::TokenLevel;
use listlink_names::forms::{Settled, TokenColumns, TokenSigs};
use listlink_names::similarity::{self, JaroBelow};
use multiversion::multiversion;
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this many comparisons: a pattern packs 4 bits per comparison into a `u64`.
pub const MAX_COMPARISONS: usize = 16;
/// At most this many levels per comparison, the null level included.
pub const MAX_LEVELS: usize = 16;

/// A pattern: the levels of all comparisons of one pair, 4 bits each, comparison 0 lowest.
pub type Pattern = u64;

/// Level of comparison `c` in a pattern.
#[inline]
pub fn level_of(pattern: Pattern, c: usize) -> u8 {
    ((pattern >> (4 * c)) & 0xF) as u8
}

/// The number of levels of a comparison, the null level included.
pub fn level_count(c: &Comparison) -> usize {
    match c.method {
        Method::Exact => 3,
        Method::JaroWinkler => 3 + usize::from(c.swap_with.is_some()) + c.thresholds.len(),
        Method::Levenshtein => 3 + c.thresholds.len(),
        Method::Date => DATE_LABELS.len(),
        Method::SetOverlap => 4,
        Method::PersonName => PERSON_LABELS.len(),
    }
}

const DATE_LABELS: [&str; 11] = [
    "null",
    "exact",
    "day and month transposed",
    "one digit off",
    "same year and month",
    "same age",
    "age consistent (±1 year)",
    "within 1 year",
    "within 5 years",
    "within 10 years",
    "else",
];
const DATE_EXACT: u8 = 1;
const DATE_TRANSPOSED: u8 = 2;
const DATE_ONE_DIGIT: u8 = 3;
const DATE_YEAR_MONTH: u8 = 4;
const DATE_SAME_AGE: u8 = 5;
const DATE_AGE: u8 = 6;
const DATE_1Y: u8 = 7;
const DATE_5Y: u8 = 8;
/// Six to ten years apart: a typo rarely, another person often; more than ten years apart
/// (`DATE_ELSE`) is another person all but always, and weighs as such.
const DATE_10Y: u8 = 9;
const DATE_ELSE: u8 = 10;

#[derive(Debug, Clone)]
enum Kind {
    Exact {
        field: usize,
    },
    JaroWinkler {
        field: usize,
        swap: Option<usize>,
        thresholds: Vec<f64>,
    },
    Levenshtein {
        field: usize,
        thresholds: Vec<usize>,
    },
    Date {
        field: usize,
        age: Option<usize>,
    },
    Age {
        field: usize,
    },
    SetOverlap {
        field: usize,
    },
    PersonName {
        part: NamePart,
    },
}

/// A comparison resolved against the settings' fields, ready for the hot loop.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub name: String,
    /// Index of the settings field it reads.
    pub field: usize,
    /// Level labels, index = level.
    pub labels: Vec<String>,
    /// The level that is an exact agreement eligible for a term-frequency adjustment.
    pub tf_level: Option<u8>,
    /// For a person_name comparison, the part of the name it compares.
    pub person_part: Option<NamePart>,
    /// Its place among the run's comparisons (the memo's key).
    index: usize,
    kind: Kind,
}

/// The level of every pair of values of a field so few-valued (states, sexes) that all pairs
/// fit a small table: a comparison's level is then one read of the table, from the two rows'
/// codes.
#[derive(Debug, Clone)]
pub struct LevelTable {
    /// The packed slot of the field's code.
    slot: usize,
    /// Codes of the field, 0 (missing) included: the table's side.
    side: usize,
    levels: Vec<u8>,
}

impl LevelTable {
    /// Fields with at most this many codes get a table: 64 × 64 levels, 4 KiB.
    pub const MAX_CODES: usize = 64;

    /// The level of the pair whose packed rows are these.
    #[inline]
    pub fn level(&self, (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS])) -> u8 {
        self.levels[ra[self.slot] as usize * self.side + rb[self.slot] as usize]
    }
}

/// All comparisons of a run, in settings order.
#[derive(Debug, Clone)]
pub struct Comparator {
    pub comparisons: Vec<Compiled>,
    /// Levels of value pairs already computed, shared by clones (threads) of this comparator.
    memo: Arc<Memo>,
    /// Levels of name-token pairs already computed.
    token_memo: Arc<Memo>,
}

impl Comparator {
    /// Resolves the settings' comparisons. The settings must be valid.
    pub fn new(settings: &Settings) -> Comparator {
        let field_index = |name: &str| {
            settings
                .field(name)
                .map(|(i, _)| i)
                .expect("validated settings")
        };
        let comparisons = settings
            .comparisons
            .iter()
            .map(|c| {
                let field = field_index(&c.field);
                let field_label = |name: &str| name.to_string();
                let (kind, labels): (Kind, Vec<String>) = match c.method {
                    Method::Exact => (
                        Kind::Exact { field },
                        vec!["null".into(), "exact".into(), "else".into()],
                    ),
                    Method::JaroWinkler => {
                        let swap = c.swap_with.as_deref().map(field_index);
                        let mut labels = vec!["null".to_string(), "exact".to_string()];
                        if let Some(other) = &c.swap_with {
                            labels.push(format!("swapped with {}", field_label(other)));
                        }
                        labels.extend(c.thresholds.iter().map(|t| format!("Jaro-Winkler ≥ {t}")));
                        labels.push("else".into());
                        (
                            Kind::JaroWinkler {
                                field,
                                swap,
                                thresholds: c.thresholds.clone(),
                            },
                            labels,
                        )
                    }
                    Method::Levenshtein => {
                        let thresholds: Vec<usize> =
                            c.thresholds.iter().map(|t| *t as usize).collect();
                        let mut labels = vec!["null".to_string(), "exact".to_string()];
                        labels.extend(
                            thresholds
                                .iter()
                                .map(|t| format!("Damerau-Levenshtein ≤ {t}")),
                        );
                        labels.push("else".into());
                        (Kind::Levenshtein { field, thresholds }, labels)
                    }
                    Method::Date => {
                        let labels = DATE_LABELS.iter().map(|s| s.to_string()).collect();
                        let kind = if settings.fields[field].kind == FieldKind::Age {
                            Kind::Age { field }
                        } else {
                            Kind::Date {
                                field,
                                age: c.age_field.as_deref().map(field_index),
                            }
                        };
                        (kind, labels)
                    }
                    Method::SetOverlap => (
                        Kind::SetOverlap { field },
                        vec![
                            "null".into(),
                            "same set".into(),
                            "overlap".into(),
                            "disjoint".into(),
                        ],
                    ),
                    Method::PersonName => (
                        Kind::PersonName {
                            part: c.part.unwrap_or(NamePart::Family),
                        },
                        PERSON_LABELS.iter().map(|l| l.to_string()).collect(),
                    ),
                };
                let tf_level = (c.term_frequency
                    && matches!(
                        c.method,
                        Method::Exact
                            | Method::JaroWinkler
                            | Method::Levenshtein
                            | Method::PersonName
                    ))
                .then_some(1);
                Compiled {
                    name: c.name.clone(),
                    field,
                    labels,
                    tf_level,
                    person_part: c.part.filter(|_| c.method == Method::PersonName),
                    index: 0,
                    kind,
                }
            })
            .collect();
        let mut comparisons: Vec<Compiled> = comparisons;
        for (i, c) in comparisons.iter_mut().enumerate() {
            c.index = i;
        }
        Comparator {
            comparisons,
            memo: Arc::default(),
            token_memo: Arc::default(),
        }
    }

    /// The same comparisons with empty memos.
    /// Sizes the memos for a run over this many rows (before the run compares anything).
    pub fn size_memos(&self, rows: usize) {
        self.memo.size_for(rows);
        self.token_memo.size_for(rows);
    }

    pub fn clone_fresh(&self) -> Comparator {
        Comparator {
            comparisons: self.comparisons.clone(),
            memo: Arc::default(),
            token_memo: Arc::default(),
        }
    }

    /// Patterns of many pairs, in order, into `out`: the packed rows of pairs a few places
    /// ahead are fetched into cache while the current pair is compared.
    pub fn patterns(&self, f: &Features, pairs: &[(u32, u32)], out: &mut Vec<Pattern>) {
        out.reserve(pairs.len());
        for (i, &(a, b)) in pairs.iter().enumerate() {
            self.prefetch_ahead(f, pairs, i);
            out.push(self.pattern(f, a as usize, b as usize));
        }
    }

    /// [`Comparator::patterns`], taking first the levels the screen shows of each pair
    /// ([`Screen::look`]): the same patterns, without comparing the values whose codes or
    /// shapes already settle their level (most texts of pairs that are not the same person).
    pub fn patterns_screened(
        &self,
        f: &Features,
        screen: &Screen,
        pairs: &[(u32, u32)],
        out: &mut Vec<Pattern>,
    ) {
        let Some(packed) = &f.packed else {
            return self.patterns(f, pairs, out);
        };
        out.reserve(pairs.len());
        for (i, &(a, b)) in pairs.iter().enumerate() {
            self.prefetch_ahead(f, pairs, i);
            screen.prefetch_ahead(pairs, i);
            let (a, b) = (a as usize, b as usize);
            let rows = (packed.row(a), packed.row(b));
            let (mut pattern, mut known) = (0u64, 0u32);
            screen.look((a, b), rows, |c, glimpse| {
                if let Glimpse::Level(level) = glimpse {
                    known |= 1 << c;
                    pattern |= u64::from(level) << (4 * c);
                }
            });
            let mut aligned = None;
            for (c, comparison) in self.comparisons.iter().enumerate() {
                if known & (1 << c) == 0 {
                    let level = comparison.level_packed(f, a, b, rows, self, &mut aligned);
                    pattern |= u64::from(level) << (4 * c);
                }
            }
            out.push(pattern);
        }
    }

    /// Asks for the packed rows of a pair to be brought into cache (a hint).
    #[inline]
    pub fn prefetch_pair(&self, f: &Features, a: u32, b: u32) {
        if let Some(packed) = &f.packed {
            prefetch(packed.row(a as usize));
            prefetch(packed.row(b as usize));
        }
    }

    /// While pair `i` of `pairs` is compared: fetches the packed rows of a pair a few places
    /// ahead. (Fetching their value lines too was measured to gain nothing: a pair's b values
    /// mostly come round again within its block.)
    #[inline]
    pub fn prefetch_ahead(&self, f: &Features, pairs: &[(u32, u32)], i: usize) {
        if let Some(&(a, b)) = pairs.get(i + PREFETCH_AHEAD) {
            self.prefetch_pair(f, a, b);
        }
    }

    /// Asks for the token summaries of a row's simple name to be brought into cache: comparing
    /// names reads them at random ([`TokenSigs::settle`]). Reads the row's packed line, so call
    /// it once that is fetched.
    #[inline]
    pub fn prefetch_names(&self, f: &Features, row: u32) {
        let (Some(packed), Some(person)) = (&f.packed, &f.person) else {
            return;
        };
        let Some(slot) = packed.person else { return };
        let line = packed.row(row as usize);
        for token in [line[slot], line[slot + 1]] {
            if let Some(sig) = person.sigs.sig(token) {
                prefetch(sig);
            }
        }
    }

    /// The level of comparison `c` for the pair, sharing `aligned` among a pair's comparisons
    /// (start it at `None` for each pair). The same level [`Comparator::pattern`] gives.
    #[inline]
    pub fn level_of_pair(
        &self,
        f: &Features,
        c: usize,
        a: usize,
        b: usize,
        aligned: &mut Option<Option<Aligned>>,
    ) -> u8 {
        let comparison = &self.comparisons[c];
        match &f.packed {
            Some(p) => comparison.level_packed(f, a, b, (p.row(a), p.row(b)), self, aligned),
            None => comparison.level_with(f, a, b, Some(&self.token_memo), aligned),
        }
    }

    /// The comparisons whose level the pair's packed rows can show is not 1 (exact), with how
    /// ([`Unequal`]): exact, edit-distance and Jaro–Winkler comparisons of one text field (equal
    /// codes ⇔ equal keys), and person-name comparisons of simple names (one token a part, so
    /// only a shared token is exact, whichever order the names are read in). Empty without
    /// packed rows.
    pub fn unequal(&self, f: &Features) -> Vec<(usize, Unequal)> {
        let Some(packed) = &f.packed else {
            return Vec::new();
        };
        self.comparisons
            .iter()
            .enumerate()
            .filter_map(|(c, comparison)| match comparison.kind {
                Kind::Exact { field }
                | Kind::Levenshtein { field, .. }
                | Kind::JaroWinkler {
                    field, swap: None, ..
                } => Some((c, Unequal::Codes(field))),
                Kind::PersonName {
                    part: NamePart::Given | NamePart::Family,
                } => packed.person.map(|slot| (c, Unequal::Names(slot))),
                _ => None,
            })
            .collect()
    }

    /// Per comparison, a [`LevelTable`] when it is an exact, edit-distance or Jaro–Winkler
    /// comparison of one text field with at most [`LevelTable::MAX_CODES`] codes and rows are
    /// packed. Each entry is the level comparing the two codes gives.
    pub fn level_tables(&self, f: &Features) -> Vec<Option<LevelTable>> {
        let one_field = self.unequal(f);
        self.comparisons
            .iter()
            .enumerate()
            .map(|(c, comparison)| {
                let slot = one_field.iter().find_map(|&(x, how)| match how {
                    Unequal::Codes(slot) if x == c => Some(slot),
                    _ => None,
                })?;
                let side = f.text(slot).lines.len();
                (side <= LevelTable::MAX_CODES).then(|| LevelTable {
                    slot,
                    side,
                    levels: (0..side * side)
                        .map(|i| {
                            let (x, y) = ((i / side) as u32, (i % side) as u32);
                            comparison.codes_level(f, &self.memo, x, y)
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// The [`Screen`] of these features' pairs: empty without packed rows.
    pub fn screen(&self, f: &Features) -> Screen {
        let mut screen = Screen::default();
        let Some(packed) = &f.packed else {
            return screen;
        };
        let tables = self.level_tables(f);
        let mut words = 0;
        let mut word = || {
            let w = (words < Screen::WORDS).then_some(words);
            words += 1;
            w
        };
        for (c, comparison) in self.comparisons.iter().enumerate() {
            if let Some(table) = &tables[c] {
                screen.tables.push((c, table.clone()));
                continue;
            }
            match &comparison.kind {
                Kind::Exact { field } => screen.exact.push((c, *field)),
                Kind::Date { field, .. } => screen.dates.push((c, *field)),
                Kind::JaroWinkler {
                    field,
                    swap: None,
                    thresholds,
                } => screen.jaro.push(Shaped {
                    c,
                    field: *field,
                    word: word(),
                    shapes: f.text(*field).lines.iter().map(|l| l.shape).collect(),
                    thresholds: thresholds.clone(),
                }),
                Kind::Levenshtein { field, thresholds } => {
                    let t = f.text(*field);
                    screen.edits.push(Shaped {
                        c,
                        field: *field,
                        word: word(),
                        shapes: (0..t.lines.len() as u32)
                            .map(|code| similarity::count_shape(t.value(code)))
                            .collect(),
                        thresholds: thresholds.clone(),
                    })
                }
                Kind::PersonName {
                    part: part @ (NamePart::Given | NamePart::Family),
                } => {
                    if let Some(slot) = packed.person {
                        screen.names.push((c, slot, *part));
                    }
                }
                _ => {}
            }
        }
        if words > 0 {
            let (jaro, edits) = (&screen.jaro, &screen.edits);
            screen.sketches = (0..packed.rows.len())
                .into_par_iter()
                .map(|r| {
                    let row = packed.row(r);
                    let mut line = Sketch::default();
                    for (w, field, shapes) in jaro
                        .iter()
                        .map(|e| (e.word, e.field, &e.shapes))
                        .chain(edits.iter().map(|e| (e.word, e.field, &e.shapes)))
                    {
                        if let Some(w) = w {
                            line.0[w] = shapes[row[field] as usize];
                        }
                    }
                    line
                })
                .collect();
        }
        screen
    }

    /// How costly comparison `c` is, in classes: 0 (dates, exact codes), 1 (edit distances,
    /// sets, Jaro–Winkler over so few values that their pairs stay remembered), 2
    /// (Jaro–Winkler), 3 (names).
    pub fn cost_class(&self, f: &Features, c: usize) -> u8 {
        match self.comparisons[c].kind {
            Kind::Date { .. } | Kind::Age { .. } | Kind::Exact { .. } => 0,
            Kind::Levenshtein { .. } | Kind::SetOverlap { .. } => 1,
            Kind::JaroWinkler { field, .. } if few_values(f.text(field)) => 1,
            Kind::JaroWinkler { .. } => 2,
            Kind::PersonName { .. } => 3,
        }
    }

    /// The pattern of the pair (a, b).
    #[inline]
    pub fn pattern(&self, f: &Features, a: usize, b: usize) -> Pattern {
        let rows = f.packed.as_ref().map(|p| (p.row(a), p.row(b)));
        let mut p = 0u64;
        let mut aligned = None;
        for (i, c) in self.comparisons.iter().enumerate() {
            let level = match rows {
                Some(rows) => c.level_packed(f, a, b, rows, self, &mut aligned),
                None => c.level_with(f, a, b, Some(&self.token_memo), &mut aligned),
            };
            p |= (level as u64) << (4 * i);
        }
        p
    }

    /// Per comparison, the rule behind its level when there is one to name (which
    /// transliteration, variant or skeleton matched), e.g. `ICAO: Evgenii ~ Евгений`.
    pub fn describe(&self, f: &Features, a: usize, b: usize) -> Vec<Option<String>> {
        let aligned = f.person.as_ref().and_then(|p| align(p, a, b));
        self.comparisons
            .iter()
            .map(|c| match (&c.kind, &aligned, &f.person) {
                (Kind::PersonName { part }, Some(al), Some(person)) => {
                    describe_part(person, a, b, al, *part)
                }
                (Kind::Date { field, .. }, _, _) => {
                    let FieldFeature::Date(d) = &f.fields[*field] else {
                        unreachable!("date field")
                    };
                    let ambiguous = [a, b]
                        .iter()
                        .any(|&r| d.dates[r].is_some_and(|x| x.ambiguous));
                    // A slash date such as 04/03/1987 is 4 March or 3 April: the level took
                    // the reading that agrees best, which a reader should know.
                    ambiguous.then(|| {
                        "ambiguous: a date written with slashes reads day-first or month-first; the reading that agrees best was taken".to_string()
                    })
                }
                _ => None,
            })
            .collect()
    }
}

const PERSON_LABELS: [&str; 8] = [
    "null",
    "exact",
    "equal after transliteration",
    "variant",
    "same consonant skeleton",
    "similar",
    "close",
    "else",
];

fn token_level_index(l: TokenLevel) -> u8 {
    match l {
        TokenLevel::Exact => 1,
        TokenLevel::Transliteration => 2,
        TokenLevel::Variant => 3,
        TokenLevel::Skeleton => 4,
        TokenLevel::Similar => 5,
        TokenLevel::Close => 6,
        TokenLevel::Different => 7,
    }
}

/// Two persons' names aligned: the best pair of readings, in the order (straight or given and
/// family swapped) that agrees best, with each part's level (None: missing on a side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aligned {
    pub readings: (usize, usize),
    pub swapped: bool,
    pub given: Option<TokenLevel>,
    pub family: Option<TokenLevel>,
    pub patronymic: Option<TokenLevel>,
}

fn best_level(
    person: &PersonFeature,
    memo: Option<&Memo>,
    x: &[u32],
    y: &[u32],
) -> Option<TokenLevel> {
    let mut best: Option<TokenLevel> = None;
    for &i in x {
        for &j in y {
            let l = if i == j {
                TokenLevel::Exact
            } else {
                token_level(person, memo, i, j)
            };
            best = Some(best.map_or(l, |b| b.min(l)));
            if l == TokenLevel::Exact {
                return best;
            }
        }
    }
    best
}

/// What a pair's packed rows and its values' shapes show of one comparison's level without
/// comparing the values ([`Screen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glimpse {
    /// The level itself.
    Level(u8),
    /// This level or one past it (less alike): never null or exact.
    AtLeast(u8),
    /// Not exact (null still possible).
    NotExact,
}

/// One row's shapes of the fields the screen bounds by shape, in one cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
pub struct Sketch([u64; Screen::WORDS]);

/// A comparison of one text field's codes that the screen bounds from the values' shapes.
#[derive(Debug, Clone)]
struct Shaped<T> {
    c: usize,
    /// The field, which is also its packed slot.
    field: usize,
    /// Its word in the rows' [`Sketch`], if it has one; else its shapes are read by code.
    word: Option<usize>,
    /// Per code, the value's shape (Jaro–Winkler: [`similarity::shape`], edit distance:
    /// [`similarity::count_shape`]).
    shapes: Vec<u64>,
    thresholds: Vec<T>,
}

impl<T> Shaped<T> {
    /// What the pair's codes and shapes show of this comparison's level, given how many of its
    /// thresholds, from the strictest, the two shapes rule out.
    #[inline(always)]
    fn glimpse(
        &self,
        (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS]),
        (sa, sb): (&[u64; Screen::WORDS], &[u64; Screen::WORDS]),
        ruled_out: impl FnOnce(u64, u64, &[T]) -> usize,
    ) -> Glimpse {
        let (x, y) = (ra[self.field], rb[self.field]);
        if x == 0 || y == 0 {
            return Glimpse::Level(0);
        }
        if x == y {
            return Glimpse::Level(1);
        }
        let (sx, sy) = match self.word {
            Some(w) => (sa[w], sb[w]),
            None => (self.shapes[x as usize], self.shapes[y as usize]),
        };
        let past = ruled_out(sx, sy, &self.thresholds);
        if past == self.thresholds.len() {
            Glimpse::Level(2 + past as u8)
        } else {
            Glimpse::AtLeast(2 + past as u8)
        }
    }
}

/// The cheap look at a pair that comes before any comparison: per comparison, what the two
/// packed rows and the values' shapes show of its level ([`Glimpse`]). Comparisons are grouped
/// by kind, so that each group's loop runs the same code for every pair, and the shapes of up to
/// [`Screen::WORDS`] fields are gathered per row into one line ([`Sketch`]), so that looking at a
/// pair reads four cache lines, two of them row a's, whatever the values.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    tables: Vec<(usize, LevelTable)>,
    /// (comparison, slot): exact comparisons of codes.
    exact: Vec<(usize, usize)>,
    /// (comparison, slot): packed dates.
    dates: Vec<(usize, usize)>,
    jaro: Vec<Shaped<f64>>,
    edits: Vec<Shaped<usize>>,
    /// (comparison, slot, part): simple names' tokens.
    names: Vec<(usize, usize, NamePart)>,
    sketches: Vec<Sketch>,
}

impl Screen {
    /// Fields whose shapes a row's [`Sketch`] holds.
    pub const WORDS: usize = 8;

    /// While pair `i` of `pairs` is looked at: fetches the sketches of the rows of a pair a few
    /// places ahead, as [`Comparator::prefetch_ahead`] does their packed rows. The first row's
    /// only when it differs from the pair before's: in small groups (most pairs of rules past
    /// the first) it changes every pair or two, and missing it stalled the screen.
    #[inline]
    pub fn prefetch_ahead(&self, pairs: &[(u32, u32)], i: usize) {
        let ahead = i + PREFETCH_AHEAD;
        let Some(&(a, b)) = pairs.get(ahead) else {
            return;
        };
        if let Some(line) = self.sketches.get(b as usize) {
            prefetch(line);
        }
        let new_first = ahead == 0 || pairs[ahead - 1].0 != a;
        if let Some(line) = self.sketches.get(a as usize).filter(|_| new_first) {
            prefetch(line);
        }
    }

    /// Calls `each` with what the pair's rows show of each comparison they show anything of.
    #[inline]
    pub fn look(
        &self,
        (a, b): (usize, usize),
        (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS]),
        mut each: impl FnMut(usize, Glimpse),
    ) {
        for (c, table) in &self.tables {
            each(*c, Glimpse::Level(table.level((ra, rb))));
        }
        for &(c, slot) in &self.exact {
            each(c, Glimpse::Level(exact_level(ra[slot], rb[slot])));
        }
        for &(c, slot) in &self.dates {
            if let Some(level) = packed_date_level(ra[slot], rb[slot]) {
                each(c, Glimpse::Level(level));
            }
        }
        let (sa, sb) = match (self.sketches.get(a), self.sketches.get(b)) {
            (Some(sa), Some(sb)) => (&sa.0, &sb.0),
            _ => (&[0; Screen::WORDS], &[0; Screen::WORDS]),
        };
        for e in &self.edits {
            let glimpse = e.glimpse((ra, rb), (sa, sb), |sx, sy, thresholds| {
                let least = similarity::count_lower_bound(sx, sy);
                thresholds.iter().take_while(|th| **th < least).count()
            });
            each(e.c, glimpse);
        }
        for e in &self.jaro {
            let glimpse = e.glimpse((ra, rb), (sa, sb), |sx, sy, thresholds| {
                let below = |th: f64| similarity::jaro_winkler_below(sx, sy, th);
                // Most pairs are below the loosest threshold, and so below all.
                if thresholds.last().is_none_or(|&th| below(th)) {
                    thresholds.len()
                } else {
                    thresholds.iter().take_while(|th| below(**th)).count()
                }
            });
            each(e.c, glimpse);
        }
        for &(c, slot, _) in &self.names {
            if Unequal::Names(slot).rules_out_exact(ra, rb) {
                each(c, Glimpse::NotExact);
            }
        }
    }
}

/// A run of a group's rows, the values and shapes the [`Screen`] reads of them in columns, so
/// that one row is screened against all the rows after it one comparison at a time
/// ([`Screen::against`]).
#[derive(Debug, Clone, Default)]
pub struct Columns {
    rows: usize,
    /// Per table, exact comparison and date (in that order), its slot's codes; per edit-distance
    /// and Jaro–Winkler comparison, its codes; per name comparison, its given and family tokens.
    slots: Vec<Vec<u32>>,
    /// Per edit-distance and Jaro–Winkler comparison (in that order), its values' shapes.
    shapes: Vec<Vec<u64>>,
    /// Per pair of [`Screen::against`], what its glimpses drop.
    sums: Vec<f32>,
    /// For the row screened last, the simple names of the pairs its names pass read.
    names: NameColumns,
}

/// The simple names of the pairs [`add_unlike_names`] reads, in columns.
#[derive(Debug, Clone, Default)]
struct NameColumns {
    /// Which pairs, by their place after row i.
    pairs: Vec<u32>,
    /// Their other rows' given and family tokens.
    given: TokenColumns,
    family: TokenColumns,
    /// Per pair, whether row i's given token is unlike the other's given and family tokens, and
    /// row i's family token unlike them.
    unlike: [Vec<bool>; 4],
}

impl Columns {
    /// Rows gathered.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// What each glimpse of a shape-bounded comparison but null and exact drops, for one row, by
/// how many of its thresholds the shapes rule out ([`Shaped::drops`]).
type ShapedDrops = [f32; JaroBelow::MAX + 1];

impl Screen {
    /// Whether the screen looks at anything, and [`Screen::against`] can screen in columns
    /// what [`Screen::look`] screens pair by pair.
    pub fn has_columns(&self) -> bool {
        let fits = |n: usize| n <= JaroBelow::MAX;
        let any = !(self.tables.is_empty()
            && self.exact.is_empty()
            && self.dates.is_empty()
            && self.edits.is_empty()
            && self.jaro.is_empty()
            && self.names.is_empty());
        any && self.edits.iter().all(|e| fits(e.thresholds.len()))
            && self.jaro.iter().all(|e| fits(e.thresholds.len()))
    }

    /// The packed slots [`Columns`] hold, in their order.
    fn column_slots(&self) -> impl Iterator<Item = usize> + '_ {
        let slot = |&(_, slot): &(usize, usize)| slot;
        (self.tables.iter().map(|(_, t)| t.slot))
            .chain(self.exact.iter().map(slot))
            .chain(self.dates.iter().map(slot))
            .chain(self.edits.iter().map(|e| e.field))
            .chain(self.jaro.iter().map(|e| e.field))
            .chain(self.names.iter().flat_map(|&(_, slot, _)| [slot, slot + 1]))
    }

    /// Gathers the packed values and shapes of `rows` into `columns`, for [`Screen::against`].
    pub fn gather(&self, packed: &Packed, rows: &[u32], columns: &mut Columns) {
        columns.rows = rows.len();
        columns
            .slots
            .resize_with(self.column_slots().count(), Vec::new);
        columns
            .shapes
            .resize_with(self.edits.len() + self.jaro.len(), Vec::new);
        // A column at a time, each extended from an iterator of known length: pushing to each
        // column in turn, a row at a time, keeps every column's length in memory between pushes.
        for (column, slot) in columns.slots.iter_mut().zip(self.column_slots()) {
            column.clear();
            column.extend(rows.iter().map(|&r| packed.row(r as usize)[slot]));
        }
        let sketch = |r: u32| {
            self.sketches
                .get(r as usize)
                .map_or(&[0; Screen::WORDS], |s| &s.0)
        };
        let (edits, jaro) = columns.shapes.split_at_mut(self.edits.len());
        for (column, e) in edits.iter_mut().zip(&self.edits) {
            column.clear();
            column.extend(
                rows.iter()
                    .map(|&r| e.row_shape(packed.row(r as usize), sketch(r))),
            );
        }
        for (column, e) in jaro.iter_mut().zip(&self.jaro) {
            column.clear();
            column.extend(
                rows.iter()
                    .map(|&r| e.row_shape(packed.row(r as usize), sketch(r))),
            );
        }
    }

    /// Screens gathered row `i` against every row after it: clears `keep[j]` when the pair
    /// (i, i + 1 + j) surely drops more than `limit` by what [`Screen::look`] shows of it,
    /// `drop(c, glimpse)` being what a glimpse of comparison `c` drops for row i. The glimpses
    /// are those `look` gives, or weaker ones (a date level it does not read from the two words,
    /// a shape bound within a relative 1e-4 of a threshold), and the sums are in `f32` with a
    /// margin. With the names' token summaries (`sigs`), it also reads what `look` does not:
    /// simple names whose tokens the summaries settle as unlike are else, as comparing them
    /// would find ([`Unlike`]). A pair cleared here falls below the floor when compared in full,
    /// so this screen changes which pairs are looked at pair by pair, never which are kept.
    ///
    /// [`Unlike`]: listlink_names::forms::Unlike
    pub fn against(
        &self,
        sigs: Option<&TokenSigs>,
        columns: &mut Columns,
        i: usize,
        drop: impl Fn(usize, Glimpse) -> f64,
        limit: f64,
        keep: &mut [bool],
    ) {
        against_columns(self, sigs, columns, i, drop, limit, keep);
    }
}

/// [`Screen::against`], compiled also for AVX-512 (with its population count of 64-bit lanes)
/// and for AVX2, so that its loops run many pairs at a time: the best the CPU has is chosen at
/// run time.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512dq+avx512vpopcntdq+avx2+popcnt+bmi1+bmi2+fma",
    "x86_64+avx2+popcnt+bmi1+bmi2+fma",
))]
fn against_columns(
    screen: &Screen,
    sigs: Option<&TokenSigs>,
    columns: &mut Columns,
    i: usize,
    drop: impl Fn(usize, Glimpse) -> f64,
    limit: f64,
    keep: &mut [bool],
) {
    // One loop over the pairs per comparison, each without branches.
    let Columns {
        rows,
        slots,
        shapes,
        sums,
        names,
    } = columns;
    let from = i + 1;
    assert_eq!(keep.len() + from, *rows, "a flag per row after row i");
    sums.clear();
    sums.resize(keep.len(), 0.0);
    let sums = &mut sums[..];
    // More than all drops can add up to, for the margin of the f32 sums.
    let mut most = 0.0f64;
    let mut drop32 = |c: usize, glimpse: Glimpse| {
        let d = drop(c, glimpse);
        most += d;
        d as f32
    };
    let mut slots = slots.iter().map(Vec::as_slice);
    let mut next = || slots.next().expect("a column per slot");
    for (c, table) in &screen.tables {
        let xs = next();
        let row = &table.levels[xs[i] as usize * table.side..][..table.side];
        let mut by_code = [0.0f32; LevelTable::MAX_CODES];
        for (d, &level) in by_code.iter_mut().zip(row) {
            *d = drop32(*c, Glimpse::Level(level));
        }
        for (sum, &y) in sums.iter_mut().zip(&xs[from..]) {
            *sum += by_code[y as usize % LevelTable::MAX_CODES];
        }
    }
    for &(c, _) in &screen.exact {
        let xs = next();
        let x = xs[i];
        let [null, exact, other] = [0, 1, 2].map(|level| drop32(c, Glimpse::Level(level)));
        if x == 0 {
            sums.iter_mut().for_each(|sum| *sum += null);
            continue;
        }
        for (sum, &y) in sums.iter_mut().zip(&xs[from..]) {
            let d = if y == x { exact } else { other };
            *sum += if y == 0 { null } else { d };
        }
    }
    for &(c, _) in &screen.dates {
        let xs = next();
        let x = xs[i];
        if x == 0 {
            // No date of row i's: no level read from the words.
            continue;
        }
        let [exact, five, ten, far] = [DATE_EXACT, DATE_5Y, DATE_10Y, DATE_ELSE]
            .map(|level| drop32(c, Glimpse::Level(level)));
        // A full date equal to row i's agrees exactly.
        let exact = if (x >> 4) & 0x1F != 0 && (x >> 9) & 0xF != 0 {
            exact
        } else {
            0.0
        };
        let year_x = x >> 14;
        for (sum, &y) in sums.iter_mut().zip(&xs[from..]) {
            // `far_dates_level` without branches (`&`, not `&&`); any other pair of dates
            // drops nothing here.
            let year_y = y >> 14;
            let apart = year_x.abs_diff(year_y);
            let is_far = (y != 0)
                & ((x | y) & 2 == 0)
                & (year_x < 10_000)
                & (year_y < 10_000)
                & (apart >= 2)
                & ((x ^ y) & (0x1F << 9) != 0)
                & ((x ^ y) & (0x1F << 4) != 0);
            let known = (year_x != 0) & (year_y != 0);
            let d = if known & (apart <= 5) {
                five
            } else if known & (apart <= 10) {
                ten
            } else {
                far
            };
            let d = if is_far { d } else { 0.0 };
            *sum += if y == x { exact } else { d };
        }
    }
    let mut shapes = shapes.iter().map(Vec::as_slice);
    let mut shaped = || (next(), shapes.next().expect("a column per field"));
    for e in &screen.edits {
        let (xs, ss) = shaped();
        let (x, sx) = (xs[i], ss[i]);
        let Some((null, exact, by_count)) = e.row_drops(x, sums, &mut drop32) else {
            continue;
        };
        // The most edits each level allows, while in ascending order (as levels are);
        // past that, any number.
        let mut most = [u32::MAX; JaroBelow::MAX];
        let ordered = e.thresholds.iter().enumerate();
        let ordered = ordered.take_while(|&(t, th)| t == 0 || *th >= e.thresholds[t - 1]);
        for (t, &limit) in ordered {
            most[t] = limit.min(u32::MAX as usize) as u32;
        }
        for (sum, (&y, &sy)) in sums.iter_mut().zip(xs[from..].iter().zip(&ss[from..])) {
            let least = similarity::count_lower_bound(sx, sy) as u32;
            // Ruling out a larger distance rules out the smaller ones: the last wins.
            let mut d = by_count[0];
            for t in 0..JaroBelow::MAX {
                if least > most[t] {
                    d = by_count[t + 1];
                }
            }
            let d = if y == x { exact } else { d };
            *sum += if y == 0 { null } else { d };
        }
    }
    for e in &screen.jaro {
        let (xs, ss) = shaped();
        let (x, sx) = (xs[i], ss[i]);
        let Some(drops) = e.row_drops(x, sums, &mut drop32) else {
            continue;
        };
        let below = JaroBelow::new(sx, &e.thresholds);
        let pairs = (x, drops, &xs[from..], &ss[from..]);
        // One loop per number of thresholds, each looking at no more than it has.
        match e.thresholds.len() {
            0 => add_jaro::<0>(sums, &below, pairs),
            1 => add_jaro::<1>(sums, &below, pairs),
            2 => add_jaro::<2>(sums, &below, pairs),
            3 => add_jaro::<3>(sums, &below, pairs),
            _ => add_jaro::<{ JaroBelow::MAX }>(sums, &below, pairs),
        }
    }
    // Per part (given, family): what else drops beyond not exact, and the tokens.
    let mut else_drops = [0.0f32; 2];
    let mut tokens = None;
    for &(c, _, part) in &screen.names {
        let (gs, fs) = (next(), next());
        tokens = Some((gs, fs));
        let d = drop32(c, Glimpse::NotExact);
        let different = token_level_index(TokenLevel::Different);
        else_drops[usize::from(part == NamePart::Family)] =
            drop32(c, Glimpse::Level(different)) - d;
        let (ga, fa) = (gs[i], fs[i]);
        if ga == Packed::COMPLEX {
            continue;
        }
        for (sum, (&gb, &fb)) in sums.iter_mut().zip(gs[from..].iter().zip(&fs[from..])) {
            *sum += if names_unequal((ga, fa), (gb, fb)) {
                d
            } else {
                0.0
            };
        }
    }
    // Rounding: each f32 drop is within a relative 2^-24 of its f64, and so is each sum.
    let limit = (limit + 1e-3 + 1e-5 * (limit.abs() + most)) as f32;
    if let (Some(sigs), Some(tokens)) = (sigs, tokens) {
        add_unlike_names(sigs, names, tokens, (i, from), else_drops, limit, sums);
    }
    for (k, &sum) in keep.iter_mut().zip(sums.iter()) {
        *k = sum <= limit;
    }
}

/// Adds to the sums of the pairs (i, j) for j from `from` what their names drop past not exact
/// (`else_drops`, given and family) when the tokens' summaries settle them as else
/// ([`TokenSigs::settle`], the first step of every token comparison): pairs of neighbours,
/// whom only their names tell apart. Simple names only (one token a part, both parts), read
/// in either order: given is else when row i's given token is unlike both of the other's;
/// family when both of row i's are unlike the other's family token and row i's family token
/// unlike the other's given one. Only for the pairs the names can still clear (not cleared
/// yet, cleared with both names else), gathered in columns and told without branches
/// ([`Unlike::unlike_all`]): in the large groups of one name there are none, as namesakes share
/// their tokens.
///
/// [`Unlike::unlike_all`]: listlink_names::forms::Unlike::unlike_all
#[inline(always)]
fn add_unlike_names(
    sigs: &TokenSigs,
    names: &mut NameColumns,
    (gs, fs): (&[u32], &[u32]),
    (i, from): (usize, usize),
    [given, family]: [f32; 2],
    limit: f32,
    sums: &mut [f32],
) {
    let simple = |t: u32| (t < Packed::COMPLEX).then_some(t);
    let (Some(ga), Some(fa)) = (simple(gs[i]), simple(fs[i])) else {
        return;
    };
    if given <= 0.0 && family <= 0.0 {
        return;
    }
    let (Some(ga), Some(fa)) = (sigs.unlike_from(ga), sigs.unlike_from(fa)) else {
        return;
    };
    let NameColumns {
        pairs,
        given: gb,
        family: fb,
        unlike,
    } = names;
    // The pairs not cleared yet that both names else would clear.
    pairs.clear();
    let open = sums
        .iter()
        .map(|&sum| sum <= limit && sum + given + family > limit);
    pairs.extend((0..).zip(open).filter(|&(_, open)| open).map(|(k, _)| k));
    if pairs.is_empty() {
        return;
    }
    let (gs, fs) = (&gs[from..], &fs[from..]);
    gb.gather(sigs, pairs.iter().map(|&k| simple(gs[k as usize])));
    fb.gather(sigs, pairs.iter().map(|&k| simple(fs[k as usize])));
    for flags in unlike.iter_mut() {
        flags.resize(pairs.len(), false);
    }
    let [gg, gf, ff, fg] = unlike;
    ga.unlike_all(gb, gg);
    ga.unlike_all(fb, gf);
    fa.unlike_all(fb, ff);
    fa.unlike_all(gb, fg);
    let flags = gg.iter().zip(gf.iter()).zip(ff.iter().zip(fg.iter()));
    for (&k, ((&gg, &gf), (&ff, &fg))) in pairs.iter().zip(flags) {
        let sum = &mut sums[k as usize];
        if gg & gf {
            *sum += given;
        }
        if gf & ff & fg {
            *sum += family;
        }
    }
}

/// Adds to each sum what the Jaro–Winkler glimpse of row x against the next row drops:
/// null, exact, or by how many of `N` thresholds the shapes rule out ([`Shaped::drops`]).
#[inline(always)]
fn add_jaro<const N: usize>(
    sums: &mut [f32],
    below: &JaroBelow,
    (x, (null, exact, by_count), ys, shapes): (u32, (f32, f32, ShapedDrops), &[u32], &[u64]),
) {
    for (sum, (&y, &sy)) in sums.iter_mut().zip(ys.iter().zip(shapes)) {
        let d = below.pick::<N, f32>(sy, &by_count);
        let d = if y == x { exact } else { d };
        *sum += if y == 0 { null } else { d };
    }
}

impl<T> Shaped<T> {
    /// A row's shape of this field's value (0 when it has none), from its sketch when that
    /// holds it.
    #[inline]
    fn row_shape(&self, line: &[u32; Packed::SLOTS], sketch: &[u64; Screen::WORDS]) -> u64 {
        match (line[self.field], self.word) {
            (0, _) => 0,
            (_, Some(w)) => sketch[w],
            (code, None) => self.shapes[code as usize],
        }
    }

    /// What each glimpse of row i's value (code `x`) against another drops ([`Shaped::drops`]);
    /// `None` when row i has no value, after adding the null level's drop to every sum.
    fn row_drops(
        &self,
        x: u32,
        sums: &mut [f32],
        drop: impl FnMut(usize, Glimpse) -> f32,
    ) -> Option<(f32, f32, ShapedDrops)> {
        let drops = self.drops(drop);
        if x == 0 {
            sums.iter_mut().for_each(|sum| *sum += drops.0);
            return None;
        }
        Some(drops)
    }

    /// What each glimpse drops, from what `drop` says each drops: null, exact, and by how many
    /// thresholds (from the strictest) are ruled out, at or past each level from 2 while
    /// thresholds remain, and last the level past every threshold (never more thresholds).
    fn drops(&self, mut drop: impl FnMut(usize, Glimpse) -> f32) -> (f32, f32, ShapedDrops) {
        let n = self.thresholds.len();
        // Past the thresholds: as many as there are.
        let mut by_count = [drop(self.c, Glimpse::Level(2 + n as u8)); JaroBelow::MAX + 1];
        for (past, d) in by_count.iter_mut().take(n).enumerate() {
            *d = drop(self.c, Glimpse::AtLeast(2 + past as u8));
        }
        let null = drop(self.c, Glimpse::Level(0));
        (null, drop(self.c, Glimpse::Level(1)), by_count)
    }
}

/// Whether two simple names (given and family tokens, [`Packed::person`]) share no token: then
/// neither name part agrees exactly.
#[inline(always)]
fn names_unequal((ga, fa): (u32, u32), (gb, fb): (u32, u32)) -> bool {
    // Complex names are read from all their readings: nothing is ruled out. (`&` rather than
    // `&&`: no branches, so that a loop over many names vectorizes.)
    let shared = |t: u32| (t != Packed::NO_TOKEN) & ((t == gb) | (t == fb));
    (ga != Packed::COMPLEX) & (gb != Packed::COMPLEX) & !shared(ga) & !shared(fa)
}

/// How a pair's packed rows show that a comparison is not exact ([`Comparator::unequal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unequal {
    /// The codes in this slot differ.
    Codes(usize),
    /// The given- and family-name tokens (from this slot) of two simple names: no token of one
    /// name is a token of the other.
    Names(usize),
}

impl Unequal {
    /// Whether the pair with these packed rows surely does not agree exactly.
    #[inline]
    pub fn rules_out_exact(self, ra: &[u32; Packed::SLOTS], rb: &[u32; Packed::SLOTS]) -> bool {
        match self {
            Unequal::Codes(slot) => ra[slot] != rb[slot],
            Unequal::Names(slot) => {
                names_unequal((ra[slot], ra[slot + 1]), (rb[slot], rb[slot + 1]))
            }
        }
    }
}

/// How many pairs ahead [`Comparator::prefetch_ahead`] fetches packed rows.
const PREFETCH_AHEAD: usize = 8;

/// log2 of a memo's slots: 2^21 slots of 8 bytes, 16 MiB.
const MEMO_BITS: u32 = 21;
/// Token ids and value codes a memo can hold (a key of two of them and a small level pack into
/// one word).
const MEMO_MAX_ID: u32 = 1 << 27;

/// Levels of pairs of values already compared, shared by all threads of a run: names, streets
/// and places repeat, so most pairs compare values already seen. A direct-mapped table of atomic
/// words, each holding a key (which comparison, which two values) and the level: a lookup is one
/// memory read, a clash overwrites, and a torn read cannot happen because a slot is one word. It
/// serves the features it first sees (by id); another's values are compared without it.
#[derive(Debug)]
pub struct Memo {
    owner: AtomicU64,
    /// log2 of the slots to make at first use ([`Memo::size_for`]).
    bits: std::sync::atomic::AtomicU32,
    /// Made at first use: a run over a few records (a look-up) does not clear megabytes.
    slots: std::sync::OnceLock<Box<[AtomicU64]>>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            owner: AtomicU64::new(0),
            bits: MEMO_BITS.into(),
            slots: std::sync::OnceLock::new(),
        }
    }
}

impl Memo {
    /// Sizes the memo, before its first use, for the values of this many rows.
    fn size_for(&self, rows: usize) {
        let bits = (usize::BITS - rows.leading_zeros() + 4).clamp(12, MEMO_BITS);
        self.bits.store(bits, Ordering::Relaxed);
    }

    fn slots(&self) -> &[AtomicU64] {
        self.slots.get_or_init(|| {
            (0..1usize << self.bits.load(Ordering::Relaxed))
                .map(|_| AtomicU64::new(0))
                .collect()
        })
    }

    fn serves(&self, id: u64) -> bool {
        let owner = self.owner.load(Ordering::Relaxed);
        owner == id
            || (owner == 0
                && self
                    .owner
                    .compare_exchange(0, id, Ordering::Relaxed, Ordering::Relaxed)
                    .map_or_else(|current| current == id, |_| true))
    }

    /// The level of the distinct values `lo` < `hi` under comparison `c`, computed by `compute`
    /// unless remembered. `owner` identifies the features the values come from.
    #[inline]
    fn level(&self, owner: u64, c: usize, lo: u32, hi: u32, compute: impl FnOnce() -> u8) -> u8 {
        debug_assert!(lo < hi);
        if hi >= MEMO_MAX_ID || c >= 31 || !self.serves(owner) {
            return compute();
        }
        // Never 0: the comparison's number starts at 1.
        let key = ((c as u64 + 1) << 54) | (u64::from(lo) << 27) | u64::from(hi);
        let slots = self.slots();
        let bits = slots.len().trailing_zeros();
        let index = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
        let slot = &slots[index];
        let entry = slot.load(Ordering::Relaxed);
        if entry >> 4 == key {
            return (entry & 0xF) as u8;
        }
        let level = compute();
        debug_assert!(level < 16);
        slot.store((key << 4) | u64::from(level), Ordering::Relaxed);
        level
    }
}

/// Token pairs are remembered under this comparison number (past any real comparison's).
const TOKEN_MEMO_SLOT: usize = 30;

/// The level of two distinct tokens, from the memo when there is one.
#[inline]
fn token_level(person: &PersonFeature, memo: Option<&Memo>, i: u32, j: u32) -> TokenLevel {
    // Always compared in one order, so a remembered level is the same whoever computed it.
    let (lo, hi) = (i.min(j), i.max(j));
    // Most pairs of tokens are unrelated, which their summaries (fewer than the pairs in the
    // memo, and more often in cache) show without the forms. Of the others, most need only
    // their rendering keys, which are compared from the summaries' buffer when not remembered.
    let settled = person.sigs.settle(lo, hi);
    if let Settled::Level(level) = settled {
        return level;
    }
    let compute = || match settled {
        Settled::Fuzzy => person.sigs.fuzzy_level(lo, hi),
        _ => {
            listlink_names::forms::compare(
                &person.forms[lo as usize],
                &person.forms[hi as usize],
                Some(&person.variants),
                false,
            )
            .0
        }
    };
    match memo {
        Some(memo) => {
            TOKEN_LEVELS
                [memo.level(person.id, TOKEN_MEMO_SLOT, lo, hi, || compute() as u8) as usize]
        }
        None => compute(),
    }
}

/// TokenLevel by its discriminant.
const TOKEN_LEVELS: [TokenLevel; 7] = [
    TokenLevel::Exact,
    TokenLevel::Transliteration,
    TokenLevel::Variant,
    TokenLevel::Skeleton,
    TokenLevel::Similar,
    TokenLevel::Close,
    TokenLevel::Different,
];

/// A score to choose alignments by: lower is better; a missing part counts as middling.
fn rank(l: Option<TokenLevel>) -> u32 {
    l.map_or(4, |l| token_level_index(l) as u32)
}

/// Aligns the names of rows a and b; `None` when either has no name. Symmetric: the same levels
/// for (a, b) and (b, a).
pub fn align(person: &PersonFeature, a: usize, b: usize) -> Option<Aligned> {
    align_with(person, None, a, b)
}

/// [`align`] with a memo of token levels.
pub fn align_with(
    person: &PersonFeature,
    memo: Option<&Memo>,
    a: usize,
    b: usize,
) -> Option<Aligned> {
    let mut best: Option<(AlignKey, Aligned)> = None;
    for (i, ra) in person.readings[a].iter().enumerate() {
        for (j, rb) in person.readings[b].iter().enumerate() {
            let candidate = align_readings(person, memo, Parts::of(ra), Parts::of(rb), (i, j));
            if best.as_ref().is_none_or(|(k, _)| candidate.0 < *k) {
                best = Some(candidate);
            }
        }
    }
    best.map(|(_, a)| a)
}

/// The token ids of one reading's parts.
#[derive(Clone, Copy)]
struct Parts<'a> {
    given: &'a [u32],
    family: &'a [u32],
    patronymic: &'a [u32],
}

impl<'a> Parts<'a> {
    fn of(r: &'a crate::prepare::PartIds) -> Parts<'a> {
        Parts {
            given: &r.given,
            family: &r.family,
            patronymic: &r.patronymic,
        }
    }
}

/// How good an alignment is: lower is better.
type AlignKey = (u32, u32, [u32; 3]);

/// Aligns one reading of each name, straight or with given and family names swapped.
fn align_readings(
    person: &PersonFeature,
    memo: Option<&Memo>,
    ra: Parts,
    rb: Parts,
    readings: (usize, usize),
) -> (AlignKey, Aligned) {
    let straight = (
        best_level(person, memo, ra.given, rb.given),
        best_level(person, memo, ra.family, rb.family),
    );
    let exact = Some(TokenLevel::Exact);
    let s_score = rank(straight.0) + rank(straight.1);
    // Both parts exact in the straight order: swapping cannot do better.
    let cross = if straight == (exact, exact) {
        (None, None)
    } else {
        let first = best_level(person, memo, ra.given, rb.family);
        // Swapped, the score is at least the first cross level's rank and an exact level's
        // (or twice the first's, when the second is missing). When that is no better than
        // the straight score, the swap loses whatever the second is: it is not compared.
        if first.is_some() && rank(first) + rank(exact) >= s_score {
            (first, None)
        } else {
            (first, best_level(person, memo, ra.family, rb.given))
        }
    };
    let patronymic = best_level(person, memo, ra.patronymic, rb.patronymic);
    choose_alignment(straight, cross, patronymic, readings)
}

/// Of the straight and the swapped order, the one that agrees best (the straight on a tie),
/// from the levels of the straight and cross pairs of parts, with how good it is.
fn choose_alignment(
    straight: (Option<TokenLevel>, Option<TokenLevel>),
    cross: (Option<TokenLevel>, Option<TokenLevel>),
    patronymic: Option<TokenLevel>,
    readings: (usize, usize),
) -> (AlignKey, Aligned) {
    // Swapped, the two cross levels are the same pair whichever record leads; the better
    // one goes to the family name. When only one cross pair exists (a record with one part
    // only), the swap explains that one token and the other part is missing: one token never
    // stands for both parts.
    let swapped = match (cross.0, cross.1) {
        (Some(x), Some(y)) => (Some(x.max(y)), Some(x.min(y))),
        (x, y) => (None, x.or(y)),
    };
    let s_score = rank(straight.0) + rank(straight.1);
    let w_score = rank(swapped.0) + rank(swapped.1);
    let (is_swapped, (given, family), score) = if w_score < s_score {
        (true, swapped, w_score)
    } else {
        (false, straight, s_score)
    };
    let missing = [given, family, patronymic]
        .iter()
        .filter(|l| l.is_none())
        .count() as u32;
    let key = (
        score * 8 + rank(patronymic),
        missing,
        [rank(given), rank(family), rank(patronymic)],
    );
    (
        key,
        Aligned {
            readings,
            swapped: is_swapped,
            given,
            family,
            patronymic,
        },
    )
}

/// The rule behind one part's level of an aligned pair.
fn describe_part(
    person: &PersonFeature,
    a: usize,
    b: usize,
    al: &Aligned,
    part: NamePart,
) -> Option<String> {
    let level = match part {
        NamePart::Given => al.given,
        NamePart::Family => al.family,
        NamePart::Patronymic => al.patronymic,
    }?;
    let ra = &person.readings[a][al.readings.0];
    let rb = &person.readings[b][al.readings.1];
    let other = |p: NamePart| match (al.swapped, p) {
        (true, NamePart::Given) => NamePart::Family,
        (true, NamePart::Family) => NamePart::Given,
        (_, p) => p,
    };
    let variants = &person.variants;
    // Swapped, each part's level is one of the two cross pairs' (the better one is the family
    // name's), so both are looked at.
    let pairs = if al.swapped && part != NamePart::Patronymic {
        vec![
            (ra.part(part), rb.part(other(part))),
            (ra.part(other(part)), rb.part(part)),
        ]
    } else {
        vec![(ra.part(part), rb.part(part))]
    };
    for (xs, ys) in pairs {
        for &i in xs {
            for &j in ys {
                let (l, why) = listlink_names::forms::compare(
                    &person.forms[i as usize],
                    &person.forms[j as usize],
                    Some(variants),
                    true,
                );
                if l == level {
                    let swapped = if al.swapped && part != NamePart::Patronymic {
                        " (given and family names swapped)"
                    } else {
                        ""
                    };
                    return why.map(|w| format!("{w}{swapped}"));
                }
            }
        }
    }
    None
}

impl Compiled {
    /// The level of this comparison for the pair (a, b); symmetric in a and b.
    pub fn level(&self, f: &Features, a: usize, b: usize) -> u8 {
        self.level_with(f, a, b, None, &mut None)
    }

    /// The level of two codes of the comparison's text field (0: missing), for an exact,
    /// edit-distance or Jaro–Winkler comparison of one field (others panic).
    #[inline(always)]
    fn codes_level(&self, f: &Features, memo: &Memo, x: u32, y: u32) -> u8 {
        match &self.kind {
            Kind::Exact { .. } => exact_level(x, y),
            Kind::JaroWinkler {
                field,
                swap: None,
                thresholds,
            } => {
                let t = f.text(*field);
                if x == 0 || y == 0 {
                    0
                } else if x == y {
                    1
                } else if thresholds.last().is_none_or(|last| {
                    listlink_names::similarity::jaro_winkler_below(t.shape(x), t.shape(y), *last)
                }) {
                    // Below every threshold whatever the keys' order: else.
                    2 + thresholds.len() as u8
                } else {
                    let (lo, hi) = (x.min(y), x.max(y));
                    let compute = || {
                        let sim =
                            listlink_names::similarity::jaro_winkler(t.value(lo), t.value(hi));
                        2 + thresholds.iter().take_while(|th| sim < **th).count() as u8
                    };
                    if few_values(t) {
                        memo.level(f.id, self.index, lo, hi, compute)
                    } else {
                        // Pairs of values rarely repeat: remembering them only evicts others.
                        compute()
                    }
                }
            }
            Kind::Levenshtein { field, thresholds } => {
                let t = f.text(*field);
                let loosest = thresholds.last().copied().unwrap_or(0);
                if x == 0 || y == 0 {
                    0
                } else if x == y {
                    1
                } else if listlink_names::similarity::osa_lower_bound(t.shape(x), t.shape(y))
                    > loosest
                {
                    // More edits apart than the loosest threshold: else.
                    2 + thresholds.len() as u8
                } else {
                    let compute = || {
                        let d = listlink_names::similarity::osa_distance_within(
                            t.value(x),
                            t.value(y),
                            loosest,
                        );
                        2 + thresholds.iter().take_while(|th| d > **th).count() as u8
                    };
                    if few_values(t) {
                        // Few distinct values (postcodes, house numbers): pairs repeat.
                        memo.level(f.id, self.index, x.min(y), x.max(y), compute)
                    } else {
                        compute()
                    }
                }
            }
            _ => unreachable!("codes_level of a comparison not of one text field's codes"),
        }
    }

    /// The level from the pair's packed rows where they answer (equal values, memoised
    /// levels, simple names), else as [`Compiled::level_with`]. Always the same level.
    #[inline(always)]
    pub fn level_packed(
        &self,
        f: &Features,
        a: usize,
        b: usize,
        (ra, rb): (&[u32; Packed::SLOTS], &[u32; Packed::SLOTS]),
        comparator: &Comparator,
        aligned: &mut Option<Option<Aligned>>,
    ) -> u8 {
        match &self.kind {
            Kind::Exact { field }
            | Kind::JaroWinkler {
                field, swap: None, ..
            }
            | Kind::Levenshtein { field, .. } => {
                self.codes_level(f, &comparator.memo, ra[*field], rb[*field])
            }
            Kind::Date { field, .. } => packed_date_level(ra[*field], rb[*field])
                .unwrap_or_else(|| self.level_with(f, a, b, None, aligned)),
            Kind::PersonName { part } => {
                let (Some(slot), Some(person)) =
                    (f.packed.as_ref().and_then(|p| p.person), &f.person)
                else {
                    return 0;
                };
                let (ga, fa, gb, fb) = (ra[slot], ra[slot + 1], rb[slot], rb[slot + 1]);
                let memo = &*comparator.token_memo;
                let al = if ga == Packed::COMPLEX || gb == Packed::COMPLEX {
                    *aligned.get_or_insert_with(|| align_with(person, Some(memo), a, b))
                } else {
                    *aligned.get_or_insert_with(|| {
                        fn part(t: &u32) -> &[u32] {
                            if *t == Packed::NO_TOKEN {
                                &[]
                            } else {
                                std::slice::from_ref(t)
                            }
                        }
                        let side = |g, f| Parts {
                            given: part(g),
                            family: part(f),
                            patronymic: &[],
                        };
                        Some(
                            align_readings(
                                person,
                                Some(memo),
                                side(&ga, &fa),
                                side(&gb, &fb),
                                (0, 0),
                            )
                            .1,
                        )
                    })
                };
                let Some(al) = al else { return 0 };
                let level = match part {
                    NamePart::Given => al.given,
                    NamePart::Family => al.family,
                    NamePart::Patronymic => al.patronymic,
                };
                level.map_or(0, token_level_index)
            }
            _ => self.level_with(f, a, b, Some(&comparator.token_memo), aligned),
        }
    }

    /// The level, sharing one name alignment among the comparisons of a pair.
    pub fn level_with(
        &self,
        f: &Features,
        a: usize,
        b: usize,
        memo: Option<&Memo>,
        aligned: &mut Option<Option<Aligned>>,
    ) -> u8 {
        if let Kind::PersonName { part } = &self.kind {
            let Some(person) = &f.person else { return 0 };
            let al = *aligned.get_or_insert_with(|| align_with(person, memo, a, b));
            let Some(al) = al else { return 0 };
            let level = match part {
                NamePart::Given => al.given,
                NamePart::Family => al.family,
                NamePart::Patronymic => al.patronymic,
            };
            return level.map_or(0, token_level_index);
        }
        match &self.kind {
            Kind::Exact { field } => {
                let t = f.text(*field);
                exact_level(t.codes[a], t.codes[b])
            }
            Kind::JaroWinkler {
                field,
                swap,
                thresholds,
            } => {
                let t = f.text(*field);
                let (x, y) = (t.codes[a], t.codes[b]);
                if x == 0 || y == 0 {
                    return 0;
                }
                if x == y {
                    return 1;
                }
                let mut level = 2;
                if let Some(other) = swap {
                    let o = f.text(*other);
                    let (ka, kb) = (t.key(a), t.key(b));
                    if ka == o.key(b) || kb == o.key(a) {
                        return level;
                    }
                    level += 1;
                }
                let jw_level = || {
                    let sim = jaro_winkler(t.key(a), t.key(b));
                    let mut level = level;
                    for th in thresholds {
                        if sim >= *th {
                            return level;
                        }
                        level += 1;
                    }
                    level
                };
                match memo {
                    Some(memo) => memo.level(f.id, self.index, x.min(y), x.max(y), jw_level),
                    None => jw_level(),
                }
            }
            Kind::Levenshtein { field, thresholds } => {
                let t = f.text(*field);
                let (x, y) = (t.codes[a], t.codes[b]);
                if x == 0 || y == 0 {
                    return 0;
                }
                if x == y {
                    return 1;
                }
                let max = thresholds.last().copied().unwrap_or(0);
                let d = listlink_names::similarity::osa_distance_within(
                    t.key(a).as_bytes(),
                    t.key(b).as_bytes(),
                    max,
                );
                let mut level = 2;
                for th in thresholds {
                    if d <= *th {
                        return level;
                    }
                    level += 1;
                }
                level
            }
            Kind::Date { field, age } => {
                let FieldFeature::Date(d) = &f.fields[*field] else {
                    unreachable!("date field")
                };
                match (d.dates[a], d.dates[b]) {
                    (Some(x), Some(y)) => date_level(x, y),
                    (x, y) => {
                        let Some(age) = age else { return 0 };
                        let FieldFeature::Age(ages) = &f.fields[*age] else {
                            unreachable!("age field")
                        };
                        let age_a = x
                            .filter(|d| d.year > 0)
                            .and_then(|d| Some(d.age_at(f.as_of?)))
                            .or(ages.ages[a].map(i32::from));
                        let age_b = y
                            .filter(|d| d.year > 0)
                            .and_then(|d| Some(d.age_at(f.as_of?)))
                            .or(ages.ages[b].map(i32::from));
                        match (age_a, age_b) {
                            (Some(p), Some(q)) => age_level(p, q),
                            _ => 0,
                        }
                    }
                }
            }
            Kind::Age { field } => {
                let FieldFeature::Age(ages) = &f.fields[*field] else {
                    unreachable!("age field")
                };
                match (ages.ages[a], ages.ages[b]) {
                    (Some(p), Some(q)) => age_level(p as i32, q as i32),
                    _ => 0,
                }
            }
            Kind::PersonName { .. } => unreachable!("handled above"),
            Kind::SetOverlap { field } => {
                let FieldFeature::Set(s) = &f.fields[*field] else {
                    unreachable!("set field")
                };
                let (x, y) = (s.get(a), s.get(b));
                if x.is_empty() || y.is_empty() {
                    0
                } else if x == y {
                    1
                } else if x.iter().any(|v| y.binary_search(v).is_ok()) {
                    2
                } else {
                    3
                }
            }
        }
    }
}

/// Whether a field has so few distinct values that pairs of them repeat often enough to be worth
/// remembering (their pairs fit the memo). Comparing two value lines costs about what a memo miss
/// does, so a field with more values is compared directly.
#[inline]
fn few_values(t: &crate::prepare::TextFeature) -> bool {
    t.lines.len() <= FEW_VALUES
}

/// At most this many distinct values make a field [`few_values`]: their pairs fill a memo.
const FEW_VALUES: usize = 1 << (MEMO_BITS / 2 + 1);

fn age_level(p: i32, q: i32) -> u8 {
    match (p - q).abs() {
        0 => DATE_SAME_AGE,
        1 => DATE_AGE,
        2..=5 => DATE_5Y,
        6..=10 => DATE_10Y,
        _ => DATE_ELSE,
    }
}

/// The level of an exact comparison of two value codes (0: missing): null, exact or else.
#[inline(always)]
fn exact_level(x: u32, y: u32) -> u8 {
    if x == 0 || y == 0 {
        0
    } else if x == y {
        1
    } else {
        2
    }
}

/// The level of two dates of birth from their packed words ([`crate::prepare::pack_date`]),
/// `None` unless both are packed dates.
#[inline]
fn packed_date_level(x: u32, y: u32) -> Option<u8> {
    // Equal full dates (day and month known) agree exactly; other packed dates compare as read
    // from the word.
    if x != 0 && x == y && (x >> 4) & 0x1F != 0 && (x >> 9) & 0xF != 0 {
        Some(DATE_EXACT)
    } else if x != 0 && y != 0 {
        Some(far_dates_level(x, y).unwrap_or_else(|| date_level(unpack_date(x), unpack_date(y))))
    } else {
        None
    }
}

/// The level of two packed dates that differ in year (by two or more), month and day, read
/// without unpacking them: within five years, within ten, or else. `None` for any other pair, and for
/// ambiguous dates (which have two readings) and years past four digits. Most pairs of birth
/// dates are such pairs; [`date_level`] gives the same level for them.
#[inline]
fn far_dates_level(x: u32, y: u32) -> Option<u8> {
    let (year_x, year_y) = (x >> 14, y >> 14);
    let part_differs = |shift: u32| (x >> shift) & 0x1F != (y >> shift) & 0x1F;
    let far = (x | y) & 2 == 0
        && year_x < 10_000
        && year_y < 10_000
        && year_x.abs_diff(year_y) >= 2
        && part_differs(9)
        && part_differs(4);
    far.then(|| {
        let apart = year_x.abs_diff(year_y);
        if year_x == 0 || year_y == 0 {
            DATE_ELSE
        } else if apart <= 5 {
            DATE_5Y
        } else if apart <= 10 {
            DATE_10Y
        } else {
            DATE_ELSE
        }
    })
}

/// Level of two dates of birth as written (either may be partial or impossible).
fn date_level(x: Date, y: Date) -> u8 {
    // An ambiguous date (03/04/1987) agrees as well as its better reading does.
    let mut best = DATE_ELSE;
    for a in x.readings() {
        for b in y.readings() {
            best = best.min(reading_level(a, b));
        }
    }
    best
}

fn reading_level(x: Date, y: Date) -> u8 {
    if (x.year, x.month, x.day) == (y.year, y.month, y.day) {
        return if x.month == 0 || x.day == 0 {
            DATE_1Y
        } else {
            DATE_EXACT
        };
    }
    let full = |d: Date| d.month != 0 && d.day != 0;
    // Year, month and day all different (each written in its own digits) are three digits
    // apart at least: not one edit. Most pairs of dates are.
    let own_digits = |d: Date| d.year < 10_000 && d.month < 100 && d.day < 100;
    let far =
        x.year != y.year && x.month != y.month && x.day != y.day && own_digits(x) && own_digits(y);
    if full(x) && full(y) {
        if x.year == y.year && x.month == y.day && x.day == y.month {
            return DATE_TRANSPOSED;
        }
        if !far && digits_one_edit(x.digits(), y.digits()) {
            return DATE_ONE_DIGIT;
        }
        if x.year == y.year && x.month == y.month {
            return DATE_YEAR_MONTH;
        }
        // Within 366 days only in the same or the next year.
        if x.year.abs_diff(y.year) <= 1
            && x.is_valid()
            && y.is_valid()
            && (x.day_number() - y.day_number()).abs() <= 366
        {
            return DATE_1Y;
        }
    }
    let years = (x.year as i32 - y.year as i32).abs();
    if x.year == 0 || y.year == 0 {
        DATE_ELSE
    } else if years == 0 && !(full(x) && full(y)) {
        DATE_1Y
    } else if years <= 5 {
        DATE_5Y
    } else if years <= 10 {
        DATE_10Y
    } else {
        DATE_ELSE
    }
}

/// Whether two 8-digit dates differ by one substituted digit or one swap of adjacent digits.
/// Digits are compared as nibbles of their decimal forms, without a list of differences: this
/// runs for most candidate pairs.
#[inline]
fn digits_one_edit(a: u32, b: u32) -> bool {
    let (x, y) = (decimal_nibbles(a), decimal_nibbles(b));
    let d = x ^ y;
    // One bit per differing digit, at the digit's lowest bit.
    let differing = (d | d >> 1 | d >> 2 | d >> 3) & 0x1111_1111;
    match differing.count_ones() {
        1 => true,
        2 => {
            let (i, j) = (differing.trailing_zeros(), 31 - differing.leading_zeros());
            let digit = |v: u32, at: u32| (v >> at) & 0xF;
            j == i + 4 && digit(x, i) == digit(y, j) && digit(x, j) == digit(y, i)
        }
        _ => false,
    }
}

/// The last eight decimal digits of `v`, one per nibble (the last digit in the lowest): two
/// halves of four digits, each split in two, so that the divisions do not wait on each other.
#[inline]
fn decimal_nibbles(v: u32) -> u32 {
    let four = |n: u32| {
        let (q, r) = (n / 100, n % 100);
        ((q / 10) << 12) | ((q % 10) << 8) | ((r / 10) << 4) | (r % 10)
    };
    let v = v % 100_000_000;
    four(v / 10_000) << 16 | four(v % 10_000)
}

/// Jaro–Winkler similarity of two ASCII keys (prefix weight 0.1, as is standard).
#[inline]
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    listlink_names::similarity::jaro_winkler(a.as_bytes(), b.as_bytes())
}

/// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a substring).
#[inline]
pub fn osa_distance(a: &str, b: &str) -> usize {
    listlink_names::similarity::osa_distance(a.as_bytes(), b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::{LinkType, prepare};
    use crate::settings::infer;
    use crate::table::{RecordTable, StrColumn};
    use proptest::prelude::*;

    fn table(headers: &[&str], rows: &[&[&str]]) -> RecordTable {
        let mut t = RecordTable {
            path: "t.csv".into(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        t.columns = vec![StrColumn::default(); headers.len()];
        for (i, r) in rows.iter().enumerate() {
            t.sources.push("t");
            t.ids.push(&i.to_string());
            t.lines.push(i as u64 + 2);
            for (c, v) in r.iter().enumerate() {
                t.columns[c].push(v);
            }
        }
        t
    }

    fn levels(headers: &[&str], rows: &[&[&str]]) -> (Comparator, Features) {
        let t = table(headers, rows);
        let (mut s, _) = infer(&[&t.headers]).unwrap();
        s.as_of = Some("2026-01-01".into());
        let f = prepare(std::slice::from_ref(&t), &[0], &s, LinkType::Dedupe);
        (Comparator::new(&s), f)
    }

    fn label(c: &Comparator, f: &Features, name: &str, a: usize, b: usize) -> String {
        let comp = c.comparisons.iter().find(|x| x.name == name).unwrap();
        comp.labels[comp.level(f, a, b) as usize].clone()
    }

    #[test]
    fn name_levels() {
        let (c, f) = levels(
            &["given_name", "surname"],
            &[
                &["John", "Smith"],
                &["JOHN", "Smyth"],
                &["Smith", "John"],
                &["", "Smith"],
                &["Peter", "Jones"],
            ],
        );
        assert_eq!(label(&c, &f, "given_name", 0, 1), "exact");
        assert_eq!(
            label(&c, &f, "family_name", 0, 1),
            "same consonant skeleton"
        );
        // Swapped names align: both parts agree, and the explanation says so.
        assert_eq!(label(&c, &f, "given_name", 0, 2), "exact");
        assert_eq!(label(&c, &f, "family_name", 0, 2), "exact");
        let why = c.describe(&f, 0, 2);
        assert!(why[0].as_deref().unwrap().contains("swapped"), "{why:?}");
        assert_eq!(label(&c, &f, "given_name", 0, 3), "null");
        assert_eq!(label(&c, &f, "given_name", 0, 4), "else");
    }

    /// Swapped names are explained whichever cross pair gave each part its level.
    #[test]
    fn swapped_levels_are_explained() {
        let (c, f) = levels(
            &["given_name", "surname"],
            &[&["Smith", "Jon"], &["John", "Smyth"]],
        );
        let why = c.describe(&f, 0, 1);
        for (i, comp) in c.comparisons.iter().enumerate() {
            if comp.name == "given_name" || comp.name == "family_name" {
                let w = why[i]
                    .as_deref()
                    .unwrap_or_else(|| panic!("{} unexplained", comp.name));
                assert!(w.contains("swapped"), "{w}");
            }
        }
    }

    /// A one-part name sharing a token with a two-part name agrees on one part, never on both:
    /// swapped or straight, one token explains one part.
    #[test]
    fn one_token_never_stands_for_both_parts() {
        let (c, f) = levels(
            &["given_name", "surname"],
            &[&["Yosef", "Rom"], &["", "Yosef"], &["Yosef", ""]],
        );
        for b in [1, 2] {
            let given = label(&c, &f, "given_name", 0, b);
            let family = label(&c, &f, "family_name", 0, b);
            assert!(
                [&given, &family].iter().filter(|l| **l == "null").count() == 1,
                "row {b}: given {given}, family {family}"
            );
        }
    }

    #[test]
    fn date_levels() {
        let (c, f) = levels(
            &["surname", "date_of_birth", "age"],
            &[
                &["a", "1987-03-14", ""],
                &["a", "1987-03-14", ""],
                &["a", "1987-14-03", ""],
                &["a", "1987-03-15", ""],
                &["a", "1987-03-25", ""],
                &["a", "", "38"],
                &["a", "1986-11-30", ""],
                &["a", "1990-01-01", ""],
                &["a", "1950-01-01", ""],
                &["a", "", ""],
                &["a", "1979-01-01", ""],
                &["a", "1977-01-01", ""],
                &["a", "", "46"],
            ],
        );
        let l = |b| label(&c, &f, "date_of_birth", 0, b);
        assert_eq!(l(1), "exact");
        assert_eq!(l(2), "day and month transposed");
        assert_eq!(l(3), "one digit off");
        assert_eq!(l(4), "same year and month");
        assert_eq!(l(5), "same age"); // 38 on 2026-01-01
        assert_eq!(l(6), "within 1 year");
        assert_eq!(l(7), "within 5 years");
        assert_eq!(l(8), "else");
        assert_eq!(l(9), "null");
        // Eight years apart, then ten (and an age eight years off): within ten years. Eleven
        // apart or more (1950, above): else.
        assert_eq!(l(10), "within 10 years");
        assert_eq!(l(11), "within 10 years");
        assert_eq!(l(12), "within 10 years");
    }

    #[test]
    fn identifier_and_set_levels() {
        let (c, f) = levels(
            &["surname", "soc_sec_id", "citizenship"],
            &[
                &["a", "1234567", "ru;il"],
                &["a", "1234576", "il;ru"],
                &["a", "1299999", "il"],
                &["a", "7654321", "us"],
            ],
        );
        assert_eq!(
            label(&c, &f, "national_id", 0, 1),
            "Damerau-Levenshtein ≤ 1"
        );
        assert_eq!(label(&c, &f, "national_id", 0, 3), "else");
        assert_eq!(label(&c, &f, "citizenship", 0, 1), "same set");
        assert_eq!(label(&c, &f, "citizenship", 0, 2), "overlap");
        assert_eq!(label(&c, &f, "citizenship", 0, 3), "disjoint");
    }

    #[test]
    fn a_maiden_name_is_one_more_reading() {
        let (c, f) = levels(
            &["given_name", "surname", "maiden_name", "dob"],
            &[
                &["Anna", "Petrova", "Ivanova", "1980-01-01"],
                &["Anna", "Ivanova", "", "1980-01-01"],
                &["Anna", "Sidorova", "", "1980-01-01"],
            ],
        );
        assert_eq!(label(&c, &f, "family_name", 0, 1), "exact");
        assert_eq!(label(&c, &f, "family_name", 1, 0), "exact");
        assert_eq!(label(&c, &f, "family_name", 0, 2), "else");
    }

    #[test]
    fn an_ambiguous_date_agrees_with_either_reading() {
        let (c, f) = levels(
            &["surname", "date_of_birth"],
            &[
                &["a", "03/04/1987"],
                &["a", "1987-04-03"],
                &["a", "1987-03-04"],
                &["a", "1987-05-03"],
            ],
        );
        let l = |b| label(&c, &f, "date_of_birth", 0, b);
        assert_eq!(l(1), "exact");
        assert_eq!(l(2), "exact");
        assert_ne!(l(3), "exact");
    }

    /// Digit by digit, as written down: the reference for [`digits_one_edit`].
    fn digits_one_edit_reference(a: u32, b: u32) -> bool {
        let da: [u32; 8] = std::array::from_fn(|i| a / 10u32.pow(7 - i as u32) % 10);
        let db: [u32; 8] = std::array::from_fn(|i| b / 10u32.pow(7 - i as u32) % 10);
        let diffs: Vec<usize> = (0..8).filter(|&i| da[i] != db[i]).collect();
        match diffs.as_slice() {
            [_] => true,
            [i, j] => *j == i + 1 && da[*i] == db[*j] && da[*j] == db[*i],
            _ => false,
        }
    }

    /// [`align`] comparing all four pairs of parts whenever the straight order is not exact on
    /// both: the reference for the pruned alignment.
    fn align_every_cross_pair(person: &PersonFeature, a: usize, b: usize) -> Option<Aligned> {
        let mut best: Option<(AlignKey, Aligned)> = None;
        for (i, ra) in person.readings[a].iter().enumerate() {
            for (j, rb) in person.readings[b].iter().enumerate() {
                let (ra, rb) = (Parts::of(ra), Parts::of(rb));
                let level = |x: &[u32], y: &[u32]| best_level(person, None, x, y);
                let straight = (level(ra.given, rb.given), level(ra.family, rb.family));
                let exact = Some(TokenLevel::Exact);
                let cross = if straight == (exact, exact) {
                    (None, None)
                } else {
                    (level(ra.given, rb.family), level(ra.family, rb.given))
                };
                let patronymic = level(ra.patronymic, rb.patronymic);
                let candidate = choose_alignment(straight, cross, patronymic, (i, j));
                if best.as_ref().is_none_or(|(k, _)| candidate.0 < *k) {
                    best = Some(candidate);
                }
            }
        }
        best.map(|(_, a)| a)
    }

    #[test]
    fn one_digit_edits() {
        assert!(digits_one_edit(19870314, 19870315));
        assert!(digits_one_edit(19870314, 19870341));
        assert!(!digits_one_edit(19870314, 19870325));
    }

    /// The obvious, slow Jaro–Winkler, to check the fast one against.
    fn jaro_winkler_reference(a: &[u8], b: &[u8]) -> f64 {
        if a.is_empty() && b.is_empty() {
            return 1.0;
        }
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let window = (a.len().max(b.len()) / 2).saturating_sub(1);
        let mut a_match = vec![false; a.len()];
        let mut b_match = vec![false; b.len()];
        let mut m = 0usize;
        for i in 0..a.len() {
            let lo = i.saturating_sub(window);
            let hi = (i + window + 1).min(b.len());
            for j in lo..hi {
                if !b_match[j] && a[i] == b[j] {
                    a_match[i] = true;
                    b_match[j] = true;
                    m += 1;
                    break;
                }
            }
        }
        if m == 0 {
            return 0.0;
        }
        let am: Vec<u8> = a
            .iter()
            .zip(&a_match)
            .filter(|(_, m)| **m)
            .map(|(c, _)| *c)
            .collect();
        let bm: Vec<u8> = b
            .iter()
            .zip(&b_match)
            .filter(|(_, m)| **m)
            .map(|(c, _)| *c)
            .collect();
        // half the out-of-order matches, rounded down (as jellyfish and rapidfuzz count them)
        let t = (am.iter().zip(&bm).filter(|(x, y)| x != y).count() / 2) as f64;
        let m = m as f64;
        let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0;
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
        if jaro > 0.7 {
            jaro + prefix * 0.1 * (1.0 - jaro)
        } else {
            jaro
        }
    }

    proptest! {
        /// The shortcut for far-apart packed dates gives the level of comparing them in full.
        #[test]
        fn far_dates_level_equals_date_level(
            x in (prop_oneof![1985u16..1993, 0u16..10_050], 0u8..13, 0u8..32, any::<bool>()),
            y in (prop_oneof![1985u16..1993, 0u16..10_050], 0u8..13, 0u8..32, any::<bool>()),
        ) {
            let date = |(year, month, day, ambiguous)| crate::prepare::Date { year, month, day, ambiguous };
            let (x, y) = (date(x), date(y));
            let (px, py) = (crate::prepare::pack_date(x), crate::prepare::pack_date(y));
            if let Some(level) = far_dates_level(px, py) {
                prop_assert_eq!(level, date_level(x, y), "{:?} {:?}", x, y);
            }
        }

        /// What lets the date comparison skip the digit check: dates whose year, month and day
        /// all differ are never one edit apart.
        #[test]
        fn dates_differing_in_every_part_are_not_one_edit_apart(
            x in (0u16..10_000, 0u8..100, 0u8..100),
            y in (0u16..10_000, 0u8..100, 0u8..100),
        ) {
            prop_assume!(x.0 != y.0 && x.1 != y.1 && x.2 != y.2);
            let digits = |(year, month, day): (u16, u8, u8)| {
                u32::from(year) * 10_000 + u32::from(month) * 100 + u32::from(day)
            };
            prop_assert!(!digits_one_edit_reference(digits(x), digits(y)));
        }

        /// Random dates, and dates one substitution, one swap or one of each away.
        #[test]
        fn digits_one_edit_agrees_with_reference(
            a in 0u32..100_000_000,
            other in 0u32..100_000_000,
            at in 0u32..8,
            swap_at in 0u32..7,
            digit in 0u32..10,
        ) {
            let power = |i: u32| 10u32.pow(i);
            let get = |v: u32, i: u32| v / power(i) % 10;
            let set = |v: u32, i: u32, d: u32| v - get(v, i) * power(i) + d * power(i);
            let substituted = set(a, at, digit);
            let swapped = set(set(a, swap_at, get(a, swap_at + 1)), swap_at + 1, get(a, swap_at));
            let both = set(swapped, at, digit);
            for b in [other, substituted, swapped, both, a] {
                prop_assert_eq!(digits_one_edit(a, b), digits_one_edit_reference(a, b), "{} {}", a, b);
            }
        }
    }

    proptest! {
        #[test]
        fn jaro_winkler_agrees_with_reference(a in "[a-e ]{0,12}", b in "[a-e ]{0,12}") {
            let fast = jaro_winkler(&a, &b);
            let slow = jaro_winkler_reference(a.as_bytes(), b.as_bytes());
            prop_assert!((fast - slow).abs() < 1e-9, "{} vs {} for {:?} {:?}", fast, slow, a, b);
        }

        #[test]
        fn comparisons_are_symmetric_and_bounded(
            rows in proptest::collection::vec(
                ("[A-Za-zА-я]{0,6}", "[A-Za-z]{0,6}", "(19[0-9]{2}-[01][0-9]-[0-3][0-9])?", "([0-9]{1,2})?", "[0-9]{0,4}", "(ru|il|us)?(;(ru|il))?"),
                2..8)
        ) {
            let owned: Vec<Vec<String>> = rows.iter().map(|r| vec![r.0.clone(), r.1.clone(), r.2.clone(), r.3.clone(), r.4.clone(), r.5.clone()]).collect();
            let refs: Vec<Vec<&str>> = owned.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let rows: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
            let (c, f) = levels(&["given_name", "surname", "dob", "age", "postcode", "citizenship"], &rows);
            for a in 0..rows.len() {
                for b in 0..rows.len() {
                    for comp in &c.comparisons {
                        let l = comp.level(&f, a, b);
                        prop_assert_eq!(l, comp.level(&f, b, a), "{} not symmetric", comp.name);
                        prop_assert!((l as usize) < comp.labels.len());
                    }
                }
            }
        }

        /// Aligning names compares the second cross pair of parts only when a swap could still
        /// win: the alignment is the one of comparing all four, names swapped or not.
        #[test]
        fn alignment_equals_comparing_every_cross_pair(
            rows in proptest::collection::vec(
                ("(ann|anna|annie|ben|benn|dan|dana)( (ann|ben|dan))?", "(ann|anna|annie|ben|benn|dan|dana)", "(ann|anna|ben)?"),
                2..10)
        ) {
            let owned: Vec<Vec<String>> = rows.iter().map(|r| vec![r.0.clone(), r.1.clone(), r.2.clone()]).collect();
            let refs: Vec<Vec<&str>> = owned.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let rows: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
            let (_, f) = levels(&["given_name", "surname", "maiden_name"], &rows);
            let person = f.person.as_ref().unwrap();
            for a in 0..rows.len() {
                for b in 0..rows.len() {
                    prop_assert_eq!(align(person, a, b), align_every_cross_pair(person, a, b));
                }
            }
        }

        /// A few-valued field's table holds the level comparing the two rows' values gives.
        #[test]
        fn level_tables_equal_direct_levels(
            rows in proptest::collection::vec(("[0-9]{0,2}", "[a-c]{0,3}"), 2..12)
        ) {
            let owned: Vec<Vec<String>> = rows.iter().map(|r| vec![r.0.clone(), r.1.clone()]).collect();
            let refs: Vec<Vec<&str>> = owned.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let rows: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
            let (c, f) = levels(&["postcode", "street"], &rows);
            let tables = c.level_tables(&f);
            // Both fields have at most 12 values: each gets its table.
            prop_assert_eq!(tables.iter().filter(|t| t.is_some()).count(), 2);
            let packed = f.packed.as_ref().expect("packed rows");
            for (comp, table) in c.comparisons.iter().zip(&tables) {
                let table = table.as_ref().expect("a table");
                for a in 0..rows.len() {
                    for b in 0..rows.len() {
                        prop_assert_eq!(
                            table.level((packed.row(a), packed.row(b))),
                            comp.level(&f, a, b),
                            "{} of rows {} and {}", comp.name, a, b
                        );
                    }
                }
            }
        }

        /// The hot loop's path (packed rows, memos, simple names) gives the same levels as
        /// comparing the features directly, whatever order the pairs come in.
        #[test]
        fn packed_pattern_equals_direct_levels(
            rows in proptest::collection::vec(
                ("[A-Za-z]{0,5}( [A-Za-z]{1,4})?", "[A-Za-zА-я]{0,6}", "(19[0-9]{2}-[01][0-9]-[0-3][0-9]|[0-3][0-9]/[01][0-9]/19[0-9]{2})?", "[0-9]{0,4}", "[a-c]{0,3}"),
                2..10)
        ) {
            let owned: Vec<Vec<String>> = rows.iter().map(|r| vec![r.0.clone(), r.1.clone(), r.2.clone(), r.3.clone(), r.4.clone()]).collect();
            let refs: Vec<Vec<&str>> = owned.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let rows: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
            let (c, f) = levels(&["given_name", "surname", "dob", "postcode", "street"], &rows);
            prop_assert!(f.packed.is_some());
            // Twice over, so that the second round reads the memos the first filled.
            for _ in 0..2 {
                for a in 0..rows.len() {
                    for b in 0..rows.len() {
                        let direct = c.comparisons.iter().enumerate().fold(0u64, |p, (i, comp)| {
                            p | (comp.level(&f, a, b) as u64) << (4 * i)
                        });
                        prop_assert_eq!(c.pattern(&f, a, b), direct, "rows {} and {}", a, b);
                    }
                }
            }
        }

        /// What the screen shows of a pair's levels is true of the levels comparing gives:
        /// the level itself, a level at or past the one shown (never null or exact), or not
        /// exact.
        #[test]
        fn screen_glimpses_agree_with_levels(
            rows in proptest::collection::vec(
                ("[ab]{0,3}( [ab]{1,2})?", "[abА]{0,3}", "(19[0-9]{2}-0[1-2]-1[0-2]|1[0-2]/0[1-2]/19[0-9]{2})?", "[0-2]{0,4}", "[a-c ]{0,8}"),
                2..10)
        ) {
            let mut owned: Vec<Vec<String>> = rows.iter().map(|r| vec![r.0.clone(), r.1.clone(), r.2.clone(), r.3.clone(), r.4.clone()]).collect();
            let generated = owned.len();
            // Past LevelTable::MAX_CODES values, so that postcodes and streets are bounded from
            // their shapes rather than read from a table.
            for i in 0..LevelTable::MAX_CODES {
                owned.push(vec!["zz".into(), "zz".into(), String::new(), format!("9{i:03}"), format!("q{i} st")]);
            }
            let refs: Vec<Vec<&str>> = owned.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let rows: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
            let (c, f) = levels(&["given_name", "surname", "dob", "postcode", "street"], &rows);
            let packed = f.packed.as_ref().unwrap();
            let screen = c.screen(&f);
            prop_assert!(screen.tables.is_empty());
            let mut seen = 0;
            for a in 0..generated {
                for b in 0..rows.len() {
                    let pattern = c.pattern(&f, a, b);
                    let mut failed = None;
                    screen.look((a, b), (packed.row(a), packed.row(b)), |i, glimpse| {
                        seen += 1;
                        let level = level_of(pattern, i);
                        let holds = match glimpse {
                            Glimpse::Level(l) => l == level,
                            Glimpse::AtLeast(l) => level >= l && l >= 2,
                            Glimpse::NotExact => level != 1,
                        };
                        if !holds {
                            failed = Some((i, glimpse, level));
                        }
                    });
                    prop_assert!(failed.is_none(), "rows {} and {}: {:?}", a, b, failed);
                }
            }
            // Every pair shows the postcode and the street at least.
            prop_assert!(seen >= 2 * generated * rows.len());
            // Patterns taken from the screen first are the patterns.
            let pairs: Vec<(u32, u32)> = (0..generated as u32)
                .flat_map(|a| (0..rows.len() as u32).map(move |b| (a, b)))
                .collect();
            let mut screened = Vec::new();
            c.patterns_screened(&f, &screen, &pairs, &mut screened);
            for (&(a, b), &p) in pairs.iter().zip(&screened) {
                prop_assert_eq!(p, c.pattern(&f, a as usize, b as usize), "rows {} and {}", a, b);
            }
        }
    }
}
