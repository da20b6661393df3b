//! Look-ups with the store's model: records against the roster (`POST /api/match`) and two
//! stored records compared (`GET /api/pair`), each answer with its weight part by part.

use crate::MAX_BATCH;
use crate::api::{ApiError, ApiJson, ApiResult, blocking, lock, query_rejection, record_key};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use listlink_core::Run;
use listlink_core::ingest::{ReadOptions, TableBuilder};
use listlink_core::pipeline::ScoredPair;
use listlink_store::{Looked, Matcher};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    records: Vec<Map<String, Value>>,
    #[serde(default = "default_top")]
    top: usize,
}

fn default_top() -> usize {
    3
}

/// The query records as a table with the columns the request named (in first-seen order).
fn query_table(
    matcher: &Matcher,
    records: &[Map<String, Value>],
) -> ApiResult<listlink_core::RecordTable> {
    let mut headers: Vec<String> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.is_empty() {
            return Err(ApiError::unprocessable(
                format!("records[{i}]"),
                "a record needs at least one column",
            ));
        }
        for (k, v) in r {
            if !matches!(v, Value::String(_) | Value::Number(_) | Value::Null) {
                return Err(ApiError::unprocessable(
                    format!("records[{i}].{k}"),
                    "a value must be a string, a number or null",
                ));
            }
            if !headers.contains(k) {
                headers.push(k.clone());
            }
        }
    }
    let settings = matcher.settings();
    let read = settings
        .fields
        .iter()
        .flat_map(|f| f.columns.iter())
        .any(|c| headers.contains(c));
    if !read {
        let mut known: Vec<&str> = settings
            .fields
            .iter()
            .flat_map(|f| f.columns.iter().map(String::as_str))
            .collect();
        known.dedup();
        return Err(ApiError::unprocessable(
            "records",
            format!(
                "no column the store's settings read; name columns as in the lists, e.g. {}",
                known.join(", ")
            ),
        ));
    }
    let options = ReadOptions {
        id_columns: settings.id_columns.clone(),
        source_columns: settings.source_columns.clone(),
        encoding: None,
        source_name: Some("query".into()),
    };
    let mut builder = TableBuilder::new(std::path::Path::new("request"), headers.clone(), &options)
        .map_err(|e| ApiError::unprocessable("records", e.to_string()))?;
    for (i, r) in records.iter().enumerate() {
        let cells: Vec<String> = headers
            .iter()
            .map(|h| match r.get(h) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            })
            .collect();
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        builder.row(i as u64 + 2, &refs, String::new);
    }
    let (table, rejects) = builder.finish();
    if let Some(r) = rejects
        .iter()
        .find(|r| r.severity == listlink_core::Severity::Error)
    {
        let i = r.line.saturating_sub(2);
        let field = match &r.field {
            Some(f) => format!("records[{i}].{f}"),
            None => format!("records[{i}]"),
        };
        return Err(ApiError::unprocessable(field, r.reason.clone()));
    }
    Ok(table)
}

/// A stored or query record's values, by column, as written (empty ones left out).
fn record_json(run: &Run, row: usize) -> Value {
    let (table, r) = run.locate(row);
    let mut values = Map::new();
    values.insert("source".into(), table.sources.get(r).into());
    values.insert("id".into(), table.ids.get(r).into());
    for (h, col) in table.headers.iter().zip(&table.columns) {
        let v = col.get(r);
        if !v.is_empty() && !values.contains_key(h) {
            values.insert(h.clone(), v.into());
        }
    }
    Value::Object(values)
}

/// A record as the model reads it ([`Run::as_read`]): its name parts with their Latin
/// renderings, the name order when guessed, its dates and ages.
fn as_read_json(run: &Run, row: usize) -> Value {
    let items = run.as_read(row).into_iter();
    Value::Array(
        items
            .map(|(read, value)| json!({"read": read, "value": value}))
            .collect(),
    )
}

/// A pair's weight part by part, in the order of the waterfall: the prior, each comparison,
/// and the namesakes-and-relatives correction; the parts add up to the pair's weight.
fn explanation_json(run: &Run, pair: &ScoredPair) -> Value {
    let (a, b) = (pair.a.index(), pair.b.index());
    let parts = run.scorer.parts(&run.features, a, pair.pattern);
    let rules = run.comparator.describe(&run.features, a, b);
    let model = &run.model;
    let prior = match model.related_prior {
        Some(r) => (model.prior / (1.0 - model.prior - r)).log2(),
        None => listlink_core::weight_of(model.prior),
    };
    let mut items = vec![json!({
        "comparison": "prior",
        "level": "before any comparison",
        "weight": prior,
        "rule": null,
    })];
    for (i, (c, p)) in run.comparator.comparisons.iter().zip(&parts).enumerate() {
        items.push(json!({
            "comparison": c.name,
            "level": c.labels[p.level as usize],
            "weight": p.weight + p.tf_adjustment,
            "term_frequency_adjustment": p.tf_adjustment,
            "rule": rules.get(i).cloned().flatten(),
        }));
    }
    let related = run.scorer.related_correction(pair.pattern);
    if related != 0.0 {
        items.push(json!({
            "comparison": "namesakes_and_relatives",
            "level": "such names are shared by namesakes and relatives",
            "weight": related,
            "rule": null,
        }));
    }
    Value::Array(items)
}

