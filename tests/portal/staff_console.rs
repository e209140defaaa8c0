//! Staff sign in and see their jobs and what happened on them.

use portico_tests::{TestApp, Visitor};

async fn sign_in(app: &TestApp, visitor: &Visitor, email: &str, password: &str) -> portico_tests::Page {
    let form = visitor.get(&app.url("/staff/login")).await;
    let csrf = form.hidden("csrf").expect("the sign-in form has a CSRF token");
    visitor.post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", email), ("password", password)]).await
}

story! { async fn the_owner_signs_in_and_sees_the_job_and_the_signature(app) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    dana.sign(&page, "Dana Whitfield").await;

    let owner = Visitor::new();
    let home = sign_in(&app, &owner, &app.links.staff.email, &app.links.staff.password).await;

    assert_eq!(home.status, 200);
    assert!(home.url.ends_with("/staff"));
    let text = home.text();
    assert!(text.contains("INS-1042") && text.contains("1428 Elm Street"), "{text}");
    assert!(text.contains("Sam Ortiz (Buyer's agent)"));
    assert!(text.contains("Dana Whitfield signed \"Pre-Inspection Agreement\""), "{text}");
    assert!(text.contains("Opened the portal from a personal link"));
}}

story! { async fn a_wrong_password_and_an_unknown_address_get_the_same_answer(app) {

    let wrong = sign_in(&app, &Visitor::new(), &app.links.staff.email, "not-the-password").await;
    let unknown = sign_in(&app, &Visitor::new(), "nobody@example.com", "not-the-password").await;

    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert!(wrong.text().contains("That e-mail and password do not match."));
    assert!(unknown.text().contains("That e-mail and password do not match."));
    assert!(wrong.body.contains(&format!("value=\"{}\"", app.links.staff.email)), "the address is kept");
}}

story! { async fn sign_in_without_its_form_token_is_refused(app) {
    let forged = Visitor::new()
        .post(&app.url("/staff/login"), &[("csrf", "x"), ("email", &app.links.staff.email), ("password", &app.links.staff.password)])
        .await;
    assert_eq!(forged.status, 403);
}}

story! { async fn signing_out_ends_the_session_and_clients_never_reach_the_console(app) {
    let owner = Visitor::new();
    let home = sign_in(&app, &owner, &app.links.staff.email, &app.links.staff.password).await;
    let csrf = home.hidden("csrf").unwrap();

    let out = owner.post(&app.url("/staff/logout"), &[("csrf", &csrf)]).await;
    assert!(out.url.ends_with("/staff/login"));
    assert!(owner.get(&app.url("/staff")).await.url.ends_with("/staff/login"), "the session is revoked");

    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    assert!(dana.get(&app.url("/staff")).await.url.ends_with("/staff/login"), "a client session is not a staff session");
}}

/// Of the forms on `page` whose action ends in one of `verbs`: how many there
/// are, and the actions of those not inside a `<details class="confirm">`.
fn forms_asking_first(page: &portico_tests::Page, verbs: &[&str]) -> (usize, Vec<String>) {
    let body = &page.body;
    let (mut found, mut bare) = (0, Vec::new());
    for (at, _) in body.match_indices("<form ") {
        let tag = &body[at..at + body[at..].find('>').unwrap()];
        let Some(action) = tag.split("action=\"").nth(1).and_then(|rest| rest.split('"').next()) else { continue };
        if !verbs.iter().any(|verb| action.ends_with(verb)) {
            continue;
        }
        found += 1;
        let before = &body[..at];
        let asks = before.rfind("<details class=\"confirm\">").is_some_and(|open| !before[open..].contains("</details>"));
        if !asks {
            bare.push(action.to_string());
        }
    }
    (found, bare)
}

story! { async fn destructive_actions_in_the_console_ask_first_and_say_what_will_happen(app) {
    let owner = app.owner().await;
    app.add_staff("robin@keystone.example", "Robin Office", "office", "a long enough password").await;
    let webhooks = owner.get(&app.url("/staff/webhooks")).await;
    let csrf = webhooks.hidden("csrf").unwrap();
    owner.post(&app.url("/staff/webhooks"), &[("csrf", csrf.as_str()), ("url", "https://hooks.example.com/crm"), ("description", "CRM"), ("event", "job.created")]).await;
    let (job, _) = app.demo_invoice().await;
    let endpoint = owner.get(&app.url("/staff/webhooks")).await.href_containing("/staff/webhooks/").expect("the endpoint's page");

    let job_page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let team = owner.get(&app.url("/staff/team")).await;
    let endpoint_page = owner.get(&app.url(&endpoint)).await;

    let verbs = ["/send", "/rotate", "/revoke", "/remove", "/void", "/delete"];
    let (on_job, bare_on_job) = forms_asking_first(&job_page, &verbs);
    let (on_team, bare_on_team) = forms_asking_first(&team, &verbs);
    let (on_endpoint, bare_on_endpoint) = forms_asking_first(&endpoint_page, &verbs);
    assert!(on_job >= 10, "three people's links (send, replace, revoke), taking people off, services: {on_job}");
    assert_eq!((on_team, on_endpoint), (1, 1));
    assert!(bare_on_job.is_empty() && bare_on_team.is_empty() && bare_on_endpoint.is_empty(), "{bare_on_job:?} {bare_on_team:?} {bare_on_endpoint:?}");
    assert!(job_page.text().contains("Dana Whitfield's link stops working now."), "the question says what will happen");
    assert!(team.text().contains("Robin Office can no longer sign in to the console."), "{}", team.text());
}}
