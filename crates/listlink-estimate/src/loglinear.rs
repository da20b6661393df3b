//! Log-linear (Poisson) models of a capture table, their fit, the check that the fit exists,
//! profile-likelihood intervals and model search.
//!
//! References followed:
//! - Fienberg (1972), Bishop, Fienberg & Holland (1975, ch. 6): the unobserved cell of a 2^k
//!   table is extrapolated from a log-linear model fitted to the 2^k − 1 observed cells, zero
//!   cells included; `N = n + exp(β₀)`.
//! - Chan, Silverman & Vincent (2021, JASA 116:1297): a term whose sufficient statistic (people
//!   on all of its lists) is zero has its parameter at −∞ in the extended MLE; its cells are
//!   fitted as zero and left out of the fit; any other failure of existence (Fienberg–Rinaldo)
//!   means the model is set aside. Their stepwise search adds the two-list term with the
//!   smallest two-sided Poisson p-value below a threshold.
//! - Silverman, Chan & Vincent (2024, Stat. Comput. 34:44): BIC with log(number observed) as
//!   the sample size and every parameter of the hierarchy counted (those at −∞ too); the
//!   downhill search from the main-effects model.
//! - Cormack (1992) for the profile-likelihood interval, here on the Poisson likelihood in the
//!   intercept (the log of the unobserved cell).
//! - Buckland, Burnham & Augustin (1997) for the model-averaged estimate and its variance.
//!
//! Existence is checked numerically, not by a linear program: Newton's method (IRLS) on a
//! problem whose MLE exists converges quadratically; where it does not exist, some zero cells'
//! fitted values fall by a constant factor every step and the coefficients never settle, or the
//! information matrix turns singular. Both are caught and the model is set aside with the
//! reason.

use crate::linalg::{cholesky, inverse_00, solve};
use crate::stats::{CHI2_1_95, Z975, ln_gamma, poisson_cdf};
use crate::table::CaptureTable;
use serde::Serialize;

/// A hierarchical log-linear model: all main effects, and these interaction terms (each a bit
/// mask of two or more lists; every sub-term of two or more lists is also present).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Model {
    interactions: Vec<usize>,
}

impl Model {
    /// Main effects only (independent lists).
    pub fn independence() -> Self {
        Model {
            interactions: Vec::new(),
        }
    }

    /// The model with these interactions and every sub-term they need to be hierarchical.
    pub fn hierarchical(terms: &[usize]) -> Self {
        let mut all: Vec<usize> = Vec::new();
        for &t in terms {
            // every sub-mask of t with two or more bits
            let mut s = t;
            while s > 0 {
                if s.count_ones() >= 2 && !all.contains(&s) {
                    all.push(s);
                }
                s = (s - 1) & t;
            }
        }
        all.sort_unstable_by_key(|&t| (t.count_ones(), t));
        Model { interactions: all }
    }

    pub fn interactions(&self) -> &[usize] {
        &self.interactions
    }

    /// Highest order of its terms (1 for independence).
    pub fn order(&self) -> u32 {
        self.interactions
            .iter()
            .map(|t| t.count_ones())
            .max()
            .unwrap_or(1)
    }

    /// Parameters: the intercept, the main effects and the interactions.
    pub fn parameters(&self, k: usize) -> usize {
        1 + k + self.interactions.len()
    }

    /// The terms by name: main effects then interactions as `A:B`.
    pub fn term_names(&self, lists: &[String]) -> Vec<String> {
        let mut names: Vec<String> = lists.to_vec();
        names.extend(self.interactions.iter().map(|&t| term_name(t, lists)));
        names
    }

    /// A short label: `independence` or the interactions joined by `+`.
    pub fn label(&self, lists: &[String]) -> String {
        if self.interactions.is_empty() {
            "independence".into()
        } else {
            self.maximal_terms()
                .iter()
                .map(|&t| term_name(t, lists))
                .collect::<Vec<_>>()
                .join(" + ")
        }
    }

