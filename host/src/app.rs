//! Assembling the server: configuration, shared state, the router, and a
//! running instance that tests start in-process on port 0.

use crate::db::Db;
use crate::files::FileStore;
use crate::plugins::{Limits, PluginRuntime, Sections};
use crate::sessions::SessionKeys;
use anyhow::Context as _;
use axum::http::{header, HeaderValue};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// How an instance is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// Defaults to `portico.db` in the data directory.
    pub database_url: Option<String>,
    /// Where links printed and mailed point; defaults to `http://{bind}`.
    pub public_url: Option<String>,
    /// Where document files live: a directory or `s3://bucket/prefix`;
    /// defaults to `files` in the data directory. Several instances share one.
    pub files: Option<String>,
    /// Explicit S3 settings, over the `AWS_*` variables, for `s3://` files.
    pub s3: crate::files::S3Settings,
    pub limits: Limits,
    /// Where queued mail is delivered; without it mail stays in the outbox.
    pub mail: Option<crate::mail::MailConfig>,
    pub mail_retry: crate::mail::RetryPolicy,
    /// Serve the developer pages (the readable outbox). Only `portico demo`
    /// turns this on.
    pub dev_pages: bool,
}

impl Config {
    pub fn new(bind: SocketAddr, data_dir: PathBuf) -> Config {
        Config { bind, data_dir, database_url: None, public_url: None, files: None, s3: Default::default(), limits: Limits::default(), mail: None, mail_retry: Default::default(), dev_pages: false }
    }

    fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("portico.db").display()))
    }
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub sections: Sections,
    pub keys: Arc<SessionKeys>,
    pub files: Arc<FileStore>,
    pub public_url: Arc<str>,
    pub dev_pages: bool,
}

impl AppState {
    /// Open the database, load the plugins, and get ready to serve.
    pub async fn build(config: &Config, public_url: &str) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
        let db = Db::connect(&config.database_url()).await.context("opening the database")?;
        let runtime = PluginRuntime::new(config.limits.clone(), Some(config.data_dir.join("compiled-plugins")))?;
        let sections = Sections::new(runtime, db.clone());
        sections.register_builtins().await?;
        let secret = db.server_secret("session-signing-key", crate::tokens::new_token).await?;
        // Cookies are Secure everywhere but on a plain-http localhost.
        let secure = !public_url.starts_with("http://127.") && !public_url.starts_with("http://localhost");
        Ok(AppState {
            db,
            sections,
            keys: Arc::new(SessionKeys::new(&secret, secure)),
            files: Arc::new(match &config.files {
                Some(location) => FileStore::open(location, &config.s3)?,
                None => FileStore::local(config.data_dir.join("files"))?,
            }),
            public_url: public_url.trim_end_matches('/').into(),
            dev_pages: config.dev_pages,
        })
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let security_headers = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let mut routes = crate::portal::router().merge(crate::signin::router()).merge(crate::staff::router()).merge(crate::ops::router());
    if state.dev_pages {
        routes = routes.merge(crate::dev::router());
    }
    let mut router = routes.with_state(state);
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// A server listening in this process.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    mail_worker: Option<crate::mail::OutboxWorker>,
}

impl RunningServer {
    /// Bind `config.bind` (port 0 picks a free port) and serve in the background.
    pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr()?;
        let base_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let state = AppState::build(&config, &base_url).await?;
        let mail_worker = match &config.mail {
            Some(mail) => {
                let mailer = crate::mail::Mailer::new(mail)?;
                // Each instance's worker has its own id for its leases.
                let worker_id = format!("{}-{}", addr, crate::model::new_id());
                Some(crate::mail::OutboxWorker::spawn(state.db.clone(), mailer, config.mail_retry.clone(), worker_id))
            }
            None => {
                tracing::info!("no SMTP configured: mail stays in the outbox");
                None
            }
        };
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = signal.await;
                })
                .await
        });
        Ok(RunningServer { addr, state, base_url, shutdown: Some(shutdown), task, mail_worker })
    }

    /// Stop accepting connections, finish in-flight requests, and return.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task).await??;
        if let Some(worker) = self.mail_worker.take() {
            worker.stop().await;
        }
        Ok(())
    }

    /// Serve until Ctrl-C or SIGTERM.
    pub async fn wait_for_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
