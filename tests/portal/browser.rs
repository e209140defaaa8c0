//! The demo journey in a real browser: Debian's headless Chromium, driven
//! through chromedriver. Skipped (saying so) where they are not installed,
//! unless PORTICO_REQUIRE_BROWSER=1, as in CI.

use fantoccini::{ClientBuilder, Locator};
use portico_tests::TestApp;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn browser_available() -> bool {
    let present = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("PORTICO_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("PORTICO_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)");
        }
        eprintln!("SKIPPED browser test: {CHROMIUM} and {CHROMEDRIVER} are not installed");
    }
    present
}

/// At most two browsers at once in this test process: on a two-core machine
/// more Chromiums starting beside the other tests can take longer to start
/// than any fixed wait, which made the first CI try fail on a session.
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// How long chromedriver may take to start and hand out a session.
const SESSION_DEADLINE: Duration = Duration::from_secs(90);

/// A headless Chromium session at a phone's width, with its driver, profile
/// and turn, which go away when dropped.
pub(crate) struct Browser {
    pub(crate) client: fantoccini::Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
    _turn: tokio::sync::SemaphorePermit<'static>,
}

impl std::ops::Deref for Browser {
    type Target = fantoccini::Client;
    fn deref(&self) -> &fantoccini::Client {
        &self.client
    }
}

impl Browser {
    /// Ends the session, so Chromium exits before its driver is killed.
    pub(crate) async fn close(self) -> Result<(), fantoccini::error::CmdError> {
        self.client.clone().close().await
    }
}

pub(crate) async fn open_browser() -> Browser {
    let turn = BROWSERS.acquire().await.expect("the browser semaphore is never closed");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempfile::tempdir().unwrap();
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--window-size=375,812",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let webdriver = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(capabilities.as_object().unwrap().clone());
        match builder.connect(&webdriver).await {
            Ok(connected) => break connected,
            Err(_) if started.elapsed() < SESSION_DEADLINE => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("chromedriver gave no session in {SESSION_DEADLINE:?}: {error}"),
        }
    };
    Browser { client, _driver: driver, _profile: profile, _turn: turn }
}

/// The text of the first element matching `css` once it contains `needle`,
/// waiting for the page a click is loading (the page being left may still
/// match for a moment, or go stale under our hands).
pub(crate) async fn wait_for_text(browser: &fantoccini::Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {needle:?}; last: {last}");
}

#[tokio::test]
async fn the_client_dismisses_add_ons_signs_pays_reads_the_report_and_shares_a_repair_list() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let browser = open_browser().await;

    // Say no thanks to the add-ons at the top of the dashboard.
    browser.goto(&app.links.client).await.unwrap();
    wait_for_text(&browser, "#card-reports-view-report", "It will be released as soon as").await;
    browser.find(Locator::Css("#card-add-ons-add-services button[value=dismiss]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "#card-add-ons-add-services", "You said no thanks").await;

    // Sign: "Read and sign" opens the agreement's page; type the name, tick
    // the consent, click, and go back to the dashboard.
    browser.find(Locator::Css("#card-agreements-sign-agreement a.button.primary")).await.unwrap().click().await.unwrap();
    browser.find(Locator::Css("input[name=full_name]")).await.unwrap().send_keys("Dana Whitfield").await.unwrap();
    browser.find(Locator::Css("input[name=consent]")).await.unwrap().click().await.unwrap();
    browser.find(Locator::Css("button[value=sign]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "#card-agreements-read-and-sign .chip.tone-success", "Signed").await;
    browser.find(Locator::LinkText("Back to the dashboard")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "#card-agreements-sign-agreement .chip.tone-success", "Signed").await;

    // Pay with the labelled test provider.
    browser.find(Locator::Css("#card-payments-pay button[value^=pay-]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "main", "Test mode").await;
    browser.find(Locator::Css("button[name=outcome][value=pay]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "#card-payments-pay .chip.tone-success", "Paid").await;
    wait_for_text(&browser, "#card-agreements-sign-agreement .chip.tone-success", "Signed").await;

    // The report is released: the first thing on the page opens it, and so does its card.
    let headline = browser.find(Locator::Css(".headline a.button.primary")).await.unwrap();
    assert_eq!(headline.text().await.unwrap(), "View report");
    let report = browser.find(Locator::Css("#card-reports-view-report a.button")).await.unwrap();
    assert_eq!(report.text().await.unwrap(), "Residential Inspection Report");
    assert!(report.attr("href").await.unwrap().is_some_and(|href| href.contains("/documents/")));

    // Build the repair list from two findings and share it.
    let findings = browser.find_all(Locator::Css("#card-repair-list-repair-list input[name^=item-]")).await.unwrap();
    assert_eq!(findings.len(), 5);
    findings[0].click().await.unwrap();
    findings[2].click().await.unwrap();
    browser.find(Locator::Css("#card-repair-list-repair-list button[value=share]")).await.unwrap().click().await.unwrap();
    wait_for_text(&browser, "body", "Shared 2 findings with Sam Ortiz.").await;

    // The buyer's agent's link shows the shared list.
    browser.goto(&app.links.buyer_agent).await.unwrap();
    let shared = wait_for_text(&browser, "#card-repair-list-repair-list", "shared this list with you").await;
    browser.close().await.unwrap();
    assert!(shared.contains("Dana Whitfield shared this list with you"), "{shared}");
    assert!(shared.contains("Double-tapped breaker") && shared.contains("Slow drain"), "{shared}");
}
