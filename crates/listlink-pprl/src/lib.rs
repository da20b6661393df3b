//! Linking lists without sharing names: records encoded as keyed Bloom filters (CLKs) that are
//! byte-identical to clkhash 0.18's for the same linkage schema and secret, and the encodings
//! matched by Dice similarity.
//!
//! - [`schema`]: the linkage schema (clkhash's v3 JSON), every problem named by its path.
//! - [`encode`]: a CSV list into CLKs ([`values`] validates, formats and tokenises a value;
//!   [`hashing`] derives the keys and sets the bits).
//! - [`clk`]: encodings in memory and in clkhash's JSON form.
//! - [`matching`]: Dice similarity, candidate pairs, anonlink's greedy one-to-one assignment.
//! - [`linkage`]: the two together: compare, calibrate, decide, assign one-to-one.
//! - [`calibrate`]: Dice scores into match probabilities (EM over score bins).
//! - [`Secret`]: the shared secret, never shown.
//!
//! The schema's `listlink` key per feature is this crate's own extension (names read into Latin
//! across scripts before tokenising); a schema that uses it gives CLKs clkhash cannot reproduce.

pub mod calibrate;
pub mod clk;
pub mod dates;
pub mod encode;
pub mod hashing;
pub mod linkage;
pub mod matching;
pub mod schema;
mod secret;
pub mod values;

pub use clk::{ClkError, ClkSet};
pub use encode::{EncodeError, EntryProblem, encode_csv};
pub use linkage::{Assignment, Decision, LinkConfig, Linkage, Match, link};
pub use matching::Blocking;
pub use schema::{Schema, SchemaError};
pub use secret::{Secret, SecretError};
