//! The review desk's pages: server-rendered HTML (plain format strings, every value escaped),
//! one small script and one stylesheet compiled in; nothing loaded from elsewhere.

use crate::api::{ApiError, roster_rows};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use listlink_core::settings::FieldKind;
use serde::Deserialize;
use std::fmt::Write;
use std::sync::Arc;

const SCRIPT: &str = include_str!("../assets/desk.js");
const STYLE: &str = include_str!("../assets/desk.css");

/// Text made safe inside HTML elements and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn layout(state: &AppState, title: &str, active: &str, body: &str) -> Html<String> {
    let matcher = state.matcher();
    let settings = matcher.settings();
    // The column a name typed in the search box goes into: the full name when the lists have
    // one, else the first name column.
    let name_column = settings
        .field("full_name")
        .map(|(_, f)| f)
        .or_else(|| settings.fields.iter().find(|f| f.kind == FieldKind::Name))
        .and_then(|f| f.columns.first().cloned())
        .unwrap_or_else(|| "full_name".into());
    let nav = [("/", "Review"), ("/roster", "Roster"), ("/model", "Model")]
        .iter()
        .map(|(href, label)| {
            format!(
                "<a href=\"{href}\"{}>{label}</a>",
                if *label == active {
                    " class=\"active\""
                } else {
                    ""
                }
            )
        })
        .collect::<String>();
    Html(format!(
        "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta name=\"csrf-token\" content=\"{csrf}\">
<title>{title} · listlink desk</title>
<link rel=\"stylesheet\" href=\"/assets/desk.css\">
</head><body data-name-column=\"{name_column}\">
<header><strong>listlink desk</strong><nav>{nav}</nav>
<form id=\"search\" role=\"search\"><input id=\"search-box\" name=\"q\" placeholder=\"Search a name in any script…\" autocomplete=\"off\"><button>Search</button></form>
<span class=\"muted\">{records} records</span></header>
<div id=\"search-results\" hidden></div>
<main>{body}</main>
<script src=\"/assets/desk.js\"></script>
</body></html>",
        csrf = esc(&state.csrf),
        title = esc(title),
        name_column = esc(&name_column),
        records = matcher.records(),
    ))
}

pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// The queue and the pair under review (filled in by the script from `/api/review`).
pub async fn review(State(state): State<Arc<AppState>>) -> Html<String> {
    let body = "<section id=\"desk\">
<aside><h2>To review <span id=\"queue-count\"></span></h2><ol id=\"queue\"></ol></aside>
<article id=\"pair\">
<p class=\"keys\">Keys: <kbd>m</kbd> same person · <kbd>n</kbd> different · <kbd>u</kbd> unsure · <kbd>z</kbd> undo · <kbd>y</kbd> redo · <kbd>j</kbd>/<kbd>k</kbd> next/previous</p>
<div id=\"pair-view\"><p class=\"muted\">Loading the queue…</p></div>
<p id=\"status\" role=\"status\" aria-live=\"polite\"></p>
</article></section>";
    layout(&state, "Review", "Review", body)
}

fn records_table(records: &[listlink_store::StoredRecord]) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for r in records {
        for (k, _) in &r.values {
            if !columns.contains(&k.as_str()) {
                columns.push(k);
            }
        }
    }
    let mut s = String::from("<table><thead><tr><th>record</th>");
    for c in &columns {
        let _ = write!(s, "<th>{}</th>", esc(c));
    }
    s.push_str("<th>status</th><th>list (received)</th><th>first seen</th><th>last seen</th></tr></thead><tbody>");
    for r in records {
        let _ = write!(s, "<tr><td>{}:{}</td>", esc(&r.source), esc(&r.id));
        for c in &columns {
            let v = r
                .values
                .iter()
                .find(|(k, _)| k == c)
                .map_or("", |(_, v)| v.as_str());
            let _ = write!(s, "<td dir=\"auto\">{}</td>", esc(v));
        }
        let _ = write!(
            s,
            "<td>{} {}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
            esc(&r.status),
            esc(&r.status_date),
            esc(&r.file_name),
            esc(&r.received),
            esc(&r.first_seen),
            esc(&r.last_seen)
        );
    }
    s.push_str("</tbody></table>");
    s
}

