//! What a page costs the database. A job page is composed of many sections
//! that ask the host for much the same rows; each page view runs a counted
//! number of SQL statements (the server tells them in a header the stories
//! turn on), so a change that makes a section read again what another read,
//! or adds a query per section, fails here.

use portico_tests::{TestApp, Visitor};

/// The statements of `path` as `visitor` opens it a second time (the first
/// view of a session may do once-only work).
async fn statements(app: &TestApp, visitor: &Visitor, path: &str) -> u32 {
    visitor.get(&app.url(path)).await;
    let page = visitor.get(&app.url(path)).await;
    assert_eq!(page.status, 200, "{path}: {}", page.text());
    page.statements.expect("the stories' server counts statements")
}

story! { async fn the_clients_job_page_reads_what_its_sections_share_once(app) {
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();

    let dashboard = statements(&app, &dana, &job).await;
    let documents = statements(&app, &dana, &format!("{job}?tab=documents")).await;

    let expected = dashboard_statements(&app);
    assert_eq!(dashboard, expected, "the client's dashboard, every section rendered");
    assert_eq!(documents, expected, "a tab renders the same sections");
}}

story! { async fn a_job_page_reads_on_the_thread_that_serves_it(app) {
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    dana.get(&app.url(&job)).await;

    let page = dana.get(&app.url(&job)).await;

    // On SQLite each statement sent to sqlx's connection thread is two
    // thread switches or more; on PostgreSQL none is (always 0).
    assert_eq!(page.statements, Some(dashboard_statements(&app)));
    assert_eq!(page.thread_hops, Some(0), "every statement of the page ran on the thread serving it");
}}

story! { async fn an_agent_s_job_page_costs_no_more_than_the_client_s(app) {
    let sam = Visitor::new();
    let job = sam.get(&app.links.buyer_agent).await.job_path();

    let dashboard = statements(&app, &sam, &job).await;

    assert!(dashboard <= dashboard_statements(&app), "an agent's page reads less than the client's: {dashboard}");
}}

story! { async fn a_form_sent_from_an_older_page_is_judged_on_what_is_true_now(app) {
    let dana = Visitor::new();
    let tenant = app.demo_tenant_id().await;
    let services = app.server.state.db.tenant(&tenant).add_on_services().await.unwrap();
    let sewer = format!("addon-{}", services.iter().find(|s| s.name == "Sewer scope").expect("a demo add-on").id);
    let first_tab = dana.get(&app.links.client).await;
    let second_tab = dana.get(&app.url(&first_tab.job_path())).await;

    dana.act(&first_tab, "add-ons", "add-services", "request", &[(&sewer, "on")]).await;
    let again = dana.act(&second_tab, "add-ons", "add-services", "request", &[(&sewer, "on")]).await;

    // The second tab was rendered before the request; the action reads afresh.
    assert!(again.text().contains("Sewer scope was already requested for this job."), "{}", again.text());
    assert_eq!(app.audit_count("add-on.requested").await, 1);
}}

story! { async fn a_page_reads_what_sections_keep_once_and_a_long_value_when_asked(app) {
    let tenant = app.demo_tenant_id().await;
    let (job_id, _) = app.demo_invoice().await;
    let db = &app.server.state.db;
    let scope = portico_data::StorageScope::Job(&job_id);
    let long = "x".repeat(5000);
    for (key, value) in [("b", "two"), ("B", "capital"), ("_", "underscore"), ("long", long.as_str())] {
        db.tenant(&tenant).storage_put("notes-plugin", scope, key, value, false).await.unwrap();
    }
    let page = db.snapshot();
    page.tenant(&tenant).prefetch_job(&job_id).await.unwrap().expect("the demo job");

    let (small, read_small) = portico_data::counting(page.tenant(&tenant).storage_get("notes-plugin", scope, "b")).await;
    let (missing, read_missing) = portico_data::counting(page.tenant(&tenant).storage_get("notes-plugin", scope, "nothing")).await;
    let (kept_long, read_long) = portico_data::counting(page.tenant(&tenant).storage_get("notes-plugin", scope, "long")).await;
    let (keys, read_keys) = portico_data::counting(page.tenant(&tenant).storage_keys("notes-plugin", scope, "")).await;
    let fresh_keys = db.tenant(&tenant).storage_keys("notes-plugin", scope, "").await.unwrap();

    assert_eq!((small.unwrap().as_deref(), read_small), (Some("two"), 0), "a short value comes with the page");
    assert_eq!((missing.unwrap(), read_missing), (None, 0), "so does knowing a key was never kept");
    assert_eq!((kept_long.unwrap().map(|value| value.len()), read_long), (Some(5000), 1), "a long value is read when asked for");
    assert_eq!((keys.unwrap(), read_keys), (vec!["B".to_string(), "_".into(), "b".into(), "long".into()], 0), "keys in byte order");
    assert_eq!(fresh_keys, ["B", "_", "b", "long"], "in byte order on every database, with or without a page");

    for n in 0..300 {
        db.tenant(&tenant).storage_put("notes-plugin", scope, &format!("item/{n:03}"), "tick", false).await.unwrap();
    }
    let crowded = db.snapshot();
    crowded.tenant(&tenant).prefetch_job(&job_id).await.unwrap();
    let (value, read) = portico_data::counting(crowded.tenant(&tenant).storage_get("notes-plugin", scope, "item/299")).await;
    let listed = crowded.tenant(&tenant).storage_keys("notes-plugin", scope, "item/").await.unwrap();
    assert_eq!((value.unwrap().as_deref(), read), (Some("tick"), 1), "a section keeping hundreds of entries has them read key by key");
    assert_eq!((listed.len(), listed.last().map(String::as_str)), (300, Some("item/299")));
}}

/// Statements of one view of the demo client's job page, once the business
/// was read by an earlier one: the session, the person's access to the job, the page's statement (job,
/// property, visits, services, people, crew, step, notes, documents,
/// agreements, invoices, add-ons, what sections keep), estimates, payments,
/// report items, property notes and the invoice the payment card quotes.
/// The business's row and sections are kept across requests: on PostgreSQL
/// a notification says when they change, on SQLite one more statement reads
/// the business's change count.
fn dashboard_statements(app: &TestApp) -> u32 {
    match app.server.state.db.backend() {
        portico_data::Backend::Postgres => 8,
        portico_data::Backend::Sqlite => 9,
    }
}
