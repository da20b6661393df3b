//! Persons: clusters of records with stable ids, and the decisions people make on pairs.
//!
//! Persons are recomputed from all the evidence after each write: `--match` decisions first (a
//! match is never split), then the model's match edges from the most to the least probable,
//! each joining two clusters unless a `--not-match` decision holds a record of each (a
//! not-match is never violated: the weaker edges that would join them are left out, which
//! splits the cluster rather than dropping one edge). Ids are then handed on: a cluster holding
//! a person's oldest record keeps that person's id (the oldest id when it holds several: the
//! others are merged into it); a cluster holding no person's oldest record gets a new id,
//! recorded as split from the persons it took records from; ids are never reused.

use crate::{Error, Result, Store, person_label};
use listlink_core::settings::Thresholds;
use rusqlite::params;
use rustc_hash::FxHashMap;

/// Runs `f` in one write transaction (waiting for another writer up to the store's wait):
/// committed when it returns `Ok`, rolled back otherwise (and by SQLite when the process dies).
pub(crate) fn in_transaction<T>(
    store: &mut Store,
    f: impl FnOnce(&Store) -> Result<T>,
) -> Result<T> {
    store
        .conn
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| store.sql_err(e))?;
    match f(store) {
        Ok(v) => {
            store
                .conn
                .execute_batch("COMMIT")
                .map_err(|e| store.sql_err(e))?;
            Ok(v)
        }
        Err(e) => {
            let _ = store.conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// What a recomputation of persons changed, in counts.
#[derive(Debug, Clone, Default)]
pub struct ClusterReport {
    pub persons: u64,
    pub new_persons: u64,
    pub merges: u64,
    pub splits: u64,
    /// `--match` decisions that a `--not-match` decision keeps from holding (pairs of records).
    pub broken_matches: Vec<(i64, i64)>,
}

/// A person's decision on a pair of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Match,
    NotMatch,
    Unsure,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Match => "match",
            Decision::NotMatch => "not-match",
            Decision::Unsure => "unsure",
        }
    }
}

/// A `decided` event in a record's history: what was decided, with whom, by whom, and the
/// note if there is one.
pub(crate) fn decided_event(
    store: &Store,
    date: &str,
    rid: i64,
    what: &str,
    by: &str,
    note: &str,
) -> Result<()> {
    let detail = if note.is_empty() {
        format!("{what} {by}")
    } else {
        format!("{what} {by}: {note}")
    };
    store
        .conn
        .execute(
            "INSERT INTO events (date, rid, event, detail) VALUES (?1, ?2, 'decided', ?3)",
            params![date, rid, detail],
        )
        .map(|_| ())
        .map_err(|e| store.sql_err(e))
}

/// Each record's person.
pub(crate) fn memberships(store: &Store) -> Result<FxHashMap<i64, i64>> {
    let sql = |e| store.sql_err(e);
    let mut stmt = store
        .conn
        .prepare("SELECT rid, person FROM membership")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .map_err(sql)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql)
}

