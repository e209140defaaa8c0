//! Hostile plugins cost only their own card (or their install); the page still
//! answers and the host stays healthy.

use portico_core::ids::TenantId;
use portico_sections::{Grants, Permission, SectionsError};
use portico_tests::{hostile_plugin, TestApp, Visitor};

/// Install the hostile plugin in `mode` for the demo business, without any
/// grant, and open the client's page.
async fn client_page_with_hostile(app: TestApp, mode: &str) -> (TestApp, portico_tests::Page) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": mode }).to_string();
    app.server
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![]), &settings)
        .await
        .expect("the hostile plugin is well-formed and installs");
    app.release_reports_on_publish().await;
    let page = Visitor::new().get(&app.links.client).await;
    (app, page)
}

async fn assert_only_its_own_card_is_lost(app: &TestApp, page: &portico_tests::Page, reason: &str) {
    assert_eq!(page.status, 200, "the page still renders");
    let text = page.text();
    assert!(text.contains("Trouble Unavailable"), "an unavailable card stands in: {text}");
    assert!(text.contains("Residential Inspection Report"), "other sections are untouched");
    assert!(text.contains("Pre-Inspection Agreement"), "{text}");

    // The owner sees the failure and its reason in the staff console.
    let owner = Visitor::new();
    let form = owner.get(&app.url("/staff/login")).await;
    let csrf = form.hidden("csrf").unwrap();
    let console = owner
        .post(&app.url("/staff/login"), &[("csrf", &csrf), ("email", &app.links.staff.email), ("password", &app.links.staff.password)])
        .await
        .text();
    let row = console.split("hostile Enabled ").nth(1).expect("the hostile section is listed with its health");
    assert!(!row.starts_with('0'), "the failure is counted: {row}");
    assert!(row.contains(reason), "the reason is shown: {row}");

    let health = Visitor::new().get(&app.url("/healthz")).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"), "the host stays healthy");
    let again = Visitor::new().get(&app.links.client).await;
    assert_eq!(again.status, 200, "and keeps serving");
}

story! { async fn an_infinite_loop_is_stopped_at_its_deadline(app) {
    let (app, page) = client_page_with_hostile(app, "loop").await;
    assert_only_its_own_card_is_lost(&app, &page, "did not finish").await;
}}

story! { async fn a_memory_bomb_hits_its_cap(app) {
    let (app, page) = client_page_with_hostile(app, "memory").await;
    assert_only_its_own_card_is_lost(&app, &page, "memory limit").await;
}}

story! { async fn a_panic_is_a_trap_not_a_crash(app) {
    let (app, page) = client_page_with_hostile(app, "panic").await;
    assert_only_its_own_card_is_lost(&app, &page, "trapped").await;
}}

story! { async fn oversized_output_is_clamped_and_undeclared_cards_dropped(app) {
    let (_app, page) = client_page_with_hostile(app, "oversized").await;

    assert_eq!(page.status, 200);
    assert!(!page.text().contains("sneaky"), "cards that were not declared never show");
    assert!(page.body.len() < 400_000, "clamped to a sane size, got {} bytes", page.body.len());
    assert!(page.text().contains("…"), "long text is shortened, not rejected");
}}

story! { async fn a_host_call_without_the_grant_is_denied_not_trapped(app) {
    let (_app, page) = client_page_with_hostile(app, "ungranted").await;

    assert_eq!(page.status, 200);
    assert!(page.text().contains("denied:") && page.text().contains("Storage"), "the plugin got a typed denial: {}", page.text());
}}

story! { async fn plugin_text_can_never_become_markup(app) {
    let (_app, page) = client_page_with_hostile(app, "markup").await;

    assert!(page.body.contains("&lt;script&gt;alert("), "escaped");
    assert!(page.text().contains("<b>bold</b>"), "a link with a hostile address is shown as text");
    assert!(!page.body.contains("<script>"));
    assert!(!page.body.contains("javascript:"), "unsafe links are shown as text only");
    assert!(!page.body.contains("onclick"));
}}

