//! What an attack on the running demo got through (issue 14), items 9-17:
//! money, and abuse of the web surface. Items 1-8, the sandbox, are told in
//! `hostile_plugins.rs`.

use portico_tests::{TestApp, Visitor};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Dana presses Pay Now and lands on the practice checkout: (its URL, its
/// form token).
async fn open_practice_checkout(app: &TestApp, dana: &Visitor) -> (String, String) {
    let (_, invoice_id) = app.demo_invoice().await;
    let page = dana.get(&app.links.client).await;
    let checkout = dana.act(&page, "payments", "pay", &format!("pay-{invoice_id}"), &[]).await;
    assert!(checkout.url.ends_with("/test"), "the practice checkout: {}", checkout.url);
    (checkout.url.clone(), checkout.hidden("csrf").expect("the checkout form"))
}

async fn choose_provider(app: &TestApp, owner: &Visitor, provider: &str) {
    let csrf = owner.get(&app.url("/staff/payments")).await.hidden("csrf").unwrap();
    let saved = owner.post(&app.url("/staff/payments"), &[("csrf", &csrf), ("provider", provider), ("stripe_account", "")]).await;
    assert!(saved.text().contains("Saved."), "{}", saved.text());
}

story! { async fn a_practice_checkout_ends_when_the_business_stops_practising(app) {
    let dana = Visitor::new();
    let (checkout, csrf) = open_practice_checkout(&app, &dana).await;
    let owner = app.owner().await;

    choose_provider(&app, &owner, "none").await;
    let paid = dana.post(&checkout, &[("csrf", &csrf), ("outcome", "pay")]).await;
    choose_provider(&app, &owner, "test").await;
    let revived = dana.post(&checkout, &[("csrf", &csrf), ("outcome", "pay")]).await;

    assert!(paid.text().contains("That checkout is no longer open"), "{}", paid.text());
    assert!(revived.text().contains("That checkout is no longer open"), "switching back does not revive it: {}", revived.text());
    let (_, invoice_id) = app.demo_invoice().await;
    let tenant = app.demo_tenant_id().await;
    let invoice = app.server.state.db.tenant(&tenant).invoice_totals(&invoice_id).await.unwrap().unwrap();
    assert_eq!((invoice.status.as_str(), invoice.paid), ("due", 0), "nothing was collected, so nothing is paid");
    assert!(revived.text().contains("invoice 1042 is paid ($610.00 due)"), "the report stays held: {}", revived.text());
}}

story! { async fn only_the_roles_that_see_the_bill_open_a_checkout(app) {
    let dana = Visitor::new();
    let (checkout, _) = open_practice_checkout(&app, &dana).await;
    let agent = Visitor::new();
    let agent_csrf = agent.get(&app.links.buyer_agent).await.hidden("csrf").expect("the agent's own session token (sign-out form)");
    let continue_path = checkout.trim_end_matches("/test").to_string();

    let looked = agent.get(&checkout).await;
    let declined = agent.post(&checkout, &[("csrf", &agent_csrf), ("outcome", "decline")]).await;
    let continued = agent.get(&continue_path).await;

    assert_eq!((looked.status, declined.status, continued.status), (404, 404, 404), "with a valid session token, still a stranger's answer");
    let still = dana.get(&checkout).await;
    assert_eq!(still.status, 200, "Dana's checkout is still open: {}", still.text());
}}

story! { async fn settling_an_invoice_by_discount_is_the_owners_and_reads_waived(app) {
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    let owner = app.owner().await;
    let (job, invoice_id) = app.demo_invoice().await;
    let lines = app.url(&format!("/staff/jobs/{job}/invoices/{invoice_id}/lines"));
    let office_csrf = office.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();
    let owner_csrf = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();
    let everything = |csrf: &str| vec![("csrf".to_string(), csrf.to_string()), ("kind".into(), "discount".into()), ("description".into(), "On the house".into()), ("amount".into(), "610".into())];

    let by_office = office.post(&lines, &everything(&office_csrf).iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await;
    let by_owner = owner.post(&lines, &everything(&owner_csrf).iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await;

    assert!(by_office.text().contains("only an owner may do that"), "{}", by_office.text());
    assert!(by_owner.text().contains("On the house added to the invoice."), "{}", by_owner.text());
    let tenant = app.demo_tenant_id().await;
    let invoice = app.server.state.db.tenant(&tenant).invoice_totals(&invoice_id).await.unwrap().unwrap();
    assert_eq!((invoice.status.as_str(), invoice.paid), ("waived", 0));
    let dana = Visitor::new().get(&app.links.client).await.text();
    assert!(dana.contains("Waived") && !dana.contains("Paid"), "shown as what it is: {dana}");
}}

story! { async fn strangers_cannot_lock_the_owner_out(app, _unused: ()) setup async {}; configure |config: &mut portico_web::app::Config, _: &()| {
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}; {
    for n in 1..=11 {
        let stranger = Visitor::with_header("x-forwarded-for", &format!("203.0.113.{n}"));
        let csrf = stranger.get(&app.url("/staff/login")).await.hidden("csrf").unwrap();
        let wrong = stranger.post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", &app.links.staff.email), ("password", "guess")]).await;
        assert_eq!(wrong.status, 401, "attempt {n}");
    }
    let persistent = Visitor::with_header("x-forwarded-for", "203.0.113.99");
    let mut last = 0;
    for _ in 0..11 {
        let csrf = persistent.get(&app.url("/staff/login")).await.hidden("csrf").unwrap();
        last = persistent.post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", &app.links.staff.email), ("password", "guess")]).await.status;
    }
    let owner = Visitor::with_header("x-forwarded-for", "198.51.100.7");
    let csrf = owner.get(&app.url("/staff/login")).await.hidden("csrf").unwrap();
    let home = owner.post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", &app.links.staff.email), ("password", &app.links.staff.password)]).await;

    assert_eq!(last, 429, "one source guessing again and again is stopped");
    assert_eq!(home.status, 200, "the owner still signs in: {}", home.text());
    let log = app.server.state.db.tenant(&app.demo_tenant_id().await).audit_log(10).await.unwrap();
    assert!(log.iter().any(|e| e.action == "staff.signed-in" && e.ip == "198.51.100.7"), "the client's address comes from the trusted proxy");
}}

story! { async fn a_forwarding_header_from_an_untrusted_peer_is_ignored(app) {
    let mut last = 0;
    for n in 1..=11 {
        let forger = Visitor::with_header("x-forwarded-for", &format!("203.0.113.{n}"));
        let csrf = forger.get(&app.url("/staff/login")).await.hidden("csrf").unwrap();
        last = forger.post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", &app.links.staff.email), ("password", "guess")]).await.status;
    }
    assert_eq!(last, 429, "without a trusted proxy every attempt is the peer's own, whatever the header says");
}}

/// Read from `stream` until the server closes it; whatever it said.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

story! { async fn slow_and_oversized_request_heads_are_cut_off(app, _unused: ()) setup async {}; configure |config: &mut portico_web::app::Config, _: &()| {
    config.http.header_read_timeout = Duration::from_secs(1);
    config.http.body_timeout = Duration::from_secs(1);
}; {
    let addr = app.server.addr;
    let mut slow = Vec::new();
    for _ in 0..10 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        slow.push(stream);
    }
    // A byte now and then, never the end of the head.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        for stream in &mut slow {
            let _ = stream.write_all(b"X").await;
        }
    }
    for stream in &mut slow {
        let answer = until_closed(stream).await;
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "a slow head is dropped: {answer:?}");
        let mut byte = [0u8; 1];
        assert_eq!(stream.read(&mut byte).await.unwrap_or(0), 0, "the connection is closed");
    }

    let mut greedy = tokio::net::TcpStream::connect(addr).await.unwrap();
    let huge = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n", "a".repeat(200 * 1024));
    let _ = greedy.write_all(huge.as_bytes()).await;
    let answer = until_closed(&mut greedy).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "200 KiB of headers are refused: {:?}", answer.lines().next());

    // A body promised and never sent.
    let mut stingy = tokio::net::TcpStream::connect(addr).await.unwrap();
    stingy.write_all(b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=").await.unwrap();
    let answer = until_closed(&mut stingy).await;
    // The form reader gives up on the stalled body (400 "failed to buffer"), and the connection ends.
    assert!(answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.1 408"), "a body that does not come is timed out: {:?}", answer.lines().next());

    let health = Visitor::new().get(&app.url("/healthz")).await;
    assert_eq!(health.status, 200, "and the server goes on serving");
}}

