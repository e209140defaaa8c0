//! Every page of the demo in Debian's headless Chromium, at a phone's width
//! and a desk's, as each person on the job, as a visitor who is not signed
//! in, and as staff: axe-core finds no WCAG 2.1 A or AA violation, no page
//! scrolls sideways on the phone, and the message after a refused form is on
//! screen.
//!
//! With PORTICO_SCREENSHOTS=<folder>, each page view is also saved there as a
//! PNG, for a person to look at.
//!
//! axe-core comes from npm (`.ci/node`, installed by `.ci/run`; or the file
//! PORTICO_AXE_JS names). Skipped, saying so, without it or without the
//! browser, unless PORTICO_REQUIRE_BROWSER=1, as in CI.

use crate::browser::{browser_available, open_browser};
use fantoccini::Locator;
use portico_tests::TestApp;
use std::collections::BTreeSet;

/// A phone first, then a desk.
const WIDTHS: [u32; 2] = [375, 1280];
const HEIGHT: u32 = 900;

/// What a page must pass: WCAG 2.0 and 2.1, levels A and AA.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
  .then(result => done(result.violations.map(v =>
    `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)))
  .catch(error => done([`axe failed: ${error}`]));
"#;

/// `[scroll width, viewport width, the innermost elements that stick out]`.
const WIDTH_OF_PAGE: &str = r#"
const limit = document.documentElement.clientWidth;
const out = e => e.getBoundingClientRect().right > limit + 1;
const scrolled = e => { for (let p = e.parentElement; p; p = p.parentElement) { if (getComputedStyle(p).overflowX !== 'visible') return p !== document.documentElement && p !== document.body; } return false; };
const wide = [...document.querySelectorAll('body *')].filter(e => out(e) && !scrolled(e) && ![...e.children].some(out))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].map(c => '.' + c).join(''));
return [document.documentElement.scrollWidth, limit, wide.join(', ')];
"#;

/// The same-origin links of the page under `prefix`, without their fragment.
const LINKS_UNDER: &str = r#"
const prefix = arguments[0];
return [...document.querySelectorAll('a[href]')]
  .map(a => new URL(a.href, location.href))
  .filter(u => u.origin === location.origin && u.pathname.startsWith(prefix))
  .map(u => u.pathname + u.search);
"#;

/// `[top, bottom, viewport height]` of the message in the card acted on.
const MESSAGE_PLACE: &str = r#"
const box = document.querySelector('.card .notice[role=alert]').getBoundingClientRect();
return [box.top, box.bottom, window.innerHeight];
"#;

fn axe_source() -> Option<String> {
    let path = std::env::var("PORTICO_AXE_JS").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/node/node_modules/axe-core/axe.min.js")
    });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(error) if std::env::var("PORTICO_REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
            panic!("PORTICO_REQUIRE_BROWSER=1 but axe-core is missing at {} ({error}); run `npm ci --prefix .ci/node`", path.display())
        }
        Err(_) => {
            eprintln!("SKIPPED accessibility audit: no axe-core at {} (npm ci --prefix .ci/node)", path.display());
            None
        }
    }
}

/// One browser walking pages and writing down what each fails.
struct Audit {
    browser: crate::browser::Browser,
    base: String,
    axe: String,
    failures: Vec<String>,
    audited: usize,
}

impl Audit {
    /// Make the viewport (not the window) `width` wide.
    async fn resize(&self, width: u32) {
        self.browser.set_window_size(width, HEIGHT).await.unwrap();
        let inner = self.browser.execute("return window.innerWidth", vec![]).await.unwrap().as_u64().unwrap() as u32;
        if inner != width {
            self.browser.set_window_size(width + (width - inner.min(width)), HEIGHT).await.unwrap();
        }
    }

    /// The pages under `prefix` one click from `path`, `path` first.
    async fn pages_from(&self, path: &str, prefix: &str, skip: &[&str]) -> Vec<String> {
        self.browser.goto(&format!("{}{path}", self.base)).await.unwrap();
        let here = self.path_now().await;
        let found = self.browser.execute(LINKS_UNDER, vec![prefix.into()]).await.unwrap();
        let mut pages = vec![here.clone()];
        let mut seen = BTreeSet::from([here]);
        for link in found.as_array().unwrap().iter().filter_map(|v| v.as_str()) {
            if !skip.iter().any(|s| link.contains(s)) && seen.insert(link.to_string()) {
                pages.push(link.to_string());
            }
        }
        pages
    }

    async fn path_now(&self) -> String {
        let url = self.browser.current_url().await.unwrap();
        format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default())
    }

    /// Audit each of `pages` as `who` at every width.
    async fn pages(&mut self, who: &str, pages: &[String]) {
        for width in WIDTHS {
            self.resize(width).await;
            for path in pages {
                self.page(who, width, path).await;
            }
        }
    }

    async fn page(&mut self, who: &str, width: u32, path: &str) {
        self.browser.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.check(who, width, path).await;
    }

    /// Audit the page the browser shows now (one a form answered with, say).
    async fn check(&mut self, who: &str, width: u32, path: &str) {
        self.audited += 1;
        let at = format!("{path} as {who} at {width} px");
        if let Ok(folder) = std::env::var("PORTICO_SCREENSHOTS") {
            let name: String = format!("{who} {width} {path}").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            let png = self.browser.screenshot().await.unwrap();
            std::fs::write(std::path::Path::new(&folder).join(format!("{:03}-{name:.80}.png", self.audited)), png).unwrap();
        }
        // What a click would open (a confirmation) is checked too.
        self.browser.execute("document.querySelectorAll('details').forEach(d => d.open = true)", vec![]).await.unwrap();
        self.browser.execute(&self.axe, vec![]).await.unwrap();
        let violations = self.browser.execute_async(AXE_RUN, vec![]).await.unwrap();
        for violation in violations.as_array().unwrap() {
            self.failures.push(format!("{at}: {}", violation.as_str().unwrap()));
        }
        let sizes = self.browser.execute(WIDTH_OF_PAGE, vec![]).await.unwrap();
        let (scroll, client) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
        if scroll > client {
            self.failures.push(format!("{at}: scrolls sideways ({scroll} px of content in {client} px; widest: {})", sizes[2]));
        }
    }
}

#[tokio::test]
async fn every_page_passes_axe_and_fits_a_phone_for_every_role_and_for_staff() {
    if !browser_available() {
        return;
    }
    let Some(axe) = axe_source() else { return };
    // As `portico demo` runs: with the readable outbox.
    let app = TestApp::spawn_configured(|config| config.dev_pages = true).await;
    let tenant = app.server.state.db.tenant(&app.demo_tenant_id().await).business().await.unwrap().expect("the demo business");
    // A section on every surface, so the account hub's cards and tab, the
    // console's job panel and a section's console page are audited too.
    let help_desk = portico_tests::hostile_plugin("portico-test-help-desk");
    app.server.state.sections.install_upload(&tenant.id, help_desk, portico_sections::Grants::AllRequested, "{}").await.unwrap();
    // A conversation Dana started, so that a thread is among her pages and the office's.
    let (dana_id, dana_name) = app.server.state.db.tenant(&tenant.id).contact_for_sign_in("dana.whitfield@example.com").await.unwrap().expect("Dana");
    let viewer = portico_services::conversations::ContactViewer { contact_id: &dana_id, verified_email: None, name: &dana_name };
    let draft = portico_services::conversations::Draft { body: "Is the attic hatch in the closet enough?".into(), ..Default::default() };
    app.server.state.conversations.start_by_contact(&tenant, &viewer, None, "Attic access", draft).await.unwrap();
    // An estimate sent to Dana, with an option to tick, so her Estimate tab,
    // the hub's Estimates tab and the console's estimate pages are audited.
    let (job_id, _) = app.demo_invoice().await;
    let owner_user = app.server.state.db.tenant(&tenant.id).staff_users().await.unwrap().remove(0);
    let office = portico_data::Actor::staff(&owner_user.id, &owner_user.display_name);
    let line = |description: &str, price: &str, optional: bool| portico_services::estimates::DraftLine {
        description: description.into(),
        quantity: "1".into(),
        unit_price: price.into(),
        tax_rate: "8.25".into(),
        optional,
    };
    let expires_on = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 14)).to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let draft = portico_services::estimates::EstimateDraft {
        title: "Sewer scope".into(),
        message: "We can scope the main line on the day of the inspection.".into(),
        expires_on,
        deposit_percent: "20".into(),
        lines: vec![line("Sewer camera inspection", "275.00", false), line("Written video report", "45.00", true)],
    };
    let estimates = &app.server.state.estimates;
    let (estimate_id, _) = estimates.write(&tenant, &job_id, &draft, &office).await.unwrap();
    estimates.send(&tenant, &job_id, &estimate_id, &office).await.unwrap();
    // A service request from Dana, for the office's request pages.
    let visits = [portico_core::requests::PreferredVisit { day: draft.expires_on.clone(), part: "afternoon".into() }];
    let form = portico_services::requests::RequestForm {
        description: "The sump pump runs all the time.",
        property_id: None,
        address: ["1428 Elm Street", "Springfield", "IL", "62704"],
        preferred: &visits,
        attached: Vec::new(),
    };
    app.server.state.requests.submit(&tenant, &viewer, "requests", form).await.unwrap();
    let browser = open_browser().await;
    let mut audit = Audit { browser, base: app.url(""), axe, failures: Vec::new(), audited: 0 };

    // Before anyone is signed in: the doors, and a link that names nothing.
    let doors = [format!("/t/{}/signin", tenant.slug), "/staff/login".into(), "/staff/reset".into(), "/p/not-a-link".into()];
    audit.pages("a visitor", &doors).await;

    // Asking for a sign-in code: the page that says to check one's e-mail,
    // and the demo's outbox the code went to.
    audit.resize(WIDTHS[0]).await;
    audit.browser.goto(&app.url(&doors[0])).await.unwrap();
    audit.browser.find(Locator::Css("input[name=email]")).await.unwrap().send_keys("dana.whitfield@example.com").await.unwrap();
    audit.browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    crate::browser::wait_for_text(&audit.browser, "main", "Check your e-mail").await;
    for width in WIDTHS {
        audit.resize(width).await;
        audit.check("a visitor who asked for a link", width, "the page after asking for a link").await;
    }
    audit.pages("a visitor", &[portico_web::dev::outbox_path(&app.server.state, &tenant.slug)]).await;

    // The page behind the "choose your e-mails" link of every notification,
    // opened signed out, offering first to stop the e-mail's own kind.
    let notifications = &app.server.state.notifications;
    let dana = notifications.recipient(&tenant, "dana.whitfield@example.com").await.unwrap();
    let choices = notifications.preferences_url(&tenant, &dana.id, Some(portico_core::notifications::NotificationKind::ReportPublished));
    audit.pages("a visitor", &[choices.trim_start_matches(&audit.base).to_string()]).await;

    // A webhook endpoint, so that its page is among the staff's.
    let owner = app.owner().await;
    let webhooks = owner.get(&app.url("/staff/webhooks")).await;
    let csrf = webhooks.hidden("csrf").unwrap();
    let url = "https://hooks.example.com/integrations/portico/a-rather-long-path-that-a-crm-gives-its-endpoints";
    let registered = owner.post(&app.url("/staff/webhooks"), &[("csrf", csrf.as_str()), ("url", url), ("description", "Our CRM"), ("event", "job.created")]).await;
    assert!(registered.text().contains("hooks.example.com"), "{}", registered.text());

    // Each person on the job: every tab of their page, and their account.
    // Documents and PDFs are files, not pages.
    for (who, link) in [("the client", &app.links.client), ("the buyer's agent", &app.links.buyer_agent), ("the listing agent", &app.links.listing_agent)] {
        let link = link.trim_start_matches(&audit.base).to_string();
        let mut pages = audit.pages_from(&link, "/jobs/", &["/documents/", "/pdf", "/receipt", "/checkout/"]).await;
        assert!(pages[0].starts_with("/jobs/"), "{who}'s link opens their job, not {}", pages[0]);
        assert!(pages.iter().filter(|page| page.contains("?tab=")).count() >= 3, "{who} has tabs: {pages:?}");
        pages.extend(audit.pages_from("/account", "/account", &[]).await);
        pages.extend(audit.pages_from("/messages", "/messages", &[]).await);
        if who == "the client" {
            assert!(pages.iter().any(|page| page.starts_with("/messages/")), "Dana's thread: {pages:?}");
            assert!(pages.iter().any(|page| page == "/account?tab=invoices"), "the hub's section tab: {pages:?}");
            assert!(pages.iter().any(|page| page == "/account?tab=properties"), "the Properties tab: {pages:?}");
            assert!(pages.iter().any(|page| page == "/account?tab=estimates"), "the Estimates tab: {pages:?}");
            assert!(pages.iter().any(|page| page.ends_with("?tab=estimate")), "the job's Estimate tab: {pages:?}");
        }
        audit.pages(who, &pages).await;
    }

    // A refused form: the client presses Sign without typing their name
    // (past the browser's own check, as an old browser would). The page comes
    // back at the card, and the message must be on screen, in the card.
    for width in WIDTHS {
        audit.resize(width).await;
        audit.browser.goto(&app.links.client).await.unwrap();
        audit.browser.find(Locator::Css("#card-agreements-sign-agreement a.button.primary")).await.unwrap().click().await.unwrap();
        audit.browser.execute("document.querySelectorAll('form').forEach(f => f.noValidate = true)", vec![]).await.unwrap();
        audit.browser.find(Locator::Css("button[value=sign]")).await.unwrap().click().await.unwrap();
        let message = crate::browser::wait_for_text(&audit.browser, "#card-agreements-read-and-sign .notice[role=alert]", "full name").await;
        let place = audit.browser.execute(MESSAGE_PLACE, vec![]).await.unwrap();
        let (top, bottom, height) = (place[0].as_f64().unwrap(), place[1].as_f64().unwrap(), place[2].as_f64().unwrap());
        if top < 0.0 || bottom > height {
            audit.failures.push(format!("the refused signature at {width} px: {message:?} is at {top}..{bottom} px of a {height} px screen"));
        }
        audit.check("the client, refused", width, "the page after a refused signature").await;
    }

    // Dead ends, without a session: the client's link after she replaced it,
    // and an address of her job.
    let job = portico_tests::Visitor::new().get(&app.links.client).await.job_path();
    let dana = portico_tests::Visitor::new();
    dana.get(&app.links.client).await;
    let list = dana.get(&app.url("/account/sessions")).await;
    let replace = list.action_containing("/account/links/").expect("Dana can replace her link");
    dana.post(&app.url(&replace), &[("csrf", &list.csrf_for(&replace).unwrap())]).await;
    audit.browser.delete_all_cookies().await.unwrap();
    let old_link = app.links.client.trim_start_matches(&audit.base).to_string();
    audit.pages("a visitor", &[old_link, format!("{job}/documents/not-yours")]).await;

    // Staff: every console page the menu, the home page and a job's page
    // lead to, one click deep.
    audit.browser.goto(&app.url("/staff/login")).await.unwrap();
    audit.browser.find(Locator::Css("#email")).await.unwrap().send_keys(&app.links.staff.email).await.unwrap();
    audit.browser.find(Locator::Css("#password")).await.unwrap().send_keys(&app.links.staff.password).await.unwrap();
    audit.browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    crate::browser::wait_for_text(&audit.browser, "main h1", "Jobs").await;
    assert_eq!(audit.path_now().await, "/staff", "signed in to the console");
    let skip = ["/pdf", "/documents/", "/logo/"];
    let mut staff: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut frontier = vec!["/staff".to_string()];
    for _depth in 0..2 {
        let mut next = Vec::new();
        for start in frontier {
            for page in audit.pages_from(&start, "/staff", &skip).await {
                if seen.insert(page.clone()) {
                    staff.push(page.clone());
                    next.push(page);
                }
            }
        }
        frontier = next;
    }
    for expected in ["/staff/inbox", "/staff/conversations/", "/staff/jobs/new", "/staff/settings/mail/", "/staff/notifications", "/staff/sections/", "/staff/agreements/new", "/staff/api", "/staff/team", "/staff/pages/help-desk", "/staff/properties/"] {
        assert!(staff.iter().any(|page| page.starts_with(expected)), "the crawl reached {expected}: {staff:?}");
    }
    assert!(staff.iter().any(|page| page.starts_with("/staff/webhooks/")), "the endpoint's page: {staff:?}");
    assert!(staff.iter().any(|page| page.ends_with("/estimates")), "the estimate form: {staff:?}");
    assert!(staff.iter().any(|page| page.starts_with("/staff/requests/")), "a request's page: {staff:?}");
    assert!(staff.iter().any(|page| page.starts_with("/staff/jobs/") && page.contains("/preview/")), "a preview: {staff:?}");
    audit.pages("staff", &staff).await;

    // The cleaning company's property manager, signed in with an e-mailed
    // code: her account's tabs, and a cleaning's tabs with the crew's photos.
    let cleaning = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.unwrap().cleaning.unwrap();
    audit.browser.delete_all_cookies().await.unwrap();
    crate::cleaning_demo::code_sign_in(&app, &audit.browser, &cleaning).await;
    let mut riley = audit.pages_from("/account", "/account", &[]).await;
    let jobs = audit.pages_from("/account?tab=jobs", "/jobs/", &[]).await;
    let cleaning_job = jobs.last().expect("a cleaning to open").clone();
    riley.extend(audit.pages_from(&cleaning_job, "/jobs/", &["/documents/", "/pdf", "/receipt", "/checkout/", "/files/"]).await);
    assert!(riley.iter().any(|page| page.ends_with("?tab=photos")), "a cleaning's Photos tab: {riley:?}");
    audit.pages("the cleaning company's property manager", &riley).await;

    // The home-service company's homeowner, signed in with his password:
    // his account's tabs (his estimate, his request) and his upcoming job.
    let service = portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.unwrap().service.unwrap();
    audit.browser.delete_all_cookies().await.unwrap();
    audit.resize(WIDTHS[0]).await;
    audit.browser.goto(&service.signin).await.unwrap();
    audit.browser.find(Locator::Css("input[name=email]")).await.unwrap().send_keys(&service.customer_email).await.unwrap();
    audit.browser.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(&service.customer_password).await.unwrap();
    audit.browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    crate::browser::wait_for_text(&audit.browser, "main", "Your account at a glance").await;
    let mut jordan = audit.pages_from("/account", "/account", &[]).await;
    let estimate = audit.pages_from("/account?tab=estimates", "/jobs/", &[]).await;
    jordan.extend(estimate.into_iter().skip(1));
    assert!(jordan.iter().any(|page| page.ends_with("?tab=estimate")), "his estimate to answer: {jordan:?}");
    audit.pages("the home-service company's homeowner", &jordan).await;

    let Audit { browser, failures, audited, .. } = audit;
    browser.close().await.unwrap();
    eprintln!("accessibility audit: {audited} page views, {} failures", failures.len());
    assert!(failures.is_empty(), "{} failures in {audited} page views:\n{}", failures.len(), failures.join("\n"));
}
