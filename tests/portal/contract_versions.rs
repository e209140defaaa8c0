//! Contract versions side by side: a section a business uploaded for contract
//! 0.3.0 keeps installing and working on a host that speaks 0.4.0.

use portico_sections::Permission;
use portico_tests::{hostile_plugin, TestApp, Visitor};

const VISITOR_BOOK: &str = "portico-test-contract-0-3";

/// Upload the 0.3.0 visitor book and install it with `grants`.
async fn install_visitor_book(app: &TestApp, grants: &[Permission]) {
    let owner = app.owner().await;
    let csrf = owner.get(&app.url("/staff/sections")).await.hidden("csrf").unwrap();
    let review = owner.upload(&app.url("/staff/sections/upload"), &csrf, "plugin", "visitor_book.wasm", hostile_plugin(VISITOR_BOOK).to_vec()).await;
    assert_eq!(review.status, 200, "{}", review.text());
    assert!(review.text().contains("contract 0.3.0"), "the review says which contract it was built for: {}", review.text());
    let csrf = review.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend(grants.iter().map(|p| ("grant", p.as_str())));
    let installed = owner.post(&review.url, &form).await;
    assert_eq!(installed.status, 200, "{}", installed.text());
}

story! { async fn a_section_built_for_contract_0_3_installs_renders_and_acts(app) {
    install_visitor_book(&app, &[Permission::JobRead, Permission::Storage]).await;
    let dana = Visitor::new();

    let page = dana.get(&app.links.client).await;
    let empty = dana.act(&page, "visitor-book", "book", "sign", &[("name", "  ")]).await;
    let signed = dana.act(&page, "visitor-book", "book", "sign", &[("name", "Dana")]).await;

    let text = page.text();
    assert!(text.contains("Please sign our book"), "its settings' default reached it: {text}");
    assert!(text.contains("Job INS-1042 · signed 0 times"), "it read the job and its storage through the 0.3.0 interfaces: {text}");
    // 0.3.0's one message for the whole form is shown in the card, about no input.
    assert_eq!(empty.text_of("notice-visitor-book-book").unwrap(), "Type your name to sign the book.");
    assert!(!empty.body.contains("aria-invalid"), "{}", empty.body);
    assert!(signed.text().contains("Thank you, Dana."), "{}", signed.text());
    assert!(signed.text().contains("signed 1 times"), "its storage kept the count: {}", signed.text());
}}

story! { async fn a_0_3_section_denied_a_permission_is_told_by_name(app) {
    install_visitor_book(&app, &[Permission::Storage]).await;

    let text = Visitor::new().get(&app.links.client).await.text();

    // Its render fails on the denied job-read; the page stands, its card says unavailable.
    let book = &text[text.find("Visitor book").expect("its card is shown")..];
    assert!(book.contains("This section is temporarily unavailable"), "{book}");
    assert!(text.contains("Pre-Inspection Agreement"), "the rest of the page is whole: {text}");
    // What the section was told, through the adapter: the typed denial, by name.
    let tenant = app.demo_tenant_id().await;
    let installed = app.server.state.db.tenant(&tenant).installation("visitor-book").await.unwrap().unwrap();
    let reason = installed.last_error.unwrap_or_default();
    assert!(reason.contains("Error::Denied(Permission::JobRead)"), "{reason}");
}}
