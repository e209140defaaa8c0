//! Assembling the server: configuration, shared state, the router, and a
//! running instance that tests start in-process on port 0.

use portico_data::Db;
use portico_data::files::FileStore;
use portico_services::add_ons::AddOns;
use portico_services::documents::Documents;
use portico_services::events::Events;
use portico_services::jobs::Jobs;
use portico_services::links::Links;
use portico_services::notifications::Notifications;
use portico_services::payments::{Checkouts, Payments};
use portico_sections::{HostServices, Limits, PluginRuntime, Sections};
use crate::sessions::SessionKeys;
use anyhow::Context as _;
use axum::extract::{ConnectInfo, State};
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
    /// How many connections the instance keeps to its database.
    pub database_connections: u32,
    /// Where links printed and mailed point; defaults to `http://{bind}`.
    pub public_url: Option<String>,
    /// Where document files live: a directory or `s3://bucket/prefix`;
    /// defaults to `files` in the data directory. Several instances share one.
    pub files: Option<String>,
    /// Explicit S3 settings, over the `AWS_*` variables, for `s3://` files.
    pub s3: portico_data::files::S3Settings,
    pub limits: Limits,
    /// Where queued mail is delivered; without it mail stays in the outbox.
    pub mail: Option<portico_services::mail::MailConfig>,
    /// Who sends texts; without it the host offers no texts.
    pub sms: Option<portico_services::sms::SmsConfig>,
    pub mail_retry: portico_services::mail::RetryPolicy,
    /// Serve the developer pages (the readable outbox). Only `portico demo`
    /// turns this on.
    pub dev_pages: bool,
    /// The operator's Stripe keys; without them only the test provider and
    /// manual payments are available.
    pub stripe: Option<portico_services::payments::stripe::StripeConfig>,
    /// How outgoing webhooks are delivered and where they may go.
    pub webhooks: portico_services::webhooks::WebhookConfig,
    /// Timeouts and sizes a client must keep to.
    pub http: crate::serve::HttpLimits,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the
    /// client; empty: the peer is the client.
    pub trusted_proxies: Vec<crate::serve::IpRange>,
    /// Render pages in handlebars' strict mode, so a value a template reads
    /// that its handler did not give fails the page (the stories turn this
    /// on; a served instance shows such a value as a blank).
    pub strict_templates: bool,
    /// Tell in each response's `X-Portico-Statements` header how many SQL
    /// statements the request ran. For the tests and the load benchmark,
    /// which count them; an instance serving people leaves it off.
    pub count_statements: bool,
}

impl Config {
    pub fn new(bind: SocketAddr, data_dir: PathBuf) -> Config {
        Config { bind, data_dir, database_url: None, database_connections: Db::DEFAULT_CONNECTIONS, public_url: None, files: None, s3: Default::default(), limits: Limits::default(), mail: None, sms: None, mail_retry: Default::default(), dev_pages: false, stripe: None, webhooks: Default::default(), http: Default::default(), trusted_proxies: Vec::new(), strict_templates: false, count_statements: false }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("portico.db").display()))
    }
}

