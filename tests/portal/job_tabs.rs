//! The tabs beside the dashboard: Order details, Documents, Contractors and
//! Contact us, each showing a role only what it may see.

use portico_tests::{TestApp, Visitor};

/// The text of tab `slug` of the job `link` opens, for `visitor`.
async fn tab(app: &TestApp, visitor: &Visitor, link: &str, slug: &str) -> String {
    let page = visitor.get(link).await;
    let href = page.href_containing(&format!("?tab={slug}")).unwrap_or_else(|| panic!("a {slug} tab: {}", page.text()));
    visitor.get(&app.url(&href)).await.text()
}

story! { async fn order_details_show_the_order_and_the_people_each_role_may_see(app) {
    let dana = Visitor::new();
    let sam = Visitor::new();

    let client = tab(&app, &dana, &app.links.client, "order-details").await;
    let agent = tab(&app, &sam, &app.links.buyer_agent, "order-details").await;

    assert!(client.contains("INS-1042") && client.contains("1428 Elm Street, Springfield, IL 62704"), "{client}");
    assert!(client.contains("Appointment with Alex Chen"), "{client}");
    assert!(client.contains("Full home inspection $425.00") && client.contains("Radon test $150.00"), "{client}");
    assert!(client.contains("Dana Whitfield Client dana.whitfield@example.com"), "{client}");
    assert!(client.contains("Sam Ortiz Buyer's agent sam.ortiz@realty.example"), "{client}");
    assert!(agent.contains("Full home inspection") && !agent.contains("$425.00"), "agents see no prices: {agent}");
    assert!(!agent.contains("dana.whitfield@example.com"), "nor the clients' own details: {agent}");
    assert!(agent.contains("sam.ortiz@realty.example"));
}}

story! { async fn documents_list_what_each_viewer_may_open(app) {
    let dana = Visitor::new();
    let sam = Visitor::new();

    let before = tab(&app, &dana, &app.links.client, "documents").await;
    assert!(before.contains("Invoice 1042 (PDF)"), "{before}");
    assert!(before.contains("Your report is ready. It will be released as soon as the Pre-Inspection Agreement is signed by Dana Whitfield and invoice 1042 is paid"), "the dashboard's words: {before}");
    assert!(!before.contains("Residential Inspection"), "{before}");
    let agent = tab(&app, &sam, &app.links.buyer_agent, "documents").await;
    assert!(!agent.contains("Invoice 1042"), "agents see no invoice: {agent}");
    assert!(agent.contains("Inspection Summary"), "the summary agents may read meanwhile: {agent}");

    let page = dana.get(&app.links.client).await;
    dana.sign(&page, "Dana Whitfield").await;
    app.pay_demo_invoice(&dana).await;

    let after = tab(&app, &dana, &app.links.client, "documents").await;
    assert!(after.contains("Pre-Inspection Agreement (signed, PDF)"), "{after}");
    assert!(after.contains("Residential Inspection"), "{after}");
    assert!(!after.contains("It will be released"), "{after}");
}}

story! { async fn contact_us_names_the_inspector_and_the_business(app) {
    let text = tab(&app, &Visitor::new(), &app.links.client, "contact-us").await;

    assert!(text.contains("Keystone Home Inspections"));
    assert!(text.contains("Your inspector Alex Chen"), "{text}");
    assert!(text.contains("Phone (555) 010-4477") && text.contains("office@keystone-inspections.example"), "{text}");
}}

story! { async fn contractors_show_only_where_the_business_turned_them_on(app) {
    let dana = Visitor::new();
    let text = tab(&app, &dana, &app.links.client, "contractors").await;
    assert!(text.contains("Bright Spark Electric Electrician (555) 010-2200"), "{text}");
    assert!(text.contains("ClearFlow Plumbing"), "{text}");
    let listing = Visitor::new().get(&app.links.listing_agent).await;
    assert!(listing.href_containing("?tab=contractors").is_none(), "not for the listing agent");

    let tenant = app.demo_tenant_id().await;
    let off = serde_json::json!({ "enabled": false, "contractors": "Bright Spark Electric | Electrician | (555) 010-2200" });
    app.server.state.db.tenant(&tenant).set_plugin_settings("contractors", &off.to_string()).await.unwrap();

    let page = dana.get(&app.links.client).await;
    assert!(page.href_containing("?tab=contractors").is_none(), "the tab is gone: {}", page.text());
}}
