//! Properties and accuracy on generated data where the truth is known: estimates do not depend
//! on the order of the lists; intervals cover the true total at close to their nominal rate;
//! LCMCR recovers a heterogeneous population; the interval with linkage uncertainty covers
//! better than the one that ignores it.

use listlink_estimate::CaptureTable;
use listlink_estimate::lcmcr::{LcmcrConfig, lcmcr};
use listlink_estimate::linkage::{self, Band, LinkedRecords, ScoredPair};
use listlink_estimate::loglinear::{self, Criterion, Model, Search};
use listlink_estimate::report;
use listlink_estimate::twolist;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn names(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("L{i}")).collect()
}

/// People captured by each list independently with `p[i]`, within latent classes
/// `(share, capture probabilities)`.
fn simulate(rng: &mut ChaCha8Rng, n: usize, classes: &[(f64, Vec<f64>)]) -> CaptureTable {
    let k = classes[0].1.len();
    let mut t = CaptureTable::new(names(k)).unwrap();
    for _ in 0..n {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut class = &classes[classes.len() - 1].1;
        for (share, p) in classes {
            acc += share;
            if u < acc {
                class = p;
                break;
            }
        }
        let mut pattern = 0;
        for (i, &p) in class.iter().enumerate() {
            if rng.random::<f64>() < p {
                pattern |= 1 << i;
            }
        }
        if pattern != 0 {
            t.add(pattern, 1);
        }
    }
    t
}

