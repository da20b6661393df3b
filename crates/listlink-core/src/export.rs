//! Output files: pairs, clusters, find answers, rejects and the run report, written atomically
//! (a temporary file in the same folder, then a rename) and in a fixed order.

use crate::error::{Error, Reject, Result};
use crate::ingest::FileSummary;
use crate::pipeline::{Counts, FindStatus, RuleReport, Run, ScoredPair, Timings};
use crate::prepare::{FieldValues, LinkType};
use crate::score::explain;
use crate::settings::{FieldKind, InferredColumn};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// The version of the output CSV layouts; bumped when a column changes.
pub const OUTPUT_VERSION: u32 = 1;

/// Writes `bytes` to `path` through a temporary file and a rename, so that an interrupted run
/// never leaves a half-written file under the final name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_parts(path, &[bytes])
}

/// [`write_atomic`] of a file given in parts, written one after the other (a big output
/// formatted in parallel chunks is never copied into one buffer). The temporary file is removed
/// on any error; one a killed process leaves is named `.listlink-*.tmp`.
pub fn write_atomic_parts<B: AsRef<[u8]>>(path: &Path, parts: &[B]) -> Result<()> {
    let io = |cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".listlink-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    for part in parts {
        file.write_all(part.as_ref()).map_err(io)?;
    }
    file.as_file().sync_all().map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// A cell safe to open in a spreadsheet: text starting with `=`, `+`, `-` or `@` (which a
/// spreadsheet would run as a formula) gets a leading apostrophe. Numbers are left alone.
pub fn safe_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && s.parse::<f64>().is_err() {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The UTF-8 byte-order mark each output CSV starts with: without it spreadsheets open Cyrillic,
/// Hebrew and Arabic as mojibake. Readers of these files skip it (listlink's own do).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A writer for the start of an output CSV: the byte-order mark, then the header.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(BOM.to_vec())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory does not fail")
}

fn fmt_p(p: f64) -> String {
    let mut s = String::new();
    push_fixed(&mut s, p, 6);
    s
}

fn fmt_w(w: f64) -> String {
    let mut s = String::new();
    push_fixed(&mut s, w, 4);
    s
}

/// The person's name as written in the record: its name fields joined, for reading outputs.
pub fn display_name(run: &Run, row: usize) -> String {
    let (table, r) = run.locate(row);
    let mut parts = Vec::new();
    // A full name already holds the parts a list may also have in columns of their own.
    if let Some((_, field)) = run.settings.field("full_name")
        && field.kind == FieldKind::Name
        && let Some(col) = field.columns.iter().find_map(|c| table.column(c))
        && !col.get(r).is_empty()
    {
        return col.get(r).to_string();
    }
    for name in ["given_name", "patronymic", "family_name"] {
        if let Some((_, field)) = run.settings.field(name)
            && field.kind == FieldKind::Name
            && let Some(col) = field.columns.iter().find_map(|c| table.column(c))
        {
            let v = col.get(r);
            if !v.is_empty() {
                parts.push(v);
            }
        }
    }
    if parts.is_empty() {
        // No name role: fall back to the first name-kind field.
        for f in run
            .settings
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Name)
        {
            let values = FieldValues::new(std::slice::from_ref(table), &f.columns);
            if let Some(v) = values.iter().nth(r).filter(|v| !v.is_empty()) {
                return v.to_string();
            }
        }
    }
    parts.join(" ")
}

/// The plain explanation of one pair's weight.
pub fn explanation(run: &Run, pair: &ScoredPair) -> String {
    let (a, b) = (pair.a.index(), pair.b.index());
    let text = explain(
        &run.comparator,
        &run.scorer.parts(&run.features, a, pair.pattern),
        &run.comparator.describe(&run.features, a, b),
    );
    let related = run.scorer.related_correction(pair.pattern);
    if related.abs() >= 0.05 {
        format!("{text}; namesakes and relatives share such names: {related:+.1}")
    } else {
        text
    }
}

/// `pairs.csv`: one row per scored pair, with each comparison's contribution to the weight.
pub fn pairs_csv(run: &Run) -> Vec<u8> {
    pairs_csv_parts(run).concat()
}