fn candidate_json(
    run: &Run,
    looked: &Looked,
    persons: &rustc_hash::FxHashMap<i64, String>,
    pair: &ScoredPair,
) -> Value {
    let b = pair.b.index();
    let person = looked
        .rid_of_row(b)
        .and_then(|rid| persons.get(&rid))
        .cloned();
    json!({
        "person_id": person,
        "record": record_json(run, b),
        "probability": pair.probability(),
        "weight": pair.weight,
        "explanation": explanation_json(run, pair),
        "explanation_text": listlink_core::export::explanation(run, pair),
    })
}

pub async fn match_records(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<MatchRequest>,
) -> ApiResult<Json<Value>> {
    if request.records.is_empty() {
        return Err(ApiError::unprocessable(
            "records",
            "give at least one record",
        ));
    }
    if request.records.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "records",
            format!(
                "{} records in one request; at most {MAX_BATCH}",
                request.records.len()
            ),
        ));
    }
    if request.top == 0 || request.top > 50 {
        return Err(ApiError::unprocessable(
            "top",
            "top must be between 1 and 50",
        ));
    }
    let matcher = state.matcher();
    let table = query_table(&matcher, &request.records)?;
    let top = request.top;
    blocking(move || {
        let looked = matcher
            .find(table, top)
            .map_err(|e| ApiError::store("records", e))?;
        let run = &looked.run;
        let mut found: Vec<_> = run.find.iter().flatten().collect();
        found.sort_by_key(|f| f.query);
        let shown = |f: &listlink_core::pipeline::FindResult| -> Vec<ScoredPair> {
            if f.candidates.is_empty() {
                f.nearest.iter().copied().collect()
            } else {
                f.candidates.iter().map(|&i| run.pairs[i]).collect()
            }
        };
        let rids: Vec<i64> = found
            .iter()
            .flat_map(|f| shown(f))
            .filter_map(|p| looked.rid_of_row(p.b.index()))
            .collect();
        let persons = {
            let reader = lock(&state.reader);
            listlink_store::person_of_records(&reader, &rids).map_err(|e| ApiError::store("", e))?
        };
        let results: Vec<Value> = found
            .iter()
            .map(|f| {
                json!({
                    "status": f.status.as_str(),
                    "query": record_json(run, f.query.index()),
                    "candidates": shown(f)
                        .iter()
                        .map(|p| candidate_json(run, &looked, &persons, p))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Json(json!({
            "results": results,
            "thresholds": {
                "match_probability": run.settings.thresholds.match_probability,
                "review_probability": run.settings.thresholds.review_probability,
            },
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairQuery {
    left: Option<String>,
    right: Option<String>,
}

/// Two stored records compared, as the model reads them: the left record looked up against
/// the roster, the right one's candidate pair explained.
pub async fn pair(
    State(state): State<Arc<AppState>>,
    query: Result<Query<PairQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(query_rejection)?;
    let left = record_key("left", q.left.as_deref())?;
    let right = record_key("right", q.right.as_deref())?;
    let (left, right) = (
        (left.0.to_string(), left.1.to_string()),
        (right.0.to_string(), right.1.to_string()),
    );
    blocking(move || {
        let (ra, rb) = {
            let reader = lock(&state.reader);
            (
                reader
                    .record(&left.0, &left.1)
                    .map_err(|e| ApiError::store("left", e))?,
                reader
                    .record(&right.0, &right.1)
                    .map_err(|e| ApiError::store("right", e))?,
            )
        };
        let matcher = state.matcher();
        let table = matcher
            .record_table(ra)
            .map_err(|e| ApiError::store("left", e))?;
        let Some(table) = table else {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "left",
                "the record was added after the roster was loaded; try again",
            ));
        };
        let looked = matcher
            .find(table, 50)
            .map_err(|e| ApiError::store("left", e))?;
        let run = &looked.run;
        let f = run.find.iter().flatten().next();
        let pair = f.and_then(|f| {
            f.candidates
                .iter()
                .map(|&i| run.pairs[i])
                .chain(f.nearest)
                .find(|p| looked.rid_of_row(p.b.index()) == Some(rb))
        });
        Ok(Json(match pair {
            Some(p) => json!({
                "candidate": true,
                "probability": p.probability(),
                "weight": p.weight,
                "as_read": {
                    "left": as_read_json(run, p.a.index()),
                    "right": as_read_json(run, p.b.index()),
                },
                "blocking_rule": run.first_rule(p.a.index(), p.b.index()),
                "explanation": explanation_json(run, &p),
                "explanation_text": listlink_core::export::explanation(run, &p),
            }),
            None => json!({
                "candidate": false,
                "probability": null,
                "weight": null,
                "as_read": null,
                "blocking_rule": null,
                "explanation": [],
                "explanation_text": "not a candidate pair of the model: no blocking rule brings these records together",
            }),
        }))
    })
    .await
}
