//! What the server holds: the store's connections and the look-up matcher.

use crate::Error;
use listlink_store::{Matcher, Store};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub struct AppState {
    /// Writes (decide, undo, add), one at a time.
    pub writer: Mutex<Store>,
    /// Reads; WAL lets them run beside a write.
    pub reader: Mutex<Store>,
    /// Look-ups: the settings and model, and a connection reading records through the store's
    /// index; replaced after an add.
    pub matcher: RwLock<Arc<Matcher>>,
    /// The Bearer token, when the server was given one.
    pub token: Option<String>,
    /// The same-origin token the page carries for its state-changing requests.
    pub csrf: String,
    /// The address served, to check Host headers against.
    pub bound: SocketAddr,
}

impl AppState {
    pub fn open(path: &Path, token: Option<String>, bound: SocketAddr) -> Result<AppState, Error> {
        let writer = Store::open(path, false, Duration::from_secs(30))?;
        let reader = Store::open(path, false, Duration::from_secs(30))?;
        let matcher = Matcher::load(&reader)?;
        Ok(AppState {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            matcher: RwLock::new(Arc::new(matcher)),
            token,
            csrf: random_token()?,
            bound,
        })
    }

    pub fn matcher(&self) -> Arc<Matcher> {
        self.matcher
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// 32 hex digits from the system's random source.
fn random_token() -> Result<String, Error> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
