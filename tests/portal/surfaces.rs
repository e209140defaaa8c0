//! Sections beyond the job page (contract 0.4): a card on the client's
//! account hub, a panel on the console's job page, and a console page of the
//! section's own, each only where it belongs and scoped to who is looking.

use portico_core::ids::JobId;
use portico_core::model::Role;
use portico_sections::{Grants, Permission};
use portico_tests::{hostile_plugin, Page, TestApp, Visitor};

const HELP_DESK: &str = "portico-test-help-desk";

/// Install the help desk for the demo business with everything it asks.
async fn install_help_desk(app: &TestApp) {
    let tenant = app.demo_tenant_id().await;
    app.server.state.sections.install_upload(&tenant, hostile_plugin(HELP_DESK), Grants::AllRequested, "{}").await.unwrap();
}

/// Install the hostile section in `mode`, granted only `grants`.
async fn install_hostile(app: &TestApp, mode: &str, grants: Vec<Permission>) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "mode": mode }).to_string();
    app.server.state.sections.install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(grants), &settings).await.unwrap();
}

/// Dana, the demo client, signed in from her personal link: her job page.
async fn dana(app: &TestApp) -> (Visitor, Page) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    (dana, page)
}

fn job_of(page: &Page) -> JobId {
    JobId::new(page.job_path().trim_start_matches("/jobs/"))
}

/// A second client of the business, Sam, on a job of his own at Dana's
/// address, with an invoice of his own; returns his personal link.
async fn sam_at_the_same_house(app: &TestApp, dana_job: &JobId) -> String {
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let property = db.tenant(&tenant).job(dana_job).await.unwrap().unwrap().property_id;
    let job = db.tenant(&tenant).create_job(&property, "SVC-2077").await.unwrap();
    let sam = db.tenant(&tenant).create_contact("Sam Rivera", Some("sam@example.com"), None).await.unwrap();
    let token = portico_core::tokens::new_token();
    db.tenant(&tenant).add_job_contact(&job, &sam, Role::Client, &portico_core::tokens::hash_token(&token), None).await.unwrap();
    let lines = [("service", "Gutter cleaning", 1, 18_900)];
    let invoice = portico_data::NewInvoice { number: "2077", status: portico_core::money::InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &lines };
    db.tenant(&tenant).create_invoice(&job, &invoice).await.unwrap();
    app.url(&format!("/p/{token}"))
}

