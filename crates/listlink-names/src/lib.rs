//! Person names across scripts: the pure functions and data tables that turn a name as written
//! into keys a record linker can compare.
//!
//! Everything here is total (any Unicode input, no panic) and free of I/O. The original string is
//! never modified: callers keep it for display and compare the keys this crate derives from it.
//!
//! - [`normalize`]: Unicode normalisation, case folding and the ASCII match key.
//! - [`script`]: which writing system a token is in.
//! - [`phonetic`]: phonetic keys of Latin renderings, for blocking.

pub mod normalize;
pub mod phonetic;
pub mod script;

pub use normalize::{fold, match_key, tokens};
pub use script::{Script, dominant_script};
