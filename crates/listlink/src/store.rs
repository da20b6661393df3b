//! The roster that lives: `add`, `roster`, `decide` and `find --store`, over `listlink-store`.

use crate::outdir::Staging;
use crate::{Common, Failure};
use clap::Args;
use listlink_core::export;
use listlink_store::{AddOptions, Decision, Since, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

impl From<listlink_store::Error> for Failure {
    fn from(e: listlink_store::Error) -> Self {
        match e {
            listlink_store::Error::Rejected(m) => Failure::Rejected(m),
            other => Failure::Usage(other.into()),
        }
    }
}

/// `listlink add`.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// The store (one SQLite file; the first add makes it).
    #[arg(long)]
    store: PathBuf,
    /// The list to add (CSV, JSON Lines).
    list: PathBuf,
    /// The source of rows without a `source` column (default: the file's name).
    #[arg(long)]
    source: Option<String>,
    /// The date the list was received, YYYY-MM-DD (default: today): the date of its history.
    #[arg(long)]
    received: Option<String>,
    /// Settings (TOML) for the first add (default: inferred from the list's headers, then
    /// kept in the store); later, with --retrain, settings to train again with.
    #[arg(long)]
    settings: Option<PathBuf>,
    /// A model.json to score with, kept in the store as its model (default: the store's; the
    /// first add trains one).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Train the model again on every stored record and score every pair again.
    #[arg(long)]
    retrain: bool,
    /// The list's encoding (default: detected).
    #[arg(long)]
    encoding: Option<String>,
    /// Add nothing and exit 2 if any row is rejected or any value cannot be used.
    #[arg(long)]
    strict: bool,
    /// Seconds to wait for another writer to finish.
    #[arg(long, default_value_t = 30)]
    wait: u64,
}

/// `listlink roster`.
#[derive(Args, Debug)]
pub struct RosterArgs {
    #[arg(long)]
    store: PathBuf,
    /// Output folder: roster.csv, history.csv, changes.csv.
    #[arg(long)]
    out: PathBuf,
    /// changes.csv from this date, YYYY-MM-DD (default: the last add).
    #[arg(long)]
    since: Option<String>,
}

/// `listlink decide`.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("decision").required(true).args(["is_match", "not_match", "unsure"])))]
pub struct DecideArgs {
    #[arg(long)]
    store: PathBuf,
    /// The two records are the same person.
    #[arg(long = "match")]
    is_match: bool,
    /// The two records are different people: never in one person.
    #[arg(long)]
    not_match: bool,
    /// Looked at, undecided.
    #[arg(long)]
    unsure: bool,
    /// The first record, SOURCE:ID.
    first: String,
    /// The second record, SOURCE:ID.
    second: String,
    /// Who decided (default: the user's login name).
    #[arg(long)]
    by: Option<String>,
    #[arg(long, default_value = "")]
    note: String,
    /// Seconds to wait for another writer to finish.
    #[arg(long, default_value_t = 30)]
    wait: u64,
}

fn check_date(flag: &str, date: &str) -> Result<(), Failure> {
    if listlink_core::parse_iso_date(date).is_none() {
        return Err(Failure::Usage(anyhow::anyhow!(
            "{flag} `{date}` is not a date in the form YYYY-MM-DD"
        )));
    }
    Ok(())
}

pub fn add(args: AddArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let received = args.received.clone().unwrap_or_else(listlink_store::today);
    check_date("--received", &received)?;
    if !args.list.is_file() {
        return Err(Failure::Usage(anyhow::anyhow!(
            "{}: no such file; nothing added",
            args.list.display()
        )));
    }
    let (list_settings, _) = crate::commands::load_settings(
        args.settings.as_deref(),
        &[&args.list],
        args.encoding.as_deref(),
    )?;
    let model = match &args.model {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Usage(anyhow::anyhow!("reading model {}: {e}", path.display()))
            })?;
            let model = listlink_core::Model::from_json(&text, path)?;
            model.check_fits(&listlink_core::Comparator::new(&list_settings), path)?;
            Some(model)
        }
        None => None,
    };
    let mut store = Store::open(&args.store, true, Duration::from_secs(args.wait))?;
    let options = AddOptions {
        source: args.source.clone(),
        received,
        list_settings,
        settings_given: args.settings.is_some(),
        retrain: args.retrain,
        model,
        encoding: args.encoding.clone(),
        strict: args.strict,
    };
    let r = listlink_store::add(&mut store, &args.list, &options)?;
    for reject in r.rejects.iter().take(20) {
        // File, line, column and reason: never the row's text (it holds names).
        eprintln!(
            "{}: {}:{}{}: {}",
            reject.severity,
            reject.file,
            reject.line,
            reject
                .field
                .as_deref()
                .map_or(String::new(), |f| format!(" ({f})")),
            reject.reason
        );
    }
    if r.rejects.len() > 20 {
        eprintln!("… and {} more", r.rejects.len() - 20);
    }
    println!(
        "list version {}: read {} rows, {} accepted, {} rejected",
        r.version, r.rows_read, r.rows_accepted, r.rows_rejected
    );
    println!(
        "records: {} new, {} updated ({} status changes), {} unchanged",
        r.new_records, r.updated_records, r.status_changes, r.unchanged_records
    );
    println!(
        "{} candidate pairs scored with {}",
        r.pairs_scored,
        if r.model_trained {
            "a model trained on every record"
        } else {
            "the store's model"
        }
    );
    println!(
        "persons: {} in all, {} new, {} merges, {} splits",
        r.persons.persons, r.persons.new_persons, r.persons.merges, r.persons.splits
    );
    let stages: Vec<String> = r
        .seconds
        .iter()
        .map(|(name, s)| format!("{name} {s:.2}s"))
        .collect();
    println!(
        "added to {} in {:.2}s ({})",
        args.store.display(),
        started.elapsed().as_secs_f64(),
        stages.join(", ")
    );
    Ok(())
}

