//! Estimates: the office writes one on the console (lines, an option the
//! client may tick, tax per line, a deposit, a last day) and sends it; the
//! client reads it on the job's Estimate tab and accepts it with a signature
//! — which makes the invoices, a deposit invoice among them, and tells the
//! office — or declines it with a reason. A declined or expired estimate
//! cannot then be accepted; an agent sees none; the console's form keeps
//! what was typed and says what is wrong beside it.

use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";
const OWNER: &str = "owner@keystone-inspections.example";

/// The demo job's id, as its client's link opens it.
async fn demo_job(app: &TestApp) -> String {
    Visitor::new().get(&app.links.client).await.job_path().trim_start_matches("/jobs/").to_string()
}

/// A day `days` from now, as the form's date input sends it.
fn day_in(days: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days)).to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// Write an estimate on the console: a water heater (8.25 % tax), haul-away
/// (no tax) and an optional expansion tank (8.25 %), with `deposit` percent.
async fn write(app: &TestApp, owner: &Visitor, job: &str, deposit: &str) -> Page {
    let form = owner.get(&app.url(&format!("/staff/jobs/{job}/estimates"))).await;
    let csrf = form.hidden("csrf").expect("the estimate form");
    let expires = day_in(10);
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "Replace the water heater"),
        ("message", "Includes permit and haul-away."),
        ("expires_on", expires.as_str()),
        ("deposit_percent", deposit),
        ("description-1", "50-gallon water heater, installed"),
        ("quantity-1", "1"),
        ("price-1", "1,200.00"),
        ("tax-1", "8.25"),
        ("description-2", "Haul away the old heater"),
        ("quantity-2", "1"),
        ("price-2", "80"),
        ("tax-2", ""),
        ("description-3", "Expansion tank"),
        ("quantity-3", "1"),
        ("price-3", "150.00"),
        ("tax-3", "8.25"),
        ("optional-3", "1"),
        ("description-4", ""),
        ("quantity-4", "1"),
        ("price-4", ""),
        ("tax-4", ""),
    ];
    owner.post(&app.url(&format!("/staff/jobs/{job}/estimates")), &fields).await
}

/// Send the job's newest draft from the console's job page.
async fn send(app: &TestApp, owner: &Visitor, job: &str) -> Page {
    let page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let action = page
        .body
        .split("action=\"")
        .map(|rest| rest.split('"').next().unwrap())
        .find(|action| action.contains("/estimates/") && action.ends_with("/send"))
        .expect("a Send button")
        .to_string();
    let csrf = page.csrf_for(&action).unwrap();
    owner.post(&app.url(&action), &[("csrf", &csrf)]).await
}

/// Dana, signed in through her link, on the job's Estimate tab.
async fn dana_on_estimate(app: &TestApp) -> (Visitor, Page) {
    let dana = Visitor::new();
    let link = dana.get(&app.links.client).await;
    let tab = dana.get(&app.url(&format!("{}?tab=estimate", link.job_path()))).await;
    (dana, tab)
}

/// The name of the check box of the optional line.
fn option_box(page: &Page) -> String {
    let rest = page.body.split(" name=\"option-").nth(1).expect("an option to tick");
    format!("option-{}", rest.split('"').next().unwrap())
}

async fn accept(dana: &Visitor, tab: &Page, fields: &[(&str, &str)]) -> Page {
    let mut all = vec![("_portico_tab", "estimate"), ("estimate", "")];
    let estimate = tab.hidden("estimate").unwrap_or_default();
    let version = tab.hidden("version").unwrap_or_default();
    all[1].1 = &estimate;
    all.push(("version", &version));
    all.extend_from_slice(fields);
    dana.act(tab, "estimates", "estimate", "accept", &all).await
}

