//! `listlink encode` and `listlink link --encoded`: lists as keyed Bloom-filter encodings
//! (clkhash-compatible CLKs) and their linkage by Dice similarity. The logic is in
//! `listlink-pprl`; this reads the files, writes the outputs and prints the summary.
//!
//! The secret is read from a file or stdin and handed to the library; nothing here formats it,
//! and errors from reading it name the file, never its content.

use crate::{Common, Failure};
use anyhow::{Context, anyhow};
use listlink_core::export::{safe_cell, write_atomic};
use listlink_pprl::{
    Assignment, Blocking, ClkSet, Decision, LinkConfig, Secret, encode_csv, link, schema,
};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Encode a list as CLKs (keyed Bloom filters) for linking without sharing names.
#[derive(clap::Args, Debug)]
pub struct EncodeArgs {
    /// The linkage schema (clkhash's v3 JSON).
    #[arg(long)]
    schema: PathBuf,
    /// File holding the shared secret (`-`: read it from stdin). One final line break is
    /// dropped.
    #[arg(long)]
    secret_file: PathBuf,
    /// The list: CSV whose header names the schema's features in order.
    list: PathBuf,
    /// Where to write the encodings (`{"clks": [...]}`, one per row in input order).
    #[arg(long)]
    out: PathBuf,
}

/// Options of `link --encoded`.
#[derive(clap::Args, Debug, Clone)]
pub struct LinkEncodedArgs {
    /// The files are CLK files (from `listlink encode` or clkhash): link them by Dice
    /// similarity, one-to-one.
    #[arg(long)]
    encoded: bool,
    /// With --encoded: match pairs with Dice at least this (default 0.75).
    #[arg(long, conflicts_with = "em")]
    threshold: Option<f64>,
    /// With --encoded: match pairs whose calibrated match probability is at least 0.5.
    #[arg(long)]
    em: bool,
    /// With --encoded: keep every pair that passes instead of matching one-to-one (for lists
    /// that hold several records of one person).
    #[arg(long)]
    keep_all: bool,
    /// With --encoded: compare every pair up to this many pairs, else block by LSH over the
    /// bits.
    #[arg(long, default_value_t = 400_000_000)]
    max_all_pairs: u64,
}

impl LinkEncodedArgs {
    pub fn encoded(&self) -> bool {
        self.encoded
    }

    /// Refuses the encoded-link options without --encoded.
    pub fn check_plain(&self) -> Result<(), Failure> {
        if self.threshold.is_some() || self.em || self.keep_all {
            return Err(Failure::Usage(anyhow!(
                "--threshold, --em and --keep-all apply to --encoded links only"
            )));
        }
        Ok(())
    }
}

fn read_secret(path: &Path) -> Result<Secret, Failure> {
    let secret = if path == Path::new("-") {
        Secret::read(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path)
            .with_context(|| format!("{}: cannot open the secret file", path.display()))?;
        Secret::read(file)
    };
    secret.map_err(|e| Failure::Usage(anyhow!("{}: {e}", path.display())))
}

