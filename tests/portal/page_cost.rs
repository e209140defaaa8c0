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

    assert_eq!(dashboard, DASHBOARD, "the client's dashboard, every section rendered");
    assert_eq!(documents, DASHBOARD, "a tab renders the same sections");
}}

story! { async fn an_agent_s_job_page_costs_no_more_than_the_client_s(app) {
    let sam = Visitor::new();
    let job = sam.get(&app.links.buyer_agent).await.job_path();

    let dashboard = statements(&app, &sam, &job).await;

    assert!(dashboard <= DASHBOARD, "an agent's page reads less than the client's: {dashboard}");
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

/// Statements of one view of the demo client's job page.
const DASHBOARD: u32 = 19;
