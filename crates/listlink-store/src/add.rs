//! `add`: one list version in one transaction — records new, updated or unchanged; new and
//! changed records scored against the stored ones (core's `find`) and against each other
//! (core's `dedupe`) with the stored model; persons recomputed.

use crate::persons::{self, ClusterReport};
use crate::{Error, Result, Store};
use listlink_core::StrColumn;
use listlink_core::ingest::{ReadOptions, read_file};
use listlink_core::settings::FieldKind;
use listlink_core::{Input, LinkType, Model, RecordTable, Reject, RunOptions, Settings, Severity};
use rusqlite::{OptionalExtension, params};
use rustc_hash::FxHashMap;
use sha2::Digest;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

/// How to add a list.
#[derive(Debug, Clone)]
pub struct AddOptions {
    /// The source of rows without a `source` column (default: the file's name).
    pub source: Option<String>,
    /// The date the list was received, `YYYY-MM-DD`: the date of its records' history.
    pub received: String,
    /// Settings for this list: given by the user, or inferred from its headers.
    pub list_settings: Settings,
    /// Whether `list_settings` were given (`--settings`) rather than inferred.
    pub settings_given: bool,
    /// Train the model again on every record, and score every pair again with it.
    pub retrain: bool,
    /// A trained model to score with (kept in the store as its model).
    pub model: Option<Model>,
    /// The list's encoding (default: detected).
    pub encoding: Option<String>,
    /// Add nothing if any row is rejected.
    pub strict: bool,
}

/// What an add did, in counts (no personal data).
#[derive(Debug, Clone, Default)]
pub struct AddReport {
    pub version: i64,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejects: Vec<Reject>,
    pub new_records: u64,
    pub updated_records: u64,
    pub status_changes: u64,
    pub unchanged_records: u64,
    pub pairs_scored: u64,
    pub model_trained: bool,
    pub persons: ClusterReport,
    /// Seconds: reading the list, loading the stored records, scoring, persons, writing.
    pub seconds: Vec<(&'static str, f64)>,
}

/// A record as kept: values in its shape's header order.
pub(crate) struct Stored {
    pub rid: i64,
    pub source: String,
    pub id: String,
    pub shape: i64,
    pub line: u64,
    pub vals: Vec<String>,
}

/// The column holding a record's status, if the list has one.
fn status_column(headers: &[String]) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("status"))
}

/// Adds one list to the store (creating its settings and model on the first add).
pub fn add(store: &mut Store, list: &Path, options: &AddOptions) -> Result<AddReport> {
    add_with_progress(store, list, options, &|_| {})
}

/// [`add`], telling `on_stage` each stage as it starts (for a progress display; no data).
pub fn add_with_progress(
    store: &mut Store,
    list: &Path,
    options: &AddOptions,
    on_stage: &dyn Fn(&str),
) -> Result<AddReport> {
    crate::persons::in_transaction(store, |store| add_in(store, list, options, on_stage))
}

