//! The comparison library: for a pair of records, each comparison yields a level (`u8`). Level 0
//! is always "null" (a value missing on either side: neutral evidence); level 1 is the strongest
//! agreement and the last level is "else".

mod dates;
mod levels;
mod memo;
mod names;
pub(crate) use names::closeness;
#[cfg(test)]
mod tests;

use dates::DATE_LABELS;
pub(crate) use dates::{DATE_5Y, DATE_10Y, DATE_ELSE, DATE_EXACT, packed_date_level};
pub use levels::Compiled;
pub(crate) use levels::Kind;
pub(crate) use levels::{exact_level, few_values};
pub(crate) use memo::Memo;
use names::describe_part;
pub(crate) use names::token_level_index;
pub use names::{PairAlignment, align};

use names::PERSON_LABELS;

use crate::prepare::{Features, FieldFeature, prefetch};
use crate::settings::{FieldKind, Method, NamePart, Settings};
pub use crate::settings::{MAX_COMPARISONS, MAX_LEVELS};
use std::sync::Arc;

/// A pattern: the levels of all comparisons of one pair, 4 bits each, comparison 0 lowest.
pub type Pattern = u64;

/// Level of comparison `c` in a pattern.
#[inline]
pub fn level_of(pattern: Pattern, c: usize) -> u8 {
    ((pattern >> (4 * c)) & 0xF) as u8
}

/// All comparisons of a run, in settings order.
#[derive(Debug, Clone)]
pub struct Comparator {
    pub comparisons: Vec<Compiled>,
    /// Levels of value pairs already computed, shared by clones (threads) of this comparator.
    pub(crate) memo: Arc<Memo>,
    /// Levels of name-token pairs already computed.
    pub(crate) token_memo: Arc<Memo>,
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
                    Method::NameOrder => (
                        Kind::NameOrder,
                        vec![
                            "null".into(),
                            "same order".into(),
                            "given and family names swapped".into(),
                        ],
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
        aligned: &mut PairAlignment,
    ) -> u8 {
        let comparison = &self.comparisons[c];
        match &f.packed {
            Some(p) => comparison.level_packed(f, a, b, (p.row(a), p.row(b)), self, aligned),
            None => comparison.level_with(f, a, b, Some(&self.token_memo), aligned),
        }
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
            Kind::PersonName { .. } | Kind::NameOrder => 3,
        }
    }

    /// The pattern of the pair (a, b).
    #[inline]
    pub fn pattern(&self, f: &Features, a: usize, b: usize) -> Pattern {
        let rows = f.packed.as_ref().map(|p| (p.row(a), p.row(b)));
        let mut p = 0u64;
        let mut aligned = PairAlignment::NotYet;
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

/// How many pairs ahead [`Comparator::prefetch_ahead`] fetches packed rows.
pub(crate) const PREFETCH_AHEAD: usize = 8;
