//! Inferred blocking sized to the data. When the inferred rules together would give more
//! candidate pairs than the data's budget, a pilot — the candidates of an even sample of first
//! rows under every rule — is compared and scored, and rules are chosen greedily by the
//! matches they add per pair they cost. Each rule's contribution (the expected matches only it
//! finds) and the share of the pilot's expected matches the chosen rules keep (the estimated
//! recall, relative to all the inferred rules) go to the report.

use crate::block::{FirstRows, PairSink, RowKeys, RuleIndex};
use crate::compare::{Comparator, Pattern};
use crate::prepare::Features;
use crate::score::Scorer;
use crate::screen::Screen;
use crate::settings::{Rule, Settings, parse_rule};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Candidate pairs per record the inferred rules may give before they are chosen among.
pub(crate) const PAIRS_PER_RECORD: u64 = 20;
/// Below this many candidate pairs in all, every inferred rule is kept.
pub(crate) const PAIRS_FLOOR: u64 = 2_000_000;
/// A rule is chosen only if it adds at least this share of the pilot's expected matches ...
const MIN_SHARE: f64 = 0.0005;
/// ... and at least one expected match per this many new pairs.
const PAIRS_PER_MATCH: f64 = 2_000.0;

/// The most rules chosen among (one bit each in a pilot pair's set of rules).
pub(crate) const MAX_RULES: usize = 128;
/// A rule with more pairs than this per record is also tried narrowed.
const NARROW_ABOVE_PER_RECORD: u64 = 2;

/// Narrowed variants of the broad rules (`rule & key` for each key of
/// `settings.blocking.tighten_with` whose fields the rule does not read yet), known on the
/// pilot's pairs by the key's agreement alone: only those chosen are indexed.
pub(crate) struct Narrowing {
    /// How many indexed rules come before the narrowed ones in a pilot pair's set.
    base: usize,
    pub(crate) narrowed: Vec<Narrowed>,
    /// Every row's keys under each narrowing key.
    keys: Vec<RowKeys>,
}

/// One narrowed rule: the indexed rule it narrows, itself, and its key's table.
pub(crate) struct Narrowed {
    base: usize,
    pub(crate) rule: Rule,
    key: usize,
}

impl Narrowing {
    /// The narrowed variants of the rules with more than [`NARROW_ABOVE_PER_RECORD`] pairs
    /// per record, and their keys per row.
    pub(crate) fn new(settings: &Settings, rules: &[RuleIndex], f: &Features) -> Narrowing {
        let above = f.len() as u64 * NARROW_ABOVE_PER_RECORD;
        let mut narrowed = Vec::new();
        let mut keys: Vec<(&str, Rule)> = Vec::new();
        // Rules are known by their keys in any order.
        let mut known: Vec<Vec<&str>> = rules.iter().map(|r| canonical(&r.rule.text)).collect();
        let room = MAX_RULES.saturating_sub(rules.len());
        for (i, r) in rules.iter().enumerate().filter(|(_, r)| r.pairs > above) {
            for key in &settings.blocking.tighten_with {
                if fields_of(key)
                    .iter()
                    .any(|f| fields_of(&r.rule.text).contains(f))
                {
                    continue;
                }
                let text = format!("{} & {key}", r.rule.text);
                let (Ok(rule), Ok(alone)) =
                    (parse_rule(&text, settings), parse_rule(key, settings))
                else {
                    continue;
                };
                if alone.parts.len() != 1 {
                    continue;
                }
                let (mut same, keys_of) = (canonical(&r.rule.text), canonical(key));
                same.extend(keys_of);
                same.sort_unstable();
                if known.contains(&same) || narrowed.len() == room {
                    continue;
                }
                known.push(same);
                let k = keys.iter().position(|(t, _)| t == key).unwrap_or_else(|| {
                    keys.push((key, alone));
                    keys.len() - 1
                });
                narrowed.push(Narrowed {
                    base: i,
                    rule,
                    key: k,
                });
            }
        }
        let keys = keys
            .par_iter()
            .map(|(_, rule)| RowKeys::of(rule, f))
            .collect();
        Narrowing {
            base: rules.len(),
            narrowed,
            keys,
        }
    }

