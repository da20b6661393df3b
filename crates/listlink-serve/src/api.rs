//! The JSON API: look-ups, persons, the review queue, decisions and lists.

use crate::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use listlink_store::{Decision, DecisionRow, Matcher, PersonView, ReviewPair, Store, StoredRecord};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex, MutexGuard};

/// A 4xx or 5xx answer: `{"error": {"field": …, "message": …}}`. Messages name fields and
/// records by their keys, never by a value.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    field: String,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, field, message)
    }

    /// A store error, with the status that says what kind it is.
    pub(crate) fn store(field: &str, e: listlink_store::Error) -> Self {
        use listlink_store::Error as E;
        let status = match &e {
            E::NotFound { .. } => StatusCode::NOT_FOUND,
            E::Contradiction(_) => StatusCode::CONFLICT,
            E::Usage(_) | E::Rejected(_) | E::Core(_) => StatusCode::UNPROCESSABLE_ENTITY,
            E::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            E::Store { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, field, e.to_string())
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"field": self.field, "message": self.message}})),
        )
            .into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// `Json`, whose rejections are [`ApiError`]s naming the field at fault.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let text = rejection.body_text();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            status,
            "body",
            format!(
                "the request body is larger than {} bytes",
                crate::MAX_JSON_BYTES
            ),
        );
    }
    if let JsonRejection::JsonDataError(_) = rejection {
        // serde's path to the value at fault, then what was wrong with it.
        let detail = text
            .split_once("target type: ")
            .map_or(text.as_str(), |(_, d)| d);
        let field = if let Some(rest) = detail.split("missing field `").nth(1) {
            rest.split('`').next().unwrap_or("").to_string()
        } else if let Some(rest) = detail.split("unknown field `").nth(1) {
            rest.split('`').next().unwrap_or("").to_string()
        } else {
            detail
                .split_once(": ")
                .map_or("body", |(path, _)| path)
                .to_string()
        };
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, field, detail.to_string());
    }
    let field = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        "content-type"
    } else {
        "body"
    };
    ApiError::new(status, field, text)
}

pub(crate) fn lock(m: &Mutex<Store>) -> MutexGuard<'_, Store> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs blocking store or linkage work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("a worker failed: {e}")))?
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "path", "no such route")
}

pub async fn healthz(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let matcher = state.matcher();
    Ok(Json(json!({
        "status": "ok",
        "records": matcher.records(),
        "model_version": matcher.model_version(),
    })))
}

pub async fn csrf(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({"csrf_token": state.csrf, "header": crate::security::CSRF_HEADER}))
}

pub async fn openapi() -> Json<Value> {
    Json(openapi::document())
}

// ---- persons, review ----

pub fn stored_json(r: &StoredRecord) -> Value {
    let values: Map<String, Value> = r
        .values
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    json!({
        "key": format!("{}:{}", r.source, r.id),
        "source": r.source,
        "id": r.id,
        "values": values,
        "status": r.status,
        "status_date": r.status_date,
        "first_seen": r.first_seen,
        "last_seen": r.last_seen,
        "list_version": r.version,
        "file_name": r.file_name,
        "received": r.received,
    })
}

pub fn decision_json(d: &DecisionRow) -> Value {
    json!({
        "id": d.id,
        "left": d.left,
        "right": d.right,
        "decision": d.decision.replace('-', "_"),
        "by": d.by,
        "at": d.at,
        "note": d.note,
        "model_version": d.model_version,
        "probability": d.probability,
        "undoes": d.undoes,
        "undone": d.undone,
    })
}

pub fn person_json(p: &PersonView) -> Value {
    json!({
        "person_id": p.person_id,
        "created": p.created,
        "merged_into": p.merged_into,
        "split_from": p.split_from,
        "merged_from": p.merged_from,
        "split_off": p.split_off,
        "records": p.records.iter().map(|r| stored_json(&r.record)).collect::<Vec<_>>(),
        "history": p.history.iter().map(|(date, record, event, detail)| json!({
            "date": date, "record": record, "event": event, "detail": detail,
        })).collect::<Vec<_>>(),
        "decisions": p.decisions.iter().map(decision_json).collect::<Vec<_>>(),
    })
}

pub async fn person(
    State(state): State<Arc<AppState>>,
    Path(person_id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let reader = lock(&state.reader);
        match listlink_store::person(&reader, &person_id).map_err(|e| ApiError::store("", e))? {
            Some(p) => Ok(Json(person_json(&p))),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "person_id",
                "no such person (ids look like P-000012)",
            )),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    limit: Option<String>,
}