fn add_in(
    store: &Store,
    list: &Path,
    options: &AddOptions,
    on_stage: &dyn Fn(&str),
) -> Result<AddReport> {
    on_stage("reading the list");
    let mut report = AddReport::default();
    let clock = Instant::now();
    let stored_settings = store.settings()?;
    let first = stored_settings.is_none();
    let mut list_settings = options.list_settings.clone();
    list_settings.as_of = None;
    let (mut settings, inferred) = match stored_settings {
        None => (list_settings.clone(), !options.settings_given),
        Some(_) if options.retrain && options.settings_given => (list_settings.clone(), false),
        Some(mut kept) => {
            if options.settings_given && kept.to_toml() != list_settings.to_toml() {
                return Err(Error::Usage(format!(
                    "store {} keeps the settings of its first add; these --settings differ: give --retrain to train again with them",
                    store.path.display()
                )));
            }
            // A later list with other headers: its columns join the fields of the same role.
            for f in &list_settings.fields {
                if let Some(k) = kept.fields.iter_mut().find(|k| k.name == f.name) {
                    for c in &f.columns {
                        if !k.columns.contains(c) {
                            k.columns.push(c.clone());
                        }
                    }
                }
            }
            for (k, l) in [
                (&mut kept.id_columns, &list_settings.id_columns),
                (&mut kept.source_columns, &list_settings.source_columns),
            ] {
                for c in l {
                    if !k.contains(c) {
                        k.push(c.clone());
                    }
                }
            }
            (kept, store.rules_inferred()?)
        }
    };
    let bytes = std::fs::read(list).map_err(|e| {
        Error::Core(listlink_core::Error::Io {
            path: list.to_path_buf(),
            cause: e,
        })
    })?;
    let sha = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    drop(bytes);
    let file_name = list
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let default_source = options.source.clone().unwrap_or_else(|| {
        list.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "list".into())
    });
    let read = read_file(
        list,
        &ReadOptions {
            id_columns: settings.id_columns.clone(),
            source_columns: settings.source_columns.clone(),
            encoding: options.encoding.clone(),
            source_name: Some(default_source.clone()),
        },
    )?;
    let table = read.table;
    report.rows_read = read.summary.rows_read;
    report.rows_accepted = read.summary.rows_accepted;
    report.rows_rejected = read.summary.rows_rejected;
    report.rejects = read.rejects;
    report.rejects.extend(listlink_core::field_warnings(
        std::iter::once(&table),
        &settings,
    ));
    if options.strict && !report.rejects.is_empty() {
        let errors = report
            .rejects
            .iter()
            .filter(|r| r.severity == Severity::Error)
            .count();
        return Err(Error::Rejected(format!(
            "{}: {errors} row(s) rejected and {} warning(s) under --strict; nothing added",
            list.display(),
            report.rejects.len() - errors
        )));
    }
    let has_name = settings
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Name)
        .any(|f| f.columns.iter().any(|c| table.headers.contains(c)));
    if !has_name {
        return Err(Error::Usage(format!(
            "{}: no name column of the store's settings ({})",
            list.display(),
            listlink_core::describe_headers(&table.headers)
        )));
    }
    report
        .seconds
        .push(("read list", clock.elapsed().as_secs_f64()));
    on_stage("opening the store");

    let clock = Instant::now();
    let conn = &store.conn;
    let sql = |e| store.sql_err(e);
    let version: i64 = conn
        .query_row("SELECT coalesce(max(version), 0) + 1 FROM lists", [], |r| {
            r.get(0)
        })
        .map_err(sql)?;
    report.version = version;
    let first_event: i64 = conn
        .query_row("SELECT coalesce(max(seq), 0) + 1 FROM events", [], |r| {
            r.get(0)
        })
        .map_err(sql)?;
    let received = options.received.as_str();
    settings.as_of = Some(received.to_string());

    let mut shapes = load_shapes(store)?;
    let headers_json = serde_json::to_string(&table.headers).expect("strings serialise");
    let shape = match shapes.iter().find(|(_, h)| *h == table.headers) {
        Some((s, _)) => *s,
        None => {
            conn.execute("INSERT INTO shapes (headers) VALUES (?1)", [&headers_json])
                .map_err(sql)?;
            let s = conn.last_insert_rowid();
            shapes.push((s, table.headers.clone()));
            s
        }
    };
    // Scoring against the stored records reads the look-up index: made again first if the
    // settings changed (a list's columns joined the fields) or a store of version 2 has none.
    let incremental = !first && !options.retrain;
    if incremental {
        crate::index::ensure(store, &settings)?;
    }
    report
        .seconds
        .push(("load store", clock.elapsed().as_secs_f64()));
    on_stage("writing records");

    let clock = Instant::now();
    let status_col = status_column(&table.headers);
    // Rows of the list to score: new records, and records whose values changed (a status alone
    // changes no pair's score).
    let mut query_rows: Vec<usize> = Vec::new();
    let mut query_rids: Vec<i64> = Vec::new();
    let mut rescored: Vec<i64> = Vec::new();
    // The stored versions of changed records: their keys and counts leave the index.
    let mut old_versions: Vec<Stored> = Vec::new();
    {
        let mut stored = conn
            .prepare_cached("SELECT rid FROM records WHERE source = ?1 AND id = ?2")
            .map_err(sql)?;
        let mut insert = conn
            .prepare_cached(
                "INSERT INTO records (source, id, shape, line, vals, name, sex, birth, status,
                 status_date, first_seen, last_seen, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
            )
            .map_err(sql)?;
        let mut update = conn
            .prepare_cached(
                "UPDATE records SET shape = ?2, line = ?3, vals = ?4, name = ?5, sex = ?6,
                 birth = ?7, status = ?8, status_date = CASE WHEN ?9 THEN ?10 ELSE status_date END,
                 last_seen = ?10, version = ?11 WHERE rid = ?1",
            )
            .map_err(sql)?;
        let mut seen = conn
            .prepare_cached("UPDATE records SET last_seen = ?2 WHERE rid = ?1")
            .map_err(sql)?;
        let mut event = conn
            .prepare_cached(
                "INSERT INTO events (date, version, rid, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(sql)?;
        for row in 0..table.len() {
            let source = table.sources.get(row);
            let id = table.ids.get(row);
            let vals: Vec<&str> = table.columns.iter().map(|c| c.get(row)).collect();
            let status = status_col.map_or("", |c| vals[c]);
            let described = Described::of(&settings, &table.headers, &vals);
            let vals_json = serde_json::to_string(&vals).expect("strings serialise");
            let line = table.lines[row];
            let known: Option<i64> = stored
                .query_row(params![source, id], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            let old = match known {
                Some(rid) => crate::index::load(store, &[rid])?.pop(),
                None => None,
            };
            match old {
                None => {
                    insert
                        .execute(params![
                            source,
                            id,
                            shape,
                            line as i64,
                            vals_json,
                            described.name,
                            described.sex,
                            described.birth,
                            status,
                            if status.is_empty() { "" } else { received },
                            received,
                            version
                        ])
                        .map_err(sql)?;
                    let rid = conn.last_insert_rowid();
                    let detail = if status.is_empty() {
                        format!("{file_name} line {line}")
                    } else {
                        format!("{file_name} line {line}; status {status}")
                    };
                    event
                        .execute(params![received, version, rid, "added", detail])
                        .map_err(sql)?;
                    report.new_records += 1;
                    query_rows.push(row);
                    query_rids.push(rid);
                }
                Some(old) => {
                    let old_headers = &shapes
                        .iter()
                        .find(|(s, _)| *s == old.shape)
                        .expect("a stored record's shape is stored")
                        .1;
                    let old_status_col = status_column(old_headers);
                    let old_status = old_status_col.map_or("", |c| old.vals[c].as_str());
                    // Only columns this list has can change: a column it lacks says nothing.
                    let mut changes = Vec::new();
                    for (c, h) in table.headers.iter().enumerate() {
                        if Some(c) == status_col {
                            continue;
                        }
                        let before = old_headers
                            .iter()
                            .position(|o| o == h)
                            .map_or("", |o| old.vals[o].as_str());
                        if before != vals[c] {
                            changes.push(format!("{h}: {before} → {}", vals[c]));
                        }
                    }
                    let status_changed = status_col.is_some() && old_status != status;
                    let rid = old.rid;
                    if changes.is_empty() && !status_changed {
                        seen.execute(params![rid, received]).map_err(sql)?;
                        report.unchanged_records += 1;
                        continue;
                    }
                    update
                        .execute(params![
                            rid,
                            shape,
                            line as i64,
                            vals_json,
                            described.name,
                            described.sex,
                            described.birth,
                            status,
                            status_changed,
                            received,
                            version
                        ])
                        .map_err(sql)?;
                    if status_changed {
                        let from = if old_status.is_empty() {
                            "(none)"
                        } else {
                            old_status
                        };
                        let to = if status.is_empty() { "(none)" } else { status };
                        event
                            .execute(params![
                                received,
                                version,
                                rid,
                                "status changed",
                                format!("{from} → {to}")
                            ])
                            .map_err(sql)?;
                        report.status_changes += 1;
                    }
                    if !changes.is_empty() {
                        event
                            .execute(params![
                                received,
                                version,
                                rid,
                                "changed",
                                changes.join("; ")
                            ])
                            .map_err(sql)?;
                        query_rows.push(row);
                        query_rids.push(rid);
                        rescored.push(rid);
                    }
                    report.updated_records += 1;
                    if !changes.is_empty() {
                        old_versions.push(old);
                    }
                }
            }
        }
    }
    report
        .seconds
        .push(("records", clock.elapsed().as_secs_f64()));
    on_stage("scoring new and changed records");

    // Scoring.
    let clock = Instant::now();
    let stored_model = if options.retrain {
        None
    } else {
        match &options.model {
            Some(m) => Some(m.clone()),
            None => store.model()?.map(|(m, _)| m),
        }
    };
    let t = settings.thresholds.clone();
    let mut edges: Vec<(i64, i64, f64)> = Vec::new();
    let run_options = |link_type, model: Option<Model>| RunOptions {
        link_type,
        model,
        rules_inferred: inferred,
        top_k: 1,
        variants: None,
    };
    let mut keep_pairs = |run: &listlink_core::Run, rids: &[i64], edges: &mut Vec<_>| {
        for p in &run.pairs {
            let prob = p.probability();
            if prob >= t.review_probability {
                let (a, b) = (rids[p.a.index()], rids[p.b.index()]);
                edges.push((a.min(b), a.max(b), prob));
            }
        }
        report.pairs_scored += run.counts.candidate_pairs;
    };
    let (model, trained, full) = match stored_model {
        Some(model) => {
            let qtable = table.rows(&query_rows);
            // The index: the changed records' stored versions leave it, the list's records
            // join it.
            if !old_versions.is_empty() {
                let (tables, rids) = tables_of(store, &shapes, old_versions.iter());
                let (keys, counts) = crate::index::describe(tables, &settings)?;
                crate::index::put_keys(store, &rids, &keys, false)?;
                crate::index::put_counts(store, &counts, -1)?;
            }
            if !query_rows.is_empty() {
                let (keys, counts) = crate::index::describe(vec![qtable.clone()], &settings)?;
                crate::index::put_keys(store, &query_rids, &keys, true)?;
                crate::index::put_counts(store, &counts, 1)?;
                let query: BTreeSet<i64> = query_rids.iter().copied().collect();
                let (run, roster_rids) = crate::index::find_in_store(
                    store,
                    &settings,
                    &model,
                    qtable.clone(),
                    &keys,
                    &query,
                    1,
                )?;
                let mut rids = query_rids.clone();
                rids.extend(roster_rids);
                keep_pairs(&run, &rids, &mut edges);
                if query_rows.len() >= 2 {
                    let run = crate::index::dedupe_in_store(store, &settings, &model, qtable)?;
                    keep_pairs(&run, &query_rids, &mut edges);
                }
            }
            (model, false, false)
        }
        None => {
            // First add or --retrain: one dedupe run over every record trains the model and
            // scores every pair; the look-up index is made from it.
            let records = load_records(store)?;
            let (all, rids) = tables_of(store, &shapes, records.iter());
            drop(records);
            let inputs = all
                .into_iter()
                .map(|table| Input { table, side: 0 })
                .collect();
            let run = listlink_core::run(
                inputs,
                settings.clone(),
                &run_options(LinkType::Dedupe, None),
            )?;
            keep_pairs(&run, &rids, &mut edges);
            // The rules the run used (inferred ones over the pair budget dropped) are the
            // store's from now on.
            settings.blocking.rules = run.settings.blocking.rules.clone();
            crate::index::rebuild_from(store, &run, &rids)?;
            (run.model.clone(), true, true)
        }
    };
    report.model_trained = trained;
    report
        .seconds
        .push(("scoring", clock.elapsed().as_secs_f64()));
    on_stage("recomputing persons");

    let clock = Instant::now();
    if full {
        conn.execute("DELETE FROM edges", []).map_err(sql)?;
    } else {
        let mut del_a = conn
            .prepare_cached("DELETE FROM edges WHERE a = ?1")
            .map_err(sql)?;
        let mut del_b = conn
            .prepare_cached("DELETE FROM edges WHERE b = ?1")
            .map_err(sql)?;
        for rid in &rescored {
            del_a.execute([rid]).map_err(sql)?;
            del_b.execute([rid]).map_err(sql)?;
        }
    }
    edges.sort_by_key(|x| (x.0, x.1));
    edges.dedup_by(|x, y| (x.0, x.1) == (y.0, y.1));
    {
        let mut put = conn
            .prepare_cached(
                "INSERT OR REPLACE INTO edges (a, b, probability, version) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(sql)?;
        for (a, b, p) in &edges {
            put.execute(params![a, b, p, version]).map_err(sql)?;
        }
    }
    // A model given again, the same as the stored one, is not a new version.
    let stored_json = store.meta("model")?;
    let model_json = model.to_json();
    let model_changed = stored_json.as_deref() != Some(model_json.as_str());
    if first || options.retrain || options.settings_given {
        let mut kept = settings.clone();
        kept.as_of = None;
        store.set_meta("settings", &kept.to_toml())?;
        store.set_meta("settings_inferred", if inferred { "true" } else { "false" })?;
    } else {
        // Columns of this list's headers may have joined the fields.
        let mut kept = settings.clone();
        kept.as_of = None;
        store.set_meta("settings", &kept.to_toml())?;
    }
    if model_changed {
        let next = store.model()?.map_or(1, |(_, v)| v + 1);
        store.set_meta("model", &model_json)?;
        store.set_meta("model_version", &next.to_string())?;
    }
    report.persons = persons::recluster(store, Some(version), received, &t)?;
    conn.execute(
        "INSERT INTO lists (version, source, file_name, sha256, received, added_at, rows_read,
         rows_accepted, rows_rejected, new_records, updated_records, first_event)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            version,
            default_source,
            file_name,
            sha,
            received,
            crate::now(),
            report.rows_read as i64,
            report.rows_accepted as i64,
            report.rows_rejected as i64,
            report.new_records as i64,
            report.updated_records as i64,
            first_event
        ],
    )
    .map_err(sql)?;
    report
        .seconds
        .push(("persons and writing", clock.elapsed().as_secs_f64()));
    Ok(report)
}

