//! What the store shows: `roster.csv` (one row per person), `history.csv` (every event),
//! `changes.csv` (since a date or the last add), and `find` answers with each candidate's person.
//! Every CSV starts with a byte-order mark and passes its cells through `safe_cell`; rows are
//! sorted, so the same store gives the same bytes.

use crate::persons::latest_decisions;
use crate::{Result, Store, person_label};
use listlink_core::export::{BOM, safe_cell};
use listlink_core::ingest::{ReadOptions, read_file};
use listlink_core::{Reject, Run};
use rusqlite::OptionalExtension;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;

/// Where `changes.csv` starts.
#[derive(Debug, Clone)]
pub enum Since {
    /// The events of the last add and after.
    LastAdd,
    /// The events dated on or after this day (`YYYY-MM-DD`).
    Date(String),
}

/// The three files of `roster`.
pub struct RosterFiles {
    pub roster: Vec<u8>,
    pub history: Vec<u8>,
    pub changes: Vec<u8>,
    pub persons: u64,
    pub changes_rows: u64,
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(BOM.to_vec())
}

fn row(w: &mut csv::Writer<Vec<u8>>, cells: &[String]) {
    w.write_record(cells.iter().map(|c| safe_cell(c).into_owned()))
        .expect("writing to memory does not fail");
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory does not fail")
}

/// The script a name is mostly written in.
fn script_of(name: &str) -> usize {
    let mut counts = [0usize; 5];
    for c in name.chars() {
        let i = match c as u32 {
            0x0400..=0x052F => 1,
            0x0590..=0x05FF => 2,
            0x0600..=0x06FF | 0x0750..=0x077F => 3,
            _ if c.is_ascii_alphabetic() => 0,
            0x00C0..=0x024F => 0,
            _ if c.is_alphabetic() => 4,
            _ => continue,
        };
        counts[i] += 1;
    }
    (0..5).max_by_key(|&i| (counts[i], 5 - i)).unwrap_or(0)
}

const SCRIPTS: [&str; 5] = ["latin", "cyrillic", "hebrew", "arabic", "other"];

struct Member {
    rid: i64,
    source: String,
    id: String,
    name: String,
    sex: String,
    birth: String,
    status: String,
    status_date: String,
    first_seen: String,
    last_seen: String,
}

/// A pair in the review band, or any pair of two persons the model would join that no
/// decision settled: `(a, b, probability)`.
fn review_pairs(
    store: &Store,
    person_of: &FxHashMap<i64, i64>,
    min_version: i64,
) -> Result<Vec<(i64, i64, f64)>> {
    let settings = store
        .settings()?
        .ok_or_else(|| store.err("the store has no lists yet"))?;
    let t = settings.thresholds;
    let decisions = latest_decisions(store)?;
    let mut stmt = store
        .conn
        .prepare(
            "SELECT a, b, probability FROM edges WHERE probability >= ?1 AND version >= ?2
             ORDER BY a, b",
        )
        .map_err(|e| store.sql_err(e))?;
    let rows = stmt
        .query_map(rusqlite::params![t.review_probability, min_version], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, f64>(2)?,
            ))
        })
        .map_err(|e| store.sql_err(e))?;
    let mut out = Vec::new();
    for r in rows {
        let (a, b, p) = r.map_err(|e| store.sql_err(e))?;
        let settled = matches!(
            decisions.get(&(a, b)).map(|(_, d)| d.as_str()),
            Some("match" | "not-match")
        );
        let together = person_of.get(&a) == person_of.get(&b);
        if !settled && (p < t.match_probability || !together) {
            out.push((a, b, p));
        }
    }
    Ok(out)
}

