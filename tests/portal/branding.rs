//! Branding and locale: the owner's name, colours, welcome text, support
//! contact, logo, locale, time zone and currency, as the portal and the
//! e-mails show them.

use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

fn branding<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", "Keystone Inspections"),
        ("brand_color", "#123456"),
        ("accent_color", "#abcdef"),
        ("welcome_text", "Hello from Keystone."),
        ("support_email", "help@keystone.example"),
        ("support_phone", "020 7946 0958"),
        ("locale", "en-GB"),
        ("timezone", "Europe/London"),
        ("currency", "USD"),
    ];
    for (key, value) in overrides {
        form.iter_mut().find(|(k, _)| k == key).expect("a branding field").1 = value;
    }
    form
}

async fn save(app: &TestApp, owner: &Visitor, fields: &[(&str, &str)]) -> Page {
    let page = owner.get(&app.url("/staff/branding")).await;
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    owner.post(&app.url("/staff/branding"), &form).await
}

story! { async fn the_portal_and_the_e_mails_wear_the_business_s_brand(app) {
    let owner = app.owner().await;

    let saved = save(&app, &owner, &branding(&[])).await;

    assert!(saved.text().contains("Saved. The portal and e-mails use it from now on."), "{}", saved.text());
    let css = Visitor::new().get(&app.url("/t/keystone/brand.css")).await.body;
    assert!(css.contains("--brand: #123456") && css.contains("--accent: #abcdef"), "{css}");
    let portal = Visitor::new().get(&app.links.client).await.text();
    assert!(portal.contains("Keystone Inspections") && portal.contains("Hello from Keystone."), "{portal}");
    // The demo's appointment is tomorrow, so its date is read, not fixed:
    // day before month ("Tue 24 Nov 2026"), a 24-hour clock, London time.
    let appointment: Vec<&str> = portal.split("Appointment ").nth(1).expect("the appointment").split_whitespace().take(6).collect();
    let [weekday, day, month, year, time, zone] = appointment[..] else { panic!("{portal}") };
    let british = weekday.len() == 3 && day.parse::<u32>().is_ok() && month.len() == 3 && year.trim_end_matches(',').len() == 4;
    let clock = time.len() == 5 && time[..2].parse::<u32>().is_ok_and(|h| h < 24);
    assert!(british && clock && zone == "GMT", "British dates in London time: {appointment:?} in {portal}");
    assert!(portal.contains("020 7946 0958 · help@keystone.example"), "{portal}");

    let dana = Visitor::new();
    let form = dana.get(&app.url("/t/keystone/signin")).await;
    dana.post(&app.url("/t/keystone/signin"), &[("csrf", &form.hidden("csrf").unwrap()), ("email", DANA)]).await;
    let tenant = app.demo_tenant_id().await;
    let mail = app.last_mail_to(&tenant, DANA).await.expect("a sign-in link");
    assert!(mail.subject.contains("Keystone Inspections"), "{}", mail.subject);
    assert_eq!(mail.sender_name.as_deref(), Some("Keystone Inspections"));
    assert_eq!(mail.reply_to.as_deref(), Some("help@keystone.example"), "replies go to the business");
    assert!(mail.body.ends_with("-- \nQuestions? 020 7946 0958 · help@keystone.example\n"), "{}", mail.body);
    assert_eq!(app.audit_count("settings.branding").await, 1);
}}

story! { async fn bad_branding_is_explained_and_nothing_is_saved(app) {
    let owner = app.owner().await;

    let colour = save(&app, &owner, &branding(&[("brand_color", "red; } body { display: none")])).await;
    let zone = save(&app, &owner, &branding(&[("timezone", "Mars/Olympus")])).await;
    let currency = save(&app, &owner, &branding(&[("currency", "GBP")])).await;

    for refused in [&colour, &zone, &currency] {
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert!(refused.text().contains("nothing was saved"), "{}", refused.text());
    }
    assert!(colour.text().contains("Brand colour must be a colour like #1f5f8b"), "{}", colour.text());
    assert!(zone.text().contains("“Mars/Olympus” is not a time zone"), "{}", zone.text());
    assert!(currency.text().contains("The currency cannot change once you have invoices (1): their amounts are in USD."), "{}", currency.text());
    assert!(colour.body.contains("value=\"Keystone Inspections\""), "what was typed is kept");
    let tenant = app.server.state.db.tenant(&app.demo_tenant_id().await).business().await.unwrap().unwrap();
    assert_eq!((tenant.name.as_str(), tenant.timezone.as_str(), tenant.currency.as_str()), ("Keystone Home Inspections", "America/Chicago", "USD"));
}}

story! { async fn the_logo_is_an_image_the_business_uploads(app) {
    let owner = app.owner().await;
    let page = owner.get(&app.url("/staff/branding")).await;
    let csrf = page.hidden("csrf").unwrap();
    let png = include_bytes!("../../host/assets/demo-panel.png").to_vec();

    let svg = owner.upload(&app.url("/staff/branding/logo"), &csrf, "logo", "logo.svg", b"<svg onload=\"alert(1)\"/>".to_vec()).await;
    let big = owner.upload(&app.url("/staff/branding/logo"), &csrf, "logo", "logo.png", vec![0x89; 600 << 10]).await;
    let saved = owner.upload(&app.url("/staff/branding/logo"), &csrf, "logo", "logo.png", png.clone()).await;

    assert_eq!(svg.status, 422);
    assert!(svg.text().contains("The logo must be a PNG, JPEG or WebP image."), "{}", svg.text());
    assert!(big.text().contains("The logo may be at most 512 KiB."), "{}", big.text());
    assert!(saved.text().contains("Logo saved."), "{}", saved.text());
    let portal = Visitor::new().get(&app.links.client).await;
    let start = portal.body.find("/t/keystone/logo/").expect("the portal shows the logo");
    let src: String = portal.body[start..].chars().take_while(|c| *c != '"').collect();
    let response = reqwest::get(app.url(&src)).await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().to_vec(), png);
    assert_eq!(Visitor::new().get(&app.url("/t/keystone/logo/logo-0000000000000000.png")).await.status, 404, "only the current logo");
}}

story! { async fn only_owners_change_the_branding(app) {
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    let csrf = office.get(&app.url("/staff")).await.hidden("csrf").unwrap();

    assert_eq!(office.get(&app.url("/staff/branding")).await.status, 403);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend(branding(&[]));
    assert_eq!(office.post(&app.url("/staff/branding"), &form).await.status, 403);
    let tenant = app.server.state.db.tenant(&app.demo_tenant_id().await).business().await.unwrap().unwrap();
    assert_eq!(tenant.name, "Keystone Home Inspections");
}}
