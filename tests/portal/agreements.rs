//! Agreements: the business's templates with placeholders, signing with
//! consent, the locked text and its signing certificate, several agreements
//! per job and the roles the business asks to sign.

use portico_core::model::Role;
use portico_core::tokens::{hash_token, new_token};
use portico_tests::{TestApp, Visitor};

/// Add a template to the demo business through the database.
async fn add_template(app: &TestApp, title: &str, body: &str, signers: &[Role], services: &[&str]) -> String {
    let tenant = app.demo_tenant_id().await;
    let services: Vec<String> = services.iter().map(|s| s.to_string()).collect();
    let fields = portico_data::TemplateFields { title, body, signer_roles: signers, services: &services, active: true };
    app.server.state.db.tenant(&tenant).create_agreement_template(&fields).await.unwrap()
}

/// Put a co-client on the demo job; returns their personal link.
async fn add_co_client(app: &TestApp, name: &str) -> String {
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let (job, _) = app.demo_invoice().await;
    let contact = db.tenant(&tenant).create_contact(name, Some("chris@example.com"), None).await.unwrap();
    let token = new_token();
    db.tenant(&tenant).add_job_contact(&job, &contact, Role::CoClient, &hash_token(&token), None).await.unwrap();
    app.url(&format!("/p/{token}"))
}

story! { async fn the_client_signs_the_filled_in_agreement_and_downloads_it_with_its_certificate(app) {
    let dana = Visitor::new();
    let dashboard = dana.get(&app.links.client).await;
    assert!(dashboard.text().contains("Pre-Inspection Agreement Required Please read the Pre-Inspection Agreement and sign it online. Read and sign"), "{}", dashboard.text());
    let read_and_sign = dashboard.href_containing("?tab=agreements").expect("the prompt's button");
    let page = dana.get(&app.url(&read_and_sign)).await;
    assert!(page.text().contains("Back to the dashboard"), "a way back: {}", page.text());
    assert!(page.body.contains("<title>Agreements · "), "a page of its own");
    let text = page.text();
    assert!(text.contains("between Keystone Home Inspections (\"the Inspector\") and Dana Whitfield (\"the Client\")"), "placeholders filled: {text}");
    assert!(text.contains("inspection of 1428 Elm Street, Springfield, IL 62704 on"), "{text}");
    assert!(text.contains("The fee of $610.00 is due"), "the invoice total: {text}");
    assert!(text.contains("I agree to sign this agreement electronically"), "the consent to e-signature is shown: {text}");
    let version = page.hidden("version").expect("the version read");

    let signed = dana.sign(&page, "Dana Whitfield").await;

    let text = signed.text();
    assert!(text.contains("Thank you, Dana Whitfield. Your signature is recorded."), "{text}");
    assert!(text.contains("Signed") && text.contains("Signed by Dana Whitfield"), "{text}");
    assert!(!text.contains("Type your full name to sign"), "the form is gone once signed");
    let pdf_path = signed.href_containing("/agreements/").expect("a link to the signed agreement");
    let pdf = dana.get(&app.url(&pdf_path)).await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with("%PDF-1.4"));
    for expected in ["Pre-Inspection Agreement", "Signing certificate", version.as_str(), "Signed as: Dana Whitfield",
        "Dana Whitfield <dana.whitfield@example.com>, Client", "IP address: 127.0.0.1", "Browser: PorticoTest/1.0",
        "Consent accepted: By typing my name", "The fee of $610.00 is due"] {
        assert!(pdf.body.contains(expected), "the PDF has {expected:?}");
    }
    let tenant = app.demo_tenant_id().await;
    let log = app.server.state.db.tenant(&tenant).audit_log(20).await.unwrap();
    let entry = log.iter().find(|e| e.action == "agreement.signed").expect("the signature is audited");
    assert_eq!((entry.actor_name.as_str(), entry.ip.as_str()), ("Dana Whitfield", "127.0.0.1"));
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    assert_eq!(details["version_sha256"], version.as_str(), "the SHA-256 of the exact text read");

    let app = app.restart().await;
    let again = Visitor::new().get(&app.links.client).await.text();
    assert!(again.contains("Signed by Dana Whitfield"), "{again}");
}}

