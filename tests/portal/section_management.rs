//! Section management in the staff console: each section's version, state and
//! health; settings from the plugin's own schema; turning sections off and on
//! through a permission review; order and placement; uploads, with a precise
//! reason for each way a file can be wrong; who sees an upload; upgrades that
//! wait for consent.

use portico_sections::Permission;
use portico_tests::{hostile_plugin, Page, TestApp, Visitor};

const OWNER_ONLY: &str = "Not allowed for your role";

async fn sections_page(app: &TestApp, owner: &Visitor) -> Page {
    let page = owner.get(&app.url("/staff/sections")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    page
}

/// Upload `bytes` from the sections page; returns the page answered.
async fn upload(app: &TestApp, owner: &Visitor, name: &str, bytes: Vec<u8>) -> Page {
    let csrf = sections_page(app, owner).await.hidden("csrf").unwrap();
    owner.upload(&app.url("/staff/sections/upload"), &csrf, "plugin", name, bytes).await
}

/// Upload and install a plugin with exactly `grants`; returns the review page.
async fn install(app: &TestApp, owner: &Visitor, wasm: &[u8], grants: &[Permission]) -> Page {
    let review = upload(app, owner, "plugin.wasm", wasm.to_vec()).await;
    assert_eq!(review.status, 200, "{}", review.text());
    let csrf = review.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend(grants.iter().map(|p| ("grant", p.as_str())));
    let installed = owner.post(&review.url, &form).await;
    assert_eq!(installed.status, 200, "{}", installed.text());
    review
}

/// Post a console form found on `page` at `action`, with the page's CSRF token.
async fn submit(visitor: &Visitor, app: &TestApp, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = page.hidden("csrf").expect("a console page");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    visitor.post(&app.url(action), &form).await
}

story! { async fn the_owner_sees_each_section_with_its_version_state_and_health(app) {
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    dana.get(&app.links.client).await;
    let owner = app.owner().await;

    let page = sections_page(&app, &owner).await;

    let text = page.text();
    for expected in ["Agreements", "Payments", "Repair list", "Moving offers", "Contractors"] {
        assert!(text.contains(expected), "{expected} listed: {text}");
    }
    assert!(text.contains("Reports reports 0.2.0 On"), "name, id, version and state: {text}");
    assert!(text.contains("2 calls, 0 failed since this server started · p95"), "two pages rendered: {text}");
    // The dashboard, Jobs, Properties and Service requests show on the
    // account hub only, which nobody opened.
    assert!(text.contains("Account dashboard dashboard 0.1.0 On 0 calls"), "{text}");
    assert!(text.contains("Jobs jobs 0.2.0 On 0 calls") && text.contains("Properties properties 0.2.0 On 0 calls"), "{text}");
    assert!(text.contains("Service requests requests 0.1.0 On 0 calls"), "{text}");
    assert_eq!(text.matches("p95 —").count(), 4, "every section of the job page has been timed: {text}");
}}

story! { async fn only_owners_manage_sections(app) {
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    app.add_staff("crew@keystone-inspections.example", "Eli Employee", "employee", "employee-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    let employee = app.staff("crew@keystone-inspections.example", "employee-password-1").await;

    for member in [&office, &employee] {
        let home = member.get(&app.url("/staff")).await;
        assert!(!home.body.contains("href=\"/staff/sections\""), "no link for their role");
        let csrf = home.hidden("csrf").unwrap();
        assert_eq!(member.get(&app.url("/staff/sections")).await.status, 403);
        assert_eq!(member.get(&app.url("/staff/sections/contractors")).await.status, 403);
        let disabled = member.post(&app.url("/staff/sections/contractors/disable"), &[("csrf", &csrf)]).await;
        assert_eq!(disabled.status, 403);
        assert!(disabled.text().contains(OWNER_ONLY), "{}", disabled.text());
        let uploaded = member.upload(&app.url("/staff/sections/upload"), &csrf, "plugin", "x.wasm", hostile_plugin("portico-test-greeter-v1").to_vec()).await;
        assert_eq!(uploaded.status, 403);
    }

    let tenant = app.demo_tenant_id().await;
    let contractors = app.server.state.db.tenant(&tenant).installation("contractors").await.unwrap().unwrap();
    assert_eq!(contractors.enabled, 1, "still on");
    assert!(app.server.state.sections.installable(&tenant).await.unwrap().iter().all(|c| c.plugin().id() != "greeter"), "nothing uploaded");
}}

story! { async fn a_section_is_configured_from_the_form_its_schema_describes(app) {
    let owner = app.owner().await;
    let page = owner.get(&app.url("/staff/sections/contractors")).await;
    assert!(page.text().contains("Show the Contractors tab") && page.text().contains("Note under the list"), "{}", page.text());

    let saved = submit(&owner, &app, &page, "/staff/sections/contractors/settings", &[
        ("setting.enabled", "on"),
        ("setting.contractors", "Ace Roofing | Roofer | 555-0100 | https://ace.example\r\n"),
        ("setting.disclaimer", "Ask us before you hire."),
    ]).await;

    assert!(saved.text().contains("Settings saved."), "{}", saved.text());
    let dana = Visitor::new();
    let portal = dana.get(&app.links.client).await;
    let tab = dana.get(&app.url(&format!("{}?tab=contractors", portal.job_path()))).await.text();
    assert!(tab.contains("Ace Roofing") && tab.contains("Ask us before you hire."), "{tab}");
    assert_eq!(app.audit_count("section.configured").await, 1);

    // A list of roles that names one that does not exist is refused, and
    // what was saved before stays.
    let payments = owner.get(&app.url("/staff/sections/payments")).await;
    let refused = submit(&owner, &app, &payments, "/staff/sections/payments/settings", &[
        ("setting.payer_roles", "client"),
        ("setting.payer_roles", "intruder"),
        ("setting.other_ways", "Cheque to Keystone"),
    ]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("Who can pay online may only name the roles of people on a job."), "{}", refused.text());
    assert!(refused.text().contains("Cheque to Keystone"), "what was typed is kept");
    let tenant = app.demo_tenant_id().await;
    let stored = app.server.state.db.tenant(&tenant).installation("payments").await.unwrap().unwrap();
    assert_eq!(stored.settings_json, "{}", "nothing saved");
}}

story! { async fn a_whole_number_setting_refuses_words(app) {
    let owner = app.owner().await;
    install(&app, &owner, hostile_plugin("portico-test-greeter-v1"), &[Permission::Storage]).await;
    let page = owner.get(&app.url("/staff/sections/greeter")).await;

    let refused = submit(&owner, &app, &page, "/staff/sections/greeter/settings", &[("setting.greeting", "Welcome"), ("setting.times", "three")]).await;
    let saved = submit(&owner, &app, &page, "/staff/sections/greeter/settings", &[("setting.greeting", "Welcome"), ("setting.times", "2")]).await;

    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("Times must be a whole number; “three” is not."), "{}", refused.text());
    assert!(saved.text().contains("Settings saved."), "{}", saved.text());
    let portal = Visitor::new().get(&app.links.client).await.text();
    assert!(portal.contains("Welcome from greeter 0.1.0Welcome from greeter 0.1.0"), "{portal}");
}}

story! { async fn turning_a_section_on_goes_through_the_permissions_it_asks_for(app) {
    let owner = app.owner().await;
    let page = owner.get(&app.url("/staff/sections/moving-offers")).await;
    let off = submit(&owner, &app, &page, "/staff/sections/moving-offers/disable", &[]).await;
    assert!(off.text().contains("Moving offers is off"), "{}", off.text());
    let dana = Visitor::new();
    assert!(!dana.get(&app.links.client).await.text().contains("Start your moving plan"));

    let review = owner.get(&app.url("/staff/sections/moving-offers")).await;
    let text = review.text();
    assert!(text.contains("Turn on with these permissions"), "{text}");
    assert!(text.contains("E-mail the people on the job") && text.contains("Why:"), "each permission with its reason: {text}");

    let on = submit(&owner, &app, &review, "/staff/sections/moving-offers/permissions", &[
        ("intent", "enable"), ("grant", "job-read"), ("grant", "storage"), ("grant", "notify"), ("grant", "audit"),
    ]).await;
    assert!(on.text().contains("Moving offers is on."), "{}", on.text());
    assert!(dana.get(&app.links.client).await.text().contains("Start your moving plan"));
    assert_eq!(app.audit_count("section.permissions").await, 1);
    assert_eq!(app.audit_count("section.disabled").await, 1);
}}

story! { async fn a_declined_permission_is_denied_inside_the_section(app) {
    let owner = app.owner().await;
    install(&app, &owner, hostile_plugin("portico-test-greeter-v2"), &[Permission::Storage]).await;

    let portal = Visitor::new().get(&app.links.client).await.text();

    assert!(portal.contains("Hello from greeter 0.2.0"), "{portal}");
    let greeting = &portal[portal.find("Hello from greeter").unwrap()..];
    assert!(greeting.contains("the business has not granted this section the job-read permission"), "the plugin is told which grant is missing: {greeting}");
    assert!(!greeting.contains("· job INS-"), "and reads nothing of the job: {greeting}");
}}

story! { async fn the_owner_orders_sections_and_places_cards(app) {
    let owner = app.owner().await;
    let dana = Visitor::new();
    // The dashboard puts what is asked first; among the offers, the
    // business's order holds.
    let at = |page: &portico_tests::Page, card: &str| page.body.find(&format!("id=\"card-{card}\"")).unwrap_or_else(|| panic!("{card}"));
    let before = dana.get(&app.links.client).await;
    assert!(at(&before, "add-ons-add-services") < at(&before, "moving-offers-moving-plan"), "add-ons come first: {}", before.text());
    assert!(at(&before, "payments-pay") < at(&before, "add-ons-add-services"), "after what is asked");

    let page = sections_page(&app, &owner).await;
    for _ in 0..8 {
        submit(&owner, &app, &page, "/staff/sections/moving-offers/move", &[("direction", "up")]).await;
    }
    let after = dana.get(&app.links.client).await;
    assert!(at(&after, "moving-offers-moving-plan") < at(&after, "add-ons-add-services"), "moved above add-ons: {}", after.text());
    assert!(at(&after, "payments-pay") < at(&after, "moving-offers-moving-plan"), "and still after what is asked");
    let bad = submit(&owner, &app, &page, "/staff/sections/add-ons/move", &[("direction", "sideways")]).await;
    assert_eq!(bad.status, 400);

    let details = owner.get(&app.url("/staff/sections/add-ons")).await;
    let placed = submit(&owner, &app, &details, "/staff/sections/add-ons/placements", &[
        ("place.add-services", "tab"), ("tab.add-services", "Extras"),
    ]).await;
    assert!(placed.text().contains("Placement saved."), "{}", placed.text());
    let dashboard = dana.get(&app.links.client).await;
    assert!(!dashboard.text().contains("Add services"), "{}", dashboard.text());
    assert!(dashboard.href_containing("?tab=extras").is_some(), "an Extras tab: {}", dashboard.text());
    let extras = dana.get(&app.url(&format!("{}?tab=extras", dashboard.job_path()))).await.text();
    assert!(extras.contains("Add services") && extras.contains("Sewer scope"), "{extras}");
}}

/// A component importing `interface` (an empty instance), in the text format.
fn component_importing(interface: &str) -> Vec<u8> {
    wat::parse_str(format!("(component (import \"{interface}\" (instance)))")).unwrap()
}

story! { async fn every_way_an_upload_can_be_wrong_is_explained(app) {
    let owner = app.owner().await;
    let max = app.server.state.sections.max_upload_bytes();
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        ("empty", Vec::new(), "Choose a .wasm file to upload.".into()),
        ("not WebAssembly", b"<html>not a plugin</html>".to_vec(), "This file is not WebAssembly".into()),
        ("a core module", wat::parse_str("(module)").unwrap(), "This is a WebAssembly core module, not a component.".into()),
        ("an old contract", component_importing("portico:plugin/log@0.2.0"),
            "The plugin cannot be installed: it was built for contract version 0.2.0, but this host runs sections of portico:plugin 0.4.0 and 0.3.0.".into()),
        ("a foreign import", component_importing("evil:net/socket@1.0.0"),
            "The plugin cannot be installed: it imports `evil:net/socket@1.0.0`, which is not part of the Portico contract or of WASI.".into()),
        ("an undeclared import", hostile_plugin("portico-test-undeclared-import").to_vec(),
            "The plugin imports interfaces for permissions it does not declare in `describe`: storage (imports `storage`).".into()),
        ("a failing describe", hostile_plugin("portico-test-failing-describe").to_vec(), "`describe` failed: trapped".into()),
        ("a slow describe", hostile_plugin("portico-test-slow-describe").to_vec(), "`describe` did not answer within".into()),
        ("too large", vec![0u8; max + 1], format!("The file is {} bytes; plugins may be at most {max} bytes.", max + 1)),
    ];

    for (case, bytes, expected) in cases {
        let refused = upload(&app, &owner, "plugin.wasm", bytes).await;
        assert_eq!(refused.status, 422, "{case}: {}", refused.text());
        let shown = refused.text();
        let error = &shown[shown.find("Upload a plugin").unwrap()..];
        assert!(error.contains(&expected), "{case}: expected “{expected}” in {error}");
    }

    let tenant = app.demo_tenant_id().await;
    assert_eq!(app.audit_count("section.uploaded").await, 0, "nothing was kept");
    assert!(app.server.state.db.tenant(&tenant).visible_uploads().await.unwrap().is_empty());
    let csrf = sections_page(&app, &owner).await.hidden("csrf").unwrap();
    let forged = owner.upload(&app.url("/staff/sections/upload"), "forged", "plugin", "x.wasm", hostile_plugin("portico-test-greeter-v1").to_vec()).await;
    assert_eq!(forged.status, 403, "a forged form is refused");
    assert!(!csrf.is_empty());
}}