    /// Interactions not contained in another: the model's generators.
    fn maximal_terms(&self) -> Vec<usize> {
        self.interactions
            .iter()
            .copied()
            .filter(|&t| !self.interactions.iter().any(|&u| u != t && u & t == t))
            .collect()
    }

    fn with(&self, term: usize) -> Model {
        let mut m = self.clone();
        m.interactions.push(term);
        m.interactions
            .sort_unstable_by_key(|&t| (t.count_ones(), t));
        m
    }

    fn without(&self, term: usize) -> Model {
        Model {
            interactions: self
                .interactions
                .iter()
                .copied()
                .filter(|&t| t != term)
                .collect(),
        }
    }

    /// Models one term away that stay hierarchical: add a term of order ≤ `max_order` whose
    /// every one-smaller sub-term of two or more lists is present; drop a term nothing
    /// contains.
    pub fn neighbours(&self, k: usize, max_order: u32) -> Vec<Model> {
        let mut out = Vec::new();
        for t in 1..(1usize << k) {
            let bits = t.count_ones();
            if bits < 2 || bits > max_order || self.interactions.contains(&t) {
                continue;
            }
            let parents_present = (0..k)
                .filter(|i| t >> i & 1 == 1)
                .map(|i| t & !(1 << i))
                .all(|s| s.count_ones() < 2 || self.interactions.contains(&s));
            if parents_present {
                out.push(self.with(t));
            }
        }
        for &t in &self.interactions {
            if !self.interactions.iter().any(|&u| u != t && u & t == t) {
                out.push(self.without(t));
            }
        }
        out
    }
}

/// A term's name: its lists joined by `:`.
pub fn term_name(term: usize, lists: &[String]) -> String {
    (0..lists.len())
        .filter(|i| term >> i & 1 == 1)
        .map(|i| lists[i].as_str())
        .collect::<Vec<_>>()
        .join(":")
}

/// A model's fit: the estimate, or why the model was set aside.
#[derive(Debug, Clone)]
pub struct Fit {
    pub model: Model,
    pub outcome: Outcome,
}

/// What fitting a model gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    Fitted(Fitted),
    /// The MLE does not exist or the model cannot be identified: never quoted.
    SetAside {
        reason: String,
    },
}

/// A model whose MLE exists.
#[derive(Debug, Clone, Serialize)]
pub struct Fitted {
    /// Estimated total, observed plus unobserved.
    pub estimate: f64,
    /// Estimated people on no list, `exp(β₀)`.
    pub unobserved: f64,
    pub log_likelihood: f64,
    pub bic: f64,
    pub aic: f64,
    pub parameters: usize,
    /// Terms held at −∞ because nobody is on all their lists.
    pub at_minus_infinity: Vec<usize>,
    /// Asymptotic variance of β₀ (inverse Fisher information).
    pub var_intercept: f64,
    /// Deviance against the saturated fit (of the cells fitted).
    pub deviance: f64,
    /// Fitted values by pattern (0 for cells at −∞; index 0 unused).
    #[serde(skip)]
    pub fitted: Vec<f64>,
}

impl Fit {
    pub fn fitted(&self) -> Option<&Fitted> {
        match &self.outcome {
            Outcome::Fitted(f) => Some(f),
            Outcome::SetAside { .. } => None,
        }
    }
}

/// The information criterion models are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// k log(n) − 2 log L with n the number of people observed.
    Bic,
    /// 2k − 2 log L.
    Aic,
}

impl Criterion {
    pub fn of(self, f: &Fitted) -> f64 {
        match self {
            Criterion::Bic => f.bic,
            Criterion::Aic => f.aic,
        }
    }
}

/// The cells and columns of one fit.
struct Design {
    /// Patterns fitted (those not under a term at −∞).
    cells: Vec<usize>,
    y: Vec<f64>,
    /// Column masks: 0 for the intercept, else the term.
    columns: Vec<usize>,
}

impl Design {
    fn x(&self, cell: usize, col: usize) -> f64 {
        let t = self.columns[col];
        if cell & t == t { 1.0 } else { 0.0 }
    }
}