/// The latest decision in force on each pair of records (`a < b`): undo rows, and the
/// decisions they take back, are passed over, so an undo restores the pair's decision before.
pub(crate) fn latest_decisions(store: &Store) -> Result<FxHashMap<(i64, i64), (i64, String)>> {
    let mut stmt = store
        .conn
        .prepare(
            "SELECT seq, a, b, decision FROM decisions
             WHERE decision <> 'undo' AND seq NOT IN
                 (SELECT undoes FROM decisions WHERE undoes IS NOT NULL)
             ORDER BY seq",
        )
        .map_err(|e| store.sql_err(e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(|e| store.sql_err(e))?;
    let mut latest = FxHashMap::default();
    for row in rows {
        let (seq, a, b, d) = row.map_err(|e| store.sql_err(e))?;
        latest.insert((a, b), (seq, d));
    }
    Ok(latest)
}

/// Union-find whose unions refuse to join two sets holding a not-match pair.
struct Constrained {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Per root: the rows its set must not be joined with.
    apart: FxHashMap<u32, Vec<u32>>,
}

impl Constrained {
    fn new(n: usize) -> Self {
        Constrained {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
            apart: FxHashMap::default(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let up = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = up;
            x = up;
        }
        x
    }

    fn keep_apart(&mut self, a: u32, b: u32) {
        self.apart.entry(a).or_default().push(b);
        self.apart.entry(b).or_default().push(a);
    }

    /// Joins the sets of `a` and `b` unless that would put a not-match pair in one set.
    fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let partners = self.apart.get(&ra).cloned().unwrap_or_default();
        for p in partners {
            if self.find(p) == rb {
                return false;
            }
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        if let Some(moved) = self.apart.remove(&small) {
            self.apart.entry(big).or_default().extend(moved);
        }
        true
    }
}

/// Recomputes persons from edges and decisions, hands ids on, and records what changed as
/// events dated `date` (of list `version`, if an add).
pub(crate) fn recluster(
    store: &Store,
    version: Option<i64>,
    date: &str,
    thresholds: &Thresholds,
) -> Result<ClusterReport> {
    let conn = &store.conn;
    let sql = |e| store.sql_err(e);
    let mut report = ClusterReport::default();
    let rids: Vec<i64> = {
        let mut stmt = conn
            .prepare("SELECT rid FROM records ORDER BY rid")
            .map_err(sql)?;
        stmt.query_map([], |r| r.get(0))
            .map_err(sql)?
            .collect::<rusqlite::Result<_>>()
            .map_err(sql)?
    };
    let index: FxHashMap<i64, u32> = rids
        .iter()
        .enumerate()
        .map(|(i, r)| (*r, i as u32))
        .collect();
    let mut old: Vec<Option<i64>> = vec![None; rids.len()];
    {
        let mut stmt = conn
            .prepare("SELECT rid, person FROM membership")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .map_err(sql)?;
        for row in rows {
            let (rid, person) = row.map_err(sql)?;
            if let Some(&i) = index.get(&rid) {
                old[i as usize] = Some(person);
            }
        }
    }
    let decisions = latest_decisions(store)?;
    let mut edges: Vec<(i64, i64, f64)> = {
        let mut stmt = conn
            .prepare("SELECT a, b, probability FROM edges WHERE probability >= ?1")
            .map_err(sql)?;
        stmt.query_map([thresholds.match_probability], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(sql)?
        .collect::<rusqlite::Result<_>>()
        .map_err(sql)?
    };
    edges.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));

    let mut uf = Constrained::new(rids.len());
    let mut by_seq: Vec<(i64, i64, i64, &str)> = decisions
        .iter()
        .map(|(&(a, b), (seq, d))| (*seq, a, b, d.as_str()))
        .collect();
    by_seq.sort();
    for &(_, a, b, d) in &by_seq {
        if d == "not-match" {
            uf.keep_apart(index[&a], index[&b]);
        }
    }
    for &(_, a, b, d) in &by_seq {
        if d == "match" && !uf.union(index[&a], index[&b]) {
            report.broken_matches.push((a, b));
        }
    }
    for (a, b, _) in &edges {
        if decisions.get(&(*a, *b)).map(|(_, d)| d.as_str()) == Some("not-match") {
            continue;
        }
        uf.union(index[a], index[b]);
    }

    // Components, named by their first row (rows are in record order).
    let n = rids.len();
    let comp: Vec<u32> = (0..n as u32).map(|i| uf.find(i)).collect();
    let mut members: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for (i, c) in comp.iter().enumerate() {
        members.entry(*c).or_default().push(i as u32);
    }
    let mut comps: Vec<Vec<u32>> = members.into_values().collect();
    comps.sort_by_key(|m| m[0]);
    // Each old person's home: the component holding its oldest record.
    let mut home: FxHashMap<i64, usize> = FxHashMap::default();
    let mut comp_index = vec![0usize; n];
    for (ci, m) in comps.iter().enumerate() {
        for &i in m {
            comp_index[i as usize] = ci;
        }
    }
    for i in 0..n {
        if let Some(p) = old[i] {
            home.entry(p).or_insert(comp_index[i]);
        }
    }
    let mut homes_of: Vec<Vec<i64>> = vec![Vec::new(); comps.len()];
    for (&p, &c) in &home {
        homes_of[c].push(p);
    }
    let mut next: i64 = store
        .meta("next_person")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let label = |rid: i64| -> Result<String> {
        conn.query_row(
            "SELECT source || ':' || id FROM records WHERE rid = ?1",
            [rid],
            |r| r.get(0),
        )
        .map_err(sql)
    };
    let mut event = conn
        .prepare_cached(
            "INSERT INTO events (date, version, person, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sql)?;
    let mut member = conn
        .prepare_cached("INSERT OR REPLACE INTO membership (rid, person) VALUES (?1, ?2)")
        .map_err(sql)?;
    let mut person_row = conn
        .prepare_cached("INSERT INTO persons (person, created, split_from) VALUES (?1, ?2, ?3)")
        .map_err(sql)?;
    let mut merged = conn
        .prepare_cached("UPDATE persons SET merged_into = ?2 WHERE person = ?1")
        .map_err(sql)?;
    for (ci, m) in comps.iter().enumerate() {
        let homes = &mut homes_of[ci];
        homes.sort();
        // Old persons whose records are here but whose oldest record is elsewhere.
        let mut from: Vec<i64> = m
            .iter()
            .filter_map(|&i| old[i as usize])
            .filter(|p| home[p] != ci)
            .collect();
        from.sort();
        from.dedup();
        let id = match homes.first() {
            Some(&p) => p,
            None => {
                let id = next;
                next += 1;
                let split_from = from.first().copied();
                person_row
                    .execute(params![id, date, split_from])
                    .map_err(sql)?;
                if from.is_empty() {
                    event
                        .execute(params![date, version, id, "created", ""])
                        .map_err(sql)?;
                    report.new_persons += 1;
                }
                id
            }
        };
        for &other in homes.iter().skip(1) {
            event
                .execute(params![
                    date,
                    version,
                    other,
                    "merged into",
                    person_label(id)
                ])
                .map_err(sql)?;
            event
                .execute(params![
                    date,
                    version,
                    id,
                    "merged",
                    format!("{} merged into this person", person_label(other))
                ])
                .map_err(sql)?;
            merged.execute(params![other, id]).map_err(sql)?;
            report.merges += 1;
        }
        for &p in &from {
            let moved: Vec<String> = m
                .iter()
                .filter(|&&i| old[i as usize] == Some(p))
                .map(|&i| label(rids[i as usize]))
                .collect::<Result<_>>()?;
            event
                .execute(params![
                    date,
                    version,
                    id,
                    "split from",
                    format!("{} (records {})", person_label(p), moved.join(";"))
                ])
                .map_err(sql)?;
            event
                .execute(params![
                    date,
                    version,
                    p,
                    "split",
                    format!("records {} to {}", moved.join(";"), person_label(id))
                ])
                .map_err(sql)?;
            report.splits += 1;
        }
        for &i in m {
            if old[i as usize] != Some(id) {
                member.execute(params![rids[i as usize], id]).map_err(sql)?;
            }
        }
    }
    report.persons = comps.len() as u64;
    store.set_meta("next_person", &next.to_string())?;
    Ok(report)
}

/// What a decision did.
#[derive(Debug, Clone)]
pub struct DecideReport {
    /// The decision's id (its place in the append-only log).
    pub id: i64,
    /// The persons of the two records after the decision.
    pub persons: (String, String),
    /// The model's probability of the pair, when it was a stored candidate pair.
    pub probability: Option<f64>,
    pub model_version: Option<i64>,
    pub changes: ClusterReport,
}

/// Records a decision on two records (`source`, `id`) and recomputes persons, in one
/// transaction. A `--match` that a `--not-match` keeps from holding (or the reverse) is
/// refused, and nothing is recorded.
pub fn decide(
    store: &mut Store,
    a: (&str, &str),
    b: (&str, &str),
    decision: Decision,
    by: &str,
    note: &str,
) -> Result<DecideReport> {
    in_transaction(store, |store| {
        let conn = &store.conn;
        let sql = |e| store.sql_err(e);
        let ra = store.record(a.0, a.1)?;
        let rb = store.record(b.0, b.1)?;
        if ra == rb {
            return Err(Error::Usage(format!(
                "{}:{} is one record: a decision needs two",
                a.0, a.1
            )));
        }
        let (x, y) = (ra.min(rb), ra.max(rb));
        let probability: Option<f64> = conn
            .query_row(
                "SELECT probability FROM edges WHERE a = ?1 AND b = ?2",
                params![x, y],
                |r| r.get(0),
            )
            .ok();
        let model_version = store.model()?.map(|(_, v)| v);
        let at = crate::now();
        conn.execute(
            "INSERT INTO decisions (a, b, decision, by, at, note, model_version, probability)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                x,
                y,
                decision.as_str(),
                by,
                at,
                note,
                model_version,
                probability
            ],
        )
        .map_err(sql)?;
        let id = conn.last_insert_rowid();
        let date = crate::today();
        let p = probability.map_or("not a candidate pair".to_string(), |p| {
            format!("probability {p:.4}")
        });
        for (rid, other) in [(ra, b), (rb, a)] {
            let what = format!("{} with {}:{}", decision.as_str(), other.0, other.1);
            decided_event(store, &date, rid, &what, &format!("by {by} ({p})"), note)?;
        }
        let changes = recluster_refusing_contradictions(store, &date)?;
        let person_of = |rid: i64| -> Result<String> {
            conn.query_row("SELECT person FROM membership WHERE rid = ?1", [rid], |r| {
                r.get::<_, i64>(0)
            })
            .map(person_label)
            .map_err(sql)
        };
        Ok(DecideReport {
            id,
            persons: (person_of(ra)?, person_of(rb)?),
            probability,
            model_version,
            changes,
        })
    })
}

/// Recomputes persons after a decision or an undo dated `date`; refuses (as
/// [`Error::Contradiction`], for the caller to roll back) when match decisions in force cannot
/// all hold beside the not-match ones.
pub(crate) fn recluster_refusing_contradictions(
    store: &Store,
    date: &str,
) -> Result<ClusterReport> {
    let conn = &store.conn;
    let sql = |e| store.sql_err(e);
    let settings = store
        .settings()?
        .ok_or_else(|| store.err("the store has no lists yet"))?;
    let changes = recluster(store, None, date, &settings.thresholds)?;
    if !changes.broken_matches.is_empty() {
        let pairs: Vec<String> = changes
            .broken_matches
            .iter()
            .map(|(a, b)| -> Result<String> {
                let name = |r: i64| -> Result<String> {
                    conn.query_row(
                        "SELECT source || ':' || id FROM records WHERE rid = ?1",
                        [r],
                        |row| row.get(0),
                    )
                    .map_err(sql)
                };
                Ok(format!("{} = {}", name(*a)?, name(*b)?))
            })
            .collect::<Result<_>>()?;
        return Err(Error::Contradiction(format!(
            "this decision contradicts earlier ones: the match decision(s) {} and the not-match decision(s) cannot all hold; decide one of those pairs again first (nothing recorded)",
            pairs.join(", ")
        )));
    }
    Ok(changes)
}