story! { async fn an_agreement_cannot_be_signed_twice_even_from_two_tabs(app) {
    let dana = Visitor::new();
    let page = dana.agreements(&dana.get(&app.links.client).await).await;

    dana.sign(&page, "Dana Whitfield").await;
    let replay = dana.sign(&page, "Dana Whitfield").await;

    assert!(replay.text().contains("You have already signed the Pre-Inspection Agreement."), "{}", replay.text());
    assert_eq!(app.audit_count("agreement.signed").await, 1);
}}

story! { async fn a_refused_signature_says_why_and_keeps_what_was_typed(app) {
    let dana = Visitor::new();
    let page = dana.agreements(&dana.get(&app.links.client).await).await;
    let agreement = page.hidden("agreement").unwrap();
    let version = page.hidden("version").unwrap();
    let tab = ("_portico_tab", "agreements");

    let unticked = dana
        .act(&page, "agreements", "read-and-sign", "sign", &[("agreement", &agreement), ("version", &version), ("full_name", "Dana Q. Whitfield"), tab])
        .await;
    let forged = dana
        .act(&page, "agreements", "read-and-sign", "sign", &[("agreement", &agreement), ("version", "0000"), ("full_name", "Dana"), ("consent", "on"), tab])
        .await;

    let blank = dana
        .act(&page, "agreements", "read-and-sign", "sign", &[("agreement", &agreement), ("version", &version), ("full_name", " "), tab])
        .await;

    let text = unticked.text();
    assert!(text.contains("Tick the box to agree"), "{text}");
    assert!(unticked.body.contains("value=\"Dana Q. Whitfield\""), "the typed name is kept");
    // The box left unticked is marked, with its message beside it; the name is not.
    let consent = unticked.control("consent").unwrap();
    assert!(consent.contains("aria-invalid=\"true\""), "{consent}");
    assert!(consent.contains("aria-describedby=\"in-agreements-read-and-sign-consent-error\""), "{consent}");
    assert_eq!(
        unticked.text_of("in-agreements-read-and-sign-consent-error").unwrap(),
        "Error: Tick the box to agree to the terms and to signing electronically."
    );
    assert!(!unticked.control("full_name").unwrap().contains("aria-invalid"), "the name was fine");
    // Both at fault: both marked, and one message at the top of the card says so.
    assert!(blank.control("full_name").unwrap().contains("aria-invalid=\"true\""));
    assert!(blank.control("consent").unwrap().contains("aria-invalid=\"true\""));
    assert_eq!(blank.text_of("in-agreements-read-and-sign-full_name-error").unwrap(), "Error: Type your full name as you would sign it.");
    assert_eq!(blank.text_of("notice-agreements-read-and-sign").unwrap(), "Type your full name and tick the box to sign.");
    assert!(blank.body.contains("<div class=\"notice tone-danger\" role=\"alert\"><p id=\"notice-agreements-read-and-sign\">"), "announced");
    // The message links each input at fault: the form is below a long text.
    assert!(blank.body.contains("<a href=\"#in-agreements-read-and-sign-full_name\">Type your full name as you would sign it.</a>"), "{}", blank.body);
    assert!(blank.body.contains("<a href=\"#in-agreements-read-and-sign-consent\">"));
    assert!(forged.text().contains("changed since you opened it"), "{}", forged.text());
    assert!(!forged.body.contains("aria-invalid"), "a refusal of the text is about no input");
    assert_eq!(app.audit_count("agreement.signed").await, 0);
    assert!(dana.get(&page.url).await.text().contains("Required"), "still unsigned");
}}

