//! Staff manage people's access: send, replace and revoke personal links as
//! their role allows, read the access log, choose how people get in, word the
//! mail, run the team and reset their own password.

use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

async fn job_page(app: &TestApp, staff: &Visitor) -> Page {
    let home = staff.get(&app.url("/staff")).await;
    // The first job in the list (the console also links "New job").
    let job = home
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with("/staff/jobs/") && *href != "/staff/jobs/new")
        .expect("a job link")
        .to_string();
    staff.get(&app.url(&job)).await
}

/// Press the button posting to the action ending in `/{verb}` on Dana's row.
async fn on_dana(app: &TestApp, staff: &Visitor, page: &Page, verb: &str) -> Page {
    let row = page.body.split("<tr>").find(|row| row.contains("Dana Whitfield")).expect("Dana's row");
    let start = row.find(&format!("/{verb}\"")).expect("the button is offered");
    let action = &row[row[..start].rfind("action=\"").unwrap() + 8..start + verb.len() + 1];
    let csrf = page.hidden("csrf").unwrap();
    staff.post(&app.url(action), &[("csrf", &csrf)]).await
}

story! { async fn office_staff_replace_and_revoke_a_clients_link(app) {
    app.add_staff("office@keystone.example", "Jo Office", "office", "office password 1").await;
    let office = app.staff("office@keystone.example", "office password 1").await;
    let dana = Visitor::new();
    let dana_job = dana.get(&app.links.client).await;

    let page = job_page(&app, &office).await;
    assert!(page.text().contains("Works; never expires") && page.text().contains("Last opened"), "{}", page.text());
    let replaced = on_dana(&app, &office, &page, "rotate").await;
    let new_link = replaced.body.split("value=\"").find(|v| v.contains("/p/")).unwrap().split('"').next().unwrap().to_string();

    assert!(replaced.text().contains("Copy it now: it is shown only once"));
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 410, "the old link is replaced");
    assert_eq!(Visitor::new().get(&new_link).await.status, 200);
    assert!(dana.get(&dana_job.url).await.text().contains("Pre-Inspection Agreement"), "open sessions go on");

    let page = job_page(&app, &office).await;
    let revoked = on_dana(&app, &office, &page, "revoke").await;
    assert!(revoked.text().contains("Dana Whitfield can no longer open this job"), "{}", revoked.text());
    assert!(revoked.text().contains("Revoked"));
    assert_eq!(Visitor::new().get(&new_link).await.status, 410, "a revoked link says so");
    assert!(dana.get(&dana_job.url).await.text().contains("You are viewing this job as a guest"), "the open session lost the job at once");
}}

story! { async fn sending_a_link_mails_a_fresh_one_that_lasts_as_the_business_chose(app) {
    let tenant = app.demo_tenant_id().await;
    let owner = app.owner().await;
    let settings = owner.get(&app.url("/staff/settings")).await;
    let csrf = settings.hidden("csrf").unwrap();
    let saved = owner.post(&app.url("/staff/settings"), &[("csrf", &csrf), ("link_lifetime_days", "7"), ("signin_method", "magic-link")]).await;
    assert!(saved.text().contains("Saved."), "{}", saved.text());

    let page = job_page(&app, &owner).await;
    let sent = on_dana(&app, &owner, &page, "send").await;

    assert!(sent.text().contains("A new link is on its way to dana.whitfield@example.com"), "{}", sent.text());
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(mail.template, "portal-invite");
    assert!(mail.body.contains("It works until"), "{}", mail.body);
    // The invitation says when, and what is asked, with the amount.
    assert!(mail.body.contains("Appointment: "), "{}", mail.body);
    assert!(mail.body.contains("What we need from you: Sign the Pre-Inspection Agreement; Pay invoice 1042 ($610.00 due)."), "{}", mail.body);
    let html = mail.html.as_deref().expect("an HTML part beside the text");
    assert!(html.contains(&format!("href=\"{}\"", mail.link())) && html.contains(">Open your portal</a>"), "one large button: {html}");
    assert!(html.contains(">Amount due</td>") && html.contains("$610.00"), "the key facts: {html}");
    assert!(html.contains("prefers-color-scheme: dark") && html.contains("name=\"viewport\""), "fit for phones and dark mode");
    let opened = Visitor::new().get(&mail.link()).await;
    assert!(opened.text().contains("Dana Whitfield · Client"));
    assert!(job_page(&app, &owner).await.text().contains("Works until"), "a 7-day link");

    let bad = owner.post(&app.url("/staff/settings"), &[("csrf", &csrf), ("link_lifetime_days", "-3"), ("signin_method", "magic-link")]).await;
    assert!(bad.text().contains("whole number of days"), "{}", bad.text());
}}

