//! Runs the methods asked for on one table or several strata and lays out what they found:
//! `estimate.json`, a plain summary and an SVG chart of the estimates with their intervals.

use crate::error::{Error, Result};
use crate::lcmcr::{self, LcmcrConfig, Posterior};
use crate::linkage::{self, Band, Combined, LinkedRecords};
use crate::loglinear::{self, Criterion, Fit, Interval, Model, Outcome, Search};
use crate::stats::Z975;
use crate::table::CaptureTable;
use crate::twolist;
use serde::Serialize;
use serde_json::{Value, json};

/// Which estimator to report as selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Chapman,
    Loglinear,
    Lcmcr,
    /// Every method the table allows; the selected one is log-linear (Chapman with two lists).
    All,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Chapman => "chapman",
            Method::Loglinear => "loglinear",
            Method::Lcmcr => "lcmcr",
            Method::All => "all",
        }
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub method: Method,
    pub criterion: Criterion,
    pub max_order: u32,
    pub lcmcr: LcmcrConfig,
    /// Models within this criterion distance of the best enter the average.
    pub average_within: f64,
    /// Models given a profile-likelihood interval (the best by the criterion; the others get a
    /// Wald interval on the log scale, which is much cheaper).
    pub profile_top: usize,
    /// Clusterings drawn for linkage uncertainty.
    pub linkage_draws: usize,
    pub band: Band,
    /// Bootstrap replicates for the log-linear interval with model selection redone (0: none).
    pub bootstrap: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            method: Method::Loglinear,
            criterion: Criterion::Bic,
            max_order: 2,
            lcmcr: LcmcrConfig::default(),
            average_within: 10.0,
            profile_top: 20,
            linkage_draws: 20,
            band: Band::default(),
            bootstrap: 0,
        }
    }
}

/// One method's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub method: String,
    /// Model terms (main effects, then interactions as `A:B`); empty for Chapman.
    pub model: Vec<String>,
    pub estimate: f64,
    /// `[lower, upper]`; upper `null` when unbounded.
    pub ci95: [Option<f64>; 2],
    /// How the interval was found.
    pub interval: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

fn ci(i: Interval) -> [Option<f64>; 2] {
    [Some(i.lower), i.upper]
}

/// One table's estimates.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub lists: Vec<String>,
    pub observed: u64,
    pub selected: Answer,
    /// Every method run (the selected among them).
    pub methods: Vec<Answer>,
    /// Every log-linear model fitted.
    pub models: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkage: Option<LinkageReport>,
    pub warnings: Vec<String>,
}

/// The interval with linkage uncertainty beside the one without.
#[derive(Debug, Clone, Serialize)]
pub struct LinkageReport {
    pub draws: usize,
    pub band: Band,
    pub uncertain_pairs: usize,
    /// Estimated on the clustering at the match threshold.
    pub ignoring_linkage: Answer,
    /// Combined over the draws.
    pub with_linkage: Answer,
}

/// The whole output: `estimate.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub method: Method,
    pub criterion: Criterion,
    pub max_order: u32,
    pub seed: u64,
    #[serde(flatten)]
    pub body: Body,
}

/// One table's report, or strata with their total as `selected`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Body {
    Table(Box<TableReport>),
    Strata {
        observed: u64,
        /// The sum over the strata.
        selected: Answer,
        strata: Vec<StratumReport>,
        warnings: Vec<String>,
    },
}

impl Report {
    /// The selected answer for all people (the sum of the strata under `--by`).
    pub fn selected(&self) -> &Answer {
        match &self.body {
            Body::Table(t) => &t.selected,
            Body::Strata { selected, .. } => selected,
        }
    }

    /// People seen on at least one list (in all strata).
    pub fn observed(&self) -> u64 {
        match &self.body {
            Body::Table(t) => t.observed,
            Body::Strata { observed, .. } => *observed,
        }
    }

