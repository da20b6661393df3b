//! `listlink estimate`: how many people in total, including those on no list, from a run's
//! clusters or from a table of capture patterns (multiple systems estimation, in
//! `listlink-estimate`).
//!
//! Inputs: `--store` (each source is one list, each person one capture pattern; the stored
//! pairs, with the decisions in force, add the interval with linkage uncertainty),
//! `--clusters` (each source is one list; `pairs.csv` beside it, when present, adds that
//! interval) and `--patterns`. `--by` names a column of the pattern table, of the store's lists
//! or of `clusters.csv` (a person or cluster takes the value of its first record); with `--by`
//! no linkage draws are made.

use crate::Failure;
use anyhow::{Context, anyhow};
use listlink_core::export::write_atomic;
use listlink_estimate::CaptureTable;
use listlink_estimate::lcmcr::LcmcrConfig;
use listlink_estimate::linkage::{Band, LinkedRecords, ScoredPair};
use listlink_estimate::loglinear::Criterion;
use listlink_estimate::report::{self, Config, Method, TableReport};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// How many people in total, including those on no list (multiple systems estimation).
#[derive(clap::Args, Debug)]
pub struct EstimateArgs {
    /// `clusters.csv` of a link or dedupe run: each source is one list. A `pairs.csv` beside it
    /// adds the interval with linkage uncertainty.
    #[arg(
        long,
        required_unless_present_any = ["patterns", "store"],
        conflicts_with_all = ["patterns", "store"]
    )]
    clusters: Option<PathBuf>,
    /// A roster store: each source is one list, each person one capture pattern; the stored
    /// pairs, with people's decisions in force, add the interval with linkage uncertainty.
    #[arg(long, conflicts_with = "patterns")]
    store: Option<PathBuf>,
    /// A table of capture patterns: one 0/1 column per list, and `count`.
    #[arg(long)]
    patterns: Option<PathBuf>,
    /// Output folder: estimate.json and estimate.svg.
    #[arg(long)]
    out: PathBuf,
    /// Default: chapman with two lists, loglinear with more.
    #[arg(long, value_enum)]
    method: Option<MethodArg>,
    /// The criterion log-linear models are selected by.
    #[arg(long, value_enum, default_value_t = SelectArg::Bic)]
    select: SelectArg,
    /// Highest order of log-linear interaction terms.
    #[arg(long, default_value_t = 2)]
    max_order: u32,
    /// Seed of the LCMCR sampler and the linkage draws: same seed, same output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Estimate per value of this column, and their total.
    #[arg(long)]
    by: Option<String>,
    /// LCMCR Gibbs iterations (a quarter of them burn-in; thinned to about 7,500 kept draws).
    /// Sparse tables mix slowly: read the effective sample size in the output.
    #[arg(long, default_value_t = 100_000)]
    iterations: usize,
    /// Bootstrap replicates for a log-linear interval that also counts model-selection
    /// uncertainty (0: none; the published analyses use 1000).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Clusterings drawn for the linkage-uncertainty interval.
    #[arg(long, default_value_t = 20)]
    draws: usize,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodArg {
    Chapman,
    Loglinear,
    Lcmcr,
    All,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectArg {
    Bic,
    Aic,
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(anyhow!("{e}"))
}

pub fn run(args: EstimateArgs) -> Result<(), Failure> {
    let mut config = Config {
        criterion: match args.select {
            SelectArg::Bic => Criterion::Bic,
            SelectArg::Aic => Criterion::Aic,
        },
        max_order: args.max_order.max(1),
        lcmcr: LcmcrConfig {
            iterations: args.iterations.max(2),
            burn_in: args.iterations.max(2) / 4,
            thin: (args.iterations / 10_000).max(1),
            seed: args.seed,
            ..LcmcrConfig::default()
        },
        linkage_draws: args.draws,
        bootstrap: args.bootstrap,
        ..Config::default()
    };
    let choose = |k: usize| match args.method {
        Some(MethodArg::Chapman) => Method::Chapman,
        Some(MethodArg::Loglinear) => Method::Loglinear,
        Some(MethodArg::Lcmcr) => Method::Lcmcr,
        Some(MethodArg::All) => Method::All,
        None if k == 2 => Method::Chapman,
        None => Method::Loglinear,
    };
    let strata: Vec<(String, TableReport)> = if let Some(path) = &args.patterns {
        let text = crate::eval::read_output(path)?;
        let tables =
            CaptureTable::read_patterns_csv(&text, &path.display().to_string(), args.by.as_deref())
                .map_err(usage)?;
        config.method = choose(tables[0].1.k());
        tables
            .into_iter()
            .map(|(name, t)| {
                report::estimate_table(&t, &config)
                    .map(|r| (name.clone(), r))
                    .map_err(|e| usage(stratum_error(&name, e)))
            })
            .collect::<Result<_, _>>()?
    } else if let Some(path) = &args.store {
        let store = listlink_store::Store::open(path, false, std::time::Duration::from_secs(30))?;
        let captures = listlink_store::captures(&store, args.by.as_deref())?;
        let rows = captures
            .records
            .iter()
            .map(|r| {
                (
                    r.source.clone(),
                    r.id.clone(),
                    r.person.clone(),
                    r.stratum.clone(),
                )
            })
            .collect();
        let clusters = clusters_of(rows, &format!("store {}", path.display()))?;
        config.method = choose(clusters.lists.len());
        if args.by.is_none() {
            let records = LinkedRecords {
                lists: clusters.lists.clone(),
                list_of: clusters.list_of.clone(),
                pairs: captures
                    .pairs
                    .iter()
                    .map(|&(a, b, probability)| ScoredPair { a, b, probability })
                    .collect(),
            };
            linked(
                clusters,
                &records,
                Some(captures.review_probability),
                &mut config,
            )?
        } else {
            stratified(clusters.tables, &config)?
        }
    } else {
        let path = args.clusters.as_ref().expect("clap requires one input");
        let clusters = read_clusters(path, args.by.as_deref())?;
        config.method = choose(clusters.lists.len());
        let pairs_path = path.with_file_name("pairs.csv");
        if args.by.is_none() && pairs_path.exists() {
            let records = read_pairs(&pairs_path, &clusters)?;
            linked(clusters, &records, read_review_threshold(path), &mut config)?
        } else {
            stratified(clusters.tables, &config)?
        }
    };
    let mut report = report::report(strata, &config);
    let with_pairs = args.store.is_some()
        || args
            .clusters
            .as_ref()
            .is_some_and(|p| p.with_file_name("pairs.csv").exists());
    if let Some(by) = &args.by
        && with_pairs
        && let report::Body::Strata { warnings, .. } = &mut report.body
    {
        warnings.push(format!(
            "with --by {by}, linkage uncertainty is not drawn: the intervals take the run's clusters as right"
        ));
    }
    // The folder is written whole, as a linking run's is.
    let staging = crate::outdir::Staging::begin(&args.out)?;
    write_atomic(&staging.path("estimate.json"), report.to_json().as_bytes())?;
    write_atomic(&staging.path("estimate.svg"), report.svg().as_bytes())?;
    staging.commit()?;
    print!("{}", report.summary());
    Ok(())
}

/// The estimate with linkage uncertainty (pairs from the review threshold up drawn), beside
/// the one on the clusters as they are.
fn linked(
    clusters: Clusters,
    records: &LinkedRecords,
    review: Option<f64>,
    config: &mut Config,
) -> Result<Vec<(String, TableReport)>, Failure> {
    if let Some(lower) = review {
        config.band = Band {
            lower,
            ..config.band
        };
    }
    let point = clusters.tables.into_iter().next().expect("one table").1;
    Ok(vec![(
        String::new(),
        report::estimate_linked(&point, records, config).map_err(usage)?,
    )])
}

/// An estimate per stratum.
fn stratified(
    tables: Vec<(String, CaptureTable)>,
    config: &Config,
) -> Result<Vec<(String, TableReport)>, Failure> {
    tables
        .into_iter()
        .map(|(name, t)| {
            report::estimate_table(&t, config)
                .map(|r| (name.clone(), r))
                .map_err(|e| usage(stratum_error(&name, e)))
        })
        .collect()
}

fn stratum_error(name: &str, e: listlink_estimate::Error) -> String {
    if name.is_empty() {
        e.to_string()
    } else {
        format!("stratum `{name}`: {e}")
    }
}

/// Records of a run: their lists, the key → record index, and the capture tables of the run's
/// own clustering (one per stratum).
struct Clusters {
    lists: Vec<String>,
    index: HashMap<(String, String), usize>,
    list_of: Vec<usize>,
    tables: Vec<(String, CaptureTable)>,
}

/// Undoes the spreadsheet escaping of output cells (as `evaluate` does).
fn unescape(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize, Failure> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        usage(format!(
            "{}: no column `{name}` (header: {})",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(",")
        ))
    })
}

