use super::*;
use proptest::prelude::*;

/// Two comparisons with 3 non-null levels each; matches agree, non-matches do not.
fn synthetic_counts() -> PatternCounts {
    let pat = |a: u64, b: u64| a | (b << 4);
    vec![
        (pat(1, 1), 90),
        (pat(1, 2), 8),
        (pat(2, 1), 6),
        (pat(3, 3), 5000),
        (pat(2, 3), 300),
        (pat(3, 2), 250),
        (pat(0, 1), 4),
    ]
}

/// A level EM never saw among matches weighs at most ten bits against a pair, not thirty.
#[test]
fn weights_are_floored_at_one_match_in_a_thousand() {
    let level = |m: f64, u: f64| LevelModel {
        label: String::new(),
        m,
        u,
        r: None,
    };
    let model = Model {
        format: String::new(),
        version: 1,
        link_type: crate::prepare::LinkType::Dedupe,
        prior: 1e-4,
        related_prior: None,
        comparisons: vec![ComparisonModel {
            name: "family_name".into(),
            levels: vec![level(0.0, 0.0), level(0.9, 0.01), level(1e-12, 0.99)],
        }],
        training: TrainingInfo::default(),
    };
    let w = model.level_weights();
    assert!((w[0][1] - (0.9f64 / 0.01).log2()).abs() < 1e-12);
    assert!(
        (w[0][2] - (1e-3f64 / 0.99).log2()).abs() < 1e-12,
        "{}",
        w[0][2]
    );
}

#[test]
fn em_recovers_a_clear_structure() {
    let u = vec![vec![0.0, 0.001, 0.05, 0.949], vec![0.0, 0.001, 0.05, 0.949]];
    let m0 = initial_m(&[4, 4]);
    let fit = em(
        &synthetic_counts(),
        1_000_000,
        &u,
        &m0,
        None,
        1e-3,
        EmOptions {
            max_iterations: 500,
            tolerance: 1e-10,
        },
    );
    assert!(fit.converged);
    assert!(fit.m[0][1] > 0.8, "{:?}", fit.m);
    // about 100 matches among a million pairs
    assert!((fit.prior * 1e6 - 100.0).abs() < 15.0, "{}", fit.prior);
}

#[test]
fn model_json_round_trips_and_checks_version() {
    let comparator_free = Model {
        format: MODEL_FORMAT.into(),
        version: MODEL_VERSION,
        link_type: LinkType::Link,
        prior: 1e-4,
        related_prior: None,
        comparisons: vec![ComparisonModel {
            name: "x".into(),
            levels: vec![
                LevelModel {
                    label: "null".into(),
                    m: 0.0,
                    u: 0.0,
                    r: None,
                },
                LevelModel {
                    label: "exact".into(),
                    m: 0.9,
                    u: 0.01,
                    r: None,
                },
                LevelModel {
                    label: "else".into(),
                    m: 0.1,
                    u: 0.99,
                    r: None,
                },
            ],
        }],
        training: TrainingInfo::default(),
    };
    let p = Path::new("model.json");
    let back = Model::from_json(&comparator_free.to_json(), p).unwrap();
    assert_eq!(back, comparator_free);
    let newer = comparator_free
        .to_json()
        .replace("\"version\": 1", "\"version\": 99");
    let err = Model::from_json(&newer, p).unwrap_err().to_string();
    assert!(
        err.contains("model.json") && err.contains("version 99"),
        "{err}"
    );
    assert!(
        Model::from_json("{}", p)
            .unwrap_err()
            .to_string()
            .contains("not a listlink model")
    );
}

/// A name level that finds the names alike weighs from an m of 1 % at least, whatever EM
/// fitted; a wholly different name and other comparisons' levels from 0.1 %.
#[test]
fn name_levels_that_agree_are_floored_at_one_in_a_hundred() {
    let level = |label: &str, m: f64, u: f64| LevelModel {
        label: label.into(),
        m,
        u,
        r: None,
    };
    let model = Model {
        comparisons: vec![
            ComparisonModel {
                name: "family_name".into(),
                levels: vec![
                    level("null", 0.0, 0.0),
                    level("exact", 0.0, 1e-6),
                    level("equal after transliteration", 0.9, 0.01),
                    level("same consonant skeleton", 0.1, 0.01),
                    level("similar", 0.0, 0.005),
                    level("else", 0.0, 0.975),
                ],
            },
            ComparisonModel {
                name: "city".into(),
                levels: vec![
                    level("null", 0.0, 0.0),
                    level("exact", 1.0, 0.01),
                    level("similar", 0.0, 0.005),
                    level("else", 0.0, 0.985),
                ],
            },
        ],
        ..Model::from_json(
            include_str!("../../tests/fixtures/model-v1.json"),
            Path::new("m"),
        )
        .unwrap()
    };
    let w = model.level_weights();
    assert!(
        (w[0][4] - (0.01f64 / 0.005).log2()).abs() < 1e-12,
        "{:?}",
        w[0]
    );
    assert!((w[0][1] - (1e-3f64 / 1e-6).log2()).abs() < 1e-12);
    assert!((w[0][5] - (1e-3f64 / 0.975).log2()).abs() < 1e-12);
    assert!(
        (w[1][2] - (1e-3f64 / 0.005).log2()).abs() < 1e-12,
        "{:?}",
        w[1]
    );
}

