//! The job portal as clients and agents use it.

use portico_tests::Visitor;

story! { async fn client_link_shows_the_job_and_its_sections(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();

    let page = dana.get(&app.links.client).await;

    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("1428 Elm Street, Springfield, IL 62704"), "{text}");
    assert!(text.contains("Keystone Home Inspections"));
    assert!(text.contains("Appointment"));
    assert!(text.contains("View completed report"));
    assert!(text.contains("Residential Inspection Report"), "report named by the template rule: {text}");
    assert!(!text.contains("Residential Inspection Report Report"));
    assert!(text.contains("Pre-Inspection Agreement"));
    assert!(text.contains("Pay for your service"));
    assert!(text.contains("1 of 3 done"), "report ready, agreement to sign, invoice to pay: {text}");
}}

story! { async fn the_dashboard_asks_first_and_puts_a_released_report_on_top(app) {
    let dana = Visitor::new();
    let held = dana.get(&app.links.client).await;
    let at = |page: &portico_tests::Page, marker: &str| page.body.find(marker).unwrap_or_else(|| panic!("{marker} is on the page"));

    // What Dana must do comes first, named in the checklist, each a link to its card.
    let text = held.text();
    assert!(text.contains("0 of 3 done"), "{text}");
    for card in ["#card-agreements-sign-agreement", "#card-payments-pay", "#card-reports-view-report"] {
        assert!(held.body.contains(&format!("href=\"{card}\"")), "the checklist links {card}");
    }
    assert!(text.contains("Please read the Pre-Inspection Agreement and sign it online."), "a short prompt, not the whole text: {text}");
    assert!(!text.contains("Type your full name to sign"), "the signing form has a page of its own");
    assert!(held.body.contains("class=\"button primary\" href=\"/jobs/"), "Read and sign is the card's button");
    assert!(at(&held, "id=\"card-agreements-sign-agreement\"") < at(&held, "id=\"card-moving-offers-"), "tasks before offers");
    assert!(!held.body.contains("class=\"headline\""), "no report to open yet");

    // Once the report is released, it is the first thing on the page.
    app.release_reports_on_publish().await;
    let released = dana.get(&app.links.client).await;
    let text = released.text();
    assert!(text.contains("Your report is ready View report"), "{text}");
    assert!(at(&released, "class=\"headline\"") < at(&released, "class=\"cards\""));
    let report = released.href_containing("/documents/").expect("the headline opens the report");
    assert!(released.body.contains(&format!("class=\"button primary\" href=\"{report}\"")), "a prominent button");
    assert_eq!(dana.get(&app.url(&report)).await.status, 200);
    // Done cards come after the ones still to do.
    assert!(at(&released, "id=\"card-payments-pay\"") < at(&released, "id=\"card-reports-view-report\""));
}}

story! { async fn agents_follow_the_clients_tasks_without_a_count_of_them(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let dashboard = dana.get(&app.links.client).await;
    dana.sign(&dashboard, "Dana Whitfield").await;

    let text = Visitor::new().get(&app.links.buyer_agent).await.text();

    assert!(!text.contains(" done"), "the client's tasks are not the agent's: {text}");
    assert!(text.contains("The report is ready View report"), "{text}");
    assert!(!text.contains("Your report"), "agents read wording for agents: {text}");
    assert!(text.contains("Signed"), "the agent sees the agreement is signed: {text}");
}}

story! { async fn signing_completes_the_agreement_on_the_checklist(app) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    assert!(page.text().contains("0 of 3 done"), "report held, agreement to sign, invoice to pay: {}", page.text());

    let after = dana.sign(&page, "Dana Whitfield").await;

    assert!(after.text().contains("Thank you, Dana Whitfield. Your signature is recorded."), "{}", after.text());
    assert!(after.text().contains("Back to the dashboard"), "{}", after.text());
    let dashboard = dana.get(&page.url).await.text();
    assert!(dashboard.contains("1 of 3 done"), "the report still waits for the payment: {dashboard}");
}}

story! { async fn unknown_tokens_and_other_tenants_jobs_reveal_nothing(app) {
    app.release_reports_on_publish().await;

    let unknown = Visitor::new().get(&app.url("/p/not-a-real-token")).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(Visitor::new().get(&app.url("/jobs/not-a-real-job")).await.status, 404);

    // Lee is a client of another business; their session must not reach the demo job.
    let dana = Visitor::new();
    let demo_page = dana.get(&app.links.client).await;
    let demo_job = demo_page.job_path();
    let report = demo_page.href_containing("/documents/").expect("Dana sees the report link");
    let lee = Visitor::new();
    let own = lee.get(&app.other_tenant_client_link().await).await;
    assert_eq!(own.status, 200);
    assert!(own.text().contains("9 Harbor Road"));

    let foreign = lee.get(&app.url(&demo_job)).await;
    let document = lee.get(&app.url(&report)).await;
    let act = lee.post(&app.url(&format!("{demo_job}/actions")), &[("_portico_csrf", &own.hidden("csrf").unwrap()), ("_portico_plugin", "agreements"), ("_portico_card", "sign-agreement"), ("_portico_action", "sign"), ("full_name", "Lee Park"), ("consent", "on")]).await;

    // The job's address is its public link: a guest view, nothing personal.
    assert_eq!(foreign.status, 200);
    assert!(foreign.text().contains("You are viewing this job as a guest"), "{}", foreign.text());
    assert!(!foreign.text().contains("Residential Inspection Report") && !foreign.text().contains("Dana"), "{}", foreign.text());
    assert_eq!(document.status, 404);
    assert_eq!(act.status, 404);
    assert_eq!(document.body, unknown.body, "no difference to learn from");
    assert!(dana.get(&demo_page.url).await.text().contains("Required"), "nothing was signed");
}}