pub fn encode(args: &EncodeArgs) -> Result<(), Failure> {
    let start = Instant::now();
    let schema_name = args.schema.display().to_string();
    let text = std::fs::read_to_string(&args.schema)
        .with_context(|| format!("{schema_name}: cannot read the schema"))?;
    let schema = schema::parse(&text, &schema_name).map_err(|e| Failure::Usage(e.into()))?;
    let secret = read_secret(&args.secret_file)?;
    let list_name = args.list.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(&args.list)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .with_context(|| format!("{list_name}: cannot read the list"))?;
    let clks = encode_csv(bytes.as_slice(), &list_name, &schema, &secret)
        .map_err(|e| Failure::Usage(e.into()))?;
    drop(secret);
    write_atomic(&args.out, clks.to_json().as_bytes())?;
    eprintln!(
        "encoded {} records of {} into {} ({} bits each{}) in {:.2} s",
        clks.len(),
        list_name,
        args.out.display(),
        schema.l,
        if schema.uses_extension() {
            "; listlink extension: not clkhash-compatible"
        } else {
            ""
        },
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn link_encoded(
    files: &[PathBuf],
    common: &Common,
    args: &LinkEncodedArgs,
) -> Result<(), Failure> {
    let start = Instant::now();
    if files.len() != 2 {
        return Err(Failure::Usage(anyhow!(
            "link --encoded takes exactly two CLK files, got {}",
            files.len()
        )));
    }
    for (given, flag) in [
        (common.settings.is_some(), "--settings"),
        (common.model.is_some(), "--model"),
        (common.as_of.is_some(), "--as-of"),
        (common.encoding.is_some(), "--encoding"),
        (common.strict, "--strict"),
    ] {
        if given {
            return Err(Failure::Usage(anyhow!(
                "{flag} does not apply to --encoded links"
            )));
        }
    }
    let decision = match (args.threshold, args.em) {
        (Some(t), _) if !(t > 0.0 && t <= 1.0) => {
            return Err(Failure::Usage(anyhow!(
                "--threshold {t}: a Dice threshold is above 0 and at most 1"
            )));
        }
        (Some(t), _) => Decision::Dice(t),
        (None, true) => Decision::Probability(0.5),
        (None, false) => Decision::Dice(0.75),
    };
    let names: Vec<String> = files.iter().map(|p| source_name(p)).collect();
    if names[0] == names[1] {
        return Err(Failure::Usage(anyhow!(
            "both files are named {}: the file names are the sources in pairs.csv",
            names[0]
        )));
    }
    let read = |path: &Path| -> Result<ClkSet, Failure> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        ClkSet::from_json(&text, &path.display().to_string()).map_err(|e| Failure::Usage(e.into()))
    };
    let t_read = Instant::now();
    let left = read(&files[0])?;
    let right = read(&files[1])?;
    let seconds_read = t_read.elapsed().as_secs_f64();
    if !left.is_empty() && !right.is_empty() && left.bits() != right.bits() {
        return Err(Failure::Usage(anyhow!(
            "{} has {}-bit encodings and {} has {}-bit ones: encode both with one schema",
            files[0].display(),
            left.bits(),
            files[1].display(),
            right.bits()
        )));
    }
    let blocking = Blocking::auto(left.len(), right.len(), args.max_all_pairs);
    let assignment = if args.keep_all {
        Assignment::All
    } else {
        Assignment::OneToOne
    };
    let linkage = link(
        &left,
        &right,
        &LinkConfig {
            decision,
            blocking,
            assignment,
        },
    );

    // The folder is written whole beside --out and swapped in, like every run's.
    let staging = crate::outdir::Staging::begin(&common.out)?;
    // A byte-order mark first, as on every CSV listlink writes, so spreadsheets read it as UTF-8.
    let mut csv = String::from(
        "\u{feff}left_source,left_id,right_source,right_id,match_probability,match_weight,dice\n",
    );
    let cell = |s: &str| {
        let s = safe_cell(s);
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.into_owned()
        }
    };
    let (ls, rs) = (cell(&names[0]), cell(&names[1]));
    for m in &linkage.matches {
        csv.push_str(&format!(
            "{ls},{},{rs},{},{:.6},{:.4},{:.6}\n",
            m.left, m.right, m.probability, m.weight, m.dice
        ));
    }
    write_atomic(&staging.path("pairs.csv"), csv.as_bytes())?;
    let report = serde_json::json!({
        "format": "listlink-report",
        "link_type": "link",
        "encoded": true,
        "sources": [
            {"name": names[0], "records": left.len()},
            {"name": names[1], "records": right.len()},
        ],
        "decision": match decision {
            Decision::Dice(t) => serde_json::json!({"dice_at_least": t}),
            Decision::Probability(p) => serde_json::json!({"probability_at_least": p, "dice_floor": listlink_pprl::linkage::EM_FLOOR}),
        },
        "blocking": match blocking {
            Blocking::AllPairs => serde_json::json!("all pairs (popcount-pruned)"),
            Blocking::Lsh { tables, bits, seed } => serde_json::json!({"lsh": {"tables": tables, "bits": bits, "seed": seed}}),
        },
        "assignment": if args.keep_all { "all pairs that pass" } else { "one-to-one (greedy)" },
        "pairs_compared": linkage.compared,
        "candidate_pairs": linkage.candidates,
        "matches": linkage.matches.len(),
        "calibration": {
            "prior": linkage.calibration.prior,
            "probability_by_dice_bin": linkage.calibration.probability[..listlink_pprl::matching::BINS],
        },
        "seconds": {
            "read": seconds_read,
            "compare": linkage.seconds_compare,
            "solve": linkage.seconds_solve,
            "total": start.elapsed().as_secs_f64(),
        },
    });
    write_atomic(
        &staging.path("report.json"),
        serde_json::to_string_pretty(&report)
            .expect("report serialises")
            .as_bytes(),
    )?;
    staging.commit()?;
    eprintln!(
        "linked {} × {} encodings: {} pairs compared, {} candidates, {} matched; wrote {}",
        left.len(),
        right.len(),
        linkage.compared,
        linkage.candidates,
        linkage.matches.len(),
        common.out.join("pairs.csv").display()
    );
    Ok(())
}
