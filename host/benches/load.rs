//! The client's job page under load.
//!
//! `cargo bench -p portico --bench load` serves the demo (in this process, on
//! a free port), signs in as the demo's client with her personal link, and
//! drives her job page over N keep-alive HTTP/1.1 connections for a while.
//! For each N it prints pages/s, latency percentiles, errors, the SQL
//! statements each page ran (the server's `X-Portico-Statements`), and the
//! process's resident memory; then the time a restart takes with the
//! sections already compiled. It runs on SQLite, then on PostgreSQL when
//! `PORTICO_BENCH_POSTGRES_URL` names a server it may create a database on
//! (the database is dropped afterwards). Last, on a fresh demo for each
//! database, it drives the page with its sections in their sandbox and
//! then built for the host and called natively (no wasm:
//! `Sections::run_natively`), at each N one after the other, and prints
//! how many pages the wasm sections serve of the native ones'.
//!
//! Settings (environment):
//! - `PORTICO_BENCH_CONNECTIONS`: comma-separated connection counts (`4,64`);
//! - `PORTICO_BENCH_SECONDS`: how long each run drives the page (10);
//! - `PORTICO_BENCH_POSTGRES_URL`: as above;
//! - `PORTICO_DATABASE_CONNECTIONS`: the server's database connections, as
//!   for `portico serve` (8);
//! - `PORTICO_BENCH_GROWTH`: `BUSINESSES,JOBS` (`10000,1000000`) adds the
//!   growth run on PostgreSQL: after the runs above it drives the demo's
//!   page once more (the baseline), seeds that many businesses and jobs
//!   beside the demo (`portico seed-growth`), then drives
//!   the demo's page again, a seeded business's job page, pages of 1,000
//!   businesses at once (resident memory with 1,000 tenants' sections), and
//!   the listing pages (the agent's account, the API's job list page by
//!   page, the staff console's job list) of a seeded business.
//!
//! The load comes from this process, sharing the machine's cores with the
//! server, as a load generator on the same machine would.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderName, AUTHORIZATION, COOKIE};
use portico_web::app::{Config, RunningServer, STATEMENTS_HEADER};
use std::net::SocketAddr;
use std::slice;
use std::time::{Duration, Instant};

/// A page and who asks for it (a session cookie or an API key).
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    path: String,
    auth: (HeaderName, String),
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    statements: Vec<u32>,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    // As the server's own `main` does. SAFETY: nothing has opened a
    // database yet, so no thread uses SQLite.
    unsafe { portico_data::sqlite_without_memory_statistics() };
    let connections: Vec<usize> = std::env::var("PORTICO_BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "4,64".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let seconds: u64 = std::env::var("PORTICO_BENCH_SECONDS").ok().map(|s| s.parse()).transpose()?.unwrap_or(10);

    let growth = match std::env::var("PORTICO_BENCH_GROWTH") {
        Ok(plan) => {
            let (businesses, jobs) = plan.split_once(',').ok_or_else(|| anyhow::anyhow!("PORTICO_BENCH_GROWTH is BUSINESSES,JOBS"))?;
            let businesses: u32 = businesses.trim().parse()?;
            let jobs: u64 = jobs.trim().parse()?;
            anyhow::ensure!(businesses > 0 && jobs >= u64::from(businesses), "PORTICO_BENCH_GROWTH needs a job or more per business");
            Some(portico_data::GrowthPlan { businesses, jobs_per_business: u32::try_from(jobs / u64::from(businesses))? })
        }
        Err(_) => None,
    };

    bench("SQLite", None, &connections, seconds, None).await?;
    match std::env::var("PORTICO_BENCH_POSTGRES_URL") {
        Ok(admin_url) => {
            let database = ScratchDatabase::create(&admin_url).await?;
            let outcome = bench("PostgreSQL", Some(database.url.clone()), &connections, seconds, growth).await;
            database.drop().await?;
            outcome?;
        }
        Err(_) => println!("PostgreSQL: skipped (set PORTICO_BENCH_POSTGRES_URL to run it)"),
    }
    // Last, since native calls leave the process bigger (threads that
    // blocked in place keep their memory) and resident memory is the
    // process's: the same page with its sections native.
    against_native("SQLite", None, &connections, seconds).await?;
    if let Ok(admin_url) = std::env::var("PORTICO_BENCH_POSTGRES_URL") {
        let database = ScratchDatabase::create(&admin_url).await?;
        let outcome = against_native("PostgreSQL", Some(database.url.clone()), &connections, seconds).await;
        database.drop().await?;
        outcome?;
    }
    Ok(())
}