    /// What [`Blocker::index_narrowed`] needs of narrowed rule `j`: the rule, the index it
    /// narrows (of `rules`, those this narrowing was made from) and its key's rows.
    ///
    /// [`Blocker::index_narrowed`]: crate::block::Blocker::index_narrowed
    pub(crate) fn input<'r>(
        &'r self,
        j: usize,
        rules: &'r [RuleIndex],
    ) -> (Rule, &'r RuleIndex, &'r RowKeys) {
        let n = &self.narrowed[j];
        (n.rule.clone(), &rules[n.base], &self.keys[n.key])
    }

    /// Every candidate rule: the indexed ones, then the narrowed.
    pub(crate) fn rules(&self) -> usize {
        self.base + self.narrowed.len()
    }

    /// Adds to a pair's set of indexed rules the narrowed rules that produce it.
    fn extend(&self, set: u128, a: usize, b: usize) -> u128 {
        let mut shared = 0u64;
        let mut known = 0u64;
        let mut out = set;
        for (j, n) in self.narrowed.iter().enumerate() {
            if set & (1 << n.base) == 0 {
                continue;
            }
            if known & (1 << n.key) == 0 {
                known |= 1 << n.key;
                if self.keys[n.key].share(a, b) {
                    shared |= 1 << n.key;
                }
            }
            if shared & (1 << n.key) != 0 {
                out |= 1 << (self.base + j);
            }
        }
        out
    }
}

/// A rule's keys, sorted: the same for the same rule written in another order.
fn canonical(text: &str) -> Vec<&str> {
    let mut keys: Vec<&str> = text.split('&').map(str::trim).collect();
    keys.sort_unstable();
    keys
}

/// The field names a rule's text reads: each key's arguments, or the key itself.
fn fields_of(text: &str) -> Vec<&str> {
    text.split('&')
        .flat_map(|key| {
            let key = key.trim();
            match (key.find('('), key.rfind(')')) {
                (Some(open), Some(close)) if open < close => {
                    key[open + 1..close].split(',').collect()
                }
                _ => vec![key],
            }
        })
        .map(str::trim)
        .collect()
}

/// The most pairs the chosen rules may give for `records` records: the settings', or by
/// default [`PAIRS_PER_RECORD`] per record and at least [`PAIRS_FLOOR`].
pub(crate) fn pair_budget(settings: &Settings, records: usize) -> u64 {
    settings
        .blocking
        .max_candidate_pairs
        .unwrap_or((records as u64 * PAIRS_PER_RECORD).max(PAIRS_FLOOR))
}

/// The pilot's size for `records` records: enough pairs to train on and to see rare rules.
pub(crate) fn pilot_pairs(records: usize) -> u64 {
    (records as u64 * 2).clamp(500_000, super::sinks::EM_PAIRS)
}

/// What the choice of rules found, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct BlockingChoice {
    /// Share of the pilot's expected matches that the chosen rules find: the recall kept,
    /// relative to every inferred rule together.
    pub estimated_recall: f64,
    /// Expected matches among the candidates of every inferred rule, from the pilot.
    pub expected_matches: f64,
    /// Pairs compared in the pilot, and how many candidates each stands for.
    pub pilot_pairs: u64,
    pub pilot_every: u64,
    /// The most pairs the chosen rules could give.
    pub budget: u64,
    /// Why the rules were chosen among at all.
    pub why: String,
}

/// A pilot pair: its first row, its pattern, and the rules that produce it (bit i: rule i).
pub(crate) struct PilotPair {
    a: u32,
    pattern: Pattern,
    rules: u128,
}

/// Compares the pairs the pilot walks and notes the rules that produce each.
pub(crate) struct PilotSink<'a> {
    pub(crate) comparator: &'a Comparator,
    pub(crate) screen: &'a Screen,
    pub(crate) features: &'a Features,
    pub(crate) rules: &'a [RuleIndex],
    pub(crate) narrowing: &'a Narrowing,
}

impl PairSink for PilotSink<'_> {
    type State = Vec<PilotPair>;
    fn start(&self) -> Self::State {
        Vec::new()
    }
    fn pairs(&self, state: &mut Self::State, pairs: &[(u32, u32)]) {
        let mut patterns = Vec::with_capacity(pairs.len());
        self.screen
            .patterns(self.comparator, self.features, pairs, &mut patterns);
        for (&(a, b), &pattern) in pairs.iter().zip(&patterns) {
            let (a, b) = (a as usize, b as usize);
            let indexed = self
                .rules
                .iter()
                .take(MAX_RULES)
                .enumerate()
                .filter(|(_, r)| r.first_shared(a, b).is_some())
                .fold(0u128, |m, (i, _)| m | 1 << i);
            let rules = self.narrowing.extend(indexed, a, b);
            state.push(PilotPair {
                a: a as u32,
                pattern,
                rules,
            });
        }
    }
    fn merge(&self, mut a: Self::State, b: Self::State) -> Self::State {
        a.extend(b);
        a
    }
}