story! { async fn a_staff_address_is_never_sent_a_client_link(app) {
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let owner = app.owner().await;
    let page = job_page(&app, &owner).await;
    let job_id = portico_core::ids::JobId::new(page.url.rsplit('/').next().unwrap());
    let contact = db.tenant(&tenant).create_contact("Morgan Reyes", Some(&app.links.staff.email), None).await.unwrap();
    db.tenant(&tenant).add_job_contact(&job_id, &contact, portico_core::model::Role::Other, &portico_core::tokens::hash_token("x"), None).await.unwrap();

    let page = job_page(&app, &owner).await;
    let row = page.body.split("<tr>").find(|row| row.contains(&app.links.staff.email)).unwrap();
    let action = row.split("action=\"").nth(1).unwrap().split('"').next().unwrap();
    let csrf = page.hidden("csrf").unwrap();
    let refused = owner.post(&app.url(action), &[("csrf", &csrf)]).await;

    assert!(refused.text().contains("belongs to a staff account"), "{}", refused.text());
    assert_eq!(app.mail_count(&tenant, &app.links.staff.email).await, 0);
}}

story! { async fn each_role_is_held_to_what_it_may_do(app) {
    app.add_staff("alex@keystone.example", "Alex Chen", "employee", "employee password").await;
    app.add_staff("jo@keystone.example", "Jo Office", "office", "office password 1").await;
    let employee = app.staff("alex@keystone.example", "employee password").await;
    let office = app.staff("jo@keystone.example", "office password 1").await;

    let page = job_page(&app, &employee).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/rotate\""), "no link buttons for an employee");
    let office_page = job_page(&app, &office).await;
    let rotate = office_page.body.split("action=\"").find(|a| a.contains("/rotate\"")).unwrap().split('"').next().unwrap().to_string();
    let csrf = page.hidden("csrf").unwrap();

    assert_eq!(employee.post(&app.url(&rotate), &[("csrf", &csrf)]).await.status, 403);
    assert_eq!(employee.get(&app.url("/staff/access")).await.status, 403);
    assert_eq!(employee.get(&app.url("/staff/team")).await.status, 403);
    assert_eq!(office.get(&app.url("/staff/access")).await.status, 200);
    assert_eq!(office.get(&app.url("/staff/settings")).await.status, 403);
    assert_eq!(office.get(&app.url("/staff/team")).await.status, 403);
    let office_csrf = office_page.hidden("csrf").unwrap();
    let forced = office.post(&app.url("/staff/settings"), &[("csrf", &office_csrf), ("link_lifetime_days", ""), ("signin_method", "code")]).await;
    assert_eq!(forced.status, 403);
    assert_eq!(Visitor::new().get(&app.links.client).await.status, 200, "the employee's attempt changed nothing");
}}

story! { async fn the_access_log_says_who_opened_which_job_from_where(app) {
    Visitor::new().get(&app.links.client).await;
    Visitor::new().get(&app.links.buyer_agent).await;
    let guest_job = Visitor::new().get(&app.links.client).await.url;
    Visitor::new().get(&guest_job).await;

    let log = app.owner().await.get(&app.url("/staff/access")).await;

    let text = log.text();
    assert!(text.contains("Dana Whitfield (Client)") && text.contains("Sam Ortiz (Buyer's agent)"), "{text}");
    assert!(text.contains("Unknown visitor (guest)") && text.contains("public link"));
    assert!(text.contains("INS-1042") && text.contains("127.0.0.1") && text.contains("PorticoTest/1.0"));
}}

story! { async fn the_owner_words_the_sign_in_mail_and_the_next_one_uses_it(app) {
    let tenant = app.demo_tenant_id().await;
    let owner = app.owner().await;
    let editor = owner.get(&app.url("/staff/settings/mail/magic-link")).await;
    assert!(editor.text().contains("{{link}}") && editor.text().contains("Preview"));
    let csrf = editor.hidden("csrf").unwrap();

    let typo = owner.post(&app.url("/staff/settings/mail/magic-link"), &[("csrf", &csrf), ("intent", "save"), ("subject", "Hello {{nmae}}"), ("body", "Go: {{link}}")]).await;
    assert!(typo.text().contains("The subject uses {{nmae}}, which this message does not have"), "{}", typo.text());
    assert!(typo.body.contains("value=\"Hello {{nmae}}\""), "what was typed is kept");
    let saved = owner.post(&app.url("/staff/settings/mail/magic-link"), &[("csrf", &csrf), ("intent", "save"), ("subject", "Your key to {{business}}"), ("body", "Hi {{name}}, tap {{link}}\r\n")]).await;
    assert!(saved.text().contains("Sign-in link saved"), "{}", saved.text());

    let dana = Visitor::new();
    let form = dana.get(&app.url("/t/keystone/signin")).await;
    dana.post(&app.url("/t/keystone/signin"), &[("csrf", &form.hidden("csrf").unwrap()), ("email", DANA)]).await;
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(mail.subject, "Your key to Keystone Home Inspections");
    assert!(mail.body.starts_with("Hi Dana Whitfield, tap http"), "{}", mail.body);
}}

