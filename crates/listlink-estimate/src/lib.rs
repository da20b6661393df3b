//! How many people in total, including those on no list: multiple systems estimation from
//! capture patterns (how many people were seen on each combination of lists).
//!
//! Capture patterns in, estimates out: [`CaptureTable`] holds the counts; [`twolist`] has
//! Lincoln–Petersen and Chapman, [`loglinear`] the Poisson log-linear models and their search,
//! [`lcmcr`] the Bayesian latent-class model, [`linkage`] the draws of clusterings that carry
//! linkage uncertainty into the interval, and [`report`] runs the methods asked for and writes
//! `estimate.json`, the summary and the chart. No linkage logic lives here.

pub mod error;
pub mod lcmcr;
mod linalg;
pub mod linkage;
pub mod loglinear;
pub mod report;
pub mod stats;
pub mod table;
pub mod twolist;

pub use error::{Error, Place, Result};
pub use table::CaptureTable;
