//! Notifications: a published report, an issued invoice and a received
//! payment are e-mailed to the people they concern, as each person chose,
//! else as the business chose; every such e-mail links to the person's
//! choices, which work signed out, and carries the one-click unsubscribe.

use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";
const SAM: &str = "sam.ortiz@realty.example";
const PRIYA: &str = "priya@listings.example";

/// The office uploads a report for `visible_to` and publishes it.
async fn publish_report(app: &TestApp, title: &str, visible_to: &[&str]) -> Page {
    let owner = app.owner().await;
    let (job, _) = app.demo_invoice().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).text("kind", "report").text("title", title.to_string());
    for role in visible_to {
        form = form.text("visible_to", role.to_string());
    }
    let form = form.part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 findings".to_vec()).file_name("report.pdf"));
    owner.upload_form(&app.url(&format!("/staff/jobs/{job}/documents")), form).await;
    let tenant = app.demo_tenant_id().await;
    let document = app.server.state.db.tenant(&tenant).documents(&job, "report").await.unwrap().into_iter().find(|d| d.title == title).unwrap();
    owner.post(&app.url(&format!("/staff/jobs/{job}/documents/{}/publish", document.id)), &[("csrf", &csrf)]).await
}

story! { async fn a_published_report_is_e_mailed_to_the_people_it_is_shared_with(app) {
    let tenant = app.demo_tenant_id().await;
    let before = (app.mail_count(&tenant, DANA).await, app.mail_count(&tenant, SAM).await, app.mail_count(&tenant, PRIYA).await);

    let published = publish_report(&app, "Sewer scope findings", &["client", "buyer-agent"]).await;

    assert!(published.text().contains("Sewer scope findings is published."), "{}", published.text());
    assert_eq!(app.mail_count(&tenant, DANA).await, before.0 + 1, "the client hears of it once");
    assert_eq!(app.mail_count(&tenant, SAM).await, before.1 + 1, "and the buyer's agent it is shared with");
    assert_eq!(app.mail_count(&tenant, PRIYA).await, before.2, "not the listing agent, who may not open it");
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(mail.template, "report-published");
    assert_eq!(mail.subject, "Keystone Home Inspections: your report for 1428 Elm Street, Springfield, IL 62704 is ready");
    assert!(mail.body.contains("Sewer scope findings for 1428 Elm Street"), "{}", mail.body);
    // The demo holds reports until the agreement is signed and the invoice paid: the mail says so.
    assert!(mail.body.contains("It will be released as soon as the Pre-Inspection Agreement is signed by Dana Whitfield and invoice 1042 is paid ($610.00 due)."), "{}", mail.body);
    // The agent learns what the report waits for, never the client's bill.
    let to_sam = app.last_mail_to(&tenant, SAM).await.unwrap();
    assert!(to_sam.body.contains("It will be released as soon as the Pre-Inspection Agreement is signed by Dana Whitfield and invoice 1042 is paid.\n"), "{}", to_sam.body);
    assert!(!to_sam.body.contains('$'), "{}", to_sam.body);
    assert!(mail.link().contains("/jobs/"), "it links to the job: {}", mail.link());
    let unsubscribe = mail.unsubscribe.clone().expect("a notification carries its unsubscribe address");
    assert!(unsubscribe.contains("/t/keystone/notifications/") && unsubscribe.ends_with("?kind=report-published"), "{unsubscribe}");
    assert!(mail.body.contains(&format!("Choose which e-mails you get, or stop them: {unsubscribe}")), "{}", mail.body);
    let html = mail.html.clone().unwrap();
    let (signed_path, _) = unsubscribe.split_once('?').unwrap();
    assert!(html.contains(&format!("<a href=\"{signed_path}")), "the link is a link in HTML: {html}");
    assert!(!unsubscribe.contains("dana"), "no address in the link");
    assert!(html.contains("View your report"), "one button");

    // Publishing it again (a retry racing the console) tells nobody twice.
    let (job, _) = app.demo_invoice().await;
    let report = app.server.state.db.tenant(&tenant).documents(&job, "report").await.unwrap().into_iter().find(|d| d.title == "Sewer scope findings").unwrap();
    let business = app.server.state.db.tenant(&tenant).business().await.unwrap().unwrap();
    let actor = portico_data::Actor::staff("retry", "Integration retry");
    app.server.state.documents.publish(&business, &job, &report.id, &report.title, &actor).await.unwrap();
    assert_eq!(app.mail_count(&tenant, DANA).await, before.0 + 1);
    assert_eq!(app.audit_count("document.published").await, 1);
}}

