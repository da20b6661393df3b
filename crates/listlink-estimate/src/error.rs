//! Errors with their place: the file, line and field a bad value came from.

use thiserror::Error;

/// Where a bad input value sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file (or other source) the value came from.
    pub file: String,
    /// 1-based line, the header being line 1.
    pub line: u64,
    /// The column's name.
    pub field: String,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, line {}, field `{}`",
            self.file, self.line, self.field
        )
    }
}

/// What went wrong while reading capture data or estimating.
#[derive(Debug, Error)]
pub enum Error {
    /// A value in an input table that cannot be used.
    #[error("{place}: {reason}")]
    BadValue { place: Place, reason: String },
    /// A table-wide problem (a missing column, too few lists).
    #[error("{file}: {reason}")]
    BadTable { file: String, reason: String },
    /// The data cannot support the estimate asked for.
    #[error("{0}")]
    NotEstimable(String),
}

pub type Result<T> = std::result::Result<T, Error>;