story! { async fn a_section_serves_each_surface_in_its_place(app) {
    install_help_desk(&app).await;
    let owner = app.owner().await;
    let (dana, job_page) = dana(&app).await;
    let job = job_of(&job_page);

    // The office writes an article on the section's own console page.
    let console = owner.get(&app.url("/staff")).await;
    let desk = owner.get(&app.url("/staff/pages/help-desk")).await;
    let refused = owner.act_at(&desk, &app.url("/staff/pages/help-desk/actions"), "help-desk", "articles", "publish", &[("title", "Gutters in winter"), ("body", " ")]).await;
    let published = owner
        .act_at(&desk, &app.url("/staff/pages/help-desk/actions"), "help-desk", "articles", "publish", &[("title", "Gutters in winter"), ("body", "Clear them before the first frost.")])
        .await;
    // And a crew note in the panel of the job's console page.
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let noted = owner.act_at(&staff_job, &app.url(&format!("/staff/jobs/{job}/actions")), "help-desk", "crew-note", "save-note", &[("note", "Bring the long ladder")]).await;
    let hub = dana.get(&app.url("/account")).await;
    let asked = dana.act_at(&hub, &app.url("/account/actions"), "help-desk", "help", "ask", &[("question", "Do you clean gutters?")]).await;
    let invoices = dana.get(&app.url("/account?tab=invoices")).await;
    let job_page = dana.get(&app.url(&format!("/jobs/{job}"))).await;

    assert!(console.href_containing("/staff/pages/help-desk").is_some(), "the console's menu lists the section's page: {}", console.body);
    assert_eq!(desk.status, 200);
    assert!(desk.text().contains("Help articles"), "{}", desk.text());
    assert_eq!(refused.text_of("notice-help-desk-articles").as_deref(), Some("Give the article a title and some text."));
    assert!(refused.body.contains("Gutters in winter"), "what was typed is kept: {}", refused.body);
    assert!(refused.body.contains("aria-invalid"), "the empty article is marked: {}", refused.body);
    assert!(published.text().contains("The article is on your clients' account page."), "{}", published.text());
    assert!(published.text().contains("Clear them before the first frost."), "{}", published.text());
    let tenant = app.demo_tenant_id().await;
    let log = app.server.state.db.tenant(&tenant).audit_log(50).await.unwrap();
    let entry = log.iter().find(|e| e.action == "help.article-published").expect("the article is audited");
    assert_eq!((entry.actor_kind.as_str(), entry.actor_id.is_some(), entry.job_id.is_none()), ("staff", true, true), "audited as the staff member, about no job");
    let me = app.server.state.db.staff_by_email(&app.links.staff.email).await.unwrap().remove(0);
    assert_eq!((entry.actor_id.as_deref(), entry.actor_name.as_str()), (Some(me.id.as_str()), me.display_name.as_str()), "named as the staff member");

    assert!(noted.text().contains("Crew note saved.") && noted.text().contains("For INS-1042: Bring the long ladder"), "{}", noted.text());
    let note = app.server.state.db.tenant(&tenant).audit_log(50).await.unwrap().into_iter().find(|e| e.action == "help.crew-note").expect("the note is audited");
    assert_eq!((note.actor_kind.as_str(), note.job_id.as_ref()), ("staff", Some(&job)), "as the staff member, on the job");

    let home = hub.text();
    assert!(home.contains("Help and your homes") && home.contains("Gutters in winter") && home.contains("1428 Elm Street"), "{home}");
    assert!(home.contains("Home Jobs 1428 Elm Street 1") && home.contains("Owed across your jobs $610.00"), "the section read her home and bill: {home}");
    assert!(asked.text().contains("Dana Whitfield, we got your question: Do you clean gutters? (1 of our team told)"), "an action on the hub reaches the section: {}", asked.text());
    let told = app.last_mail_to(&tenant, &app.links.staff.email).await.expect("the owner is told of the question");
    assert!(told.subject.contains("A question from Dana Whitfield") && told.body.contains("Do you clean gutters?"), "{} {}", told.subject, told.body);
    assert!(home.contains("Your jobs with"), "the hub's own list is still there: {home}");
    assert!(hub.href_containing("/account?tab=invoices").is_some(), "the section's tab: {}", hub.body);
    assert!(invoices.text().contains("INS-1042 1042 610.00"), "the job, the invoice's number and its balance: {}", invoices.text());
    assert!(!invoices.text().contains("Gutters in winter"), "the tab shows only its cards");

    let client_view = job_page.text();
    assert!(client_view.contains("Need help?"), "{client_view}");
    for staff_only in ["Crew note", "Bring the long ladder", "Help articles"] {
        assert!(!client_view.contains(staff_only) && !home.contains(staff_only), "{staff_only} stays on the console");
    }
}}

story! { async fn the_owner_reviews_where_each_card_goes_before_installing(app) {
    let owner = app.owner().await;
    let csrf = owner.get(&app.url("/staff/sections")).await.hidden("csrf").unwrap();

    let review = owner.upload(&app.url("/staff/sections/upload"), &csrf, "plugin", "help_desk.wasm", hostile_plugin(HELP_DESK).to_vec()).await;

    let text = review.text();
    for place in [
        "Help articles — The section's console page, for Owner and Office",
        "Help and your homes — Account page, to Client, Co-client",
        "Every invoice — Account page, tab “Invoices”, to Client, Co-client",
        "Crew note — Console job page, for Owner, Office and Employee",
        "Need help? — Job page, dashboard, to Client, Co-client",
    ] {
        assert!(text.contains(place), "{place}: {text}");
    }
    assert!(text.contains("Show clients their own jobs, homes, invoices and payments with you on their account page"), "the new permission, in the owner's words: {text}");
}}