/// The owner of a second business, signed in.
async fn other_business_owner(app: &TestApp) -> Visitor {
    app.other_tenant_client_link().await;
    let db = &app.server.state.db;
    let tenant = db.tenant_by_slug("brightside").await.unwrap().unwrap();
    let hash = portico_core::passwords::hash("brightside-owner-1").unwrap();
    db.tenant(&tenant.id).create_staff_user("owner@brightside.example", "Bea Bright", portico_core::model::StaffRole::Owner, &hash).await.unwrap();
    app.staff("owner@brightside.example", "brightside-owner-1").await
}

story! { async fn an_upload_is_reviewed_installed_and_seen_only_by_its_business(app) {
    let owner = app.owner().await;
    let other = other_business_owner(&app).await;

    let review = upload(&app, &owner, "greeter.wasm", hostile_plugin("portico-test-greeter-v1").to_vec()).await;

    let text = review.text();
    assert!(text.contains("Greeter 0.1.0") && text.contains("Uploaded plugin"), "{text}");
    assert!(text.contains("Hello — Job page, dashboard, to Client, Co-client, Buyer's agent, Listing agent, Guest, Staff"), "{text}");
    assert!(text.contains("Keep its own data") && text.contains("To remember how often it greeted someone."), "{text}");
    assert!(!Visitor::new().get(&app.links.client).await.text().contains("greeter"), "not installed before review");

    assert_eq!(other.get(&review.url).await.status, 404, "another business cannot see it");
    assert!(!other.get(&app.url("/staff/sections")).await.text().contains("Greeter"));

    let csrf = review.hidden("csrf").unwrap();
    let installed = owner.post(&review.url, &[("csrf", &csrf), ("grant", "storage")]).await;
    assert!(installed.text().contains("Greeter 0.1.0 is installed."), "{}", installed.text());
    assert!(Visitor::new().get(&app.links.client).await.text().contains("Hello from greeter 0.1.0"));
    assert_eq!(app.audit_count("section.installed").await, 1);
    assert_eq!(app.audit_count("section.uploaded").await, 1);

    // The operator publishes it: now every business may install it.
    let sha = review.url.rsplit('/').next().unwrap().to_string();
    assert!(app.server.state.db.set_package_published(&sha, true).await.unwrap());
    let listed = other.get(&app.url("/staff/sections")).await.text();
    assert!(listed.contains("Greeter 0.1.0") && listed.contains("Published by the operator"), "{listed}");
    assert_eq!(other.get(&review.url).await.status, 200);
}}

