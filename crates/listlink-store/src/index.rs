//! The look-up index kept beside the records: every stored record's blocking keys, and the
//! counts of the values the term-frequency adjustments read. Records to look up are compared
//! with the stored records that share a key with them — only those are read and prepared —
//! weighed with the whole roster's shares ([`listlink_core::frequency::reweigh`]): the pairs
//! and weights a run over every stored record would give, at the cost of the few.
//!
//! The index is made with the store's settings (kept in `meta.index_settings`); when they
//! differ, or a store of schema version 2 has none, it is made again from every record.

use crate::add::{STORED_COLUMNS, Stored, load_shapes, tables_of};
use crate::{Result, Store};
use listlink_core::frequency::{ValueCounts, reweigh, value_counts};
use listlink_core::pipeline::{Prepared, prepare, run_prepared};
use listlink_core::{
    Blocker, Comparator, Features, Input, LinkType, Model, RecordTable, Run, RunOptions, Settings,
};
use rusqlite::{OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};

/// The value under which `counts` keeps how many rows have a value in a source.
const PRESENT: &str = "";

fn options(link_type: LinkType, model: Option<Model>, top: usize) -> RunOptions {
    RunOptions {
        link_type,
        model,
        // The kept rules are the ones the store's first run used.
        rules_inferred: false,
        top_k: top.max(1),
        variants: None,
    }
}

/// The identity of the settings an index was made with.
fn identity(settings: &Settings) -> String {
    let mut s = settings.clone();
    s.as_of = None;
    s.to_toml()
}

/// Each row's blocking keys under the settings' rules, tagged with the rule.
pub(crate) fn keys_of(f: &Features, settings: &Settings) -> Result<Vec<Vec<i64>>> {
    let index = Blocker::index(settings.blocking_rules()?, f);
    Ok((0..f.len())
        .map(|row| {
            let mut keys: Vec<i64> = index
                .iter()
                .enumerate()
                .flat_map(|(i, rule)| rule.keys(row).iter().map(move |k| tagged(i, *k)))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            keys
        })
        .collect())
}

