//! Scoring: a pair's match weight is the log2 Bayes factor, a sum of parts — the prior, one part
//! per comparison level, and a term-frequency adjustment for exact agreement on a rare or common
//! value — and its probability follows from the weight.

use crate::compare::{Comparator, MAX_COMPARISONS, MAX_LEVELS, Pattern, level_of};
use crate::model::Model;
use crate::prepare::{Features, FieldFeature, Packed};
use crate::settings::NamePart;
use crate::table::RowId;
use rayon::prelude::*;

/// Weight ↔ probability.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// Probability → weight.
pub fn weight_of(probability: f64) -> f64 {
    let p = probability.clamp(1e-300, 1.0 - 1e-16);
    (p / (1.0 - p)).log2()
}

/// A candidate pair that scored at least `thresholds.pairs_min_probability`. `a` is the left
/// record (for find, the query record), `b` the right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: RowId,
    pub b: RowId,
    pub pattern: Pattern,
    pub weight: f64,
}

impl ScoredPair {
    pub fn probability(&self) -> f64 {
        probability(self.weight)
    }
}

/// A model made ready for the hot loop: weights per level in flat arrays.
#[derive(Debug, Clone)]
pub struct Scorer {
    /// log2(λ / (1 − λ)).
    pub prior_weight: f64,
    /// log2(m/u) per comparison and level.
    pub level_weights: Vec<Vec<f64>>,
    /// Per comparison, its term-frequency adjustment when one applies.
    tf: Vec<Option<Tf>>,
    /// With a related class: log2(λ₂/λ₃) and log2(r/u) per comparison and level.
    related: Option<(f64, Vec<Vec<f64>>)>,
    /// Per comparison: the most its part can add to a weight (any level, any value).
    max_part: Vec<f64>,
    /// Per comparison: its largest level weight, without adjustment.
    plain_max: Vec<f64>,
    /// Per comparison and level ([`MAX_LEVELS`] a comparison): log2 of the level's u where the
    /// term-frequency adjustment applies to it.
    tf_log_u: Vec<[Option<f64>; MAX_LEVELS]>,
    /// Per comparison, the largest part at a level but 1 (exact), as [`NonExact`].
    non_exact: Vec<NonExact>,
    /// Per comparison and level l ≥ 2, the largest part at level l or past it, as [`NonExact`].
    from: Vec<[NonExact; MAX_LEVELS]>,
}

/// A comparison's largest part at any level but 1 (exact), in the pieces a row's value share
/// completes: the largest weight where no adjustment applies, the largest weight plus log2 u
/// where one does (less the share's log2, it is that level's part), and the largest weight of all.
#[derive(Debug, Clone, Copy)]
struct NonExact {
    plain: f64,
    adjusted: f64,
    any: f64,
}

impl NonExact {
    /// Of no level.
    const NONE: NonExact = NonExact {
        plain: f64::NEG_INFINITY,
        adjusted: f64::NEG_INFINITY,
        any: f64::NEG_INFINITY,
    };

    /// These levels and one more, of weight `w` and, where an adjustment applies, log2 u.
    fn with(mut self, w: f64, log_u: Option<f64>) -> NonExact {
        self.any = self.any.max(w);
        match log_u {
            Some(log_u) => self.adjusted = self.adjusted.max(w + log_u),
            None => self.plain = self.plain.max(w),
        }
        self
    }

    /// The largest of these parts for a row whose value has this log2 share, where an
    /// adjustment applies (`None`: no adjustment for the row, every level at its plain weight).
    #[inline]
    fn best(&self, log_share: Option<f64>) -> f64 {
        match log_share {
            Some(log_share) => self.plain.max(self.adjusted - log_share),
            None => self.any,
        }
    }
}

