//! Add-on services: the business's catalogue on the client's dashboard,
//! requests, "No thanks", and the office's approval onto the invoice.

use portico_tests::{Page, TestApp, Visitor};

/// The checkbox name of the add-on called `name` on `page`.
async fn add_on_input(app: &TestApp, name: &str) -> String {
    let tenant = app.demo_tenant_id().await;
    let services = app.server.state.db.add_on_services(&tenant).await.unwrap();
    format!("addon-{}", services.iter().find(|s| s.name == name).expect("a demo add-on").id)
}

async fn on_add_ons(visitor: &Visitor, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
    visitor.act(page, "add-ons", "add-services", action, fields).await
}

story! { async fn the_client_requests_an_add_on_and_the_office_approves_it_onto_the_invoice(app) {
    let dana = Visitor::new();
    let sewer = add_on_input(&app, "Sewer scope").await;
    let page = dana.get(&app.links.client).await;
    let text = page.text();
    assert!(text.contains("Add services") && text.contains("Sewer scope") && text.contains("$175.00"), "{text}");
    assert!(text.find("Add services").unwrap() < text.find("Pay for your service").unwrap(), "the offer heads the dashboard");

    let nothing = on_add_ons(&dana, &page, "request", &[]).await;
    let requested = on_add_ons(&dana, &page, "request", &[(&sewer, "on")]).await;
    let again = on_add_ons(&dana, &page, "request", &[(&sewer, "on")]).await;

    assert!(nothing.text().contains("Tick the services you want to add."), "{}", nothing.text());
    assert!(requested.text().contains("Requested: Sewer scope."), "{}", requested.text());
    assert!(requested.text().contains("Requested by Dana Whitfield; awaiting confirmation."), "{}", requested.text());
    assert!(again.text().contains("Sewer scope was already requested for this job."), "{}", again.text());
    assert_eq!(app.audit_count("add-on.requested").await, 1);
    assert!(requested.text().contains("Total $610.00"), "nothing is billed before approval");

    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    app.add_staff("crew@keystone-inspections.example", "Eli Employee", "employee", "employee-password-1").await;
    let (job, _) = app.demo_invoice().await;
    let employee = app.staff("crew@keystone-inspections.example", "employee-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    let staff_page = office.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    assert!(staff_page.text().contains("Sewer scope $175.00 Dana Whitfield"), "{}", staff_page.text());
    let tenant = app.demo_tenant_id().await;
    let request = app.server.state.db.add_on_requests(&tenant, &job).await.unwrap().remove(0);
    let approve = app.url(&format!("/staff/jobs/{job}/add-ons/{}/approve", request.id));
    let employee_page = employee.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    assert_eq!(employee.post(&approve, &[("csrf", &employee_page.hidden("csrf").unwrap())]).await.status, 403);

    let approved = office.post(&approve, &[("csrf", &staff_page.hidden("csrf").unwrap())]).await;

    assert!(approved.text().contains("Sewer scope approved and added to the invoice."), "{}", approved.text());
    let client = dana.get(&app.links.client).await.text();
    assert!(client.contains("Added to your invoice."), "{client}");
    assert!(client.contains("Sewer scope (add-on)") && client.contains("Total $785.00") && client.contains("Balance due $785.00"), "{client}");
    let replay = office.post(&approve, &[("csrf", &staff_page.hidden("csrf").unwrap())]).await;
    assert!(replay.text().contains("already decided"), "approved once: {}", replay.text());
    assert!(dana.get(&app.links.client).await.text().contains("Total $785.00"), "not twice");
}}

story! { async fn no_thanks_folds_the_offer_and_it_opens_again(app) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;

    let folded = on_add_ons(&dana, &page, "dismiss", &[]).await;
    assert!(folded.text().contains("You said no thanks to the add-on services."), "{}", folded.text());
    assert!(!folded.text().contains("Mold air sampling"), "{}", folded.text());

    let opened = on_add_ons(&dana, &folded, "show", &[]).await;
    assert!(opened.text().contains("Mold air sampling"), "{}", opened.text());
}}

story! { async fn agents_are_not_offered_add_ons_and_cannot_request_them(app) {
    let sam = Visitor::new();
    let sewer = add_on_input(&app, "Sewer scope").await;
    let page = sam.get(&app.links.buyer_agent).await;
    assert!(!page.text().contains("Add services"), "{}", page.text());

    let csrf = page.hidden("csrf").unwrap();
    let actions = app.url(&format!("{}/actions", page.job_path()));
    let forged = sam
        .post(&actions, &[("_portico_csrf", &csrf), ("_portico_plugin", "add-ons"), ("_portico_card", "add-services"), ("_portico_action", "request"), (&sewer, "on")])
        .await;
    assert_eq!(forged.status, 404);
    assert_eq!(app.audit_count("add-on.requested").await, 0);
}}

story! { async fn the_owner_keeps_the_catalogue(app) {
    let owner = app.owner().await;
    let page = owner.get(&app.url("/staff/add-ons")).await;
    let csrf = page.hidden("csrf").unwrap();
    let url = app.url("/staff/add-ons");

    let bad = owner.post(&url, &[("csrf", &csrf), ("name", "Radon retest"), ("price", "cheap")]).await;
    assert!(bad.text().contains("Price: \"cheap\" is not an amount"), "{}", bad.text());
    let added = owner.post(&url, &[("csrf", &csrf), ("name", "Radon retest"), ("description", "A second 48-hour test."), ("price", "95")]).await;
    assert!(added.text().contains("\"Radon retest\" is offered to clients now."), "{}", added.text());
    let offered = Visitor::new().get(&app.links.client).await.text();
    assert!(offered.contains("Radon retest A second 48-hour test. Price $95.00"), "{offered}");

    let tenant = app.demo_tenant_id().await;
    let services = app.server.state.db.add_on_services(&tenant).await.unwrap();
    let retest = services.iter().find(|s| s.name == "Radon retest").unwrap();
    owner.post(&app.url(&format!("/staff/add-ons/{}/toggle", retest.id)), &[("csrf", &csrf), ("active", "0")]).await;
    assert!(!Visitor::new().get(&app.links.client).await.text().contains("Radon retest"), "no longer offered");
}}
