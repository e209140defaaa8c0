//! Test support: start Portico in-process on a free port with the demo data,
//! and drive it as a person with a browser would (cookies, forms, redirects).

use portico_core::ids::TenantId;
use portico_web::app::{Config, RunningServer};
use portico::demo::DemoLinks;
use portico_core::model::Role;
use portico_core::tokens::{hash_token, new_token};
use std::path::PathBuf;

mod smtp;
pub mod stripe;
pub mod webhooks;
pub use smtp::{decoded_body, SmtpSink};

mod hostile {
    include!(concat!(env!("OUT_DIR"), "/hostile_plugins.rs"));
}

/// The component of a hostile test plugin, by package name.
pub fn hostile_plugin(package: &str) -> &'static [u8] {
    hostile::HOSTILE_PLUGINS
        .iter()
        .find(|(name, _)| *name == package)
        .map(|(_, wasm)| *wasm)
        .unwrap_or_else(|| panic!("no hostile plugin {package}; was the build run with PORTICO_SKIP_PLUGIN_BUILD?"))
}

/// The server PostgreSQL stories run against, when set.
pub const POSTGRES_URL_VAR: &str = "PORTICO_TEST_POSTGRES_URL";

/// A database of one test's own on the PostgreSQL server, dropped afterwards.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(admin_url: &str) -> PostgresDatabase {
        use sqlx::Connection;
        let name = format!("portico_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url).await.expect("connect to PORTICO_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create a test database");
        let mut url = url::Url::parse(admin_url).expect("PORTICO_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        PostgresDatabase { admin_url: admin_url.to_string(), name, url: url.to_string() }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on itself:
        // clean up from a thread with a runtime of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                    if let Err(error) = dropped {
                        eprintln!("could not drop test database {name}: {error}");
                    }
                }
            })
        });
        let _ = cleanup.join();
    }
}

/// A running Portico with the demo business.
pub struct TestApp {
    pub server: RunningServer,
    pub links: DemoLinks,
    data_dir: PathBuf,
    config: Config,
    _temp: Option<tempfile::TempDir>,
    // Declared last: dropped after the server's pool.
    postgres: Option<PostgresDatabase>,
}

impl TestApp {
    /// Start on 127.0.0.1:0 with SQLite in a fresh data directory, with the demo data.
    pub async fn spawn() -> TestApp {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        Self::start(data_dir, Some(temp), None).await
    }

