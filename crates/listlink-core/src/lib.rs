//! listlink-core: probabilistic record linkage of person lists in the Fellegi–Sunter tradition.
//!
//! The stages, each a module with a small surface, wired together only by [`pipeline`]:
//! `ingest` → `prepare` → `block` → `compare` → `model` → `score` → `cluster` → `export`, with
//! `evaluate` scoring the result against known truth. The crate does no printing and never exits
//! the process: it returns typed results and errors, and the CLI decides how to show them.

pub mod block;
pub mod cluster;
pub mod compare;
mod delimited;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod frequency;
pub mod ingest;
pub mod model;
pub mod pipeline;
pub mod prepare;
pub mod rng;
pub mod score;
pub mod settings;
pub mod table;

pub use error::{Error, Reject, Result, Severity};
pub use model::Model;
pub use pipeline::{Input, Run, RunOptions, run};
pub use prepare::LinkType;
pub use settings::Settings;
pub use table::{RecordTable, RowId};