/// `roster.csv`, `history.csv` and `changes.csv`.
pub fn roster(store: &Store, since: &Since) -> Result<RosterFiles> {
    let conn = &store.conn;
    let sql = |e| store.sql_err(e);
    let mut members: Vec<(i64, Member)> = Vec::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT m.person, r.rid, r.source, r.id, r.name, r.sex, r.birth, r.status,
                 r.status_date, r.first_seen, r.last_seen
                 FROM records r JOIN membership m ON m.rid = r.rid ORDER BY m.person, r.rid",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Member {
                        rid: r.get(1)?,
                        source: r.get(2)?,
                        id: r.get(3)?,
                        name: r.get(4)?,
                        sex: r.get(5)?,
                        birth: r.get(6)?,
                        status: r.get(7)?,
                        status_date: r.get(8)?,
                        first_seen: r.get(9)?,
                        last_seen: r.get(10)?,
                    },
                ))
            })
            .map_err(sql)?;
        for r in rows {
            members.push(r.map_err(sql)?);
        }
    }
    let person_of: FxHashMap<i64, i64> = members.iter().map(|(p, m)| (m.rid, *p)).collect();
    let key_of: FxHashMap<i64, String> = members
        .iter()
        .map(|(_, m)| (m.rid, format!("{}:{}", m.source, m.id)))
        .collect();
    let review = review_pairs(store, &person_of, 0)?;
    let mut review_of: FxHashMap<i64, Vec<String>> = FxHashMap::default();
    for (a, b, p) in &review {
        let text = format!("{} ~ {} ({p:.4})", key_of[a], key_of[b]);
        let pa = person_of[a];
        let pb = person_of[b];
        review_of.entry(pa).or_default().push(text.clone());
        if pb != pa {
            review_of.entry(pb).or_default().push(text);
        }
    }

    let mut w = writer();
    let mut header: Vec<String> = vec!["person_id".into()];
    header.extend(SCRIPTS.iter().map(|s| format!("name_{s}")));
    header.extend(
        [
            "sex",
            "birth",
            "sources",
            "records",
            "status",
            "status_source",
            "status_date",
            "first_seen",
            "last_seen",
            "to_review",
        ]
        .map(String::from),
    );
    row(&mut w, &header);
    let mut persons = 0;
    let mut start = 0;
    while start < members.len() {
        let person = members[start].0;
        let end = start
            + members[start..]
                .iter()
                .take_while(|(p, _)| *p == person)
                .count();
        let group: Vec<&Member> = members[start..end].iter().map(|(_, m)| m).collect();
        start = end;
        persons += 1;
        // The latest record first: its spelling and values stand for the person.
        let mut latest = group.clone();
        latest.sort_by(|a, b| (&b.last_seen, b.rid).cmp(&(&a.last_seen, a.rid)));
        let mut names = vec![String::new(); SCRIPTS.len()];
        for m in &latest {
            let s = script_of(&m.name);
            if names[s].is_empty() {
                names[s] = m.name.clone();
            }
        }
        let first_of = |f: &dyn Fn(&Member) -> &str| {
            latest
                .iter()
                .map(|m| f(m))
                .find(|v| !v.is_empty())
                .unwrap_or("")
                .to_string()
        };
        let sex = first_of(&|m| &m.sex);
        let birth = latest
            .iter()
            .map(|m| m.birth.as_str())
            .find(|b| !b.is_empty() && !b.starts_with("age "))
            .map(str::to_string)
            .unwrap_or_else(|| first_of(&|m| &m.birth));
        let sources: FxHashSet<&str> = group.iter().map(|m| m.source.as_str()).collect();
        let mut records: Vec<String> = group
            .iter()
            .map(|m| format!("{}:{}", m.source, m.id))
            .collect();
        records.sort();
        let status = group
            .iter()
            .filter(|m| !m.status.is_empty())
            .max_by(|a, b| (&a.status_date, a.rid).cmp(&(&b.status_date, b.rid)));
        let first_seen = group.iter().map(|m| &m.first_seen).min().cloned();
        let last_seen = group.iter().map(|m| &m.last_seen).max().cloned();
        let mut to_review = review_of.remove(&person).unwrap_or_default();
        to_review.sort();
        let mut cells = vec![person_label(person)];
        cells.extend(names);
        cells.extend([
            sex,
            birth,
            sources.len().to_string(),
            records.join(";"),
            status.map_or(String::new(), |m| m.status.clone()),
            status.map_or(String::new(), |m| m.source.clone()),
            status.map_or(String::new(), |m| m.status_date.clone()),
            first_seen.unwrap_or_default(),
            last_seen.unwrap_or_default(),
            to_review.join(";"),
        ]);
        row(&mut w, &cells);
    }
    let roster = finish(w);

    // Events, each under the person it concerns (a record's: its person now).
    struct Event {
        seq: i64,
        date: String,
        person: i64,
        rid: Option<i64>,
        event: String,
        detail: String,
    }
    let mut events: Vec<Event> = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT seq, date, person, rid, event, detail FROM events ORDER BY seq")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(sql)?;
        for r in rows {
            let (seq, date, person, rid, event, detail) = r.map_err(sql)?;
            let person = match (person, rid) {
                (Some(p), _) => p,
                (None, Some(rid)) => *person_of
                    .get(&rid)
                    .ok_or_else(|| store.err(format!("record {rid} has no person")))?,
                (None, None) => continue,
            };
            events.push(Event {
                seq,
                date,
                person,
                rid,
                event,
                detail,
            });
        }
    }
    // A person's creation is written after the records that made it, in the same add; it reads
    // first on its day.
    let created_first = |e: &Event| e.event != "created";
    events.sort_by(|a, b| {
        (a.person, &a.date, created_first(a), a.seq).cmp(&(
            b.person,
            &b.date,
            created_first(b),
            b.seq,
        ))
    });
    let source_and_id = |rid: Option<i64>| -> (String, String) {
        match rid.and_then(|r| key_of.get(&r)) {
            Some(k) => {
                let (s, i) = k.split_once(':').expect("source:id");
                (s.to_string(), i.to_string())
            }
            None => (String::new(), String::new()),
        }
    };
    let mut w = writer();
    row(
        &mut w,
        &["person_id", "date", "source", "record", "event", "detail"].map(String::from),
    );
    for e in &events {
        let (s, i) = source_and_id(e.rid);
        row(
            &mut w,
            &[
                person_label(e.person),
                e.date.clone(),
                s,
                i,
                e.event.clone(),
                e.detail.clone(),
            ],
        );
    }
    let history = finish(w);

    // changes.csv
    let (first_seq, min_version): (i64, i64) = match since {
        Since::LastAdd => conn
            .query_row(
                "SELECT coalesce(max(first_event), 1), coalesce(max(version), 0) FROM lists",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sql)?,
        Since::Date(d) => {
            let version = conn
                .query_row(
                    "SELECT coalesce(min(version), 1 << 62) FROM lists WHERE received >= ?1",
                    [d],
                    |r| r.get(0),
                )
                .map_err(sql)?;
            (0, version)
        }
    };
    let in_window = |e: &Event| match since {
        Since::LastAdd => e.seq >= first_seq,
        Since::Date(d) => e.date.as_str() >= d.as_str(),
    };
    let created: FxHashSet<i64> = events
        .iter()
        .filter(|e| in_window(e) && e.event == "created")
        .map(|e| e.person)
        .collect();
    let mut changes: Vec<(u8, i64, String, i64, [String; 6])> = Vec::new();
    for e in events.iter().filter(|e| in_window(e)) {
        let kind = match e.event.as_str() {
            "created" => (0, "new person"),
            "added" if !created.contains(&e.person) => (1, "new record"),
            "status changed" => (2, "status changed"),
            "changed" => (3, "record changed"),
            "merged into" => (4, "merged"),
            "split from" => (5, "split"),
            "decided" => (7, "decided"),
            _ => continue,
        };
        let (s, i) = source_and_id(e.rid);
        let detail = if e.event == "created" {
            // Members are sorted by person: the person's run, found by halving, not by a scan
            // of every member for each new person (which took minutes at 200,000).
            let from = members.partition_point(|(p, _)| *p < e.person);
            members[from..]
                .iter()
                .take_while(|(p, _)| *p == e.person)
                .map(|(_, m)| format!("{}:{}", m.source, m.id))
                .collect::<Vec<_>>()
                .join(";")
        } else {
            e.detail.clone()
        };
        changes.push((
            kind.0,
            e.person,
            e.date.clone(),
            e.seq,
            [
                kind.1.to_string(),
                person_label(e.person),
                e.date.clone(),
                s,
                i,
                detail,
            ],
        ));
    }
    for (a, b, p) in review_pairs(store, &person_of, min_version)? {
        let pa = person_of[&a];
        let (s, i) = source_and_id(Some(a));
        changes.push((
            6,
            pa,
            String::new(),
            a,
            [
                "to review".into(),
                person_label(pa),
                String::new(),
                s,
                i,
                format!(
                    "{} ~ {} ({}) probability {p:.4}",
                    key_of[&a],
                    key_of[&b],
                    person_label(person_of[&b])
                ),
            ],
        ));
    }
    changes.sort_by(|x, y| (x.0, x.1, &x.2, x.3).cmp(&(y.0, y.1, &y.2, y.3)));
    let mut w = writer();
    row(
        &mut w,
        &["change", "person_id", "date", "source", "record", "detail"].map(String::from),
    );
    for c in &changes {
        row(&mut w, &c.4);
    }
    Ok(RosterFiles {
        roster,
        history,
        changes: finish(w),
        persons,
        changes_rows: changes.len() as u64,
    })
}

