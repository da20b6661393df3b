//! Checking settings: every cross-reference and value at once, every problem with its key.

use super::*;
use crate::error::{Error, Result, SettingsProblem};

impl Settings {
    /// Checks every cross-reference and value at once and reports all the problems found.
    pub fn validate(&self, origin: &str) -> Result<()> {
        let mut problems = Vec::new();
        let mut problem =
            |key: String, message: String| problems.push(SettingsProblem { key, message });
        self.check_fields(&mut problem);
        self.check_comparisons(&mut problem);
        self.check_rest(&mut problem);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Settings {
                path: origin.to_string(),
                problems,
            })
        }
    }

    /// The version and the fields.
    fn check_fields(&self, problem: &mut impl FnMut(String, String)) {
        if self.version != SETTINGS_VERSION {
            problem(
                "version".into(),
                format!(
                    "settings version {} is not supported; this build reads version {SETTINGS_VERSION}",
                    self.version
                ),
            );
        }
        for (i, f) in self.fields.iter().enumerate() {
            if f.columns.is_empty() {
                problem(
                    format!("fields[{i}].columns"),
                    format!("field `{}` names no column", f.name),
                );
            }
            if self.fields[..i].iter().any(|g| g.name == f.name) {
                problem(
                    format!("fields[{i}].name"),
                    format!("field `{}` is defined twice", f.name),
                );
            }
        }
    }

    /// The comparisons, each against the fields it reads.
    fn check_comparisons(&self, problem: &mut impl FnMut(String, String)) {
        let field_names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        let unknown = |name: &str| {
            format!(
                "no field named `{name}`; fields are: {}",
                field_names.join(", ")
            )
        };
        if self.comparisons.is_empty() {
            problem(
                "comparisons".into(),
                "at least one comparison is needed".into(),
            );
        }
        if self.comparisons.len() > MAX_COMPARISONS {
            problem(
                "comparisons".into(),
                format!(
                    "at most {} comparisons are supported, found {}",
                    MAX_COMPARISONS,
                    self.comparisons.len()
                ),
            );
        }
        for (i, c) in self.comparisons.iter().enumerate() {
            let key = |k: &str| format!("comparisons[{i}].{k}");
            let twice = self.comparisons[..i].iter().any(|d| d.name == c.name);
            self.check_comparison((c, twice), &key, &unknown, problem);
        }
    }

    /// One comparison (`twice`: an earlier one has its name): its name, field, method, thresholds, part, levels and other fields.
    fn check_comparison(
        &self,
        (c, twice): (&Comparison, bool),
        key: &dyn Fn(&str) -> String,
        unknown: &dyn Fn(&str) -> String,
        problem: &mut impl FnMut(String, String),
    ) {
        if twice {
            problem(
                key("name"),
                format!("comparison `{}` is defined twice", c.name),
            );
        }
        match self.field(&c.field) {
            None => problem(key("field"), unknown(&c.field)),
            Some((_, f)) => {
                let fits = match c.method {
                    Method::Exact => true,
                    Method::JaroWinkler | Method::Levenshtein => {
                        !matches!(f.kind, FieldKind::Date | FieldKind::Age | FieldKind::Set)
                    }
                    Method::Date => matches!(f.kind, FieldKind::Date | FieldKind::Age),
                    Method::SetOverlap => f.kind == FieldKind::Set,
                    Method::PersonName | Method::NameOrder => {
                        f.kind == FieldKind::Name && PERSON_FIELDS.contains(&f.name.as_str())
                    }
                };
                if !fits {
                    problem(
                        key("method"),
                        format!(
                            "method {:?} does not apply to field `{}` of kind {:?}",
                            c.method, f.name, f.kind
                        ),
                    );
                }
            }
        }
        match c.method {
            Method::JaroWinkler
                if (c.thresholds.iter().any(|t| !(0.0..=1.0).contains(t))
                    || !is_sorted_by(&c.thresholds, |a, b| a > b)) =>
            {
                problem(
                    key("thresholds"),
                    "Jaro-Winkler thresholds are similarities in [0, 1], in descending order"
                        .into(),
                );
            }
            Method::Levenshtein
                if (c.thresholds.iter().any(|t| *t < 1.0 || t.fract() != 0.0)
                    || !is_sorted_by(&c.thresholds, |a, b| a < b)) =>
            {
                problem(
                    key("thresholds"),
                    "Levenshtein thresholds are whole distances ≥ 1, in ascending order".into(),
                );
            }
            Method::PersonName if c.part.is_none() => {
                problem(
                    key("part"),
                    "a person_name comparison needs part = \"given\", \"family\" or \"patronymic\""
                        .into(),
                );
            }
            _ => {}
        }
        if c.part.is_some() && c.method != Method::PersonName {
            problem(
                key("part"),
                "only a person_name comparison takes a part".into(),
            );
        }
        let levels = c.level_count();
        if levels > MAX_LEVELS {
            problem(
                key("thresholds"),
                format!(
                    "comparison `{}` would have {levels} levels; at most {} are supported",
                    c.name, MAX_LEVELS
                ),
            );
        }
        if let Some(other) = &c.swap_with
            && self.field(other).is_none()
        {
            problem(key("swap_with"), unknown(other));
        }
        if let Some(age) = &c.age_field {
            match self.field(age) {
                None => problem(key("age_field"), unknown(age)),
                Some((_, f)) if f.kind != FieldKind::Age => problem(
                    key("age_field"),
                    format!("field `{age}` is of kind {:?}, not age", f.kind),
                ),
                _ => {}
            }
        }
    }

    /// The blocking rules, thresholds, date and training.
    fn check_rest(&self, problem: &mut impl FnMut(String, String)) {
        if self.blocking.rules.is_empty() {
            problem(
                "blocking.rules".into(),
                "at least one blocking rule is needed".into(),
            );
        }
        for (i, rule) in self.blocking.rules.iter().enumerate() {
            if let Err(message) = parse_rule(rule, self) {
                problem(format!("blocking.rules[{i}]"), message);
            }
        }
        for (i, key) in self.blocking.tighten_with.iter().enumerate() {
            if let Err(message) = parse_rule(key, self) {
                problem(format!("blocking.tighten_with[{i}]"), message);
            }
        }
        let t = &self.thresholds;
        for (k, v) in [
            ("thresholds.match_probability", t.match_probability),
            ("thresholds.review_probability", t.review_probability),
            ("thresholds.pairs_min_probability", t.pairs_min_probability),
        ] {
            if !(0.0..=1.0).contains(&v) {
                problem(k.into(), format!("{v} is not a probability in [0, 1]"));
            }
        }
        if t.review_probability > t.match_probability {
            problem(
                "thresholds.review_probability".into(),
                "the review band must lie below the match threshold".into(),
            );
        }
        if let Some(as_of) = &self.as_of
            && crate::date::parse_iso_date(as_of).is_none()
        {
            problem(
                "as_of".into(),
                format!("`{as_of}` is not a date in the form YYYY-MM-DD"),
            );
        }
        if self.training.u_sample_pairs == 0 {
            problem(
                "training.u_sample_pairs".into(),
                "must be at least 1".into(),
            );
        }
    }
}

fn is_sorted_by(v: &[f64], ok: impl Fn(&f64, &f64) -> bool) -> bool {
    v.windows(2).all(|w| ok(&w[0], &w[1]))
}