    /// The same on a fresh PostgreSQL database of its own, or `None` (saying
    /// so) when PORTICO_TEST_POSTGRES_URL is not set.
    pub async fn spawn_postgres() -> Option<TestApp> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("SKIPPED on PostgreSQL: {POSTGRES_URL_VAR} is not set");
            return None;
        };
        let database = PostgresDatabase::create(&admin_url).await;
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        Some(Self::start(data_dir, Some(temp), Some(database)).await)
    }

    /// The same as `spawn_postgres`, with `configure` applied first.
    pub async fn spawn_postgres_configured(configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("SKIPPED on PostgreSQL: {POSTGRES_URL_VAR} is not set");
            return None;
        };
        let database = PostgresDatabase::create(&admin_url).await;
        let temp = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), temp.path().to_path_buf());
        config.database_url = Some(database.url.clone());
        configure(&mut config);
        Some(Self::start_with(config, Some(temp), Some(database)).await)
    }

    /// Start on SQLite with `configure` applied to the configuration first.
    pub async fn spawn_configured(configure: impl FnOnce(&mut Config)) -> TestApp {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), data_dir.clone());
        configure(&mut config);
        Self::start_with(config, Some(temp), None).await
    }

    async fn start(data_dir: PathBuf, temp: Option<tempfile::TempDir>, postgres: Option<PostgresDatabase>) -> TestApp {
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), data_dir.clone());
        config.database_url = postgres.as_ref().map(|db| db.url.clone());
        Self::start_with(config, temp, postgres).await
    }

    async fn start_with(mut config: Config, temp: Option<tempfile::TempDir>, postgres: Option<PostgresDatabase>) -> TestApp {
        portico::telemetry::init();
        // A value a page reads that its handler left out fails the story.
        config.strict_templates = true;
        // Pages say how many statements they ran, for the stories that count them.
        config.count_statements = true;
        let data_dir = config.data_dir.clone();
        let server = RunningServer::start(config.clone()).await.expect("server starts");
        let links = portico::demo::ensure_inspection_demo(&server.state, &data_dir).await.expect("demo data");
        TestApp { server, links, data_dir, config, _temp: temp, postgres }
    }

    /// Stop the server (finishing in-flight requests) and start a new one on
    /// the same data directory and database, as after a deploy.
    pub async fn restart(self) -> TestApp {
        let TestApp { server, config, _temp, postgres, .. } = self;
        let db = server.state.db.clone();
        server.stop().await.expect("server stops");
        db.close().await;
        Self::start_with(config, _temp, postgres).await
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url)
    }

    /// The demo tenant's id.
    pub async fn demo_tenant_id(&self) -> TenantId {
        self.server.state.db.tenant_by_slug("keystone").await.unwrap().expect("demo tenant").id
    }

    /// The newest message queued to `to` by the demo business (or `tenant_id`),
    /// if any: (template, its data, the rendered message).
    pub async fn last_mail_to(&self, tenant_id: &TenantId, to: &str) -> Option<Mail> {
        let db = &self.server.state.db;
        let message = db.tenant(tenant_id).outbox_to(to).await.unwrap().into_iter().next()?;
        let rendered = portico_services::mail::render_for_tenant(db, tenant_id, &message.template, &message.data_json, message.section_name.as_deref()).await.unwrap();
        let data = serde_json::from_str(&message.data_json).unwrap();
        Some(Mail {
            template: message.template,
            data,
            subject: rendered.subject,
            body: rendered.body,
            html: rendered.html,
            sender_name: rendered.sender_name,
            reply_to: rendered.reply_to,
            unsubscribe: rendered.unsubscribe,
        })
    }

    /// Run one SQL statement on the app's database by hand, as time passing
    /// would (an estimate's last day gone by while a page is open).
    pub async fn run_sql(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.config.database_url()).await.expect("the app's database");
        sqlx::query(sql).execute(&pool).await.expect("the statement runs");
        pool.close().await;
    }

    /// How many messages were queued to `to` by `tenant_id`.
    pub async fn mail_count(&self, tenant_id: &TenantId, to: &str) -> usize {
        self.server.state.db.tenant(tenant_id).outbox_to(to).await.unwrap().len()
    }

    /// A visitor signed in to the staff console as `email`.
    pub async fn staff(&self, email: &str, password: &str) -> Visitor {
        let visitor = Visitor::new();
        let form = visitor.get(&self.url("/staff/login")).await;
        let csrf = form.hidden("csrf").expect("the sign-in form has a CSRF token");
        let home = visitor.post(&self.url("/staff/login"), &[("csrf", &csrf), ("email", email), ("password", password)]).await;
        assert_eq!(home.status, 200, "{email} signs in: {}", home.text());
        visitor
    }

    /// The demo owner, signed in.
    pub async fn owner(&self) -> Visitor {
        self.staff(&self.links.staff.email, &self.links.staff.password).await
    }

    /// Add a member to the demo business's staff with a known password.
    pub async fn add_staff(&self, email: &str, name: &str, role: &str, password: &str) -> String {
        let tenant = self.demo_tenant_id().await;
        let hash = portico_core::passwords::hash(password).unwrap();
        let role = role.parse().expect("owner, office or employee");
        self.server.state.db.tenant(&tenant).create_staff_user(email, name, role, &hash).await.unwrap()
    }

    /// The demo job and its invoice: (job id, invoice id).
    pub async fn demo_invoice(&self) -> (portico_core::ids::JobId, String) {
        let tenant = self.demo_tenant_id().await;
        let db = &self.server.state.db;
        let job = db.tenant(&tenant).jobs(10).await.unwrap().into_iter().next().expect("the demo job");
        let (invoice, _) = db.tenant(&tenant).invoices(&job.id).await.unwrap().into_iter().next().expect("the demo invoice");
        (job.id, invoice.id)
    }

    /// Pay the demo invoice as `client` through the labelled test provider;
    /// returns the page they land on.
    pub async fn pay_demo_invoice(&self, client: &Visitor) -> Page {
        let (_, invoice_id) = self.demo_invoice().await;
        let page = client.get(&self.links.client).await;
        let checkout = client.act(&page, "payments", "pay", &format!("pay-{invoice_id}"), &[]).await;
        let csrf = checkout.hidden("csrf").expect("the test checkout page");
        client.post(&checkout.url, &[("csrf", &csrf), ("outcome", "pay")]).await
    }

    /// Release the demo's reports as soon as they are published, for stories
    /// about something else than the release rule.
    pub async fn release_reports_on_publish(&self) {
        release_reports_on_publish(&self.server.state.db).await
    }

    /// How many audit entries of the demo business have `action`.
    pub async fn audit_count(&self, action: &str) -> usize {
        let tenant = self.demo_tenant_id().await;
        self.server.state.db.tenant(&tenant).audit_log(1000).await.unwrap().iter().filter(|e| e.action == action).count()
    }

    /// A second business with a job and a client; returns the client's link.
    pub async fn other_tenant_client_link(&self) -> String {
        let db = &self.server.state.db;
        let tenant = db
            .create_tenant(&portico_data::NewTenant {
                slug: "brightside",
                name: "Brightside Cleaning",
                timezone: "UTC",
                welcome_text: "",
                support_email: None,
                support_phone: None,
            })
            .await
            .unwrap();
        let property = db.tenant(&tenant.id).create_property("9 Harbor Road", "Portsmouth", "NH", "03801").await.unwrap();
        let job = db.tenant(&tenant.id).create_job(&property, "CLN-7").await.unwrap();
        let contact = db.tenant(&tenant.id).create_contact("Lee Park", Some("lee@example.com"), None).await.unwrap();
        let token = new_token();
        db.tenant(&tenant.id).add_job_contact(&job, &contact, Role::Client, &hash_token(&token), None).await.unwrap();
        self.server.state.sections.install_builtins_for(&tenant.id).await.unwrap();
        self.url(&format!("/p/{token}"))
    }
}