/// The demo served on a fresh data directory (and `database_url`), the
/// client signed in.
struct Demo {
    _data: tempfile::TempDir,
    config: Config,
    server: RunningServer,
    links: portico::demo::DemoLinks,
    client: Target,
    start_up: Duration,
}

async fn serve_demo(database_url: Option<String>) -> anyhow::Result<Demo> {
    let data = tempfile::tempdir()?;
    let mut config = Config::new("127.0.0.1:0".parse()?, data.path().to_path_buf());
    config.database_url = database_url;
    if let Ok(connections) = std::env::var("PORTICO_DATABASE_CONNECTIONS") {
        config.database_connections = connections.parse()?;
    }
    config.count_statements = true;
    let started = Instant::now();
    let server = RunningServer::start(config.clone()).await?;
    let start_up = started.elapsed();
    let links = portico::demo::ensure_inspection_demo(&server.state, data.path()).await?;
    let client = sign_in(server.addr, &links.client).await?;
    // Warm up: compiled code, the pool's connections, SQLite's page cache.
    drive(slice::from_ref(&client), 4, Duration::from_secs(1)).await?;
    Ok(Demo { _data: data, config, server, links, client, start_up })
}

/// The client's page with its sections in their sandbox and built for the
/// host (`Sections::run_natively`), one after the other at each number of
/// connections, and how many pages the first serve of the second's.
async fn against_native(backend: &str, database_url: Option<String>, connections: &[usize], seconds: u64) -> anyhow::Result<()> {
    let demo = serve_demo(database_url).await?;
    let sections = &demo.server.state.sections;
    println!("{backend}: the same page, wasm sections against the same sections built for the host (no wasm):");
    for &n in connections {
        sections.run_in_wasm();
        let (wasm, _) = measure(&format!("{n:>3} connections, wasm  "), seconds, drive(slice::from_ref(&demo.client), n, Duration::from_secs(seconds)).await?);
        let natives = sections.run_natively(&portico_native_sections::all()).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(!natives.is_empty(), "no section runs natively");
        let (native, _) = measure(&format!("{n:>3} connections, native"), seconds, drive(slice::from_ref(&demo.client), n, Duration::from_secs(seconds)).await?);
        println!("  {n:>3} connections: wasm sections serve {:.0} % of the pages native ones do", wasm / native * 100.0);
    }
    demo.server.stop().await
}