/// `pairs.csv` in parts to write one after the other: the header, then rows in chunks
/// formatted in parallel.
pub fn pairs_csv_parts(run: &Run) -> Vec<Vec<u8>> {
    let mut w = csv_writer();
    let mut header: Vec<String> = [
        "left_source",
        "left_id",
        "right_source",
        "right_id",
        "match_probability",
        "match_weight",
    ]
    .map(String::from)
    .to_vec();
    header.extend(
        run.comparator
            .comparisons
            .iter()
            .map(|c| format!("{}_weight", c.name)),
    );
    header.push("related_weight".into());
    w.write_record(&header).expect("in memory");
    let out = finish(w);
    // Rows formatted in parallel, chunk by chunk, then joined in order.
    let chunks: Vec<Vec<u8>> = run
        .pairs
        .par_chunks(4096)
        .map(|pairs| {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(pairs.len() * 160));
            let mut numbers = String::new();
            for p in pairs {
                let (ls, li) = run.key(p.a.index());
                let (rs, ri) = run.key(p.b.index());
                for cell in [ls, li, rs, ri] {
                    w.write_field(&*safe_cell(cell)).expect("in memory");
                }
                numbers.clear();
                push_fixed(&mut numbers, p.probability(), 6);
                w.write_field(&numbers).expect("in memory");
                let mut number = |x: f64, w: &mut csv::Writer<Vec<u8>>| {
                    numbers.clear();
                    push_fixed(&mut numbers, x, 4);
                    w.write_field(&numbers).expect("in memory");
                };
                number(p.weight, &mut w);
                for part in run.scorer.parts(&run.features, p.a.index(), p.pattern) {
                    number(part.weight + part.tf_adjustment, &mut w);
                }
                number(run.scorer.related_correction(p.pattern), &mut w);
                w.write_record(None::<&[u8]>).expect("in memory");
            }
            finish(w)
        })
        .collect();
    let mut parts = vec![out];
    parts.extend(chunks);
    parts
}

/// Appends `x` with `decimals` digits after the point, rounded to nearest, without the slow path
/// std takes for an exact decimal expansion. It prints what `format!("{x:.decimals$}")` prints,
/// except that a value within a rounding error of a tie may round up where std rounds down, and
/// a negative value that rounds to zero prints as zero. Values beyond ±1e12 and non-finite ones
/// go through std.
fn push_fixed(out: &mut String, x: f64, decimals: u32) {
    use std::fmt::Write as _;
    if !x.is_finite() || x.abs() >= 1e12 {
        let _ = write!(out, "{x:.prec$}", prec = decimals as usize);
        return;
    }
    let scale = 10u64.pow(decimals);
    let scaled = (x.abs() * scale as f64).round() as u64;
    if x < 0.0 && scaled != 0 {
        out.push('-');
    }
    let mut digits = itoa::Buffer::new();
    out.push_str(digits.format(scaled / scale));
    out.push('.');
    let fraction = digits.format(scaled % scale);
    for _ in fraction.len()..decimals as usize {
        out.push('0');
    }
    out.push_str(fraction);
}

/// `clusters.csv`: every record with its cluster id (`source:id` of the member that names it).
pub fn clusters_csv(run: &Run) -> Vec<u8> {
    clusters_csv_parts(run).concat()
}

/// `clusters.csv` in parts, as [`pairs_csv_parts`].
pub fn clusters_csv_parts(run: &Run) -> Vec<Vec<u8>> {
    let mut w = csv_writer();
    w.write_record(["source", "record_id", "cluster_id", "cluster_size"])
        .expect("in memory");
    let mut sizes = vec![0u32; run.features.len()];
    for c in &run.clusters {
        sizes[*c as usize] += 1;
    }
    let out = finish(w);
    let chunks: Vec<Vec<u8>> = run
        .clusters
        .par_chunks(8192)
        .enumerate()
        .map(|(k, clusters)| {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(clusters.len() * 48));
            let mut cluster = String::new();
            for (offset, c) in clusters.iter().enumerate() {
                let (s, i) = run.key(k * 8192 + offset);
                let (cs, ci) = run.key(*c as usize);
                cluster.clear();
                cluster.push_str(cs);
                cluster.push(':');
                cluster.push_str(ci);
                w.write_record([
                    &*safe_cell(s),
                    &*safe_cell(i),
                    &*safe_cell(&cluster),
                    &sizes[*c as usize].to_string(),
                ])
                .expect("in memory");
            }
            finish(w)
        })
        .collect();
    let mut parts = vec![out];
    parts.extend(chunks);
    parts
}