story! { async fn a_personal_link_is_replaced_a_few_times_an_hour_at_most(app) {
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    let sessions = dana.get(&app.url("/account/sessions")).await;
    let action = sessions.action_containing("/replace").expect("Dana can replace her link");
    let tenant = app.demo_tenant_id().await;
    let before = app.mail_count(&tenant, "dana.whitfield@example.com").await;

    let mut statuses = Vec::new();
    for _ in 0..5 {
        let page = dana.get(&app.url("/account/sessions")).await;
        let csrf = page.csrf_for(&action).or_else(|| page.hidden("csrf")).unwrap();
        statuses.push(dana.post(&app.url(&action), &[("csrf", &csrf)]).await.status);
    }

    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    assert_eq!(app.mail_count(&tenant, "dana.whitfield@example.com").await, before + 3, "three new links mailed, no more");
}}

story! { async fn guests_looking_with_many_browsers_make_one_access_log_entry(app) {
    let job = Visitor::new().get(&app.links.client).await.job_path();

    for n in 0..5 {
        Visitor::with_header("user-agent", &format!("Browser/{n}")).get(&app.url(&job)).await;
    }

    let tenant = app.demo_tenant_id().await;
    let job_id = &portico_core::ids::JobId::new(job.trim_start_matches("/jobs/"));
    app.server.state.access_log.flush().await;
    let log = app.server.state.db.tenant(&tenant).access_log(Some(job_id), 100).await.unwrap();
    let guests = log.iter().filter(|entry| entry.role == "guest").count();
    assert_eq!(guests, 1, "one visit from one address: {log:?}");
}}

