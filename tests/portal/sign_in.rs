//! A contact without their link signs in on the business's sign-in page with
//! an e-mailed link or code, or a password where the business allows them.

use portico_data::{AccessSettings, ChallengePurpose, NewChallenge};
use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

/// Ask the demo business's sign-in page for access as `email`.
async fn ask(app: &TestApp, visitor: &Visitor, email: &str) -> Page {
    let form = visitor.get(&app.url("/t/keystone/signin")).await;
    assert_eq!(form.status, 200);
    let csrf = form.hidden("csrf").expect("the form has a token");
    visitor.post(&app.url("/t/keystone/signin"), &[("csrf", &csrf), ("email", email)]).await
}

/// Follow a sign-in link from a message: the page, then its one button.
async fn follow(visitor: &Visitor, link: &str) -> Page {
    let page = visitor.get(link).await;
    let Some(csrf) = page.hidden("csrf") else { return page };
    let action = link.to_string();
    visitor.post(&action, &[("csrf", &csrf)]).await
}

async fn use_codes(app: &TestApp) {
    let tenant = app.demo_tenant_id().await;
    let settings = AccessSettings { link_lifetime_days: Some(30), signin_method: "code", client_passwords: false };
    app.server.state.db.tenant(&tenant).set_access_settings(&settings).await.unwrap();
}

story! { async fn a_client_signs_in_with_an_emailed_link_and_sees_their_jobs(app) {
    app.release_reports_on_publish().await;
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();

    let asked = ask(&app, &dana, " Dana.Whitfield@Example.com ").await;
    assert!(asked.text().contains("If dana.whitfield@example.com is on file with Keystone Home Inspections, we sent it a sign-in link"), "{}", asked.text());

    let mail = app.last_mail_to(&tenant, DANA).await.expect("a sign-in link was sent");
    assert_eq!(mail.template, "magic-link");
    assert!(mail.subject.contains("Sign in to Keystone Home Inspections"));
    assert!(mail.body.contains("15 minutes"));
    let hub = follow(&dana, &mail.link()).await;

    assert_eq!(hub.status, 200);
    assert!(hub.url.ends_with("/account"), "{}", hub.url);
    assert!(hub.text().contains("Your jobs with Keystone Home Inspections"));
    assert!(hub.text().contains("1428 Elm Street") && hub.text().contains("Client · INS-1042"), "{}", hub.text());
    let job = dana.get(&app.url(&hub.href_containing("/jobs/").unwrap())).await;
    assert!(job.text().contains("Dana Whitfield · Client") && job.text().contains("Residential Inspection Report"), "{}", job.text());
}}

story! { async fn a_sign_in_link_works_once_and_not_after_it_expires(app) {
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();
    ask(&app, &dana, DANA).await;
    let link = app.last_mail_to(&tenant, DANA).await.unwrap().link();
    assert_eq!(follow(&dana, &link).await.status, 200);

    let reused = follow(&Visitor::new(), &link).await;
    assert_eq!(reused.status, 410);
    assert!(reused.text().contains("Sign-in links work once, for 15 minutes"));

    let contact = app.server.state.db.tenant(&tenant).contact_for_sign_in(DANA).await.unwrap().unwrap();
    let token = portico_core::tokens::new_token();
    app.server.state.db.create_challenge(&NewChallenge {
        tenant_id: &tenant, purpose: ChallengePurpose::MagicLink, email: DANA, contact_id: Some(&contact.0),
        staff_user_id: None, return_job_id: None, secret_hash: &portico_core::tokens::hash_token(&token),
        expires_at: portico_core::model::now() - 1,
    }).await.unwrap();
    let expired = follow(&Visitor::new(), &app.url(&format!("/t/keystone/signin/link/{token}"))).await;
    assert_eq!(expired.status, 410);
}}

story! { async fn an_unknown_or_staff_address_gets_the_same_answer_and_no_mail(app) {
    let tenant = app.demo_tenant_id().await;

    let stranger = ask(&app, &Visitor::new(), "stranger@example.com").await;
    let staff = ask(&app, &Visitor::new(), &app.links.staff.email).await;
    let client = ask(&app, &Visitor::new(), DANA).await;

    let answer = |page: &Page, email: &str| page.text().replace(email, "ADDRESS");
    assert_eq!(answer(&stranger, "stranger@example.com"), answer(&client, DANA));
    assert_eq!(answer(&staff, &app.links.staff.email), answer(&client, DANA));
    assert_eq!((stranger.status, staff.status), (200, 200));
    assert_eq!(app.mail_count(&tenant, "stranger@example.com").await, 0);
    assert_eq!(app.mail_count(&tenant, &app.links.staff.email).await, 0, "a staff address never gets a client's sign-in");
    assert_eq!(app.mail_count(&tenant, DANA).await, 1);
}}