story! { async fn an_upgrade_asking_for_more_waits_for_consent_and_the_old_version_keeps_running(app) {
    let owner = app.owner().await;
    install(&app, &owner, hostile_plugin("portico-test-greeter-v1"), &[Permission::Storage]).await;
    let tenant = app.demo_tenant_id().await;
    let sections = &app.server.state.sections;
    let staff_id = app.server.state.db.tenant(&tenant).staff_users().await.unwrap().remove(0).id;
    let v2 = sections.upload(&tenant, &staff_id, hostile_plugin("portico-test-greeter-v2")).await.unwrap();

    sections.offer_upgrades(std::slice::from_ref(&v2)).await.unwrap();

    let dana = Visitor::new();
    assert!(dana.get(&app.links.client).await.text().contains("Hello from greeter 0.1.0"), "the old version runs meanwhile");
    let page = owner.get(&app.url("/staff/sections/greeter")).await;
    let text = page.text();
    assert!(text.contains("Version 0.2.0 is waiting for your consent"), "{text}");
    assert!(text.contains("Read the job, its property, appointments, services and contacts New"), "the new permission is marked: {text}");
    assert!(text.contains("To show the job's reference in the greeting."), "{text}");

    let stale = submit(&owner, &app, &page, "/staff/sections/greeter/upgrade", &[("version", "an-older-review"), ("grant", "storage"), ("grant", "job-read")]).await;
    assert!(stale.text().contains("changed while you were reviewing it"), "{}", stale.text());
    let accepted = submit(&owner, &app, &page, "/staff/sections/greeter/upgrade", &[("version", &v2.sha256), ("grant", "storage"), ("grant", "job-read")]).await;

    assert!(accepted.text().contains("Greeter now runs version 0.2.0."), "{}", accepted.text());
    let portal = dana.get(&app.links.client).await.text();
    assert!(portal.contains("Hello from greeter 0.2.0 · job INS-"), "{portal}");
    assert_eq!(app.audit_count("section.upgraded").await, 1);
}}