struct Irls {
    beta: Vec<f64>,
    mu: Vec<f64>,
    /// Cholesky factor of the information at the solution.
    chol: Vec<f64>,
}

const MAX_ITER: usize = 60;

/// Poisson IRLS (Newton) with `offset` added to every linear predictor. `Err` says why the
/// fit failed to settle.
fn irls(d: &Design, offset: f64, start: Option<&[f64]>) -> Result<Irls, String> {
    let n = d.cells.len();
    let p = d.columns.len();
    if n < p {
        return Err(format!("{p} parameters for {n} cells: not identifiable"));
    }
    let xs: Vec<f64> = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| d.x(d.cells[i], j))
        .collect();
    let mut mu: Vec<f64> = match start {
        Some(b) => (0..n)
            .map(|i| (offset + (0..p).map(|j| xs[i * p + j] * b[j]).sum::<f64>()).exp())
            .collect(),
        None => d.y.iter().map(|&y| y + 0.1).collect(),
    };
    let mut eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let mut beta = vec![0.0; p];
    let mut a = vec![0.0; p * p];
    let mut b = vec![0.0; p];
    let mut settled_steps = 0;
    for iter in 0..MAX_ITER {
        a.iter_mut().for_each(|v| *v = 0.0);
        b.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            let w = mu[i];
            let z = eta[i] - offset + (d.y[i] - mu[i]) / mu[i];
            let row = &xs[i * p..(i + 1) * p];
            for j in 0..p {
                if row[j] == 0.0 {
                    continue;
                }
                b[j] += w * z;
                for l in 0..=j {
                    a[j * p + l] += w * row[l];
                }
            }
        }
        for j in 0..p {
            for l in 0..j {
                a[l * p + j] = a[j * p + l];
            }
        }
        let Some(chol) = cholesky(&a, p) else {
            let low = (0..n)
                .filter(|&i| d.y[i] == 0.0 && mu[i] < 1e-6)
                .map(|i| d.cells[i])
                .collect::<Vec<_>>();
            return Err(if iter > 0 && !low.is_empty() {
                format!(
                    "the MLE does not exist: fitted values of {} zero cell(s) run to 0",
                    low.len()
                )
            } else {
                "singular information matrix: not identifiable".into()
            });
        };
        let mut new = b.clone();
        solve(&chol, p, &mut new);
        let step = new
            .iter()
            .zip(&beta)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f64, f64::max);
        beta = new;
        for i in 0..n {
            eta[i] = offset + (0..p).map(|j| xs[i * p + j] * beta[j]).sum::<f64>();
            mu[i] = eta[i].exp();
        }
        if eta.iter().any(|e| !e.is_finite() || *e > 700.0) {
            return Err("the fit overflows: a parameter runs off to infinity".into());
        }
        if iter > 0 && step < 1e-9 * (1.0 + beta.iter().map(|b| b.abs()).fold(0.0, f64::max)) {
            settled_steps += 1;
            if settled_steps >= 1 {
                // the information at the final beta
                return Ok(Irls { beta, mu, chol });
            }
        }
    }
    let low = (0..n).filter(|&i| d.y[i] == 0.0 && mu[i] < 1e-6).count();
    Err(if low > 0 {
        format!(
            "the MLE does not exist: fitted values of {low} zero cell(s) run to 0 (a parameter runs off to −∞)"
        )
    } else {
        format!("no convergence in {MAX_ITER} Newton steps")
    })
}

fn design(table: &CaptureTable, model: &Model) -> (Design, Vec<usize>) {
    let k = table.k();
    let terms: Vec<usize> = (0..k)
        .map(|i| 1usize << i)
        .chain(model.interactions.iter().copied())
        .collect();
    let at_minus_infinity: Vec<usize> = terms
        .iter()
        .copied()
        .filter(|&t| table.cells_containing(t) == 0)
        .collect();
    let cells: Vec<usize> = (1..(1usize << k))
        .filter(|&c| at_minus_infinity.iter().all(|&t| c & t != t))
        .collect();
    let y = cells.iter().map(|&c| table.counts()[c] as f64).collect();
    let columns = std::iter::once(0)
        .chain(
            terms
                .iter()
                .copied()
                .filter(|t| !at_minus_infinity.contains(t)),
        )
        .collect();
    (Design { cells, y, columns }, at_minus_infinity)
}

