//! The repair list: once the report is released, the client picks findings,
//! asks for a credit, keeps a draft, shares it with their agent, and both
//! download it as a PDF or CSV.

use portico_tests::{Page, Visitor};

/// The names of the finding checkboxes on `page`, in order.
fn finding_inputs(page: &Page) -> Vec<String> {
    page.body
        .split("name=\"item-")
        .skip(1)
        .map(|rest| format!("item-{}", rest.split('"').next().unwrap_or_default()))
        .collect()
}

/// Choose `action` on the repair list with `fields`.
async fn on_list(visitor: &Visitor, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
    visitor.act(page, "repair-list", "repair-list", action, fields).await
}

story! { async fn the_client_builds_a_repair_list_and_shares_it_with_their_agent(app) {
    let dana = Visitor::new();
    let sam = Visitor::new();
    let held = dana.get(&app.links.client).await;
    assert!(held.text().contains("Once your report is released you can pick the findings"), "{}", held.text());
    assert!(finding_inputs(&held).is_empty(), "no findings while the report is held");
    app.release_reports_on_publish().await;

    let page = dana.get(&app.links.client).await;
    let text = page.text();
    assert!(text.contains("Double-tapped breaker - Main panel, garage (Safety hazard)"), "{text}");
    assert!(text.contains("Two conductors share one breaker terminal."), "the inspector's notes");
    let photo = page.href_containing("/documents/").filter(|_| page.body.contains("alt=\"Photo: Double-tapped breaker\""));
    assert!(photo.is_some(), "the finding's photo is shown");
    let items = finding_inputs(&page);
    assert_eq!(items.len(), 5);

    let saved = on_list(&dana, &page, "save", &[(&items[0], "on"), (&items[2], "on"), ("note", "Please fix before closing."), ("credit", "1,500")]).await;
    let text = saved.text();
    assert!(text.contains("Draft saved with 2 findings."), "{text}");
    assert!(text.contains("Draft"), "{text}");
    assert!(saved.body.contains("Please fix before closing.") && saved.body.contains("value=\"1500.00\""), "the draft is kept");
    assert!(sam.get(&app.links.buyer_agent).await.text().contains("The client has not shared a repair list yet."), "a draft is not shared");

    let shared = on_list(&dana, &saved, "share", &[(&items[0], "on"), (&items[2], "on"), ("note", "Please fix before closing."), ("credit", "1,500")]).await;
    assert!(shared.text().contains("Shared 2 findings with Sam Ortiz."), "{}", shared.text());
    let tenant = app.demo_tenant_id().await;
    let mail = app.last_mail_to(&tenant, "sam.ortiz@realty.example").await.expect("the agent is told");
    assert_eq!(mail.subject, "Dana Whitfield shared a repair list");
    assert_eq!(app.audit_count("repair-list.shared").await, 1);

    let agent_page = sam.get(&app.links.buyer_agent).await;
    let text = agent_page.text();
    assert!(text.contains("Dana Whitfield shared this list with you"), "{text}");
    assert!(text.contains("Double-tapped breaker") && text.contains("Slow drain") && !text.contains("Granule loss"), "{text}");
    assert!(text.contains("Please fix before closing.") && text.contains("$1,500.00"), "{text}");
    let csv = on_list(&sam, &agent_page, "csv", &[]).await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("\"Section\",\"Finding\",\"Location\",\"Severity\",\"Inspector's notes\"\r\n"), "{}", csv.body);
    assert!(csv.body.contains("\"Electrical\",\"Double-tapped breaker\",\"Main panel, garage\",\"Safety hazard\""), "{}", csv.body);
    let pdf = on_list(&sam, &agent_page, "pdf", &[]).await;
    assert!(pdf.body.starts_with("%PDF-1.4") && pdf.body.contains("Credit asked for: USD 1500.00"));

    // Changes after sharing stay a draft until shared again.
    let edited = on_list(&dana, &shared, "save", &[(&items[0], "on")]).await;
    assert!(edited.text().contains("Share again to send your changes"), "{}", edited.text());
    assert!(sam.get(&app.links.buyer_agent).await.text().contains("Slow drain"), "the agent still sees what was shared");
    let own = on_list(&dana, &edited, "csv", &[(&items[0], "on")]).await;
    assert!(own.body.contains("Double-tapped breaker") && !own.body.contains("Slow drain"), "the client downloads what they picked");

    let priya = Visitor::new().get(&app.links.listing_agent).await;
    assert!(!priya.text().contains("repair list"), "not for the listing agent: {}", priya.text());
}}

story! { async fn malformed_and_foreign_repair_list_requests_are_refused_and_lose_nothing(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let sam = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let items = finding_inputs(&page);

    let bad_credit = on_list(&dana, &page, "save", &[(&items[1], "on"), ("note", "Kept note"), ("credit", "-5")]).await;
    let nothing = on_list(&dana, &page, "share", &[("note", "No items")]).await;
    let foreign = on_list(&dana, &page, "save", &[("item-not-a-finding", "on")]).await;

    assert!(bad_credit.text().contains("Enter the credit as an amount"), "{}", bad_credit.text());
    assert!(bad_credit.body.contains("Kept note"), "what was typed is kept");
    assert!(nothing.text().contains("Pick at least one finding to share."), "{}", nothing.text());
    assert!(foreign.text().contains("Draft saved with 0 findings."), "unknown findings are ignored: {}", foreign.text());
    let agent_page = sam.get(&app.links.buyer_agent).await;
    let csrf = agent_page.hidden("csrf").unwrap();
    let actions = app.url(&format!("{}/actions", agent_page.job_path()));
    let forged = sam
        .post(&actions, &[("_portico_csrf", &csrf), ("_portico_plugin", "repair-list"), ("_portico_card", "repair-list"), ("_portico_action", "share"), (&items[0], "on")])
        .await;
    assert!(forged.text().contains("The client has not shared a repair list yet."), "{}", forged.text());
    assert_eq!(app.audit_count("repair-list.shared").await, 0);
}}

story! { async fn a_held_report_keeps_its_findings_and_photos_closed(app) {
    let dana = Visitor::new();
    let tenant = app.demo_tenant_id().await;
    let (job, _) = app.demo_invoice().await;
    let documents = app.server.state.db.tenant(&tenant).documents(&job, "photo").await.unwrap();
    let photo = format!("/jobs/{job}/documents/{}", documents[0].id);
    dana.get(&app.links.client).await;

    assert_eq!(dana.get(&app.url(&photo)).await.status, 404, "held with the report");
    app.release_reports_on_publish().await;
    let opened = dana.get(&app.url(&photo)).await;
    assert_eq!(opened.status, 200);
    assert!(opened.body.starts_with("\u{fffd}PNG"), "the photo itself");
}}
