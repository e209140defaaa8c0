//! What operators rely on: health, readiness, and a shutdown that lets
//! requests finish.

use portico_sections::Grants;
use portico_tests::{hostile_plugin, TestApp, Visitor};
use std::time::Duration;

story! { async fn health_and_readiness_answer(app) {
    let visitor = Visitor::new();
    let health = visitor.get(&app.url("/healthz")).await;
    let ready = visitor.get(&app.url("/readyz")).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
}}

// On a multi-threaded runtime, as in production: on one thread the looping
// section starves the I/O of the sections rendered beside it (see `story!`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_finishes_the_requests_in_flight() {
    let app = TestApp::spawn().await;
    // A section that runs into its deadline makes the page take ~1.5 s.
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": "loop" }).to_string();
    app.server
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![]), &settings)
        .await
        .unwrap();
    let link = app.links.client.clone();
    let slow_page = tokio::spawn(async move { Visitor::new().get(&link).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    app.server.stop().await.expect("the server stops cleanly");

    let page = slow_page.await.unwrap();
    assert_eq!(page.status, 200, "the request that was in flight still got its page");
    assert!(page.text().contains("Pre-Inspection Agreement"), "{}", page.text());
}

#[tokio::test]
async fn the_readable_outbox_exists_only_in_the_demo() {
    let production = portico_tests::TestApp::spawn().await;
    assert_eq!(portico_tests::Visitor::new().get(&production.url("/dev/t/keystone/outbox")).await.status, 404);

    let demo = portico_tests::TestApp::spawn_configured(|config| config.dev_pages = true).await;
    let dana = portico_tests::Visitor::new();
    let form = dana.get(&demo.url("/t/keystone/signin")).await;
    dana.post(&demo.url("/t/keystone/signin"), &[("csrf", &form.hidden("csrf").unwrap()), ("email", "dana.whitfield@example.com")]).await;

    let stranger = portico_tests::Visitor::new().get(&demo.url("/dev/t/keystone/outbox")).await;
    let guessed = portico_tests::Visitor::new().get(&demo.url("/dev/t/keystone/outbox?key=guess")).await;
    let outbox = portico_tests::Visitor::new().get(&demo.url(&portico_web::dev::outbox_path(&demo.server.state, "keystone"))).await;
    let by_staff = demo.owner().await.get(&demo.url("/dev/t/keystone/outbox")).await;

    assert_eq!((stranger.status, guessed.status), (404, 404), "live sign-in codes are not public");
    assert_eq!(by_staff.status, 200, "the business's staff read it signed in");
    assert_eq!(outbox.status, 200);
    assert!(outbox.text().contains("Demo only") && outbox.text().contains("Sign in to Keystone Home Inspections"), "{}", outbox.text());
    assert!(outbox.href_containing("/t/keystone/signin/link/").is_some(), "the link can be followed from the page");

    // Each message can be seen as its HTML part, as a mail client shows it.
    let html_view = outbox.href_containing("/html?key=").expect("a link to the HTML part");
    let html = portico_tests::Visitor::new().get(&demo.url(&html_view)).await;
    assert_eq!(html.status, 200);
    assert!(html.body.contains(">Sign in</a>") && html.body.contains("Keystone Home Inspections"), "{}", html.body);
    let elsewhere = html_view.replace("?key=", "?key=guess");
    assert_eq!(portico_tests::Visitor::new().get(&demo.url(&elsewhere)).await.status, 404);
}