fn log_likelihood(y: &[f64], mu: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            if y > 0.0 {
                y * m.ln() - m - ln_gamma(y + 1.0)
            } else {
                -m
            }
        })
        .sum()
}

/// Fits one model to the table.
pub fn fit(table: &CaptureTable, model: &Model) -> Fit {
    let k = table.k();
    let (d, at_minus_infinity) = design(table, model);
    let outcome = match irls(&d, 0.0, None) {
        Err(reason) => Outcome::SetAside { reason },
        Ok(r) => {
            let ll = log_likelihood(&d.y, &r.mu);
            let npar = model.parameters(k);
            let n_obs = table.observed() as f64;
            let deviance = 2.0
                * d.y
                    .iter()
                    .zip(&r.mu)
                    .map(|(&y, &m)| {
                        if y > 0.0 {
                            y * (y / m).ln() - (y - m)
                        } else {
                            m
                        }
                    })
                    .sum::<f64>();
            let mut fitted = vec![0.0; 1 << k];
            for (i, &c) in d.cells.iter().enumerate() {
                fitted[c] = r.mu[i];
            }
            let unobserved = r.beta[0].exp();
            fitted[0] = unobserved;
            Outcome::Fitted(Fitted {
                estimate: n_obs + unobserved,
                unobserved,
                log_likelihood: ll,
                bic: npar as f64 * n_obs.ln() - 2.0 * ll,
                aic: 2.0 * npar as f64 - 2.0 * ll,
                parameters: npar,
                at_minus_infinity,
                var_intercept: inverse_00(&r.chol, d.columns.len()),
                deviance,
                fitted,
            })
        }
    };
    Fit {
        model: model.clone(),
        outcome,
    }
}

/// A 95 % interval for the total, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub lower: f64,
    /// `None`: the likelihood stays within the cut however large the total (unbounded).
    pub upper: Option<f64>,
}

