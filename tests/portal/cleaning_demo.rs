//! The demo's cleaning company, as its property manager and its owner find
//! it: Riley signs in with a code e-mailed to her and sees her year of
//! cleanings at three properties, her figures, last month's batch to pay,
//! the payment she reported awaiting approval and the invoice written off;
//! each cleaning shows the crew's ticked checklists and photos. And the same
//! in a real browser, at a phone's width.

use crate::browser::{browser_available, open_browser, wait_for_text};
use fantoccini::Locator;
use portico::demo::CleaningLinks;
use portico_tests::{Page, TestApp, Visitor};

/// The whole demo, as `portico demo` makes it, and the cleaning company's ways in.
async fn cleaning_demo(app: &TestApp) -> CleaningLinks {
    let links = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.expect("the demo's businesses");
    links.cleaning.expect("the cleaning company")
}

/// Riley asks for a code at `signin` and types it in; her account hub.
async fn riley_signs_in(app: &TestApp, cleaning: &CleaningLinks) -> (Visitor, Page) {
    let tenant = app.server.state.db.tenant_by_slug(portico::demo::CLEANING_SLUG).await.unwrap().unwrap();
    let riley = Visitor::new();
    let form = riley.get(&cleaning.signin).await;
    let code_page = riley.post(&cleaning.signin, &[("csrf", &form.hidden("csrf").unwrap()), ("email", &cleaning.customer_email)]).await;
    let mail = app.last_mail_to(&tenant.id, &cleaning.customer_email).await.expect("the code is e-mailed");
    assert_eq!(mail.template, "signin-code");
    let code = mail.data["code"].as_str().unwrap().to_string();
    let hub = riley.post(&code_page.url, &[("csrf", &code_page.hidden("csrf").unwrap()), ("code", &code)]).await;
    (riley, hub)
}

story! { async fn the_property_manager_signs_in_with_a_code_and_finds_her_year_of_cleanings(app) {
    let cleaning = cleaning_demo(&app).await;
    let again = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.unwrap().cleaning.unwrap();

    let (riley, hub) = riley_signs_in(&app, &cleaning).await;
    let properties = riley.get(&app.url("/account?tab=properties")).await.text();
    let jobs = riley.get(&app.url("/account?tab=jobs")).await;
    let invoices = riley.get(&app.url("/account?tab=invoices")).await.text();
    let transactions = riley.get(&app.url("/account?tab=transactions")).await.text();

    assert_eq!(again.staff.password, cleaning.staff.password, "made once, then reused");
    let text = hub.text();
    assert!(text.contains("Sparkle & Shine Cleaning"), "{text}");
    assert!(text.contains("Completed jobs 33 Pending jobs 3"), "twelve months of three properties, this month's still to come: {text}");
    assert!(text.contains("Bad debt jobs 1"), "{text}");
    assert!(text.contains("Invoiced each month, last 12 months"), "{text}");
    for name in ["Harborview Apartments, unit 2B", "Lakeside Cottage", "Maple Street Office"] {
        assert!(properties.contains(name), "{name}: {properties}");
    }
    assert!(properties.contains("Access Key under the blue planter by the back door; alarm code 1357#."), "{properties}");
    assert!(!properties.contains("Guests sometimes stay late"), "the office's own notes stay with it: {properties}");
    // Each place keeps its share of the card: none is cut short by the host's block limit.
    assert_eq!(properties.matches("Files and photos").count(), 3, "{properties}");
    assert_eq!(properties.matches("more files are on the pages of the jobs here").count(), 3, "{properties}");
    assert!(properties.contains("Invoice Job Total Balance Status"), "{properties}");
    assert!(jobs.text().contains("CLN-4133 Maple Street Office Finished Standard clean Ana Souza 220.00 2 photos"), "each cleaning's before and after photos are counted: {}", jobs.text());
    assert!(jobs.text().contains("Upcoming") && jobs.text().contains("Standard clean Ana Souza"), "{}", jobs.text());
    assert!(invoices.contains("Batch B-0001: Cleanings of") && invoices.contains("Balance due $540.00"), "last month's three cleanings: {invoices}");
    assert!(invoices.contains("Written off"), "{invoices}");
    assert!(transactions.contains("Zelle") && transactions.contains("Zelle 88213"), "{transactions}");

    // The latest cleaning done: the crew's checklists and photos.
    let past = jobs.body.find(">Past<").expect("a Past part");
    let latest_done = jobs.body[past..].split("href=\"/jobs/").nth(1).and_then(|rest| rest.split('"').next()).expect("a past cleaning").to_string();
    let photos = riley.get(&app.url(&format!("/jobs/{latest_done}?tab=photos"))).await;
    let text = photos.text();
    assert!(text.contains("Checklists complete") && text.contains("Kitchen Items done: 4 of 4") && text.contains("Living areas Items done: 3 of 3"), "{text}");
    assert!(photos.body.contains("alt=\"Kitchen before the clean (photo by Ana Souza)\"") && photos.body.contains("alt=\"Kitchen after the clean (photo by Ana Souza)\""), "{text}");
    let photo = photos.href_containing("/files/").expect("the full-size photo");
    let (status, content_type, _) = riley.get_raw(&app.url(&photo)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));

    // The owner signs in with the printed credentials and finds Riley's batch.
    let owner = app.staff(&cleaning.staff.email, &cleaning.staff.password).await;
    let batches = owner.get(&app.url("/staff/batches")).await.text();
    assert!(batches.contains("B-0001") && batches.contains("Riley Chen") && batches.contains("$540.00"), "{batches}");
    let properties = owner.get(&app.url("/staff/properties")).await.text();
    assert!(properties.contains("Lakeside Cottage") && properties.contains("Rental 12"), "{properties}");

    // A first start stopped before demo.json recorded the company: the next
    // start keeps it and gives the owner a new password.
    let path = app.data_dir().join("demo.json");
    let mut secrets: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    secrets.as_object_mut().unwrap().remove("cleaning");
    std::fs::write(&path, secrets.to_string()).unwrap();
    let recovered = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.expect("the demo starts again").cleaning.unwrap();
    assert_ne!(recovered.staff.password, cleaning.staff.password);
    let owner = app.staff(&recovered.staff.email, &recovered.staff.password).await;
    assert!(owner.get(&app.url("/staff/batches")).await.text().contains("B-0001"), "the same company, one batch");
}}

