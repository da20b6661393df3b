//! Training, all of its policy in one place: u from seeded random pairs, then m and the prior
//! by EM over the candidates' pattern counts (two classes, then the related class from two
//! starts), the name split and the floors on name agreement.

use super::*;

/// Counts of each distinct pattern among candidate pairs, sorted by pattern.
pub type PatternCounts = Vec<(Pattern, u64)>;

/// Merges a pattern → count map into a sorted list (sorted so that sums run in a fixed order).
pub fn sorted_counts(map: FxHashMap<Pattern, u64>) -> PatternCounts {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_unstable();
    v
}

/// What training needs: the comparisons and settings, the candidate pairs' pattern counts (each
/// counted for the pairs it stands for), u, and the size of the pair space.
pub struct TrainingInput<'a> {
    pub comparator: &'a Comparator,
    pub settings: &'a Settings,
    pub link_type: LinkType,
    pub features: &'a Features,
    /// Distinct patterns among candidate pairs with their counts, sorted by pattern.
    pub counts: &'a PatternCounts,
    pub u: &'a [Vec<f64>],
    pub total_pairs: u64,
    pub candidate_pairs: u64,
    pub u_pairs_sampled: u64,
}

/// How training went, beyond what the model file keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingReport {
    /// The prior EM started from.
    pub start_prior: f64,
    /// Iterations of the two-class fit.
    pub two_class_iterations: u32,
    /// The log-likelihood each start of the three-class fit reached (from the two-class fit,
    /// and from strict m), when the model has the related class.
    pub related_starts: Vec<f64>,
}

/// Trains the model without labels: the prior from the expected number of matches, EM with u
/// fixed over the pattern counts, two classes first and then, when the comparisons have names
/// and something else, a third class of namesakes and relatives from two starts, keeping the
/// likelier.
pub fn train(input: &TrainingInput) -> (Model, TrainingReport) {
    let TrainingInput {
        comparator,
        settings,
        link_type,
        features,
        counts,
        u,
        total_pairs: total,
        ..
    } = *input;
    let levels: Vec<usize> = comparator
        .comparisons
        .iter()
        .map(|c| c.labels.len())
        .collect();
    let expected_matches = match link_type {
        LinkType::Dedupe => features.len() as f64 / 4.0,
        _ => {
            let left = features.side.iter().filter(|s| **s == 0).count();
            let per_source = features.len() / features.source_names.len().max(1);
            match link_type {
                LinkType::Find => left.min(features.len() - left) as f64 / 2.0,
                _ => per_source as f64 / 2.0,
            }
        }
    };
    let prior0 = (expected_matches.max(1.0) / total.max(1) as f64).min(0.2);
    let m0 = initial_m(&levels);
    // Related non-matches (namesakes, relatives) agree on names like matches, and on
    // everything else like random pairs.
    // Sex goes with the names: people who share a given name mostly share a sex.
    let is_name = |c: &crate::compare::Compiled| {
        c.person_part.is_some()
            || matches!(
                settings.fields[c.field].kind,
                FieldKind::Name | FieldKind::Sex
            )
    };
    let names: Vec<bool> = comparator.comparisons.iter().map(is_name).collect();
    let with_related =
        settings.training.related_class && names.iter().any(|n| *n) && names.iter().any(|n| !*n);
    let em_options = EmOptions {
        max_iterations: settings.training.em_max_iterations,
        tolerance: settings.training.em_tolerance,
    };
    // Two classes first; then, from there, the related class (started from nothing it would
    // stay at nothing: EM moves a vanishing class's share only slowly).
    let mut fit = em(counts, total, u, &m0, None, prior0, em_options);
    let mut report = TrainingReport {
        start_prior: prior0,
        two_class_iterations: fit.iterations,
        related_starts: Vec::new(),
    };
    let last_ll = |f: &EmResult| {
        f.log_likelihood
            .last()
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    };
    if with_related {
        // Two starts: from the two-class fit, and from one where non-name comparisons rarely
        // disagree outright among matches (namesakes then go to the related class). EM finds
        // the nearest optimum; the likelier one is kept.
        let mut strict = fit.m.clone();
        for (c, levels) in strict.iter_mut().enumerate() {
            if !names[c] && levels.len() > 2 {
                let last = levels.len() - 1;
                levels[last] = levels[last].min(0.01);
                let total: f64 = levels[1..].iter().sum();
                levels[1..].iter_mut().for_each(|v| *v /= total);
            }
        }
        let starts = [fit.m.clone(), strict];
        let fits: Vec<EmResult> = starts
            .iter()
            .map(|m| {
                em(
                    counts,
                    total,
                    u,
                    m,
                    Some(names.as_slice()),
                    fit.prior,
                    em_options,
                )
            })
            .collect();
        report.related_starts = fits.iter().map(last_ll).collect();
        // The iterations reported are the kept fit's own, each run at most the settings'
        // maximum.
        fit = fits
            .into_iter()
            .max_by(|a, b| last_ll(a).total_cmp(&last_ll(b)))
            .expect("two starts");
    }
    let info = TrainingInfo {
        total_pairs: total,
        candidate_pairs: input.candidate_pairs,
        distinct_patterns: counts.len() as u64,
        u_pairs_sampled: input.u_pairs_sampled,
        em_iterations: fit.iterations,
        em_converged: fit.converged,
        log_likelihood: fit.log_likelihood.last().copied().unwrap_or(0.0),
        seed: settings.seed,
    };
    (assemble(comparator, link_type, u, &fit, info), report)
}