fn parse_count(field: &str, text: Option<&str>, default: usize, most: usize) -> ApiResult<usize> {
    match text {
        None => Ok(default),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=most).contains(&n) => Ok(n),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                field,
                format!("{field} must be a whole number from 1 to {most}"),
            )),
        },
    }
}

pub fn review_json(p: &ReviewPair) -> Value {
    json!({
        "left": stored_json(&p.left),
        "right": stored_json(&p.right),
        "left_person": p.left_person,
        "right_person": p.right_person,
        "probability": p.probability,
        "records_touched": p.records_touched,
        "has_status": p.has_status,
        "unsure": p.unsure,
    })
}

/// Query parameters as a map, so that an unknown one is named in the answer.
pub(crate) fn query_rejection(e: axum::extract::rejection::QueryRejection) -> ApiError {
    let text = e.body_text();
    let field = text
        .split("unknown field `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap_or("query")
        .to_string();
    ApiError::new(StatusCode::BAD_REQUEST, field, text)
}

pub async fn review(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ReviewQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(query_rejection)?;
    let limit = parse_count("limit", q.limit.as_deref(), 20, 1_000)?;
    blocking(move || {
        let reader = lock(&state.reader);
        let pairs =
            listlink_store::review_queue(&reader, limit).map_err(|e| ApiError::store("", e))?;
        Ok(Json(json!({
            "pairs": pairs.iter().map(review_json).collect::<Vec<_>>(),
        })))
    })
    .await
}

pub(crate) fn record_key<'a>(field: &str, text: Option<&'a str>) -> ApiResult<(&'a str, &'a str)> {
    let Some(text) = text else {
        return Err(ApiError::unprocessable(
            field,
            format!("{field} is required: a record as SOURCE:ID"),
        ));
    };
    match text.split_once(':') {
        Some((s, i)) if !s.is_empty() && !i.is_empty() => Ok((s, i)),
        _ => Err(ApiError::unprocessable(
            field,
            format!("{field} is not a record: give SOURCE:ID"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    status: Option<String>,
    source: Option<String>,
}

/// The roster (one row per person) as JSON rows, filtered by status and source.
pub async fn roster(
    State(state): State<Arc<AppState>>,
    query: Result<Query<RosterQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(query_rejection)?;
    blocking(move || {
        let rows = roster_rows(&state, q.status.as_deref(), q.source.as_deref())?;
        Ok(Json(json!({"columns": rows.0, "rows": rows.1})))
    })
    .await
}

/// The roster's header and its rows filtered by status (exact) and source (one of the
/// person's sources).
pub fn roster_rows(
    state: &AppState,
    status: Option<&str>,
    source: Option<&str>,
) -> ApiResult<(Vec<String>, Vec<Vec<String>>)> {
    let files = {
        let reader = lock(&state.reader);
        listlink_store::roster(&reader, &listlink_store::Since::LastAdd)
            .map_err(|e| ApiError::store("", e))?
    };
    let bytes = files.roster;
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(text);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::internal(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (status_col, records_col) = (col("status"), col("records"));
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| ApiError::internal(e.to_string()))?;
        let row: Vec<String> = r.iter().map(String::from).collect();
        if let (Some(want), Some(c)) = (status, status_col)
            && !want.is_empty()
            && row[c] != want
        {
            continue;
        }
        // `records` holds `source:id;…`: the person has a record of the source.
        if let (Some(want), Some(c)) = (source, records_col)
            && !want.is_empty()
            && !row[c]
                .split(';')
                .any(|k| k.split_once(':').is_some_and(|(s, _)| s == want))
        {
            continue;
        }
        rows.push(row);
    }
    Ok((header, rows))
}

pub async fn model(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let matcher = state.matcher();
    let t = &matcher.settings().thresholds;
    Ok(Json(json!({
        "model_version": matcher.model_version(),
        "model": matcher.model(),
        "thresholds": {
            "match_probability": t.match_probability,
            "review_probability": t.review_probability,
        },
    })))
}

// ---- decisions ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    left: String,
    right: String,
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    by: Option<String>,
}

fn who(by: Option<String>) -> ApiResult<String> {
    let by = by.unwrap_or_else(|| "desk".into());
    if by.trim().is_empty() || by.len() > 200 {
        return Err(ApiError::unprocessable(
            "by",
            "by names who decided: 1 to 200 characters",
        ));
    }
    Ok(by)
}

pub async fn post_decision(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> ApiResult<Response> {
    let decision = match request.decision.as_str() {
        "match" => Decision::Match,
        "not_match" | "not-match" => Decision::NotMatch,
        "unsure" => Decision::Unsure,
        _ => {
            return Err(ApiError::unprocessable(
                "decision",
                "decision must be match, not_match or unsure",
            ));
        }
    };
    record_key("left", Some(&request.left))?;
    record_key("right", Some(&request.right))?;
    if request.note.len() > 10_000 {
        return Err(ApiError::unprocessable(
            "note",
            "a note holds at most 10,000 bytes",
        ));
    }
    let by = who(request.by)?;
    blocking(move || {
        let left = record_key("left", Some(&request.left))?;
        let right = record_key("right", Some(&request.right))?;
        let mut writer = lock(&state.writer);
        let r = listlink_store::decide(&mut writer, left, right, decision, &by, &request.note)
            .map_err(|e| {
                let field = match &e {
                    listlink_store::Error::NotFound { message, .. }
                        if message.contains(&format!("`{}:{}`", right.0, right.1)) =>
                    {
                        "right"
                    }
                    listlink_store::Error::NotFound { .. } => "left",
                    _ => "decision",
                };
                ApiError::store(field, e)
            })?;
        // `decide` returned: its transaction is committed (synchronous = FULL), so the 201
        // promises a decision that survives a crash.
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "id": r.id,
                "persons": [r.persons.0, r.persons.1],
                "probability": r.probability,
                "merges": r.changes.merges,
                "splits": r.changes.splits,
            })),
        )
            .into_response())
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsQuery {
    since: Option<String>,
}

pub async fn list_decisions(
    State(state): State<Arc<AppState>>,
    query: Result<Query<DecisionsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(query_rejection)?;
    // A decision id (the decisions after it), or a date or UTC time (the decisions from then).
    enum Since {
        Id(i64),
        Date(String),
    }
    let since = match q.since.as_deref() {
        None => Since::Id(0),
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n >= 0 => Since::Id(n),
            _ if is_date_or_time(t) => Since::Date(t.to_string()),
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "since",
                    "since is a decision id (a whole number: the decisions after it), or a date YYYY-MM-DD or UTC time YYYY-MM-DDTHH:MM:SSZ (the decisions from then)",
                ));
            }
        },
    };
    blocking(move || {
        let reader = lock(&state.reader);
        let (rows, after) = match &since {
            Since::Id(n) => (listlink_store::decisions_since(&reader, *n), *n),
            Since::Date(d) => (listlink_store::decisions_from(&reader, d), 0),
        };
        let rows = rows.map_err(|e| ApiError::store("", e))?;
        Ok(Json(json!({
            "decisions": rows.iter().map(decision_json).collect::<Vec<_>>(),
            "last_id": rows.last().map_or(after, |d| d.id),
        })))
    })
    .await
}

