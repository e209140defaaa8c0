//! Clients see where they are signed in, revoke sessions, and sign out.

use portico_tests::{Page, Visitor};

/// The revoke addresses on a sessions page: (path, is this device).
fn revoke_forms(page: &Page) -> Vec<(String, bool)> {
    page.body
        .split("<div class=\"session\">")
        .skip(1)
        .map(|block| {
            let start = block.find("action=\"").unwrap() + 8;
            let path = block[start..].split('"').next().unwrap().to_string();
            (path, block.contains("This device"))
        })
        .collect()
}

story! { async fn a_client_revokes_a_session_on_another_device(app) {
    let phone = Visitor::new();
    let laptop = Visitor::new();
    let job = phone.get(&app.links.client).await.url;
    laptop.get(&app.links.client).await;

    let list = phone.get(&app.url("/account/sessions")).await;
    let forms = revoke_forms(&list);
    assert_eq!(forms.len(), 2, "both devices are listed: {}", list.text());
    assert_eq!(forms.iter().filter(|(_, current)| *current).count(), 1, "this device is marked");
    assert!(list.text().contains("PorticoTest/1.0 (story)") && list.text().contains("127.0.0.1"));
    let (other, _) = forms.iter().find(|(_, current)| !current).unwrap();
    let csrf = list.hidden("csrf").unwrap();

    let after = phone.post(&app.url(other), &[("csrf", &csrf)]).await;

    assert_eq!(revoke_forms(&after).len(), 1, "one session left");
    assert!(laptop.get(&job).await.text().contains("You are viewing this job as a guest"), "the laptop must open the link again");
    assert_eq!(phone.get(&job).await.status, 200, "the phone stays signed in");
}}

story! { async fn signing_out_ends_the_session_and_needs_the_form_token(app) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let csrf = page.hidden("csrf").expect("the sign-out form");

    let forged = dana.post(&app.url("/signout"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(dana.get(&page.url).await.status, 200, "still signed in");

    let out = dana.post(&app.url("/signout"), &[("csrf", &csrf)]).await;

    assert!(out.text().contains("You are signed out"));
    assert!(dana.get(&page.url).await.text().contains("You are viewing this job as a guest"));
    assert_eq!(dana.get(&app.url("/account")).await.status, 401);
    assert_eq!(dana.get(&app.links.client).await.status, 200, "the link signs in again");
}}

story! { async fn nobody_revokes_someone_elses_session(app) {
    let dana = Visitor::new();
    let sam = Visitor::new();
    let dana_job = dana.get(&app.links.client).await.url;
    let sam_job = sam.get(&app.links.buyer_agent).await.url;
    let sams = sam.get(&app.url("/account/sessions")).await;
    let (sams_session, _) = revoke_forms(&sams).into_iter().next().unwrap();
    let danas = dana.get(&app.url("/account/sessions")).await;
    let csrf = danas.hidden("csrf").unwrap();

    let attempt = dana.post(&app.url(&sams_session), &[("csrf", &csrf)]).await;

    assert_eq!(attempt.status, 404);
    assert_eq!(sam.get(&sam_job).await.status, 200, "Sam is still signed in");
    assert_eq!(dana.get(&dana_job).await.status, 200);
}}

story! { async fn a_client_stops_a_forwarded_link_and_gets_a_new_one(app) {
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await;
    let list = dana.get(&app.url("/account/sessions")).await;
    assert!(list.text().contains("Your personal links") && list.text().contains("INS-1042"), "{}", list.text());
    let action = list.body.split("action=\"").find(|a| a.starts_with("/account/links/")).unwrap().split('"').next().unwrap().to_string();
    let csrf = list.csrf_for(&action).unwrap();

    let after = dana.post(&app.url(&action), &[("csrf", &csrf)]).await;

    assert!(after.text().contains("That link no longer works. A new one is on its way to d•••@example.com"), "{}", after.text());
    let forwarded = Visitor::new().get(&app.links.client).await;
    assert_eq!(forwarded.status, 410, "the forwarded link is dead");
    assert!(forwarded.text().contains("This link no longer works") && !forwarded.text().contains("Dana"), "{}", forwarded.text());
    let mail = app.last_mail_to(&tenant, "dana.whitfield@example.com").await.unwrap();
    assert_eq!(Visitor::new().get(&mail.link()).await.status, 200);
    assert!(dana.get(&job.url).await.text().contains("Pre-Inspection Agreement"), "Dana's own session goes on");
}}
