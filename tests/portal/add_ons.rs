//! Add-on services: the business's catalogue on the client's dashboard,
//! requests, "No thanks", and the office's approval onto the invoice.

use crate::api::{call, create_key};
use portico_tests::{Page, TestApp, Visitor};
use reqwest::Method;

/// The checkbox name of the add-on called `name` on `page`.
async fn add_on_input(app: &TestApp, name: &str) -> String {
    let tenant = app.demo_tenant_id().await;
    let services = app.server.state.db.tenant(&tenant).add_on_services().await.unwrap();
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
    assert!(page.body.find("id=\"card-payments-pay\"").unwrap() < page.body.find("id=\"card-add-ons-add-services\"").unwrap(), "what is asked comes before the offer");

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
    let request = app.server.state.db.tenant(&tenant).add_on_requests(&job).await.unwrap().remove(0);
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
    let services = app.server.state.db.tenant(&tenant).add_on_services().await.unwrap();
    let retest = services.iter().find(|s| s.name == "Radon retest").unwrap();
    owner.post(&app.url(&format!("/staff/add-ons/{}/toggle", retest.id)), &[("csrf", &csrf), ("active", "0")]).await;
    assert!(!Visitor::new().get(&app.links.client).await.text().contains("Radon retest"), "no longer offered");
}}

story! { async fn an_integration_approves_and_declines_add_on_requests_with_its_key(app) {
    let dana = Visitor::new();
    let sewer = add_on_input(&app, "Sewer scope").await;
    let mold = add_on_input(&app, "Mold air sampling").await;
    let page = dana.get(&app.links.client).await;
    on_add_ons(&dana, &page, "request", &[(&sewer, "on"), (&mold, "on")]).await;
    let owner = app.owner().await;
    let reader = create_key(&app, &owner, "Reports", &["jobs:read"]).await;
    let key = create_key(&app, &owner, "Scheduling system", &["jobs:read", "jobs:write"]).await;
    let (job, _) = app.demo_invoice().await;
    let requests = format!("/api/v1/jobs/{job}/add-ons");

    let (listed_status, listed, _) = call(&app, Method::GET, &requests, Some(&key), None, None).await;
    let id_of = |name: &str| listed["data"].as_array().unwrap().iter().find(|r| r["name"] == name).expect("listed")["id"].as_str().unwrap().to_string();
    let (approve, decline) = (format!("{requests}/{}/approve", id_of("Sewer scope")), format!("{requests}/{}/decline", id_of("Mold air sampling")));
    let (read_only, _, _) = call(&app, Method::POST, &approve, Some(&reader), None, None).await;
    let (approved_status, approved, _) = call(&app, Method::POST, &approve, Some(&key), None, None).await;
    let (again_status, again, _) = call(&app, Method::POST, &approve, Some(&key), None, None).await;
    let (declined_status, declined, _) = call(&app, Method::POST, &decline, Some(&key), None, None).await;
    let (declined_again, _, _) = call(&app, Method::POST, &decline, Some(&key), None, None).await;
    let (unknown, _, _) = call(&app, Method::POST, &format!("{requests}/no-such-request/approve"), Some(&key), None, None).await;

    assert_eq!(listed_status, 200, "{listed}");
    assert!(listed["data"].as_array().unwrap().iter().all(|r| r["status"] == "requested" && r["requested_by"] == "Dana Whitfield"), "{listed}");
    assert_eq!(read_only, 403, "deciding takes jobs:write");
    assert_eq!(approved_status, 200, "{approved}");
    assert_eq!((approved["status"].as_str(), approved["decided_by"].as_str()), (Some("approved"), Some("Scheduling system")), "{approved}");
    assert_eq!(again_status, 409, "{again}");
    assert!(again["error"]["message"].as_str().unwrap().contains("Sewer scope was already decided"), "{again}");
    assert_eq!((declined_status, declined["status"].as_str()), (200, Some("declined")), "{declined}");
    assert_eq!(declined_again, 409);
    assert_eq!(unknown, 404);
    let client = dana.get(&app.links.client).await.text();
    assert!(client.contains("Sewer scope (add-on)") && client.contains("Total $785.00"), "approved once, onto the invoice: {client}");
    assert!(!client.contains("Mold air sampling (add-on)"), "{client}");
    assert_eq!((app.audit_count("add-on.approved").await, app.audit_count("add-on.declined").await), (1, 1));
}}