story! { async fn a_person_whose_link_was_revoked_is_not_told(app) {
    let tenant = app.demo_tenant_id().await;
    let (job, _) = app.demo_invoice().await;
    let dana_on_job = app.server.state.db.tenant(&tenant).job_contacts(&job).await.unwrap().into_iter().find(|p| p.email.as_deref() == Some(DANA)).unwrap();
    let owner = app.owner().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();
    owner.post(&app.url(&format!("/staff/jobs/{job}/people/{}/revoke", dana_on_job.id)), &[("csrf", &csrf)]).await;
    let before = app.mail_count(&tenant, DANA).await;

    publish_report(&app, "Sewer scope findings", &["client", "buyer-agent"]).await;

    assert_eq!(app.mail_count(&tenant, DANA).await, before, "cut off: told nothing of the job");
    assert_eq!(app.last_mail_to(&tenant, SAM).await.unwrap().template, "report-published", "the others still are");
}}

story! { async fn the_unsubscribe_link_works_signed_out_and_stops_only_that_kind(app) {
    let tenant = app.demo_tenant_id().await;
    publish_report(&app, "Sewer scope findings", &["client"]).await;
    let link = app.last_mail_to(&tenant, DANA).await.unwrap().unsubscribe.unwrap();
    let stranger = Visitor::new();

    let page = stranger.get(&link).await;
    let stopped = stranger.post(&page.action_containing("/notifications/").map(|action| app.url(&action)).unwrap(), &[("stop", "report-published")]).await;
    publish_report(&app, "Radon results", &["client"]).await;

    assert_eq!(page.status, 200);
    assert!(page.text().contains("Keystone Home Inspections e-mails d•••@example.com when something happens on your jobs."), "{}", page.text());
    assert!(page.text().contains("Stop e-mails when a report is published"), "the e-mail's own kind first: {}", page.text());
    assert!(stopped.text().contains("Saved. You get only the e-mails ticked below."), "{}", stopped.text());
    assert!(!stopped.text().contains("Stop e-mails when a report is published"), "already stopped");
    let reports_mailed = app.server.state.db.tenant(&tenant).outbox_to(DANA).await.unwrap().iter().filter(|m| m.template == "report-published").count();
    assert_eq!(reports_mailed, 1, "the second report was not e-mailed to Dana");
    // Other kinds still come: the invoice choice is untouched.
    let choices = stranger.get(&link).await;
    assert!(choices.control("on\" value=\"invoice-issued").is_some_and(|tag| tag.contains("checked")), "{}", choices.body);
}}

story! { async fn a_mail_clients_one_click_unsubscribe_is_honoured(app) {
    let tenant = app.demo_tenant_id().await;
    publish_report(&app, "Sewer scope findings", &["client"]).await;
    let link = app.last_mail_to(&tenant, DANA).await.unwrap().unsubscribe.unwrap();

    // What a mail client sends for RFC 8058: multipart, no cookies, no form token.
    let one_click = reqwest::multipart::Form::new().text("List-Unsubscribe", "One-Click");
    let clicked = Visitor::new().upload_form(&link, one_click).await;
    publish_report(&app, "Radon results", &["client"]).await;

    assert_eq!(clicked.status, 200, "{}", clicked.text());
    let reports_mailed = app.server.state.db.tenant(&tenant).outbox_to(DANA).await.unwrap().iter().filter(|m| m.template == "report-published").count();
    assert_eq!(reports_mailed, 1);
}}

