//! The linking commands (dedupe, link, find) and `blocking`.

use crate::{Common, Failure};
use anyhow::Context;
use listlink_core::block::{Blocker, parse_rule};
use listlink_core::export::{self, OuterTimings};
use listlink_core::ingest::{FileSummary, ReadOptions, read_file, read_headers};
use listlink_core::pipeline::Progress;
use listlink_core::settings::{InferredColumn, infer};
use listlink_core::{Input, LinkType, Model, Reject, Run, RunOptions, Settings, Severity};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings from a file, or inferred from the inputs' headers (then also the inference report).
pub fn load_settings(
    settings: Option<&Path>,
    files: &[&PathBuf],
    encoding: Option<&str>,
) -> Result<(Settings, Option<Vec<InferredColumn>>), Failure> {
    match settings {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading settings {}", path.display()))?;
            Ok((
                Settings::from_toml(&text, &path.display().to_string())?,
                None,
            ))
        }
        None => {
            let headers: Vec<Vec<String>> = files
                .iter()
                .map(|f| read_headers(f, encoding))
                .collect::<Result<_, _>>()?;
            let refs: Vec<&[String]> = headers.iter().map(Vec::as_slice).collect();
            let (s, report) = infer(&refs)?;
            Ok((s, Some(report)))
        }
    }
}

/// The date ages are counted at: `--as-of`, else the settings' own, else today (written into the
/// settings so that a rerun with them gives the same answer).
fn set_as_of(settings: &mut Settings, flag: Option<&str>) -> Result<(), Failure> {
    use listlink_core::prepare::{Date, parse_iso_date};
    if let Some(date) = flag {
        if parse_iso_date(date).is_none() {
            return Err(Failure::Usage(anyhow::anyhow!(
                "--as-of `{date}` is not a date in the form YYYY-MM-DD"
            )));
        }
        settings.as_of = Some(date.to_string());
    }
    if settings.as_of.is_none() {
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() / 86_400)
            .unwrap_or(0);
        settings.as_of = Some(Date::from_unix_days(days as i64).iso());
    }
    Ok(())
}

/// The bundled given-name variants plus the user's files named in the settings (paths relative
/// to the settings file's folder), or `None` when there are none.
fn load_variants(
    settings: &Settings,
    settings_path: Option<&Path>,
) -> Result<Option<std::sync::Arc<listlink_names::variants::Variants>>, Failure> {
    if settings.variant_files.is_empty() {
        return Ok(None);
    }
    let base = settings_path
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let mut variants = listlink_names::variants::bundled().clone();
    for file in &settings.variant_files {
        let path = base.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading variant file {}", path.display()))?;
        variants
            .add_user_tsv(&path.display().to_string(), &text)
            .map_err(|e| Failure::Usage(anyhow::anyhow!("variant file {e}")))?;
    }
    Ok(Some(std::sync::Arc::new(variants)))
}