fn person_link(id: &str) -> String {
    format!("<a href=\"/persons/{0}\">{0}</a>", esc(id))
}

pub async fn person(
    State(state): State<Arc<AppState>>,
    Path(person_id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let st = state.clone();
    let view = tokio::task::spawn_blocking(move || {
        let reader = st.reader.lock().unwrap_or_else(|e| e.into_inner());
        listlink_store::person(&reader, &person_id)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?;
    let Some(p) = view else {
        return Ok(layout(
            &state,
            "No such person",
            "",
            "<h1>No such person</h1><p>Person ids look like P-000012.</p>",
        ));
    };
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\">created {}",
        esc(&p.person_id),
        esc(&p.created)
    );
    if let Some(m) = &p.merged_into {
        let _ = write!(body, " · merged into {}", person_link(m));
    }
    if let Some(m) = &p.split_from {
        let _ = write!(body, " · split from {}", person_link(m));
    }
    if !p.merged_from.is_empty() {
        let links: Vec<String> = p.merged_from.iter().map(|m| person_link(m)).collect();
        let _ = write!(body, " · merged from {}", links.join(", "));
    }
    if !p.split_off.is_empty() {
        let links: Vec<String> = p.split_off.iter().map(|m| person_link(m)).collect();
        let _ = write!(body, " · split off {}", links.join(", "));
    }
    body.push_str("</p><h2>Records</h2>");
    let records: Vec<listlink_store::StoredRecord> =
        p.records.iter().map(|r| r.record.clone()).collect();
    body.push_str(&records_table(&records));
    body.push_str("<h2>History</h2><table id=\"history\"><thead><tr><th>date</th><th>record</th><th>event</th><th>detail</th></tr></thead><tbody>");
    for (date, record, event, detail) in &p.history {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td dir=\"auto\">{}</td></tr>",
            esc(date),
            esc(record),
            esc(event),
            esc(detail)
        );
    }
    body.push_str("</tbody></table><h2>Decisions</h2><table id=\"decisions\"><thead><tr><th>#</th><th>pair</th><th>decision</th><th>by</th><th>at</th><th>note</th></tr></thead><tbody>");
    for d in &p.decisions {
        let _ = write!(
            body,
            "<tr{}><td>{}</td><td>{} · {}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if d.undone { " class=\"undone\"" } else { "" },
            d.id,
            esc(&d.left),
            esc(&d.right),
            esc(&d.decision),
            d.undoes.map_or(String::new(), |u| format!(" of #{u}")),
            esc(&d.by),
            esc(&d.at),
            esc(&d.note)
        );
    }
    body.push_str("</tbody></table>");
    Ok(layout(&state, &p.person_id, "", &body))
}

#[derive(Deserialize)]
pub struct RosterFilter {
    status: Option<String>,
    source: Option<String>,
}

fn query_string(f: &RosterFilter) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "status={}&source={}",
        enc(f.status.as_deref().unwrap_or("")),
        enc(f.source.as_deref().unwrap_or(""))
    )
}