/// Release the demo business's reports as soon as they are published.
pub async fn release_reports_on_publish(db: &portico_data::Db) {
    let tenant = db.tenant_by_slug("keystone").await.unwrap().expect("demo tenant").id;
    let settings = portico_data::AgreementSettings { esign_consent: None, report_release: portico_core::model::ReleaseRule::OnPublish, summary_while_held: true };
    db.tenant(&tenant).set_agreement_settings(&settings).await.unwrap();
}

/// Two instances on one PostgreSQL database and one shared files directory,
/// each with its own data directory (and so its own compiled-plugin cache),
/// as behind a load balancer.
pub struct TestCluster {
    pub first: RunningServer,
    pub second: RunningServer,
    /// The demo's links, pointing at the first instance.
    pub links: DemoLinks,
    pub data_dirs: [PathBuf; 2],
    _temps: Vec<tempfile::TempDir>,
    _postgres: PostgresDatabase,
}

impl TestCluster {
    /// `None` (saying so) when PORTICO_TEST_POSTGRES_URL is not set.
    pub async fn spawn() -> Option<TestCluster> {
        Self::spawn_configured(|_| {}).await
    }

    /// The same, with `configure` applied to both instances' configuration.
    pub async fn spawn_configured(configure: impl Fn(&mut Config)) -> Option<TestCluster> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("SKIPPED several instances: {POSTGRES_URL_VAR} is not set");
            return None;
        };
        portico::telemetry::init();
        let postgres = PostgresDatabase::create(&admin_url).await;
        let temps: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("temp dir")).collect();
        let config = |data_dir: &std::path::Path| {
            let mut config = Config::new("127.0.0.1:0".parse().unwrap(), data_dir.to_path_buf());
            config.database_url = Some(postgres.url.clone());
            config.files = Some(temps[2].path().display().to_string());
            config.strict_templates = true;
            configure(&mut config);
            config
        };
        let first = RunningServer::start(config(temps[0].path())).await.expect("first instance starts");
        let second = RunningServer::start(config(temps[1].path())).await.expect("second instance starts");
        let links = portico::demo::ensure_inspection_demo(&first.state, temps[0].path()).await.expect("demo data");
        let data_dirs = [temps[0].path().to_path_buf(), temps[1].path().to_path_buf()];
        Some(TestCluster { first, second, links, data_dirs, _temps: temps, _postgres: postgres })
    }

    /// `url` of the first instance, addressed to the second.
    pub fn on_second(&self, url: &str) -> String {
        url.replace(&self.first.base_url, &self.second.base_url)
    }
}

