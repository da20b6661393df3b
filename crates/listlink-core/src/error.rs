//! Errors that stop a run, and rejects: rows or fields that could not be used, reported as data.

use std::fmt;
use std::path::PathBuf;

/// What stopped a run. Every variant says where: the file, and the line, field or key when known.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cause is part of the message and not a `source`, so that a report of the error
    /// chain does not print it twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}{}: {message}", at_line(*.line))]
    Input {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },
    #[error("{}", settings_message(.path, .problems))]
    Settings {
        path: String,
        problems: Vec<SettingsProblem>,
    },
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error(
        "blocking rule `{rule}` would produce {pairs} candidate pairs, more than the limit of {limit} (blocking.max_pairs_per_rule): make the rule stricter or raise the limit"
    )]
    TooManyPairs {
        rule: String,
        pairs: u64,
        limit: u64,
    },
    #[error("{0}")]
    Usage(String),
}

fn at_line(line: Option<u64>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn settings_message(path: &str, problems: &[SettingsProblem]) -> String {
    let mut s = format!("settings {path}: {} problem(s)", problems.len());
    for p in problems {
        s.push_str(&format!("\n  {}: {}", p.key, p.message));
    }
    s
}

/// One problem with a settings file: the key it is at (`comparisons[2].field`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsProblem {
    pub key: String,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a reject dropped the row or only a field of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The row was not accepted.
    Error,
    /// The row was accepted, with the named field left empty.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A row (or a field of a row) that could not be used, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    /// The column, when the problem is in one field.
    pub field: Option<String>,
    pub severity: Severity,
    pub reason: String,
    /// The raw text of the row (or the field), as read.
    pub raw: String,
}
