//! The `listlink` command line: argument parsing, output files and what is printed. No linkage
//! logic lives here; it calls `listlink-core`.
//!
//! Exit codes: 0 success, 1 usage, settings or input error, 2 input rejected under `--strict`,
//! 3 internal error.

mod commands;
mod demo;
mod estimate;
mod eval;
mod outdir;
mod pprl;
mod serve;
mod store;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Find the same people across lists written in different scripts and spellings.
#[derive(Parser, Debug)]
#[command(name = "listlink", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Worker threads (default: all cores). Results are the same whatever the count.
    #[arg(long, global = true)]
    threads: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run on the bundled synthetic lists and print what was found.
    Demo {
        /// Keep the output files here (default: a temporary folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Find the same people within one or more lists (all pairs of records).
    Dedupe {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Find the same people across lists (pairs from different sources only).
    Link {
        #[arg(required = true, num_args = 2..)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        encoded: pprl::LinkEncodedArgs,
    },
    /// Encode a list as keyed Bloom filters (clkhash-compatible CLKs), to link without sharing
    /// names.
    Encode(pprl::EncodeArgs),
    /// For each person on --list, the best candidates on --roster, or "not found".
    Find {
        /// The roster to search in.
        #[arg(long, num_args = 1.., conflicts_with = "store")]
        roster: Vec<PathBuf>,
        /// A store (`listlink add`) to search in instead of a roster; each candidate comes
        /// with its person_id.
        #[arg(long)]
        store: Option<PathBuf>,
        /// The list of people to look for.
        #[arg(long, required = true, num_args = 1..)]
        list: Vec<PathBuf>,
        /// Candidates per person.
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Precision, recall and F1 of a run's pairs against known truth.
    Evaluate {
        /// The output folder of a run.
        #[arg(long)]
        out: PathBuf,
        /// Files with a truth column (same value = same person) or truth pairs
        /// (left_source, left_id, right_source, right_id).
        #[arg(long, required = true, num_args = 1..)]
        truth: Vec<PathBuf>,
        /// The truth column (default: truth, cluster, cluster_id, entity_id, true_id or match_id).
        #[arg(long)]
        truth_column: Option<String>,
        /// The match threshold (default: the run's).
        #[arg(long)]
        threshold: Option<f64>,
        /// The truth files' encoding (default: detected).
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Count the candidate pairs each blocking rule produces, before anything is compared.
    Blocking {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// dedupe, link or find (find: the first file is the list, the others the roster).
        #[arg(long, default_value = "dedupe")]
        mode: String,
        #[arg(long)]
        settings: Option<PathBuf>,
        /// The input files' encoding (default: detected).
        #[arg(long)]
        encoding: Option<String>,
    },
    /// How many people in total, including those on no list (multiple systems estimation).
    Estimate(estimate::EstimateArgs),
    /// Add a list to a store: records kept by (source, id) with their history, linked to the
    /// stored ones, persons with stable ids.
    Add(store::AddArgs),
    /// Write a store's roster.csv (one row per person), history.csv and changes.csv.
    Roster(store::RosterArgs),
    /// Record a person's decision on two records of a store (append-only).
    Decide(store::DecideArgs),
    /// Serve a store over HTTP: a JSON API and the review desk page.
    Serve(serve::ServeArgs),
    /// Write synthetic lists with truth: the cross-script demo lists (a consular list and a
    /// roster), or with `--kind febrl` one FEBRL-like list of any size with duplicates.
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// crossscript: consular.csv and roster.csv; febrl: people.csv (FEBRL's ten columns,
        /// rec_id and truth).
        #[arg(long, value_enum, default_value_t = GenerateKind::Crossscript)]
        kind: GenerateKind,
        /// People on the consular list (crossscript).
        #[arg(long, default_value_t = 300)]
        consular: usize,
        /// People on the roster only (crossscript).
        #[arg(long, default_value_t = 4500)]
        roster_only: usize,
        /// Names of several origins (crossscript): Russian, Israeli Hebrew, Arabic, Western
        /// European, Ashkenazi, Georgian/Armenian, each written natively where its lists would.
        #[arg(long)]
        mixed_origins: bool,
        /// Rows to write (febrl).
        #[arg(long, default_value_t = 10_000)]
        records: usize,
    },
}

/// What `generate` writes.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateKind {
    Crossscript,
    Febrl,
}

/// Options every linking command shares.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Settings file (TOML). Without it, column roles are inferred from their names and the
    /// chosen settings are written to DIR/settings.toml.
    #[arg(long)]
    settings: Option<PathBuf>,
    /// A model.json from an earlier run: score with it instead of training.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Fail (exit 2) if any input row is rejected or any value cannot be used (every line of
    /// rejects.csv, errors and warnings alike).
    #[arg(long)]
    strict: bool,
    /// The date ages are counted at, YYYY-MM-DD (default: the settings' `as_of`, else today).
    #[arg(long)]
    as_of: Option<String>,
    /// The input files' encoding (default: detected; e.g. windows-1251, KOI8-R, windows-1255,
    /// ISO-8859-8, windows-1256, ISO-8859-6, windows-1252, UTF-16LE).
    #[arg(long)]
    encoding: Option<String>,
}