story! { async fn a_client_signs_in_with_a_six_digit_code(app) {
    use_codes(&app).await;
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();

    let code_page = ask(&app, &dana, DANA).await;
    assert!(code_page.url.contains("/t/keystone/signin/code/"), "{}", code_page.url);
    assert!(code_page.text().contains("we e-mailed it a 6-digit code"), "{}", code_page.text());
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(mail.template, "signin-code");
    let code = mail.data["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6);
    assert!(mail.subject.starts_with(&code));

    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let csrf = code_page.hidden("csrf").unwrap();
    let wrong = dana.post(&code_page.url, &[("csrf", &csrf), ("code", wrong_code)]).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("That code is not right. 4 tries left."), "{}", wrong.text());

    let csrf = wrong.hidden("csrf").unwrap();
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let hub = dana.post(&code_page.url, &[("csrf", &csrf), ("code", &spaced)]).await;
    assert_eq!(hub.status, 200);
    assert!(hub.url.ends_with("/account") && hub.text().contains("1428 Elm Street"));

    let again = Visitor::new();
    let page = again.get(&code_page.url).await;
    assert_eq!(page.status, 410, "a used code's page is closed");
}}

story! { async fn guessing_a_code_locks_it_after_five_tries(app) {
    use_codes(&app).await;
    let tenant = app.demo_tenant_id().await;
    let mallory = Visitor::new();
    let code_page = ask(&app, &mallory, DANA).await;
    let code = app.last_mail_to(&tenant, DANA).await.unwrap().data["code"].as_str().unwrap().to_string();
    let mut guesses = (0..).map(|n| format!("{n:06}")).filter(|guess| *guess != code);

    let mut last = code_page;
    for _ in 0..5 {
        let csrf = last.hidden("csrf").unwrap();
        last = mallory.post(&last.url, &[("csrf", &csrf), ("code", &guesses.next().unwrap())]).await;
    }
    assert_eq!(last.status, 410);
    assert!(last.text().contains("typed wrong too often"), "{}", last.text());

    // Even the right code no longer opens it.
    let form = mallory.get(&app.url("/t/keystone/signin")).await;
    let csrf = form.hidden("csrf").unwrap();
    let right = mallory.post(&last.url, &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(right.status, 410);
    assert!(!right.url.ends_with("/account"));
}}

story! { async fn an_unknown_address_gets_a_code_page_that_never_opens(app) {
    use_codes(&app).await;
    let tenant = app.demo_tenant_id().await;
    let visitor = Visitor::new();

    let page = ask(&app, &visitor, "stranger@example.com").await;

    assert!(page.url.contains("/t/keystone/signin/code/"), "the same next step as for a client");
    assert_eq!(app.mail_count(&tenant, "stranger@example.com").await, 0);
    let csrf = page.hidden("csrf").unwrap();
    let tried = visitor.post(&page.url, &[("csrf", &csrf), ("code", "123456")]).await;
    assert_eq!(tried.status, 401);
    assert!(tried.text().contains("That code is not right. 4 tries left."));
}}

story! { async fn asking_too_often_for_one_address_is_refused_for_a_while(app) {
    let tenant = app.demo_tenant_id().await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(ask(&app, &Visitor::new(), DANA).await.status);
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429]);
    assert_eq!(app.mail_count(&tenant, DANA).await, 5);
}}

story! { async fn a_sign_in_link_is_only_good_at_its_own_business(app) {
    app.other_tenant_client_link().await;
    let tenant = app.demo_tenant_id().await;
    let dana = Visitor::new();
    ask(&app, &dana, DANA).await;
    let link = app.last_mail_to(&tenant, DANA).await.unwrap().link();

    let elsewhere = follow(&dana, &link.replace("/t/keystone/", "/t/brightside/")).await;

    assert_eq!(elsewhere.status, 410);
    assert_eq!(follow(&dana, &link).await.status, 200, "and it is still good where it belongs");
}}

story! { async fn where_the_business_allows_it_a_client_sets_and_uses_a_password(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = AccessSettings { link_lifetime_days: Some(30), signin_method: "magic-link", client_passwords: true };
    app.server.state.db.tenant(&tenant).set_access_settings(&settings).await.unwrap();

    // A personal link does not prove the address: no password from there.
    let from_link = Visitor::new();
    from_link.get(&app.links.client).await;
    assert!(from_link.get(&app.url("/account/password")).await.text().contains("sign in at /t/keystone/signin with a link or code"));

    let dana = Visitor::new();
    ask(&app, &dana, DANA).await;
    follow(&dana, &app.last_mail_to(&tenant, DANA).await.unwrap().link()).await;
    let form = dana.get(&app.url("/account/password")).await;
    let csrf = form.csrf_for("/account/password").unwrap();
    let short = dana.post(&app.url("/account/password"), &[("csrf", &csrf), ("password", "short"), ("confirm", "short")]).await;
    assert_eq!(short.status, 400);
    assert!(short.text().contains("at least 10 characters"));
    let saved = dana.post(&app.url("/account/password"), &[("csrf", &csrf), ("password", "elm street 1428"), ("confirm", "elm street 1428")]).await;
    assert!(saved.text().contains("Your password is set."), "{}", saved.text());

    let signin = |password: &'static str| {
        let app = &app;
        async move {
            let visitor = Visitor::new();
            let form = visitor.get(&app.url("/t/keystone/signin")).await;
            let csrf = form.hidden("csrf").unwrap();
            visitor.post(&app.url("/t/keystone/signin"), &[("csrf", &csrf), ("email", DANA), ("password", password)]).await
        }
    };
    let wrong = signin("elm street 9999").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("That e-mail and password do not match."));
    let right = signin("elm street 1428").await;
    assert!(right.url.ends_with("/account") && right.text().contains("1428 Elm Street"), "{}", right.text());
}}