/// Profile-likelihood 95 % interval for the total (Cormack 1992; as Rcapture computes it,
/// Baillargeon & Rivest 2007): for a candidate unobserved count `z`, the model is refitted to
/// the complete table with `z` in the unobserved cell, and the multinomial log-likelihood of
/// the 2^k cells with total `N = n + z` is
/// `ℓ(z) = ℓ_Poisson(complete table) + ln N! − N ln N + N`;
/// the interval holds the `z` with `2(max ℓ − ℓ(z)) ≤ χ²₁(0.95)`. Unlike a profile of the
/// intercept alone, it counts the people on no list as random too, so it covers `N` and not
/// only their expected number.
pub fn profile_interval(table: &CaptureTable, model: &Model, fitted: &Fitted) -> Interval {
    let (d, _) = design(table, model);
    let n_obs = table.observed() as f64;
    let mut complete = Design {
        cells: std::iter::once(0).chain(d.cells.iter().copied()).collect(),
        y: std::iter::once(0.0).chain(d.y.iter().copied()).collect(),
        columns: d.columns.clone(),
    };
    let mut ll = |log_z: f64| -> Option<f64> {
        let z = log_z.exp();
        complete.y[0] = z;
        let r = irls(&complete, 0.0, None).ok()?;
        let total = n_obs + z;
        Some(
            log_likelihood(&complete.y, &r.mu) + ln_gamma(total + 1.0) - total * total.ln() + total,
        )
    };
    let start = fitted.unobserved.max(1e-3).ln();
    // The multinomial maximum sits close to the Poisson one: golden-section search near it.
    let (mut a, mut b) = (start - 1.5, start + 1.5);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let mut best = (start, ll(start).unwrap_or(f64::NEG_INFINITY));
    for _ in 0..40 {
        let c = b - g * (b - a);
        let e = a + g * (b - a);
        let (fc, fe) = (
            ll(c).unwrap_or(f64::NEG_INFINITY),
            ll(e).unwrap_or(f64::NEG_INFINITY),
        );
        for (x, f) in [(c, fc), (e, fe)] {
            if f > best.1 {
                best = (x, f);
            }
        }
        if fc >= fe {
            b = e;
        } else {
            a = c;
        }
        if b - a < 1e-6 {
            break;
        }
    }
    let (centre, ll_max) = best;
    if !ll_max.is_finite() {
        return wald_log_interval(table, fitted);
    }
    let mut inside_cut = |log_z: f64| ll(log_z).is_some_and(|v| 2.0 * (ll_max - v) < CHI2_1_95);
    let se = fitted.var_intercept.sqrt().clamp(1e-2, 5.0);
    let mut bound = |dir: f64| -> Option<f64> {
        // walk out until the deviance passes the cut, then bisect
        let mut inside = centre;
        let mut step = se;
        let mut outside = None;
        for _ in 0..60 {
            let c = inside + dir * step;
            if (c - centre).abs() > 40.0 {
                break;
            }
            if inside_cut(c) {
                inside = c;
                step *= 1.6;
            } else {
                outside = Some(c);
                break;
            }
        }
        let mut out = outside?;
        while (out - inside).abs() > 1e-6 {
            let mid = 0.5 * (inside + out);
            if inside_cut(mid) {
                inside = mid;
            } else {
                out = mid;
            }
        }
        Some(0.5 * (inside + out))
    };
    let lower = bound(-1.0).map(|c| n_obs + c.exp()).unwrap_or(n_obs);
    let upper = bound(1.0).map(|c| n_obs + c.exp());
    Interval { lower, upper }
}

/// Wald interval on the log of the unobserved cell: `n + exp(β₀ ± 1.96 se)`.
pub fn wald_log_interval(table: &CaptureTable, fitted: &Fitted) -> Interval {
    let se = fitted.var_intercept.sqrt();
    let n = table.observed() as f64;
    Interval {
        lower: n + fitted.unobserved * (-Z975 * se).exp(),
        upper: Some(n + fitted.unobserved * (Z975 * se).exp()),
    }
}

/// How to look through the models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Search {
    /// Every hierarchical model up to `max_order` (only when the space is small; see
    /// [`exhaustive_models`]).
    Exhaustive,
    /// From the main-effects model, move to the best neighbour while the criterion falls
    /// (Silverman, Chan & Vincent 2024, `downhill_fit`).
    Downhill,
    /// From the main-effects model, add the two-list term with the smallest two-sided Poisson
    /// p-value while it is below `p_threshold` and its fit exists (Chan, Silverman & Vincent
    /// 2021).
    Stepwise { p_threshold: f64 },
}

/// Every hierarchical model of two-list terms (all subsets of the k(k−1)/2 pairs), or `None`
/// when there are more than `limit` of them or `max_order` is above 2.
pub fn exhaustive_models(k: usize, max_order: u32, limit: usize) -> Option<Vec<Model>> {
    let pairs: Vec<usize> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (1 << i) | (1 << j)))
        .collect();
    if max_order < 2 {
        return Some(vec![Model::independence()]);
    }
    if max_order > 2 || pairs.len() >= usize::BITS as usize || (1usize << pairs.len()) > limit {
        return None;
    }
    Some(
        (0..(1usize << pairs.len()))
            .map(|s| {
                let mut terms: Vec<usize> = pairs
                    .iter()
                    .enumerate()
                    .filter(|(b, _)| s >> b & 1 == 1)
                    .map(|(_, &t)| t)
                    .collect();
                // the one order every constructor keeps, so equal models compare equal
                terms.sort_unstable();
                Model {
                    interactions: terms,
                }
            })
            .collect(),
    )
}

