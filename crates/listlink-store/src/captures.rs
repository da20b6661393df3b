//! What `listlink estimate --store` reads: every stored record with its list (its source), its
//! person and, with `--by`, its value in a column; and the scored pairs with the people's
//! decisions in force (a match decision is a sure link, a not-match decision no link), for
//! drawing clusterings that carry the linkage's uncertainty into the estimate.

use crate::add::{STORED_COLUMNS, Stored, load_shapes};
use crate::persons::{latest_decisions, memberships};
use crate::{Result, Store, person_label};
use rustc_hash::FxHashMap;

/// One stored record, as estimation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRecord {
    pub source: String,
    pub id: String,
    /// The person it belongs to (`P-000001`).
    pub person: String,
    /// Its value in the `--by` column (empty without one, or when its list lacks the column).
    pub stratum: String,
}

/// The store's records and pairs for estimation.
#[derive(Debug, Clone)]
pub struct Captures {
    pub records: Vec<CaptureRecord>,
    /// (record, record, probability), indexes into `records`; decided pairs with 1 (match)
    /// or left out (not-match).
    pub pairs: Vec<(usize, usize, f64)>,
    pub review_probability: f64,
    pub match_probability: f64,
}

/// Every record in record order, and every stored pair with the decisions in force. `by`
/// must be a column of at least one stored list.
pub fn captures(store: &Store, by: Option<&str>) -> Result<Captures> {
    let sql = |e| store.sql_err(e);
    let settings = store
        .settings()?
        .ok_or_else(|| store.err("the store has no lists yet: add one first"))?;
    let shapes = load_shapes(store)?;
    let by_column: FxHashMap<i64, Option<usize>> = shapes
        .iter()
        .map(|(s, headers)| (*s, by.and_then(|b| headers.iter().position(|h| h == b))))
        .collect();
    if let Some(b) = by
        && by_column.values().all(Option::is_none)
    {
        let mut headers: Vec<&str> = shapes
            .iter()
            .flat_map(|(_, h)| h.iter())
            .map(|h| h.as_str())
            .collect();
        headers.sort_unstable();
        headers.dedup();
        return Err(crate::Error::Usage(format!(
            "--by {b}: no list in store {} has that column (columns: {})",
            store.path.display(),
            headers.join(", ")
        )));
    }
    let person = memberships(store)?;
    let mut records = Vec::new();
    let mut index: FxHashMap<i64, usize> = FxHashMap::default();
    {
        let mut stmt = store
            .conn
            .prepare(&format!(
                "SELECT {STORED_COLUMNS} FROM records ORDER BY rid"
            ))
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let r = Stored::from_row(store, row)?;
            let p = person.get(&r.rid).ok_or_else(|| {
                store.err(format!("record {}:{} belongs to no person", r.source, r.id))
            })?;
            let stratum = by_column[&r.shape].map_or(String::new(), |c| r.vals[c].clone());
            index.insert(r.rid, records.len());
            records.push(CaptureRecord {
                source: r.source,
                id: r.id,
                person: person_label(*p),
                stratum,
            });
        }
    }
    let mut decisions = latest_decisions(store)?;
    let mut pairs = Vec::new();
    {
        let mut stmt = store
            .conn
            .prepare("SELECT a, b, probability FROM edges ORDER BY a, b")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            })
            .map_err(sql)?;
        for row in rows {
            let (a, b, p) = row.map_err(sql)?;
            let p = match decisions.remove(&(a, b)).map(|(_, d)| d) {
                Some(d) if d == "match" => 1.0,
                Some(d) if d == "not-match" => continue,
                _ => p,
            };
            pairs.push((index[&a], index[&b], p));
        }
    }
    // Pairs decided a match that no blocking rule scored.
    let mut decided: Vec<(i64, i64)> = decisions
        .into_iter()
        .filter(|(_, (_, d))| d == "match")
        .map(|(k, _)| k)
        .collect();
    decided.sort_unstable();
    pairs.extend(
        decided
            .into_iter()
            .map(|(a, b)| (index[&a], index[&b], 1.0)),
    );
    Ok(Captures {
        records,
        pairs,
        review_probability: settings.thresholds.review_probability,
        match_probability: settings.thresholds.match_probability,
    })
}