pub async fn roster(
    State(state): State<Arc<AppState>>,
    Query(filter): Query<RosterFilter>,
) -> Result<Html<String>, ApiError> {
    let st = state.clone();
    let (status, source) = (filter.status.clone(), filter.source.clone());
    let (all, rows) = tokio::task::spawn_blocking(move || {
        let all = roster_rows(&st, None, None)?;
        let rows = roster_rows(&st, status.as_deref(), source.as_deref())?;
        Ok::<_, ApiError>((all, rows))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))??;
    let (header, all_rows) = all;
    let col = |n: &str| header.iter().position(|h| h == n);
    let mut statuses: Vec<&str> = Vec::new();
    let mut sources: Vec<&str> = Vec::new();
    for r in &all_rows {
        if let Some(c) = col("status")
            && !r[c].is_empty()
            && !statuses.contains(&r[c].as_str())
        {
            statuses.push(&r[c]);
        }
        if let Some(c) = col("records") {
            for s in r[c]
                .split(';')
                .filter_map(|k| k.split_once(':').map(|(s, _)| s))
            {
                if !sources.contains(&s) {
                    sources.push(s);
                }
            }
        }
    }
    statuses.sort();
    sources.sort();
    let options = |values: &[&str], chosen: Option<&str>| -> String {
        let mut s = String::from("<option value=\"\">any</option>");
        for v in values {
            let _ = write!(
                s,
                "<option{}>{}</option>",
                if Some(*v) == chosen { " selected" } else { "" },
                esc(v)
            );
        }
        s
    };
    let mut body = format!(
        "<h1>Roster</h1><form class=\"filters\" method=\"get\" action=\"/roster\">
<label>status <select name=\"status\">{}</select></label>
<label>source <select name=\"source\">{}</select></label>
<button>Filter</button> <a id=\"csv\" href=\"/roster.csv?{}\" download=\"roster.csv\">Download CSV</a>
<span class=\"muted\">{} of {} persons</span></form>",
        options(&statuses, filter.status.as_deref()),
        options(&sources, filter.source.as_deref()),
        query_string(&filter),
        rows.1.len(),
        all_rows.len(),
    );
    body.push_str("<table id=\"roster\"><thead><tr>");
    for h in &rows.0 {
        let _ = write!(body, "<th>{}</th>", esc(h));
    }
    body.push_str("</tr></thead><tbody>");
    for r in &rows.1 {
        body.push_str("<tr>");
        for (i, v) in r.iter().enumerate() {
            if rows.0[i] == "person_id" {
                let _ = write!(body, "<td>{}</td>", person_link(v));
            } else {
                let _ = write!(body, "<td dir=\"auto\">{}</td>", esc(v));
            }
        }
        body.push_str("</tr>");
    }
    body.push_str("</tbody></table>");
    Ok(layout(&state, "Roster", "Roster", &body))
}