story! { async fn a_forged_or_foreign_unsubscribe_link_changes_nothing(app) {
    let tenant = app.demo_tenant_id().await;
    publish_report(&app, "Sewer scope findings", &["client"]).await;
    let link = app.last_mail_to(&tenant, DANA).await.unwrap().unsubscribe.unwrap();
    let (path, _) = link.split_once('?').unwrap();
    // The signature with its last digit changed.
    let last = if path.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &path[..path.len() - 1]);
    app.other_tenant_client_link().await;
    let elsewhere = path.replace("/t/keystone/", "/t/brightside/");

    let tampered = Visitor::new().post(&forged, &[("stop", "report-published")]).await;
    let nonsense = Visitor::new().post(path, &[("stop", "everything")]).await;
    let foreign = Visitor::new().get(&elsewhere).await;

    assert_eq!(tampered.status, 404);
    assert!(tampered.text().contains("This link does not work"), "{}", tampered.text());
    assert_eq!(foreign.status, 404, "signed for one business, it opens nothing at another");
    assert_eq!(nonsense.status, 400, "an unknown kind stops nothing: {}", nonsense.text());
    let page = Visitor::new().get(&link).await;
    assert!(page.text().contains("Stop e-mails when a report is published"), "still on");
}}

story! { async fn a_signed_in_client_chooses_on_their_account_and_the_business_sets_defaults(app) {
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    let owner = app.owner().await;

    // The business stops report e-mails for everyone who has not chosen...
    let defaults = owner.get(&app.url("/staff/notifications")).await;
    let csrf = defaults.hidden("csrf").unwrap();
    let saved = owner.post(&app.url("/staff/notifications"), &[("csrf", &csrf), ("on", "invoice-issued"), ("on", "payment-recorded")]).await;
    // ...and Dana, on her account, wants reports but no payment e-mails.
    let account = dana.get(&app.url("/account/notifications")).await;
    let csrf = account.hidden("csrf").unwrap();
    let chosen = dana.post(&app.url("/account/notifications"), &[("csrf", &csrf), ("on", "report-published"), ("on", "invoice-issued")]).await;
    let forged = dana.post(&app.url("/account/notifications"), &[("csrf", "forged"), ("on", "report-published")]).await;
    publish_report(&app, "Sewer scope findings", &["client", "buyer-agent"]).await;
    let paid = app.pay_demo_invoice(&dana).await;

    assert!(saved.text().contains("Saved. People who have not chosen for themselves get these e-mails from now on."), "{}", saved.text());
    assert_eq!(app.audit_count("notifications.defaults").await, 1);
    assert!(chosen.text().contains("Saved. You get only the e-mails ticked below."), "{}", chosen.text());
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert!(paid.status == 200);
    let to_dana: Vec<String> = app.server.state.db.tenant(&tenant).outbox_to(DANA).await.unwrap().into_iter().map(|m| m.template).collect();
    assert!(to_dana.contains(&"report-published".to_string()), "Dana's own choice beats the business's default: {to_dana:?}");
    assert!(!to_dana.contains(&"payment-recorded".to_string()), "Dana stopped payment e-mails: {to_dana:?}");
    let to_sam: Vec<String> = app.server.state.db.tenant(&tenant).outbox_to(SAM).await.unwrap().into_iter().map(|m| m.template).collect();
    assert!(!to_sam.contains(&"report-published".to_string()), "Sam never chose: the business's default, off: {to_sam:?}");
}}

story! { async fn an_invoice_issued_by_the_office_is_e_mailed_to_the_clients(app) {
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let property = db.tenant(&tenant).create_property("9 Birch Road", "Springfield", "IL", "62704").await.unwrap();
    let job = db.tenant(&tenant).create_job(&property, "INS-2001").await.unwrap();
    let contact = db.tenant(&tenant).create_contact("Pat Buyer", Some("pat@example.com"), None).await.unwrap();
    let hash = portico_core::tokens::hash_token(&portico_core::tokens::new_token());
    db.tenant(&tenant).add_job_contact(&job, &contact, portico_core::model::Role::Client, &hash, None).await.unwrap();
    db.tenant(&tenant).add_service(&job, "Home inspection", 42500).await.unwrap();
    let owner = app.owner().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();

    let invoiced = owner.post(&app.url(&format!("/staff/jobs/{job}/invoice")), &[("csrf", &csrf)]).await;

    assert_eq!(invoiced.status, 200, "{}", invoiced.text());
    assert_eq!(app.mail_count(&tenant, "pat@example.com").await, 1);
    let mail = app.last_mail_to(&tenant, "pat@example.com").await.unwrap();
    assert_eq!(mail.template, "invoice-issued");
    assert!(mail.body.contains("Invoice INS-2001 for 9 Birch Road, Springfield, IL 62704 is ready: $425.00."), "{}", mail.body);
    assert!(mail.html.unwrap().contains("View the invoice"));
    assert!(mail.body.contains("See it and pay online:"), "the demo takes payments online: {}", mail.body);
}}