story! { async fn pages_with_personal_data_are_never_cached(app) {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();

    let portal = client.get(&app.links.client).send().await.unwrap();
    let stylesheet = client.get(app.url("/static/portico.css")).send().await.unwrap();

    assert_eq!(portal.headers()["cache-control"], "no-store");
    assert_ne!(stylesheet.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "the stylesheet keeps its own caching");
    assert!(portal.headers().get("strict-transport-security").is_none(), "no HSTS over plain http");
}}

story! { async fn over_https_every_cookie_is_secure_and_hsts_is_sent(app) {
    use tower::ServiceExt;
    let mut state = app.server.state.clone();
    state.https = true;
    state.secure_cookies = true;
    let router = portico_web::app::router(state);
    let mut request = axum::http::Request::get("/staff/login").body(axum::body::Body::empty()).unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(app.server.addr));

    let response = router.oneshot(request).await.unwrap();

    assert_eq!(response.status(), 200);
    assert!(response.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_string()).collect();
    assert!(!cookies.is_empty() && cookies.iter().all(|c| c.contains("; Secure")), "{cookies:?}");
}}

story! { async fn an_id_with_a_control_character_names_nothing(app) {
    let owner = app.owner().await;
    let (job, invoice_id) = app.demo_invoice().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();
    let forged = format!("{job}%0AX-Injected:%20yes");

    let staff = owner.get(&app.url("/staff/jobs/abc%0Adef")).await;
    let line = owner.post(&app.url(&format!("/staff/jobs/{forged}/invoices/{invoice_id}/lines")), &[("csrf", &csrf), ("kind", "fee"), ("description", "x"), ("amount", "lots")]).await;
    let payment = owner.post(&app.url(&format!("/staff/jobs/{forged}/payments")), &[("csrf", &csrf), ("invoice_id", &invoice_id), ("method", "barter"), ("amount", "1")]).await;
    let void = owner.post(&app.url(&format!("/staff/jobs/{forged}/invoices/{invoice_id}/void")), &[("csrf", &csrf)]).await;
    let portal = Visitor::new().get(&app.url("/jobs/abc%0D%0Aevil")).await;

    assert_eq!((staff.status, line.status, payment.status, void.status, portal.status), (404, 404, 404, 404, 404));
    let api = reqwest::Client::new().post(app.url("/api/v1/jobs/%C3%97%C2%9B/services")).body("{}").send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.headers()["content-type"], "application/json", "the API answers in its own error shape");
}}
