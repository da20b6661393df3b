//! The linking commands (dedupe, link, find) and `blocking`.

use crate::outdir::Staging;
use crate::{Common, Failure};
use anyhow::Context;
use listlink_core::export::{self, OuterTimings};
use listlink_core::ingest::{FileSummary, ReadOptions, read_file, read_headers};
use listlink_core::pipeline::Progress;
use listlink_core::settings::{InferredColumn, infer_for_files};
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
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let (s, report) = infer_for_files(&names, &refs)?;
            Ok((s, Some(report)))
        }
    }
}

/// The date ages are counted at: `--as-of`, else the settings' own, else today (written into the
/// settings so that a rerun with them gives the same answer).
fn set_as_of(settings: &mut Settings, flag: Option<&str>) -> Result<(), Failure> {
    use listlink_core::{Date, parse_iso_date};
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
            "\n{}: {}",
            i.table.path,
            listlink_core::describe_headers(&i.table.headers)
        ));
    }
    Err(Failure::Usage(anyhow::anyhow!(msg)))
}

/// A source name for each file: its stem, or, where two files share a stem, as much of its
/// path as tells them apart (`a/people`, `b/people`). The same file twice is an error.
pub fn unique_source_names(files: &[&PathBuf]) -> Result<Vec<String>, Failure> {
    for (i, a) in files.iter().enumerate() {
        for b in &files[..i] {
            let same = match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => a == b,
            };
            if same {
                return Err(Failure::Usage(anyhow::anyhow!(
                    "{} and {} are the same file: give each list once",
                    b.display(),
                    a.display()
                )));
            }
        }
    }
    let components = |p: &Path| -> Vec<String> {
        let mut parts: Vec<String> = std::fs::canonicalize(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .parent()
            .map(|d| {
                d.components()
                    .filter_map(|c| match c {
                        std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        parts.push(
            p.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "input".into()),
        );
        parts
    };
    let paths: Vec<Vec<String>> = files.iter().map(|f| components(f)).collect();
    let name =
        |parts: &[String], depth: usize| parts[parts.len().saturating_sub(depth)..].join("/");
    let mut names = Vec::with_capacity(files.len());
    for (i, parts) in paths.iter().enumerate() {
        // The fewest trailing path parts that no other file's path ends in.
        let depth = (1..=parts.len())
            .find(|&d| {
                paths
                    .iter()
                    .enumerate()
                    .all(|(j, other)| j == i || name(other, d) != name(parts, d))
            })
            .unwrap_or(parts.len());
        names.push(name(parts, depth));
    }
    Ok(names)
}

/// Settings given by the user that name id or source columns. Each file must have one of the
/// id columns, or its records would silently be numbered instead. A source column is the source
/// of the files that have one (the others are named after the file, as inferred settings assume
/// when one list has a source column and the other not), so at least one file must have it, or
/// the setting does nothing.
fn check_id_and_source_columns(settings: &Settings, inputs: &[Input]) -> Result<(), Failure> {
    let mut missing = Vec::new();
    let lacks =
        |columns: &[String], i: &Input| !columns.iter().any(|c| i.table.headers.contains(c));
    let ids = &settings.id_columns;
    for i in inputs {
        if !ids.is_empty() && lacks(ids, i) {
            missing.push(format!(
                "settings id_columns {ids:?}: none is in {} ({})",
                i.table.path,
                listlink_core::describe_headers(&i.table.headers)
            ));
        }
    }
    let sources = &settings.source_columns;
    if !sources.is_empty() && inputs.iter().all(|i| lacks(sources, i)) {
        for i in inputs {
            missing.push(format!(
                "settings source_columns {sources:?}: none is in {} ({})",
                i.table.path,
                listlink_core::describe_headers(&i.table.headers)
            ));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Failure::Usage(anyhow::anyhow!(missing.join("\n"))))
    }
}

/// Two files must not give records of one source: their ids would be taken for one list's.
fn check_sources_apart(inputs: &[Input]) -> Result<(), Failure> {
    let mut owner: rustc_hash::FxHashMap<&str, &str> = rustc_hash::FxHashMap::default();
    for i in inputs {
        let mut seen = rustc_hash::FxHashSet::default();
        for s in i.table.sources.iter() {
            if !seen.insert(s) {
                continue;
            }
            match owner.get(s) {
                Some(other) if *other != i.table.path => {
                    return Err(Failure::Usage(anyhow::anyhow!(
                        "source `{s}` has records in both {other} and {}: each source must come from one file (rename the source in one of them)",
                        i.table.path
                    )));
                }
                _ => {
                    owner.insert(s, &i.table.path);
                }
            }
        }
    }
    Ok(())
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
    let source_names = unique_source_names(&all)?;
    let mut inputs = Vec::new();
    let mut summaries: Vec<FileSummary> = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    for (i, path) in all.iter().enumerate() {
        let options = ReadOptions {
            id_columns: settings.id_columns.clone(),
            source_columns: settings.source_columns.clone(),
            encoding: common.encoding.clone(),
            source_name: Some(source_names[i].clone()),
        };
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
    if common.settings.is_some() {
        check_id_and_source_columns(&settings, &inputs)?;
    }
    check_sources_apart(&inputs)?;
    rejects.extend(listlink_core::field_warnings(
        inputs.iter().map(|i| &i.table),
        &settings,
    ));
    let errors = rejects
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .count();
    let staging = Staging::begin(&common.out)?;
    let out = |name: &str| staging.path(name);
    export::write_atomic(&out("rejects.csv"), &export::rejects_csv(&rejects))?;
    if common.strict && !rejects.is_empty() {
        staging.commit()?;
        return Err(Failure::Rejected(format!(
            "{} row(s) rejected and {} warning(s) under --strict; see {}",
            errors,
            rejects.len() - errors,
            common.out.join("rejects.csv").display()
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
            &listlink_core::Comparator::new(&settings),
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
    staging.commit()?;
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
        match report.warnings {
            _ if report.rows_rejected + report.warnings == 0 => String::new(),
            0 => " (see rejects.csv)".to_string(),
            1 => ", 1 warning (see rejects.csv)".to_string(),
            n => format!(", {n} warnings (see rejects.csv)"),
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
    let rules_inferred = settings.is_none();
    let (settings, _) = load_settings(settings, &all, encoding)?;
    let source_names = unique_source_names(&all)?;
    let mut inputs = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let options = ReadOptions {
            id_columns: settings.id_columns.clone(),
            source_columns: settings.source_columns.clone(),
            encoding: encoding.map(str::to_string),
            source_name: Some(source_names[i].clone()),
        };
        let table = read_file(f, &options)?.table;
        let side = u8::from(link_type == LinkType::Find && i > 0);
        inputs.push(Input { table, side });
    }
    let options = RunOptions {
        link_type,
        model: None,
        rules_inferred,
        top_k: 1,
        variants: None,
    };
    let (plan, possible) = listlink_core::pipeline::plan_for(inputs, &settings, &options)?;
    println!(
        "{:>14}  {:>14}  rule (pair budget per rule: {}{})",
        "pairs in groups",
        "new candidates",
        plan.budget,
        if rules_inferred {
            ", inferred rules over it are dropped"
        } else {
            ", a rule over it is refused"
        }
    );
    for r in &plan.rules {
        let matches = match (r.expected_matches, r.only_matches) {
            (Some(all), Some(only)) if r.skipped.is_none() => {
                format!("  (about {all:.0} expected matches, {only:.0} only through it)")
            }
            _ => String::new(),
        };
        let flag = match &r.skipped {
            Some(why) if why.starts_with("left out") => format!("  ({why})"),
            Some(why) => format!(
                "  ({why}: {})",
                if rules_inferred { "dropped" } else { "refused" }
            ),
            None => String::new(),
        };
        println!(
            "{:>14}  {:>14}  {}{matches}{flag}",
            r.pairs, r.new_pairs, r.rule
        );
    }
    println!(
        "{:>14}  {:>14}  candidate pairs in all, of {possible} possible {} pairs",
        "",
        plan.new_pairs.iter().sum::<u64>(),
        match link_type {
            LinkType::Dedupe => "dedupe",
            LinkType::Link => "cross-list",
            LinkType::Find => "list-to-roster",
        }
    );
    if let Some(choice) = &plan.choice {
        println!(
            "Chosen among: {}. By the pilot the chosen rules keep {:.2} % of the about {:.0} expected matches of all the inferred rules.",
            choice.why,
            100.0 * choice.estimated_recall,
            choice.expected_matches
        );
    }
    println!(
        "(pairs in groups count every pair of records sharing the rule's key, including pairs {} does not compare; new candidates are the pairs compared)",
        match link_type {
            LinkType::Dedupe => "dedupe",
            LinkType::Link => "link",
            LinkType::Find => "find",
        }
    );
    Ok(())
}
