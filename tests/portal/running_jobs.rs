//! Running jobs from the console: a new job with its property, appointment,
//! services and people, invited by e-mail; the invoice from its services;
//! documents uploaded and published; people added later; and the limits of
//! each staff role.

use portico_tests::{Page, TestApp, Visitor};

const PAT: &str = "pat.doe@example.com";

async fn office(app: &TestApp) -> Visitor {
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    app.staff("office@keystone-inspections.example", "office-password-1").await
}

fn new_job<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("reference", "INS-2001"),
        ("line1", "77 Orchard Lane"),
        ("city", "Springfield"),
        ("region", "IL"),
        ("postal_code", "62704"),
        ("appointment", "2026-12-01T09:30"),
        ("duration_hours", "2.5"),
        ("inspector", "Morgan Reyes"),
        ("services", "Full home inspection | 450.00\r\nRadon test | 150"),
        ("client_name", "Pat Doe"),
        ("client_email", PAT),
        ("client_phone", "555-0142"),
        ("buyer_agent_name", "Alex Agent"),
        ("buyer_agent_email", "alex@realty.example"),
        ("listing_agent_name", ""),
        ("listing_agent_email", ""),
        ("send_invitations", "on"),
    ];
    for (key, value) in overrides {
        form.iter_mut().find(|(k, _)| k == key).expect("a job field").1 = value;
    }
    form
}

async fn create(app: &TestApp, staff: &Visitor, fields: &[(&str, &str)]) -> Page {
    let page = staff.get(&app.url("/staff/jobs/new")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    staff.post(&app.url("/staff/jobs/new"), &form).await
}

async fn job_id(app: &TestApp, reference: &str) -> portico_core::ids::JobId {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).jobs(100).await.unwrap().into_iter().find(|j| j.reference == reference).expect("the job").id
}

story! { async fn the_office_sets_up_a_job_and_its_people_are_invited(app) {
    let staff = office(&app).await;

    let created = create(&app, &staff, &new_job(&[])).await;

    let text = created.text();
    assert!(text.contains("Job INS-2001 created. Invited Pat Doe (pat.doe@example.com); invited Alex Agent (alex@realty.example)."), "{text}");
    assert!(text.contains("77 Orchard Lane, Springfield, IL 62704"), "{text}");
    assert!(text.contains("Full home inspection — $450.00") && text.contains("Radon test — $150.00"), "{text}");
    let tenant = app.demo_tenant_id().await;
    let mail = app.last_mail_to(&tenant, PAT).await.expect("Pat is invited");
    let pat = Visitor::new();
    let portal = pat.get(&mail.link()).await;
    let portal_text = portal.text();
    assert!(portal_text.contains("77 Orchard Lane") && portal_text.contains("INS-2001"), "{portal_text}");
    assert!(portal_text.contains("Tue Dec 1, 2026, 9:30 AM CST"), "the appointment in the business's zone: {portal_text}");
    assert_eq!(app.audit_count("job.created").await, 1);

    // The office bills the services; the client can pay them.
    let job = job_id(&app, "INS-2001").await;
    let page = staff.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    let invoiced = staff.post(&app.url(&format!("/staff/jobs/{job}/invoice")), &[("csrf", &csrf)]).await;
    assert!(invoiced.text().contains("Invoice INS-2001 is due"), "{}", invoiced.text());
    let portal = pat.get(&portal.url).await.text();
    assert!(portal.contains("Pay for your service") && portal.contains("Total $600.00"), "{portal}");
    let again = staff.post(&app.url(&format!("/staff/jobs/{job}/invoice")), &[("csrf", &csrf)]).await;
    assert!(again.text().contains("This job already has an invoice."), "{}", again.text());
}}