/// The pilot's pattern counts, each pair counted for the `every` candidates it stands for.
pub(crate) fn pattern_counts(pilot: &[PilotPair], every: u64) -> Vec<(Pattern, u64)> {
    let mut counts: FxHashMap<Pattern, u64> = FxHashMap::default();
    for p in pilot {
        *counts.entry(p.pattern).or_default() += every;
    }
    crate::model::sorted_counts(counts)
}

/// The pilot's sampling of first rows: about `pilot_pairs` of `union_bound` candidates.
pub(crate) fn pilot_rows(
    union_bound: u64,
    pilot_pairs: u64,
    seed: u64,
) -> (FirstRows<'static>, u64) {
    let every = union_bound.div_ceil(pilot_pairs.max(1)).max(1);
    (FirstRows::Sample { every, seed }, every)
}

/// One rule's part in the choice.
#[derive(Debug, Clone)]
pub(crate) struct RuleFigures {
    /// Expected matches among the rule's candidates.
    pub(crate) matches: f64,
    /// Chosen: expected matches no other chosen rule finds. Left out: those it would have
    /// added to the chosen rules.
    pub(crate) only: f64,
    /// Candidates it adds to the rules chosen before it (or would add to all chosen).
    pub(crate) new_pairs: f64,
    /// Its candidates, by the pilot.
    pub(crate) pairs: f64,
}

/// The rules chosen, in the order chosen, with every rule's figures.
pub(crate) struct Chosen {
    pub(crate) order: Vec<usize>,
    pub(crate) figures: Vec<RuleFigures>,
    pub(crate) estimated_recall: f64,
    pub(crate) expected_matches: f64,
}

/// Chooses among `rules` rules from the scored pilot: greedily the rule adding the most
/// expected matches per new pair, while it adds at least [`MIN_SHARE`] of all the expected
/// matches, at least one per [`PAIRS_PER_MATCH`] pairs, and the pairs stay within `budget`.
/// The first rule by that measure is always chosen.
pub(crate) fn choose(
    pilot: &[PilotPair],
    scorer: &Scorer,
    features: &Features,
    rules: usize,
    every: u64,
    budget: u64,
) -> Chosen {
    choose_sets(&rule_sets(pilot, scorer, features, every), rules, budget)
}

/// A set of rules (bit i: rule i), the expected matches among the candidates that exactly
/// these rules produce, and how many candidates that is.
pub(crate) type RuleSet = (u128, f64, f64);

/// The pilot summed by set of rules, each pair counted for the `every` candidates it stands
/// for; in fixed point and sorted, so that the sums do not depend on the threads.
fn rule_sets(
    pilot: &[PilotPair],
    scorer: &Scorer,
    features: &Features,
    every: u64,
) -> Vec<RuleSet> {
    const ONE: f64 = (1u64 << 32) as f64;
    let by_set: FxHashMap<u128, (u64, u64)> = pilot
        .par_iter()
        .fold(
            FxHashMap::default,
            |mut acc: FxHashMap<u128, (u64, u64)>, p| {
                let w = scorer.weight(features, p.a as usize, p.pattern);
                let e = acc.entry(p.rules).or_default();
                e.0 += (crate::score::probability(w) * ONE) as u64;
                e.1 += 1;
                acc
            },
        )
        .reduce(FxHashMap::default, |mut a, b| {
            for (k, (m, n)) in b {
                let e = a.entry(k).or_default();
                e.0 += m;
                e.1 += n;
            }
            a
        });
    let scale = every as f64;
    let mut sets: Vec<RuleSet> = by_set
        .into_iter()
        .map(|(k, (m, n))| (k, m as f64 / ONE * scale, n as f64 * scale))
        .collect();
    sets.sort_unstable_by_key(|s| s.0);
    sets
}