story! { async fn the_client_accepts_an_estimate_with_an_option_and_the_deposit_and_work_are_invoiced(app) {
    let tenant = app.demo_tenant_id().await;
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    let written = write(&app, &owner, &job, "25").await;
    let (_, draft_tab) = dana_on_estimate(&app).await;
    let mails_before = (app.mail_count(&tenant, DANA).await, app.mail_count(&tenant, OWNER).await);
    let sent = send(&app, &owner, &job).await;
    let mails_sent = app.mail_count(&tenant, DANA).await;

    assert!(written.text().contains("Estimate E-0001 is saved as a draft."), "{}", written.text());
    assert!(written.text().contains("Draft") && written.text().contains("Expansion tank (optional)"), "{}", written.text());
    assert!(!draft_tab.text().contains("Replace the water heater"), "a draft is not shown to the client: {}", draft_tab.text());
    assert!(sent.text().contains("Estimate E-0001 is sent"), "{}", sent.text());
    assert_eq!(mails_sent, mails_before.0 + 1, "Dana is told once");
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(mail.template, "estimate-sent");
    assert!(mail.body.contains("Estimate E-0001, Replace the water heater, is ready") && mail.body.contains("$1,379.00"), "{}", mail.body);

    // Dana reads it: the required lines with their tax, the option apart.
    let (dana, tab) = dana_on_estimate(&app).await;
    let text = tab.text();
    assert!(text.contains("Estimate E-0001: Replace the water heater") && text.contains("Awaiting your answer"), "{text}");
    assert!(text.contains("Expansion tank · 8.25% tax (option) 1 × 150.00 150.00") && text.contains("Add Expansion tank (150.00 plus 8.25% tax)"), "{text}");
    assert!(text.contains("Subtotal $1,280.00") && text.contains("Tax $99.00") && text.contains("Total $1,379.00"), "{text}");
    assert!(text.contains("Includes permit and haul-away."), "{text}");

    // A missing name is said beside its input; then she accepts with the tank.
    let tank = option_box(&tab);
    let unnamed = accept(&dana, &tab, &[("consent", "on"), (&tank, "on")]).await;
    let accepted = accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on"), (&tank, "on")]).await;
    let again = accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;

    assert!(unnamed.text().contains("Type your full name as you would sign it."), "{}", unnamed.text());
    // 1,200 + 80 + 150 = 1,430; tax 99.00 + 12.375 → 12.38; 25 % of 1,541.38 = 385.345 → 385.35.
    assert!(accepted.text().contains("Thank you, Dana Whitfield. Estimate E-0001 is accepted for 1541.38. A deposit of 385.35 is invoiced"), "{}", accepted.text());
    assert!(again.text().contains("This estimate was already accepted on"), "accepted once: {}", again.text());
    let job_id = portico_core::ids::JobId::new(&job);
    let invoices = app.server.state.db.tenant(&tenant).invoices(&job_id).await.unwrap();
    let totals: Vec<(String, i64, i64)> =
        invoices.iter().filter(|(i, _)| i.number.starts_with("E-")).map(|(i, lines)| (i.number.clone(), i.tax_minor, i.total(lines))).collect();
    assert!(totals.contains(&("E-0001-D".to_string(), 0, 38_535)), "the deposit invoice: {totals:?}");
    assert!(totals.contains(&("E-0001".to_string(), 11_138, 154_138 - 38_535)), "the work, less the deposit: {totals:?}");
    assert_eq!(totals.len(), 2, "one acceptance, two invoices: {totals:?}");
    assert_eq!(app.audit_count("estimate.accepted").await, 1);
    let office = app.last_mail_to(&tenant, OWNER).await.unwrap();
    assert_eq!(office.template, "office-estimate-answered");
    assert!(office.body.contains("Dana Whitfield accepted it ($1,541.38, with a deposit of $385.35 invoiced)"), "{}", office.body);
    assert_eq!(app.mail_count(&tenant, OWNER).await, mails_before.1 + 1, "the office is told once");

    // The console shows the evidence; the hub lists the estimate.
    let console = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    assert!(console.text().contains("Accepted by Dana Whitfield (typed name)") && console.text().contains("Expansion tank (optional, taken)"), "{}", console.text());
    let hub = dana.get(&app.url("/account?tab=estimates")).await;
    assert!(hub.text().contains("E-0001 Replace the water heater INS-1042 1541.38 Accepted"), "{}", hub.text());
}}