/// Checks that every field's columns exist in at least one file, naming the columns that do.
fn check_columns(settings: &Settings, inputs: &[Input]) -> Result<(), Failure> {
    let mut missing = Vec::new();
    for f in &settings.fields {
        let found = inputs
            .iter()
            .any(|i| f.columns.iter().any(|c| i.table.headers.contains(c)));
        if !found {
            missing.push(format!(
                "field `{}`: none of the columns {:?} is in any input",
                f.name, f.columns
            ));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut msg = missing.join("\n");
    for i in inputs {
        msg.push_str(&format!(
            "\n{} has columns: {}",
            i.table.path,
            i.table.headers.join(", ")
        ));
    }
    Err(Failure::Usage(anyhow::anyhow!(msg)))
}

/// dedupe, link and find: read, run, write, print a summary without personal data.
pub fn linkage(
    link_type: LinkType,
    left: &[PathBuf],
    right: &[PathBuf],
    common: &Common,
    top: usize,
) -> Result<Run, Failure> {
    let started = Instant::now();
    let all: Vec<&PathBuf> = left.iter().chain(right).collect();
    let (mut settings, inferred) =
        load_settings(common.settings.as_deref(), &all, common.encoding.as_deref())?;
    set_as_of(&mut settings, common.as_of.as_deref())?;
    let model = match &common.model {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading model {}", path.display()))?;
            Some(Model::from_json(&text, path)?)
        }
        None => None,
    };

    let clock = Instant::now();
    let options = ReadOptions {
        id_columns: settings.id_columns.clone(),
        source_columns: settings.source_columns.clone(),
        encoding: common.encoding.clone(),
    };
    let mut inputs = Vec::new();
    let mut summaries: Vec<FileSummary> = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    for (i, path) in all.iter().enumerate() {
        let read = read_file(path, &options)?;
        tracing::info!(file = %path.display(), rows = read.summary.rows_read, accepted = read.summary.rows_accepted, "read");
        summaries.push(read.summary);
        rejects.extend(read.rejects);
        let side = u8::from(link_type == LinkType::Find && i >= left.len());
        inputs.push(Input {
            table: read.table,
            side,
        });
    }
    let ingest_seconds = clock.elapsed().as_secs_f64();
    check_columns(&settings, &inputs)?;
    rejects.extend(listlink_core::prepare::field_warnings(
        inputs.iter().map(|i| &i.table),
        &settings,
    ));
    let errors = rejects
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .count();
    std::fs::create_dir_all(&common.out)
        .with_context(|| format!("creating {}", common.out.display()))?;
    let out = |name: &str| common.out.join(name);
    export::write_atomic(&out("rejects.csv"), &export::rejects_csv(&rejects))?;
    if common.strict && !rejects.is_empty() {
        return Err(Failure::Rejected(format!(
            "{} row(s) rejected and {} warning(s) under --strict; see {}",
            errors,
            rejects.len() - errors,
            out("rejects.csv").display()
        )));
    }

    let variants = load_variants(&settings, common.settings.as_deref())?;
    let run_options = RunOptions {
        variants,
        link_type,
        model,
        rules_inferred: common.settings.is_none(),
        top_k: top,
    };
    if let Some(m) = &run_options.model {
        m.check_fits(
            &listlink_core::compare::Comparator::new(&settings),
            common.model.as_deref().unwrap_or(Path::new("model.json")),
        )?;
    }
    // On a terminal only (indicatif draws nothing when stderr is not one): a spinner naming the
    // stage with its time, and a bar with pairs per second and time left where a stage counts
    // through the candidate pairs.
    let spinner = indicatif::ProgressBar::new_spinner();
    let spin_style = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
        .expect("a valid template");
    let bar_style = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {human_pos}/{human_len} pairs ({per_sec}, {eta} left)",
    )
    .expect("a valid template")
    .progress_chars("=> ");
    spinner.set_style(spin_style.clone());
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let result =
        listlink_core::pipeline::run_with_progress(inputs, settings, &run_options, &|p| match p {
            Progress::Stage { name, total } => {
                spinner.reset();
                spinner.set_message(name.to_string());
                match total {
                    Some(total) => {
                        spinner.set_length(total);
                        spinner.set_style(bar_style.clone());
                    }
                    None => {
                        spinner.unset_length();
                        spinner.set_style(spin_style.clone());
                    }
                }
            }
            Progress::Advance(n) => spinner.inc(n),
        });
    spinner.finish_and_clear();
    let run = result?;

    let clock = Instant::now();
    export::write_atomic(&out("settings.toml"), run.settings.to_toml().as_bytes())?;
    export::write_atomic(&out("model.json"), run.model.to_json().as_bytes())?;
    // The big files are formatted and written side by side: one's formatting overlaps the
    // other's flush to disk.
    let (pairs, clusters) = rayon::join(
        || export::write_atomic_parts(&out("pairs.csv"), &export::pairs_csv_parts(&run)),
        || export::write_atomic_parts(&out("clusters.csv"), &export::clusters_csv_parts(&run)),
    );
    pairs?;
    clusters?;
    if link_type == LinkType::Find {
        export::write_atomic(&out("found.csv"), &export::found_csv(&run))?;
    }
    let write_seconds = clock.elapsed().as_secs_f64();
    let outer = OuterTimings {
        ingest: ingest_seconds,
        write: write_seconds,
        total: started.elapsed().as_secs_f64(),
    };
    let report = export::report(&run, summaries, &rejects, inferred, outer);
    let json = serde_json::to_string_pretty(&report).expect("report serialises");
    export::write_atomic(&out("report.json"), json.as_bytes())?;
    print_summary(&run, &report, &common.out);
    Ok(run)
}