story! { async fn a_post_without_a_valid_csrf_token_is_refused(app) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let actions = app.url(&format!("{}/actions", page.job_path()));
    let sign = [
        ("_portico_plugin", "agreements"),
        ("_portico_card", "sign-agreement"),
        ("_portico_action", "sign"),
        ("full_name", "Dana Whitfield"),
        ("consent", "on"),
    ];

    let missing = dana.post(&actions, &sign).await;
    let mut forged = sign.to_vec();
    forged.push(("_portico_csrf", "forged"));
    let wrong = dana.post(&actions, &forged).await;

    assert_eq!(missing.status, 403);
    assert_eq!(wrong.status, 403);
    let text = dana.get(&page.url).await.text();
    assert!(text.contains("Required") && !text.contains("Completed"), "nothing was signed");
}}

story! { async fn agents_see_what_their_role_allows(app) {
    app.release_reports_on_publish().await;

    let sam = Visitor::new();
    let buyer_agent = sam.get(&app.links.buyer_agent).await;
    let text = buyer_agent.text();
    assert!(text.contains("Sam Ortiz · Buyer's agent"), "{text}");
    assert!(text.contains("Residential Inspection Report"), "the report is shared with buyer's agents");
    assert!(text.contains("Awaiting signature"), "agents see the agreement's state: {text}");
    let agreements = sam.agreements(&buyer_agent).await.text();
    assert!(agreements.contains("Pre-Inspection Agreement") && agreements.contains("Awaiting Dana Whitfield"), "{agreements}");
    assert!(!agreements.contains("Type your full name to sign"), "but never sign for the client: {agreements}");

    let priya = Visitor::new();
    let listing_agent = priya.get(&app.links.listing_agent).await;
    let text = listing_agent.text();
    assert!(text.contains("Not shared"), "{text}");
    assert!(!text.contains("Residential Inspection Report"));
    assert!(!text.contains("Agreement"), "the agreement card is not for listing agents: {text}");

    // Even with the document's address, the listing agent cannot open it.
    let path = buyer_agent.href_containing("/documents/").expect("a report link");
    assert_eq!(sam.get(&app.url(&path)).await.status, 200);
    assert_eq!(priya.get(&app.url(&path)).await.status, 404);
}}

story! { async fn the_report_opens_as_a_pdf_for_the_client(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let href = page.href_containing("/documents/").expect("a link to the report");

    let report = dana.get(&app.url(&href)).await;

    assert_eq!(report.status, 200);
    assert!(report.body.starts_with("%PDF-1.4"));
}}

story! { async fn without_a_session_the_job_page_is_the_guest_view_and_other_pages_ask_for_the_link(app) {
    let job = Visitor::new().get(&app.links.client).await.job_path();
    let stranger = Visitor::new();

    let page = stranger.get(&app.url(&job)).await;
    let account = stranger.get(&app.url("/account")).await;

    assert_eq!(page.status, 200);
    assert!(page.text().contains("You are viewing this job as a guest") && page.text().contains("Get full access"));
    assert_eq!(account.status, 401);
    assert!(account.text().contains("Open the portal link from your e-mail"));
}}

story! { async fn only_published_reports_count_and_names_end_in_report_once(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    let job_id = &portico_core::ids::JobId::new(job.trim_start_matches("/jobs/"));
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let shared = [portico_core::model::Role::Client];
    let key = format!("{tenant}/extra");
    app.server.state.files.put(&key, b"%PDF-1.4 extra").await.unwrap();
    db.tenant(&tenant).add_document(job_id, "report", "Wind Mitigation Report", &key, "application/pdf", 14, &shared, Some(1))
        .await
        .unwrap();
    db.tenant(&tenant).add_document(job_id, "report", "Pool and Spa", &key, "application/pdf", 14, &shared, None).await.unwrap();

    let text = dana.get(&app.url(&job)).await.text();

    assert!(text.contains("2 reports are ready."), "the draft does not count: {text}");
    assert!(text.contains("Wind Mitigation Report") && !text.contains("Wind Mitigation Report Report"));
    assert!(!text.contains("Pool and Spa"), "drafts stay hidden");
}}

story! { async fn tabs_come_from_the_sections_placements(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let dashboard = dana.get(&app.links.client).await;

    let tabs = dashboard.href_containing("?tab=").expect("a tab besides the dashboard");
    assert!(tabs.ends_with("?tab=reports"), "{tabs}");
    assert!(!dashboard.text().contains("All reports"), "tab cards stay on their tab");

    let reports_tab = dana.get(&app.url(&tabs)).await;
    let text = reports_tab.text();
    assert!(text.contains("All reports") && text.contains("Published") && text.contains("Open the report"), "{text}");
    assert!(!text.contains("Pre-Inspection Agreement"), "dashboard cards stay on the dashboard");
    assert!(reports_tab.body.contains("aria-current=\"page\""), "the current tab is marked");
}}

story! { async fn an_agreement_the_business_does_not_require_is_not_needed(app) {
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let template = db.tenant(&tenant).agreement_templates().await.unwrap().remove(0);
    let roles = template.signer_roles();
    let off = portico_data::TemplateFields { title: &template.title, body: &template.body, signer_roles: &roles, services: &[], active: false };
    db.tenant(&tenant).update_agreement_template(&template.id, &off).await.unwrap();
    app.release_reports_on_publish().await;

    let text = Visitor::new().get(&app.links.client).await.text();

    assert!(text.contains("Not needed") && text.contains("No agreement needs to be signed"), "{text}");
    assert!(text.contains("1 of 2 done"), "a card that is not needed does not count: {text}");
    assert!(!text.contains("Read and sign"), "{text}");
}}
