//! A visitor on a job's public link without a personal link sees a limited
//! view and can ask for full access by e-mail; guests never act.

use portico_core::model::Role;
use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

async fn job_url(app: &TestApp) -> String {
    let path = Visitor::new().get(&app.links.client).await.job_path();
    app.url(&path)
}

async fn ask_for_access(visitor: &Visitor, guest_view: &Page, email: &str) -> Page {
    let csrf = guest_view.hidden("csrf").expect("the form has a token");
    visitor.post(&format!("{}/access", guest_view.url), &[("csrf", &csrf), ("email", email)]).await
}

story! { async fn a_guest_sees_a_limited_view_with_a_banner(app) {
    let guest = Visitor::new();

    let page = guest.get(&job_url(&app).await).await;

    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("You are viewing this job as a guest"), "{text}");
    assert!(text.contains("1428 Elm Street") && text.contains("Appointment") && text.contains("Get full access"));
    assert!(!text.contains("Residential Inspection Report") && !text.contains("Pre-Inspection Agreement"), "no section runs for a guest: {text}");
    assert!(!text.contains("Dana") && !text.contains("Sam Ortiz"), "nobody's name is shown");
    assert!(!page.body.contains("_portico_action"), "no action is offered");
}}

story! { async fn a_guest_cannot_act_or_open_documents(app) {
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let dana_page = dana.get(&app.links.client).await;
    let report = dana_page.href_containing("/documents/").unwrap();
    let guest = Visitor::new();
    let guest_page = guest.get(&dana_page.url).await;

    let signed = guest.post(&format!("{}/actions", guest_page.url), &[
        ("_portico_csrf", "anything"), ("_portico_plugin", "agreements"), ("_portico_card", "sign-agreement"),
        ("_portico_action", "sign"), ("full_name", "Not Dana"), ("consent", "on"),
    ]).await;
    let document = guest.get(&app.url(&report)).await;

    assert_eq!(signed.status, 401);
    assert_eq!(document.status, 401);
    assert!(dana.get(&dana_page.url).await.text().contains("Required"), "nothing was signed");
}}

story! { async fn get_full_access_emails_a_contact_of_the_job_a_link_back_to_it(app) {
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();
    let guest_view = dana.get(&job_url(&app).await).await;

    let answer = ask_for_access(&dana, &guest_view, "Dana.Whitfield@example.com").await;

    assert!(answer.text().contains("If dana.whitfield@example.com is on this job, we have e-mailed it a sign-in link"), "{}", answer.text());
    let mail = app.last_mail_to(&tenant, DANA).await.expect("Dana got a link");
    assert_eq!(mail.template, "magic-link");
    let continue_page = dana.get(&mail.link()).await;
    let csrf = continue_page.hidden("csrf").unwrap();
    let full = dana.post(&mail.link(), &[("csrf", &csrf)]).await;
    assert_eq!(full.url, guest_view.url, "back on the job");
    assert!(full.text().contains("Dana Whitfield · Client") && full.text().contains("Pre-Inspection Agreement"), "{}", full.text());
}}

story! { async fn get_full_access_reveals_nothing_about_other_addresses(app) {
    let tenant = app.demo_tenant_id().await;
    let url = job_url(&app).await;
    // Lee is a client of another business, not of this job.
    app.other_tenant_client_link().await;

    let mut answers = Vec::new();
    for email in ["lee@example.com", "nobody@example.com", &app.links.staff.email.clone(), DANA] {
        let visitor = Visitor::new();
        let guest_view = visitor.get(&url).await;
        let answer = ask_for_access(&visitor, &guest_view, email).await;
        answers.push((answer.status, answer.text().replace(email, "ADDRESS")));
    }

    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "{answers:#?}");
    assert_eq!(app.mail_count(&tenant, "lee@example.com").await, 0);
    assert_eq!(app.mail_count(&tenant, "nobody@example.com").await, 0);
    assert_eq!(app.mail_count(&tenant, &app.links.staff.email).await, 0);
    assert_eq!(app.mail_count(&tenant, DANA).await, 1);
}}

story! { async fn a_personal_link_for_a_staff_address_opens_only_the_guest_view(app) {
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let job = job_url(&app).await;
    let job_id = &portico_core::ids::JobId::new(job.rsplit('/').next().unwrap());
    let contact = db.tenant(&tenant).create_contact("Morgan Reyes", Some(&app.links.staff.email), None).await.unwrap();
    let token = portico_core::tokens::new_token();
    db.tenant(&tenant).add_job_contact(job_id, &contact, Role::Client, &portico_core::tokens::hash_token(&token), None).await.unwrap();

    let page = Visitor::new().get(&app.url(&format!("/p/{token}"))).await;

    assert!(page.text().contains("You are viewing this job as a guest"), "{}", page.text());
    assert!(!page.text().contains("Pre-Inspection Agreement"));
}}