/// Row a's side of the bound on pairs (a, ·) that [`Scorer::drop`] lowers as levels become
/// known: per comparison, the largest part a's values allow and, where a term-frequency
/// adjustment applies, log2 of a's value's share (0 for a value past the shares). Computed once
/// per row a, rather than once per pair and comparison.
#[derive(Debug, Clone)]
pub struct RowBound {
    /// [`Scorer::row_ceiling`].
    pub ceiling: f64,
    top: [f64; MAX_COMPARISONS],
    log_share: [Option<f64>; MAX_COMPARISONS],
    /// [`Scorer::unequal_drop`] per comparison.
    unequal: [f64; MAX_COMPARISONS],
}

/// A comparison's term-frequency adjustment, log2(u of the level / the value's share), with
/// both logarithms computed once.
#[derive(Debug, Clone)]
struct Tf {
    source: TfSource,
    /// log2 of u for each level the adjustment applies to.
    log_u: Vec<(u8, f64)>,
    /// Per value (name token), by code (token id): its share and the most the part can be.
    values: Vec<ValueTf>,
    /// The most the part can be for a value past `values` (no share known: no adjustment).
    unknown_max: f64,
}

/// One value's side of a term-frequency adjustment: what weighing a pair and bounding a row
/// read, side by side.
#[derive(Debug, Clone, Copy)]
struct ValueTf {
    /// log2 of the value's share, floored at one record's worth.
    log_share: f64,
    /// The most the comparison's part can be for a row with this value (any level).
    max: f64,
}

/// Where a comparison's value shares come from.
#[derive(Debug, Clone, Copy)]
enum TfSource {
    Text(usize),
    Person(NamePart),
}

/// One comparison's part of a pair's weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub level: u8,
    /// log2(m/u) of the level.
    pub weight: f64,
    /// Term-frequency adjustment added to `weight` (0 when none applies).
    pub tf_adjustment: f64,
}

/// What a row's packed line tells of the value term frequencies are looked up by.
enum FromLine {
    /// The value (none: missing).
    Told(Option<u32>),
    /// The line cannot tell (a complex name): read the readings.
    CannotTell,
}

impl Scorer {
    pub fn new(model: &Model, comparator: &Comparator, f: &Features) -> Scorer {
        let related = model.related_log_ratios();
        // The prior odds against random non-matches only: log2(λ₁/λ₃).
        let prior_weight = match model.related_prior {
            Some(r) => (model.prior / (1.0 - model.prior - r)).log2(),
            None => weight_of(model.prior),
        };
        let level_weights = model.level_weights();
        let tf = Self::term_frequencies(model, comparator, f, &level_weights);
        let max_part = Self::max_parts(&level_weights, &tf);
        let plain_max = level_weights
            .iter()
            .map(|w| w.iter().copied().fold(f64::NEG_INFINITY, f64::max))
            .collect();
        let tf_log_u: Vec<[Option<f64>; MAX_LEVELS]> = tf
            .iter()
            .map(|t| {
                let mut at = [None; MAX_LEVELS];
                for &(level, log_u) in t.iter().flat_map(|t| &t.log_u) {
                    at[level as usize] = Some(log_u);
                }
                at
            })
            .collect();
        let from: Vec<[NonExact; MAX_LEVELS]> = level_weights
            .iter()
            .zip(&tf_log_u)
            .map(
                |(weights, tf_at): (&Vec<f64>, &[Option<f64>; MAX_LEVELS])| {
                    let mut from = [NonExact::NONE; MAX_LEVELS];
                    // From the last level back, each level joins the levels past it.
                    for l in (2..weights.len()).rev() {
                        let past = from.get(l + 1).copied().unwrap_or(NonExact::NONE);
                        from[l] = past.with(weights[l], tf_at[l]);
                    }
                    from
                },
            )
            .collect();
        // Every level but exact: those past it, and null.
        let non_exact = (0..from.len())
            .map(|c| from[c][2].with(level_weights[c][0], tf_log_u[c][0]))
            .collect();
        Scorer {
            from,
            related,
            prior_weight,
            level_weights,
            tf,
            max_part,
            plain_max,
            tf_log_u,
            non_exact,
        }
    }

