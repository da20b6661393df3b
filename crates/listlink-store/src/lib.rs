//! listlink-store: the roster that lives — lists added as versions, records kept by
//! (source, id) with their history, persons with stable ids, and people's decisions, in one
//! SQLite file linked through `listlink-core`'s public surface.
//!
//! Every write ([`add`], [`decide`]) is one transaction: a killed or failed write leaves the
//! store as it was. The file carries a schema version ([`SCHEMA_VERSION`]); a file of another
//! version is refused with a message.

mod add;
mod captures;
mod desk;
mod index;
mod output;
mod persons;

pub use add::{AddOptions, AddReport, add, add_with_progress};
pub use captures::{CaptureRecord, Captures, captures};
pub use desk::{
    DecisionRow, Looked, Matcher, PersonRecord, PersonView, ReviewPair, StoredRecord, UndoReport,
    decisions_from, decisions_since, pair_probabilities, person, person_of_records, review_queue,
    undo,
};
pub use output::{RosterFiles, Since, found_with_persons, roster};
pub use persons::{DecideReport, Decision, decide};

use listlink_core::{Model, Settings};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The layout of the store's tables, kept in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 3;

/// What went wrong, always naming the store file, the list or the record.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] listlink_core::Error),
    #[error("store {path}: {message}")]
    Store { path: String, message: String },
    /// Another process holds the store's write lock past the wait.
    #[error(
        "store {path}: another listlink is writing to it (waited {seconds} s); try again when it has finished, or give a longer --wait"
    )]
    Busy { path: String, seconds: u64 },
    #[error("{0}")]
    Usage(String),
    /// A record, person or decision the store does not hold.
    #[error("store {path}: {message}")]
    NotFound { path: String, message: String },
    /// A decision (or an undo) that would contradict the decisions in force: nothing recorded.
    #[error("{0}")]
    Contradiction(String),
    /// Rows rejected under `--strict`: nothing was added.
    #[error("{0}")]
    Rejected(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    wait: Duration,
}

/// The look-up index (`index.rs`): version 3.
const INDEX_SCHEMA: &str = "
CREATE TABLE keys (key INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)) WITHOUT ROWID;
CREATE TABLE counts (
    source TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (source, value)) WITHOUT ROWID;
";

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
$INDEX
CREATE TABLE lists (
    version INTEGER PRIMARY KEY, source TEXT NOT NULL, file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL, received TEXT NOT NULL, added_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL, rows_accepted INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,
    new_records INTEGER NOT NULL, updated_records INTEGER NOT NULL, first_event INTEGER NOT NULL);
CREATE TABLE shapes (shape INTEGER PRIMARY KEY, headers TEXT NOT NULL UNIQUE);
CREATE TABLE records (
    rid INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, shape INTEGER NOT NULL,
    line INTEGER NOT NULL, vals TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL,
    birth TEXT NOT NULL, status TEXT NOT NULL, status_date TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, version INTEGER NOT NULL,
    UNIQUE (source, id));
CREATE TABLE persons (
    person INTEGER PRIMARY KEY, created TEXT NOT NULL, merged_into INTEGER, split_from INTEGER);
