//! The demo's home-service company, as its homeowner and its owner find it:
//! Jordan signs in with the password he chose when invited, and finds his
//! two properties, the paid and the unpaid invoice, the estimate to answer,
//! the request waiting for the office and the office's answer about the
//! furnace; the owner finds the request in the inbox. And in a real browser,
//! at a phone's width, Jordan accepts the estimate with an option.

use crate::browser::{browser_available, open_browser, wait_for_text};
use fantoccini::Locator;
use portico::demo::ServiceLinks;
use portico_tests::{Page, TestApp, Visitor};

/// The whole demo, as `portico demo` makes it, and the company's ways in.
async fn service_demo(app: &TestApp) -> ServiceLinks {
    let links = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.expect("the demo's businesses");
    links.service.expect("the home-service company")
}

/// Jordan signs in at `signin` with his password; his account hub.
async fn jordan_signs_in(service: &ServiceLinks) -> (Visitor, Page) {
    let jordan = Visitor::new();
    let form = jordan.get(&service.signin).await;
    let hub = jordan.post(&service.signin, &[("csrf", &form.hidden("csrf").unwrap()), ("email", &service.customer_email), ("password", &service.customer_password)]).await;
    (jordan, hub)
}

story! { async fn the_homeowner_signs_in_with_his_password_and_finds_his_homes_estimate_request_and_invoices(app) {
    let service = service_demo(&app).await;
    let again = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.unwrap().service.unwrap();

    let (jordan, hub) = jordan_signs_in(&service).await;
    let properties = jordan.get(&app.url("/account?tab=properties")).await.text();
    let invoices = jordan.get(&app.url("/account?tab=invoices")).await.text();
    let estimates = jordan.get(&app.url("/account?tab=estimates")).await;
    let requests = jordan.get(&app.url("/account?tab=request-service")).await;
    let messages = jordan.get(&app.url("/messages")).await.text();

    assert_eq!(again.customer_password, service.customer_password, "made once, then reused");
    assert!(hub.url.ends_with("/account") && hub.text().contains("Northwind Home Services"), "{}", hub.text());
    for place in ["Home", "Lake cabin", "Side gate code 4711."] {
        assert!(properties.contains(place), "{place}: {properties}");
    }
    assert!(!properties.contains("Rented most weekends"), "the office's own note stays with it: {properties}");
    assert!(invoices.contains("NHS-2001") && invoices.contains("NHS-2002") && invoices.contains("$225.00"), "{invoices}");
    assert!(estimates.text().contains("E-0001 Replace the water heater NHS-2003 1955.25 Awaiting your answer"), "{}", estimates.text());
    assert!(requests.text().contains("R-0001") && requests.text().contains("Waiting for the office") && requests.text().contains("Lake cabin"), "{}", requests.text());
    assert!(messages.contains("Furnace filter") && messages.contains("Service request: The outdoor faucet"), "{messages}");

    // The owner signs in with the printed credentials and finds the request.
    let owner = app.staff(&service.staff.email, &service.staff.password).await;
    let inbox = owner.get(&app.url("/staff/requests")).await.text();
    assert!(inbox.contains("R-0001 Jordan Ellis The outdoor faucet on the lake side drips constantly"), "{inbox}");

    // A wrong password is refused, saying so.
    let stranger = Visitor::new();
    let form = stranger.get(&service.signin).await;
    let refused = stranger.post(&service.signin, &[("csrf", &form.hidden("csrf").unwrap()), ("email", &service.customer_email), ("password", "not-his-password")]).await;
    assert_eq!(refused.status, 401);
    assert!(refused.text().contains("That e-mail and password do not match."), "{}", refused.text());
}}

#[tokio::test]
async fn in_a_browser_the_homeowner_accepts_the_estimate_with_an_option() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let service = service_demo(&app).await;
    let browser = open_browser().await;
    browser.set_window_size(390, 900).await.unwrap();

    browser.goto(&service.signin).await.unwrap();
    browser.find(Locator::Css("input[name=email]")).await.unwrap().send_keys(&service.customer_email).await.unwrap();
    browser.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(&service.customer_password).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Your account at a glance").await;
    browser.find(Locator::LinkText("Estimates")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Replace the water heater").await;
    browser.find(Locator::XPath("//a[starts-with(normalize-space(.), 'Review and answer estimate E-0001')]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Thermal expansion tank").await;
    // The expansion tank, his name, the consent; then Accept.
    browser.find(Locator::XPath("//label[contains(., 'Add Thermal expansion tank')]")).await.unwrap().click().await.unwrap();
    browser.find(Locator::Css("input[name=full_name]")).await.unwrap().send_keys("Jordan Ellis").await.unwrap();
    browser.find(Locator::Css("input[name=consent]")).await.unwrap().click().await.unwrap();
    browser.find(Locator::Css("button[value=accept]")).await.unwrap().click().await.unwrap();
    let thanks = wait_for_text(&browser, "main", "is accepted").await;
    assert!(thanks.contains("Thank you, Jordan Ellis. Estimate E-0001 is accepted for 2127.68."), "{thanks}");
    browser.goto(&app.url("/account?tab=invoices")).await.unwrap();
    let invoices = wait_for_text(&browser, "main", "E-0001-D").await;
    assert!(invoices.contains("E-0001-D NHS-2003 531.92 0.00 531.92 531.92 Due"), "the deposit to pay: {invoices}");
    browser.close().await.unwrap();
}
