//! What a review desk reads and writes beside `add` and `decide`: a person with its records and
//! history, the queue of pairs to review (most consequential first), the decision log, undos,
//! and a [`Matcher`] that keeps the roster's records in memory for repeated look-ups.

use crate::add::{load_shapes, tables_of};
use crate::persons::{
    ClusterReport, in_transaction, latest_decisions, recluster_refusing_contradictions,
};
use crate::{Error, Result, Store, person_label};
use listlink_core::{Model, RecordTable, Run, Settings};
use rusqlite::{OptionalExtension, params};
use rustc_hash::FxHashMap;
use std::sync::Mutex;

/// A stored record as the desk shows it: its key, its values by column as written, its status.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub source: String,
    pub id: String,
    /// (column, value) in the list's column order; empty values left out.
    pub values: Vec<(String, String)>,
    pub status: String,
    pub status_date: String,
    pub first_seen: String,
    pub last_seen: String,
    /// The list version that last wrote it.
    pub version: i64,
    /// That list's file name and received date (the record's provenance).
    pub file_name: String,
    pub received: String,
}

/// One of a person's records, with its events.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub record: StoredRecord,
}

/// A person: its records, history, decisions, and the ids merged into it or split from it.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub person_id: String,
    pub created: String,
    /// The person this id was merged into, if it was (then it holds no records).
    pub merged_into: Option<String>,
    pub split_from: Option<String>,
    /// Persons merged into this one.
    pub merged_from: Vec<String>,
    /// Persons split from this one.
    pub split_off: Vec<String>,
    pub records: Vec<PersonRecord>,
    /// (date, record `source:id` or empty, event, detail), oldest first.
    pub history: Vec<(String, String, String, String)>,
    /// Decisions touching its records, oldest first.
    pub decisions: Vec<DecisionRow>,
}

/// One row of the append-only decision log.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub id: i64,
    /// `source:id` of each record.
    pub left: String,
    pub right: String,
    /// `match`, `not-match`, `unsure`, or `undo`.
    pub decision: String,
    pub by: String,
    pub at: String,
    pub note: String,
    pub model_version: Option<i64>,
    pub probability: Option<f64>,
    /// For an undo: the decision it takes back.
    pub undoes: Option<i64>,
    /// Whether a later undo took this decision back.
    pub undone: bool,
}

/// A pair waiting for a person's decision.
#[derive(Debug, Clone)]
pub struct ReviewPair {
    pub left: StoredRecord,
    pub right: StoredRecord,
    pub left_person: String,
    pub right_person: String,
    pub probability: f64,
    /// Records of the persons a decision would touch: both persons' when apart (a match merges
    /// them), the one person's when together (a not-match splits it).
    pub records_touched: u64,
    /// Whether either record carries a status (missing, injured, detained…).
    pub has_status: bool,
    /// The latest decision in force, when it is `unsure`.
    pub unsure: bool,
}

/// What an undo did.
#[derive(Debug, Clone)]
pub struct UndoReport {
    /// The undo's own id in the log.
    pub id: i64,
    pub undone: i64,
    pub changes: ClusterReport,
}