/// The patterns of a chunk of pairs: [`Comparator::patterns`], or a faster path giving the
/// same patterns.
pub type PatternsOf<'a> = dyn Fn(&[(u32, u32)], &mut Vec<Pattern>) + Sync + 'a;

/// Level counts per comparison (index = level) among sampled random pairs, and the number of
/// pairs sampled. All allowed pairs are enumerated when there are at most `max_pairs`.
/// `patterns` compares them.
pub fn sample_u_counts(
    f: &Features,
    comparator: &Comparator,
    max_pairs: u64,
    seed: u64,
    patterns_of: &PatternsOf,
) -> (Vec<Vec<u64>>, u64) {
    use rayon::prelude::*;
    let n = f.len();
    let total = crate::block::total_pairs(f);
    let empty = || {
        comparator
            .comparisons
            .iter()
            .map(|c| vec![0u64; c.labels.len()])
            .collect::<Vec<Vec<u64>>>()
    };
    let add = |mut acc: Vec<Vec<u64>>, chunk: &[(u32, u32)]| {
        let mut patterns = Vec::new();
        patterns_of(chunk, &mut patterns);
        for p in patterns {
            for (c, counts) in acc.iter_mut().enumerate() {
                counts[level_of(p, c) as usize] += 1;
            }
        }
        acc
    };
    let merge = |mut x: Vec<Vec<u64>>, y: Vec<Vec<u64>>| {
        for (cx, cy) in x.iter_mut().zip(y) {
            cx.iter_mut().zip(cy).for_each(|(p, q)| *p += q);
        }
        x
    };
    if total == 0 {
        return (empty(), 0);
    }
    let pairs: Vec<(usize, usize)> = if total <= max_pairs {
        (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|&(a, b)| f.allowed(a, b))
            .collect()
    } else {
        let mut rng = SplitMix64::new(seed);
        let queries: Vec<usize> = (0..n).filter(|&r| f.side[r] == 0).collect();
        let roster: Vec<usize> = (0..n).filter(|&r| f.side[r] == 1).collect();
        let mut out = Vec::with_capacity(max_pairs as usize);
        while (out.len() as u64) < max_pairs {
            let (a, b) = match f.link_type {
                LinkType::Find => (
                    queries[rng.below(queries.len() as u64) as usize],
                    roster[rng.below(roster.len() as u64) as usize],
                ),
                _ => (rng.below(n as u64) as usize, rng.below(n as u64) as usize),
            };
            if a != b && f.allowed(a, b) {
                out.push((a.min(b), a.max(b)));
            }
        }
        out
    };
    let sampled = pairs.len() as u64;
    let pairs: Vec<(u32, u32)> = pairs.iter().map(|&(a, b)| (a as u32, b as u32)).collect();
    let counts = pairs.par_chunks(4096).fold(empty, add).reduce(empty, merge);
    (counts, sampled)
}

/// u per comparison and level from sampled counts: the share of each non-null level among the
/// non-null levels, with a floor of half a pair for levels never seen.
pub fn u_from_counts(counts: &[Vec<u64>]) -> Vec<Vec<f64>> {
    counts
        .iter()
        .map(|levels| {
            let seen: u64 = levels[1..].iter().sum();
            let denom = seen as f64 + 0.5 * (levels.len() - 1) as f64;
            let mut u: Vec<f64> = levels
                .iter()
                .map(|&c| (c as f64 + 0.5) / denom.max(1.0))
                .collect();
            u[0] = 0.0;
            u
        })
        .collect()
}