story! { async fn a_payment_is_acknowledged_with_what_was_paid(app) {
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();

    let paid = app.pay_demo_invoice(&dana).await;

    assert_eq!(paid.status, 200);
    let receipt = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(receipt.template, "payment-recorded");
    assert!(receipt.body.contains("We received your payment of $610.00 towards invoice 1042"), "{}", receipt.body);
    assert_eq!(app.server.state.db.tenant(&tenant).outbox_to(DANA).await.unwrap().iter().filter(|m| m.template == "payment-recorded").count(), 1);
}}

story! { async fn a_person_who_opts_in_is_texted_through_the_labelled_test_provider(app, _unused: ()) setup async {}; configure |config: &mut portico_web::app::Config, _: &()| {
    config.sms = Some(portico_services::sms::SmsConfig::Test);
}; {
    let tenant = app.demo_tenant_id().await;
    let db = app.server.state.db.tenant(&tenant);
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path().trim_start_matches("/jobs/").to_string();
    let job_id = portico_core::ids::JobId::new(job.clone());
    let person = db.live_job_contacts(&job_id).await.unwrap().into_iter().find(|p| p.name == "Dana Whitfield").unwrap();
    // The office has her mobile number.
    let owner = app.owner().await;
    let console = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let edit = format!("/staff/jobs/{job}/people/{}/edit", person.id);
    let edited = owner.post(&app.url(&edit), &[("csrf", &console.csrf_for(&edit).unwrap()), ("name", "Dana Whitfield"), ("email", DANA), ("phone", "(217) 555-0142"), ("role", "client")]).await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    // Before she opts in, a message is e-mailed, not texted.
    office_writes(&app, &owner, &job, &person.id, "Booking").await;
    assert!(db.sms_to("+12175550142").await.unwrap().is_empty(), "nobody is texted without their own yes");

    let choices = dana.get(&app.url("/account/notifications")).await;
    assert!(choices.text().contains("Text me when") && choices.text().contains("Reply STOP"), "{}", choices.text());
    let mut form: Vec<(&str, &str)> = vec![("csrf", "")];
    let csrf = choices.csrf_for("/account/notifications").unwrap();
    form[0].1 = &csrf;
    for kind in portico_core::notifications::NotificationKind::ALL {
        form.push(("on", kind.as_str()));
    }
    form.push(("text", "new-message"));
    dana.post(&app.url("/account/notifications"), &form).await;
    office_writes(&app, &owner, &job, &person.id, "Access").await;

    let texts = db.sms_to("+12175550142").await.unwrap();
    assert_eq!(texts.len(), 1, "one text, for the kind she ticked");
    assert_eq!(texts[0].template, "new-message");
    let body = portico_services::sms::text_of(&app.server.state.db, &tenant, &texts[0].template, &texts[0].data_json).await.unwrap();
    assert!(body.starts_with("Keystone Home Inspections: Morgan Reyes wrote about Access\n") && body.contains("/messages/"), "{body}");
    // The worker hands it to the test provider, which records itself.
    let mut sent = texts[0].clone();
    for _ in 0..100 {
        sent = db.sms_to("+12175550142").await.unwrap().remove(0);
        if sent.status == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!((sent.status.as_str(), sent.provider.as_deref()), ("sent", Some("test")));
    let rechosen = dana.get(&app.url("/account/notifications")).await;
    assert!(rechosen.control("text\" value=\"new-message").is_some_and(|tag| tag.contains("checked")), "{}", rechosen.body);
}}

/// The office writes to the person `person` of `job` in a new conversation.
async fn office_writes(app: &TestApp, owner: &Visitor, job: &str, person: &str, title: &str) -> Page {
    let action = format!("/staff/jobs/{job}/conversations");
    let form = owner.get(&app.url(&action)).await;
    let fields = reqwest::multipart::Form::new()
        .text("csrf", form.csrf_for(&action).unwrap())
        .text("person", person.to_string())
        .text("title", title.to_string())
        .text("body", "Your inspector is booked.");
    owner.upload_form(&app.url(&action), fields).await
}
