//! `listlink evaluate`: a run's pairs against known truth.

use crate::Failure;
use anyhow::{Context, anyhow};
use listlink_core::evaluate::{Key, PairSpace, Truth, evaluate, format_table};
use listlink_core::export::write_atomic;
use listlink_core::ingest::{ReadOptions, read_file, read_headers};
use listlink_core::{RecordTable, Run, Settings};
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};

const TRUTH_COLUMNS: [&str; 6] = [
    "truth",
    "cluster",
    "cluster_id",
    "entity_id",
    "true_id",
    "match_id",
];

/// Undoes the spreadsheet escaping of output cells.
fn unescape(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// Truth labels from tables that have a truth column.
pub fn labels_from_tables(tables: &[&RecordTable], column: Option<&str>) -> FxHashMap<Key, String> {
    let mut labels = FxHashMap::default();
    for t in tables {
        let col = match column {
            Some(c) => t.column(c),
            None => TRUTH_COLUMNS.iter().find_map(|c| t.column(c)),
        };
        if let Some(col) = col {
            for r in 0..t.len() {
                let v = col.get(r);
                if !v.is_empty() {
                    labels.insert(
                        (t.sources.get(r).to_string(), t.ids.get(r).to_string()),
                        v.to_string(),
                    );
                }
            }
        }
    }
    labels
}

/// The pair space and scored pairs of a run held in memory.
pub fn run_pairs(run: &Run) -> (Vec<(Key, Key, f64)>, PairSpace) {
    let key = |r: usize| {
        let (s, i) = run.key(r);
        (s.to_string(), i.to_string())
    };
    let scored = run
        .pairs
        .iter()
        .map(|p| (key(p.a.index()), key(p.b.index()), p.probability()))
        .collect();
    let space = match run.features.link_type {
        listlink_core::LinkType::Dedupe => PairSpace::Dedupe,
        listlink_core::LinkType::Link => PairSpace::Link,
        listlink_core::LinkType::Find => PairSpace::Find {
            query_sources: run
                .inputs
                .iter()
                .filter(|i| i.side == 0)
                .flat_map(|i| {
                    i.table
                        .sources
                        .iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect(),
        },
    };
    (scored, space)
}

/// Reads a run's folder and the truth files, evaluates, writes `DIR/evaluation.json`, and
/// returns the table to print.
pub fn run(
    out: &Path,
    truth_files: &[PathBuf],
    truth_column: Option<&str>,
    threshold: Option<f64>,
    encoding: Option<&str>,
) -> Result<String, Failure> {
    let report_path = out.join("report.json");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).with_context(|| {
            format!(
                "reading {} (run dedupe, link or find first)",
                report_path.display()
            )
        })?)
        .with_context(|| format!("{}: not a report", report_path.display()))?;
    let settings_path = out.join("settings.toml");
    let settings = Settings::from_toml(
        &std::fs::read_to_string(&settings_path)
            .with_context(|| format!("reading {}", settings_path.display()))?,
        &settings_path.display().to_string(),
    )?;
    let space = match report["link_type"].as_str() {
        Some("dedupe") => PairSpace::Dedupe,
        Some("link") => PairSpace::Link,
        Some("find") => PairSpace::Find {
            query_sources: report["sources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["side"] == "query")
                .filter_map(|s| s["name"].as_str().map(str::to_string))
                .collect(),
        },
        other => {
            return Err(Failure::Usage(anyhow!(
                "{}: unknown link_type {other:?}",
                report_path.display()
            )));
        }
    };
    if let Some(t) = threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(Failure::Usage(anyhow!(
            "--threshold {t} is not a probability between 0 and 1"
        )));
    }
    let threshold = threshold
        .or(report["thresholds"]["match_probability"].as_f64())
        .unwrap_or(0.5);

    let pairs_path = out.join("pairs.csv");
    let pairs_text = read_output(&pairs_path)?;
    let mut reader = csv::Reader::from_reader(pairs_text.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| pairs_path.display().to_string())?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| anyhow!("{}: no column `{name}`", pairs_path.display()))
    };
    let (ls, li, rs, ri, pc) = (
        col("left_source")?,
        col("left_id")?,
        col("right_source")?,
        col("right_id")?,
        col("match_probability")?,
    );
    let mut scored = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: line {}", pairs_path.display(), n + 2))?;
        let p: f64 = rec[pc].parse().with_context(|| {
            format!(
                "{}: line {}: match_probability",
                pairs_path.display(),
                n + 2
            )
        })?;
        let a = (
            unescape(&rec[ls]).to_string(),
            unescape(&rec[li]).to_string(),
        );
        let b = (
            unescape(&rec[rs]).to_string(),
            unescape(&rec[ri]).to_string(),
        );
        scored.push((a, b, p));
    }

    let inputs: Vec<PathBuf> = report["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["path"].as_str().map(PathBuf::from))
        .collect();
    let truth = read_truth(truth_files, truth_column, &settings, encoding, &inputs)?;
    let records = run_records(&out.join("clusters.csv"))?;
    let truth_keys: Vec<&Key> = match &truth {
        Truth::Labels(l) => l.keys().collect(),
        Truth::Pairs(p) => p.iter().flat_map(|(a, b)| [a, b]).collect(),
    };
    let absent = truth_keys.iter().filter(|k| !records.contains(**k)).count();
    if absent > 0 {
        eprintln!(
            "warning: {absent} of {} truth records are not records of this run (their source and id never occur in it){}",
            truth_keys.len(),
            if absent == truth_keys.len() {
                ": the truth belongs to other lists, or names sources differently, so precision and recall below mean nothing"
            } else {
                ""
            }
        );
    }
    let e = evaluate(&scored, &truth, &space, threshold);
    let json = serde_json::to_string_pretty(&e).expect("evaluation serialises");
    write_atomic(&out.join("evaluation.json"), json.as_bytes())?;
    if e.true_pairs == 0 {
        return Ok(format!(
            "0 true pairs in the truth for this run: precision, recall and F1 are undefined ({} pairs scored at or above threshold {threshold})\n",
            e.predicted_pairs_scored
        ));
    }
    Ok(format!(
        "{} true pairs; at threshold {}: precision {:.4}, recall {:.4}, F1 {:.4}\nbest F1 {:.4} at threshold {:.4} (precision {:.4}, recall {:.4})\n\n{}",
        e.true_pairs,
        threshold,
        e.at_threshold.precision,
        e.at_threshold.recall,
        e.at_threshold.f1,
        e.best.f1,
        e.best.threshold,
        e.best.precision,
        e.best.recall,
        format_table(&e)
    ))
}