/// The largest model space searched exhaustively (six lists, two-way terms: 2^15).
pub const EXHAUSTIVE_LIMIT: usize = 1 << 15;

/// The models a search fitted, and the one it chose (None: every model was set aside).
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub fits: Vec<Fit>,
    pub selected: Option<usize>,
    pub search: Search,
}

/// Searches the models of `table` and selects one.
pub fn search(
    table: &CaptureTable,
    search: Search,
    criterion: Criterion,
    max_order: u32,
) -> SearchResult {
    match search {
        Search::Exhaustive => {
            let models = exhaustive_models(table.k(), max_order, EXHAUSTIVE_LIMIT)
                .expect("exhaustive search over a model space that is too large");
            let fits: Vec<Fit> = models.iter().map(|m| fit(table, m)).collect();
            let selected = best(&fits, criterion);
            SearchResult {
                fits,
                selected,
                search,
            }
        }
        Search::Downhill => downhill(table, criterion, max_order),
        Search::Stepwise { p_threshold } => stepwise(table, p_threshold),
    }
}

/// Index of the fit with the smallest criterion (ties: the earlier).
pub fn best(fits: &[Fit], criterion: Criterion) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, f) in fits.iter().enumerate() {
        if let Some(x) = f.fitted() {
            let c = criterion.of(x);
            if best.is_none_or(|(_, b)| c < b) {
                best = Some((i, c));
            }
        }
    }
    best.map(|(i, _)| i)
}

fn downhill(table: &CaptureTable, criterion: Criterion, max_order: u32) -> SearchResult {
    let k = table.k();
    let mut fits = vec![fit(table, &Model::independence())];
    let mut seen: std::collections::HashSet<Model> =
        std::iter::once(Model::independence()).collect();
    let Some(start) = fits[0].fitted() else {
        return SearchResult {
            fits,
            selected: None,
            search: Search::Downhill,
        };
    };
    let mut current = 0;
    let mut current_value = criterion.of(start);
    loop {
        let neighbours: Vec<Model> = fits[current]
            .model
            .neighbours(k, max_order)
            .into_iter()
            .filter(|m| seen.insert(m.clone()))
            .collect();
        if neighbours.is_empty() {
            break;
        }
        let first_new = fits.len();
        fits.extend(neighbours.iter().map(|m| fit(table, m)));
        let Some(b) = best(&fits[first_new..], criterion) else {
            break;
        };
        let value = criterion.of(fits[first_new + b].fitted().expect("best is fitted"));
        if value >= current_value {
            break;
        }
        current = first_new + b;
        current_value = value;
    }
    SearchResult {
        fits,
        selected: Some(current),
        search: Search::Downhill,
    }
}

fn stepwise(table: &CaptureTable, p_threshold: f64) -> SearchResult {
    let k = table.k();
    let pairs: Vec<usize> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (1 << i) | (1 << j)))
        .collect();
    let mut fits = vec![fit(table, &Model::independence())];
    let mut current = 0;
    while let Some(now) = fits[current].fitted().cloned() {
        let model = fits[current].model.clone();
        let mut best_p = (1.0f64, None::<usize>);
        for &t in pairs.iter().filter(|t| !model.interactions.contains(t)) {
            let expected: f64 = (1..(1usize << k))
                .filter(|c| c & t == t)
                .map(|c| now.fitted[c])
                .sum();
            let observed = table.cells_containing(t);
            let lower = poisson_cdf(observed, expected);
            let upper = if observed == 0 {
                1.0
            } else {
                1.0 - poisson_cdf(observed - 1, expected)
            };
            let p = lower.min(upper);
            if p < best_p.0 {
                let candidate = fit(table, &model.with(t));
                let exists = candidate.fitted().is_some();
                fits.push(candidate);
                if exists {
                    best_p = (p, Some(fits.len() - 1));
                }
            }
        }
        match best_p {
            (p, Some(i)) if p < p_threshold => current = i,
            _ => break,
        }
    }
    SearchResult {
        fits,
        selected: Some(current),
        search: Search::Stepwise { p_threshold },
    }
}

