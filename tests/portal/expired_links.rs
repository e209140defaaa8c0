//! An expired personal link explains itself and offers a fresh one by e-mail.

use portico_core::ids::TenantId;
use portico_core::model::Role;
use portico_core::tokens::{hash_token, new_token};
use portico_tests::{TestApp, Visitor};

/// Put Chris on the demo job as co-client with a link that expired yesterday.
async fn expired_link(app: &TestApp, email: Option<&str>) -> (TenantId, String) {
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let job = Visitor::new().get(&app.links.client).await.job_path();
    let contact = db.tenant(&tenant).create_contact("Chris Whitfield", email, None).await.unwrap();
    let token = new_token();
    let yesterday = portico_core::model::now() - 24 * 3600;
    db.tenant(&tenant).add_job_contact(&portico_core::ids::JobId::new(job.trim_start_matches("/jobs/")), &contact, Role::CoClient, &hash_token(&token), Some(yesterday))
        .await
        .unwrap();
    (tenant, app.url(&format!("/p/{token}")))
}

async fn ask_for_fresh_link(chris: &Visitor, expired: &portico_tests::Page) -> portico_tests::Page {
    let csrf = expired.hidden("csrf").expect("the form has a token");
    chris.post(&format!("{}/renew", expired.url), &[("csrf", &csrf)]).await
}

story! { async fn an_expired_link_sends_a_fresh_one_to_the_address_on_file(app) {
    let (tenant, old_link) = expired_link(&app, Some("chris@example.com")).await;
    let chris = Visitor::new();

    let expired = chris.get(&old_link).await;
    assert_eq!(expired.status, 410);
    assert!(expired.text().contains("This link has expired") && expired.text().contains("Send me a fresh link"));

    let sent = ask_for_fresh_link(&chris, &expired).await;
    assert!(sent.text().contains("We sent a fresh link to c•••@example.com"), "{}", sent.text());

    let mail = app.server.state.db.tenant(&tenant).outbox_to("chris@example.com").await.unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].template, "portal-link");
    let data: serde_json::Value = serde_json::from_str(&mail[0].data_json).unwrap();
    let fresh = data["link"].as_str().unwrap();
    let rendered = app.last_mail_to(&tenant, "chris@example.com").await.unwrap();
    assert!(rendered.subject.contains("1428 Elm Street") && rendered.body.contains(fresh));

    let page = Visitor::new().get(fresh).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Chris Whitfield · Co-client"));
    assert_eq!(Visitor::new().get(&old_link).await.status, 410, "the old link is replaced");
}}

story! { async fn renewing_needs_the_form_token_and_happens_once(app) {
    let (tenant, old_link) = expired_link(&app, Some("chris@example.com")).await;
    let chris = Visitor::new();
    let expired = chris.get(&old_link).await;
    let mailed = || async { app.server.state.db.tenant(&tenant).outbox_to("chris@example.com").await.unwrap().len() };

    let forged = chris.post(&format!("{old_link}/renew"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(mailed().await, 0, "nothing is sent for a forged form");

    let first = ask_for_fresh_link(&chris, &expired).await;
    let replayed = ask_for_fresh_link(&chris, &expired).await;

    assert_eq!(first.status, 200);
    assert_eq!(replayed.status, 403, "the form's token is used up");
    assert_eq!(mailed().await, 1, "one fresh link");
}}

story! { async fn without_an_address_on_file_the_page_says_whom_to_ask(app) {
    let (_, old_link) = expired_link(&app, None).await;
    let chris = Visitor::new();
    let expired = chris.get(&old_link).await;

    let answer = ask_for_fresh_link(&chris, &expired).await;

    assert!(answer.text().contains("Keystone Home Inspections has no e-mail address for you"), "{}", answer.text());
    assert!(answer.text().contains("(555) 010-4477"));
}}

story! { async fn asking_to_renew_a_link_that_still_works_changes_nothing(app) {
    let (tenant, old_link) = expired_link(&app, Some("chris@example.com")).await;
    let chris = Visitor::new();
    let expired = chris.get(&old_link).await;
    let csrf = expired.hidden("csrf").unwrap();

    // Dana's link works; a renewal form aimed at it must not break it.
    let answer = chris.post(&format!("{}/renew", app.links.client), &[("csrf", &csrf)]).await;

    assert!(answer.text().contains("Dana Whitfield · Client"), "sent on to the working link: {}", answer.text());
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200);
    assert_eq!(app.mail_count(&tenant, "dana.whitfield@example.com").await, 0);
}}