/// Everything a request handler needs, behind one `Arc`: axum clones the
/// state for each handler and middleware a request passes, and cloning each
/// handle inside it (a dozen, most holding several `Arc`s of their own) took
/// about 1 % of a job page's time. Its fields read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// Changing a field of a state that is shared changes a copy (as a test
/// serving one router over https does): the requests served by the others
/// keep theirs.
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppParts {
        Arc::make_mut(&mut self.0)
    }
}

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct AppParts {
    pub db: Db,
    pub sections: Sections,
    pub keys: Arc<SessionKeys>,
    pub files: Arc<FileStore>,
    pub public_url: Arc<str>,
    pub dev_pages: bool,
    pub payments: Payments,
    /// Personal links: issued, mailed and revoked.
    pub links: Links,
    /// Running jobs: creating, changing, people, services, invoicing.
    pub jobs: Jobs,
    /// Storing and publishing a job's documents.
    pub documents: Documents,
    /// Deciding add-on requests.
    pub add_ons: AddOns,
    /// Estimates: writing, sending, withdrawing (the clients answer through a section).
    pub estimates: portico_services::estimates::Estimates,
    /// Clients' service requests: booking and closing them from the console.
    pub requests: portico_services::requests::ServiceRequests,
    /// Telling people what happened, as they chose.
    pub notifications: Notifications,
    /// Threads between the office and each contact.
    pub conversations: portico_services::conversations::Conversations,
    /// Where domain events reach the sections (the runtime, behind its port).
    pub events: Events,
    /// The port `events` holds weakly (see `Events`): alive as long as the app.
    _event_port: Arc<dyn portico_services::events::EventPort>,
    /// Whether webhook endpoints may be on private networks (see `WebhookConfig`).
    pub webhooks_allow_private: bool,
    /// See `Config::trusted_proxies`.
    pub trusted_proxies: Arc<[crate::serve::IpRange]>,
    /// Whether the portal is served over https (HSTS).
    pub https: bool,
    /// Whether every cookie is marked `Secure`: everywhere but on a plain-http
    /// localhost.
    pub secure_cookies: bool,
    /// The secret in the demo outbox page's address (`portico demo` only).
    pub outbox_secret: Arc<str>,
    /// Signs the rules beside each file input of a card, so that what the
    /// browser sends back is what the section asked for.
    pub upload_key: Arc<str>,
    /// See `Config::count_statements`.
    pub count_statements: bool,
    /// Who opened which job, written off the request's path.
    pub access_log: portico_services::access_log::AccessLog,
}