    /// `estimate.json`: pretty-printed, except that each fitted model takes one line (an
    /// exhaustive search writes tens of thousands of them).
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("report serialises");
        let mut blocks: Vec<String> = Vec::new();
        fn take_models(v: &mut Value, blocks: &mut Vec<String>) {
            match v {
                Value::Object(map) => {
                    for (key, child) in map.iter_mut() {
                        if key == "models" && child.is_array() {
                            let lines: Vec<String> = child
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|m| serde_json::to_string(m).expect("serialises"))
                                .collect();
                            *child = Value::String(format!("\u{0}models{}", blocks.len()));
                            blocks.push(if lines.is_empty() {
                                "[]".into()
                            } else {
                                format!("[\n{}\n]", lines.join(",\n"))
                            });
                        } else {
                            take_models(child, blocks);
                        }
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(|i| take_models(i, blocks)),
                _ => {}
            }
        }
        take_models(&mut value, &mut blocks);
        let mut text = serde_json::to_string_pretty(&value).expect("serialises");
        for (i, block) in blocks.iter().enumerate() {
            text = text.replacen(&format!("\"\\u0000models{i}\""), block, 1);
        }
        text.push('\n');
        text
    }

    pub fn warnings(&self) -> &[String] {
        match &self.body {
            Body::Table(t) => &t.warnings,
            Body::Strata { warnings, .. } => warnings,
        }
    }