async fn bench(backend: &str, database_url: Option<String>, connections: &[usize], seconds: u64, growth: Option<portico_data::GrowthPlan>) -> anyhow::Result<()> {
    let Demo { _data, config, server, links, client: target, start_up } = serve_demo(database_url).await?;
    println!(
        "{backend}: the client's job page ({}), {} sections; server start-up {:.0} ms",
        target.path,
        server.state.sections.active(&server.state.db.tenant_by_slug("keystone").await?.expect("demo tenant").id).await?.len(),
        start_up.as_secs_f64() * 1e3
    );
    for &n in connections {
        let tally = drive(std::slice::from_ref(&target), n, Duration::from_secs(seconds)).await?;
        report(&format!("{n:>3} connections"), seconds, tally);
    }
    if let Some(plan) = growth {
        grown(&server, &target, &links, plan, connections, seconds).await?;
    }
    // A restart finds the sections compiled in the data directory.
    server.stop().await?;
    let started = Instant::now();
    let server = RunningServer::start(config).await?;
    println!("  start-up again, sections from the compiled cache: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    server.stop().await
}

/// The growth run: seed the large data set beside the demo, then measure
/// the same page on it, many businesses at once, and the listing pages.
async fn grown(
    server: &RunningServer,
    demo: &Target,
    links: &portico::demo::DemoLinks,
    plan: portico_data::GrowthPlan,
    connections: &[usize],
    seconds: u64,
) -> anyhow::Result<()> {
    let db = &server.state.db;
    let length = Duration::from_secs(seconds);
    let template = db.tenant_by_slug(portico::demo::SLUG).await?.expect("demo tenant");
    // The small set's p50 measured again just before seeding, as the runs
    // after it will be: runs minutes apart differ by more than the target's
    // fifth, so the baseline is the nearest one.
    let n = connections[0];
    let small_p50 = report(&format!("{n:>3} connections, the demo's job page before seeding"), seconds, drive(slice::from_ref(demo), n, length).await?);
    let started = Instant::now();
    let grown = portico::growth::seed(db, &template.id, plan).await?;
    println!(
        "  growth: {} businesses with {} jobs each ({} jobs) seeded in {:.0} s",
        grown.businesses,
        plan.jobs_per_business,
        grown.jobs,
        started.elapsed().as_secs_f64()
    );

    // The job page on the large set, against the same page on the small one.
    let demo_p50 = report(&format!("{n:>3} connections, the demo's job page"), seconds, drive(slice::from_ref(demo), n, length).await?);
    let (client, _) = portico::growth::newest_job_links(db, plan.businesses / 2).await?;
    let seeded = sign_in(server.addr, &client).await?;
    drive(slice::from_ref(&seeded), n, Duration::from_secs(1)).await?;
    let seeded_p50 = report(&format!("{n:>3} connections, a seeded business's job page"), seconds, drive(slice::from_ref(&seeded), n, length).await?);
    println!(
        "  job page p50, large set / small set: {:.2} (the demo's), {:.2} (a seeded business's); target at most 1.20",
        demo_p50 / small_p50,
        seeded_p50 / small_p50
    );

    // A thousand businesses' pages at once: each runs its own sections.
    let many = plan.businesses.min(1000);
    let mut targets = Vec::new();
    for k in 0..many {
        let (client, _) = portico::growth::newest_job_links(db, k * (plan.businesses / many)).await?;
        targets.push(sign_in(server.addr, &client).await?);
    }
    let most = connections.iter().copied().max().unwrap_or(64);
    drive(&targets, most, Duration::from_secs(2)).await?;
    report(&format!("{most:>3} connections, {many} businesses' job pages"), seconds, drive(&targets, most, length).await?);

    // The listing pages of a seeded business, one connection each (its
    // links are issued again: the run above replaced them).
    let (_, agent) = portico::growth::newest_job_links(db, plan.businesses / 2).await?;
    let agent = sign_in(server.addr, &agent).await?;
    let account = Target { path: "/account".into(), ..agent };
    report("  1 connection, the agent's account (every job of the business)", seconds, drive(slice::from_ref(&account), 1, length).await?);
    let api = api_pages(server, plan).await?;
    report(&format!("  1 connection, the API's job list, {} pages by cursor", api.len()), seconds, drive(&api, 1, length).await?);
    let console = staff_console(server.addr, &portico_data::growth_slug(plan.businesses / 2), &links.staff.password).await?;
    report("  1 connection, the staff console's job list", seconds, drive(slice::from_ref(&console), 1, length).await?);
    Ok(())
}

/// Every page of a seeded business's job list in the API, 25 jobs a page,
/// each by the cursor the page before gave.
async fn api_pages(server: &RunningServer, plan: portico_data::GrowthPlan) -> anyhow::Result<Vec<Target>> {
    let db = &server.state.db;
    let tenant = db.tenant_by_slug(&portico_data::growth_slug(plan.businesses / 2)).await?.expect("a seeded business");
    let owner = db.tenant(&tenant.id).staff_users().await?.into_iter().next().expect("a seeded owner");
    let (key, prefix) = portico_core::api_keys::new_key();
    db.tenant(&tenant.id).create_api_key("Benchmark", &prefix, &portico_core::tokens::hash_token(&key), "jobs:read", &owner.id).await?;
    let auth = (AUTHORIZATION, format!("Bearer {key}"));
    let mut pages = vec![Target { addr: server.addr, path: "/api/v1/jobs?limit=25".into(), auth: auth.clone() }];
    loop {
        let last = pages.last().expect("a page");
        let (parts, body) = fetch(server.addr, request(server.addr, &last.path, Some(&auth))?).await?;
        anyhow::ensure!(parts.status.is_success(), "{} answered {}: {body}", last.path, parts.status);
        let page: serde_json::Value = serde_json::from_str(&body)?;
        match page["next_cursor"].as_str() {
            Some(cursor) => pages.push(Target { addr: server.addr, path: format!("/api/v1/jobs?limit=25&cursor={cursor}"), auth: auth.clone() }),
            None => return Ok(pages),
        }
    }
}

/// The staff console's home (the job list) as a seeded business's owner,
/// signed in through the form as a person would.
async fn staff_console(addr: SocketAddr, slug: &str, password: &str) -> anyhow::Result<Target> {
    let (form, page) = fetch(addr, request(addr, "/staff/login", None)?).await?;
    let cookie = cookies(&hyper::Response::from_parts(form, ()));
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the sign-in form's token");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &format!("owner@{slug}.example"))
        .append_pair("password", password)
        .append_pair("csrf", csrf)
        .finish();
    let login = hyper::Request::post("/staff/login")
        .header(hyper::header::HOST, addr.to_string())
        .header(COOKIE, cookie)
        .header(hyper::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))?;
    let (signed_in, answer) = fetch(addr, login).await?;
    let session = cookies(&hyper::Response::from_parts(signed_in.clone(), ()));
    anyhow::ensure!(signed_in.status.is_redirection() && session.contains('='), "the staff sign-in answered {}: {answer}", signed_in.status);
    Ok(Target { addr, path: "/staff".into(), auth: (COOKIE, session) })
}