story! { async fn an_undeclared_import_refuses_the_install(app) {
    let tenant = app.demo_tenant_id().await;

    let refused = app
        .server
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-undeclared-import"), Grants::AllRequested, "{}")
        .await;

    let Err(SectionsError::Install(error)) = refused else { panic!("the install must be refused") };
    let message = error.to_string();
    assert!(message.contains("does not declare") && message.contains("storage"), "{message}");
    assert!(app.server.state.db.tenant(&tenant).installation("sneaky").await.unwrap().is_none());
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200);
}}

story! { async fn a_file_that_is_not_a_component_is_refused_with_a_reason(app) {
    let tenant = app.demo_tenant_id().await;

    let refused = app.server.state.sections.install_upload(&tenant, b"not wasm at all", Grants::AllRequested, "{}").await;

    let Err(SectionsError::Install(error)) = refused else { panic!("the install must be refused") };
    assert!(error.to_string().contains("not a WebAssembly component"), "{error}");
}}

story! { async fn compiled_plugins_are_cached_on_disk(app) {
    let cached: Vec<_> = std::fs::read_dir(app.data_dir().join("compiled-plugins")).unwrap().flatten().collect();
    assert!(cached.len() >= 2, "both first-party plugins are cached");
    let app = app.restart().await;
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200, "a restart loads them back");
}}

story! { async fn publishing_a_document_reaches_the_sections_that_asked(app) {
    app.release_reports_on_publish().await;
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": "events" }).to_string();
    let state = &app.server.state;
    state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![Permission::Storage]), &settings)
        .await
        .unwrap();
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    let job_id = &portico_core::ids::JobId::new(job.trim_start_matches("/jobs/"));
    let key = format!("{tenant}/addendum");
    state.files.put(&key, b"%PDF-1.4 addendum").await.unwrap();
    let shared = [portico_core::model::Role::Client];
    let draft = state.db.tenant(&tenant).add_document(job_id, "report", "Addendum", &key, "application/pdf", 17, &shared, None).await.unwrap();

    let delivered = portico_services::documents::publish(&state.db, &state.events, &tenant, job_id, &draft).await.unwrap().expect("published for the first time").delivered;

    assert_eq!(delivered, 2, "reports and the test section asked for document-published");
    let text = dana.get(&app.url(&job)).await.text();
    let seen = text.split("saw: ").nth(1).expect("the test section's card").to_string();
    assert!(seen.contains("DocumentPublished") && seen.contains(&draft), "{seen}");
    assert!(text.contains("Addendum Report"), "and the report is now shared");
}}

story! { async fn invoicing_a_jobs_services_reaches_the_sections_that_asked(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": "events" }).to_string();
    let state = &app.server.state;
    state.sections.install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![Permission::Storage]), &settings).await.unwrap();
    let api = reqwest::Client::new();
    let job = serde_json::json!({
        "reference": "INS-7001",
        "property": { "line1": "3 Mill Lane", "city": "Springfield", "region": "IL", "postal_code": "62704" },
        "services": [{ "name": "Full home inspection", "price_minor": 47500 }],
        "people": [{ "name": "Robin Reed", "email": "robin@example.com", "role": "client" }],
    });
    let created: serde_json::Value = api.post(app.url("/api/v1/jobs")).bearer_auth(&app.links.api_key).json(&job).send().await.unwrap().json().await.unwrap();
    let job_id = portico_core::ids::JobId::new(created["id"].as_str().expect("the job is created"));

    let invoiced = api.post(app.url(&format!("/api/v1/jobs/{job_id}/invoices"))).bearer_auth(&app.links.api_key).send().await.unwrap();

    assert_eq!(invoiced.status().as_u16(), 201);
    let invoice: serde_json::Value = invoiced.json().await.unwrap();
    let invoice_id = invoice["id"].as_str().expect("the invoice");
    let seen = state.db.tenant(&tenant).storage_get("hostile", portico_data::StorageScope::Job(&job_id), "events").await.unwrap().unwrap_or_default();
    assert!(seen.contains(&format!("InvoiceUpdated {invoice_id}")), "the section heard of the new invoice: {seen}");
}}