impl AppState {
    /// Open the database, load the plugins, and get ready to serve. The
    /// access log's writer is the caller's to stop once serving is over.
    pub async fn build(config: &Config, public_url: &str) -> anyhow::Result<(AppState, portico_services::access_log::AccessLogWriter)> {
        if config.strict_templates {
            crate::view::render_strictly();
        }
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
        let db = Db::connect_with(&config.database_url(), config.database_connections).await.context("opening the database")?;
        let runtime = PluginRuntime::new(config.limits.clone(), Some(config.data_dir.join("compiled-plugins")))?;
        let checkouts = Checkouts::new(db.clone(), config.stripe.clone())?;
        let files = Arc::new(match &config.files {
            Some(location) => FileStore::open(location, &config.s3)?,
            None => FileStore::local(config.data_dir.join("files"))?,
        });
        let notification_key = db.server_secret(portico_services::notifications::LINK_KEY, portico_core::tokens::new_token).await?;
        let notifications = Notifications::new(db.clone(), public_url, &notification_key).with_texts(config.sms.is_some());
        let conversations = portico_services::conversations::Conversations::new(db.clone(), files.clone(), notifications.clone());
        let (events, event_binding) = Events::deferred();
        let payments = Payments::new(checkouts.clone(), events.clone(), notifications.clone(), public_url);
        let estimates = portico_services::estimates::Estimates::new(db.clone(), events.clone(), notifications.clone());
        let links = Links::new(db.clone(), public_url);
        let jobs = Jobs::new(db.clone(), links.clone(), events.clone(), notifications.clone());
        let requests = portico_services::requests::ServiceRequests::new(db.clone(), conversations.clone(), jobs.clone());
        let host_services = HostServices {
            db: db.clone(),
            files: files.clone(),
            checkouts,
            payments: payments.clone(),
            conversations: conversations.clone(),
            estimates: estimates.clone(),
            requests: requests.clone(),
        };
        let sections = Sections::new(runtime, host_services);
        let event_port: Arc<dyn portico_services::events::EventPort> = Arc::new(sections.clone());
        event_binding.bind(&event_port);
        sections.register_builtins().await?;
        sections.upgrade_builtins().await?;
        let secret = db.server_secret("session-signing-key", portico_core::tokens::new_token).await?;
        let upload_key = db.server_secret("upload-rules-key", portico_core::tokens::new_token).await?;
        let db_outbox_secret = if config.dev_pages { db.server_secret("dev-outbox-key", portico_core::tokens::new_token).await? } else { String::new() };
        // Cookies are Secure everywhere but on a plain-http localhost.
        let secure = !public_url.starts_with("http://127.") && !public_url.starts_with("http://localhost");
        let documents = Documents::new(db.clone(), files.clone(), events.clone(), notifications.clone());
        let add_ons = AddOns::new(db.clone(), events.clone(), notifications.clone());
        let (access_log, access_log_writer) = portico_services::access_log::AccessLog::start(db.clone());
        Ok((AppState(Arc::new(AppParts {
            conversations,
            db,
            sections,
            keys: Arc::new(SessionKeys::new(&secret, secure)),
            jobs,
            documents,
            add_ons,
            estimates,
            requests,
            files,
            public_url: public_url.trim_end_matches('/').into(),
            dev_pages: config.dev_pages,
            payments,
            notifications,
            events,
            _event_port: event_port,
            links,
            webhooks_allow_private: config.webhooks.allow_private_targets,
            trusted_proxies: config.trusted_proxies.clone().into(),
            https: public_url.starts_with("https://"),
            secure_cookies: secure,
            // Kept in the database, so the address printed stays good across restarts.
            outbox_secret: db_outbox_secret.into(),
            upload_key: upload_key.into(),
            count_statements: config.count_statements,
            access_log,
        })), access_log_writer))
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    // A form may lead to Stripe's checkout (Pay Now redirects there), so that
    // origin is allowed as a form target when Stripe is configured.
    let form_action = if state.payments.stripe_configured() { "'self' https://checkout.stripe.com" } else { "'self'" };
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let policy = HeaderValue::from_str(&policy).expect("a valid header");
    let security_headers = [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    let mut routes = crate::portal::router().merge(crate::signin::router()).merge(crate::staff::router(state.sections.max_upload_bytes())).merge(crate::ops::router()).merge(crate::payments::router()).merge(crate::agreements::router()).merge(crate::api::router()).merge(crate::uploads::router()).merge(crate::messages::router());
    if state.dev_pages {
        routes = routes.merge(crate::dev::router());
    }
    let https = state.https;
    let mut router = routes.with_state(state.clone());
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    // Pages carry personal data and CSRF tokens: no cache keeps them, unless
    // a route says otherwise (the stylesheet, a logo named by its hash).
    router = router.layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if https {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    if state.secure_cookies {
        router = router.layer(axum::middleware::map_response(secure_cookies));
    }
    if state.count_statements {
        router = router.layer(axum::middleware::from_fn(count_statements));
    }
    router
        .layer(axum::middleware::from_fn(refuse_control_characters))
        .layer(axum::middleware::map_request_with_state(state, forwarded_client))
        // 1 MiB per request body; the plugin upload route raises its own.
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(compression())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// gzip or Brotli, as the browser asks, for pages, styles and JSON. Images and
/// PDFs are compressed already. A page's only repeated secret, its CSRF
/// token, is masked afresh on every page (`csrf::for_page`), so compression
/// cannot be used to guess it (BREACH).
fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/pdf")))
}

/// Behind a trusted proxy, the client is the one it names: handlers (rate
/// limits, the access and audit logs) read it as the peer.
async fn forwarded_client(State(state): State<AppState>, mut request: axum::extract::Request) -> axum::extract::Request {
    if state.trusted_proxies.is_empty() {
        return request;
    }
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() else { return request };
    // A proxy may add its own header line rather than append to the client's:
    // every line counts, in order, and the last hop is the nearest.
    let lines: Vec<&str> = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let forwarded = (!lines.is_empty()).then(|| lines.join(","));
    let client = crate::serve::client_ip(peer.ip(), forwarded.as_deref(), &state.trusted_proxies);
    request.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, peer.port())));
    request
}

/// The header `Config::count_statements` adds.
pub const STATEMENTS_HEADER: &str = "x-portico-statements";

/// The header `Config::count_statements` adds with how many of those
/// statements were sent to another thread ([`portico_data::Counted`]).
pub const THREAD_HOPS_HEADER: &str = "x-portico-thread-hops";

/// Run the request counting its SQL statements (see `Config::count_statements`).
async fn count_statements(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let (mut response, counted) = portico_data::counting_hops(next.run(request)).await;
    response.headers_mut().insert(STATEMENTS_HEADER, HeaderValue::from(counted.statements));
    response.headers_mut().insert(THREAD_HOPS_HEADER, HeaderValue::from(counted.thread_hops));
    response
}

/// No id, slug or token the host issues contains a control character, so a
/// path with one (`/staff/jobs/x%0Ay`) names nothing: 404 here, before a
/// handler could put it in a header or a log line.
async fn refuse_control_characters(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    if has_control_character(request.uri().path()) {
        // Each surface answers in its own shape: the API in its JSON error.
        if request.uri().path().starts_with("/api/") {
            return crate::api::ApiError::NotFound("resource").into_response();
        }
        return crate::error::WebError::NotFound.into_response();
    }
    next.run(request).await
}