/// Open the personal link and keep the session cookie and the page it leads to.
async fn sign_in(addr: SocketAddr, link: &str) -> anyhow::Result<Target> {
    let path = match link.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|at| rest[at..].to_string()).expect("a link with a path"),
        None => link.to_string(),
    };
    let mut sender = connect(addr).await?;
    let response = sender.send_request(request(addr, &path, None)?).await?;
    let cookie = cookies(&response);
    anyhow::ensure!(!cookie.is_empty(), "the link {path} started no session ({})", response.status());
    let page = response.headers().get(hyper::header::LOCATION).expect("the link leads to the job").to_str()?.to_string();
    Ok(Target { addr, path: page, auth: (COOKIE, cookie) })
}

/// The cookies a response sets, as a `Cookie` header would send them back.
fn cookies<B>(response: &hyper::Response<B>) -> String {
    let pairs = response.headers().get_all(hyper::header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string));
    pairs.collect::<Vec<_>>().join("; ")
}

async fn connect(addr: SocketAddr) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

fn request(addr: SocketAddr, path: &str, auth: Option<&(HeaderName, String)>) -> anyhow::Result<hyper::Request<Full<Bytes>>> {
    let mut builder = hyper::Request::get(path).header(hyper::header::HOST, addr.to_string());
    if let Some((name, value)) = auth {
        builder = builder.header(name, value);
    }
    Ok(builder.body(Full::new(Bytes::new()))?)
}