story! { async fn a_declined_estimate_cannot_then_be_accepted_and_an_agent_sees_none(app) {
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    write(&app, &owner, &job, "").await;
    send(&app, &owner, &job).await;
    let (dana, tab) = dana_on_estimate(&app).await;
    let estimate = tab.hidden("estimate").unwrap();

    let no_reason = dana.act(&tab, "estimates", "estimate", "decline", &[("_portico_tab", "estimate"), ("estimate", &estimate), ("reason", " ")]).await;
    let declined = dana.act(&tab, "estimates", "estimate", "decline", &[("_portico_tab", "estimate"), ("estimate", &estimate), ("reason", "We found a cheaper quote.")]).await;
    let then_accepted = accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;

    assert!(no_reason.text().contains("Say why you decline, so the office can help."), "{}", no_reason.text());
    assert!(declined.text().contains("Estimate E-0001 is declined."), "{}", declined.text());
    assert!(then_accepted.text().contains("This estimate was declined on"), "{}", then_accepted.text());
    let console = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    assert!(console.text().contains("Declined by Dana Whitfield") && console.text().contains("We found a cheaper quote."), "{}", console.text());

    // A second draft the office discards is never shown to her.
    write(&app, &owner, &job, "").await;
    let console = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let withdraw = console.action_containing("/withdraw").expect("the draft's Withdraw");
    let withdrawn = owner.post(&app.url(&withdraw), &[("csrf", &console.csrf_for(&withdraw).unwrap())]).await;
    assert!(withdrawn.text().contains("The estimate is withdrawn") && withdrawn.text().contains("E-0002"), "{}", withdrawn.text());
    let (_, her_tab) = dana_on_estimate(&app).await;
    assert!(her_tab.text().contains("E-0001") && !her_tab.text().contains("E-0002"), "{}", her_tab.text());

    let sam = Visitor::new();
    let sams = sam.get(&app.links.buyer_agent).await;
    let sams_tab = sam.get(&app.url(&format!("{}?tab=estimate", sams.job_path()))).await;
    assert!(!sams_tab.text().contains("Replace the water heater"), "the buyer's agent sees no estimate: {}", sams_tab.text());
    let forged = accept(&sam, &tab, &[("full_name", "Sam Agent"), ("consent", "on")]).await;
    assert!(!forged.text().contains("is accepted"), "{}", forged.text());
}}

story! { async fn a_revised_estimate_replaces_the_one_sent_before_and_a_job_accepts_one(app) {
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    write(&app, &owner, &job, "").await;
    send(&app, &owner, &job).await;
    let (dana, first_tab) = dana_on_estimate(&app).await;
    let first = first_tab.hidden("estimate").unwrap();

    // The office revises it; the first one's form, still open on Dana's phone, no longer accepts.
    write(&app, &owner, &job, "").await;
    let revised = send(&app, &owner, &job).await;
    let stale = accept(&dana, &first_tab, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;
    let (dana, tab) = dana_on_estimate(&app).await;
    let accepted = accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;
    // Even an estimate left open by an older version of Portico cannot be accepted beside it.
    app.run_sql(&format!("UPDATE estimates SET status = 'sent', decided_at = NULL WHERE id = '{first}'")).await;
    let (dana, reopened) = dana_on_estimate(&app).await;
    let second_acceptance = accept(&dana, &reopened, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;
    app.add_staff("crew@keystone-inspections.example", "Casey Crew", "employee", "crew-password-1").await;
    let employee = app.staff("crew@keystone-inspections.example", "crew-password-1").await;
    let employees_view = employee.get(&app.url(&format!("/staff/jobs/{job}"))).await.text();
    let owners_view = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.text();

    assert!(revised.text().contains("E-0002"), "{}", revised.text());
    assert!(stale.text().contains("The office withdrew this estimate."), "the replaced estimate is withdrawn: {}", stale.text());
    assert_ne!(tab.hidden("estimate").unwrap(), first, "her tab now shows the revision");
    assert!(accepted.text().contains("Estimate E-0002 is accepted"), "{}", accepted.text());
    assert_eq!(reopened.hidden("estimate").unwrap(), first, "the old estimate, open again, is offered");
    assert!(second_acceptance.text().contains("could not be accepted"), "{}", second_acceptance.text());
    let invoices = app.server.state.db.tenant(&app.demo_tenant_id().await).invoices(&portico_core::ids::JobId::new(&job)).await.unwrap();
    assert_eq!(invoices.iter().filter(|(invoice, _)| invoice.number.starts_with("E-")).count(), 1, "one estimate's invoice");
    assert!(owners_view.contains("Accepted by Dana Whitfield (typed name)") && owners_view.contains(", from "), "{owners_view}");
    assert!(employees_view.contains("Accepted by Dana Whitfield (typed name)") && !employees_view.contains(", from "), "an employee is not shown where she answered from: {employees_view}");
}}

story! { async fn an_expired_estimate_cannot_be_accepted(app) {
    let tenant = app.demo_tenant_id().await;
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    write(&app, &owner, &job, "").await;
    send(&app, &owner, &job).await;
    let (dana, tab) = dana_on_estimate(&app).await;

    // Its last day passes while Dana's page is open.
    let db = &app.server.state.db;
    let job_id = portico_core::ids::JobId::new(&job);
    let (estimate, _) = db.tenant(&tenant).estimates_of_jobs(&[job_id]).await.unwrap().remove(0);
    app.run_sql(&format!("UPDATE estimates SET expires_at = {} WHERE id = '{}'", jiff::Timestamp::now().as_second() - 60, estimate.id)).await;
    let late = accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;
    let reopened = dana.get(&app.url(&format!("/jobs/{job}?tab=estimate"))).await;

    assert!(late.text().contains("This estimate expired on"), "{}", late.text());
    assert!(reopened.text().contains("Expired") && !reopened.body.contains("name=\"full_name\""), "no form once expired: {}", reopened.text());
    assert_eq!(app.audit_count("estimate.accepted").await, 0);
}}

story! { async fn the_office_form_keeps_what_was_typed_and_an_employee_cannot_write(app) {
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    let form = owner.get(&app.url(&format!("/staff/jobs/{job}/estimates"))).await;
    let csrf = form.hidden("csrf").unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "Gutter cleaning"),
        ("expires_on", "2020-01-01"),
        ("deposit_percent", "150"),
        ("description-1", "Clean the gutters"),
        ("quantity-1", "1"),
        ("price-1", "twelve"),
        ("tax-1", "8.25"),
    ];
    let refused = owner.post(&app.url(&format!("/staff/jobs/{job}/estimates")), &fields).await;

    assert_eq!(refused.status, 422);
    let text = refused.text();
    assert!(text.contains("The last day has already passed"), "{text}");
    assert!(text.contains("The deposit is a whole percent from 0 to 100."), "{text}");
    assert!(text.contains("Line 1: “twelve” is not a price"), "{text}");
    assert!(refused.body.contains("value=\"Gutter cleaning\"") && refused.body.contains("value=\"twelve\""), "what was typed is kept");
    assert!(refused.body.contains("id=\"line-1-error\""), "the line's problem is beside it");

    app.add_staff("crew@keystone-inspections.example", "Casey Crew", "employee", "crew-password-1").await;
    let casey = app.staff("crew@keystone-inspections.example", "crew-password-1").await;
    let denied = casey.get(&app.url(&format!("/staff/jobs/{job}/estimates"))).await;
    assert_eq!(denied.status, 403);
}}