story! { async fn a_changed_template_is_read_again_before_signing_and_never_changes_what_was_signed(app) {
    let dana = Visitor::new();
    let owner = app.owner().await;
    let opened = dana.agreements(&dana.get(&app.links.client).await).await;
    let tenant = app.demo_tenant_id().await;
    let template = app.server.state.db.tenant(&tenant).agreement_templates().await.unwrap().remove(0);
    let edit = owner.get(&app.url(&format!("/staff/agreements/{}", template.id))).await;
    let save = |body: &'static str| {
        let csrf = edit.hidden("csrf").unwrap();
        let url = app.url(&format!("/staff/agreements/{}", template.id));
        let owner = &owner;
        async move {
            owner.post(&url, &[("csrf", &csrf), ("title", "Pre-Inspection Agreement"), ("body", body), ("signer_roles", "client"), ("active", "1")]).await
        }
    };

    // The business rewords the agreement while Dana is reading it.
    let saved = save("Revised terms for {{client}} at {{address}}.").await;
    assert!(saved.text().contains("saved"), "{}", saved.text());
    let stale = dana.sign(&opened, "Dana Whitfield").await;

    assert!(stale.text().contains("The Pre-Inspection Agreement changed since you opened it."), "{}", stale.text());
    assert!(stale.text().contains("Revised terms for Dana Whitfield at 1428 Elm Street"), "the new text is shown: {}", stale.text());
    let signed = dana.sign(&stale, "Dana Whitfield").await;
    assert!(signed.text().contains("Your signature is recorded"), "{}", signed.text());

    // Later edits do not touch the signed copy.
    save("Third version {{company}}.").await;
    let page = dana.get(&app.links.client).await;
    let pdf = dana.get(&app.url(&page.href_containing("/agreements/").unwrap())).await;
    assert!(pdf.body.contains("Revised terms for Dana Whitfield"), "the PDF keeps the signed text");
    assert!(!pdf.body.contains("Third version"));
}}

story! { async fn several_agreements_each_signed_by_the_roles_the_business_chose(app) {
    add_template(&app, "Radon Testing Addendum", "Radon results for {{address}} depend on closed-house conditions.", &[Role::Client, Role::CoClient], &["Radon test"]).await;
    add_template(&app, "Pool Waiver", "Pools are not inspected.", &[Role::Client], &["Pool inspection"]).await;
    let chris_link = add_co_client(&app, "Chris Whitfield").await;
    let dana = Visitor::new();
    let chris = Visitor::new();

    let first = dana.get(&app.links.client).await;
    assert!(first.text().contains("Agreements") && first.text().contains("Required · 0 of 2 signed"), "{}", first.text());
    assert!(!first.text().contains("Pool Waiver"), "not a service of this job");
    let second = dana.sign(&first, "Dana Whitfield").await;
    assert!(second.text().contains("Please read and sign: Radon Testing Addendum"), "the next one: {}", second.text());
    let done = dana.sign(&second, "Dana Whitfield").await;

    let text = done.text();
    assert!(text.contains("Awaiting signature · 1 of 2 signed"), "{text}");
    assert!(text.contains("Awaiting Chris Whitfield"), "{text}");
    assert!(!text.contains("Type your full name to sign"), "Dana owes nothing more");

    let chris_page = chris.agreements(&chris.get(&chris_link).await).await;
    assert!(chris_page.text().contains("Please read and sign: Radon Testing Addendum"), "{}", chris_page.text());
    let chris_done = chris.sign(&chris_page, "Chris Whitfield").await;
    assert!(chris_done.text().contains("Signed"), "{}", chris_done.text());
    assert!(!chris_done.text().contains("Type your full name to sign"), "the co-client does not sign the client's agreement");
    let everyone = dana.get(&app.links.client).await.text();
    assert!(everyone.contains("Signed") && !everyone.contains("Awaiting"), "{everyone}");
    assert_eq!(app.audit_count("agreement.signed").await, 3);
}}

