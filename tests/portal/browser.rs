//! One journey in a real browser: Debian's headless Chromium, driven through
//! chromedriver. Skipped (saying so) where they are not installed, unless
//! PORTICO_REQUIRE_BROWSER=1, as in CI.

use fantoccini::{ClientBuilder, Locator};
use portico_tests::TestApp;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn browser_available() -> bool {
    let present = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("PORTICO_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("PORTICO_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)");
        }
        eprintln!("SKIPPED browser test: {CHROMIUM} and {CHROMEDRIVER} are not installed");
    }
    present
}

#[tokio::test]
async fn a_client_signs_the_agreement_by_clicking() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _driver = Driver(
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
                "--disable-sync", "--window-size=375,812",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let webdriver = format!("http://127.0.0.1:{port}");
    let mut client = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(capabilities.as_object().unwrap().clone());
        match builder.connect(&webdriver).await {
            Ok(connected) => {
                client = Some(connected);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let browser = client.expect("chromedriver accepts a session");

    browser.goto(&app.links.client).await.unwrap();
    browser.find(Locator::Css("#in-full_name")).await.unwrap().send_keys("Dana Whitfield").await.unwrap();
    browser.find(Locator::Css("input[name=consent]")).await.unwrap().click().await.unwrap();
    browser.find(Locator::Css("button[value=sign]")).await.unwrap().click().await.unwrap();
    // Wait for the page after the redirect, not the one being left: only it
    // has the agreement's chip in the success tone.
    let chip = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#card-agreements-sign-agreement .chip.tone-success"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    browser.close().await.unwrap();

    assert_eq!(chip, "Signed");
    assert!(body.contains("Your signature is recorded"), "{body}");
}
