//! `listlink serve`: the review desk over HTTP, from `listlink-serve`.

use crate::Failure;
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `listlink serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The store (one SQLite file made by `listlink add`).
    #[arg(long)]
    store: PathBuf,
    /// The address to listen on. Anything but loopback needs --token-file.
    #[arg(long, default_value = "127.0.0.1:7878")]
    bind: SocketAddr,
    /// A file whose first line is the token every request must carry
    /// (`Authorization: Bearer TOKEN`; a browser opens `/?token=TOKEN` once).
    #[arg(long)]
    token_file: Option<PathBuf>,
}

impl From<listlink_serve::Error> for Failure {
    fn from(e: listlink_serve::Error) -> Self {
        match e {
            listlink_serve::Error::Store(e) => e.into(),
            other => Failure::Usage(other.into()),
        }
    }
}

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let token = match &args.token_file {
        Some(path) => Some(listlink_serve::read_token(path)?),
        None => None,
    };
    let config = listlink_serve::Config {
        store: args.store.clone(),
        bind: args.bind,
        token,
    };
    listlink_serve::check(&config)?;
    listlink_serve::run(config, |addr| {
        // The address actually bound (`--bind 127.0.0.1:0` picks a free port): scripts and
        // tests read this line.
        println!("listening on http://{addr}/");
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}
