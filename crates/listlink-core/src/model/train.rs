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
    // The name order is a consequence of the names' alignment, not evidence independent of
    // it: fitted with the others, it lets EM settle on a class of pairs that agree on one part
    // in either order. It is left out of the fit (its level read as null) and estimated after,
    // from the fitted classes' posteriors.
    let held_out: Vec<bool> = comparator
        .comparisons
        .iter()
        .map(|c| matches!(c.kind, crate::compare::Kind::NameOrder))
        .collect();
    let fit_counts = without(counts, &held_out);
    let counts = &fit_counts;
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
    estimate_held_out(
        input.counts,
        u,
        with_related.then_some(names.as_slice()),
        &held_out,
        &mut fit,
    );
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

/// The pattern counts with the held-out comparisons' levels read as null (merged, sorted).
pub(super) fn without(counts: &PatternCounts, held_out: &[bool]) -> PatternCounts {
    let mask = held_out
        .iter()
        .enumerate()
        .filter(|(_, h)| **h)
        .fold(0 as Pattern, |m, (c, _)| m | (0xF << (4 * c)));
    if mask == 0 {
        return counts.clone();
    }
    let mut merged: FxHashMap<Pattern, u64> = FxHashMap::default();
    for &(p, n) in counts {
        *merged.entry(p & !mask).or_default() += n;
    }
    sorted_counts(merged)
}

/// m of each held-out comparison from the fit of the others: each pattern's expected matches
/// (and related pairs, for a name comparison, as EM pools them) under the fit, summed by the
/// held-out comparison's level.
pub(super) fn estimate_held_out(
    counts: &PatternCounts,
    u: &[Vec<f64>],
    names: Option<&[bool]>,
    held_out: &[bool],
    fit: &mut EmResult,
) {
    let k = u.len();
    let (prior_r, r) = match &fit.related {
        Some((r, p)) => (*p, Some(r.clone())),
        None => (0.0, None),
    };
    let prior_u = 1.0 - fit.prior - prior_r;
    for c in (0..k).filter(|&c| held_out[c]) {
        let mut acc = vec![0.0f64; fit.m[c].len()];
        for &(p, n) in counts {
            let l = level_of(p, c) as usize;
            if l == 0 {
                continue;
            }
            let (mut pm, mut pr, mut pu) = (1.0f64, 1.0f64, 1.0f64);
            for o in (0..k).filter(|&o| !held_out[o]) {
                let lo = level_of(p, o) as usize;
                if lo != 0 {
                    pm *= fit.m[o][lo].max(MIN_PROBABILITY);
                    pu *= u[o][lo].max(MIN_PROBABILITY);
                    pr *= r.as_ref().map_or(1.0, |r| r[o][lo].max(MIN_PROBABILITY));
                }
            }
            let (jm, jr) = (fit.prior * pm, prior_r * pr);
            let joint = jm + jr + prior_u * pu;
            let pooled = names.is_some_and(|n| n[c]);
            acc[l] += n as f64 * (jm + if pooled { jr } else { 0.0 }) / joint;
        }
        let total: f64 = acc[1..].iter().sum();
        if total > 0.0 {
            for (m, a) in fit.m[c].iter_mut().zip(&acc).skip(1) {
                *m = a / total;
            }
        }
        if let Some((r, _)) = &mut fit.related
            && names.is_some_and(|n| n[c])
        {
            r[c] = fit.m[c].clone();
        }
    }
}