fn print_summary(run: &Run, report: &export::Report, out: &Path) {
    for input in &report.inputs {
        for note in &input.notes {
            eprintln!("note: {}: {note}", input.path);
        }
    }
    let c = &run.counts;
    println!(
        "read {} rows from {} file(s): {} accepted, {} rejected{}",
        report.rows_read,
        report.inputs.len(),
        report.rows_accepted,
        report.rows_rejected,
        if report.rows_rejected + report.warnings > 0 {
            " (see rejects.csv)"
        } else {
            ""
        }
    );
    println!(
        "{} candidate pairs of {} possible, from {} blocking rule(s)",
        c.candidate_pairs,
        c.total_pairs,
        run.settings.blocking.rules.len()
    );
    if run.trained {
        println!(
            "model trained without labels: prior {:.3e}, EM {} iterations{}",
            run.model.prior,
            run.model.training.em_iterations,
            if run.model.training.em_converged {
                ""
            } else {
                " (not converged)"
            }
        );
    } else {
        println!("scored with the given model");
    }
    println!(
        "{} pairs at or above probability {} ({} in the review band); {} clusters, {} with several records",
        c.matches,
        run.settings.thresholds.match_probability,
        c.review,
        c.clusters,
        c.clusters_with_several_records
    );
    if let (Some(f), Some(p), Some(n)) = (c.found, c.possible, c.not_found) {
        println!("find: {f} found, {p} possible (to review), {n} not found");
    }
    println!("wrote {} in {:.2}s", out.display(), report.seconds.total);
}

/// `listlink blocking`: pairs per rule before comparing anything.
pub fn blocking(
    files: &[PathBuf],
    mode: &str,
    settings: Option<&Path>,
    encoding: Option<&str>,
) -> Result<(), Failure> {
    let link_type = match mode {
        "dedupe" => LinkType::Dedupe,
        "link" => LinkType::Link,
        "find" => LinkType::Find,
        other => {
            return Err(Failure::Usage(anyhow::anyhow!(
                "--mode must be dedupe, link or find, not `{other}`"
            )));
        }
    };
    let all: Vec<&PathBuf> = files.iter().collect();
    let (settings, _) = load_settings(settings, &all, encoding)?;
    let options = ReadOptions {
        id_columns: settings.id_columns.clone(),
        source_columns: settings.source_columns.clone(),
        encoding: encoding.map(str::to_string),
    };
    let mut tables = Vec::new();
    let mut sides = Vec::new();
    for (i, f) in files.iter().enumerate() {
        tables.push(read_file(f, &options)?.table);
        sides.push(u8::from(link_type == LinkType::Find && i > 0));
    }
    let features = listlink_core::prepare::prepare(&tables, &sides, &settings, link_type);
    let rules = settings
        .blocking
        .rules
        .iter()
        .map(|r| parse_rule(r, &settings).map_err(|m| anyhow::anyhow!("blocking rule `{r}`: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    let blocker = Blocker::new(rules, &features);
    let new = blocker.new_pairs_per_rule(&features);
    println!("{:>14}  {:>14}  rule", "pairs", "new pairs");
    for (r, n) in blocker.rules.iter().zip(&new) {
        let flag = if r.pairs > settings.blocking.max_pairs_per_rule {
            "  (over max_pairs_per_rule: refused)"
        } else {
            ""
        };
        println!("{:>14}  {:>14}  {}{flag}", r.pairs, n, r.rule.text);
    }
    println!(
        "{:>14}  {:>14}  candidate pairs in all, of {} possible",
        "",
        new.iter().sum::<u64>(),
        listlink_core::block::total_pairs(&features)
    );
    Ok(())
}