/// `YYYY-MM-DD`, a real date, optionally followed by `THH:MM:SSZ`.
fn is_date_or_time(t: &str) -> bool {
    let (date, time) = t.split_at(t.len().min(10));
    let date_ok = listlink_core::parse_iso_date(date).is_some();
    let b = time.as_bytes();
    let time_ok = b.is_empty()
        || (b.len() == 10
            && b[0] == b'T'
            && b[9] == b'Z'
            && b[3] == b':'
            && b[6] == b':'
            && [1, 2, 4, 5, 7, 8].iter().all(|&i| b[i].is_ascii_digit()));
    date_ok && time_ok
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndoQuery {
    by: Option<String>,
    note: Option<String>,
}

pub async fn undo_decision(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    query: Result<Query<UndoQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(query_rejection)?;
    let id: i64 = id.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "id",
            "a decision id is a whole number",
        )
    })?;
    let by = who(q.by)?;
    let note = q.note.unwrap_or_default();
    blocking(move || {
        let mut writer = lock(&state.writer);
        let r = listlink_store::undo(&mut writer, id, &by, &note)
            .map_err(|e| ApiError::store("id", e))?;
        Ok(Json(json!({
            "id": r.id,
            "undone": r.undone,
            "merges": r.changes.merges,
            "splits": r.changes.splits,
        })))
    })
    .await
}

// ---- lists ----

