//! Command line: `parlor [serve]`, `parlor user add NAME [--admin]`.
//! Flags override the config file and `PARLOR__…` variables.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::{Password, UserId, Username, now};

#[derive(Parser, Debug)]
#[command(name = "parlor", version, about = "A self-hosted chat server")]
pub struct Cli {
    #[command(flatten)]
    pub overrides: Overrides,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Accepted before or after the subcommand.
#[derive(Args, Debug, Clone, Default)]
pub struct Overrides {
    /// Config file (default: ./config.toml if it exists)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080 (port 0 picks a free port)
    #[arg(long, global = true, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// SQLite file, or :memory:
    #[arg(long, global = true, value_name = "PATH")]
    pub database: Option<PathBuf>,
    /// HTTP worker threads (0 = one per core)
    #[arg(long, global = true, value_name = "N")]
    pub workers: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default)
    Serve,
    /// Manage accounts from the shell (safe while the server runs)
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin
    Add {
        name: String,
        /// Make the user an administrator
        #[arg(long)]
        admin: bool,
        /// Read the password from stdin (the default; accepted for scripts)
        #[arg(long)]
        password_stdin: bool,
    },
}

impl Overrides {
    /// Settings from the file and environment, then these flags.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings::load(self.config.as_deref())?;
        if let Some(bind) = self.bind {
            s.server.bind = bind;
        }
        if let Some(db) = &self.database {
            s.database.path = db.clone();
        }
        if let Some(w) = self.workers {
            s.server.workers = w;
        }
        s.validate()?;
        Ok(s)
    }
}

/// `parlor user add NAME [--admin]`: prints the new user's id.
pub fn add_user(settings: &Settings, name: &str, admin: bool) -> anyhow::Result<UserId> {
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let raw = line.trim_end_matches(['\r', '\n']);
    let password = Password::parse(raw).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash =
        crate::auth::password::hash(password.expose()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = Db::open(&settings.database.path, 1)?;
    let id = UserId::new();
    db.run_blocking(|c| {
        db::users::insert(
            c,
            &db::users::NewUser {
                id,
                username: username.as_str(),
                email: None,
                password_hash: &hash,
                is_admin: admin,
                created_at: now(),
            },
        )
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(id)
}