/// How a command failed, and so which exit code it returns.
#[derive(Debug)]
pub enum Failure {
    /// Usage, settings or input error: exit 1.
    Usage(anyhow::Error),
    /// Rows rejected under --strict: exit 2.
    Rejected(String),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Usage(e)
    }
}

impl From<listlink_core::Error> for Failure {
    fn from(e: listlink_core::Error) -> Self {
        Failure::Usage(e.into())
    }
}

/// More threads than this per core only add switching: `--threads` is capped here.
const MAX_THREADS_PER_CORE: usize = 4;

fn main() -> ExitCode {
    // Output piped into `head` and closed early ends the program quietly, as command-line tools
    // do, instead of a panic on the next print.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Usage errors exit 1, as the README promises (clap's own code is 2, which listlink keeps
    // for --strict).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LISTLINK_LOG")
                .unwrap_or_else(|_| "warn,listlink_serve=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Some(asked) = cli.threads {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = MAX_THREADS_PER_CORE * cores;
        let n = asked.clamp(1, most);
        if n != asked {
            eprintln!(
                "note: --threads {asked} taken as {n} (between 1 and {MAX_THREADS_PER_CORE} per core; this machine has {cores})"
            );
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: could not start {n} threads: {e}");
            return ExitCode::from(3);
        }
    }
    let result = std::panic::catch_unwind(|| dispatch(cli.command));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Failure::Usage(e))) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Ok(Err(Failure::Rejected(msg))) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!(
                "error: internal error (a bug in listlink); please report it with the command that caused it"
            );
            ExitCode::from(3)
        }
    }
}

fn dispatch(command: Command) -> Result<(), Failure> {
    use listlink_core::LinkType;
    match command {
        Command::Demo { out } => demo::run(out),
        Command::Estimate(args) => estimate::run(args),
        Command::Dedupe { files, common } => {
            commands::linkage(LinkType::Dedupe, &files, &[], &common, 1).map(|_| ())
        }
        Command::Link {
            files,
            common,
            encoded,
        } if encoded.encoded() => pprl::link_encoded(&files, &common, &encoded),
        Command::Link {
            files,
            common,
            encoded,
        } => {
            encoded.check_plain()?;
            commands::linkage(LinkType::Link, &files, &[], &common, 1).map(|_| ())
        }
        Command::Encode(args) => pprl::encode(&args),
        Command::Find {
            store: Some(store),
            list,
            top,
            common,
            ..
        } => store::find(&store, &list, top, &common),
        Command::Find { roster, .. } if roster.is_empty() => Err(Failure::Usage(anyhow::anyhow!(
            "find needs --roster FILE... or --store S.db to search in"
        ))),
        Command::Find {
            roster,
            list,
            top,
            common,
            ..
        } => commands::linkage(LinkType::Find, &list, &roster, &common, top).map(|_| ()),
        Command::Add(args) => store::add(args),
        Command::Roster(args) => store::roster(args),
        Command::Decide(args) => store::decide(args),
        Command::Serve(args) => serve::run(args),
        Command::Evaluate {
            out,
            truth,
            truth_column,
            threshold,
            encoding,
        } => eval::run(
            &out,
            &truth,
            truth_column.as_deref(),
            threshold,
            encoding.as_deref(),
        )
        .map(|e| print!("{e}")),
        Command::Blocking {
            files,
            mode,
            settings,
            encoding,
        } => commands::blocking(&files, &mode, settings.as_deref(), encoding.as_deref()),
        Command::Generate {
            out,
            seed,
            kind: GenerateKind::Crossscript,
            consular,
            roster_only,
            mixed_origins,
            ..
        } => demo::generate(&out, seed, consular, roster_only, mixed_origins),
        Command::Generate {
            out,
            seed,
            kind: GenerateKind::Febrl,
            records,
            ..
        } => demo::generate_febrl(&out, seed, records),
    }
}
