//! What a run produced: [`Run`] with its pairs, clusters, find results, counts and timings, and
//! what a reader asks of it (a record as the model read it, the rule that paired two records).

use super::Input;
use crate::block::Blocker;
use crate::compare::Comparator;
use crate::compare::closeness;
use crate::model::Model;
use crate::prepare::{Features, FieldFeature};
use crate::score::{ScoredPair, Scorer};
use crate::settings::Settings;
use crate::table::{RecordTable, RowId};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A blocking rule's figures for the report.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub rule: String,
    /// Pairs the rule produces on its own.
    pub pairs: u64,
    /// Pairs no earlier rule produced.
    pub new_pairs: u64,
    /// Why the rule was not used, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// When inferred rules were chosen among: the expected matches among the rule's pairs,
    /// from the pilot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_matches: Option<f64>,
    /// ... and those only it finds among the rules chosen (for a rule left out: those it would
    /// have added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_matches: Option<f64>,
}

impl RuleReport {
    /// A rule's figures without a choice among rules.
    pub fn new(rule: String, pairs: u64, new_pairs: u64, skipped: Option<String>) -> RuleReport {
        RuleReport {
            rule,
            pairs,
            new_pairs,
            skipped,
            expected_matches: None,
            only_matches: None,
        }
    }
}

/// Seconds per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub prepare: f64,
    pub blocking: f64,
    /// Making the screen's per-row sketches (`Screen::new`), beside blocking.
    pub screen: f64,
    pub estimate_u: f64,
    pub count_patterns: f64,
    pub em: f64,
    pub score: f64,
    pub cluster: f64,
}

/// find: the answer for one query record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindStatus {
    Found,
    Possible,
    NotFound,
}

impl FindStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindStatus::Found => "found",
            FindStatus::Possible => "possible",
            FindStatus::NotFound => "not_found",
        }
    }
}

/// find: a query record, its status and its best candidates (indexes into `Run::pairs`).
#[derive(Debug, Clone)]
pub struct FindResult {
    pub query: RowId,
    pub status: FindStatus,
    pub candidates: Vec<usize>,
    /// For a query with no candidate at or above `pairs_min_probability`: its best-scoring
    /// blocked pair all the same, so that "not found" shows how near the nearest came.
    pub nearest: Option<ScoredPair>,
}

/// Counts for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub records: u64,
    pub total_pairs: u64,
    pub candidate_pairs: u64,
    pub pairs_written: u64,
    pub matches: u64,
    pub review: u64,
    pub clusters: u64,
    pub clusters_with_several_records: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_found: Option<u64>,
}

/// Everything a run produced.
pub struct Run {
    pub settings: Settings,
    pub inputs: Vec<Input>,
    pub features: Features,
    pub comparator: Comparator,
    pub model: Model,
    /// Whether the model was trained in this run (else it was given).
    pub trained: bool,
    pub scorer: Scorer,
    /// Pairs at or above `pairs_min_probability`, sorted by (a, b).
    pub pairs: Vec<ScoredPair>,
    /// Cluster per row: the row that names it.
    pub clusters: Vec<u32>,
    pub find: Option<Vec<FindResult>>,
    pub rules: Vec<RuleReport>,
    /// How inferred rules were chosen among, when they were.
    pub blocking_choice: Option<super::BlockingChoice>,
    pub counts: Counts,
    pub timings: Timings,
}

impl Run {
    /// (source, id) of a row.
    pub fn key(&self, row: usize) -> (&str, &str) {
        let (t, r) = self.locate(row);
        (t.sources.get(r), t.ids.get(r))
    }

    /// The table and row within it of a global row.
    pub fn locate(&self, mut row: usize) -> (&RecordTable, usize) {
        for input in &self.inputs {
            if row < input.table.len() {
                return (&input.table, row);
            }
            row -= input.table.len();
        }
        panic!("row {row} out of range");
    }

    /// The blocking rule that brings two rows together first, if one does.
    pub fn first_rule(&self, a: usize, b: usize) -> Option<String> {
        let rules = self.settings.blocking_rules().ok()?;
        let blocker = Blocker::new(rules, &self.features);
        let i = blocker.first_rule(a, b)?;
        Some(blocker.rules[i].rule.text.clone())
    }