/// The date of birth as written, else the age (`age 34`), else nothing.
pub fn birth_of(run: &Run, row: usize) -> String {
    let (table, r) = run.locate(row);
    let value = |kind: FieldKind| {
        run.settings
            .fields
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| {
                f.columns
                    .iter()
                    .find_map(|c| table.column(c))
                    .map(|col| col.get(r))
                    .filter(|v| !v.is_empty())
            })
    };
    match (value(FieldKind::Date), value(FieldKind::Age)) {
        (Some(d), _) => d.to_string(),
        (None, Some(a)) => format!("age {a}"),
        (None, None) => String::new(),
    }
}

/// `found.csv`: every query record, found or not, with its best candidates (one row each).
/// `status` is the person's (from the best candidate) on every row, so a filter counts people
/// right; `candidate_band` is each candidate's own.
pub fn found_csv(run: &Run) -> Vec<u8> {
    found_csv_with_persons(run, None)
}

/// [`found_csv`], with `candidate_person_id` after `rank` when `person_of_row` is given (a
/// roster's person id of a candidate, by its row in the run).
pub fn found_csv_with_persons(
    run: &Run,
    person_of_row: Option<&dyn Fn(usize) -> String>,
) -> Vec<u8> {
    let mut w = csv_writer();
    let mut header = vec![
        "query_source",
        "query_id",
        "query_name",
        "query_birth",
        "status",
        "rank",
    ];
    if person_of_row.is_some() {
        header.push("candidate_person_id");
    }
    header.extend([
        "candidate_source",
        "candidate_id",
        "candidate_name",
        "candidate_birth",
        "candidate_band",
        "match_probability",
        "match_weight",
        "explanation",
    ]);
    w.write_record(&header).expect("in memory");
    for f in run.find.iter().flatten() {
        let q = f.query.index();
        let (qs, qi) = run.key(q);
        let qn = display_name(run, q);
        let qb = birth_of(run, q);
        let query = [
            safe_cell(qs).into_owned(),
            safe_cell(qi).into_owned(),
            safe_cell(&qn).into_owned(),
            safe_cell(&qb).into_owned(),
            f.status.as_str().to_string(),
        ];
        // The candidates, or the nearest pair under the minimum, or nothing at all.
        let shown: Vec<&ScoredPair> = if f.candidates.is_empty() {
            f.nearest.iter().collect()
        } else {
            f.candidates.iter().map(|&i| &run.pairs[i]).collect()
        };
        if shown.is_empty() {
            let mut row = query.to_vec();
            row.resize(header.len(), String::new());
            w.write_record(&row).expect("in memory");
        }
        for (rank, p) in shown.into_iter().enumerate() {
            let c = p.b.index();
            let (cs, ci) = run.key(c);
            let mut row = query.to_vec();
            row.push((rank + 1).to_string());
            if let Some(person) = person_of_row {
                row.push(safe_cell(&person(c)).into_owned());
            }
            row.extend([
                safe_cell(cs).into_owned(),
                safe_cell(ci).into_owned(),
                safe_cell(&display_name(run, c)).into_owned(),
                safe_cell(&birth_of(run, c)).into_owned(),
                status_of(run, p).as_str().to_string(),
                fmt_p(p.probability()),
                fmt_w(p.weight),
                safe_cell(&explanation(run, p)).into_owned(),
            ]);
            w.write_record(&row).expect("in memory");
        }
    }
    finish(w)
}

fn status_of(run: &Run, p: &ScoredPair) -> FindStatus {
    let t = &run.settings.thresholds;
    let prob = p.probability();
    if prob >= t.match_probability {
        FindStatus::Found
    } else if prob >= t.review_probability {
        FindStatus::Possible
    } else {
        FindStatus::NotFound
    }
}