story! { async fn only_signers_sign_and_only_the_right_people_download(app) {
    let dana = Visitor::new();
    let sam = Visitor::new();
    let page = dana.agreements(&dana.get(&app.links.client).await).await;
    let agreement = page.hidden("agreement").unwrap();
    let version = page.hidden("version").unwrap();
    let agent_page = sam.get(&app.links.buyer_agent).await;

    // A hand-made signing request from the buyer's agent.
    let csrf = agent_page.hidden("csrf").expect("the agent's session token");
    let actions = app.url(&format!("{}/actions", agent_page.job_path()));
    let forged = sam
        .post(&actions, &[("_portico_csrf", &csrf), ("_portico_plugin", "agreements"), ("_portico_card", "sign-agreement"), ("_portico_action", "sign"),
            ("agreement", &agreement), ("version", &version), ("full_name", "Sam Ortiz"), ("consent", "on")])
        .await;
    assert!(forged.text().contains("As Buyer's agent on this job you do not sign the Pre-Inspection Agreement."), "{}", forged.text());
    assert_eq!(app.audit_count("agreement.signed").await, 0);

    let signed = dana.sign(&page, "Dana Whitfield").await;
    let pdf = signed.href_containing("/agreements/").unwrap();
    assert!(sam.get(&app.links.buyer_agent).await.href_containing("/agreements/").is_none(), "no PDF link for agents");
    assert_eq!(sam.get(&app.url(&pdf)).await.status, 404, "the agent does not sign it, and does not get it");
    let lee = Visitor::new();
    lee.get(&app.other_tenant_client_link().await).await;
    assert_eq!(lee.get(&app.url(&pdf)).await.status, 404, "another business's client");
    let owner = app.owner().await;
    let (job, _) = app.demo_invoice().await;
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    assert!(staff_job.text().contains("Pre-Inspection Agreement Signed Dana Whitfield (Client)"), "{}", staff_job.text());
    assert_eq!(staff_job.href_containing("/agreements/").as_deref(), Some(format!("/staff{pdf}").as_str()), "staff open the signed copy from the job");
    let staff_copy = owner.get(&app.url(&format!("/staff{pdf}"))).await;
    assert_eq!(staff_copy.status, 200);
    assert!(staff_copy.body.contains("Signing certificate"));
}}

story! { async fn the_owner_writes_templates_and_mistakes_are_explained(app) {
    let owner = app.owner().await;
    let form = owner.get(&app.url("/staff/agreements/new")).await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("{{client}}") && form.text().contains("{{fee}}"), "the placeholders are listed: {}", form.text());
    let csrf = form.hidden("csrf").unwrap();
    let url = app.url("/staff/agreements/new");

    let unknown = owner.post(&url, &[("csrf", &csrf), ("title", "Repair Addendum"), ("body", "Price: {{price}}"), ("signer_roles", "client")]).await;
    let nobody = owner.post(&url, &[("csrf", &csrf), ("title", "Repair Addendum"), ("body", "For {{client}}")]).await;
    let empty = owner.post(&url, &[("csrf", &csrf), ("title", "Repair Addendum"), ("body", " "), ("signer_roles", "client")]).await;

    assert!(unknown.text().contains("The text uses {{price}}, which agreements do not have."), "{}", unknown.text());
    assert!(unknown.body.contains("Price: {{price}}"), "what was typed is kept");
    assert!(nobody.text().contains("Choose who must sign"), "{}", nobody.text());
    assert!(empty.text().contains("The agreement needs its text."), "{}", empty.text());
    let tenant = app.demo_tenant_id().await;
    assert_eq!(app.server.state.db.tenant(&tenant).agreement_templates().await.unwrap().len(), 1, "nothing was stored");

    let created = owner
        .post(&url, &[("csrf", &csrf), ("title", "Repair Addendum"), ("body", "Repairs for {{client}}."), ("signer_roles", "client"), ("signer_roles", "buyer-agent"), ("active", "1")])
        .await;
    assert!(created.text().contains("\"Repair Addendum\" saved"), "{}", created.text());
    assert!(created.text().contains("Client, Buyer's agent"), "{}", created.text());
    let sam_visitor = Visitor::new();
    let sam = sam_visitor.agreements(&sam_visitor.get(&app.links.buyer_agent).await).await;
    assert!(sam.text().contains("Please read and sign: Repair Addendum"), "the buyer's agent now signs it: {}", sam.text());

    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    assert_eq!(office.get(&app.url("/staff/agreements")).await.status, 403);
    assert_eq!(office.post(&url, &[("csrf", &csrf), ("title", "X"), ("body", "Y"), ("signer_roles", "client")]).await.status, 403);
}}