story! { async fn a_job_form_with_mistakes_is_explained_and_creates_nothing(app) {
    let staff = office(&app).await;
    let tenant = app.demo_tenant_id().await;
    let before = app.server.state.db.tenant(&tenant).jobs(100).await.unwrap().len();

    let refused = create(&app, &staff, &new_job(&[
        ("client_name", ""),
        ("services", "Full home inspection 450"),
        ("appointment", "next tuesday"),
        ("buyer_agent_email", "alex at realty"),
    ])).await;

    assert_eq!(refused.status, 422);
    let text = refused.text();
    for expected in [
        "Give the client's name.",
        "Line 1: write a service as “Name | price”.",
        "“next tuesday” is not a date and time.",
        "“alex at realty” is not an e-mail address.",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(refused.body.contains("value=\"77 Orchard Lane\""), "what was typed is kept");
    assert_eq!(app.server.state.db.tenant(&tenant).jobs(100).await.unwrap().len(), before, "nothing created");
    assert_eq!(app.mail_count(&tenant, PAT).await, 0, "nobody invited");

    let taken = create(&app, &staff, &new_job(&[("reference", "INS-1042")])).await;
    assert_eq!(taken.status, 422);
    assert!(taken.text().contains("There is already a job with the reference INS-1042; give this one its own."), "{}", taken.text());
    assert_eq!(app.server.state.db.tenant(&tenant).jobs(100).await.unwrap().len(), before, "still nothing created");
}}

story! { async fn documents_are_uploaded_then_published_for_the_roles_ticked(app) {
    app.release_reports_on_publish().await;
    let staff = office(&app).await;
    let (job, _) = app.demo_invoice().await;
    let page = staff.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    let upload = |fields: Vec<(&'static str, String)>, bytes: Vec<u8>| {
        let mut form = reqwest::multipart::Form::new().text("csrf", csrf.clone());
        for (name, value) in fields {
            form = form.text(name, value);
        }
        form.part("file", reqwest::multipart::Part::bytes(bytes).file_name("file"))
    };
    let fields = || vec![("kind", "report".to_string()), ("title", "Sewer scope findings".to_string()), ("visible_to", "client".to_string())];

    let html = staff.upload_form(&app.url(&format!("/staff/jobs/{job}/documents")), upload(fields(), b"<html><script>".to_vec())).await;
    let uploaded = staff.upload_form(&app.url(&format!("/staff/jobs/{job}/documents")), upload(fields(), b"%PDF-1.4 sewer".to_vec())).await;

    assert!(html.text().contains("Documents must be PDF files, or PNG or JPEG pictures."), "{}", html.text());
    assert!(uploaded.text().contains("Sewer scope findings is uploaded; publish it when it is ready."), "{}", uploaded.text());
    let dana = Visitor::new();
    assert!(!dana.get(&app.links.client).await.text().contains("Sewer scope findings"), "not before it is published");

    let tenant = app.demo_tenant_id().await;
    let document = app.server.state.db.tenant(&tenant).documents(&job, "report").await.unwrap().into_iter().find(|d| d.title == "Sewer scope findings").unwrap();
    let published = staff.post(&app.url(&format!("/staff/jobs/{job}/documents/{}/publish", document.id)), &[("csrf", &csrf)]).await;

    assert!(published.text().contains("Sewer scope findings is published."), "{}", published.text());
    assert!(dana.get(&app.links.client).await.text().contains("Sewer scope findings"), "the client sees it");
    assert!(!Visitor::new().get(&app.links.buyer_agent).await.text().contains("Sewer scope findings"), "the agent was not ticked");
    assert_eq!(app.audit_count("document.published").await, 1);
}}

story! { async fn a_person_is_added_to_a_job_and_invited(app) {
    let staff = office(&app).await;
    let (job, _) = app.demo_invoice().await;
    let page = staff.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();

    let added = staff.post(&app.url(&format!("/staff/jobs/{job}/people")), &[
        ("csrf", &csrf), ("name", "Lou Lender"), ("email", "lou@bank.example"), ("role", "other"), ("invite", "on"),
    ]).await;
    let bad = staff.post(&app.url(&format!("/staff/jobs/{job}/people")), &[("csrf", &csrf), ("name", "X"), ("role", "staff")]).await;

    assert!(added.text().contains("Lou Lender is on the job as guest. Invited Lou Lender (lou@bank.example)."), "{}", added.text());
    assert!(bad.text().contains("Choose the person's role on the job."), "{}", bad.text());
    let tenant = app.demo_tenant_id().await;
    let mail = app.last_mail_to(&tenant, "lou@bank.example").await.expect("invited");
    let lou = Visitor::new().get(&mail.link()).await;
    assert!(lou.text().contains("1428 Elm Street"), "{}", lou.text());
}}

story! { async fn employees_look_but_do_not_run_jobs(app) {
    app.add_staff("crew@keystone-inspections.example", "Eli Employee", "employee", "employee-password-1").await;
    let employee = app.staff("crew@keystone-inspections.example", "employee-password-1").await;
    let (job, _) = app.demo_invoice().await;
    let page = employee.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();

    assert_eq!(employee.get(&app.url("/staff/jobs/new")).await.status, 403);
    assert!(!page.text().contains("Run this job"));
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend(new_job(&[]));
    assert_eq!(employee.post(&app.url("/staff/jobs/new"), &form).await.status, 403);
    assert_eq!(employee.post(&app.url(&format!("/staff/jobs/{job}/services")), &[("csrf", &csrf), ("name", "Free"), ("price", "0")]).await.status, 403);
    let tenant = app.demo_tenant_id().await;
    assert_eq!(app.server.state.db.tenant(&tenant).services(&job).await.unwrap().len(), 2, "unchanged");
}}

story! { async fn the_office_edits_a_job_and_takes_people_and_services_off_it(app) {
    let staff = office(&app).await;
    create(&app, &staff, &new_job(&[])).await;
    let job = job_id(&app, "INS-2001").await;
    let path = format!("/staff/jobs/{job}");
    let page = staff.get(&app.url(&path)).await;
    let csrf = page.hidden("csrf").unwrap();
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let alex = db.tenant(&tenant).job_contacts(&job).await.unwrap().into_iter().find(|c| c.name == "Alex Agent").unwrap();
    let pat = db.tenant(&tenant).job_contacts(&job).await.unwrap().into_iter().find(|c| c.name == "Pat Doe").unwrap();
    let radon = db.tenant(&tenant).services(&job).await.unwrap().into_iter().find(|s| s.name == "Radon test").unwrap();
    let alex_mail = app.last_mail_to(&tenant, "alex@realty.example").await.expect("Alex was invited");
    let alex_portal = Visitor::new();
    let before = alex_portal.get(&alex_mail.link()).await;
    assert_eq!(before.status, 200);
    assert!(before.text().contains("Alex Agent"), "{}", before.text());

    let edited = staff.post(&app.url(&format!("{path}/details")), &[
        ("csrf", &csrf), ("reference", "INS-2001B"), ("line1", "79 Orchard Lane"), ("city", "Springfield"), ("region", "IL"),
        ("postal_code", "62704"), ("appointment", "2026-12-03T13:00"), ("duration_hours", "2"), ("inspector", "Alex Chen"),
    ]).await;
    let taken = staff.post(&app.url(&format!("{path}/details")), &[
        ("csrf", &csrf), ("reference", "INS-1042"), ("line1", "79 Orchard Lane"), ("city", "Springfield"),
    ]).await;
    let alex_off = staff.post(&app.url(&format!("{path}/people/{}/remove", alex.id)), &[("csrf", &csrf)]).await;
    let pat_off = staff.post(&app.url(&format!("{path}/people/{}/remove", pat.id)), &[("csrf", &csrf)]).await;
    let radon_off = staff.post(&app.url(&format!("{path}/services/{}/remove", radon.id)), &[("csrf", &csrf)]).await;
    let pat_portal = Visitor::new().get(&app.last_mail_to(&tenant, PAT).await.unwrap().link()).await;

    assert!(edited.text().contains("The job's details are saved."), "{}", edited.text());
    assert!(edited.text().contains("79 Orchard Lane") && edited.text().contains("INS-2001B"));
    assert!(taken.text().contains("There is already a job with the reference INS-1042"), "{}", taken.text());
    assert_eq!(db.tenant(&tenant).job(&job).await.unwrap().unwrap().reference, "INS-2001B", "the refused change changed nothing");
    assert!(alex_off.text().contains("Alex Agent is off the job; their link no longer works."), "{}", alex_off.text());
    assert!(pat_off.text().contains("Pat Doe is the job's only client"), "{}", pat_off.text());
    assert!(radon_off.text().contains("Radon test is off the job."), "{}", radon_off.text());
    assert_eq!(db.tenant(&tenant).services(&job).await.unwrap().len(), 1);
    let after = alex_portal.get(&app.url(&format!("/jobs/{job}"))).await.text();
    assert!(!after.contains("Alex Agent"), "Alex's session no longer reaches the job as Alex: {after}");
    let link = Visitor::new().get(&alex_mail.link()).await.text();
    assert!(!link.contains("Alex Agent"), "nor does Alex's link: {link}");
    let portal = pat_portal.text();
    assert!(portal.contains("79 Orchard Lane") && portal.contains("Thu Dec 3, 2026, 1:00 PM CST"), "{portal}");
    assert_eq!(app.audit_count("job.details-changed").await, 1);
    assert_eq!(app.audit_count("job.person-removed").await, 1);
    assert_eq!(app.audit_count("job.service-removed").await, 1);
}}

/// The person named `name` on the job `reference`.
async fn person_on(app: &TestApp, reference: &str, name: &str) -> portico_core::model::JobContact {
    let tenant = app.demo_tenant_id().await;
    let job = job_id(app, reference).await;
    app.server.state.db.tenant(&tenant).job_contacts(&job).await.unwrap().into_iter().find(|c| c.name == name).expect("the person")
}

story! { async fn a_persons_details_and_role_are_corrected_on_the_console(app) {
    let staff = office(&app).await;
    create(&app, &staff, &new_job(&[])).await;
    let job = job_id(&app, "INS-2001").await;
    let path = format!("/staff/jobs/{job}");
    let csrf = staff.get(&app.url(&path)).await.hidden("csrf").unwrap();
    let person = |name: &'static str| person_on(&app, "INS-2001", name);
    let (alex, pat) = (person("Alex Agent").await, person("Pat Doe").await);
    let edit = |id: String, fields: Vec<(&'static str, &'static str)>| {
        let (staff, url, csrf) = (&staff, app.url(&format!("{path}/people/{id}/edit")), csrf.clone());
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            staff.post(&url, &form).await
        }
    };

    let corrected = edit(alex.id.clone(), vec![("name", "Alexis Agent"), ("email", "alexis@realty.example"), ("phone", "555-0199"), ("role", "listing-agent")]).await;
    let demoted = edit(pat.id.clone(), vec![("name", "Pat Doe"), ("email", PAT), ("role", "co-client")]).await;
    let taken = edit(alex.id.clone(), vec![("name", "Alexis Agent"), ("email", "dana.whitfield@example.com"), ("role", "listing-agent")]).await;
    let blank = edit(alex.id.clone(), vec![("name", " "), ("role", "listing-agent")]).await;

    assert!(corrected.text().contains("Alexis Agent's details are saved."), "{}", corrected.text());
    let alexis = person("Alexis Agent").await;
    assert_eq!((alexis.email.as_deref(), alexis.phone.as_deref(), alexis.role.0.as_str()), (Some("alexis@realty.example"), Some("555-0199"), "listing-agent"));
    assert!(demoted.text().contains("Pat Doe is the job's only client"), "{}", demoted.text());
    assert_eq!(person("Pat Doe").await.role.0.as_str(), "client", "unchanged");
    assert!(taken.text().contains("dana.whitfield@example.com is the e-mail of another person"), "{}", taken.text());
    assert!(blank.text().contains("Nothing was changed: Give the person's name"), "{}", blank.text());
    assert_eq!(person("Alexis Agent").await.email.as_deref(), Some("alexis@realty.example"), "the refused changes changed nothing");
    assert_eq!(app.audit_count("job.person-changed").await, 1);
}}

