//! A signed-in contact sees all their jobs with a business, and moves between
//! businesses where their proven address is a contact.

use portico_core::model::Role;
use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

/// A second, past job for Dana (a contact record of its own, same address);
/// returns its id.
async fn earlier_job(app: &TestApp) -> portico_core::ids::JobId {
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let property = db.tenant(&tenant).create_property("77 Oak Avenue", "Springfield", "IL", "62701").await.unwrap();
    let job = db.tenant(&tenant).create_job(&property, "INS-0988").await.unwrap();
    let last_year = portico_core::model::now() - 300 * 24 * 3600;
    db.tenant(&tenant).add_appointment(&job, last_year, last_year + 7200, "Alex Chen").await.unwrap();
    let contact = db.tenant(&tenant).create_contact("Dana Whitfield", Some(DANA), None).await.unwrap();
    let token = portico_core::tokens::new_token();
    db.tenant(&tenant).add_job_contact(&job, &contact, Role::Client, &portico_core::tokens::hash_token(&token), None).await.unwrap();
    job
}

/// Dana at Brightside too, with the same address.
async fn dana_at_brightside(app: &TestApp) {
    app.other_tenant_client_link().await;
    let db = &app.server.state.db;
    let brightside = db.tenant_by_slug("brightside").await.unwrap().unwrap();
    let property = db.tenant(&brightside.id).create_property("1428 Elm Street", "Springfield", "IL", "62704").await.unwrap();
    let job = db.tenant(&brightside.id).create_job(&property, "CLN-12").await.unwrap();
    let contact = db.tenant(&brightside.id).create_contact("Dana W.", Some(DANA), None).await.unwrap();
    db.tenant(&brightside.id).add_job_contact(&job, &contact, Role::Client, &portico_core::tokens::hash_token(&portico_core::tokens::new_token()), None).await.unwrap();
}

pub(crate) async fn signed_in_by_email(app: &TestApp) -> (Visitor, Page) {
    signed_in_with(app, DANA).await
}

/// Someone with jobs at the demo business, signed in by the link e-mailed
/// to `email`; with their account hub.
pub(crate) async fn signed_in_with(app: &TestApp, email: &str) -> (Visitor, Page) {
    let tenant = app.demo_tenant_id().await;
    let visitor = Visitor::new();
    let form = visitor.get(&app.url("/t/keystone/signin")).await;
    let csrf = form.hidden("csrf").unwrap();
    visitor.post(&app.url("/t/keystone/signin"), &[("csrf", &csrf), ("email", email)]).await;
    let link = app.last_mail_to(&tenant, email).await.unwrap().link();
    let confirm = visitor.get(&link).await;
    let csrf = confirm.hidden("csrf").unwrap();
    let hub = visitor.post(&link, &[("csrf", &csrf)]).await;
    (visitor, hub)
}

story! { async fn the_hub_lists_upcoming_and_past_jobs_of_a_proven_address(app) {
    let past = earlier_job(&app).await;

    let (dana, hub) = signed_in_by_email(&app).await;

    let text = hub.text();
    let (upcoming, earlier) = text.split_once("Past").expect("a past section");
    assert!(upcoming.contains("1428 Elm Street") && earlier.contains("77 Oak Avenue"), "{text}");
    let old_job = dana.get(&app.url(&format!("/jobs/{past}"))).await;
    assert!(old_job.text().contains("Dana Whitfield · Client") && old_job.text().contains("INS-0988"), "{}", old_job.text());
}}

story! { async fn a_personal_link_reaches_only_its_own_contact_jobs(app) {
    let past = earlier_job(&app).await;
    let dana = Visitor::new();
    dana.get(&app.links.client).await;

    let hub = dana.get(&app.url("/account")).await;
    let other = dana.get(&app.url(&format!("/jobs/{past}"))).await;

    assert!(hub.text().contains("1428 Elm Street") && !hub.text().contains("77 Oak Avenue"), "{}", hub.text());
    assert!(other.text().contains("You are viewing this job as a guest"), "a forwarded link proves no address");
}}

story! { async fn the_account_picker_opens_another_business_of_the_same_address(app) {
    dana_at_brightside(&app).await;
    let (dana, hub) = signed_in_by_email(&app).await;
    assert!(hub.text().contains("Your other portals") && hub.text().contains("Open Brightside Cleaning"), "{}", hub.text());
    let csrf = hub.csrf_for("/account/switch/brightside").unwrap();

    let brightside = dana.post(&app.url("/account/switch/brightside"), &[("csrf", &csrf)]).await;

    assert!(brightside.text().contains("Your jobs with Brightside Cleaning") && brightside.text().contains("CLN-12"), "{}", brightside.text());
    assert!(brightside.text().contains("Open Keystone Home Inspections"), "and back again");
    let keystone_again = dana.get(&app.url("/account")).await;
    assert!(keystone_again.text().contains("Brightside Cleaning"), "one session at a time: now Brightside's");
}}

story! { async fn a_link_session_gets_no_picker_and_cannot_switch(app) {
    dana_at_brightside(&app).await;
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    let hub = dana.get(&app.url("/account")).await;
    assert!(!hub.text().contains("Brightside"), "{}", hub.text());
    let csrf = hub.hidden("csrf").unwrap();

    let switched = dana.post(&app.url("/account/switch/brightside"), &[("csrf", &csrf)]).await;

    assert_eq!(switched.status, 404);
}}