/// The shapes (header lists) of stored records.
pub(crate) fn load_shapes(store: &Store) -> Result<Vec<(i64, Vec<String>)>> {
    let mut stmt = store
        .conn
        .prepare("SELECT shape, headers FROM shapes ORDER BY shape")
        .map_err(|e| store.sql_err(e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| store.sql_err(e))?;
    let mut out = Vec::new();
    for row in rows {
        let (shape, text) = row.map_err(|e| store.sql_err(e))?;
        let headers: Vec<String> = serde_json::from_str(&text)
            .map_err(|e| store.err(format!("shape {shape} is damaged: {e}")))?;
        out.push((shape, headers));
    }
    Ok(out)
}

/// The columns [`Stored::from_row`] reads, in its order.
pub(crate) const STORED_COLUMNS: &str = "rid, source, id, shape, line, vals";

impl Stored {
    /// A record from a row of [`STORED_COLUMNS`]; its values decoded, or an error naming it.
    pub(crate) fn from_row(store: &Store, r: &rusqlite::Row) -> Result<Stored> {
        let sql = |e| store.sql_err(e);
        let (source, id): (String, String) = (r.get(1).map_err(sql)?, r.get(2).map_err(sql)?);
        let vals: String = r.get(5).map_err(sql)?;
        let vals: Vec<String> = serde_json::from_str(&vals)
            .map_err(|e| store.err(format!("record {source}:{id} is damaged: {e}")))?;
        Ok(Stored {
            rid: r.get(0).map_err(sql)?,
            source,
            id,
            shape: r.get(3).map_err(sql)?,
            line: r.get::<_, i64>(4).map_err(sql)? as u64,
            vals,
        })
    }
}

/// Every stored record, in record order.
pub(crate) fn load_records(store: &Store) -> Result<Vec<Stored>> {
    let mut stmt = store
        .conn
        .prepare(&format!(
            "SELECT {STORED_COLUMNS} FROM records ORDER BY rid"
        ))
        .map_err(|e| store.sql_err(e))?;
    let mut rows = stmt.query([]).map_err(|e| store.sql_err(e))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| store.sql_err(e))? {
        out.push(Stored::from_row(store, r)?);
    }
    Ok(out)
}

