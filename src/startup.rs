//! `Application`: builds the whole server from `Settings` and binds its
//! listener, so tests can start it on port 0 and learn the address.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, Addr, AsyncContext};
use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};

use crate::actors::registry::RegistryActor;
use crate::actors::session::SessionIndex;
use crate::auth::JwtKeys;
use crate::auth::throttle::LoginThrottle;
use crate::config::Settings;
use crate::db::Db;
use crate::db::writer::Writer;
use crate::metrics::Metrics;
use crate::state::{AppState, Hub, UserDirectory};

pub struct Application {
    addr: SocketAddr,
    server: Server,
    stop: ShutdownHandle,
}

impl Application {
    /// Opens the database (applying the schema), loads or creates the JWT
    /// secret, starts the registry and its room arbiters, and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        settings.validate()?;
        // Bind first: a taken port is the likeliest failure, and nothing
        // (threads, timers) has been started yet to be torn down.
        let listener = TcpListener::bind(settings.server.bind)?;
        let db = Db::open(&settings.database.path, settings.database.pool_size)?;
        let secret = if settings.auth.jwt_secret.is_empty() {
            db.run(|c| crate::db::meta::jwt_secret(c, crate::auth::refresh::generate))
                .await
                .map_err(|e| anyhow::anyhow!("loading the JWT secret: {e}"))?
        } else {
            settings.auth.jwt_secret.clone()
        };
        let jwt = JwtKeys::new(secret.as_bytes(), settings.auth.access_ttl);

        let disabled = db
            .run(|c| crate::db::users::disabled_ids(c))
            .await
            .map_err(|e| anyhow::anyhow!("loading disabled accounts: {e}"))?;
        let writer = Writer::start(db.location(), settings.database.max_batch)?;
        let mut hub = None;
        let registry = RegistryActor::create(|ctx| {
            let shared = Arc::new(Hub {
                db,
                writer,
                registry: ctx.address(),
                users: UserDirectory::default(),
                rooms: Default::default(),
                sessions: SessionIndex::default(),
                metrics: Metrics::new(),
                disabled: disabled.iter().copied().collect(),
                settings: settings.clone(),
            });
            hub = Some(shared.clone());
            RegistryActor::new(shared)
        });
        let hub = hub.expect("invariant: the registry's constructor ran");
        let state = web::Data::new(AppState {
            hub: hub.clone(),
            jwt,
            login_throttle: LoginThrottle::new(settings.limits.auth_attempts_per_min),
        });

        let addr = listener.local_addr()?;
        let max_body = settings.limits.max_body_bytes;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(|cfg| crate::api::routes(cfg, max_body))
        })
        .workers(settings.workers())
        // Chat frames are small and we coalesce them ourselves; Nagle's
        // algorithm would hold them back for the peer's delayed ACK.
        .tcp_nodelay(true)
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_timeout.as_secs().max(1))
        .listen(listener)?
        .run();
        let stop = ShutdownHandle {
            server: server.handle(),
            hub,
            registry,
        };
        Ok(Application { addr, server, stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.stop.clone()
    }

    /// Serves until a shutdown completes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Runs the ordered shutdown; callable from signal handlers and tests.
#[derive(Clone)]
pub struct ShutdownHandle {
    server: ServerHandle,
    hub: Arc<Hub>,
    registry: Addr<RegistryActor>,
}

/// How long shutdown waits for close frames to reach clients.
const CLOSE_FLUSH: Duration = Duration::from_secs(3);

impl ShutdownHandle {
    /// In order: stop accepting; close every WebSocket with 1001 and let the
    /// close frames go out; stop the server; stop the room arbiters.
    pub async fn shutdown(&self) {
        tracing::info!("shutting down");
        self.server.pause().await;
        self.hub.sessions.close_all(1001);
        let started = Instant::now();
        while !self.hub.sessions.is_empty() && started.elapsed() < CLOSE_FLUSH {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.server.stop(true).await;
        let registry = self.registry.clone();
        // The registry stops its arbiters when it stops.
        let _ = registry.send(crate::actors::registry::Stop).await;
        // Every write queued by a room is on disk before the process exits.
        self.hub.writer.flush().await;
    }
}
