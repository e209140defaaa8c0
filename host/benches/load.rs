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
//! (the database is dropped afterwards).
//!
//! Settings (environment):
//! - `PORTICO_BENCH_CONNECTIONS`: comma-separated connection counts (`4,64`);
//! - `PORTICO_BENCH_SECONDS`: how long each run drives the page (10);
//! - `PORTICO_BENCH_POSTGRES_URL`: as above.
//!
//! The load comes from this process, sharing the machine's cores with the
//! server, as a load generator on the same machine would.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use portico_web::app::{Config, RunningServer, STATEMENTS_HEADER};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Target {
    addr: SocketAddr,
    path: String,
    cookie: String,
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
    let connections: Vec<usize> = std::env::var("PORTICO_BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "4,64".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let seconds: u64 = std::env::var("PORTICO_BENCH_SECONDS").ok().map(|s| s.parse()).transpose()?.unwrap_or(10);

    bench("SQLite", None, &connections, seconds).await?;
    match std::env::var("PORTICO_BENCH_POSTGRES_URL") {
        Ok(admin_url) => {
            let database = ScratchDatabase::create(&admin_url).await?;
            let outcome = bench("PostgreSQL", Some(database.url.clone()), &connections, seconds).await;
            database.drop().await?;
            outcome?;
        }
        Err(_) => println!("PostgreSQL: skipped (set PORTICO_BENCH_POSTGRES_URL to run it)"),
    }
    Ok(())
}

async fn bench(backend: &str, database_url: Option<String>, connections: &[usize], seconds: u64) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut config = Config::new("127.0.0.1:0".parse()?, data.path().to_path_buf());
    config.database_url = database_url;
    config.count_statements = true;
    let started = Instant::now();
    let server = RunningServer::start(config.clone()).await?;
    let start_up = started.elapsed();
    let links = portico::demo::ensure_inspection_demo(&server.state, data.path()).await?;
    let target = sign_in(server.addr, &links.client).await?;
    println!(
        "{backend}: the client's job page ({}), {} sections; server start-up {:.0} ms",
        target.path,
        server.state.sections.active(&server.state.db.tenant_by_slug("keystone").await?.expect("demo tenant").id).await?.len(),
        start_up.as_secs_f64() * 1e3
    );
    // Warm up: compiled code, the pool's connections, SQLite's page cache.
    drive(&target, 4, Duration::from_secs(1)).await?;
    for &n in connections {
        let tally = drive(&target, n, Duration::from_secs(seconds)).await?;
        report(n, seconds, tally);
    }
    // A restart finds the sections compiled in the data directory.
    server.stop().await?;
    let started = Instant::now();
    let server = RunningServer::start(config).await?;
    println!("  start-up again, sections from the compiled cache: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    server.stop().await
}

/// Open the personal link and keep the session cookie and the page it leads to.
async fn sign_in(addr: SocketAddr, link: &str) -> anyhow::Result<Target> {
    let path = link.split_once("://").and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_string())).expect("a link with a path");
    let mut sender = connect(addr).await?;
    let response = sender.send_request(request(addr, &path, None)?).await?;
    let cookie = response.headers().get(hyper::header::SET_COOKIE).expect("the link starts a session").to_str()?.split(';').next().unwrap_or_default().to_string();
    let page = response.headers().get(hyper::header::LOCATION).expect("the link leads to the job").to_str()?.to_string();
    Ok(Target { addr, path: page, cookie })
}

async fn connect(addr: SocketAddr) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

fn request(addr: SocketAddr, path: &str, cookie: Option<&str>) -> anyhow::Result<hyper::Request<Empty<Bytes>>> {
    let mut builder = hyper::Request::get(path).header(hyper::header::HOST, addr.to_string());
    if let Some(cookie) = cookie {
        builder = builder.header(hyper::header::COOKIE, cookie);
    }
    Ok(builder.body(Empty::new())?)
}

/// `n` connections, each asking for the page again as soon as it has the last.
async fn drive(target: &Target, n: usize, length: Duration) -> anyhow::Result<Tally> {
    let until = Instant::now() + length;
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (addr, path, cookie) = (target.addr, target.path.clone(), target.cookie.clone());
        runs.spawn(async move {
            let mut tally = Tally::default();
            let mut sender = connect(addr).await?;
            while Instant::now() < until {
                let started = Instant::now();
                let response = sender.send_request(request(addr, &path, Some(&cookie))?).await?;
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

fn report(connections: usize, seconds: u64, mut tally: Tally) {
    tally.latencies.sort();
    let at = |q: f64| {
        let samples = &tally.latencies;
        samples.get(((samples.len().max(1) - 1) as f64 * q) as usize).map(|d| d.as_secs_f64() * 1e3).unwrap_or(f64::NAN)
    };
    let pages = tally.latencies.len();
    let (low, high) = (tally.statements.iter().min().copied().unwrap_or(0), tally.statements.iter().max().copied().unwrap_or(0));
    println!(
        "  {connections:>3} connections: {:>7.0} pages/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  errors {}  statements/page {}  RSS {} MB",
        pages as f64 / seconds as f64,
        at(0.50),
        at(0.95),
        at(0.99),
        tally.errors,
        if low == high { low.to_string() } else { format!("{low}–{high}") },
        resident_megabytes().map(|mb| mb.to_string()).unwrap_or_else(|| "?".into()),
    );
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