/// `rejects.csv`: every rejected row or field, with file, line, column, reason and raw text.
pub fn rejects_csv(rejects: &[Reject]) -> Vec<u8> {
    let mut w = csv_writer();
    w.write_record(["file", "line", "column", "severity", "reason", "raw"])
        .expect("in memory");
    for r in rejects {
        w.write_record([
            &*safe_cell(&r.file),
            &r.line.to_string(),
            &*safe_cell(r.field.as_deref().unwrap_or("")),
            &r.severity.to_string(),
            &*safe_cell(&r.reason),
            &*safe_cell(&r.raw),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// A source in the report.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub name: String,
    /// find: `query` or `roster`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<&'static str>,
    pub records: u64,
}

/// The model in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    pub trained: bool,
    pub prior: f64,
    pub em_iterations: u32,
    pub em_converged: bool,
    pub u_pairs_sampled: u64,
}

/// Seconds of the stages the CLI runs around the pipeline.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OuterTimings {
    pub ingest: f64,
    pub write: f64,
    pub total: f64,
}

/// `report.json`: counts and seconds per stage.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub listlink_version: &'static str,
    pub output_version: u32,
    pub link_type: LinkType,
    pub inputs: Vec<FileSummary>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub warnings: u64,
    pub sources: Vec<SourceReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inferred_columns: Option<Vec<InferredColumn>>,
    pub blocking: Vec<RuleReport>,
    /// How inferred blocking rules were chosen among, and the recall they keep by estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking_choice: Option<crate::pipeline::BlockingChoice>,
    pub model: ModelReport,
    pub thresholds: crate::settings::Thresholds,
    pub counts: Counts,
    pub seconds: Seconds,
}

/// Seconds per stage, pipeline and CLI together.
#[derive(Debug, Clone, Serialize)]
pub struct Seconds {
    pub ingest: f64,
    #[serde(flatten)]
    pub pipeline: Timings,
    pub write: f64,
    pub total: f64,
}

/// Assembles the report of a run.
pub fn report(
    run: &Run,
    inputs: Vec<FileSummary>,
    rejects: &[Reject],
    inferred: Option<Vec<InferredColumn>>,
    outer: OuterTimings,
) -> Report {
    let mut sources: Vec<SourceReport> = Vec::new();
    for (row, &s) in run.features.source.iter().enumerate() {
        let name = &run.features.source_names[s as usize];
        let side = (run.features.link_type == LinkType::Find).then(|| {
            if run.features.side[row] == 0 {
                "query"
            } else {
                "roster"
            }
        });
        match sources
            .iter_mut()
            .find(|x| &x.name == name && x.side == side)
        {
            Some(x) => x.records += 1,
            None => sources.push(SourceReport {
                name: name.clone(),
                side,
                records: 1,
            }),
        }
    }
    let sum = |f: fn(&FileSummary) -> u64| inputs.iter().map(f).sum();
    Report {
        listlink_version: env!("CARGO_PKG_VERSION"),
        output_version: OUTPUT_VERSION,
        link_type: run.features.link_type,
        rows_read: sum(|s| s.rows_read),
        rows_accepted: sum(|s| s.rows_accepted),
        rows_rejected: sum(|s| s.rows_rejected),
        warnings: rejects
            .iter()
            .filter(|r| r.severity == crate::error::Severity::Warning)
            .count() as u64,
        inputs,
        sources,
        inferred_columns: inferred,
        blocking: run.rules.clone(),
        blocking_choice: run.blocking_choice.clone(),
        model: ModelReport {
            trained: run.trained,
            prior: run.model.prior,
            em_iterations: run.model.training.em_iterations,
            em_converged: run.model.training.em_converged,
            u_pairs_sampled: run.model.training.u_pairs_sampled,
        },
        thresholds: run.settings.thresholds.clone(),
        counts: run.counts.clone(),
        seconds: Seconds {
            ingest: outer.ingest,
            pipeline: run.timings.clone(),
            write: outer.write,
            total: outer.total,
        },
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn fixed_decimals_as_std_prints_them() {
        for &x in &[
            0.0,
            1.0,
            -1.0,
            0.5,
            0.123456789,
            -3.99996,
            1e-9,
            -1e-9,
            999.99999,
        ] {
            for d in [4u32, 6] {
                let mut s = String::new();
                push_fixed(&mut s, x, d);
                let std = format!("{x:.prec$}", prec = d as usize);
                // std keeps the sign of a negative value that rounds to zero; a cell reads
                // better without it.
                let std = if std
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b == b'0' || b == b'.')
                {
                    std.trim_start_matches('-').to_string()
                } else {
                    std
                };
                assert_eq!(s, std, "{x} to {d} places");
            }
        }
    }
    use super::*;

    #[test]
    fn formulas_are_defused_but_numbers_are_not() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-12.5"), "-12.5");
        assert_eq!(safe_cell("Anna"), "Anna");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        write_atomic(&p, b"a\n").unwrap();
        write_atomic(&p, b"b\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"b\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A write that fails (into a folder that is not there) leaves nothing either.
        assert!(write_atomic(&dir.path().join("nope").join("x.csv"), b"c\n").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