story! { async fn a_section_that_hangs_on_an_event_does_not_hang_publishing(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": "loop" }).to_string();
    let state = &app.server.state;
    state.sections.install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![]), &settings).await.unwrap();
    let job = Visitor::new().get(&app.links.client).await.job_path();
    let job_id = &portico_core::ids::JobId::new(job.trim_start_matches("/jobs/"));
    let shared = [portico_core::model::Role::Client];
    let draft = state.db.tenant(&tenant).add_document(job_id, "report", "Late", "x/y", "application/pdf", 1, &shared, None).await.unwrap();

    let delivered = portico_services::documents::publish(&state.db, &state.events, &tenant, job_id, &draft).await.unwrap().expect("published for the first time").delivered;

    assert_eq!(delivered, 1, "only the well-behaved section accepted it");
    let installation = state.db.tenant(&tenant).installation("hostile").await.unwrap().unwrap();
    assert!(installation.last_error.unwrap_or_default().contains("did not finish"));
}}

// ---- What an attack on the running demo got through (issue 14, items 1-8) ----

/// Install the hostile section for the demo business in `mode`, granted
/// everything it asks, with `extra` settings beside its mode.
async fn hostile_with_every_grant(app: &TestApp, mode: &str, extra: serde_json::Value) -> TenantId {
    let tenant = app.demo_tenant_id().await;
    let mut settings = serde_json::json!({ "mode": mode });
    if let (Some(settings), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
        settings.extend(extra.clone());
    }
    app.server
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::AllRequested, &settings.to_string())
        .await
        .expect("the hostile plugin installs");
    tenant
}

story! { async fn a_section_that_opens_sockets_is_refused_at_install(app) {
    let tenant = app.demo_tenant_id().await;

    let refused = app.server.state.sections.install_upload(&tenant, hostile_plugin("portico-test-sockets"), Grants::AllRequested, "{}").await;

    let Err(SectionsError::Install(error)) = refused else { panic!("a component importing wasi:sockets must be refused") };
    let message = error.to_string();
    assert!(message.contains("wasi:sockets/") && message.contains("no network"), "the refusal names the interface: {message}");
    assert!(app.server.state.db.tenant(&tenant).installation("sockets").await.unwrap().is_none());
    let health = Visitor::new().get(&app.url("/healthz")).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
}}

story! { async fn rendering_a_page_acts_in_nobodys_name(app) {
    let tenant = hostile_with_every_grant(&app, "act-in-render", serde_json::json!({})).await;
    // An estimate sent to Dana, for the section to try to answer.
    let (job_id, _) = app.demo_invoice().await;
    let business = app.server.state.db.tenant(&tenant).business().await.unwrap().unwrap();
    let office = portico_data::Actor::staff("office", "Morgan Reyes");
    let expires_on = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7)).to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let line = portico_services::estimates::DraftLine { description: "Sewer scope".into(), quantity: "1".into(), unit_price: "275".into(), ..Default::default() };
    let draft = portico_services::estimates::EstimateDraft { title: "Sewer scope".into(), expires_on, lines: vec![line], ..Default::default() };
    let (estimate, _) = app.server.state.estimates.write(&business, &job_id, &draft, &office).await.unwrap();
    app.server.state.estimates.send(&business, &job_id, &estimate, &office).await.unwrap();
    let mail_before = app.mail_count(&tenant, "dana.whitfield@example.com").await;

    let page = Visitor::new().get(&app.links.client).await;

    let text = page.text();
    let tried = text.split("tried: ").nth(1).expect("the hostile card reports what it tried").to_string();
    for denied in ["Agreements", "AddOns", "Checkout", "Notify", "Audit", "Storage", "NotifyOffice", "Conversations", "Files"].map(|p| format!("denied Permission::{p}")) {
        assert!(tried.contains(&denied), "{denied}: {tried}");
    }
    assert!(!tried.contains("DONE"), "nothing went through: {tried}");
    assert!(text.contains("Pre-Inspection Agreement"), "{text}");
    assert!(text.contains("Required") && page.href_containing("?tab=agreements").is_some(), "the agreement still asks Dana to sign");
    assert_eq!(tried.matches("denied Permission::Agreements").count(), 3, "signing, accepting and declining: {tried}");
    assert_eq!(app.audit_count("agreement.signed").await + app.audit_count("add-on.requested").await + app.audit_count("render.wrote").await, 0);
    assert_eq!(app.audit_count("estimate.accepted").await + app.audit_count("estimate.declined").await + app.audit_count("request.submitted").await, 0);
    assert_eq!(app.mail_count(&tenant, "dana.whitfield@example.com").await, mail_before, "no mail was queued");
    assert_eq!(app.mail_count(&tenant, &app.links.staff.email).await, 0, "nor to the office");
    let (_, invoice_id) = app.demo_invoice().await;
    assert!(app.server.state.db.tenant(&tenant).open_checkout(&invoice_id).await.unwrap().is_none(), "no checkout was started");
    let stored = app.server.state.db.tenant(&tenant).storage_get("hostile", portico_data::StorageScope::Job(&job_id), "render").await.unwrap();
    assert_eq!(stored, None, "nothing was stored");
}}

