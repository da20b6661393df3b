//! Kernel benchmarks: the string similarities, one comparison vector, and comparing and scoring
//! candidate pairs, on FEBRL-like records from the project's generator (20,000 rows, the bench
//! settings of `crates/listlink-core/tests/fixtures/febrl-settings.toml`).
//!
//!     cargo bench -p listlink --bench kernels
//!
//! Figures are per call; `pairs` benchmarks report pairs per second through divan's counters.

use divan::counter::ItemsCount;
use listlink_core::bench::{CollectPairs, prepare};
use listlink_core::ingest::{ReadOptions, read_bytes};
use listlink_core::settings::Settings;
use listlink_core::{Blocker, Comparator, Features, LinkType, SplitMix64};
use std::path::Path;
use std::sync::LazyLock;

fn main() {
    divan::main();
}

struct Fixture {
    features: Features,
    comparator: Comparator,
    /// Candidate pairs from the bench's blocking rules.
    blocked: Vec<(u32, u32)>,
    /// Random pairs, as u is estimated from.
    random: Vec<(u32, u32)>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let config = listlink_synth::febrl::FebrlConfig {
        records: 20_000,
        ..Default::default()
    };
    let mut csv = Vec::new();
    listlink_synth::febrl::write_febrl(&config, &mut csv).expect("in memory");
    let table = read_bytes(
        &csv,
        Path::new("people.csv"),
        &ReadOptions {
            id_columns: vec!["rec_id".into()],
            ..Default::default()
        },
    )
    .expect("generated CSV reads")
    .table;
    let toml = include_str!("../../listlink-core/tests/fixtures/febrl-settings.toml");
    let settings = Settings::from_toml(toml, "febrl-settings.toml").expect("bench settings");
    let features = prepare(
        std::slice::from_ref(&table),
        &[0],
        &settings,
        LinkType::Dedupe,
    );
    let comparator = Comparator::new(&settings);
    let blocker = Blocker::new(settings.blocking_rules().expect("rules"), &features);
    let blocked = blocker.for_each_pair(&features, &CollectPairs);
    let mut rng = SplitMix64::new(1);
    let n = features.len() as u64;
    let random = (0..100_000)
        .map(|_| (rng.below(n) as u32, rng.below(n) as u32))
        .filter(|(a, b)| a != b)
        .collect();
    Fixture {
        features,
        comparator,
        blocked,
        random,
    }
});

const NAMES: [(&str, &str); 4] = [
    ("jeckcaimen", "jeckciamen"),
    ("martha", "marhta"),
    ("gustaithson place", "gustaitson place"),
    ("wittfily", "hoswott"),
];

#[divan::bench]
fn jaro_winkler(bencher: divan::Bencher) {
    bencher.counter(ItemsCount::new(NAMES.len())).bench(|| {
        NAMES
            .iter()
            .map(|(a, b)| {
                listlink_names::similarity::jaro_winkler(
                    divan::black_box(a.as_bytes()),
                    divan::black_box(b.as_bytes()),
                )
            })
            .sum::<f64>()
    });
}

#[divan::bench]
fn osa_distance(bencher: divan::Bencher) {
    let ids = [
        ("5542751", "5542715"),
        ("2080995", "0834558"),
        ("27", "127"),
    ];
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        ids.iter()
            .map(|(a, b)| {
                listlink_names::similarity::osa_distance(
                    divan::black_box(a.as_bytes()),
                    divan::black_box(b.as_bytes()),
                )
            })
            .sum::<usize>()
    });
}

/// One thread: the comparison vector of every blocked pair.
#[divan::bench]
fn pattern_blocked_pairs(bencher: divan::Bencher) {
    let f = &*FIXTURE;
    // A fresh comparator each time: its memo of value pairs starts empty, as in a run.
    bencher
        .counter(ItemsCount::new(f.blocked.len()))
        .with_inputs(|| f.comparator.clone_fresh())
        .bench_local_values(|comparator| {
            f.blocked
                .iter()
                .map(|&(a, b)| comparator.pattern(&f.features, a as usize, b as usize))
                .fold(0u64, |x, p| x ^ p)
        });
}

/// One thread: the comparison vector of random pairs (the u estimate's work).
#[divan::bench]
fn pattern_random_pairs(bencher: divan::Bencher) {
    let f = &*FIXTURE;
    // A fresh comparator each time: its memo of value pairs starts empty, as in a run.
    bencher
        .counter(ItemsCount::new(f.random.len()))
        .with_inputs(|| f.comparator.clone_fresh())
        .bench_local_values(|comparator| {
            f.random
                .iter()
                .map(|&(a, b)| comparator.pattern(&f.features, a as usize, b as usize))
                .fold(0u64, |x, p| x ^ p)
        });
}
