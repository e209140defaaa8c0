//! A link that no longer works, an ended session and "check your e-mail" are
//! not dead ends: each says what happened in the business's colours, with its
//! sign-in page and how to reach it.

use portico_tests::{Page, Visitor};

/// The way on that every dead end of the demo business offers.
fn offers_the_way_back_in(page: &Page) {
    let text = page.text();
    assert!(page.body.contains("/t/keystone/brand.css"), "in the business's colours");
    assert!(text.contains("Keystone Home Inspections"), "names the business: {text}");
    assert!(page.body.contains("href=\"/t/keystone/signin\""), "links its sign-in page");
    assert!(page.body.contains("href=\"tel:5550104477\"") && page.body.contains("href=\"mailto:office@keystone-inspections.example\""), "and its phone and e-mail");
}

story! { async fn a_replaced_link_says_it_was_replaced_and_how_to_get_back_in(app) {
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    let list = dana.get(&app.url("/account/sessions")).await;
    let action = list.action_containing("/account/links/").expect("Dana can replace her link");
    let replaced = dana.post(&app.url(&action), &[("csrf", &list.csrf_for(&action).unwrap())]).await;
    assert_eq!(replaced.status, 200);

    let old = Visitor::new().get(&app.links.client).await;

    assert_eq!(old.status, 410);
    assert!(old.text().contains("This link no longer works"), "{}", old.text());
    offers_the_way_back_in(&old);
    assert!(!old.text().contains("Dana") && !old.text().contains("Elm Street"), "nothing about the job or the person");
    let unknown = Visitor::new().get(&app.url("/p/never-issued")).await;
    assert_eq!(unknown.status, 404, "a link nobody issued names no business");
    assert!(!unknown.text().contains("Keystone"));
}}

story! { async fn an_ended_session_is_explained_on_the_business_page(app) {
    let phone = Visitor::new();
    let laptop = Visitor::new();
    let job = phone.get(&app.links.client).await;
    laptop.get(&app.links.client).await;
    let list = phone.get(&app.url("/account/sessions")).await;
    let laptop_session = list
        .body
        .split("<div class=\"session\">")
        .skip(1)
        .find(|block| !block.contains("This device"))
        .and_then(|block| block.split("action=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the laptop's session")
        .to_string();
    phone.post(&app.url(&laptop_session), &[("csrf", &list.hidden("csrf").unwrap())]).await;

    let account = laptop.get(&app.url("/account")).await;

    assert_eq!(account.status, 401);
    assert!(account.text().contains("Your session has ended"), "{}", account.text());
    offers_the_way_back_in(&account);

    // Someone who never signed in, on an address of the job, meets the same business.
    let document = Visitor::new().get(&app.url(&format!("{}/documents/anything", job.job_path()))).await;
    assert_eq!(document.status, 401);
    assert!(document.text().contains("Please sign in"), "{}", document.text());
    offers_the_way_back_in(&document);
}}

story! { async fn check_your_e_mail_is_on_the_business_page_with_a_way_back(app) {
    let visitor = Visitor::new();
    let form = visitor.get(&app.url("/t/keystone/signin")).await;
    let csrf = form.hidden("csrf").unwrap();

    let sent = visitor.post(&app.url("/t/keystone/signin"), &[("csrf", &csrf), ("email", "dana.whitfield@example.com")]).await;

    assert!(sent.text().contains("Check your e-mail") && sent.text().contains("Try another address"), "{}", sent.text());
    offers_the_way_back_in(&sent);
}}