    /// Per comparison with a term-frequency adjustment: where its values' shares come from,
    /// log2 of each value's share (floored at one record's worth) and of each level's u, and
    /// per value the largest part a row with it can get. Computed once rather than per pair,
    /// on all threads: there are millions of name tokens at ten million records.
    fn term_frequencies(
        model: &Model,
        comparator: &Comparator,
        f: &Features,
        level_weights: &[Vec<f64>],
    ) -> Vec<Option<Tf>> {
        // Per comparison with an adjustment: where its shares come from, the levels it applies
        // to with their u, and the share floor.
        type Raw = Option<(TfSource, Vec<(u8, f64)>, f64)>;
        let raw: Vec<Raw> = comparator
            .comparisons
            .iter()
            .zip(&model.comparisons)
            .map(|(c, m)| {
                let level = c.tf_level?;
                // A value's share is at least one record's worth.
                let (source, present) = match (c.person_part, &f.fields[c.field], &f.person) {
                    (Some(part), _, Some(person)) => (TfSource::Person(part), person.present(part)),
                    (None, FieldFeature::Text(t), _) => {
                        (TfSource::Text(c.field), t.present as usize)
                    }
                    _ => return None,
                };
                // Person names: agreeing exactly, after transliteration or as variants says more
                // for a rare name than for a common one (shares count a name in any script).
                let top = if c.person_part.is_some() {
                    (level as usize + 2).min(m.levels.len() - 1)
                } else {
                    level as usize
                };
                // A person name's share counts it in any script, and an exact agreement can
                // only happen within one: adjusted by the u of agreeing exactly or after
                // transliteration together, an exact agreement is not worth less than the
                // same name across scripts.
                let levels = (level as usize..=top)
                    .map(|l| {
                        let u = if c.person_part.is_some() && l == level as usize && l < top {
                            m.levels[l].u + m.levels[l + 1].u
                        } else {
                            m.levels[l].u
                        };
                        (l as u8, u)
                    })
                    .collect();
                Some((source, levels, 1.0 / present.max(1) as f64))
            })
            .collect();
        let mut tf: Vec<Option<Tf>> = raw
            .into_iter()
            .map(|t| {
                let (source, levels, floor) = t?;
                let value = |log_share| ValueTf {
                    log_share,
                    max: f64::NAN,
                };
                let values: Vec<ValueTf> = match source {
                    TfSource::Text(field) => f
                        .text(field)
                        .frequency
                        .par_iter()
                        .map(|s| value(s.max(floor).log2()))
                        .collect(),
                    TfSource::Person(part) => f
                        .person
                        .as_ref()
                        .map(|p| {
                            (0..p.forms.len() as u32)
                                .into_par_iter()
                                .map(|token| value(p.share(part, token).max(floor).log2()))
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                let log_u = levels.iter().map(|(l, u)| (*l, u.log2())).collect();
                Some(Tf {
                    source,
                    log_u,
                    values,
                    unknown_max: 0.0,
                })
            })
            .collect();
        // Per value, the largest part a row with it can get: its level weight plus, at the
        // levels the adjustment applies to, the adjustment for that value.
        for (t, weights) in tf.iter_mut().zip(level_weights) {
            let Some(t) = t else { continue };
            let best = |log_share: f64| {
                weights
                    .iter()
                    .enumerate()
                    .map(|(l, w)| {
                        w + t
                            .log_u
                            .iter()
                            .find(|(level, _)| *level as usize == l)
                            .map_or(0.0, |(_, log_u)| log_u - log_share)
                    })
                    .fold(f64::NEG_INFINITY, f64::max)
            };
            t.values
                .par_iter_mut()
                .for_each(|v| v.max = best(v.log_share));
            t.unknown_max = best(0.0);
        }
        tf
    }

    /// Per comparison, the largest part any pair can get: the best level's weight plus, at
    /// the levels an adjustment applies to, the adjustment for the rarest value.
    fn max_parts(level_weights: &[Vec<f64>], tf: &[Option<Tf>]) -> Vec<f64> {
        level_weights
            .iter()
            .enumerate()
            .map(|(c, weights)| {
                let (log_u, values) = tf[c]
                    .as_ref()
                    .map_or((&[][..], &[][..]), |t| (&t.log_u[..], &t.values[..]));
                let rarest: f64 = values
                    .iter()
                    .map(|v| v.log_share)
                    .fold(f64::INFINITY, f64::min);
                weights
                    .iter()
                    .enumerate()
                    .map(|(l, w)| {
                        let tf = log_u
                            .iter()
                            .find(|(level, _)| *level as usize == l)
                            .map_or(0.0, |(_, log_u)| (log_u - rarest).max(0.0));
                        w + tf
                    })
                    .fold(0.0, f64::max)
            })
            .collect()
    }

    /// The value (code or name token) of row `a` that term frequencies are looked up by, if
    /// any.
    #[inline]
    fn tf_value(f: &Features, tf: &Tf, a: usize) -> Option<u32> {
        if let Some(FromLine::Told(value)) =
            f.packed.as_ref().map(|p| Self::packed_tf_value(tf, p, a))
        {
            return value;
        }
        match tf.source {
            TfSource::Text(field) => Some(f.text(field).codes[a]),
            // The row's first token of this part, from its readings.
            TfSource::Person(part) => f.person.as_ref()?.readings[a]
                .first()
                .and_then(|r| r.part(part).first())
                .copied(),
        }
    }

    /// [`Scorer::tf_value`] as row a's packed line tells it: always for text fields, for the
    /// given and family names of a simple name.
    #[inline]
    fn packed_tf_value(tf: &Tf, packed: &Packed, a: usize) -> FromLine {
        let row = packed.row(a);
        match tf.source {
            TfSource::Text(field) => FromLine::Told(Some(row[field])),
            TfSource::Person(part @ (NamePart::Given | NamePart::Family)) => {
                match packed.person.filter(|&slot| row[slot] != Packed::COMPLEX) {
                    Some(slot) => {
                        let t = row[slot + usize::from(part == NamePart::Family)];
                        FromLine::Told((t != Packed::NO_TOKEN).then_some(t))
                    }
                    None => FromLine::CannotTell,
                }
            }
            TfSource::Person(_) => FromLine::CannotTell,
        }
    }

    /// Fetches the term-frequency entries of row a's values (from its packed line, which
    /// should be in cache already) ahead of [`Scorer::row_bound`], which otherwise waits on them:
    /// one table per comparison, read at random. Complex names, read from their readings, are
    /// left to `row_bound`.
    #[inline]
    pub fn prefetch_row(&self, f: &Features, a: usize) {
        let Some(packed) = &f.packed else { return };
        for t in self.tf.iter().flatten() {
            let FromLine::Told(Some(value)) = Self::packed_tf_value(t, packed, a) else {
                continue;
            };
            if let Some(entry) = t.values.get(value as usize) {
                crate::prepare::prefetch(entry);
            }
        }
    }

    /// The adjustment at `level` for a row with term-frequency value `value`.
    #[inline]
    fn tf_adjustment_of(tf: &Tf, level: u8, value: Option<u32>) -> f64 {
        match (tf.log_u.iter().find(|(l, _)| *l == level), value) {
            (Some(&(_, log_u)), Some(value)) => {
                log_u - tf.values.get(value as usize).map_or(0.0, |v| v.log_share)
            }
            _ => 0.0,
        }
    }

    fn tf_adjustment(&self, f: &Features, c: usize, level: u8, a: usize) -> f64 {
        let Some(tf) = &self.tf[c] else { return 0.0 };
        if !tf.log_u.iter().any(|(l, _)| *l == level) {
            return 0.0;
        }
        Self::tf_adjustment_of(tf, level, Self::tf_value(f, tf, a))
    }

    /// The part of the weight that accounts for related non-matches: −log2(1 + λ₂ Π r / λ₃ Π u).
    /// Near 0 unless the pattern looks like namesakes or relatives (names agree, the rest not).
    pub fn related_correction(&self, pattern: Pattern) -> f64 {
        let Some((prior, ratios)) = &self.related else {
            return 0.0;
        };
        let mut log = *prior;
        for (c, r) in ratios.iter().enumerate() {
            log += r[level_of(pattern, c) as usize];
        }
        -(1.0 + log.exp2()).log2()
    }

    /// The match weight of pair (a, b) with the given pattern.
    #[inline]
    pub fn weight(&self, f: &Features, a: usize, pattern: Pattern) -> f64 {
        let mut w = self.prior_weight + self.related_correction(pattern);
        for (c, weights) in self.level_weights.iter().enumerate() {
            let l = level_of(pattern, c);
            w += weights[l as usize];
            if self.tf[c].is_some() {
                w += self.tf_adjustment(f, c, l, a);
            }
        }
        w
    }

    /// [`Scorer::weight`] of a pair (a, ·) from row a's bound ([`Scorer::row_bound`]), which
    /// holds the value shares the adjustments read: the same sums in the same order, so the
    /// same weight to the bit, without looking a's values up again.
    #[inline]
    pub fn weight_in_row(&self, row: &RowBound, pattern: Pattern) -> f64 {
        let mut w = self.prior_weight + self.related_correction(pattern);
        for (c, weights) in self.level_weights.iter().enumerate() {
            let l = level_of(pattern, c);
            w += weights[l as usize];
            if self.tf[c].is_some() {
                w += match (self.tf_log_u[c][l as usize], row.log_share[c]) {
                    (Some(log_u), Some(log_share)) => log_u - log_share,
                    _ => 0.0,
                };
            }
        }
        w
    }

    /// An upper bound on any pair's weight before its comparisons are known: the prior and each
    /// comparison's largest part (the related-class correction is never positive).
    pub fn weight_ceiling(&self) -> f64 {
        self.prior_weight + self.max_part.iter().sum::<f64>()
    }

    /// The order to evaluate a pair's comparisons in when rejecting early: by cost class,
    /// cheapest first, and within a class by how far a part can fall below its largest (an
    /// identifier that disagrees rules a pair out sooner than a house number) once differing
    /// codes have ruled out its exact level ([`Scorer::unequal_drop`]).
    pub fn rejecting_first(&self, comparator: &Comparator, f: &Features) -> Vec<usize> {
        let spread = |c: usize| {
            let lowest = self.level_weights[c].iter().copied().fold(0.0, f64::min);
            // Where no other level carries an adjustment, the most a level but exact can be.
            let n = &self.non_exact[c];
            let highest = if n.adjusted == f64::NEG_INFINITY {
                n.any
            } else {
                self.max_part[c]
            };
            highest - lowest
        };
        let mut order: Vec<usize> = (0..self.level_weights.len()).collect();
        order.sort_by(|&x, &y| {
            comparator
                .cost_class(f, x)
                .cmp(&comparator.cost_class(f, y))
                .then(spread(y).total_cmp(&spread(x)))
        });
        order
    }

    /// An upper bound on the weight of any pair (a, ·) before its comparisons are known: the
    /// prior and each comparison's largest part for row a's values. At most
    /// [`Scorer::weight_ceiling`].
    pub fn row_ceiling(&self, f: &Features, a: usize) -> f64 {
        self.row_bound(f, a).ceiling
    }

    /// Row a's side of the bound on pairs (a, ·): see [`RowBound`].
    pub fn row_bound(&self, f: &Features, a: usize) -> RowBound {
        let mut top = [0.0; MAX_COMPARISONS];
        let mut log_share = [None; MAX_COMPARISONS];
        for (c, t) in self.tf.iter().enumerate() {
            top[c] = match t {
                None => self.plain_max[c],
                Some(t) => match Self::tf_value(f, t, a) {
                    None => self.plain_max[c],
                    Some(value) => {
                        let v = t.values.get(value as usize).copied().unwrap_or(ValueTf {
                            log_share: 0.0,
                            max: t.unknown_max,
                        });
                        log_share[c] = Some(v.log_share);
                        v.max
                    }
                },
            };
        }
        // Each comparison's largest part once its exact level is ruled out, with a's share
        // where an adjustment applies: the rest of `top` is what ruling it out drops.
        let mut unequal = [0.0; MAX_COMPARISONS];
        for (c, n) in self.non_exact.iter().enumerate() {
            unequal[c] = (top[c] - n.best(log_share[c])).max(0.0);
        }
        RowBound {
            ceiling: self.prior_weight + top[..self.tf.len()].iter().sum::<f64>(),
            top,
            log_share,
            unequal,
        }
    }

    /// How much a known level lowers the bound of pairs (a, ·): comparison `c`'s largest part
    /// for a's value less its part at this level. Never negative.
    #[inline]
    pub fn drop(&self, row: &RowBound, c: usize, level: u8) -> f64 {
        let weight = self.level_weights[c][level as usize];
        let part = match (self.tf_log_u[c][level as usize], row.log_share[c]) {
            (Some(log_u), Some(log_share)) => weight + (log_u - log_share),
            _ => weight,
        };
        (row.top[c] - part).max(0.0)
    }

    /// How much knowing that comparison `c`'s level is not 1 (exact) lowers the bound of
    /// pairs (a, ·), before the level itself is known: the most its part can be for a's value,
    /// less the most it can be at any other level (with a's adjustment where one applies).
    /// Never more than [`Scorer::drop`] at any level but 1.
    #[inline]
    pub fn unequal_drop(&self, row: &RowBound, c: usize) -> f64 {
        row.unequal[c]
    }

    /// How much knowing that comparison `c`'s level is `level` or past it (`level` ≥ 2) lowers
    /// the bound of pairs (a, ·): never more than [`Scorer::drop`] at any of those levels.
    #[inline]
    pub fn drop_from(&self, row: &RowBound, c: usize, level: u8) -> f64 {
        let best = self.from[c][level as usize].best(row.log_share[c]);
        (row.top[c] - best).max(0.0)
    }

    /// The parts of the weight of pair (a, b), one per comparison.
    pub fn parts(&self, f: &Features, a: usize, pattern: Pattern) -> Vec<Part> {
        self.level_weights
            .iter()
            .enumerate()
            .map(|(c, weights)| {
                let level = level_of(pattern, c);
                Part {
                    level,
                    weight: weights[level as usize],
                    tf_adjustment: self.tf_adjustment(f, c, level, a),
                }
            })
            .collect()
    }
}

/// A plain-text explanation of a pair's weight: the comparison, its level, its part, strongest
/// evidence first, e.g. `family_name: exact (+9.1, of which +2.3 for a rare value)`.
/// `rules` (from [`Comparator::describe`]) name what matched, e.g. `ICAO: Evgenii ~ Евгений`.
pub fn explain(comparator: &Comparator, parts: &[Part], rules: &[Option<String>]) -> String {
    let mut items: Vec<(f64, String)> = comparator
        .comparisons
        .iter()
        .zip(parts)
        .zip(rules.iter().chain(std::iter::repeat(&None)))
        .map(|((c, p), rule)| {
            let total = p.weight + p.tf_adjustment;
            let label = match rule {
                Some(rule) if p.level != 0 && !rule.starts_with("exact:") => {
                    format!("{} [{rule}]", c.labels[p.level as usize])
                }
                _ => c.labels[p.level as usize].clone(),
            };
            let text = if p.level == 0 {
                format!("{}: missing (0)", c.name)
            } else if p.tf_adjustment != 0.0 {
                let kind = if p.tf_adjustment > 0.0 {
                    "rare"
                } else {
                    "common"
                };
                format!(
                    "{}: {label} ({total:+.1}, of which {:+.1} for a {kind} value)",
                    c.name, p.tf_adjustment
                )
            } else {
                format!("{}: {label} ({total:+.1})", c.name)
            };
            (total, text)
        })
        .collect();
    items.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    items
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_and_probability_are_inverse() {
        for w in [-20.0, -1.0, 0.0, 0.5, 7.0, 30.0] {
            assert!((weight_of(probability(w)) - w).abs() < 1e-6);
        }
        assert_eq!(probability(0.0), 0.5);
    }
}