    fn tables(&self) -> Vec<(String, &TableReport)> {
        match &self.body {
            Body::Table(t) => vec![(String::new(), t)],
            Body::Strata { strata, .. } => strata
                .iter()
                .map(|s| (s.stratum.clone(), &s.report))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StratumReport {
    pub stratum: String,
    #[serde(flatten)]
    pub report: TableReport,
}

/// Warnings about the table's assumptions.
pub fn warnings(table: &CaptureTable) -> Vec<String> {
    let mut w = Vec::new();
    let k = table.k();
    if k == 2 {
        w.push("two lists only: the estimate assumes that being on one list does not change the chance of being on the other, and two lists cannot check it".into());
    }
    for i in 0..k {
        let on = table.on_list(i);
        if on > 0 && table.counts()[1 << i] == on && table.observed() > on {
            w.push(format!(
                "list {} overlaps no other list: its people tell nothing about the other lists' coverage",
                table.lists()[i]
            ));
        }
        if on == 0 {
            w.push(format!("list {} is empty", table.lists()[i]));
        }
    }
    let disjoint: Vec<String> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .filter(|&(i, j)| table.cells_containing(1 << i | 1 << j) == 0)
        .map(|(i, j)| format!("{} and {}", table.lists()[i], table.lists()[j]))
        .collect();
    if !disjoint.is_empty() {
        w.push(format!(
            "lists that share nobody: {} (in log-linear models their interaction sits at −∞); if they cannot hold the same people by design (one roster split by source, say), they are not separate captures of one population",
            disjoint.join(", ")
        ));
    }
    let cells = (1usize << k) - 1;
    let zeros = table.counts()[1..].iter().filter(|&&c| c == 0).count();
    if table.observed() < 50 || (k > 2 && zeros * 2 > cells) {
        w.push(format!(
            "sparse table: {} people observed, {zeros} of {cells} capture patterns empty; estimates lean heavily on the model",
            table.observed()
        ));
    }
    w
}

fn model_entry(table: &CaptureTable, fit: &Fit, interval: Option<(Interval, &str)>) -> Value {
    let lists = table.lists();
    match &fit.outcome {
        Outcome::SetAside { reason } => json!({
            "terms": fit.model.term_names(lists),
            "label": fit.model.label(lists),
            "set_aside": reason,
        }),
        Outcome::Fitted(f) => {
            let (ci95, how) =
                interval.unwrap_or_else(|| (loglinear::wald_log_interval(table, f), "wald-log"));
            json!({
                "terms": fit.model.term_names(lists),
                "label": fit.model.label(lists),
                "estimate": f.estimate,
                "ci95": ci(ci95),
                "interval": how,
                "bic": f.bic,
                "aic": f.aic,
                "parameters": f.parameters,
                "at_minus_infinity": f.at_minus_infinity.iter().map(|&t| loglinear::term_name(t, lists)).collect::<Vec<_>>(),
            })
        }
    }
}

/// The search the config implies: exhaustive when the model space is small, else downhill.
pub fn search_for(table: &CaptureTable, config: &Config) -> Search {
    if loglinear::exhaustive_models(table.k(), config.max_order, loglinear::EXHAUSTIVE_LIMIT)
        .is_some()
    {
        Search::Exhaustive
    } else {
        Search::Downhill
    }
}

fn loglinear_answers(
    table: &CaptureTable,
    config: &Config,
) -> Result<(Answer, Option<Answer>, Vec<Value>, Model)> {
    let search = search_for(table, config);
    let result = loglinear::search(table, search, config.criterion, config.max_order);
    // Stepwise may fit a model twice; keep the first of each.
    let mut seen = std::collections::HashSet::new();
    let fits: Vec<&Fit> = result
        .fits
        .iter()
        .filter(|f| seen.insert(f.model.clone()))
        .collect();
    let sel_index = result.selected.ok_or_else(|| {
        Error::NotEstimable(
            "every log-linear model was set aside (no MLE exists): the table cannot support a log-linear estimate".into(),
        )
    })?;
    let selected_fit = &result.fits[sel_index];
    let sel = selected_fit.fitted().expect("selected is fitted");
    // Rank by criterion; profile the best few.
    let mut order: Vec<usize> = (0..fits.len())
        .filter(|&i| fits[i].fitted().is_some())
        .collect();
    order.sort_by(|&a, &b| {
        config
            .criterion
            .of(fits[a].fitted().unwrap())
            .total_cmp(&config.criterion.of(fits[b].fitted().unwrap()))
    });
    let mut intervals: Vec<Option<Interval>> = vec![None; fits.len()];
    for &i in order.iter().take(config.profile_top) {
        let f = fits[i].fitted().unwrap();
        intervals[i] = Some(loglinear::profile_interval(table, &fits[i].model, f));
    }
    let mut models: Vec<Value> = Vec::new();
    let mut push = |i: usize| {
        models.push(model_entry(
            table,
            fits[i],
            intervals[i].map(|c| (c, "profile likelihood")),
        ))
    };
    for &i in &order {
        push(i);
    }
    for i in (0..fits.len()).filter(|&i| fits[i].fitted().is_none()) {
        push(i);
    }
    let sel_ci = loglinear::profile_interval(table, &selected_fit.model, sel);
    let search_name = match search {
        Search::Exhaustive => "exhaustive",
        Search::Downhill => "downhill",
        Search::Stepwise { .. } => "stepwise",
    };
    let selected = Answer {
        method: "loglinear".into(),
        model: selected_fit.model.term_names(table.lists()),
        estimate: sel.estimate,
        ci95: ci(sel_ci),
        interval: "profile likelihood".into(),
        details: json!({
            "search": search_name,
            "criterion": config.criterion,
            "models_fitted": fits.len(),
            "models_set_aside": fits.iter().filter(|f| f.fitted().is_none()).count(),
            "bic": sel.bic,
            "aic": sel.aic,
        }),
    };
    let mut selected = selected;
    if config.bootstrap > 0 {
        // Replicates search as the original did when that is cheap, else downhill.
        let replicate_search = match search {
            Search::Exhaustive if fits.len() > 1 << 10 => Search::Downhill,
            s => s,
        };
        if let Some(b) = loglinear::bootstrap(
            table,
            replicate_search,
            config.criterion,
            config.max_order,
            config.bootstrap,
            config.lcmcr.seed,
        ) {
            selected.details["bootstrap"] = json!({
                "ci95": ci(b.ci95),
                "replicates": b.replicates,
                "failed": b.failed,
                "search": match replicate_search {
                    Search::Exhaustive => "exhaustive",
                    Search::Downhill => "downhill",
                    Search::Stepwise { .. } => "stepwise",
                },
                "interval": "percentile bootstrap, model selected again in each replicate (Silverman, Chan & Vincent 2024)",
            });
        }
    }
    let owned: Vec<Fit> = fits.iter().map(|f| (*f).clone()).collect();
    let averaged =
        loglinear::average(table, &owned, config.criterion, config.average_within).map(|a| {
            Answer {
                method: "loglinear-averaged".into(),
                model: Vec::new(),
                estimate: a.estimate,
                ci95: ci(a.ci95),
                interval: "Buckland et al. (1997) model-averaged normal".into(),
                details: json!({ "models": a.models, "within": config.average_within }),
            }
        });
    Ok((selected, averaged, models, selected_fit.model.clone()))
}

fn lcmcr_answer(p: &Posterior, config: &LcmcrConfig) -> Answer {
    Answer {
        method: "lcmcr".into(),
        model: vec![format!("latent classes ≤ {}", config.classes)],
        estimate: p.median,
        ci95: ci(p.ci95),
        interval: "posterior 2.5 % and 97.5 % quantiles".into(),
        details: json!({
            "posterior_mean": p.mean,
            "effective_sample_size": p.effective_sample_size,
            "draws_kept": p.draws_kept,
            "iterations": config.iterations,
            "burn_in": config.burn_in,
            "thin": config.thin,
            "seed": config.seed,
            "trace": p.trace,
        }),
    }
}

fn chapman_answer(table: &CaptureTable) -> Result<Answer> {
    let c = twolist::chapman(table)?;
    Ok(Answer {
        method: "chapman".into(),
        model: Vec::new(),
        estimate: c.estimate,
        ci95: ci(c.ci95),
        interval: "log-normal (Chao 1987)".into(),
        details: json!({ "variance": c.variance }),
    })
}

/// Estimates one table with the configured method(s).
pub fn estimate_table(table: &CaptureTable, config: &Config) -> Result<TableReport> {
    let mut warnings = warnings(table);
    let mut methods = Vec::new();
    let mut models = Vec::new();
    let want = |m: Method| config.method == m || config.method == Method::All;
    let mut selected: Option<Answer> = None;
    if want(Method::Chapman) {
        if table.k() == 2 {
            let a = chapman_answer(table)?;
            if let Ok(lp) = twolist::lincoln_petersen(table) {
                methods.push(Answer {
                    method: "lincoln-petersen".into(),
                    model: Vec::new(),
                    estimate: lp.estimate,
                    ci95: ci(lp.ci95),
                    interval: "log-normal (Chao 1987)".into(),
                    details: json!({ "variance": lp.variance }),
                });
            }
            if config.method == Method::Chapman || config.method == Method::All {
                selected = Some(a.clone());
            }
            methods.push(a);
        } else if config.method == Method::Chapman {
            return Err(Error::NotEstimable(format!(
                "chapman needs exactly two lists; this table has {} (use --method loglinear or lcmcr)",
                table.k()
            )));
        }
    }
    if want(Method::Loglinear) {
        match loglinear_answers(table, config) {
            Ok((sel, avg, ms, _)) => {
                models = ms;
                if sel.ci95[1].is_none() {
                    warnings.push("the selected log-linear model's interval has no upper bound: the data cannot rule out very large totals".into());
                }
                if config.method == Method::Loglinear
                    || (config.method == Method::All && table.k() > 2)
                {
                    selected = Some(sel.clone());
                }
                methods.push(sel);
                methods.extend(avg);
            }
            Err(e) if config.method == Method::All => warnings.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    let ratio = selected.as_ref().map_or(0.0, |a| a.estimate) / table.observed().max(1) as f64;
    if ratio > 10.0 {
        warnings.push(format!(
            "the estimate is {ratio:.0} times the number observed: it rests on few overlaps; check that the lists are separate captures of the same population"
        ));
    }
    if want(Method::Lcmcr) {
        let p = match lcmcr::lcmcr(table, &config.lcmcr) {
            Ok(p) => p,
            Err(e) if config.method == Method::All => {
                warnings.push(e.to_string());
                return finish(table, selected, methods, models, warnings);
            }
            Err(e) => return Err(e),
        };
        if p.effective_sample_size < 100.0 {
            warnings.push(format!(
                "LCMCR effective sample size is only {:.0}: run more iterations",
                p.effective_sample_size
            ));
        }
        if table.k() == 2 {
            warnings.push("LCMCR on two lists: the latent classes cannot be told apart; the posterior leans on the prior".into());
        }
        let a = lcmcr_answer(&p, &config.lcmcr);
        if config.method == Method::Lcmcr {
            selected = Some(a.clone());
        }
        methods.push(a);
    }
    finish(table, selected, methods, models, warnings)
}

fn finish(
    table: &CaptureTable,
    selected: Option<Answer>,
    methods: Vec<Answer>,
    models: Vec<Value>,
    warnings: Vec<String>,
) -> Result<TableReport> {
    let selected = selected
        .or_else(|| methods.first().cloned())
        .ok_or_else(|| Error::NotEstimable("no method could estimate this table".into()))?;
    Ok(TableReport {
        lists: table.lists().to_vec(),
        observed: table.observed(),
        selected,
        methods,
        models,
        linkage: None,
        warnings,
    })
}

/// The selected method's estimate and interval on one table from linkage draws; for the
/// log-linear method the model selected on the point table is refitted on each draw.
fn estimate_draw(
    table: &CaptureTable,
    config: &Config,
    model: Option<&Model>,
) -> Option<(f64, Interval)> {
    match config.method {
        Method::Chapman => twolist::chapman(table).ok().map(|c| (c.estimate, c.ci95)),
        Method::Lcmcr => None,
        Method::Loglinear | Method::All => {
            let model = model?;
            let f = loglinear::fit(table, model);
            let x = f.fitted()?;
            Some((x.estimate, loglinear::profile_interval(table, model, x)))
        }
    }
}

/// Estimates from linked records: `point` (the run's own clustering, or
/// [`LinkedRecords::table_at`] the match threshold) gives the report; the draws give the
/// interval with linkage uncertainty beside it.
pub fn estimate_linked(
    point: &CaptureTable,
    records: &LinkedRecords,
    config: &Config,
) -> Result<TableReport> {
    let mut report = estimate_table(point, config)?;
    let uncertain = records.uncertain_pairs(config.band);
    let draws = records.draw_tables(
        config.band,
        config.linkage_draws,
        config.lcmcr.seed ^ 0x5eed,
    );
    let ignoring = report.selected.clone();
    let with = if ignoring.method == "lcmcr" {
        let mut pooled = Vec::new();
        for (i, t) in draws.iter().enumerate() {
            let c = LcmcrConfig {
                seed: config.lcmcr.seed.wrapping_add(i as u64 + 1),
                ..config.lcmcr
            };
            pooled.extend(lcmcr::lcmcr(t, &c)?.draws);
        }
        let p = lcmcr::summarise(pooled, f64::NAN, Vec::new());
        Answer {
            method: "lcmcr".into(),
            model: ignoring.model.clone(),
            estimate: p.median,
            ci95: ci(p.ci95),
            interval: "quantiles of the posterior draws pooled over the linkage draws".into(),
            details: json!({ "draws_pooled": p.draws_kept }),
        }
    } else {
        let model = if ignoring.method == "loglinear" {
            Some(model_from_terms(point, &ignoring.model))
        } else {
            None
        };
        let cfg = Config {
            method: if ignoring.method == "chapman" {
                Method::Chapman
            } else {
                Method::Loglinear
            },
            ..config.clone()
        };
        let per: Vec<(f64, Interval)> = draws
            .iter()
            .filter_map(|t| estimate_draw(t, &cfg, model.as_ref()))
            .collect();
        let c: Combined = linkage::combine(&per)
            .ok_or_else(|| Error::NotEstimable("no linkage draw gave a bounded interval".into()))?;
        Answer {
            method: ignoring.method.clone(),
            model: ignoring.model.clone(),
            estimate: c.estimate,
            ci95: ci(c.ci95),
            interval: "Rubin's rules on ln N over the linkage draws".into(),
            details: json!({
                "draws_used": c.draws_used,
                "within_variance_log": c.within,
                "between_variance_log": c.between,
            }),
        }
    };
    if uncertain == 0 {
        report
            .warnings
            .push("no pair lies in the review band: the linkage is taken as certain".into());
    }
    report.linkage = Some(LinkageReport {
        draws: config.linkage_draws,
        band: config.band,
        uncertain_pairs: uncertain,
        ignoring_linkage: ignoring,
        with_linkage: with,
    });
    Ok(report)
}

fn model_from_terms(table: &CaptureTable, terms: &[String]) -> Model {
    let lists = table.lists();
    let masks: Vec<usize> = terms
        .iter()
        .filter(|t| t.contains(':'))
        .map(|t| {
            t.split(':')
                .map(|name| {
                    1usize
                        << lists
                            .iter()
                            .position(|l| l == name)
                            .expect("term of these lists")
                })
                .fold(0, |a, b| a | b)
        })
        .collect();
    Model::hierarchical(&masks)
}

/// Builds the report for one table (`strata` of length 1 with an empty name) or for strata,
/// whose total is the sum of their estimates with the variances (from each interval's width)
/// summed.
pub fn report(strata: Vec<(String, TableReport)>, config: &Config) -> Report {
    let observed: u64 = strata.iter().map(|(_, t)| t.observed).sum();
    let header = |body| Report {
        version: 1,
        method: config.method,
        criterion: config.criterion,
        max_order: config.max_order,
        seed: config.lcmcr.seed,
        body,
    };
    if strata.len() == 1 && strata[0].0.is_empty() {
        let (_, t) = strata.into_iter().next().unwrap();
        return header(Body::Table(Box::new(t)));
    }
    let estimate: f64 = strata.iter().map(|(_, t)| t.selected.estimate).sum();
    let mut unbounded = false;
    let var: f64 = strata
        .iter()
        .map(|(_, t)| match t.selected.ci95 {
            [Some(l), Some(u)] => ((u - l) / (2.0 * Z975)).powi(2),
            _ => {
                unbounded = true;
                0.0
            }
        })
        .sum();
    let selected = Answer {
        method: strata[0].1.selected.method.clone(),
        model: Vec::new(),
        estimate,
        ci95: [
            Some((estimate - Z975 * var.sqrt()).max(observed as f64)),
            (!unbounded).then(|| estimate + Z975 * var.sqrt()),
        ],
        interval: "sum of the strata; variances from each interval's width, summed".into(),
        details: Value::Null,
    };
    let mut warnings = Vec::new();
    for (s, t) in &strata {
        warnings.extend(t.warnings.iter().map(|w| format!("{s}: {w}")));
    }
    header(Body::Strata {
        observed,
        selected,
        warnings,
        strata: strata
            .into_iter()
            .map(|(stratum, report)| StratumReport { stratum, report })
            .collect(),
    })
}

fn fmt_ci(ci: &[Option<f64>; 2]) -> String {
    let f = |x: Option<f64>| {
        x.map(|v| format!("{:.0}", v))
            .unwrap_or_else(|| "unbounded".into())
    };
    format!("{} to {}", f(ci[0]), f(ci[1]))
}

impl Report {
    /// The plain summary the command prints.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let sel = self.selected();
        s.push_str(&format!(
            "{} people observed; estimated total {:.0} (95 % interval {}), by {}\n",
            self.observed(),
            sel.estimate,
            fmt_ci(&sel.ci95),
            sel.method
        ));
        for (name, t) in self.tables() {
            let prefix = if name.is_empty() {
                name
            } else {
                format!("[{name}] ")
            };
            if !prefix.is_empty() {
                s.push_str(&format!(
                    "{prefix}{} observed; {:.0} ({})\n",
                    t.observed,
                    t.selected.estimate,
                    fmt_ci(&t.selected.ci95)
                ));
            }
            for m in &t.methods {
                let model = if m.method == "loglinear" {
                    let inter: Vec<&str> = m
                        .model
                        .iter()
                        .filter(|x| x.contains(':'))
                        .map(String::as_str)
                        .collect();
                    if inter.is_empty() {
                        " [independence]".to_string()
                    } else {
                        format!(" [{}]", inter.join(" + "))
                    }
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "  {prefix}{:<20} {:>10.0}   {}{}\n",
                    m.method,
                    m.estimate,
                    fmt_ci(&m.ci95),
                    model
                ));
                if let Some(b) = m.details.get("bootstrap") {
                    let l = b["ci95"][0].as_f64();
                    let u = b["ci95"][1].as_f64();
                    s.push_str(&format!(
                        "  {prefix}{:<20} {:>10}   {} (bootstrap, {} replicates, model selected in each)\n",
                        "", "", fmt_ci(&[l, u]), b["replicates"]
                    ));
                }
            }
            if let Some(l) = &t.linkage {
                s.push_str(&format!(
                    "  {prefix}linkage: {} pairs in the review band, {} draws\n    ignoring linkage uncertainty {:.0} ({})\n    with linkage uncertainty     {:.0} ({})\n",
                    l.uncertain_pairs,
                    l.draws,
                    l.ignoring_linkage.estimate,
                    fmt_ci(&l.ignoring_linkage.ci95),
                    l.with_linkage.estimate,
                    fmt_ci(&l.with_linkage.ci95)
                ));
            }
        }
        for w in self.warnings() {
            s.push_str(&format!("warning: {w}\n"));
        }
        s
    }

    /// The rows the chart shows: (label, estimate, interval).
    fn chart_rows(&self) -> Vec<(String, f64, [Option<f64>; 2])> {
        let mut rows = Vec::new();
        let mut add = |prefix: &str, t: &TableReport| {
            for m in &t.methods {
                rows.push((format!("{prefix}{}", m.method), m.estimate, m.ci95));
            }
            if let Some(l) = &t.linkage {
                rows.push((
                    format!("{prefix}{} with linkage", l.with_linkage.method),
                    l.with_linkage.estimate,
                    l.with_linkage.ci95,
                ));
            }
        };
        let tables = self.tables();
        for (name, t) in &tables {
            add(
                &if name.is_empty() {
                    String::new()
                } else {
                    format!("{name}: ")
                },
                t,
            );
        }
        if let Body::Strata { selected, .. } = &self.body {
            rows.push(("total".into(), selected.estimate, selected.ci95));
        }
        rows
    }

    /// Estimates with their intervals by method, as a small self-contained SVG.
    pub fn svg(&self) -> String {
        let rows = self.chart_rows();
        let (w, left, right, row_h, top) = (720.0, 230.0, 30.0, 28.0, 40.0);
        let h = top + row_h * rows.len() as f64 + 40.0;
        let lo = rows
            .iter()
            .map(|r| r.2[0].unwrap_or(r.1))
            .fold(self.observed() as f64, f64::min);
        let hi = rows
            .iter()
            .map(|r| r.2[1].unwrap_or(r.1 * 2.0).max(r.1))
            .fold(lo + 1.0, f64::max);
        let x = |v: f64| left + (v - lo) / (hi - lo) * (w - left - right);
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<text x=\"10\" y=\"20\" font-size=\"14\">Estimated total with 95 % intervals ({} observed, dashed)</text>\n",
            self.observed()
        );
        let ox = x(self.observed() as f64);
        s.push_str(&format!(
            "<line x1=\"{ox:.1}\" y1=\"{top}\" x2=\"{ox:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
            h - 30.0
        ));
        for (i, (label, est, ci)) in rows.iter().enumerate() {
            let y = top + row_h * (i as f64 + 0.5);
            let l = x(ci[0].unwrap_or(*est));
            let u = ci[1].map(&x).unwrap_or(w - right);
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n<line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{u:.1}\" y2=\"{y:.1}\" stroke=\"#246\" stroke-width=\"2\"{}/>\n<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#c33\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{:.0}</text>\n",
                left - 10.0,
                y + 4.0,
                esc(label),
                if ci[1].is_none() { " stroke-dasharray=\"2 2\"" } else { "" },
                x(*est),
                x(*est) + 6.0,
                y - 6.0,
                est
            ));
        }
        for v in [lo, (lo + hi) / 2.0, hi] {
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{:.0}</text>\n",
                x(v),
                h - 12.0,
                v
            ));
        }
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> CaptureTable {
        CaptureTable::from_pattern_strings(
            vec!["a".into(), "b".into(), "c".into()],
            [
                ("100", 120),
                ("010", 90),
                ("001", 70),
                ("110", 30),
                ("101", 25),
                ("011", 20),
                ("111", 6),
            ],
        )
        .unwrap()
    }

    #[test]
    fn all_methods_report_and_render() {
        let config = Config {
            method: Method::All,
            lcmcr: LcmcrConfig {
                iterations: 800,
                burn_in: 200,
                ..LcmcrConfig::default()
            },
            ..Config::default()
        };
        let t = estimate_table(&three(), &config).unwrap();
        assert_eq!(t.selected.method, "loglinear");
        assert!(t.methods.iter().any(|m| m.method == "lcmcr"));
        assert_eq!(t.models.len(), 8);
        let r = report(vec![(String::new(), t)], &config);
        let json: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["selected"]["method"], "loglinear");
        assert_eq!(json["observed"], 361);
        assert!(json["models"].as_array().unwrap().len() == 8);
        assert!(r.summary().contains("people observed"));
        assert!(r.svg().starts_with("<svg"));
    }

    #[test]
    fn strata_sum_to_the_total() {
        let config = Config::default();
        let a = estimate_table(&three(), &config).unwrap();
        let b = estimate_table(&three(), &config).unwrap();
        let e = a.selected.estimate;
        let r = report(vec![("x".into(), a), ("y".into(), b)], &config);
        assert!((r.selected().estimate - 2.0 * e).abs() < 1e-9);
        let json: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["strata"].as_array().unwrap().len(), 2);
        assert_eq!(json["strata"][1]["models"].as_array().unwrap().len(), 8);
        assert_eq!(json["strata"][0]["stratum"], "x");
    }

    #[test]
    fn two_lists_warn() {
        let t = CaptureTable::from_pattern_strings(
            vec!["a".into(), "b".into()],
            [("10", 5), ("01", 7), ("11", 3)],
        )
        .unwrap();
        let w = warnings(&t);
        assert!(w.iter().any(|w| w.starts_with("two lists only")));
        assert!(w.iter().any(|w| w.starts_with("sparse table")));
    }
}