/// A bootstrap interval that carries model-selection uncertainty.
#[derive(Debug, Clone, Serialize)]
pub struct Bootstrap {
    pub ci95: Interval,
    pub replicates: usize,
    /// Replicates in which every model was set aside (left out of the quantiles).
    pub failed: usize,
}

/// Percentile bootstrap with the model search redone in every replicate, after Silverman,
/// Chan & Vincent (2024): the `n` observed people are resampled multinomially over the observed
/// cells, `search` selects a model on each resample, and the 2.5 % and 97.5 % points of the
/// selected estimates form the interval. (The paper corrects the percentiles by BCa; this is
/// the plain percentile interval.) Seeded: the same seed gives the same interval.
pub fn bootstrap(
    table: &CaptureTable,
    search_kind: Search,
    criterion: Criterion,
    max_order: u32,
    replicates: usize,
    seed: u64,
) -> Option<Bootstrap> {
    use rand::SeedableRng;
    use rand_distr::{Binomial, Distribution};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = table.observed();
    if n == 0 || replicates == 0 {
        return None;
    }
    let cells = table.counts().len();
    let mut estimates = Vec::with_capacity(replicates);
    let mut failed = 0;
    for _ in 0..replicates {
        let mut resampled = CaptureTable::new(table.lists().to_vec()).expect("same lists");
        let mut left = n;
        let mut mass = n as f64;
        for c in 1..cells {
            let w = table.counts()[c] as f64;
            if left == 0 || w == 0.0 {
                continue;
            }
            let x = if w >= mass {
                left
            } else {
                Binomial::new(left, w / mass)
                    .expect("valid binomial")
                    .sample(&mut rng)
            };
            if x > 0 {
                resampled.add(c, x);
            }
            left -= x;
            mass -= w;
        }
        let r = search(&resampled, search_kind, criterion, max_order);
        match r.selected.and_then(|i| r.fits[i].fitted()) {
            Some(f) => estimates.push(f.estimate),
            None => failed += 1,
        }
    }
    if estimates.is_empty() {
        return None;
    }
    estimates.sort_by(f64::total_cmp);
    Some(Bootstrap {
        ci95: Interval {
            lower: crate::stats::quantile_sorted(&estimates, 0.025),
            upper: Some(crate::stats::quantile_sorted(&estimates, 0.975)),
        },
        replicates,
        failed,
    })
}

/// The model-averaged estimate over the models within `max_delta` of the best by `criterion`,
/// weights `exp(−Δ/2)`; variance by Buckland, Burnham & Augustin (1997):
/// `se = Σ wᵢ √(varᵢ + (N̂ᵢ − N̄)²)`, with `varᵢ` the delta-method variance of `exp(β₀)`.
#[derive(Debug, Clone, Serialize)]
pub struct Averaged {
    pub estimate: f64,
    pub ci95: Interval,
    pub models: usize,
}