fn tagged(rule: usize, key: u64) -> i64 {
    (key ^ (rule as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) as i64
}

/// The keys and value counts of some records, prepared on their own.
pub(crate) fn describe(
    tables: Vec<RecordTable>,
    settings: &Settings,
) -> Result<(Vec<Vec<i64>>, ValueCounts)> {
    let inputs = tables
        .into_iter()
        .map(|table| Input { table, side: 0 })
        .collect();
    let prepared = prepare(inputs, settings, &options(LinkType::Dedupe, None, 1));
    let comparator = Comparator::new(settings);
    Ok((
        keys_of(&prepared.features, settings)?,
        value_counts(&prepared.features, &comparator),
    ))
}

/// Adds (`insert`) or takes away the keys of records.
pub(crate) fn put_keys(store: &Store, rids: &[i64], keys: &[Vec<i64>], insert: bool) -> Result<()> {
    let mut flat: Vec<(i64, i64)> = rids
        .iter()
        .zip(keys)
        .flat_map(|(rid, ks)| ks.iter().map(move |k| (*k, *rid)))
        .collect();
    // In key order the B-tree is written from one end to the other.
    flat.sort_unstable();
    let sql = if insert {
        "INSERT OR IGNORE INTO keys (key, rid) VALUES (?1, ?2)"
    } else {
        "DELETE FROM keys WHERE key = ?1 AND rid = ?2"
    };
    let mut stmt = store
        .conn
        .prepare_cached(sql)
        .map_err(|e| store.sql_err(e))?;
    for (k, rid) in flat {
        stmt.execute(params![k, rid])
            .map_err(|e| store.sql_err(e))?;
    }
    Ok(())
}

/// Adds counts (`sign` 1) or takes them away (-1).
pub(crate) fn put_counts(store: &Store, counts: &ValueCounts, sign: i64) -> Result<()> {
    let mut up = store
        .conn
        .prepare_cached(
            "INSERT INTO counts (source, value, n) VALUES (?1, ?2, ?3)
             ON CONFLICT (source, value) DO UPDATE SET n = n + excluded.n",
        )
        .map_err(|e| store.sql_err(e))?;
    for (source, c) in &counts.sources {
        up.execute(params![source, PRESENT, sign * c.present])
            .map_err(|e| store.sql_err(e))?;
        for (value, n) in &c.values {
            up.execute(params![source, value, sign * n])
                .map_err(|e| store.sql_err(e))?;
        }
    }
    if sign < 0 {
        store
            .conn
            .execute("DELETE FROM counts WHERE n <= 0 AND value <> ''", [])
            .map_err(|e| store.sql_err(e))?;
    }
    Ok(())
}

/// The roster's counts of the values `needed` counts, with each source's rows present.
fn population(store: &Store, needed: &ValueCounts) -> Result<ValueCounts> {
    let mut get = store
        .conn
        .prepare_cached("SELECT n FROM counts WHERE source = ?1 AND value = ?2")
        .map_err(|e| store.sql_err(e))?;
    let mut out = ValueCounts::default();
    for (source, c) in &needed.sources {
        let mut n = |value: &str| -> Result<i64> {
            Ok(get
                .query_row(params![source, value], |r| r.get(0))
                .optional()
                .map_err(|e| store.sql_err(e))?
                .unwrap_or(0))
        };
        let mut counts = listlink_core::frequency::SourceCounts {
            present: n(PRESENT)?,
            values: BTreeMap::new(),
        };
        for value in c.values.keys() {
            counts.values.insert(value.clone(), n(value)?);
        }
        out.sources.insert(source.clone(), counts);
    }
    Ok(out)
}

/// The stored records sharing a key with one of `keys`' rows, but those in `exclude`, in
/// record order.
pub(crate) fn candidates(
    store: &Store,
    keys: &[Vec<i64>],
    exclude: &BTreeSet<i64>,
) -> Result<Vec<i64>> {
    let mut get = store
        .conn
        .prepare_cached("SELECT rid FROM keys WHERE key = ?1")
        .map_err(|e| store.sql_err(e))?;
    let distinct: BTreeSet<i64> = keys.iter().flatten().copied().collect();
    let mut out = BTreeSet::new();
    for k in distinct {
        let rows = get
            .query_map([k], |r| r.get::<_, i64>(0))
            .map_err(|e| store.sql_err(e))?;
        for rid in rows {
            let rid = rid.map_err(|e| store.sql_err(e))?;
            if !exclude.contains(&rid) {
                out.insert(rid);
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Stored records by record id, in the order given.
pub(crate) fn load(store: &Store, rids: &[i64]) -> Result<Vec<Stored>> {
    let mut get = store
        .conn
        .prepare_cached(&format!(
            "SELECT {STORED_COLUMNS} FROM records WHERE rid = ?1"
        ))
        .map_err(|e| store.sql_err(e))?;
    let mut out = Vec::with_capacity(rids.len());
    for &rid in rids {
        let mut rows = get.query([rid]).map_err(|e| store.sql_err(e))?;
        match rows.next().map_err(|e| store.sql_err(e))? {
            Some(r) => out.push(Stored::from_row(store, r)?),
            None => return Err(store.err(format!("record {rid} is indexed but not stored"))),
        }
    }
    Ok(out)
}

/// A run over prepared inputs with the roster's shares.
fn run_weighed(
    store: &Store,
    mut prepared: Prepared,
    settings: &Settings,
    options: &RunOptions,
) -> Result<Run> {
    let comparator = Comparator::new(settings);
    let needed = value_counts(&prepared.features, &comparator);
    reweigh(
        &mut prepared.features,
        &comparator,
        &population(store, &needed)?,
    );
    Ok(run_prepared(prepared, settings.clone(), options, &|_| {})?)
}

/// `query`'s records against the stored records that share one of `keys` (the query rows'
/// keys, from [`describe`]) with them (but those in `exclude`), with the store's model and shares, as `find` answers; the record id of each row
/// after the query's (none when no stored record shares a key).
pub(crate) fn find_in_store(
    store: &Store,
    settings: &Settings,
    model: &Model,
    query: RecordTable,
    keys: &[Vec<i64>],
    exclude: &BTreeSet<i64>,
    top: usize,
) -> Result<(Run, Vec<i64>)> {
    let rids = candidates(store, keys, exclude)?;
    let shapes = load_shapes(store)?;
    let records = load(store, &rids)?;
    let (roster, rids) = tables_of(store, &shapes, records.iter());
    let mut inputs = vec![Input {
        table: query,
        side: 0,
    }];
    inputs.extend(roster.into_iter().map(|table| Input { table, side: 1 }));
    let opts = options(LinkType::Find, Some(model.clone()), top);
    let prepared = prepare(inputs, settings, &opts);
    Ok((run_weighed(store, prepared, settings, &opts)?, rids))
}

/// `records`' pairs among themselves, with the store's model and shares.
pub(crate) fn dedupe_in_store(
    store: &Store,
    settings: &Settings,
    model: &Model,
    records: RecordTable,
) -> Result<Run> {
    let opts = options(LinkType::Dedupe, Some(model.clone()), 1);
    let prepared = prepare(
        vec![Input {
            table: records,
            side: 0,
        }],
        settings,
        &opts,
    );
    run_weighed(store, prepared, settings, &opts)
}

/// Makes the index again from a run over every stored record (`rids` per row).
pub(crate) fn rebuild_from(store: &Store, run: &Run, rids: &[i64]) -> Result<()> {
    clear(store)?;
    put_keys(store, rids, &keys_of(&run.features, &run.settings)?, true)?;
    put_counts(store, &value_counts(&run.features, &run.comparator), 1)?;
    store.set_meta("index_settings", &identity(&run.settings))
}

fn clear(store: &Store) -> Result<()> {
    store
        .conn
        .execute_batch("DELETE FROM keys; DELETE FROM counts;")
        .map_err(|e| store.sql_err(e))
}

/// Makes the index again from every stored record when it was made with other settings, or
/// not at all (call within a write transaction).
pub(crate) fn ensure(store: &Store, settings: &Settings) -> Result<()> {
    if is_current(store, settings)? {
        return Ok(());
    }
    clear(store)?;
    let shapes = load_shapes(store)?;
    let records = crate::add::load_records(store)?;
    let (tables, rids) = tables_of(store, &shapes, records.iter());
    drop(records);
    if !tables.is_empty() {
        let (keys, counts) = describe(tables, settings)?;
        put_keys(store, &rids, &keys, true)?;
        put_counts(store, &counts, 1)?;
    }
    store.set_meta("index_settings", &identity(settings))
}

/// Whether the index is current for these settings.
pub(crate) fn is_current(store: &Store, settings: &Settings) -> Result<bool> {
    Ok(store.meta("index_settings")?.as_deref() == Some(identity(settings).as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AddOptions, add};
    use listlink_core::ingest::{ReadOptions, read_file};
    use std::path::Path;
    use std::time::Duration;

    fn options(settings: &Settings, received: &str) -> AddOptions {
        AddOptions {
            source: Some("reg".into()),
            received: received.into(),
            list_settings: settings.clone(),
            settings_given: false,
            retrain: false,
            model: None,
            encoding: None,
            strict: false,
        }
    }

    type Index = (Vec<(i64, i64)>, Vec<(String, String, i64)>);

    fn index_rows(store: &Store) -> Index {
        let mut stmt = store
            .conn
            .prepare("SELECT key, rid FROM keys ORDER BY key, rid")
            .unwrap();
        let keys = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut stmt = store
            .conn
            .prepare("SELECT source, value, n FROM counts WHERE n <> 0 ORDER BY source, value")
            .unwrap();
        let counts = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        (keys, counts)
    }

    /// Day one: 1,000 records. Day two: 300, of which 50 seen before unchanged, 50 changed, 200
    /// new. Day two's pairs, found through the index, are the pairs (and probabilities) of a
    /// run of its new and changed records against every stored record and among themselves;
    /// the index kept up to date is the index made again from every record.
    #[test]
    fn an_add_through_the_index_scores_as_a_run_over_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = Vec::new();
        let config = listlink_synth::febrl::FebrlConfig {
            seed: 12,
            records: 1_200,
            ..Default::default()
        };
        listlink_synth::febrl::write_febrl(&config, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let (header, rows) = (lines[0], &lines[1..]);
        let day1: Vec<&str> = rows[..1000].to_vec();
        let mut day2: Vec<String> = rows[900..1200].iter().map(|s| s.to_string()).collect();
        for row in &mut day2[50..100] {
            // A changed address: the record's keys and counts change.
            let mut cells: Vec<String> = row.split(',').map(String::from).collect();
            cells[5] = format!("{}x", cells[5]);
            *row = cells.join(",");
        }
        let write = |name: &str, rows: &[String]| {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
            p
        };
        let day1 = write(
            "day1.csv",
            &day1.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let day2 = write("day2.csv", &day2);
        let settings = Settings::from_toml(
            include_str!("../../listlink-core/tests/fixtures/febrl-settings.toml"),
            "febrl-settings.toml",
        )
        .unwrap();
        let path = dir.path().join("s.db");
        let mut store = Store::open(&path, true, Duration::from_secs(5)).unwrap();
        add(&mut store, &day1, &options(&settings, "2026-03-01")).unwrap();
        let report = add(&mut store, &day2, &options(&settings, "2026-03-02")).unwrap();
        assert_eq!((report.new_records, report.updated_records), (200, 50));

        // The reference: day two's new and changed records, in the list's order, against
        // every other stored record and among themselves, shares from all of them.
        let mut kept = store.settings().unwrap().unwrap();
        kept.as_of = Some("2026-03-02".into());
        let (model, _) = store.model().unwrap().unwrap();
        let query_rids: BTreeSet<i64> = {
            let mut stmt = store
                .conn
                .prepare("SELECT rid FROM records WHERE version = 2")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(query_rids.len(), 250);
        let list = read_file(
            &day2,
            &ReadOptions {
                id_columns: kept.id_columns.clone(),
                source_name: Some("reg".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .table;
        let query_rows: Vec<usize> = (0..list.len())
            .filter(|&r| query_rids.contains(&store.record("reg", list.ids.get(r)).unwrap()))
            .collect();
        let query = list.rows(&query_rows);
        let rid_of = |run: &Run, row: usize| {
            let (s, id) = run.key(row);
            store.record(s, id).unwrap()
        };
        let shapes = load_shapes(&store).unwrap();
        let others: Vec<Stored> = crate::add::load_records(&store)
            .unwrap()
            .into_iter()
            .filter(|r| !query_rids.contains(&r.rid))
            .collect();
        let (roster, _) = tables_of(&store, &shapes, others.iter());
        let mut inputs = vec![Input {
            table: query.clone(),
            side: 0,
        }];
        inputs.extend(roster.into_iter().map(|table| Input { table, side: 1 }));
        // The find run holds every stored record: its own shares are the roster's. The run
        // among the query's records takes the roster's shares, counted from every record.
        let comparator = Comparator::new(&kept);
        let dedupe = super::options(LinkType::Dedupe, Some(model.clone()), 1);
        let every = prepare(inputs.clone(), &kept, &dedupe);
        let roster_counts = value_counts(&every.features, &comparator);
        let mut among = prepare(
            vec![Input {
                table: query,
                side: 0,
            }],
            &kept,
            &dedupe,
        );
        reweigh(&mut among.features, &comparator, &roster_counts);
        let mut expected: BTreeMap<(i64, i64), f64> = BTreeMap::new();
        let review = kept.thresholds.review_probability;
        let find = super::options(LinkType::Find, Some(model.clone()), 1);
        for run in [
            listlink_core::run(inputs, kept.clone(), &find).unwrap(),
            run_prepared(among, kept.clone(), &dedupe, &|_| {}).unwrap(),
        ] {
            for p in run.pairs.iter().filter(|p| p.probability() >= review) {
                let (a, b) = (rid_of(&run, p.a.index()), rid_of(&run, p.b.index()));
                expected.insert((a.min(b), a.max(b)), p.probability());
            }
        }
        let got: BTreeMap<(i64, i64), f64> = {
            let mut stmt = store
                .conn
                .prepare("SELECT a, b, probability FROM edges WHERE version = 2")
                .unwrap();
            stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert!(expected.len() > 30, "{} pairs", expected.len());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
        for (pair, p) in &expected {
            assert!(
                (got[pair] - p).abs() < 1e-9,
                "{pair:?}: {} vs {p}",
                got[pair]
            );
        }

        // The index as kept equals the index made again from every record.
        let kept_index = index_rows(&store);
        store
            .conn
            .execute("DELETE FROM meta WHERE key = 'index_settings'", [])
            .unwrap();
        ensure(&store, &kept).unwrap();
        assert_eq!(index_rows(&store), kept_index);
        assert!(Path::new(&path).exists());
    }
}