story! { async fn a_forgotten_staff_password_is_reset_by_email_once(app) {
    let tenant = app.demo_tenant_id().await;
    let owner_before = app.owner().await;
    let ask = |email: String| {
        let app = &app;
        async move {
            let visitor = Visitor::new();
            let form = visitor.get(&app.url("/staff/reset")).await;
            visitor.post(&app.url("/staff/reset"), &[("csrf", &form.hidden("csrf").unwrap()), ("email", &email)]).await
        }
    };
    let asked = ask(app.links.staff.email.clone()).await;
    let unknown = ask("nobody@example.com".into()).await;
    assert_eq!(asked.text().replace(&app.links.staff.email, "X"), unknown.text().replace("nobody@example.com", "X"));

    let mail = app.last_mail_to(&tenant, &app.links.staff.email).await.unwrap();
    assert_eq!(mail.template, "staff-reset");
    let visitor = Visitor::new();
    let choose = visitor.get(&mail.link()).await;
    let csrf = choose.hidden("csrf").unwrap();
    let mismatch = visitor.post(&mail.link(), &[("csrf", &csrf), ("password", "a brand new secret"), ("confirm", "a different secret")]).await;
    assert_eq!(mismatch.status, 400);
    assert!(mismatch.text().contains("The two passwords are not the same."));
    let csrf = mismatch.hidden("csrf").unwrap();
    let console = visitor.post(&mail.link(), &[("csrf", &csrf), ("password", "a brand new secret"), ("confirm", "a brand new secret")]).await;
    assert!(console.url.ends_with("/staff") && console.text().contains("INS-1042"), "{}", console.text());

    assert!(owner_before.get(&app.url("/staff")).await.url.ends_with("/staff/login"), "other sessions ended");
    assert_eq!(visitor.get(&mail.link()).await.status, 410, "the link works once");
    app.staff(&app.links.staff.email, "a brand new secret").await;
}}

story! { async fn the_owner_invites_an_employee_who_chooses_a_password(app) {
    let tenant = app.demo_tenant_id().await;
    let owner = app.owner().await;
    let team = owner.get(&app.url("/staff/team")).await;
    let csrf = team.hidden("csrf").unwrap();

    let bad = owner.post(&app.url("/staff/team"), &[("csrf", &csrf), ("name", "Alex Chen"), ("email", "not-an-address"), ("role", "employee")]).await;
    assert!(bad.text().contains("Please enter a valid e-mail address") && bad.body.contains("value=\"Alex Chen\""));
    let added = owner.post(&app.url("/staff/team"), &[("csrf", &csrf), ("name", "Alex Chen"), ("email", "alex@keystone.example"), ("role", "employee")]).await;
    assert!(added.text().contains("Alex Chen is on the team"), "{}", added.text());

    let mail = app.last_mail_to(&tenant, "alex@keystone.example").await.unwrap();
    assert_eq!(mail.template, "staff-invite");
    assert!(mail.subject.contains("Morgan Reyes invited you to Keystone Home Inspections"), "{}", mail.subject);
    let alex = Visitor::new();
    let choose = alex.get(&mail.link()).await;
    let csrf = choose.hidden("csrf").unwrap();
    let console = alex.post(&mail.link(), &[("csrf", &csrf), ("password", "alex password 1"), ("confirm", "alex password 1")]).await;
    assert!(console.text().contains("Alex Chen · Employee"), "{}", console.text());
    assert_eq!(alex.get(&app.url("/staff/team")).await.status, 403);

    let team = owner.get(&app.url("/staff/team")).await;
    let own_row = team.body.split("<tr>").find(|row| row.contains("(you)")).unwrap();
    assert!(!own_row.contains("/remove"), "nobody removes themselves");
}}
