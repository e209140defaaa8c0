//! Test support: start Portico in-process on a free port with the demo data,
//! and drive it as a person with a browser would (cookies, forms, redirects).

use portico::app::{Config, RunningServer};
use portico::demo::DemoLinks;
use portico::model::Role;
use portico::tokens::{hash_token, new_token};
use std::path::PathBuf;

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

/// A running Portico with the demo business.
pub struct TestApp {
    pub server: RunningServer,
    pub links: DemoLinks,
    data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl TestApp {
    /// Start on 127.0.0.1:0 in a fresh data directory, with the demo data.
    pub async fn spawn() -> TestApp {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        Self::start(data_dir, Some(temp)).await
    }

    async fn start(data_dir: PathBuf, temp: Option<tempfile::TempDir>) -> TestApp {
        portico::telemetry::init();
        let config = Config::new("127.0.0.1:0".parse().unwrap(), data_dir.clone());
        let server = RunningServer::start(config).await.expect("server starts");
        let links = portico::demo::ensure_demo(&server.state, &data_dir).await.expect("demo data");
        TestApp { server, links, data_dir, _temp: temp }
    }

    /// Stop the server (finishing in-flight requests) and start a new one on
    /// the same data directory, as after a deploy.
    pub async fn restart(self) -> TestApp {
        let TestApp { server, data_dir, _temp, .. } = self;
        server.stop().await.expect("server stops");
        Self::start(data_dir, _temp).await
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url)
    }

    /// The demo tenant's id.
    pub async fn demo_tenant_id(&self) -> String {
        self.server.state.db.tenant_by_slug("keystone").await.unwrap().expect("demo tenant").id
    }

    /// A second business with a job and a client; returns the client's link.
    pub async fn other_tenant_client_link(&self) -> String {
        let db = &self.server.state.db;
        let tenant = db
            .create_tenant(&portico::db::NewTenant {
                slug: "brightside",
                name: "Brightside Cleaning",
                timezone: "UTC",
                welcome_text: "",
                support_email: None,
                support_phone: None,
            })
            .await
            .unwrap();
        let property = db.create_property(&tenant.id, "9 Harbor Road", "Portsmouth", "NH", "03801").await.unwrap();
        let job = db.create_job(&tenant.id, &property, "CLN-7").await.unwrap();
        let contact = db.create_contact(&tenant.id, "Lee Park", Some("lee@example.com"), None).await.unwrap();
        let token = new_token();
        db.add_job_contact(&tenant.id, &job, &contact, Role::Client, &hash_token(&token), None).await.unwrap();
        self.server.state.sections.install_builtins_for(&tenant.id).await.unwrap();
        self.url(&format!("/p/{token}"))
    }
}

/// What a visitor saw.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
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

    /// The first link whose address contains `fragment`.
    pub fn href_containing(&self, fragment: &str) -> Option<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .map(decode_entities)
            .find(|href| href.contains(fragment))
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
        let body = response.text().await.expect("body");
        Page { status, url, body }
    }

    /// Choose `action` on a card of `page`, submitting the page's CSRF token and `fields`.
    pub async fn act(&self, page: &Page, plugin: &str, card: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = page.hidden("_portico_csrf").expect("the page has a form with a CSRF token");
        let mut form = vec![
            ("_portico_csrf", csrf.as_str()),
            ("_portico_plugin", plugin),
            ("_portico_card", card),
            ("_portico_action", action),
        ];
        form.extend_from_slice(fields);
        let base = page.url.split("/jobs/").next().unwrap().to_string();
        self.post(&format!("{base}{}/actions", page.job_path()), &form).await
    }
}