/// Stored records rebuilt as record tables, one per shape (in shape order), and the record id
/// of each row in the tables' concatenated order.
pub(crate) fn tables_of<'a>(
    store: &Store,
    shapes: &[(i64, Vec<String>)],
    records: impl Iterator<Item = &'a Stored>,
) -> (Vec<RecordTable>, Vec<i64>) {
    let mut tables: Vec<(RecordTable, Vec<i64>)> = shapes
        .iter()
        .map(|(shape, headers)| {
            (
                RecordTable {
                    path: format!("{} (stored records, shape {shape})", store.path.display()),
                    headers: headers.clone(),
                    columns: vec![StrColumn::default(); headers.len()],
                    ..Default::default()
                },
                Vec::new(),
            )
        })
        .collect();
    let index: FxHashMap<i64, usize> = shapes
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (*s, i))
        .collect();
    for r in records {
        let (t, rids) = &mut tables[index[&r.shape]];
        t.sources.push(&r.source);
        t.ids.push(&r.id);
        t.lines.push(r.line);
        for (c, v) in r.vals.iter().enumerate() {
            t.columns[c].push(v);
        }
        rids.push(r.rid);
    }
    let mut out = Vec::new();
    let mut all_rids = Vec::new();
    for (t, rids) in tables {
        if !t.is_empty() {
            out.push(t);
            all_rids.extend(rids);
        }
    }
    (out, all_rids)
}

