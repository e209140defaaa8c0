//! What a plugin call and a whole portal page cost.
//!
//! `cargo bench -p portico --bench plugin_calls` prints, for the demo job:
//! - the database query behind the `reports` section's host call, in µs;
//! - one plugin call: a fresh store and instance of the `reports` section plus
//!   its `render` (with its host calls), in microseconds; then the same call
//!   in a page render, its host calls answered from the render's snapshot;
//! - one portal page: `GET /jobs/{id}` through the router, composing its
//!   sections, in milliseconds;
//! - the same calls and page with the sections built for the host and called
//!   natively, through the same host functions (`Sections::run_natively`).

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use portico_web::app::{router, Config, RunningServer};
use portico_core::model::RequestOrigin;
use portico_sections::{Audience, Invocation, ViewerIdentity};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const ITERATIONS: usize = 300;

fn summarize(name: &str, unit: &str, scale: f64, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * scale;
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64 * scale;
    println!(
        "{name:<32} n={:<5} mean={mean:>9.1}{unit}  p50={:>9.1}{unit}  p95={:>9.1}{unit}  max={:>9.1}{unit}",
        samples.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let server = RunningServer::start(Config::new("127.0.0.1:0".parse()?, data.path().to_path_buf())).await?;
    let links = portico::demo::ensure_inspection_demo(&server.state, data.path()).await?;
    let state = server.state.clone();
    let tenant = state.db.tenant_by_slug("keystone").await?.expect("demo tenant");

    // One plugin call.
    let client_token = links.client.rsplit('/').next().expect("a token at the end of the link");
    let holder = state.db.find_link_holder(&portico_core::tokens::hash_token(client_token)).await?.expect("the demo link works");
    let job_id = holder.job_contact.job_id;
    let audience = Audience {
        tenant_id: tenant.id.clone(),
        surface: portico_sections::Surface::JobPage,
        job_id: Some(job_id.clone()),
        viewer: ViewerIdentity {
            role: portico_core::model::Role::Client,
            contact_id: None,
            job_contact_id: None,
            display_name: "Bench".into(),
            verified: true,
            proven_email: None,
            staff: None,
        },
        origin: RequestOrigin::default(),
        preview: false,
        memo: None,
    };
    // The one query the reports section's host call makes.
    let mut samples = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        state.db.tenant(&tenant.id).documents(&job_id, "report").await?;
        samples.push(started.elapsed());
    }
    summarize("documents query (host call)", "µs", 1e6, samples);

    // One whole page, as the client.
    let app = router(state.clone());
    let peer: SocketAddr = "127.0.0.1:40000".parse()?;
    let request = |uri: &str, cookie: Option<&str>| {
        let mut builder = Request::get(uri);
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let mut request = builder.body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };
    let token_path = format!("/p/{client_token}");
    let opened = app.clone().oneshot(request(&token_path, None)).await?;
    let cookie = opened.headers()[header::SET_COOKIE].to_str()?.split(';').next().unwrap().to_string();
    let page = format!("/jobs/{job_id}");
    // Each measured with the sections in their sandbox, then built for the
    // host and called natively (no wasm): what the sandbox costs.
    let mut native = None;
    for backend in ["", ", native"] {
        if !backend.is_empty() {
            native = Some(state.sections.run_natively(&portico_native_sections::all()).map_err(anyhow::Error::msg)?);
        }
        let sections = state.sections.active(&tenant.id).await?;
        let reports = sections.iter().find(|s| s.plugin.id() == "reports").expect("reports installed").clone();
        let mut samples = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let ctx = state.sections.context(&reports, &audience, &tenant);
            let started = Instant::now();
            state.sections.call(&reports, &audience, Invocation::Render(ctx)).await.expect("render works");
            samples.push(started.elapsed());
        }
        summarize(&format!("plugin call (instantiate+render){backend}"), "µs", 1e6, samples);

        // The same call inside a page render whose snapshot holds what the
        // section reads: the sandbox's own cost, with host calls answered from memory.
        let memo = std::sync::Arc::new(portico_sections::RenderMemo::new(&state.db, &tenant));
        memo.db().tenant(&tenant.id).prefetch_job(&job_id).await?;
        let in_render = Audience { memo: Some(memo), ..audience.clone() };
        let mut samples = Vec::with_capacity(ITERATIONS);
        for _ in 0..=ITERATIONS {
            let ctx = state.sections.context(&reports, &in_render, &tenant);
            let started = Instant::now();
            state.sections.call(&reports, &in_render, Invocation::Render(ctx)).await.expect("render works");
            samples.push(started.elapsed());
        }
        samples.remove(0); // the first call filled the snapshot
        summarize(&format!("plugin call from a snapshot{backend}"), "µs", 1e6, samples);

        let mut samples = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let started = Instant::now();
            let response = app.clone().oneshot(request(&page, Some(&cookie))).await?;
            assert_eq!(response.status(), StatusCode::OK);
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            samples.push(started.elapsed());
        }
        summarize(&format!("portal page ({} sections){backend}", sections.len()), "ms", 1e3, samples);
    }
    println!("({} sections ran natively)", native.map(|ids| ids.len()).unwrap_or(0));
    server.stop().await
}