/// `find --store`: each record of `list` against the stored records with the stored model,
/// answered like `find` (`found.csv`) with the candidate's `person_id`; the list's rejects.
pub fn found_with_persons(
    store: &mut Store,
    list: &Path,
    encoding: Option<String>,
    top: usize,
) -> Result<(Run, Vec<u8>, Vec<Reject>)> {
    let mut settings = store
        .settings()?
        .ok_or_else(|| store.err("the store has no lists yet: add one first"))?;
    settings.as_of = Some(crate::today());
    let (model, _) = store
        .model()?
        .ok_or_else(|| store.err("the store has no model yet: add a list first"))?;
    let read = read_file(
        list,
        &ReadOptions {
            id_columns: settings.id_columns.clone(),
            source_columns: settings.source_columns.clone(),
            encoding,
            source_name: list.file_stem().map(|s| s.to_string_lossy().into_owned()),
        },
    )?;
    if !crate::index::is_current(store, &settings)? {
        crate::persons::in_transaction(store, |store| crate::index::ensure(store, &settings))?;
    }
    let mut rejects = read.rejects;
    rejects.extend(listlink_core::field_warnings(
        std::iter::once(&read.table),
        &settings,
    ));
    let query_rows = read.table.len();
    let (keys, _) = crate::index::describe(vec![read.table.clone()], &settings)?;
    let (run, rids) = crate::index::find_in_store(
        store,
        &settings,
        &model,
        read.table,
        &keys,
        &Default::default(),
        top,
    )?;
    let mut person: FxHashMap<i64, i64> = FxHashMap::default();
    {
        let mut stmt = store
            .conn
            .prepare_cached("SELECT person FROM membership WHERE rid = ?1")
            .map_err(|e| store.sql_err(e))?;
        for &rid in &rids {
            let p: Option<i64> = stmt
                .query_row([rid], |r| r.get(0))
                .optional()
                .map_err(|e| store.sql_err(e))?;
            if let Some(p) = p {
                person.insert(rid, p);
            }
        }
    }
    let person_of_row = |row: usize| -> String {
        row.checked_sub(query_rows)
            .and_then(|i| rids.get(i))
            .and_then(|rid| person.get(rid))
            .map_or(String::new(), |p| person_label(*p))
    };
    let bytes = listlink_core::export::found_csv_with_persons(&run, Some(&person_of_row));
    Ok((run, bytes, rejects))
}