story! { async fn staff_pages_and_panels_follow_the_roles_a_section_names(app) {
    install_help_desk(&app).await;
    app.add_staff("pat@keystone.example", "Pat Employee", "employee", "correct horse battery").await;
    let pat = app.staff("pat@keystone.example", "correct horse battery").await;
    let (_, page) = dana(&app).await;
    let job = job_of(&page);

    let console = pat.get(&app.url("/staff")).await;
    let desk = pat.get(&app.url("/staff/pages/help-desk")).await;
    let staff_job = pat.get(&app.url(&format!("/staff/jobs/{job}"))).await;

    assert!(console.href_containing("/staff/pages/help-desk").is_none(), "the articles are for owners and the office");
    assert_eq!(desk.status, 404);
    assert!(staff_job.text().contains("Crew note"), "the crew note is for every member: {}", staff_job.text());
    let posted = pat.act_at(&staff_job, &app.url("/staff/pages/help-desk/actions"), "help-desk", "articles", "publish", &[("title", "x"), ("body", "y")]).await;
    assert_eq!(posted.status, 404, "nor can they post to the office's page");
    let noted = pat.act_at(&staff_job, &app.url(&format!("/staff/jobs/{job}/actions")), "help-desk", "crew-note", "save-note", &[("note", "Gate code 1234")]).await;
    assert!(noted.text().contains("Crew note saved."), "{}", noted.text());
}}

story! { async fn another_business_cannot_reach_a_job_through_its_panel(app) {
    install_help_desk(&app).await;
    let (_, page) = dana(&app).await;
    let job = job_of(&page);
    let db = &app.server.state.db;
    let other = db.create_tenant(&portico_data::NewTenant { slug: "rival", name: "Rival Homes", timezone: "UTC", welcome_text: "", support_email: None, support_phone: None }).await.unwrap();
    app.server.state.sections.install_upload(&other.id, hostile_plugin(HELP_DESK), Grants::AllRequested, "{}").await.unwrap();
    let hash = portico_core::passwords::hash("correct horse battery").unwrap();
    db.tenant(&other.id).create_staff_user("owner@rival.example", "Rival Owner", "owner".parse().unwrap(), &hash).await.unwrap();
    let rival = app.staff("owner@rival.example", "correct horse battery").await;
    let own_console = rival.get(&app.url("/staff/pages/help-desk")).await;

    let seen = rival.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let posted = rival.act_at(&own_console, &app.url(&format!("/staff/jobs/{job}/actions")), "help-desk", "crew-note", "save-note", &[("note", "ours now")]).await;

    assert_eq!((seen.status, posted.status), (404, 404));
    let tenant = app.demo_tenant_id().await;
    assert_eq!(db.tenant(&tenant).storage_get("help-desk", portico_data::StorageScope::Job(&job), "crew-note").await.unwrap(), None);
}}

story! { async fn the_account_hub_never_shows_one_contacts_jobs_to_another(app) {
    install_help_desk(&app).await;
    let (dana, page) = dana(&app).await;
    let sam_link = sam_at_the_same_house(&app, &job_of(&page)).await;
    let sam = Visitor::new();
    sam.get(&sam_link).await;

    let dana_home = dana.get(&app.url("/account")).await.text();
    let dana_invoices = dana.get(&app.url("/account?tab=invoices")).await.text();
    let sam_home = sam.get(&app.url("/account")).await.text();
    let sam_invoices = sam.get(&app.url("/account?tab=invoices")).await.text();

    // One house, two clients: through the section, each reads the house with
    // their own job only, and their own bill.
    assert!(dana_home.contains("Home Jobs 1428 Elm Street 1 Owed across your jobs $610.00"), "{dana_home}");
    assert!(sam_home.contains("Home Jobs 1428 Elm Street 1 Owed across your jobs $189.00"), "{sam_home}");
    assert!(dana_invoices.contains("INS-1042") && !dana_invoices.contains("SVC-2077") && !dana_invoices.contains("2077"), "{dana_invoices}");
    assert!(sam_invoices.contains("SVC-2077") && !sam_invoices.contains("INS-1042"), "{sam_invoices}");
    assert!(sam_invoices.contains("189.00"), "{sam_invoices}");
    assert!(!sam_home.contains("INS-1042") && !dana_home.contains("SVC-2077"), "nor the other's job in the hub's list");
}}

