//! Settings: the SPEC §7 table as types.
//!
//! Layering, lowest to highest: `Settings::default()` (the SPEC values), then
//! `config.toml` (or `--config PATH`), then `PARLOR__SECTION__KEY` environment
//! variables, then command-line flags. Keys carry their unit (`empty_ttl_secs`);
//! in code they are `Duration`s, so no raw integer ever holds a time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub rooms: RoomSettings,
    pub limits: LimitSettings,
    pub websocket: WebSocketSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// actix-web worker threads; 0 means one per core.
    pub workers: usize,
    /// Arbiter threads that room actors are spread over; 0 means one per core.
    pub room_threads: usize,
    /// How long a graceful stop waits for open connections to finish.
    #[serde(rename = "shutdown_timeout_secs", with = "secs")]
    pub shutdown_timeout: Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// SQLite file, or `:memory:`.
    pub path: PathBuf,
    /// r2d2 pool size (reads run in parallel under WAL).
    pub pool_size: u32,
    /// Most writes the group-commit writer puts in one transaction (1 = no batching).
    pub max_batch: usize,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 secret. Empty: generated on first start and stored in the database.
    /// An all-digit value from the environment arrives as a number; take it as text.
    #[serde(deserialize_with = "string_or_number")]
    pub jwt_secret: String,
    #[serde(rename = "access_ttl_secs", with = "secs")]
    pub access_ttl: Duration,
    #[serde(rename = "refresh_ttl_secs", with = "secs")]
    pub refresh_ttl: Duration,
}

// Never print the secret.
impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field(
                "jwt_secret",
                &if self.jwt_secret.is_empty() {
                    ""
                } else {
                    "<set>"
                },
            )
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoomSettings {
    pub history_len: usize,
    #[serde(rename = "empty_ttl_secs", with = "secs")]
    pub empty_ttl: Duration,
    /// A persistent room with no subscribers stops its actor after this long;
    /// it is revived from SQLite on demand.
    #[serde(rename = "hibernate_after_secs", with = "secs")]
    pub hibernate_after: Duration,
    pub default_max_participants: u32,
    pub max_participants_cap: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    pub max_message_chars: usize,
    pub max_frame_bytes: usize,
    pub messages_per_sec: f64,
    pub messages_burst: u32,
    pub session_outbox: usize,
    pub auth_attempts_per_min: u32,
    /// Largest accepted HTTP JSON body.
    pub max_body_bytes: usize,
    /// Rooms one connection may be subscribed to at once.
    pub max_subscriptions: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSocketSettings {
    /// The server pings every connection this often.
    #[serde(rename = "heartbeat_interval_secs", with = "secs")]
    pub heartbeat_interval: Duration,
    /// A connection silent for this long is dropped.
    #[serde(rename = "client_timeout_secs", with = "secs")]
    pub client_timeout: Duration,
    /// `typing: true` lapses after this long without a renewal.
    #[serde(rename = "typing_ttl_secs", with = "secs")]
    pub typing_ttl: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: 0,
            room_threads: 0,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            path: PathBuf::from("parlor.db"),
            pool_size: 8,
            max_batch: 512,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: String::new(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(2_592_000),
        }
    }
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self {
            history_len: 200,
            empty_ttl: Duration::from_secs(600),
            hibernate_after: Duration::from_secs(300),
            default_max_participants: 50,
            max_participants_cap: 10_000,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_message_chars: 4000,
            max_frame_bytes: 65_536,
            messages_per_sec: 10.0,
            messages_burst: 20,
            session_outbox: 1024,
            auth_attempts_per_min: 10,
            max_body_bytes: 262_144,
            max_subscriptions: 500,
        }
    }
}

impl Default for WebSocketSettings {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(10),
            client_timeout: Duration::from_secs(30),
            typing_ttl: Duration::from_secs(6),
        }
    }
}

impl Settings {
    /// Defaults, then the TOML file (if it exists; an explicitly named file
    /// must exist), then `PARLOR__…` environment variables.
    pub fn load(config_path: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_path {
            Some(path) => {
                anyhow::ensure!(path.exists(), "config file {} not found", path.display());
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new("config.toml").exists() => {
                figment = figment.merge(Toml::file_exact("config.toml"));
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed("PARLOR__").split("__"));
        let settings: Settings = figment.extract().map_err(|e| anyhow::anyhow!("{e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let bad = |what: &str| Err(anyhow::anyhow!("invalid configuration: {what}"));
        if self.rooms.max_participants_cap < 1 {
            return bad("rooms.max_participants_cap must be at least 1");
        }
        if self.rooms.default_max_participants < 1
            || self.rooms.default_max_participants > self.rooms.max_participants_cap
        {
            return bad("rooms.default_max_participants must be 1..=rooms.max_participants_cap");
        }
        if self.rooms.history_len < 1 {
            return bad("rooms.history_len must be at least 1");
        }
        if self.limits.max_message_chars < 1 {
            return bad("limits.max_message_chars must be at least 1");
        }
        if self.limits.max_frame_bytes < 128 {
            return bad("limits.max_frame_bytes must be at least 128");
        }
        if self.limits.messages_per_sec.is_nan()
            || self.limits.messages_per_sec <= 0.0
            || self.limits.messages_burst < 1
        {
            return bad("limits.messages_per_sec and limits.messages_burst must be positive");
        }
        if self.limits.session_outbox < 2 {
            return bad("limits.session_outbox must be at least 2");
        }
        if self.limits.auth_attempts_per_min < 1 {
            return bad("limits.auth_attempts_per_min must be at least 1");
        }
        if self.database.max_batch < 1 {
            return bad("database.max_batch must be at least 1");
        }
        if self.database.pool_size < 1 {
            return bad("database.pool_size must be at least 1");
        }
        if self.websocket.heartbeat_interval.is_zero() || self.websocket.client_timeout.is_zero() {
            return bad("websocket heartbeat and timeout must be positive");
        }
        Ok(())
    }

    pub fn workers(&self) -> usize {
        if self.server.workers == 0 {
            num_cpus()
        } else {
            self.server.workers
        }
    }

    pub fn room_threads(&self) -> usize {
        if self.server.room_threads == 0 {
            num_cpus()
        } else {
            self.server.room_threads
        }
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i128),
        Float(f64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Text(s) => s,
        Raw::Int(n) => n.to_string(),
        Raw::Float(f) => f.to_string(),
    })
}

/// Durations written as seconds in the file; fractions allowed (`0.2`) so
/// tests can shrink timers.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        if d.subsec_nanos() == 0 {
            s.serialize_u64(d.as_secs())
        } else {
            s.serialize_f64(d.as_secs_f64())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