fn load_record(store: &Store, rid: i64) -> Result<StoredRecord> {
    let sql = |e| store.sql_err(e);
    let (source, id, shape, vals, status, status_date, first_seen, last_seen, version): (
        String,
        String,
        i64,
        String,
        String,
        String,
        String,
        String,
        i64,
    ) = store
        .conn
        .query_row(
            "SELECT source, id, shape, vals, status, status_date, first_seen, last_seen, version
             FROM records WHERE rid = ?1",
            [rid],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .map_err(sql)?;
    let headers: String = store
        .conn
        .query_row(
            "SELECT headers FROM shapes WHERE shape = ?1",
            [shape],
            |r| r.get(0),
        )
        .map_err(sql)?;
    let headers: Vec<String> = serde_json::from_str(&headers)
        .map_err(|e| store.err(format!("shape {shape} is damaged: {e}")))?;
    let vals: Vec<String> = serde_json::from_str(&vals)
        .map_err(|e| store.err(format!("record {source}:{id} is damaged: {e}")))?;
    let (file_name, received): (String, String) = store
        .conn
        .query_row(
            "SELECT file_name, received FROM lists WHERE version = ?1",
            [version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql)?
        .unwrap_or_default();
    Ok(StoredRecord {
        source,
        id,
        values: headers
            .into_iter()
            .zip(vals)
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        status,
        status_date,
        first_seen,
        last_seen,
        version,
        file_name,
        received,
    })
}

fn key_of(store: &Store, rid: i64) -> Result<String> {
    store
        .conn
        .query_row(
            "SELECT source || ':' || id FROM records WHERE rid = ?1",
            [rid],
            |r| r.get(0),
        )
        .map_err(|e| store.sql_err(e))
}

fn person_of_rid(store: &Store, rid: i64) -> Result<i64> {
    store
        .conn
        .query_row("SELECT person FROM membership WHERE rid = ?1", [rid], |r| {
            r.get(0)
        })
        .map_err(|e| store.sql_err(e))
}

/// Parses `P-000012` (or `12`) into the person's number.
fn parse_person(label: &str) -> Option<i64> {
    let digits = label.strip_prefix("P-").unwrap_or(label);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The persons of stored records (`rid`s as [`Matcher`] rows give them), as labels.
pub fn person_of_records(store: &Store, rids: &[i64]) -> Result<FxHashMap<i64, String>> {
    let mut stmt = store
        .conn
        .prepare_cached("SELECT person FROM membership WHERE rid = ?1")
        .map_err(|e| store.sql_err(e))?;
    let mut out = FxHashMap::default();
    for &rid in rids {
        if let Some(p) = stmt
            .query_row([rid], |r| r.get::<_, i64>(0))
            .optional()
            .map_err(|e| store.sql_err(e))?
        {
            out.insert(rid, person_label(p));
        }
    }
    Ok(out)
}

fn decision_rows(
    store: &Store,
    filter: &str,
    param: impl rusqlite::ToSql,
) -> Result<Vec<DecisionRow>> {
    let sql = |e| store.sql_err(e);
    let mut stmt = store
        .conn
        .prepare(&format!(
            "SELECT d.seq, ra.source || ':' || ra.id, rb.source || ':' || rb.id, d.decision, d.by,
                    d.at, d.note, d.model_version, d.probability, d.undoes,
                    EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.seq)
             FROM decisions d JOIN records ra ON ra.rid = d.a JOIN records rb ON rb.rid = d.b
             WHERE {filter} ORDER BY d.seq"
        ))
        .map_err(sql)?;
    let rows = stmt
        .query_map([param], |r| {
            Ok(DecisionRow {
                id: r.get(0)?,
                left: r.get(1)?,
                right: r.get(2)?,
                decision: r.get(3)?,
                by: r.get(4)?,
                at: r.get(5)?,
                note: r.get(6)?,
                model_version: r.get(7)?,
                probability: r.get(8)?,
                undoes: r.get(9)?,
                undone: r.get(10)?,
            })
        })
        .map_err(sql)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql)
}

/// The decision log after decision `since` (0: all of it), oldest first.
pub fn decisions_since(store: &Store, since: i64) -> Result<Vec<DecisionRow>> {
    decision_rows(store, "d.seq > ?1", since)
}

/// The decision log from `date` on (`YYYY-MM-DD`, or a UTC time as decisions record it,
/// `YYYY-MM-DDTHH:MM:SSZ`), oldest first.
pub fn decisions_from(store: &Store, date: &str) -> Result<Vec<DecisionRow>> {
    decision_rows(store, "d.at >= ?1", date)
}

/// A person by its id (`P-000012`), or `None` when the store never gave that id.
pub fn person(store: &Store, label: &str) -> Result<Option<PersonView>> {
    let Some(person) = parse_person(label) else {
        return Ok(None);
    };
    let sql = |e| store.sql_err(e);
    let Some((created, merged_into, split_from)) = store
        .conn
        .query_row(
            "SELECT created, merged_into, split_from FROM persons WHERE person = ?1",
            [person],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            },
        )
        .optional()
        .map_err(sql)?
    else {
        return Ok(None);
    };
    let ids = |q: &str| -> Result<Vec<String>> {
        let mut stmt = store.conn.prepare(q).map_err(sql)?;
        let rows = stmt
            .query_map([person], |r| r.get::<_, i64>(0))
            .map_err(sql)?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(sql)?;
        Ok(rows.into_iter().map(person_label).collect())
    };
    let merged_from = ids("SELECT person FROM persons WHERE merged_into = ?1 ORDER BY person")?;
    let split_off = ids("SELECT person FROM persons WHERE split_from = ?1 ORDER BY person")?;
    let rids: Vec<i64> = {
        let mut stmt = store
            .conn
            .prepare("SELECT rid FROM membership WHERE person = ?1 ORDER BY rid")
            .map_err(sql)?;
        stmt.query_map([person], |r| r.get(0))
            .map_err(sql)?
            .collect::<rusqlite::Result<_>>()
            .map_err(sql)?
    };
    let records = rids
        .iter()
        .map(|&rid| {
            Ok(PersonRecord {
                record: load_record(store, rid)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut history = Vec::new();
    {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT e.date, COALESCE(r.source || ':' || r.id, ''), e.event, e.detail
                 FROM events e LEFT JOIN records r ON r.rid = e.rid
                 WHERE e.person = ?1 OR e.rid IN (SELECT rid FROM membership WHERE person = ?1)
                 ORDER BY e.date, e.event <> 'created', e.seq",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([person], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(sql)?;
        for r in rows {
            history.push(r.map_err(sql)?);
        }
    }
    let decisions = decision_rows(
        store,
        "d.a IN (SELECT rid FROM membership WHERE person = ?1)
         OR d.b IN (SELECT rid FROM membership WHERE person = ?1)",
        person,
    )?;
    Ok(Some(PersonView {
        person_id: person_label(person),
        created,
        merged_into: merged_into.map(person_label),
        split_from: split_from.map(person_label),
        merged_from,
        split_off,
        records,
        history,
        decisions,
    }))
}

/// Pairs waiting for a decision, at most `limit`: pairs in the review band, and pairs the model
/// would join across two persons, that no match or not-match decision settled (an `unsure`
/// one stays, after the others). Most consequential first: a pair touching a status, then one
/// whose decision merges or splits more records, then the least certain.
pub fn review_queue(store: &Store, limit: usize) -> Result<Vec<ReviewPair>> {
    let settings = store
        .settings()?
        .ok_or_else(|| store.err("the store has no lists yet"))?;
    let t = settings.thresholds;
    let sql = |e| store.sql_err(e);
    let decisions = latest_decisions(store)?;
    let person_of = crate::persons::memberships(store)?;
    let mut size: FxHashMap<i64, u64> = FxHashMap::default();
    for p in person_of.values() {
        *size.entry(*p).or_default() += 1;
    }
    let mut status: FxHashMap<i64, bool> = FxHashMap::default();
    let mut waiting: Vec<(bool, bool, u64, f64, i64, i64)> = Vec::new();
    {
        let mut stmt = store
            .conn
            .prepare("SELECT a, b, probability FROM edges WHERE probability >= ?1")
            .map_err(sql)?;
        let rows = stmt
            .query_map([t.review_probability], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            })
            .map_err(sql)?;
        let mut has_status = store
            .conn
            .prepare_cached("SELECT status <> '' FROM records WHERE rid = ?1")
            .map_err(sql)?;
        for r in rows {
            let (a, b, p) = r.map_err(sql)?;
            let decided = decisions.get(&(a, b)).map(|(_, d)| d.as_str());
            if matches!(decided, Some("match" | "not-match")) {
                continue;
            }
            let (pa, pb) = (person_of.get(&a), person_of.get(&b));
            let together = pa == pb;
            if p >= t.match_probability && together {
                continue;
            }
            let touched = if together {
                pa.map_or(0, |p| size[p])
            } else {
                pa.map_or(0, |p| size[p]) + pb.map_or(0, |p| size[p])
            };
            let mut status_of = |rid: i64| -> Result<bool> {
                if let Some(&s) = status.get(&rid) {
                    return Ok(s);
                }
                let s: bool = has_status.query_row([rid], |r| r.get(0)).map_err(sql)?;
                status.insert(rid, s);
                Ok(s)
            };
            let st = status_of(a)? || status_of(b)?;
            waiting.push((decided == Some("unsure"), st, touched, p, a, b));
        }
    }
    // Unsure ones last; then status first, more records first, nearest to even odds first.
    waiting.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then(y.1.cmp(&x.1))
            .then(y.2.cmp(&x.2))
            .then((x.3 - 0.5).abs().total_cmp(&(y.3 - 0.5).abs()))
            .then((x.4, x.5).cmp(&(y.4, y.5)))
    });
    waiting
        .into_iter()
        .take(limit)
        .map(|(unsure, has_status, touched, p, a, b)| {
            Ok(ReviewPair {
                left: load_record(store, a)?,
                right: load_record(store, b)?,
                left_person: person_label(person_of_rid(store, a)?),
                right_person: person_label(person_of_rid(store, b)?),
                probability: p,
                records_touched: touched,
                has_status,
                unsure,
            })
        })
        .collect()
}

/// Takes back decision `id` by appending an undo (the log keeps both), and recomputes persons:
/// the pair's decision before it, if any, is in force again. An undo cannot itself be undone
/// (decide again instead); a decision already undone is refused; an undo that would bring back
/// a contradiction is refused, and nothing is recorded.
pub fn undo(store: &mut Store, id: i64, by: &str, note: &str) -> Result<UndoReport> {
    in_transaction(store, |store| {
        let conn = &store.conn;
        let sql = |e| store.sql_err(e);
        let Some((a, b, decision)) = conn
            .query_row(
                "SELECT a, b, decision FROM decisions WHERE seq = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(sql)?
        else {
            return Err(Error::NotFound {
                path: store.path.display().to_string(),
                message: format!("no decision {id}"),
            });
        };
        if decision == "undo" {
            return Err(Error::Usage(format!(
                "decision {id} is an undo, which cannot be undone: decide the pair again"
            )));
        }
        let undone: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM decisions WHERE undoes = ?1)",
                [id],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if undone {
            return Err(Error::Contradiction(format!(
                "decision {id} is already undone"
            )));
        }
        let model_version = store.model()?.map(|(_, v)| v);
        conn.execute(
            "INSERT INTO decisions (a, b, decision, by, at, note, model_version, probability, undoes)
             VALUES (?1, ?2, 'undo', ?3, ?4, ?5, ?6,
                     (SELECT probability FROM edges WHERE a = ?1 AND b = ?2), ?7)",
            params![a, b, by, crate::now(), note, model_version, id],
        )
        .map_err(sql)?;
        let undo_id = conn.last_insert_rowid();
        let date = crate::today();
        for (rid, other) in [(a, b), (b, a)] {
            let what = format!(
                "undo of decision {id} ({decision}) with {}",
                key_of(store, other)?
            );
            crate::persons::decided_event(store, &date, rid, &what, &format!("by {by}"), note)?;
        }
        let changes = recluster_refusing_contradictions(store, &date)?;
        Ok(UndoReport {
            id: undo_id,
            undone: id,
            changes,
        })
    })
}

/// Look-ups against the store: its settings and model held in memory, its records read through
/// the look-up index (only those sharing a blocking key with the query), on a connection of
/// its own. Load again after an add that trained a new model.
pub struct Matcher {
    settings: Settings,
    model: Model,
    model_version: i64,
    records: usize,
    store: Mutex<Store>,
}

/// A look-up's run: the query's rows first, then the stored records it was compared with.
pub struct Looked {
    pub run: Run,
    query_rows: usize,
    rids: Vec<i64>,
}

impl Looked {
    /// The stored record's id of a row of the run, when the row is a stored record.
    pub fn rid_of_row(&self, row: usize) -> Option<i64> {
        row.checked_sub(self.query_rows)
            .and_then(|i| self.rids.get(i))
            .copied()
    }
}

impl Matcher {
    pub fn load(store: &Store) -> Result<Matcher> {
        let mut own = Store::open(&store.path, false, store.wait)?;
        let mut settings = own
            .settings()?
            .ok_or_else(|| own.err("the store has no lists yet: add one first"))?;
        settings.as_of = Some(crate::today());
        let (model, model_version) = own
            .model()?
            .ok_or_else(|| own.err("the store has no model yet: add a list first"))?;
        if !crate::index::is_current(&own, &settings)? {
            crate::persons::in_transaction(&mut own, |s| crate::index::ensure(s, &settings))?;
        }
        let records: i64 = own
            .conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .map_err(|e| own.sql_err(e))?;
        if records == 0 {
            return Err(own.err("the store holds no records"));
        }
        Ok(Matcher {
            settings,
            model,
            model_version,
            records: records as usize,
            store: Mutex::new(own),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn model_version(&self) -> i64 {
        self.model_version
    }

    /// Stored records when loaded.
    pub fn records(&self) -> usize {
        self.records
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The query's records against the stored ones, with the store's model, as `find` does;
    /// keeps `top` candidates per query record.
    pub fn find(&self, query: RecordTable, top: usize) -> Result<Looked> {
        let query_rows = query.len();
        let (keys, _) = crate::index::describe(vec![query.clone()], &self.settings)?;
        let store = self.store();
        let (run, rids) = crate::index::find_in_store(
            &store,
            &self.settings,
            &self.model,
            query,
            &keys,
            &Default::default(),
            top,
        )?;
        Ok(Looked {
            run,
            query_rows,
            rids,
        })
    }

    /// The stored record `rid` as a table of one row, to look it up as a query.
    pub fn record_table(&self, rid: i64) -> Result<Option<RecordTable>> {
        let store = self.store();
        let known: Option<i64> = store
            .conn
            .query_row("SELECT rid FROM records WHERE rid = ?1", [rid], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| store.sql_err(e))?;
        if known.is_none() {
            return Ok(None);
        }
        let shapes = load_shapes(&store)?;
        let records = crate::index::load(&store, &[rid])?;
        Ok(tables_of(&store, &shapes, records.iter()).0.pop())
    }
}

/// The probability of every stored candidate pair (for the weight distribution).
pub fn pair_probabilities(store: &Store) -> Result<Vec<f64>> {
    let mut stmt = store
        .conn
        .prepare("SELECT probability FROM edges")
        .map_err(|e| store.sql_err(e))?;
    stmt.query_map([], |r| r.get(0))
        .map_err(|e| store.sql_err(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| store.sql_err(e))
}