/// A message in the outbox, rendered as it will be sent.
#[derive(Debug)]
pub struct Mail {
    pub template: String,
    pub data: serde_json::Value,
    pub subject: String,
    pub body: String,
    /// The HTML part sent beside the text.
    pub html: Option<String>,
    /// The sender's display name (the business).
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    /// A notification's page of choices (the List-Unsubscribe address).
    pub unsubscribe: Option<String>,
}

impl Mail {
    /// The first link in the body.
    pub fn link(&self) -> String {
        self.body
            .split_whitespace()
            .find(|word| word.starts_with("http://") || word.starts_with("https://"))
            .expect("the message has a link")
            .to_string()
    }
}

/// What a visitor saw.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
    /// How many SQL statements the server ran for this page (the last
    /// response, after redirects).
    pub statements: Option<u32>,
    /// How many of those went to another thread ([`portico_data::Counted`]).
    pub thread_hops: Option<u32>,
}

impl Page {
    /// The page's text with tags removed and whitespace collapsed, for
    /// assertions that read like what a person sees.
    pub fn text(&self) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        decode_entities(&text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The value of the first hidden input called `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_string())
    }

    /// The whole tag of the first form control called `name` (`<input …>`,
    /// `<textarea …>`, `<select …>`), to check its attributes.
    pub fn control(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!(" name=\"{name}\""))?;
        let start = self.body[..at].rfind('<')?;
        let end = at + self.body[at..].find('>')?;
        Some(self.body[start..=end].to_string())
    }

    /// The text of the element with id `id` (one that holds no element of
    /// its own kind), such as the message an `aria-describedby` points to.
    pub fn text_of(&self, id: &str) -> Option<String> {
        let at = self.body.find(&format!(" id=\"{id}\""))?;
        let open = self.body[..at].rfind('<')?;
        let tag: String = self.body[open + 1..].chars().take_while(char::is_ascii_alphanumeric).collect();
        let start = at + self.body[at..].find('>')? + 1;
        let end = start + self.body[start..].find(&format!("</{tag}>"))?;
        let inner = &self.body[start..end];
        // Drop tags inside (a visually hidden "Error:" prefix).
        let page = Page { status: 200, url: String::new(), body: inner.to_string(), statements: None, thread_hops: None };
        Some(page.text())
    }

    /// The first link whose address contains `fragment`.
    pub fn href_containing(&self, fragment: &str) -> Option<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .map(decode_entities)
            .find(|href| href.contains(fragment))
    }

    /// The action of the first form posting to a path containing `fragment`.
    pub fn action_containing(&self, fragment: &str) -> Option<String> {
        self.body
            .split("action=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .map(decode_entities)
            .find(|action| action.contains(fragment))
    }

    /// The CSRF token of the form posting to `action`.
    pub fn csrf_for(&self, action: &str) -> Option<String> {
        let start = self.body.find(&format!("action=\"{action}\""))?;
        let marker = "name=\"csrf\" value=\"";
        let from = start + self.body[start..].find(marker)? + marker.len();
        let end = self.body[from..].find('"')?;
        Some(self.body[from..from + end].to_string())
    }

    /// The path of the job page this visitor is on (`/jobs/{id}`).
    pub fn job_path(&self) -> String {
        let start = self.url.find("/jobs/").expect("on a job page");
        let path = &self.url[start..];
        path.split(['?', '#']).next().unwrap().to_string()
    }
}

/// Undo the escaping the templates apply, as a browser does.
fn decode_entities(text: &str) -> String {
    [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#x27;", "'"), ("&#x3D;", "="), ("&#x60;", "`"), ("&amp;", "&")]
        .iter()
        .fold(text.to_string(), |text, (entity, plain)| text.replace(entity, plain))
}

/// Someone with a browser: keeps cookies, follows redirects.
pub struct Visitor {
    http: reqwest::Client,
}

impl Default for Visitor {
    fn default() -> Self {
        Self::new()
    }
}

impl Visitor {
    pub fn new() -> Visitor {
        Visitor {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .user_agent("PorticoTest/1.0 (story)")
                .build()
                .expect("http client"),
        }
    }