/// [`choose`] over the pilot summed by set of rules.
pub(crate) fn choose_sets(sets: &[RuleSet], rules: usize, budget: u64) -> Chosen {
    let total: f64 = sets.iter().map(|s| s.1).sum();
    let gain = |chosen: u128, r: usize| -> (f64, f64) {
        sets.iter()
            .filter(|(k, _, _)| k & (1 << r) != 0 && k & chosen == 0)
            .fold((0.0, 0.0), |(m, n), s| (m + s.1, n + s.2))
    };
    let mut figures: Vec<RuleFigures> = (0..rules)
        .map(|r| {
            let (matches, pairs) = gain(0, r);
            RuleFigures {
                matches,
                only: 0.0,
                new_pairs: 0.0,
                pairs,
            }
        })
        .collect();
    let (mut chosen, mut order, mut pairs) = (0u128, Vec::new(), 0.0);
    loop {
        let best = (0..rules.min(MAX_RULES))
            .filter(|&r| chosen & (1 << r) == 0)
            .map(|r| (r, gain(chosen, r)))
            .filter(|(_, (m, n))| {
                order.is_empty()
                    || (*m >= MIN_SHARE * total
                        && *m * PAIRS_PER_MATCH >= *n
                        && pairs + n <= budget as f64)
            })
            .max_by(|(ra, (ma, na)), (rb, (mb, nb))| {
                let (x, y) = (ma / na.max(1.0), mb / nb.max(1.0));
                x.total_cmp(&y).then(rb.cmp(ra))
            });
        let Some((r, (_, n))) = best else { break };
        figures[r].new_pairs = n;
        chosen |= 1 << r;
        pairs += n;
        order.push(r);
    }
    let kept: f64 = sets
        .iter()
        .filter(|(k, _, _)| k & chosen != 0)
        .map(|s| s.1)
        .sum();
    for (r, fig) in figures.iter_mut().enumerate().take(MAX_RULES) {
        let others = chosen & !(1 << r);
        let (only, new) = gain(others, r);
        fig.only = only;
        if chosen & (1 << r) == 0 {
            fig.new_pairs = new;
        }
    }
    Chosen {
        order,
        figures,
        estimated_recall: if total > 0.0 { kept / total } else { 1.0 },
        expected_matches: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_that_adds_no_matches_is_left_out_and_one_that_adds_many_is_chosen() {
        // Rule 0 finds 100 matches in 100 pairs; rule 1 finds the same and 10,000 pairs more
        // without a match; rule 2 alone finds 50 matches in 1,000 pairs.
        let sets = [
            (0b011, 100.0, 100.0),
            (0b010, 0.0, 10_000.0),
            (0b100, 50.0, 1_000.0),
        ];
        let chosen = choose_sets(&sets, 3, 1_000_000);
        assert_eq!(chosen.order, vec![0, 2]);
        assert!((chosen.estimated_recall - 1.0).abs() < 1e-12);
        assert!((chosen.expected_matches - 150.0).abs() < 1e-9);
        // What each would add, or only it finds.
        assert_eq!(chosen.figures[1].only, 0.0);
        assert_eq!(chosen.figures[1].new_pairs, 10_000.0);
        assert_eq!(chosen.figures[2].only, 50.0);
        assert_eq!(chosen.figures[0].only, 100.0);
    }

    #[test]
    fn the_budget_and_the_least_gain_stop_the_choice() {
        let sets = [(0b01, 100.0, 100.0), (0b10, 50.0, 1_000.0)];
        // Rule 1's pairs do not fit: recall is what rule 0 keeps.
        let chosen = choose_sets(&sets, 2, 500);
        assert_eq!(chosen.order, vec![0]);
        assert!((chosen.estimated_recall - 100.0 / 150.0).abs() < 1e-12);
        // One match per 5,000 pairs is not worth them.
        let sparse = [(0b01, 100.0, 100.0), (0b10, 1.0, 5_000.0)];
        assert_eq!(choose_sets(&sparse, 2, u64::MAX).order, vec![0]);
        // Nor is a match in 100,000 (under the least share), however cheap.
        let rare = [(0b01, 100_000.0, 100_000.0), (0b10, 1.0, 1.0)];
        assert_eq!(choose_sets(&rare, 2, u64::MAX).order, vec![0]);
        // Without any expected match the first rule by order is still chosen.
        let none = [(0b01, 0.0, 100.0), (0b10, 0.0, 100.0)];
        assert_eq!(choose_sets(&none, 2, u64::MAX).order, vec![0]);
    }

    #[test]
    fn fields_and_canonical_rules_read_the_text() {
        assert_eq!(
            fields_of("sorted_names(given_name, family_name) & year(date_of_birth)"),
            vec!["given_name", "family_name", "date_of_birth"]
        );
        assert_eq!(fields_of("postcode"), vec!["postcode"]);
        assert_eq!(
            canonical("postcode & initial(given_name)"),
            canonical("initial(given_name) &postcode")
        );
    }
}
