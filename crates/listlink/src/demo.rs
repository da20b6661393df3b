//! `listlink demo` and `listlink generate`: the bundled synthetic lists.

use crate::{Common, Failure};
use anyhow::Context;
use listlink_core::LinkType;
use listlink_core::evaluate::{Truth, evaluate};
use listlink_core::export::{display_name, explanation};
use std::path::{Path, PathBuf};

/// The demo lists, made by `listlink generate --out demo` (a test checks they still are).
pub const CONSULAR: &str = include_str!("../../../demo/consular.csv");
pub const ROSTER: &str = include_str!("../../../demo/roster.csv");

pub fn generate(
    out: &Path,
    seed: u64,
    consular: usize,
    roster_only: usize,
    mixed_origins: bool,
) -> Result<(), Failure> {
    let config = listlink_synth::Config {
        seed,
        consular,
        roster_only,
        mixed_origins,
        ..Default::default()
    };
    let lists = listlink_synth::generate(&config);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    listlink_core::export::write_atomic(&out.join("consular.csv"), lists.consular.as_bytes())?;
    listlink_core::export::write_atomic(&out.join("roster.csv"), lists.roster.as_bytes())?;
    println!(
        "wrote {} and {}",
        out.join("consular.csv").display(),
        out.join("roster.csv").display()
    );
    Ok(())
}

/// Writes `OUT/people.csv`, a FEBRL-like list of `records` rows, streamed to disk.
pub fn generate_febrl(out: &Path, seed: u64, records: usize) -> Result<(), Failure> {
    let config = listlink_synth::febrl::FebrlConfig {
        seed,
        records,
        ..Default::default()
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join("people.csv");
    let partial = out.join("people.csv.partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let (rows, pairs) = listlink_synth::febrl::write_febrl(&config, &mut writer)
        .and_then(|r| std::io::Write::flush(&mut writer).map(|_| r))
        .with_context(|| format!("writing {}", partial.display()))?;
    drop(writer);
    std::fs::rename(&partial, &path)
        .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
    println!("wrote {} ({rows} rows, {pairs} true pairs)", path.display());
    Ok(())
}

pub fn run(out: Option<PathBuf>) -> Result<(), Failure> {
    // Without --out the demo keeps a fresh temporary folder and says where, so that every path
    // it prints can be opened.
    let out = match out {
        Some(o) => o,
        None => tempfile::Builder::new()
            .prefix("listlink-demo-")
            .tempdir()
            .context("creating a temporary folder")?
            .keep(),
    };
    let data = out.join("input");
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let consular = data.join("consular.csv");
    let roster = data.join("roster.csv");
    std::fs::write(&consular, CONSULAR)
        .with_context(|| format!("writing {}", consular.display()))?;
    std::fs::write(&roster, ROSTER).with_context(|| format!("writing {}", roster.display()))?;
    let answers = out.join("answers");
    println!(
        "listlink demo: which people on a consular list (300, synthetic; Cyrillic or passport Latin) are on a roster from 4 sources (Hebrew, Arabic, Cyrillic, Latin)?"
    );
    println!(
        "  listlink find --list {} --roster {} --as-of 2026-01-01 --out {}\n",
        consular.display(),
        roster.display(),
        answers.display()
    );
    // Ages in the demo lists were counted at the generator's date.
    let (y, m, d) = listlink_synth::Config::default().as_of;
    let common = Common {
        settings: None,
        model: None,
        out: answers.clone(),
        strict: false,
        as_of: Some(format!("{y:04}-{m:02}-{d:02}")),
        encoding: None,
    };
    let run = crate::commands::linkage(LinkType::Find, &[consular], &[roster], &common, 3)?;

    // One answer in full: the best-scoring found pair across scripts (a Latin or Cyrillic name
    // against a Hebrew or Arabic one, where possible).
    if let Some(pair) = run
        .find
        .iter()
        .flatten()
        .filter(|f| f.status == listlink_core::pipeline::FindStatus::Found)
        .filter_map(|f| f.candidates.first().map(|&i| &run.pairs[i]))
        .filter(|p| display_name(&run, p.a.index()) != display_name(&run, p.b.index()))
        .max_by(|x, y| {
            let abjad = |p: &&listlink_core::pipeline::ScoredPair| {
                matches!(
                    listlink_names::dominant_script(&display_name(&run, p.b.index())),
                    Some(listlink_names::Script::Hebrew | listlink_names::Script::Arabic)
                )
            };
            (abjad(x), x.weight)
                .partial_cmp(&(abjad(y), y.weight))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(y.a.cmp(&x.a))
        })
    {
        let (qs, qi) = run.key(pair.a.index());
        let (cs, ci) = run.key(pair.b.index());
        println!(
            "\nexample: {qs} {qi} \"{}\" ~ {cs} {ci} \"{}\"",
            display_name(&run, pair.a.index()),
            display_name(&run, pair.b.index())
        );
        println!(
            "  probability {:.4}, weight {:+.2} = prior {:+.2} + evidence:",
            pair.probability(),
            pair.weight,
            run.scorer.prior_weight
        );
        for part in explanation(&run, pair).split("; ") {
            println!("    {part}");
        }
    }

    // Accuracy against the generator's truth.
    let tables: Vec<_> = run.inputs.iter().map(|i| &i.table).collect();
    let labels = crate::eval::labels_from_tables(&tables, Some("truth"));
    let (scored, space) = crate::eval::run_pairs(&run);
    let e = evaluate(
        &scored,
        &Truth::Labels(labels),
        &space,
        run.settings.thresholds.match_probability,
    );
    println!(
        "\naccuracy against the generator's truth: precision {:.4}, recall {:.4}, F1 {:.4} ({} true pairs)",
        e.at_threshold.precision, e.at_threshold.recall, e.at_threshold.f1, e.true_pairs
    );
    println!(
        "answers for every person on the list: {} (the demo's folder {} is kept; delete it when done)",
        answers.join("found.csv").display(),
        out.display()
    );
    Ok(())
}
