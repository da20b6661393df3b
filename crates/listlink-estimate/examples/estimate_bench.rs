//! Prints what `bench/estimate.sh` reports: LCMCR's time for 10,000 iterations on the UK 2013
//! six-list table (with its posterior and effective sample size), the exhaustive log-linear
//! search's time on it, and interval coverage on independent lists with known N over many seeds.
//!
//! `cargo run --release -p listlink-estimate --example estimate_bench [-- PATH/mse_dev.json]`

use listlink_estimate::CaptureTable;
use listlink_estimate::lcmcr::{LcmcrConfig, lcmcr};
use listlink_estimate::loglinear::{self, Criterion, Model, Search};
use listlink_estimate::twolist;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn uk_table(path: &str) -> CaptureTable {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let uk = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "uk2013_6lists")
        .expect("uk2013_6lists");
    let lists = uk["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    CaptureTable::from_pattern_strings(
        lists,
        uk["patterns"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_u64().unwrap())),
    )
    .unwrap()
}

fn independent(rng: &mut ChaCha8Rng, n: usize, p: &[f64]) -> CaptureTable {
    let mut t = CaptureTable::new((0..p.len()).map(|i| format!("L{i}")).collect()).unwrap();
    for _ in 0..n {
        let pattern = p
            .iter()
            .enumerate()
            .filter(|(_, q)| rng.random::<f64>() < **q)
            .fold(0, |acc, (i, _)| acc | 1 << i);
        if pattern != 0 {
            t.add(pattern, 1);
        }
    }
    t
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/mse_dev.json"
        )
        .into()
    });
    let uk = uk_table(&path);

    let config = LcmcrConfig {
        iterations: 10_000,
        burn_in: 2_500,
        seed: 1,
        ..LcmcrConfig::default()
    };
    let t = Instant::now();
    let p = lcmcr(&uk, &config).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "LCMCR, UK 2013 (6 lists, {} observed), K* = {}, 10,000 iterations: {secs:.3} s (limit 10 s); median {:.0}, 95 % [{:.0}, {:.0}], ESS {:.0} of {} kept",
        uk.observed(),
        config.classes,
        p.median,
        p.ci95.lower,
        p.ci95.upper.unwrap(),
        p.effective_sample_size,
        p.draws_kept
    );

    // The 10,000-iteration chain mixes slowly on this sparse table (see its ESS): a long chain
    // shows where the posterior settles.
    let long = LcmcrConfig {
        iterations: 200_000,
        burn_in: 20_000,
        thin: 10,
        ..config
    };
    let t = Instant::now();
    let p = lcmcr(&uk, &long).unwrap();
    println!(
        "LCMCR, UK 2013, 200,000 iterations (20,000 burn-in, thinned by 10): {:.2} s; median {:.0}, 95 % [{:.0}, {:.0}], ESS {:.0} of {} kept",
        t.elapsed().as_secs_f64(),
        p.median,
        p.ci95.lower,
        p.ci95.upper.unwrap(),
        p.effective_sample_size,
        p.draws_kept
    );

    let t = Instant::now();
    let r = loglinear::search(&uk, Search::Exhaustive, Criterion::Bic, 2);
    let secs = t.elapsed().as_secs_f64();
    let sel = &r.fits[r.selected.unwrap()];
    let f = sel.fitted().unwrap();
    let t2 = Instant::now();
    let ci = loglinear::profile_interval(&uk, &sel.model, f);
    println!(
        "log-linear, UK 2013, exhaustive BIC search over {} models: {secs:.2} s; selected {} -> {:.0}, profile 95 % [{:.0}, {:.0}] ({:.3} s) (published downhill: 12350)",
        r.fits.len(),
        sel.model.label(uk.lists()),
        f.estimate,
        ci.lower,
        ci.upper.unwrap_or(f64::INFINITY),
        t2.elapsed().as_secs_f64()
    );

    let n = 600;
    let reps = 1000u64;
    let (mut chapman, mut independence, mut selected) = (0, 0, 0);
    let t = Instant::now();
    for seed in 0..reps {
        let mut rng = ChaCha8Rng::seed_from_u64(10_000 + seed);
        let t2 = independent(&mut rng, n, &[0.25, 0.3]);
        let c = twolist::chapman(&t2).unwrap().ci95;
        chapman += usize::from(c.lower <= n as f64 && c.upper.is_none_or(|u| n as f64 <= u));
        let t3 = independent(&mut rng, n, &[0.2, 0.25, 0.3]);
        let fit = loglinear::fit(&t3, &Model::independence());
        let ci = loglinear::profile_interval(&t3, &fit.model, fit.fitted().unwrap());
        independence += usize::from(ci.lower <= n as f64 && ci.upper.is_none_or(|u| n as f64 <= u));
        let r = loglinear::search(&t3, Search::Exhaustive, Criterion::Bic, 2);
        let s = &r.fits[r.selected.unwrap()];
        let ci = loglinear::profile_interval(&t3, &s.model, s.fitted().unwrap());
        selected += usize::from(ci.lower <= n as f64 && ci.upper.is_none_or(|u| n as f64 <= u));
    }
    let pct = |h: usize| 100.0 * h as f64 / reps as f64;
    println!(
        "coverage of 95 % intervals, N = {n}, independent lists, {reps} seeds ({:.1} s): Chapman (2 lists) {:.1} %; log-linear independence model, profile (3 lists) {:.1} %; log-linear after BIC selection (3 lists) {:.1} %",
        t.elapsed().as_secs_f64(),
        pct(chapman),
        pct(independence),
        pct(selected)
    );
}