#[test]
fn version_1_fixture_still_loads() {
    let text = include_str!("../../tests/fixtures/model-v1.json");
    let m = Model::from_json(text, Path::new("model-v1.json")).unwrap();
    assert_eq!(m.version, 1);
    assert!(!m.comparisons.is_empty());
    // Written before dates 6–10 years apart had their own level: that level comes in, of
    // the weight `else` had.
    let date = m
        .comparisons
        .iter()
        .find(|c| c.levels.iter().any(|l| l.label == "within 5 years"))
        .expect("a date comparison");
    let n = date.levels.len();
    assert_eq!(date.levels[n - 2].label, "within 10 years");
    let weight = |l: &LevelModel| (l.m / l.u).log2();
    assert!((weight(&date.levels[n - 2]) - weight(&date.levels[n - 1])).abs() < 1e-12);
}

proptest! {
    #[test]
    fn em_never_decreases_the_likelihood(
        counts in proptest::collection::btree_map(0u64..256, 1u64..5000, 1..40),
        u_raw in proptest::collection::vec(proptest::collection::vec(0.01f64..1.0, 3), 2),
        m_raw in proptest::collection::vec(proptest::collection::vec(0.01f64..1.0, 3), 2),
        prior in 1e-6f64..0.5,
        extra in 0u64..10_000_000,
        with_related in proptest::bool::ANY,
    ) {
        // patterns: 2 comparisons, levels 0..=3 each (4 bits): keep levels ≤ 3
        let counts: PatternCounts = counts.into_iter().map(|(p, n)| (p & 0x33, n)).collect::<std::collections::BTreeMap<_, _>>().into_iter().collect();
        let norm = |v: &Vec<f64>| { let s: f64 = v.iter().sum(); let mut o = vec![0.0]; o.extend(v.iter().map(|x| x / s)); o };
        let u: Vec<Vec<f64>> = u_raw.iter().map(norm).collect();
        let m0: Vec<Vec<f64>> = m_raw.iter().map(norm).collect();
        let candidates: u64 = counts.iter().map(|c| c.1).sum();
        let names = [true, false];
        let fit = em(&counts, candidates + extra, &u, &m0, with_related.then_some(&names[..]), prior.min(0.2), EmOptions { max_iterations: 60, tolerance: 0.0 });
        for w in fit.log_likelihood.windows(2) {
            prop_assert!(w[1] >= w[0] - 1e-7 * w[0].abs().max(1.0), "likelihood fell: {} -> {}", w[0], w[1]);
        }
    }
}

/// A comparison held out of EM (the name order) is read as null while fitting and then gets m
/// from the fitted classes: matches that keep their order give a swap less weight than chance.
#[test]
fn held_out_comparison_is_estimated_from_the_fit() {
    let pat = |name: u64, order: u64| name | (order << 4);
    // 100 matches (name agrees): 95 in the same order, 5 swapped; 10,000 non-matches whose
    // names disagree, 60 % in the same order.
    let counts: PatternCounts = vec![
        (pat(1, 1), 95),
        (pat(1, 2), 5),
        (pat(2, 1), 6_000),
        (pat(2, 2), 4_000),
    ];
    let held_out = [false, true];
    let fit_counts = super::train::without(&counts, &held_out);
    assert_eq!(fit_counts, vec![(pat(1, 0), 100), (pat(2, 0), 10_000)]);
    let u = vec![vec![0.0, 0.001, 0.999], vec![0.0, 0.6, 0.4]];
    let options = EmOptions {
        max_iterations: 500,
        tolerance: 1e-12,
    };
    let mut fit = em(
        &fit_counts,
        10_100,
        &u,
        &initial_m(&[3, 3]),
        None,
        1e-3,
        options,
    );
    super::train::estimate_held_out(&counts, &u, None, &held_out, &mut fit);
    assert!((fit.m[1][2] - 0.05).abs() < 0.01, "{:?}", fit.m[1]);
    assert!((fit.m[1][1] + fit.m[1][2] - 1.0).abs() < 1e-9);
}