story! { async fn first_party_sections_from_an_older_host_are_upgraded_or_wait_for_consent(app) {
    // What an older data directory holds: installations on packages this host
    // no longer runs. One asked for the same permissions as this build's
    // version, the other for fewer.
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let sections = &app.server.state.sections;
    let builtins = sections.builtins();
    let old_descriptor = |id: &str, keep_permissions: bool| {
        let plugin = builtins.iter().find(|p| p.id() == id).unwrap();
        let mut descriptor = serde_json::to_value(&plugin.descriptor).unwrap();
        descriptor["version"] = "0.0.1".into();
        if !keep_permissions {
            descriptor["permissions"] = serde_json::json!([]);
        }
        descriptor.to_string()
    };
    for (id, keep) in [("job-details", true), ("moving-offers", false)] {
        let sha = format!("old-{id}");
        db.register_package(&sha, id, "0.0.1", &old_descriptor(id, keep), "builtin", None).await.unwrap();
        let grants = db.tenant(&tenant).installation(id).await.unwrap().unwrap().grants_json;
        let grants = if keep { grants } else { "[]".to_string() };
        db.tenant(&tenant).set_installed_package(id, &sha, &grants).await.unwrap();
    }
    let dana = Visitor::new();
    let portal = dana.get(&app.links.client).await;
    assert!(!portal.text().contains("Order Details"), "the old packages do not run: {}", portal.text());

    sections.upgrade_builtins().await.unwrap();

    let portal = dana.get(&app.links.client).await;
    assert!(portal.text().contains("Order Details"), "job-details asked for nothing new: upgraded at once");
    assert!(!portal.text().contains("Special Offers"), "moving offers waits for consent");
    let owner = app.owner().await;
    let listed = sections_page(&app, &owner).await.text();
    assert!(listed.contains("Waiting for your consent to upgrade"), "{listed}");
    let page = owner.get(&app.url("/staff/sections/moving-offers")).await;
    assert!(page.text().contains("This version does not run on this host"), "{}", page.text());
    let pending = db.tenant(&tenant).installation("moving-offers").await.unwrap().unwrap().pending_sha256.unwrap();

    let grants = [("version", pending.as_str()), ("grant", "job-read"), ("grant", "notify"), ("grant", "audit"), ("grant", "storage")];
    submit(&owner, &app, &page, "/staff/sections/moving-offers/upgrade", &grants).await;

    let portal = dana.get(&app.links.client).await;
    assert!(portal.text().contains("Special Offers") && portal.text().contains("Start your moving plan"), "{}", portal.text());
}}