    /// A record as the model reads it, as (what, value) items: each name part of its first
    /// reading with the Latin renderings of its tokens, a note when the name order was guessed
    /// or other readings were compared too, and its dates and ages.
    pub fn as_read(&self, row: usize) -> Vec<(String, String)> {
        let f = &self.features;
        let mut items = Vec::new();
        if let Some(person) = &f.person
            && let Some(first) = person.readings[row].first()
        {
            let token = |id: u32| {
                let forms = &person.forms[id as usize];
                let mut keys: Vec<&str> = forms.renderings.iter().map(|r| r.key.as_str()).collect();
                keys.dedup();
                if keys.is_empty() || keys == [forms.written.as_str()] {
                    forms.written.clone()
                } else {
                    format!("{} → {}", forms.written, keys.join(" / "))
                }
            };
            for (label, ids) in [
                ("given name", &first.given),
                ("patronymic", &first.patronymic),
                ("family name", &first.family),
            ] {
                if !ids.is_empty() {
                    let value: Vec<String> = ids.iter().map(|&id| token(id)).collect();
                    items.push((label.to_string(), value.join(" · ")));
                }
            }
            let others = person.readings[row].len() - 1;
            let mut notes = Vec::new();
            if first.guessed_order {
                notes.push("which part is given and which family was guessed".to_string());
            }
            if others > 0 {
                notes.push(format!(
                    "{others} other reading(s) of the name compared too"
                ));
            }
            if !notes.is_empty() {
                items.push(("name order".to_string(), notes.join("; ")));
            }
        }
        for (i, field) in self.settings.fields.iter().enumerate() {
            let value = match &f.fields[i] {
                FieldFeature::Date(d) => d.dates[row].map(|d| {
                    let either = if d.ambiguous {
                        " (or month and day the other way round)"
                    } else {
                        ""
                    };
                    format!("{:04}-{:02}-{:02}{either}", d.year, d.month, d.day)
                }),
                FieldFeature::Age(a) => a.ages[row].map(|a| format!("age {a}")),
                _ => None,
            };
            if let Some(value) = value {
                items.push((field.name.clone(), value));
            }
        }
        items
    }
}

pub(crate) fn find_results(
    run: &Run,
    top_k: usize,
    match_p: f64,
    review_p: f64,
) -> Vec<FindResult> {
    let mut by_query: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for (i, p) in run.pairs.iter().enumerate() {
        by_query.entry(p.a.0).or_default().push(i);
    }
    (0..run.features.len())
        .filter(|&r| run.features.side[r] == 0)
        .map(|r| {
            let mut candidates = by_query.remove(&(r as u32)).unwrap_or_default();
            // Best first, ties by row for determinism; then, of candidates the model scores
            // alike, the name written closest to the query's first.
            candidates.sort_by(|&x, &y| {
                run.pairs[y]
                    .weight
                    .total_cmp(&run.pairs[x].weight)
                    .then(run.pairs[x].b.cmp(&run.pairs[y].b))
            });
            if let Some(person) = &run.features.person {
                let mut start = 0;
                while start < candidates.len().min(top_k) {
                    let w = run.pairs[candidates[start]].weight;
                    let end = start
                        + candidates[start..]
                            .iter()
                            .take_while(|&&i| run.pairs[i].weight == w)
                            .count();
                    if end - start > 1 {
                        let close = |i: usize| closeness(person, r, run.pairs[i].b.0 as usize);
                        let mut keyed: Vec<(f64, usize)> = candidates[start..end]
                            .iter()
                            .map(|&i| (close(i), i))
                            .collect();
                        // Stable: alike in closeness too, they stay in row order.
                        keyed.sort_by(|x, y| y.0.total_cmp(&x.0));
                        for (slot, (_, i)) in candidates[start..end].iter_mut().zip(keyed) {
                            *slot = i;
                        }
                    }
                    start = end;
                }
            }
            candidates.truncate(top_k);
            let best = candidates
                .first()
                .map(|&i| run.pairs[i].probability())
                .unwrap_or(0.0);
            let status = if best >= match_p {
                FindStatus::Found
            } else if best >= review_p {
                FindStatus::Possible
            } else {
                FindStatus::NotFound
            };
            FindResult {
                query: RowId(r as u32),
                status,
                candidates,
                nearest: None,
            }
        })
        .collect()
}