story! { async fn a_deposit_of_the_whole_total_is_one_invoice_due_now(app) {
    let tenant = app.demo_tenant_id().await;
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    write(&app, &owner, &job, "100").await;
    send(&app, &owner, &job).await;
    let (dana, tab) = dana_on_estimate(&app).await;

    let accepted = accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on")]).await;

    assert!(accepted.text().contains("Estimate E-0001 is accepted for 1379.00."), "{}", accepted.text());
    let job_id = portico_core::ids::JobId::new(&job);
    let invoices = app.server.state.db.tenant(&tenant).invoices(&job_id).await.unwrap();
    let made: Vec<(String, i64)> = invoices.iter().filter(|(i, _)| i.number.starts_with("E-")).map(|(i, lines)| (i.number.clone(), i.total(lines))).collect();
    assert_eq!(made, vec![("E-0001".to_string(), 137_900)], "no zero invoice beside a deposit of everything");
}}

story! { async fn an_integration_reads_a_job_s_estimates_and_their_answer(app) {
    let job = demo_job(&app).await;
    let owner = app.owner().await;
    write(&app, &owner, &job, "25").await;
    let (_, draft, _) = crate::api::call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{job}/estimates"), Some(&app.links.api_key), None, None).await;
    send(&app, &owner, &job).await;
    let (dana, tab) = dana_on_estimate(&app).await;
    let tank = option_box(&tab);
    accept(&dana, &tab, &[("full_name", "Dana Whitfield"), ("consent", "on"), (&tank, "on")]).await;

    let (status, listed, _) = crate::api::call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{job}/estimates"), Some(&app.links.api_key), None, None).await;
    let (unknown, _, _) = crate::api::call(&app, reqwest::Method::GET, "/api/v1/jobs/not-a-job/estimates", Some(&app.links.api_key), None, None).await;
    let (anonymous, _, _) = crate::api::call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{job}/estimates"), None, None, None).await;

    assert_eq!(draft["data"][0]["status"], "draft", "drafts are the office's, and its integrations': {draft}");
    assert_eq!(status, 200);
    let estimate = &listed["data"][0];
    assert_eq!((estimate["number"].as_str(), estimate["status"].as_str()), (Some("E-0001"), Some("accepted")), "{listed}");
    assert_eq!((estimate["total_minor"].as_i64(), estimate["deposit_minor"].as_i64()), (Some(154_138), Some(38_535)), "{listed}");
    assert_eq!(estimate["decided_by"], "Dana Whitfield");
    assert_eq!(estimate["invoice_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(estimate["lines"][2]["chosen"], true, "the tank was taken: {listed}");
    assert_eq!((unknown, anonymous), (404, 401));
}}