fn table_strategy() -> impl Strategy<Value = (Vec<u64>, Vec<usize>)> {
    (3usize..=4).prop_flat_map(|k| {
        (
            proptest::collection::vec(0u64..60, (1 << k) - 1),
            Just((0..k).collect::<Vec<usize>>()).prop_shuffle(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn loglinear_selection_does_not_depend_on_list_order((counts, order) in table_strategy()) {
        let k = order.len();
        let mut t = CaptureTable::new(names(k)).unwrap();
        for (i, &c) in counts.iter().enumerate() {
            t.add(i + 1, c);
        }
        prop_assume!(t.observed() > 0);
        let r = t.reordered(&order);
        let a = loglinear::search(&t, Search::Exhaustive, Criterion::Bic, 2);
        let b = loglinear::search(&r, Search::Exhaustive, Criterion::Bic, 2);
        let est = |s: &loglinear::SearchResult| s.selected.and_then(|i| s.fits[i].fitted().map(|f| (f.estimate, f.bic)));
        match (est(&a), est(&b)) {
            (Some((ea, ba)), Some((eb, bb))) => {
                prop_assert!((ba - bb).abs() < 1e-6 * (1.0 + ba.abs()), "BIC {ba} vs {bb}");
                // two models can tie on BIC to rounding; compare the estimate when they do not
                prop_assert!((ea - eb).abs() < 1e-5 * ea, "estimate {ea} vs {eb}");
            }
            (None, None) => {}
            (x, y) => prop_assert!(false, "one order fits, the other not: {x:?} {y:?}"),
        }
        // the same number of models set aside either way
        let aside = |s: &loglinear::SearchResult| s.fits.iter().filter(|f| f.fitted().is_none()).count();
        prop_assert_eq!(aside(&a), aside(&b));
    }

    /// Any table, however sparse or odd, gives a report or an error that says why: never a
    /// panic, never a non-finite estimate.
    #[test]
    fn every_method_answers_or_explains_on_any_table(
        (counts, _) in table_strategy(),
        zero_mask in 0u32..128,
    ) {
        let k = if counts.len() == 7 { 3 } else { 4 };
        let mut t = CaptureTable::new(names(k)).unwrap();
        for (i, &c) in counts.iter().enumerate() {
            if zero_mask >> (i % 7) & 1 == 0 {
                t.add(i + 1, c);
            }
        }
        let config = report::Config {
            method: report::Method::All,
            lcmcr: LcmcrConfig { iterations: 200, burn_in: 50, ..LcmcrConfig::default() },
            ..report::Config::default()
        };
        match report::estimate_table(&t, &config) {
            Ok(r) => {
                for m in &r.methods {
                    prop_assert!(m.estimate.is_finite() && m.estimate >= t.observed() as f64 - 1e-6,
                        "{} gave {}", m.method, m.estimate);
                }
                let rep = report::report(vec![(String::new(), r)], &config);
                prop_assert!(serde_json::from_str::<serde_json::Value>(&rep.to_json()).is_ok());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn chapman_does_not_depend_on_list_order(a in 0u64..500, b in 0u64..500, m in 0u64..200) {
        let t = CaptureTable::from_pattern_strings(names(2), [("10", a), ("01", b), ("11", m)]).unwrap();
        let r = t.reordered(&[1, 0]);
        let (x, y) = (twolist::chapman(&t).unwrap(), twolist::chapman(&r).unwrap());
        prop_assert_eq!(x.estimate, y.estimate);
        prop_assert_eq!(x.ci95, y.ci95);
    }
}

/// Coverage of the Chapman interval (two lists) and of the independence model's
/// profile-likelihood interval (three lists) on independent lists with N = 600, over a fixed
/// set of 300 seeds each.
#[test]
fn intervals_cover_the_truth_at_close_to_95_percent_on_independent_lists() {
    let n = 600;
    let reps = 300;
    let mut chapman_hits = 0;
    let mut loglinear_hits = 0;
    for seed in 0..reps {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
        let t2 = simulate(&mut rng, n, &[(1.0, vec![0.25, 0.3])]);
        let c = twolist::chapman(&t2).unwrap();
        if c.ci95.lower <= n as f64 && n as f64 <= c.ci95.upper.unwrap() {
            chapman_hits += 1;
        }
        let t3 = simulate(&mut rng, n, &[(1.0, vec![0.2, 0.25, 0.3])]);
        let f = loglinear::fit(&t3, &Model::independence());
        let x = f.fitted().unwrap();
        let ci = loglinear::profile_interval(&t3, &f.model, x);
        if ci.lower <= n as f64 && ci.upper.is_none_or(|u| n as f64 <= u) {
            loglinear_hits += 1;
        }
    }
    let (c, l) = (
        chapman_hits as f64 / reps as f64,
        loglinear_hits as f64 / reps as f64,
    );
    eprintln!("coverage over {reps} tables: chapman {c:.3}, log-linear profile {l:.3}");
    // ±2.5 binomial standard errors around 0.95 at 300 draws is about ±0.03.
    assert!((0.91..=0.985).contains(&c), "chapman coverage {c}");
    assert!((0.91..=0.985).contains(&l), "log-linear coverage {l}");
}

/// Two latent classes with very different capture probabilities: the independence model
/// underestimates; LCMCR's credible interval holds the truth.
#[test]
fn lcmcr_recovers_a_heterogeneous_population() {
    let n = 2000;
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let t = simulate(
        &mut rng,
        n,
        &[
            (0.3, vec![0.5, 0.45, 0.5, 0.4, 0.55]),
            (0.7, vec![0.08, 0.12, 0.1, 0.15, 0.1]),
        ],
    );
    let config = LcmcrConfig {
        iterations: 6000,
        burn_in: 1500,
        seed: 3,
        ..LcmcrConfig::default()
    };
    let p = lcmcr(&t, &config).unwrap();
    let ind = loglinear::fit(&t, &Model::independence());
    eprintln!(
        "observed {}, LCMCR median {:.0} [{:.0}, {:.0}] ess {:.0}; independence {:.0}",
        t.observed(),
        p.median,
        p.ci95.lower,
        p.ci95.upper.unwrap(),
        p.effective_sample_size,
        ind.fitted().unwrap().estimate
    );
    assert!(p.ci95.lower <= n as f64 && n as f64 <= p.ci95.upper.unwrap());
    assert!(ind.fitted().unwrap().estimate < 0.9 * n as f64);
}

/// A roster with known truth: `n` people, two lists. Most record pairs of one person score
/// 0.99; others, and some pairs of different people, score in the band, calibrated: a band
/// score `p` ~ U(0.05, 0.65) belongs to a true match with chance `p`. More true matches than
/// false pairs then sit below 0.5 (as when names are written differently), so the clustering at
/// 0.5 misses people on both lists and overestimates the total.
fn roster(rng: &mut ChaCha8Rng, n: usize) -> LinkedRecords {
    let mut list_of = Vec::new();
    let mut on = [Vec::new(), Vec::new()];
    for person in 0..n {
        for (l, p) in [0.3, 0.35].iter().enumerate() {
            if rng.random::<f64>() < *p {
                on[l].push((person, list_of.len()));
                list_of.push(l);
            }
        }
    }
    let by_person: std::collections::HashMap<usize, usize> = on[1].iter().copied().collect();
    let true_pairs: Vec<(usize, usize)> = on[0]
        .iter()
        .filter_map(|&(person, a)| by_person.get(&person).map(|&b| (a, b)))
        .collect();
    let mut scores = vec![0.99; true_pairs.len()];
    let mut pairs = Vec::new();
    // band candidates: about a quarter of the true matches end up in the band
    let candidates = true_pairs.len() * 25 / 35;
    let mut next_true = 0;
    for _ in 0..candidates {
        let p: f64 = 0.05 + 0.6 * rng.random::<f64>();
        if rng.random::<f64>() < p {
            if next_true < scores.len() {
                scores[next_true] = p;
                next_true += 1;
            }
        } else {
            let a = on[0][rng.random_range(0..on[0].len())];
            let b = on[1][rng.random_range(0..on[1].len())];
            if a.0 != b.0 {
                pairs.push(ScoredPair {
                    a: a.1,
                    b: b.1,
                    probability: p,
                });
            }
        }
    }
    for (&(a, b), &p) in true_pairs.iter().zip(&scores) {
        pairs.push(ScoredPair {
            a,
            b,
            probability: p,
        });
    }
    LinkedRecords {
        lists: names(2),
        list_of,
        pairs,
    }
}

#[test]
fn the_interval_with_linkage_uncertainty_covers_better_than_the_one_without() {
    let n = 1500;
    let reps = 60;
    let band = Band {
        lower: 0.05,
        upper: 0.95,
    };
    let (mut ignoring, mut with) = (0, 0);
    for seed in 0..reps {
        let mut rng = ChaCha8Rng::seed_from_u64(500 + seed);
        let r = roster(&mut rng, n);
        let point = twolist::chapman(&r.table_at(0.5)).unwrap();
        if point.ci95.lower <= n as f64 && n as f64 <= point.ci95.upper.unwrap() {
            ignoring += 1;
        }
        let per: Vec<_> = r
            .draw_tables(band, 40, seed)
            .iter()
            .map(|t| {
                let c = twolist::chapman(t).unwrap();
                (c.estimate, c.ci95)
            })
            .collect();
        let c = linkage::combine(&per).unwrap();
        if c.ci95.lower <= n as f64 && n as f64 <= c.ci95.upper.unwrap() {
            with += 1;
        }
    }
    let (i, w) = (ignoring as f64 / reps as f64, with as f64 / reps as f64);
    eprintln!("coverage over {reps} rosters: ignoring linkage {i:.3}, with linkage {w:.3}");
    assert!(w > i + 0.1, "with {w}, ignoring {i}");
    assert!(w >= 0.85, "with {w}");
}