fn read_clusters(path: &Path, by: Option<&str>) -> Result<Clusters, Failure> {
    let text = crate::eval::read_output(path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| path.display().to_string())?
        .clone();
    let (sc, ic, cc) = (
        column(&headers, "source", path)?,
        column(&headers, "record_id", path)?,
        column(&headers, "cluster_id", path)?,
    );
    let bc = by.map(|b| column(&headers, b, path)).transpose()?;
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}, line {}", path.display(), n + 2))?;
        if rec[cc].is_empty() {
            return Err(usage(format!(
                "{}, line {}, field `cluster_id`: empty",
                path.display(),
                n + 2
            )));
        }
        rows.push((
            unescape(&rec[sc]).to_string(),
            unescape(&rec[ic]).to_string(),
            rec[cc].to_string(),
            bc.map(|c| rec[c].to_string()).unwrap_or_default(),
        ));
    }
    clusters_of(rows, &path.display().to_string())
}

/// Records as (source, id, cluster, stratum), each source one list, into a capture table per
/// stratum (a cluster takes its first record's stratum). `origin` names them in messages.
fn clusters_of(
    rows: Vec<(String, String, String, String)>,
    origin: &str,
) -> Result<Clusters, Failure> {
    let mut lists: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    lists.sort();
    lists.dedup();
    if lists.len() < 2 {
        return Err(usage(format!(
            "{origin}: {} source(s); estimation needs records from at least two lists",
            lists.len()
        )));
    }
    let list_index: HashMap<&str, usize> = lists
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    // cluster → (pattern, stratum of its first record)
    let mut patterns: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    let mut index = HashMap::new();
    let mut list_of = Vec::with_capacity(rows.len());
    for (r, (s, id, c, stratum)) in rows.iter().enumerate() {
        let l = list_index[s.as_str()];
        patterns
            .entry(c.as_str())
            .or_insert((0, stratum.as_str()))
            .0 |= 1 << l;
        index.insert((s.clone(), id.clone()), r);
        list_of.push(l);
    }
    let mut tables: Vec<(String, CaptureTable)> = Vec::new();
    for (pattern, stratum) in patterns.values() {
        let pos = match tables.iter().position(|(s, _)| s == stratum) {
            Some(p) => p,
            None => {
                tables.push((
                    stratum.to_string(),
                    CaptureTable::new(lists.clone()).map_err(usage)?,
                ));
                tables.len() - 1
            }
        };
        tables[pos].1.add(*pattern, 1);
    }
    tables.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Clusters {
        lists,
        index,
        list_of,
        tables,
    })
}