pub fn roster(args: RosterArgs) -> Result<(), Failure> {
    let since = match &args.since {
        Some(d) => {
            check_date("--since", d)?;
            Since::Date(d.clone())
        }
        None => Since::LastAdd,
    };
    let store = Store::open(&args.store, false, Duration::from_secs(30))?;
    let files = listlink_store::roster(&store, &since)?;
    let staging = Staging::begin(&args.out)?;
    export::write_atomic(&staging.path("roster.csv"), &files.roster)?;
    export::write_atomic(&staging.path("history.csv"), &files.history)?;
    export::write_atomic(&staging.path("changes.csv"), &files.changes)?;
    staging.commit()?;
    println!(
        "{} persons; {} changes; wrote {}",
        files.persons,
        files.changes_rows,
        args.out.display()
    );
    Ok(())
}

fn record_key(text: &str) -> Result<(&str, &str), Failure> {
    match text.split_once(':') {
        Some((s, i)) if !s.is_empty() && !i.is_empty() => Ok((s, i)),
        _ => Err(Failure::Usage(anyhow::anyhow!(
            "`{text}` is not a record: give SOURCE:ID (as in roster.csv's records)"
        ))),
    }
}

pub fn decide(args: DecideArgs) -> Result<(), Failure> {
    let decision = if args.is_match {
        Decision::Match
    } else if args.not_match {
        Decision::NotMatch
    } else {
        Decision::Unsure
    };
    let a = record_key(&args.first)?;
    let b = record_key(&args.second)?;
    let by = args
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let mut store = Store::open(&args.store, false, Duration::from_secs(args.wait))?;
    let r = listlink_store::decide(&mut store, a, b, decision, &by, &args.note)?;
    println!(
        "recorded {} ({}); the records are now {} and {}; {} merges, {} splits",
        decision.as_str(),
        r.probability
            .map_or("not a candidate pair".into(), |p| format!(
                "model probability {p:.4}"
            )),
        r.persons.0,
        r.persons.1,
        r.changes.merges,
        r.changes.splits
    );
    Ok(())
}

/// `find --store`: the list against the stored records, with each candidate's person.
pub fn find(store: &Path, list: &[PathBuf], top: usize, common: &Common) -> Result<(), Failure> {
    if common.settings.is_some() || common.model.is_some() {
        return Err(Failure::Usage(anyhow::anyhow!(
            "--settings and --model are the store's own with --store"
        )));
    }
    let [list] = list else {
        return Err(Failure::Usage(anyhow::anyhow!(
            "find --store takes one --list"
        )));
    };
    let started = Instant::now();
    let mut store = Store::open(store, false, Duration::from_secs(30))?;
    let (run, found, rejects) =
        listlink_store::found_with_persons(&mut store, list, common.encoding.clone(), top)?;
    let staging = Staging::begin(&common.out)?;
    export::write_atomic(&staging.path("rejects.csv"), &export::rejects_csv(&rejects))?;
    if common.strict && !rejects.is_empty() {
        staging.commit()?;
        return Err(Failure::Rejected(format!(
            "{} row(s) or value(s) rejected under --strict; see {}",
            rejects.len(),
            common.out.join("rejects.csv").display()
        )));
    }
    export::write_atomic(&staging.path("found.csv"), &found)?;
    staging.commit()?;
    let c = &run.counts;
    println!(
        "find: {} found, {} possible (to review), {} not found",
        c.found.unwrap_or(0),
        c.possible.unwrap_or(0),
        c.not_found.unwrap_or(0)
    );
    println!(
        "wrote {} in {:.2}s",
        common.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