/// A body's text, after a request on a connection of its own.
async fn fetch(addr: SocketAddr, request: hyper::Request<Full<Bytes>>) -> anyhow::Result<(hyper::http::response::Parts, String)> {
    let mut sender = connect(addr).await?;
    let (parts, body) = sender.send_request(request).await?.into_parts();
    Ok((parts, String::from_utf8(body.collect().await?.to_bytes().to_vec())?))
}

/// `n` connections, each asking for a page again as soon as it has the
/// last: connection k asks for targets k, k + n, k + 2n, … in turn.
async fn drive(targets: &[Target], n: usize, length: Duration) -> anyhow::Result<Tally> {
    let until = Instant::now() + length;
    let mut runs = tokio::task::JoinSet::new();
    for k in 0..n {
        let own: Vec<Target> = targets.iter().skip(k % targets.len()).step_by(n).cloned().collect();
        let addr = targets[0].addr;
        runs.spawn(async move {
            let mut tally = Tally::default();
            let mut sender = connect(addr).await?;
            for Target { path, auth, .. } in own.iter().cycle() {
                if Instant::now() >= until {
                    break;
                }
                let started = Instant::now();
                let response = sender.send_request(request(addr, path, Some(auth))?).await?;
                let ok = response.status() == hyper::StatusCode::OK;
                let statements: Option<u32> = response.headers().get(STATEMENTS_HEADER).and_then(|v| v.to_str().ok()?.parse().ok());
                response.into_body().collect().await?;
                if ok {
                    tally.latencies.push(started.elapsed());
                    tally.statements.extend(statements);
                } else {
                    tally.errors += 1;
                }
            }
            anyhow::Ok(tally)
        });
    }
    let mut all = Tally::default();
    while let Some(run) = runs.join_next().await {
        let tally = run??;
        all.latencies.extend(tally.latencies);
        all.errors += tally.errors;
        all.statements.extend(tally.statements);
    }
    Ok(all)
}

/// Print a run's line; returns its p50 in ms.
fn report(label: &str, seconds: u64, tally: Tally) -> f64 {
    measure(label, seconds, tally).1
}

/// Print a run's line; returns its pages/s and p50 in ms.
fn measure(label: &str, seconds: u64, mut tally: Tally) -> (f64, f64) {
    tally.latencies.sort();
    let at = |q: f64| {
        let samples = &tally.latencies;
        samples.get(((samples.len().max(1) - 1) as f64 * q) as usize).map(|d| d.as_secs_f64() * 1e3).unwrap_or(f64::NAN)
    };
    let pages = tally.latencies.len();
    let (low, high) = (tally.statements.iter().min().copied().unwrap_or(0), tally.statements.iter().max().copied().unwrap_or(0));
    println!(
        "  {label}: {:>7.0} pages/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  errors {}  statements/page {}  RSS {} MB",
        pages as f64 / seconds as f64,
        at(0.50),
        at(0.95),
        at(0.99),
        tally.errors,
        if low == high { low.to_string() } else { format!("{low}–{high}") },
        resident_megabytes().map(|mb| mb.to_string()).unwrap_or_else(|| "?".into()),
    );
    (pages as f64 / seconds as f64, at(0.50))
}

/// This process's resident memory (Linux), in MB.
fn resident_megabytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kilobytes: u64 = status.lines().find_map(|line| line.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kilobytes / 1024)
}

/// A database of its own on the PostgreSQL server at the admin URL.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str) -> anyhow::Result<ScratchDatabase> {
        use sqlx::Connection;
        let name = format!("portico_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&name);
        Ok(ScratchDatabase { admin_url: admin_url.to_string(), name, url: url.to_string() })
    }

    async fn drop(self) -> anyhow::Result<()> {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin).await?;
        Ok(())
    }
}