#[tokio::test]
async fn in_a_browser_the_property_manager_signs_in_with_a_code_and_opens_a_cleaning_s_photos() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let cleaning = cleaning_demo(&app).await;
    let browser = open_browser().await;

    code_sign_in(&app, &browser, &cleaning).await;
    browser.find(Locator::LinkText("Properties")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Lakeside Cottage").await;
    browser.find(Locator::LinkText("Jobs")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Past").await;
    // The list ends with the cleanings done: open the last.
    let mut opened = None;
    for link in browser.find_all(Locator::Css("main a[href^='/jobs/']")).await.unwrap() {
        opened = Some(link);
    }
    opened.expect("a job to open").click().await.unwrap();
    wait_for_text(&browser, "body", "Photos").await;
    browser.find(Locator::LinkText("Photos")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Checklists complete").await;
    let shown: bool = browser
        .execute("return [...document.querySelectorAll('main img.image')].some(img => img.complete && img.naturalWidth > 0)", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(shown, "the crew's photos load in the browser");
    browser.close().await.unwrap();
}

/// In `browser`, the cleaning company's customer asks for a code and types
/// the one e-mailed to her, as a person would; her account hub is open after.
pub(crate) async fn code_sign_in(app: &TestApp, browser: &fantoccini::Client, cleaning: &CleaningLinks) {
    let tenant = app.server.state.db.tenant_by_slug(portico::demo::CLEANING_SLUG).await.unwrap().unwrap();
    browser.goto(&cleaning.signin).await.unwrap();
    browser.find(Locator::Css("input[name=email]")).await.unwrap().send_keys(&cleaning.customer_email).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(browser, "main", "6-digit code").await;
    let code = app.last_mail_to(&tenant.id, &cleaning.customer_email).await.unwrap().data["code"].as_str().unwrap().to_string();
    browser.find(Locator::Css("input[name=code]")).await.unwrap().send_keys(&code).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(browser, "main", "Your account at a glance").await;
}
