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