story! { async fn the_business_tax_rate_and_a_service_s_own_rate_are_on_the_invoice_and_start_an_estimate(app) {
    let owner = app.owner().await;
    let settings = owner.get(&app.url("/staff/payments")).await;
    let csrf = settings.hidden("csrf").unwrap();
    let fields = [("csrf", csrf.as_str()), ("provider", "test"), ("stripe_account", ""), ("card_fee_percent", ""), ("card_fee_fixed", ""), ("tax_rate", "8.25")];
    let saved = owner.post(&app.url("/staff/payments"), &fields).await;
    let mut wrong = fields;
    wrong[5].1 = "8.255";
    let refused = owner.post(&app.url("/staff/payments"), &wrong).await;
    create(&app, &owner, &new_job(&[])).await;
    let job = job_id(&app, "INS-2001").await;
    let page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    let untaxed = owner.post(&app.url(&format!("/staff/jobs/{job}/services")), &[("csrf", &csrf), ("name", "Deck sealing"), ("price", "200"), ("tax", "0")]).await;
    let bad_rate = owner.post(&app.url(&format!("/staff/jobs/{job}/services")), &[("csrf", &csrf), ("name", "Pool check"), ("price", "90"), ("tax", "lots")]).await;
    let estimate_form = owner.get(&app.url(&format!("/staff/jobs/{job}/estimates"))).await;
    let invoiced = owner.post(&app.url(&format!("/staff/jobs/{job}/invoice")), &[("csrf", &csrf)]).await;

    assert!(saved.text().contains("Saved.") && saved.body.contains("value=\"8.25\""), "{}", saved.text());
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("The sales tax “8.255” is not a rate"), "{}", refused.text());
    let text = untaxed.text();
    assert!(text.contains("Full home inspection — $450.00 (8.25% tax, your usual rate)") && text.contains("Deck sealing — $200.00 (no tax)"), "{text}");
    assert!(bad_rate.text().contains("“lots” is not a tax rate") && !bad_rate.text().contains("Pool check —"), "{}", bad_rate.text());
    let taxes: Vec<&str> = estimate_form.body.split("name=\"tax-").skip(1).map(|rest| rest.split("value=\"").nth(1).unwrap().split('"').next().unwrap()).collect();
    assert_eq!(&taxes[..4], &["8.25", "8.25", "", "8.25"], "the services' rates, then the usual one on a blank row");
    assert!(invoiced.text().contains("Invoice INS-2001"), "{}", invoiced.text());
    let tenant = app.demo_tenant_id().await;
    let (invoice, lines) = app.server.state.db.tenant(&tenant).invoices(&job).await.unwrap().remove(0);
    // 450.00 × 8.25 % = 37.125 → 37.13; 150.00 × 8.25 % = 12.375 → 12.38; the deck is not taxed.
    assert_eq!((invoice.tax_minor, invoice.total(&lines)), (4_951, 80_000 + 4_951));
}}