/// Whether a path, once percent-decoded, holds a control character.
pub fn has_control_character(path: &str) -> bool {
    percent_encoding::percent_decode_str(path).decode_utf8_lossy().chars().any(char::is_control)
}

/// Every cookie the host sets is `Secure` (sessions, and the pre-session
/// form tokens of sign-in pages alike): one place, so no cookie forgets.
async fn secure_cookies(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return response;
    }
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        let text = cookie.to_str().unwrap_or_default();
        let marked = text.split(';').any(|part| part.trim().eq_ignore_ascii_case("secure"));
        let value = if marked || text.is_empty() { cookie } else { HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie) };
        headers.append(header::SET_COOKIE, value);
    }
    response
}

/// A server listening in this process.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    mail_worker: Option<portico_services::worker::Worker>,
    sms_worker: Option<portico_services::worker::Worker>,
    reconciler: Option<portico_services::worker::Worker>,
    webhook_worker: Option<portico_services::worker::Worker>,
    plugin_sweeper: Option<portico_services::worker::Worker>,
    access_log_writer: Option<portico_services::access_log::AccessLogWriter>,
}

impl RunningServer {
    /// Bind `config.bind` (port 0 picks a free port) and serve in the background.
    pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr()?;
        let base_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let (state, access_log_writer) = AppState::build(&config, &base_url).await?;
        let mail_worker = match &config.mail {
            Some(mail) => {
                let mailer = portico_services::mail::Mailer::new(mail)?;
                // Each instance's worker has its own id for its leases.
                let worker_id = format!("{}-{}", addr, portico_core::model::new_id());
                Some(portico_services::mail::OutboxWorker::spawn(state.db.clone(), mailer, config.mail_retry.clone(), worker_id))
            }
            None => {
                tracing::info!("no SMTP configured: mail stays in the outbox");
                None
            }
        };
        let sms_worker = config.sms.clone().map(|sms| {
            tracing::info!(provider = sms.name(), "texts go through the SMS provider");
            let worker_id = format!("{}-{}", addr, portico_core::model::new_id());
            portico_services::sms::SmsWorker::spawn(state.db.clone(), portico_services::sms::SmsSender::new(sms), config.mail_retry.clone(), worker_id)
        });
        let reconciler = state.payments.stripe_configured().then(|| state.payments.clone().spawn_reconciler());
        let webhook_worker = portico_services::webhooks::WebhookWorker::spawn(state.db.clone(), config.webhooks.clone(), format!("{}-{}", addr, portico_core::model::new_id()));
        let plugin_sweeper = state.sections.spawn_sweeper();
        let app = crate::serve::with_timeouts(router(state.clone()), &config.http);
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let limits = config.http.clone();
        let task = tokio::spawn(crate::serve::serve(listener, app, limits, async move {
            let _ = signal.await;
        }));
        Ok(RunningServer { addr, state, base_url, shutdown: Some(shutdown), task, mail_worker, sms_worker, reconciler, webhook_worker: Some(webhook_worker), plugin_sweeper: Some(plugin_sweeper), access_log_writer: Some(access_log_writer) })
    }

    /// Stop accepting connections, finish in-flight requests, and return.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task).await??;
        // The requests are done: what they queued for the access log is written now.
        if let Some(writer) = self.access_log_writer.take() {
            writer.stop().await;
        }
        if let Some(worker) = self.mail_worker.take() {
            worker.stop().await;
        }
        for worker in [self.sms_worker.take(), self.reconciler.take(), self.webhook_worker.take(), self.plugin_sweeper.take()].into_iter().flatten() {
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

#[cfg(test)]
mod tests {
    #[test]
    fn paths_with_control_characters_are_spotted_encoded_or_not() {
        assert!(super::has_control_character("/staff/jobs/abc%0Adef"));
        assert!(super::has_control_character("/staff/jobs/abc%0d"));
        assert!(super::has_control_character("/jobs/%C2%85"), "a C1 control (NEL) too");
        assert!(super::has_control_character("/jobs/%7F"));
        assert!(!super::has_control_character("/jobs/0190abcd-ef/documents/%E2%82%AC"));
    }
}