story! { async fn on_the_hub_an_agent_reads_their_jobs_but_not_the_bill(app) {
    install_hostile(&app, "account", vec![Permission::AccountRead]).await;
    let agent = Visitor::new();
    agent.get(&app.links.buyer_agent).await;
    let (dana, job_page) = dana(&app).await;
    // A note for the clients on the job, and one on its property (the gate code).
    let tenant = app.demo_tenant_id().await;
    let business = app.server.state.db.tenant(&tenant);
    let job = business.job(&job_of(&job_page)).await.unwrap().unwrap();
    business.add_job_note(&job.id, "The inspector parks in the drive.", true, "Morgan Reyes").await.unwrap();
    let gate = portico_data::NewPropertyNote { property_id: &job.property_id, access: true, body: "Gate code 4471", for_clients: true, by_name: "Morgan Reyes" };
    business.add_property_note(&gate).await.unwrap();

    let agent_hub = agent.get(&app.url("/account")).await.text();
    let client_hub = dana.get(&app.url("/account")).await.text();

    assert!(agent_hub.contains("jobs: INS-1042; invoices: 0; totals: none; job notes: 0; property notes: 0"), "the agent's own job, without its bill or the clients' notes: {agent_hub}");
    assert!(client_hub.contains("jobs: INS-1042; invoices: 1; totals: 61000; job notes: 1; property notes: 1"), "the client's job, its bill and notes: {client_hub}");
}}

story! { async fn staff_cards_never_reach_clients_and_client_actions_never_reach_staff_cards(app) {
    install_help_desk(&app).await;
    install_hostile(&app, "cross", vec![]).await;
    let owner = app.owner().await;
    let (dana, job_page) = dana(&app).await;
    let job = job_of(&job_page);
    let hub = dana.get(&app.url("/account")).await;
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let trouble_page = owner.get(&app.url("/staff/pages/hostile")).await;

    // A client posting to a staff card, on either of their pages.
    let on_job = dana.act(&job_page, "help-desk", "crew-note", "save-note", &[("note", "from a client")]).await;
    // (The hub's cards here have no form: the session's token is on the job page's.)
    let on_hub = dana.act_at(&job_page, &app.url("/account/actions"), "help-desk", "articles", "publish", &[("title", "x"), ("body", "y")]).await;
    // Staff posting to a client's card from the console.
    let from_panel = owner.act_at(&staff_job, &app.url(&format!("/staff/jobs/{job}/actions")), "help-desk", "where-help", "anything", &[]).await;
    let from_page = owner.act_at(&staff_job, &app.url("/staff/pages/help-desk/actions"), "help-desk", "crew-note", "save-note", &[("note", "x")]).await;

    assert_eq!((on_job.status, on_hub.status, from_panel.status, from_page.status), (404, 404, 404, 404));
    // Each surface shows only its own card, whatever the section rendered.
    let shown = |page: &Page| ["trouble", "hub-trouble", "panel-trouble", "page-trouble"].map(|card| page.text().contains(&format!("card {card} rendered on")));
    assert_eq!(shown(&job_page), [true, false, false, false], "{}", job_page.text());
    assert_eq!(shown(&hub), [false, true, false, false], "{}", hub.text());
    assert_eq!(shown(&staff_job), [false, false, true, false], "{}", staff_job.text());
    assert_eq!(shown(&trouble_page), [false, false, false, true], "{}", trouble_page.text());
    let tenant = app.demo_tenant_id().await;
    let storage = app.server.state.db.tenant(&tenant).storage_get("help-desk", portico_data::StorageScope::Job(&job), "crew-note").await.unwrap();
    assert_eq!(storage, None, "nothing was saved by the refused posts");
}}