fn read_pairs(path: &Path, clusters: &Clusters) -> Result<LinkedRecords, Failure> {
    let text = crate::eval::read_output(path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| path.display().to_string())?
        .clone();
    let cols = [
        column(&headers, "left_source", path)?,
        column(&headers, "left_id", path)?,
        column(&headers, "right_source", path)?,
        column(&headers, "right_id", path)?,
    ];
    let pc = column(&headers, "match_probability", path)?;
    let mut pairs = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let rec = rec.with_context(|| format!("{}, line {line}", path.display()))?;
        let key = |s: usize, i: usize| -> Result<usize, Failure> {
            let k = (
                unescape(&rec[cols[s]]).to_string(),
                unescape(&rec[cols[i]]).to_string(),
            );
            clusters.index.get(&k).copied().ok_or_else(|| {
                usage(format!(
                    "{}, line {line}, field `{}`: record {}:{} is not in clusters.csv",
                    path.display(),
                    &headers[cols[i]],
                    k.0,
                    k.1
                ))
            })
        };
        let a = key(0, 1)?;
        let b = key(2, 3)?;
        let probability: f64 = rec[pc]
            .parse()
            .ok()
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or_else(|| {
                usage(format!(
                    "{}, line {line}, field `match_probability`: `{}` is not a probability",
                    path.display(),
                    &rec[pc]
                ))
            })?;
        pairs.push(ScoredPair { a, b, probability });
    }
    Ok(LinkedRecords {
        lists: clusters.lists.clone(),
        list_of: clusters.list_of.clone(),
        pairs,
    })
}

/// The run's review threshold from `report.json` beside `clusters.csv`, if there is one.
fn read_review_threshold(clusters: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(clusters.with_file_name("report.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["thresholds"]["review_probability"].as_f64()
}