/// Adds an uploaded list as `listlink add` does (multipart fields: `file`, optional `source`
/// and `received`), then loads the roster again for look-ups.
/// `POST /api/lists`: the list added as `listlink add` adds it. With `Accept:
/// application/x-ndjson` the answer is streamed as it goes: one `{"stage": …}` line per stage,
/// then `{"result": …}` (or `{"error": …}`).
pub async fn add_list(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> ApiResult<Response> {
    let streamed = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/x-ndjson"));
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut source = None;
    let mut received = None;
    let bad = |field: &str, e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        ApiError::new(
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                status
            } else {
                StatusCode::BAD_REQUEST
            },
            field,
            e.body_text(),
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| bad("body", e))? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("list.csv").to_string();
                let bytes = field.bytes().await.map_err(|e| bad("file", e))?;
                file = Some((file_name, bytes.to_vec()));
            }
            "source" => source = Some(field.text().await.map_err(|e| bad("source", e))?),
            "received" => received = Some(field.text().await.map_err(|e| bad("received", e))?),
            other => {
                return Err(ApiError::unprocessable(
                    other.to_string(),
                    "unknown field: give file, and optionally source and received",
                ));
            }
        }
    }
    let Some((file_name, bytes)) = file else {
        return Err(ApiError::unprocessable(
            "file",
            "the list is required as the `file` field",
        ));
    };
    // Only the last path component, and only characters safe in a file name.
    let file_name: String = std::path::Path::new(&file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file_name = if file_name.is_empty() || file_name.starts_with('.') {
        "list.csv".to_string()
    } else {
        file_name
    };
    let received = received.unwrap_or_else(listlink_store::today);
    let iso_shape = received.len() == 10
        && received.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !iso_shape || listlink_core::parse_iso_date(&received).is_none() {
        return Err(ApiError::unprocessable(
            "received",
            "received is a date, YYYY-MM-DD",
        ));
    }
    let work = move |on_stage: &dyn Fn(&str)| -> ApiResult<Value> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let path = dir.path().join(&file_name);
        std::fs::write(&path, &bytes).map_err(|e| ApiError::internal(e.to_string()))?;
        let headers = listlink_core::ingest::read_headers(&path, None)
            .map_err(|e| ApiError::unprocessable("file", e.to_string()))?;
        let name = path.display().to_string();
        let (list_settings, _) =
            listlink_core::settings::infer_for_files(&[name.as_str()], &[headers.as_slice()])
                .map_err(|e| ApiError::unprocessable("file", e.to_string()))?;
        let options = listlink_store::AddOptions {
            source: source.filter(|s| !s.is_empty()),
            received,
            list_settings,
            settings_given: false,
            retrain: false,
            model: None,
            encoding: None,
            strict: false,
        };
        let report = {
            let mut writer = lock(&state.writer);
            listlink_store::add_with_progress(&mut writer, &path, &options, on_stage)
                .map_err(|e| ApiError::store("file", e))?
        };
        on_stage("loading the roster for look-ups");
        let matcher = {
            let reader = lock(&state.reader);
            Matcher::load(&reader).map_err(|e| ApiError::store("", e))?
        };
        *state.matcher.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(matcher);
        Ok(json!({
            "list_version": report.version,
            "rows_read": report.rows_read,
            "rows_accepted": report.rows_accepted,
            "rows_rejected": report.rows_rejected,
            "rejects": report.rejects.iter().take(100).map(|r| json!({
                "line": r.line, "field": r.field, "reason": r.reason, "severity": r.severity.to_string(),
            })).collect::<Vec<_>>(),
            "new_records": report.new_records,
            "updated_records": report.updated_records,
            "status_changes": report.status_changes,
            "pairs_scored": report.pairs_scored,
            "persons": report.persons.persons,
            "new_persons": report.persons.new_persons,
            "merges": report.persons.merges,
            "splits": report.persons.splits,
        }))
    };
    if !streamed {
        return blocking(move || work(&|_| {}).map(|v| Json(v).into_response())).await;
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<String, std::io::Error>>();
    tokio::task::spawn_blocking(move || {
        let send = |line: Value| {
            // A client that went away stops reading; the add goes on to its end all the same.
            let _ = tx.send(Ok(format!("{line}\n")));
        };
        match work(&|stage| send(json!({ "stage": stage }))) {
            Ok(v) => send(json!({ "result": v })),
            Err(e) => send(
                json!({ "error": {"status": e.status.as_u16(), "field": e.field, "message": e.message} }),
            ),
        }
    });
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/x-ndjson")
        .body(axum::body::Body::from_stream(
            tokio_stream::wrappers::UnboundedReceiverStream::new(rx),
        ))
        .map_err(|e| ApiError::internal(e.to_string()))
}
