//! Moving offers: "Start your moving plan" on the dashboard, the Special
//! Offers tab, "No thanks", and quotes that share nothing without consent.

use portico_tests::{Page, Visitor};

async fn on_offers(visitor: &Visitor, page: &Page, card: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    visitor.act(page, "moving-offers", card, action, fields).await
}

story! { async fn a_quote_is_sent_to_the_partner_only_after_the_client_consents(app) {
    let dana = Visitor::new();
    let dashboard = dana.get(&app.links.client).await;
    assert!(dashboard.text().contains("Start your moving plan") && dashboard.text().contains("Two Rivers Moving, HomeShield"), "{}", dashboard.text());
    let tab_url = app.url(&dashboard.href_containing("?tab=special-offers").expect("a Special Offers tab"));
    let tab = dana.get(&tab_url).await;
    assert!(tab.text().contains("Two Rivers Moving: 10% off your local move"), "{}", tab.text());
    let tenant = app.demo_tenant_id().await;

    let unticked = on_offers(&dana, &tab, "special-offers", "quote-0", &[]).await;

    assert!(unticked.text().contains("Tick the box to let us share your details with Two Rivers Moving. Nothing is shared until you do."), "{}", unticked.text());
    assert_eq!(app.mail_count(&tenant, "quotes@tworivers-moving.example").await, 0, "nothing shared");
    assert_eq!(app.audit_count("offer.consented").await, 0);

    let sent = on_offers(&dana, &tab, "special-offers", "quote-0", &[("consent-0", "on")]).await;

    assert!(sent.text().contains("Sent to Two Rivers Moving. They will contact you about the quote."), "{}", sent.text());
    assert_eq!(app.audit_count("offer.consented").await, 1);
    let mail = app.last_mail_to(&tenant, "quotes@tworivers-moving.example").await.expect("the partner is e-mailed");
    assert_eq!(mail.subject, "Quote request: 10% off your local move");
    assert!(mail.body.contains("Name: Dana Whitfield") && mail.body.contains("E-mail: dana.whitfield@example.com"));
    assert!(mail.body.contains("Property: 1428 Elm Street, Springfield, IL 62704"));
    assert_eq!(app.mail_count(&tenant, "partners@homeshield.example").await, 0, "only the partner chosen");
    let again = dana.get(&tab_url).await;
    assert!(again.text().contains("You asked Two Rivers Moving for a quote"), "{}", again.text());
}}

story! { async fn no_thanks_folds_the_plan_and_the_tab_brings_it_back(app) {
    let dana = Visitor::new();
    let dashboard = dana.get(&app.links.client).await;

    let folded = on_offers(&dana, &dashboard, "moving-plan", "dismiss", &[]).await;

    assert!(folded.text().contains("The offers stay on the Special Offers tab."), "{}", folded.text());
    assert!(!folded.text().contains("Start your moving plan"), "{}", folded.text());
    let tab = dana.get(&app.url(&folded.href_containing("?tab=special-offers").expect("the tab stays"))).await;
    assert!(tab.text().contains("HomeShield: First month of home warranty free"), "{}", tab.text());
    let back = on_offers(&dana, &tab, "special-offers", "show", &[]).await;
    assert!(dana.get(&app.links.client).await.text().contains("Start your moving plan"), "{}", back.text());
}}

story! { async fn agents_get_no_offers_and_cannot_ask_for_quotes(app) {
    let sam = Visitor::new();
    let page = sam.get(&app.links.buyer_agent).await;
    assert!(!page.text().contains("moving plan") && page.href_containing("?tab=special-offers").is_none(), "{}", page.text());

    let csrf = page.hidden("csrf").unwrap();
    let actions = app.url(&format!("{}/actions", page.job_path()));
    let forged = sam
        .post(&actions, &[("_portico_csrf", &csrf), ("_portico_plugin", "moving-offers"), ("_portico_card", "special-offers"), ("_portico_action", "quote-0"), ("consent-0", "on")])
        .await;
    assert_eq!(forged.status, 404);
    let tenant = app.demo_tenant_id().await;
    assert_eq!(app.mail_count(&tenant, "quotes@tworivers-moving.example").await, 0);
}}
