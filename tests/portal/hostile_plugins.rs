//! Hostile plugins cost only their own card (or their install); the page still
//! answers and the host stays healthy.

use portico::plugins::{Grants, Permission, SectionsError};
use portico_tests::{hostile_plugin, TestApp, Visitor};

/// Install the hostile plugin in `mode` for the demo business, without any
/// grant, and open the client's page.
async fn client_page_with_hostile(app: TestApp, mode: &str) -> (TestApp, portico_tests::Page) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": mode }).to_string();
    app.server
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![]), &settings)
        .await
        .expect("the hostile plugin is well-formed and installs");
    app.release_reports_on_publish().await;
    let page = Visitor::new().get(&app.links.client).await;
    (app, page)
}

async fn assert_only_its_own_card_is_lost(app: &TestApp, page: &portico_tests::Page, reason: &str) {
    assert_eq!(page.status, 200, "the page still renders");
    let text = page.text();
    assert!(text.contains("Trouble Unavailable"), "an unavailable card stands in: {text}");
    assert!(text.contains("Residential Inspection Report"), "other sections are untouched");
    assert!(text.contains("Pre-Inspection Agreement"), "{text}");

    // The owner sees the failure and its reason in the staff console.
    let owner = Visitor::new();
    let form = owner.get(&app.url("/staff/login")).await;
    let csrf = form.hidden("csrf").unwrap();
    let console = owner
        .post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", &app.links.staff.email), ("password", &app.links.staff.password)])
        .await
        .text();
    let row = console.split("hostile Enabled ").nth(1).expect("the hostile section is listed with its health");
    assert!(!row.starts_with('0'), "the failure is counted: {row}");
    assert!(row.contains(reason), "the reason is shown: {row}");

    let health = Visitor::new().get(&app.url("/healthz")).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"), "the host stays healthy");
    let again = Visitor::new().get(&app.links.client).await;
    assert_eq!(again.status, 200, "and keeps serving");
}

story! { async fn an_infinite_loop_is_stopped_at_its_deadline(app) {
    let (app, page) = client_page_with_hostile(app, "loop").await;
    assert_only_its_own_card_is_lost(&app, &page, "did not finish").await;
}}

story! { async fn a_memory_bomb_hits_its_cap(app) {
    let (app, page) = client_page_with_hostile(app, "memory").await;
    assert_only_its_own_card_is_lost(&app, &page, "memory limit").await;
}}

story! { async fn a_panic_is_a_trap_not_a_crash(app) {
    let (app, page) = client_page_with_hostile(app, "panic").await;
    assert_only_its_own_card_is_lost(&app, &page, "trapped").await;
}}

story! { async fn oversized_output_is_clamped_and_undeclared_cards_dropped(app) {
    let (_app, page) = client_page_with_hostile(app, "oversized").await;

    assert_eq!(page.status, 200);
    assert!(!page.text().contains("sneaky"), "cards that were not declared never show");
    assert!(page.body.len() < 400_000, "clamped to a sane size, got {} bytes", page.body.len());
    assert!(page.text().contains("…"), "long text is shortened, not rejected");
}}

story! { async fn a_host_call_without_the_grant_is_denied_not_trapped(app) {
    let (_app, page) = client_page_with_hostile(app, "ungranted").await;

    assert_eq!(page.status, 200);
    assert!(page.text().contains("denied:") && page.text().contains("Storage"), "the plugin got a typed denial: {}", page.text());
}}

story! { async fn plugin_text_can_never_become_markup(app) {
    let (_app, page) = client_page_with_hostile(app, "markup").await;

    assert!(page.body.contains("&lt;script&gt;alert("), "escaped");
    assert!(page.text().contains("<b>bold</b>"), "a link with a hostile address is shown as text");
    assert!(!page.body.contains("<script>"));
    assert!(!page.body.contains("javascript:"), "unsafe links are shown as text only");
    assert!(!page.body.contains("onclick"));
}}

story! { async fn an_undeclared_import_refuses_the_install(app) {
    let tenant = app.demo_tenant_id().await;

    let refused = app
        .server
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-undeclared-import"), Grants::AllRequested, "{}")
        .await;

    let Err(SectionsError::Install(error)) = refused else { panic!("the install must be refused") };
    let message = error.to_string();
    assert!(message.contains("does not declare") && message.contains("storage"), "{message}");
    assert!(app.server.state.db.installation(&tenant, "sneaky").await.unwrap().is_none());
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200);
}}

story! { async fn a_file_that_is_not_a_component_is_refused_with_a_reason(app) {
    let tenant = app.demo_tenant_id().await;

    let refused = app.server.state.sections.install_upload(&tenant, b"not wasm at all", Grants::AllRequested, "{}").await;

    let Err(SectionsError::Install(error)) = refused else { panic!("the install must be refused") };
    assert!(error.to_string().contains("not a WebAssembly component"), "{error}");
}}

story! { async fn compiled_plugins_are_cached_on_disk(app) {
    let cached: Vec<_> = std::fs::read_dir(app.data_dir().join("compiled-plugins")).unwrap().flatten().collect();
    assert!(cached.len() >= 2, "both first-party plugins are cached");
    let app = app.restart().await;
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200, "a restart loads them back");
}}

story! { async fn publishing_a_document_reaches_the_sections_that_asked(app) {
    app.release_reports_on_publish().await;
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": "events" }).to_string();
    let state = &app.server.state;
    state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![Permission::Storage]), &settings)
        .await
        .unwrap();
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    let job_id = job.trim_start_matches("/jobs/");
    let key = format!("{tenant}/addendum");
    state.files.put(&key, b"%PDF-1.4 addendum").await.unwrap();
    let shared = [portico::model::Role::Client];
    let draft = state.db.add_document(&tenant, job_id, "report", "Addendum", &key, "application/pdf", 17, &shared, None).await.unwrap();

    let delivered = portico::documents::publish(state, &tenant, job_id, &draft).await.unwrap();

    assert_eq!(delivered, 2, "reports and the test section asked for document-published");
    let text = dana.get(&app.url(&job)).await.text();
    let seen = text.split("saw: ").nth(1).expect("the test section's card").to_string();
    assert!(seen.contains("DocumentPublished") && seen.contains(&draft), "{seen}");
    assert!(text.contains("Addendum Report"), "and the report is now shared");
}}

story! { async fn a_section_that_hangs_on_an_event_does_not_hang_publishing(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": "loop" }).to_string();
    let state = &app.server.state;
    state.sections.install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![]), &settings).await.unwrap();
    let job = Visitor::new().get(&app.links.client).await.job_path();
    let job_id = job.trim_start_matches("/jobs/");
    let shared = [portico::model::Role::Client];
    let draft = state.db.add_document(&tenant, job_id, "report", "Late", "x/y", "application/pdf", 1, &shared, None).await.unwrap();

    let delivered = portico::documents::publish(state, &tenant, job_id, &draft).await.unwrap();

    assert_eq!(delivered, 1, "only the well-behaved section accepted it");
    let installation = state.db.installation(&tenant, "hostile").await.unwrap().unwrap();
    assert!(installation.last_error.unwrap_or_default().contains("did not finish"));
}}