/// A record's name, sex and birth as written, for the roster.
struct Described {
    name: String,
    sex: String,
    birth: String,
}

impl Described {
    fn of(settings: &Settings, headers: &[String], vals: &[&str]) -> Described {
        let value = |columns: &[String]| {
            columns
                .iter()
                .find_map(|c| headers.iter().position(|h| h == c))
                .map(|i| vals[i])
                .filter(|v| !v.is_empty())
        };
        let field = |name: &str| {
            settings
                .field(name)
                .filter(|(_, f)| f.kind == FieldKind::Name)
                .and_then(|(_, f)| value(&f.columns))
        };
        // A full name already holds the parts a list may also have in columns of their own.
        let name = match field("full_name") {
            Some(full) => full.to_string(),
            None => {
                let parts: Vec<&str> = ["given_name", "patronymic", "family_name"]
                    .iter()
                    .filter_map(|n| field(n))
                    .collect();
                if parts.is_empty() {
                    settings
                        .fields
                        .iter()
                        .filter(|f| f.kind == FieldKind::Name)
                        .find_map(|f| value(&f.columns))
                        .unwrap_or("")
                        .to_string()
                } else {
                    parts.join(" ")
                }
            }
        };
        let of_kind = |kind: FieldKind| {
            settings
                .fields
                .iter()
                .filter(|f| f.kind == kind)
                .find_map(|f| value(&f.columns))
        };
        let birth = match (of_kind(FieldKind::Date), of_kind(FieldKind::Age)) {
            (Some(d), _) => d.to_string(),
            (None, Some(a)) => format!("age {a}"),
            (None, None) => String::new(),
        };
        Described {
            name,
            sex: of_kind(FieldKind::Sex).unwrap_or("").to_string(),
            birth,
        }
    }
}