story! { async fn a_section_mails_within_its_quota_in_the_businesss_name(app) {
    let tenant = hostile_with_every_grant(&app, "flood", serde_json::json!({})).await;
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let job_id = portico_core::ids::JobId::new(page.job_path().trim_start_matches("/jobs/"));

    let answered = dana.act(&page, "hostile", "trouble", "flood", &[]).await;
    let again = dana.act(&page, "hostile", "trouble", "flood", &[]).await;

    assert!(answered.text().contains("sent 20;"), "{}", answered.text());
    assert!(again.text().contains("sent 0;") && again.text().contains("20 messages for one job"), "{}", again.text());
    let db = &app.server.state.db;
    assert_eq!(db.tenant(&tenant).section_mail_count("hostile", Some(&job_id), 0).await.unwrap(), portico_sections::MAIL_PER_JOB_PER_DAY);
    assert_eq!(app.audit_count("section.mail-quota-reached").await, 1, "the quota is audited once a day, not once a refusal");
    let mail = app.last_mail_to(&tenant, "dana.whitfield@example.com").await.expect("Dana got the first messages");
    assert!(!mail.body.contains("Security Team"), "the section cannot rename the business: {}", mail.body);
    assert!(mail.body.contains("Keystone Home Inspections") && mail.body.contains("Sent by the “Hostile” section"), "{}", mail.body);
    assert_eq!(mail.sender_name.as_deref(), Some("Keystone Home Inspections"));
}}

story! { async fn partners_are_mailed_only_at_the_exact_address_the_business_wrote(app) {
    let tenant = hostile_with_every_grant(&app, "partner", serde_json::json!({ "offers": "Movers | Plan | Help | Quotes@Movers.example" })).await;
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;

    let answered = dana.act(&page, "hostile", "trouble", "partner", &[]).await.text();

    assert!(answered.contains("quotes@movers.example sent"), "{answered}");
    for near_miss in ["uotes@movers.example refused", "quotes@movers.exampl refused", "quotes@movers.example.evil refused"] {
        assert!(answered.contains(near_miss), "{near_miss}: {answered}");
    }
    assert_eq!(app.mail_count(&tenant, "quotes@movers.example.evil").await, 0);
}}

story! { async fn sections_see_only_what_the_viewers_role_may(app) {
    hostile_with_every_grant(&app, "peek", serde_json::json!({})).await;

    let agent = Visitor::new().get(&app.links.listing_agent).await.text();
    let client = Visitor::new().get(&app.links.client).await.text();

    let seen = agent.split("contacts: ").nth(1).expect("the hostile card").to_string();
    assert!(!seen.contains("dana.whitfield@example.com"), "the listing agent's sections never get the client's e-mail: {seen}");
    assert!(seen.contains("invoices: 0"), "nor the client's invoices: {seen}");
    let seen = client.split("contacts: ").nth(1).expect("the hostile card").to_string();
    assert!(seen.contains("dana.whitfield@example.com") && seen.contains("invoices: 1"), "the client sees their own: {seen}");
}}