pub fn average(
    table: &CaptureTable,
    fits: &[Fit],
    criterion: Criterion,
    max_delta: f64,
) -> Option<Averaged> {
    let b = best(fits, criterion)?;
    let c0 = criterion.of(fits[b].fitted()?);
    let members: Vec<(&Fitted, f64)> = fits
        .iter()
        .filter_map(|f| f.fitted())
        .filter(|f| criterion.of(f) - c0 <= max_delta)
        .map(|f| (f, (-(criterion.of(f) - c0) / 2.0).exp()))
        .collect();
    let total: f64 = members.iter().map(|(_, w)| w).sum();
    let estimate = members.iter().map(|(f, w)| w * f.estimate).sum::<f64>() / total;
    let se = members
        .iter()
        .map(|(f, w)| {
            let var = f.unobserved.powi(2) * f.var_intercept;
            w * (var + (f.estimate - estimate).powi(2)).sqrt()
        })
        .sum::<f64>()
        / total;
    let n = table.observed() as f64;
    Some(Averaged {
        estimate,
        ci95: Interval {
            lower: (estimate - Z975 * se).max(n),
            upper: Some(estimate + Z975 * se),
        },
        models: members.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(lists: &[&str], pats: &[(&str, u64)]) -> CaptureTable {
        CaptureTable::from_pattern_strings(
            lists.iter().map(|s| s.to_string()).collect(),
            pats.iter().copied(),
        )
        .unwrap()
    }

    #[test]
    fn independence_on_two_lists_is_lincoln_petersen() {
        // n1 = 400, n2 = 400, m = 40: N = n1 n2 / m = 4000 exactly
        let t = table(&["a", "b"], &[("10", 360), ("01", 360), ("11", 40)]);
        let f = fit(&t, &Model::independence());
        let x = f.fitted().unwrap();
        assert!((x.estimate - 4000.0).abs() < 1e-6, "{}", x.estimate);
    }

    #[test]
    fn hierarchical_closure_adds_sub_terms() {
        let m = Model::hierarchical(&[0b111]);
        assert_eq!(m.interactions(), &[0b011, 0b101, 0b110, 0b111]);
        assert_eq!(m.order(), 3);
    }

    #[test]
    fn a_pair_nobody_shares_is_held_at_minus_infinity_and_still_estimates() {
        // lists a and b share nobody: the a:b term is at −∞, the cells 11x are left out.
        let t = table(
            &["a", "b", "c"],
            &[
                ("100", 30),
                ("010", 25),
                ("001", 40),
                ("101", 10),
                ("011", 8),
            ],
        );
        let f = fit(&t, &Model::hierarchical(&[0b011]));
        let x = f.fitted().expect("the extended MLE exists");
        assert_eq!(x.at_minus_infinity, vec![0b011]);
        assert!(x.estimate > t.observed() as f64);
    }

    #[test]
    fn a_model_whose_mle_does_not_exist_is_set_aside() {
        // All two-way terms on three lists: 7 parameters for 7 cells, a saturated fit. The
        // empty cell 100 can then only be fitted by a parameter at −∞, though nobody-shares
        // rules do not apply (list a has people): the MLE does not exist.
        let t = table(
            &["a", "b", "c"],
            &[
                ("010", 5),
                ("001", 6),
                ("110", 4),
                ("101", 3),
                ("011", 2),
                ("111", 1),
            ],
        );
        let f = fit(&t, &Model::hierarchical(&[0b011, 0b101, 0b110]));
        assert!(
            matches!(f.outcome, Outcome::SetAside { .. }),
            "{:?}",
            f.outcome
        );
    }

    #[test]
    fn a_model_is_the_same_however_it_was_built() {
        let all = exhaustive_models(3, 2, EXHAUSTIVE_LIMIT).unwrap();
        assert_eq!(all.len(), 8);
        assert!(all.contains(&Model::hierarchical(&[0b110, 0b011])));
        let grown = Model::independence().with(0b110).with(0b011);
        assert!(all.contains(&grown));
    }

    #[test]
    fn neighbours_keep_hierarchy() {
        let m = Model::hierarchical(&[0b011, 0b101]);
        let ns = m.neighbours(3, 3);
        // add 110 (pair), add nothing of order 3 until all three pairs; remove 011, 101
        assert!(ns.contains(&Model::hierarchical(&[0b011, 0b101, 0b110])));
        assert!(ns.contains(&Model::hierarchical(&[0b011])));
        assert!(!ns.iter().any(|n| n.interactions().contains(&0b111)));
    }

    #[test]
    fn profile_interval_brackets_the_estimate() {
        let t = table(&["a", "b"], &[("10", 360), ("01", 360), ("11", 40)]);
        let f = fit(&t, &Model::independence());
        let x = f.fitted().unwrap();
        let ci = profile_interval(&t, &f.model, x);
        assert!(
            ci.lower < x.estimate && x.estimate < ci.upper.unwrap(),
            "{ci:?}"
        );
    }
}