story! { async fn a_hostile_section_on_the_new_surfaces_costs_only_its_card(app) {
    install_hostile(&app, "panic", vec![Permission::Storage]).await;
    let owner = app.owner().await;
    let (dana, job_page) = dana(&app).await;
    let job = job_of(&job_page);

    let hub = dana.get(&app.url("/account")).await;
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let page = owner.get(&app.url("/staff/pages/hostile")).await;

    for (page, title, rest) in [(&hub, "Trouble at home", "Your jobs with"), (&staff_job, "Trouble on the console", "People and their links"), (&page, "Trouble page", "Sign out")] {
        assert_eq!(page.status, 200);
        let text = page.text();
        let card = &text[text.find(title).unwrap_or_else(|| panic!("{title} is shown: {text}"))..];
        assert!(card.contains("This section is temporarily unavailable"), "{card}");
        assert!(text.contains(rest), "the rest of the page stands: {text}");
    }
}}

/// What the business's copy of the hostile section last failed with.
async fn hostile_error(app: &TestApp) -> String {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).installation("hostile").await.unwrap().unwrap().last_error.unwrap_or_default()
}

story! { async fn the_account_interface_needs_its_grant(app) {
    install_hostile(&app, "account", vec![Permission::Storage]).await;
    let (dana, _) = dana(&app).await;

    let hub = dana.get(&app.url("/account")).await.text();

    assert!(hub.contains("Trouble at home") && hub.contains("temporarily unavailable"), "{hub}");
    let denied = hostile_error(&app).await;
    assert!(denied.contains("account-read"), "told which permission it lacks: {denied}");
}}

story! { async fn the_account_interface_answers_only_on_the_hub(app) {
    install_hostile(&app, "account", vec![Permission::AccountRead]).await;

    let (_, job_page) = dana(&app).await;

    let text = job_page.text();
    let card = &text[text.find("Trouble").expect("its card")..];
    assert!(card.contains("temporarily unavailable"), "{card}");
    let refused = hostile_error(&app).await;
    assert!(refused.contains("only on the account hub"), "{refused}");
}}

story! { async fn a_client_with_several_jobs_reads_every_bill_on_the_hub(app) {
    install_help_desk(&app).await;
    let (dana, page) = dana(&app).await;
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let on_job = db.tenant(&tenant).job_contacts(&job_of(&page)).await.unwrap().into_iter().find(|c| c.name == "Dana Whitfield").unwrap();
    let property = db.tenant(&tenant).create_property("77 Oak Avenue", "Springfield", "IL", "62701").await.unwrap();
    let job = db.tenant(&tenant).create_job(&property, "SVC-3001").await.unwrap();
    db.tenant(&tenant).add_job_contact(&job, &on_job.contact_id, Role::Client, &portico_core::tokens::hash_token(&portico_core::tokens::new_token()), None).await.unwrap();
    let lines = [("service", "Window cleaning", 1, 12_000)];
    let invoice = portico_data::NewInvoice { number: "3001", status: portico_core::money::InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &lines };
    db.tenant(&tenant).create_invoice(&job, &invoice).await.unwrap();

    let home = dana.get(&app.url("/account")).await.text();
    let invoices = dana.get(&app.url("/account?tab=invoices")).await.text();

    assert!(home.contains("Home Jobs 77 Oak Avenue 1 1428 Elm Street 1"), "both homes, the newest job's first: {home}");
    assert!(home.contains("Owed across your jobs $730.00"), "610.00 and 120.00: {home}");
    assert!(invoices.contains("SVC-3001 3001 120.00") && invoices.contains("INS-1042 1042 610.00"), "{invoices}");
}}