story! { async fn what_a_section_writes_in_the_audit_log_is_shown_as_the_sections(app) {
    hostile_with_every_grant(&app, "forge", serde_json::json!({})).await;
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;

    dana.act(&page, "hostile", "trouble", "forge", &[]).await;

    let console = app.owner().await.get(&app.url("/staff")).await.text();
    let line = console.split("Card payment succeeded: $660.00").next().unwrap();
    let line = &line[line.len().saturating_sub(120)..];
    assert!(line.contains("Written by the hostile section"), "the forged entry is marked as the section's: {line}");
}}

story! { async fn storage_quotas_count_bytes_even_under_concurrent_writes(app) {
    let tenant = hostile_with_every_grant(&app, "hoard", serde_json::json!({})).await;
    let (first, second) = (Visitor::new(), Visitor::new());
    let page_one = first.get(&app.links.client).await;
    let page_two = second.get(&app.links.client).await;

    let mut reached = false;
    for batch in 0..20 {
        let (one, two) = (format!("a{batch}"), format!("b{batch}"));
        let (fields_one, fields_two) = ([("batch", one.as_str())], [("batch", two.as_str())]);
        let (a, b) = tokio::join!(
            first.act(&page_one, "hostile", "trouble", "hoard", &fields_one),
            second.act(&page_two, "hostile", "trouble", "hoard", &fields_two),
        );
        if a.text().contains("quota:") && b.text().contains("quota:") {
            reached = true;
            break;
        }
    }

    assert!(reached, "the quota stops the hoarding");
    // Measured here from what was stored, not with the code under test.
    let keys = app.server.state.db.tenant(&tenant).storage_keys("hostile", portico_data::StorageScope::Tenant, "hoard-").await.unwrap();
    let used = keys.iter().map(|key| key.len() as i64 + "€".repeat(21_000).len() as i64).sum::<i64>();
    assert_eq!(used, app.server.state.db.tenant(&tenant).plugin_storage_bytes("hostile").await.unwrap(), "the host measures bytes too");
    let quota = portico_data::PLUGIN_QUOTA_BYTES;
    assert!(used <= quota, "{used} bytes stored under a quota of {quota}");
    assert!(used > quota - 200_000, "and it was filled, not refused early: {used}");
}}

story! { async fn unused_compiled_sections_leave_memory_and_uploads_have_a_quota(app) {
    let tenant = app.demo_tenant_id().await;
    let sections = &app.server.state.sections;
    let uploaded = sections.upload(&tenant, "staff-1", hostile_plugin("portico-test-greeter-v1")).await.expect("the upload is kept for review");
    let held = sections.loaded_packages();

    let dropped = sections.release_unused().await.unwrap();

    assert!(dropped >= 1, "the package nobody installed is released");
    assert_eq!(sections.loaded_packages(), held - dropped);
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200, "installed sections keep running");
    let again = sections.installable_package(&tenant, &uploaded.sha256).await.unwrap();
    assert!(again.is_some(), "a released package loads again when the owner reviews it");

    // The business's daily upload quota.
    let db = &app.server.state.db;
    for n in 0..portico_sections::manage::UPLOADS_PER_DAY {
        let sha = format!("{n:064x}");
        db.register_package(&sha, &format!("fake-{n}"), "1.0.0", "{}", "upload", None).await.unwrap();
        db.tenant(&tenant).record_upload(&sha, "staff-1").await.unwrap();
    }
    let refused = sections.upload(&tenant, "staff-1", hostile_plugin("portico-test-greeter-v2")).await;
    let Err(error) = refused else { panic!("the eleventh upload of the day is refused") };
    assert!(error.to_string().contains("in the last 24 hours"), "{error}");
}}