/// A CSV file's text, without the byte-order mark outputs carry for spreadsheets (and files
/// saved by Excel have).
pub fn read_output(path: &Path) -> Result<String, Failure> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Every record of a run, from its `clusters.csv`.
fn run_records(path: &Path) -> Result<FxHashSet<Key>, Failure> {
    let text = read_output(path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut records = FxHashSet::default();
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: line {}", path.display(), n + 2))?;
        if rec.len() >= 2 {
            records.insert((unescape(&rec[0]).to_string(), unescape(&rec[1]).to_string()));
        }
    }
    Ok(records)
}

fn read_truth(
    files: &[PathBuf],
    column: Option<&str>,
    settings: &Settings,
    encoding: Option<&str>,
    run_inputs: &[PathBuf],
) -> Result<Truth, Failure> {
    let mut labels: FxHashMap<Key, String> = FxHashMap::default();
    let mut pairs: FxHashSet<(Key, Key)> = FxHashSet::default();
    // A truth file that was an input of the run gets the source name the run gave it.
    let input_refs: Vec<&PathBuf> = run_inputs.iter().collect();
    let run_names = crate::commands::unique_source_names(&input_refs).unwrap_or_default();
    let source_name = |path: &Path| {
        let canonical = std::fs::canonicalize(path).ok()?;
        run_inputs
            .iter()
            .position(|i| std::fs::canonicalize(i).ok().as_ref() == Some(&canonical))
            .and_then(|i| run_names.get(i).cloned())
    };
    for path in files {
        let headers = read_headers(path, encoding)?;
        if headers.iter().any(|h| h == "left_id") && headers.iter().any(|h| h == "right_id") {
            let read = read_file(
                path,
                &ReadOptions {
                    encoding: encoding.map(str::to_string),
                    ..Default::default()
                },
            )?;
            let t = &read.table;
            let get = |name: &str, r: usize| {
                t.column(name)
                    .map(|c| c.get(r).to_string())
                    .unwrap_or_default()
            };
            for r in 0..t.len() {
                let a = (get("left_source", r), get("left_id", r));
                let b = (get("right_source", r), get("right_id", r));
                pairs.insert(if a <= b { (a, b) } else { (b, a) });
            }
        } else {
            let options = ReadOptions {
                id_columns: settings.id_columns.clone(),
                source_columns: settings.source_columns.clone(),
                encoding: encoding.map(str::to_string),
                source_name: source_name(path),
            };
            let read = read_file(path, &options)?;
            let found = labels_from_tables(&[&read.table], column);
            if found.is_empty() {
                return Err(Failure::Usage(anyhow!(
                    "{}: no truth column (looked for {}); {}",
                    path.display(),
                    column
                        .map(|c| format!("`{c}`"))
                        .unwrap_or_else(|| TRUTH_COLUMNS.join(", ")),
                    listlink_core::describe_headers(&headers)
                )));
            }
            labels.extend(found);
        }
    }
    match (labels.is_empty(), pairs.is_empty()) {
        (false, true) => Ok(Truth::Labels(labels)),
        (true, false) => Ok(Truth::Pairs(pairs)),
        (true, true) => Err(Failure::Usage(anyhow!("the truth files hold no truth"))),
        (false, false) => Err(Failure::Usage(anyhow!(
            "give either truth labels or truth pairs, not both"
        ))),
    }
}