/// The filtered roster as CSV (byte-order mark, cells made safe for spreadsheets).
pub async fn roster_csv(
    State(state): State<Arc<AppState>>,
    Query(filter): Query<RosterFilter>,
) -> Result<Response, ApiError> {
    let (header, rows) = tokio::task::spawn_blocking(move || {
        roster_rows(&state, filter.status.as_deref(), filter.source.as_deref())
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))??;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(listlink_core::export::BOM.to_vec());
    let safe = |c: &String| listlink_core::export::safe_cell(c).into_owned();
    let write_err =
        |e: csv::Error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string());
    w.write_record(header.iter().map(safe)).map_err(write_err)?;
    for r in &rows {
        w.write_record(r.iter().map(safe)).map_err(write_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"roster.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A bar chart as inline SVG: bars of `values` (0..=1) in pairs per label (m, u).
fn level_chart(labels: &[String], m: &[f64], u: &[f64]) -> String {
    let bar = 14.0;
    let row = 2.0 * bar + 10.0;
    let width = 620.0;
    let left = 230.0;
    let height = row * labels.len() as f64 + 20.0;
    let mut s = format!(
        "<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">"
    );
    for (i, label) in labels.iter().enumerate() {
        let y = i as f64 * row + 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + bar + 4.0,
            esc(label)
        );
        for (k, (v, class)) in [(m[i], "m"), (u[i], "u")].iter().enumerate() {
            let w = (v.clamp(0.0, 1.0) * (width - left - 60.0)).max(0.5);
            let yy = y + k as f64 * bar;
            let _ = write!(
                s,
                "<rect class=\"{class}\" x=\"{left}\" y=\"{yy}\" width=\"{w:.1}\" height=\"{}\"><title>{class} = {v:.4}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" class=\"small\">{class} {v:.3}</text>",
                bar - 2.0,
                left + w + 4.0,
                yy + bar - 3.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A histogram of pair weights with the thresholds marked, as inline SVG.
fn weight_chart(weights: &[f64], review: f64, matched: f64) -> String {
    let (width, height, pad) = (620.0, 180.0, 30.0);
    if weights.is_empty() {
        return "<p class=\"muted\">No scored pairs yet.</p>".into();
    }
    let lo = weights
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(review)
        - 1.0;
    let hi = weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(matched)
        + 1.0;
    let bins = 40usize;
    let mut counts = vec![0u64; bins];
    for w in weights {
        let b = (((w - lo) / (hi - lo)) * bins as f64) as usize;
        counts[b.min(bins - 1)] += 1;
    }
    let most = *counts.iter().max().unwrap_or(&1) as f64;
    let x = |w: f64| pad + (w - lo) / (hi - lo) * (width - 2.0 * pad);
    let bw = (width - 2.0 * pad) / bins as f64;
    let mut s = format!(
        "<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">"
    );
    for (i, c) in counts.iter().enumerate() {
        let h = (*c as f64 / most) * (height - 2.0 * pad);
        let _ = write!(
            s,
            "<rect class=\"m\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{c} pairs</title></rect>",
            pad + i as f64 * bw,
            height - pad - h,
            (bw - 1.0).max(0.5)
        );
    }
    for (w, label) in [(review, "review"), (matched, "match")] {
        let _ = write!(
            s,
            "<line class=\"threshold\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{0:.1}\" y=\"{3}\" class=\"small\" text-anchor=\"middle\">{label} {w:.1}</text>",
            x(w),
            pad - 8.0,
            height - pad,
            pad - 12.0
        );
    }
    let _ = write!(
        s,
        "<text x=\"{pad}\" y=\"{}\" class=\"small\">{lo:.0}</text><text x=\"{}\" y=\"{}\" class=\"small\" text-anchor=\"end\">{hi:.0} (match weight, bits)</text></svg>",
        height - 10.0,
        width - pad,
        height - 10.0
    );
    s
}

pub async fn model(State(state): State<Arc<AppState>>) -> Result<Html<String>, ApiError> {
    let matcher = state.matcher();
    let st = state.clone();
    let probabilities = tokio::task::spawn_blocking(move || {
        let reader = st.reader.lock().unwrap_or_else(|e| e.into_inner());
        listlink_store::pair_probabilities(&reader)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", e.to_string()))?;
    let weight = listlink_core::weight_of;
    let weights: Vec<f64> = probabilities
        .iter()
        .map(|p| weight(p.clamp(1e-12, 1.0 - 1e-12)))
        .collect();
    let t = &matcher.settings().thresholds;
    let model = matcher.model();
    let mut body = format!(
        "<h1>Model</h1><p class=\"muted\">version {} · prior λ = {:.6} · thresholds: match {:.2}, review {:.2}</p>
<h2>Weights of the stored pairs</h2>{}",
        matcher.model_version(),
        model.prior,
        t.match_probability,
        t.review_probability,
        weight_chart(&weights, weight(t.review_probability), weight(t.match_probability)),
    );
    body.push_str("<h2>m and u per level</h2><p class=\"muted\">m: how often the level is seen among pairs of the same person; u: among pairs of different people.</p>");
    for c in &model.comparisons {
        let levels = &c.levels[1..];
        let labels: Vec<String> = levels.iter().map(|l| l.label.clone()).collect();
        let m: Vec<f64> = levels.iter().map(|l| l.m).collect();
        let u: Vec<f64> = levels.iter().map(|l| l.u).collect();
        let _ = write!(
            body,
            "<h3>{}</h3>{}",
            esc(&c.name),
            level_chart(&labels, &m, &u)
        );
    }
    Ok(layout(&state, "Model", "Model", &body))
}