    /// A visitor whose every request carries `name: value` (a proxy's
    /// `X-Forwarded-For`, a browser's own `User-Agent`).
    pub fn with_header(name: &str, value: &str) -> Visitor {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        Visitor {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .user_agent("PorticoTest/1.0 (story)")
                .default_headers(headers)
                .build()
                .expect("http client"),
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        let response = self.http.get(url).send().await.expect("GET answered");
        Self::page(response).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        let response = self.http.post(url).form(form).send().await.expect("POST answered");
        Self::page(response).await
    }

    async fn page(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let url = response.url().to_string();
        let count = |header: &str| response.headers().get(header).map(|value| value.to_str().unwrap().parse().unwrap());
        let (statements, thread_hops) = (count(portico_web::app::STATEMENTS_HEADER), count(portico_web::app::THREAD_HOPS_HEADER));
        let body = response.text().await.expect("body");
        Page { status, url, body, statements, thread_hops }
    }

    /// Upload `bytes` as the file field `field` of a multipart form, with `csrf`.
    pub async fn upload(&self, url: &str, csrf: &str, field: &str, file_name: &str, bytes: Vec<u8>) -> Page {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .part(field.to_string(), reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()));
        self.upload_form(url, form).await
    }

    /// GET `url` for its bytes (a file, not a page): status, content type and body.
    pub async fn get_raw(&self, url: &str) -> (u16, String, Vec<u8>) {
        let response = self.http.get(url).send().await.expect("the server answered");
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (status, content_type, response.bytes().await.expect("a body").to_vec())
    }

    /// Post a multipart form.
    pub async fn upload_form(&self, url: &str, form: reqwest::multipart::Form) -> Page {
        let response = self.http.post(url).multipart(form).send().await.expect("upload answered");
        Self::page(response).await
    }

    /// Choose `action` on a card of `page`, submitting the page's CSRF token and `fields`.
    pub async fn act(&self, page: &Page, plugin: &str, card: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let base = page.url.split("/jobs/").next().unwrap().to_string();
        self.act_at(page, &format!("{base}{}/actions", page.job_path()), plugin, card, action, fields).await
    }

    /// Choose `action` on a card of `page` posting to `url` (the account
    /// hub's or the console's actions), with the page's CSRF token and `fields`.
    pub async fn act_at(&self, page: &Page, url: &str, plugin: &str, card: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = page.hidden("_portico_csrf").expect("the page has a form with a CSRF token");
        let mut form = vec![
            ("_portico_csrf", csrf.as_str()),
            ("_portico_plugin", plugin),
            ("_portico_card", card),
            ("_portico_action", action),
        ];
        form.extend_from_slice(fields);
        self.post(url, &form).await
    }

    /// The job's Agreements page (`?tab=agreements`) of the job `page` is
    /// about: where the full text and the signing form are.
    pub async fn agreements(&self, page: &Page) -> Page {
        let base = page.url.split("/jobs/").next().unwrap().to_string();
        self.get(&format!("{base}{}?tab=agreements", page.job_path())).await
    }

    /// Sign the agreement this visitor owes as `name`, ticking the consent
    /// box, with the version they read. From the dashboard that is a person's
    /// way: "Read and sign" opens the Agreements page, and they sign there.
    pub async fn sign(&self, page: &Page, name: &str) -> Page {
        let reading = match page.hidden("agreement") {
            Some(_) => None,
            None => {
                assert!(page.href_containing("?tab=agreements").is_some(), "the page links to the agreements: {}", page.text());
                Some(self.agreements(page).await)
            }
        };
        let page = reading.as_ref().unwrap_or(page);
        let agreement = page.hidden("agreement").expect("the page asks for a signature");
        let version = page.hidden("version").expect("the signing form carries the version read");
        let fields = [("agreement", agreement.as_str()), ("version", version.as_str()), ("full_name", name), ("consent", "on"), ("_portico_tab", "agreements")];
        self.act(page, "agreements", "read-and-sign", "sign", &fields).await
    }
}