CREATE TABLE membership (rid INTEGER PRIMARY KEY, person INTEGER NOT NULL);
CREATE INDEX membership_person ON membership (person);
CREATE TABLE edges (
    a INTEGER NOT NULL, b INTEGER NOT NULL, probability REAL NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX edges_b ON edges (b);
CREATE TABLE decisions (
    seq INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL, decision TEXT NOT NULL,
    by TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL, model_version INTEGER,
    probability REAL, undoes INTEGER);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, date TEXT NOT NULL, version INTEGER, person INTEGER,
    rid INTEGER, event TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX events_rid ON events (rid);
";

impl Store {
    /// Opens a store, or with `create` makes a new one where there is no file. A held write lock
    /// is waited for `wait` at most.
    pub fn open(path: &Path, create: bool, wait: Duration) -> Result<Store> {
        let name = path.display().to_string();
        let store_err = |message: String| Error::Store {
            path: name.clone(),
            message,
        };
        let exists = path.exists();
        if !exists && !create {
            return Err(store_err(
                "no such store (the first `listlink add --store` makes it)".into(),
            ));
        }
        let flags = if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| store_err(format!("cannot open: {e}")))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            wait,
        };
        store
            .conn
            .busy_timeout(wait)
            .map_err(|e| store.sql_err(e))?;
        // A file that is not SQLite fails here, on the first read.
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| store_err(format!("not a listlink store: {e}")))?;
        let tables: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| store.sql_err(e))?;
        if version == 0 && tables == 0 {
            store
                .conn
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| store.sql_err(e))?;
            store
                .conn
                .execute_batch(&format!(
                    "BEGIN IMMEDIATE; {} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;",
                    SCHEMA.replace("$INDEX", INDEX_SCHEMA)
                ))
                .map_err(|e| store.sql_err(e))?;
        } else if version == 1 || version == 2 {
            // Version 2 adds undos (a decision row that takes back an earlier one): an old
            // store gains the column, empty. Version 3 adds the look-up index, made from the
            // records by the next add or look-up. One transaction.
            let undo = if version == 1 {
                "ALTER TABLE decisions ADD COLUMN undoes INTEGER;"
            } else {
                ""
            };
            store
                .conn
                .execute_batch(&format!(
                    "BEGIN IMMEDIATE; {undo} {INDEX_SCHEMA} PRAGMA user_version = 3; COMMIT;"
                ))
                .map_err(|e| store.sql_err(e))?;
        } else if version != SCHEMA_VERSION {
            return Err(store_err(format!(
                "schema version {version} is not one this build reads (it reads version {SCHEMA_VERSION}){}",
                if version > SCHEMA_VERSION {
                    ": the store was written by a newer listlink; use that version"
                } else {
                    ": not a listlink store of a known version"
                }
            )));
        }
        store
            .conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| store.sql_err(e))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A SQLite error as a store error; a busy database as [`Error::Busy`].
    fn sql_err(&self, e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            )
        {
            return Error::Busy {
                path: self.path.display().to_string(),
                seconds: self.wait.as_secs(),
            };
        }
        Error::Store {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Store {
            path: self.path.display().to_string(),
            message: message.into(),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql_err(e))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.sql_err(e))
    }

    /// The settings kept in the store (none before the first add).
    pub fn settings(&self) -> Result<Option<Settings>> {
        match self.meta("settings")? {
            Some(text) => Ok(Some(Settings::from_toml(
                &text,
                &format!("{} (settings kept in the store)", self.path.display()),
            )?)),
            None => Ok(None),
        }
    }

    /// The model kept in the store and its version (none before the first add).
    pub fn model(&self) -> Result<Option<(Model, i64)>> {
        let Some(text) = self.meta("model")? else {
            return Ok(None);
        };
        let version = self
            .meta("model_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let origin = self.path.join("model");
        Ok(Some((Model::from_json(&text, &origin)?, version)))
    }

    /// Whether the kept settings were inferred (then rules over the pair budget are dropped).
    fn rules_inferred(&self) -> Result<bool> {
        Ok(self.meta("settings_inferred")?.as_deref() == Some("true"))
    }

    /// The record id of `source:id`, or an error naming it.
    pub fn record(&self, source: &str, id: &str) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT rid FROM records WHERE source = ?1 AND id = ?2",
                params![source, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql_err(e))?
            .ok_or_else(|| Error::NotFound {
                path: self.path.display().to_string(),
                message: format!("no record `{source}:{id}` in the store"),
            })
    }
}

/// `P-000001`: a person's id as users quote it.
pub fn person_label(person: i64) -> String {
    format!("P-{person:06}")
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    listlink_core::Date::from_unix_days(days as i64).iso()
}

/// Now (UTC), `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let day = listlink_core::Date::from_unix_days((secs / 86_400) as i64).iso();
    let s = secs % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}
