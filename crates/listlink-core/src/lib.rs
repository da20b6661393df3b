//! listlink-core: probabilistic record linkage of person lists in the Fellegi–Sunter tradition.
//!
//! The stages, each a module with a small surface, wired together only by [`pipeline`]:
//! `ingest` → `prepare` → `block` → `compare` (with `screen` ruling pairs out first) → `model`
//! → `score` → `cluster` → `export`, with `evaluate` scoring the result against known truth.
//! The crate does no printing and never exits the process: it returns typed results and errors,
//! and the CLI decides how to show them.
//!
//! Public are the modules a caller drives (reading lists, settings, the model, a run, its
//! outputs, evaluation, value counts for a roster) and, at the root, the few types of the
//! stages a caller names: a store keeps its own blocking index ([`Blocker`]), weighs looked-up
//! pairs ([`Comparator`], [`Features`]), and reads dates ([`Date`]). Everything else is the
//! crate's own. Benchmarks reach the kernels through the `bench` feature ([`bench`]).

// Test helpers shared with the integration tests name the crate as they do.
#[cfg(test)]
extern crate self as listlink_core;

mod block;
mod cluster;
mod compare;
mod date;
mod delimited;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod frequency;
pub mod ingest;
pub mod model;
pub mod pipeline;
mod prepare;
mod rng;
mod score;
mod screen;
pub mod settings;
mod table;

pub use block::{Blocker, total_pairs};
pub use compare::{Comparator, Pattern};
pub use date::{Date, parse_iso_date};
pub use error::{Error, Reject, Result, Severity};
pub use model::Model;
pub use pipeline::{Input, Run, RunOptions, run};
pub use prepare::{Features, LinkType, field_warnings};
pub use rng::SplitMix64;
pub use score::{ScoredPair, probability, weight_of};
pub use settings::Settings;
pub use table::{RecordTable, RowId, StrColumn, describe_headers};

/// The kernels and stages the benchmarks time one by one, for `cargo bench` only: not part of
/// the crate's interface, and free to change with the code they measure.
#[cfg(feature = "bench")]
pub mod bench {
    pub use crate::block::CollectPairs;
    pub use crate::prepare::prepare;
    pub use crate::screen::{Columns, Screen};
}
