//! Person names across scripts: the pure functions and data tables that turn a name as written
//! into keys a record linker can compare.
//!
//! Everything here is total (any Unicode input, no panic) and free of I/O. The original string is
//! never modified: callers keep it for display and compare the keys this crate derives from it.
//!
//! - [`normalize`]: Unicode normalisation, case folding and the ASCII match key.
//! - [`script`]: which writing system a token is in.
//! - [`translit`]: Latin renderings by named standards; Hebrew and Arabic letters and their readings.
//! - [`skeleton`]: the consonant-class key shared across scripts.
//! - [`variants`]: given-name variant groups (diminutives, cross-language equivalents).
//! - [`parts`]: splitting a full name into given, patronymic and family parts.
//! - [`forms`]: a token analysed once, and two analysed tokens compared into a level.
//! - [`phonetic`]: phonetic keys of Latin renderings, for blocking.

pub mod forms;
pub mod normalize;
pub mod parts;
pub mod phonetic;
pub mod script;
pub mod similarity;
pub mod skeleton;
mod tables;
pub mod translit;
pub mod variants;

pub use forms::{NameForms, TokenLevel, analyse};
pub use normalize::{fold, match_key, tokens};
pub use parts::{NameParts, from_columns, parse_full_name};
pub use script::{Script, dominant_script};
