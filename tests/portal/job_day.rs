//! The job's day: the office moves a job on the console or through the API
//! (on the way, started, finished, or cancelled), each step kept with who and
//! when; the client's portal shows it and the client is e-mailed, as they
//! chose; webhooks hear of each step; a step out of order is refused.

use crate::api::{call, create_key};
use portico_tests::webhooks::{configure, Receiver};
use portico_tests::{Page, TestApp, Visitor};
use reqwest::Method;
use serde_json::json;

const DANA: &str = "dana.whitfield@example.com";

/// Press the button that moves the demo job to `stage` on its console page.
async fn move_on_console(app: &TestApp, staff: &Visitor, stage: &str) -> Page {
    let (job, _) = app.demo_invoice().await;
    let page = staff.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    staff.post(&app.url(&format!("/staff/jobs/{job}/stage")), &[("csrf", &csrf), ("stage", stage)]).await
}

async fn templates_to(app: &TestApp, address: &str) -> Vec<String> {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).outbox_to(address).await.unwrap().into_iter().map(|m| m.template).collect()
}

story! { async fn the_office_moves_the_job_through_its_day_and_the_client_is_told(app) {
    let owner = app.owner().await;
    let (job, _) = app.demo_invoice().await;
    let dana = Visitor::new();
    let before = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;

    let on_the_way = move_on_console(&app, &owner, "on-the-way").await;
    let order_details = format!("{}?tab=order-details", dana.get(&app.links.client).await.url);
    let portal_on_the_way = dana.get(&order_details).await;
    let started = move_on_console(&app, &owner, "started").await;
    let finished = move_on_console(&app, &owner, "finished").await;
    let too_late = move_on_console(&app, &owner, "cancelled").await;

    assert!(before.text().contains("Today Scheduled"), "{}", before.text());
    assert!(before.text().contains("On the way") && before.text().contains("Cancel the job"), "the steps it may take: {}", before.text());
    assert!(on_the_way.text().contains("The job is marked on the way."), "{}", on_the_way.text());
    assert!(on_the_way.text().contains("Today On the way since") && on_the_way.text().contains("Morgan Reyes"), "who and when: {}", on_the_way.text());
    assert!(portal_on_the_way.text().contains("Order details On the way"), "the client's portal shows it: {}", portal_on_the_way.text());
    assert!(started.text().contains("The job is marked started."));
    assert!(finished.text().contains("The job is marked finished."));
    assert!(too_late.text().contains("The job is finished; it cannot be marked cancelled from there."), "{}", too_late.text());
    assert!(dana.get(&order_details).await.text().contains("Order details Finished"));

    let told = templates_to(&app, DANA).await;
    assert_eq!(told.iter().filter(|t| *t == "job-on-the-way").count(), 1, "{told:?}");
    assert_eq!(told.iter().filter(|t| *t == "job-finished").count(), 1, "{told:?}");
    let tenant = app.demo_tenant_id().await;
    let finished_mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(finished_mail.subject, "Keystone Home Inspections: the work at 1428 Elm Street, Springfield, IL 62704 is finished");
    let on_the_way_mail = app.server.state.db.tenant(&tenant).outbox_to(DANA).await.unwrap().into_iter().find(|m| m.template == "job-on-the-way").unwrap();
    assert!(on_the_way_mail.data_json.contains("\"crew\":\"Alex Chen\""), "the visit's lead: {}", on_the_way_mail.data_json);
    assert!(templates_to(&app, "sam.ortiz@realty.example").await.iter().all(|t| !t.starts_with("job-")), "agents are not told of the crew's day");
    for step in ["job.on-the-way", "job.started", "job.finished"] {
        assert_eq!(app.audit_count(step).await, 1, "{step}");
    }
    assert_eq!(app.audit_count("job.cancelled").await, 0);
}}

story! { async fn a_client_who_stopped_these_e_mails_is_not_told(app) {
    let owner = app.owner().await;
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    let account = dana.get(&app.url("/account/notifications")).await;
    let csrf = account.hidden("csrf").unwrap();
    dana.post(&app.url("/account/notifications"), &[("csrf", &csrf), ("on", "report-published"), ("on", "job-finished")]).await;

    move_on_console(&app, &owner, "on-the-way").await;
    move_on_console(&app, &owner, "started").await;
    move_on_console(&app, &owner, "finished").await;

    let told = templates_to(&app, DANA).await;
    assert!(!told.contains(&"job-on-the-way".to_string()), "{told:?}");
    assert!(told.contains(&"job-finished".to_string()), "{told:?}");
}}

story! { async fn employees_see_the_day_but_do_not_move_it(app) {
    app.add_staff("crew@keystone-inspections.example", "Eli Employee", "employee", "employee-password-1").await;
    let employee = app.staff("crew@keystone-inspections.example", "employee-password-1").await;
    let (job, _) = app.demo_invoice().await;
    let page = employee.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();

    let refused = employee.post(&app.url(&format!("/staff/jobs/{job}/stage")), &[("csrf", &csrf), ("stage", "on-the-way")]).await;

    assert!(page.text().contains("Today Scheduled"));
    assert!(page.action_containing("/stage").is_none(), "no buttons for them");
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(app.audit_count("job.on-the-way").await, 0);
}}

story! { async fn an_integration_moves_a_job_and_webhooks_hear_of_each_step(app, receiver: Receiver)
    setup Receiver::start();
    configure |config: &mut portico_web::app::Config, _: &Receiver| configure(config, 10);
{
    let owner = app.owner().await;
    let page = owner.get(&app.url("/staff/webhooks")).await;
    let csrf = page.hidden("csrf").unwrap();
    owner.post(&app.url("/staff/webhooks"), &[("csrf", csrf.as_str()), ("url", receiver.url.as_str()), ("description", "Dispatch"), ("event", "job.stage-changed")]).await;
    let key = create_key(&app, &owner, "Dispatch", &["jobs:read", "jobs:write"]).await;
    let (job, _) = app.demo_invoice().await;
    let path = format!("/api/v1/jobs/{job}/stage");

    let (early, refused, _) = call(&app, Method::POST, &path, Some(&key), Some(json!({ "stage": "finished" })), None).await;
    let (unknown, unknown_body, _) = call(&app, Method::POST, &path, Some(&key), Some(json!({ "stage": "teleported" })), None).await;
    let (started, body, _) = call(&app, Method::POST, &path, Some(&key), Some(json!({ "stage": "started" })), None).await;
    let (missing, _, _) = call(&app, Method::POST, "/api/v1/jobs/no-such-job/stage", Some(&key), Some(json!({ "stage": "started" })), None).await;
    let received = receiver.wait_for(1).await;

    assert_eq!(early, 422);
    assert_eq!(refused["error"]["details"][0], "The job is scheduled; it cannot be marked finished from there.", "{refused}");
    assert_eq!(unknown, 422);
    assert!(unknown_body.to_string().contains("“teleported” is not a stage"), "{unknown_body}");
    assert_eq!(started, 200, "{body}");
    assert_eq!(body["stage"], "started");
    assert_eq!(body["status"], "in-progress", "the coarse status follows");
    assert_eq!(missing, 404);
    assert_eq!(received.len(), 1, "one step, one event");
    assert_eq!(received[0].kind(), "job.stage-changed");
    assert_eq!(received[0].json()["data"]["job"]["stage"], "started");
}}

story! { async fn notes_are_for_the_team_or_shown_to_the_clients(app) {
    let owner = app.owner().await;
    let (job, _) = app.demo_invoice().await;
    let page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    let notes = app.url(&format!("/staff/jobs/{job}/notes"));

    let internal = owner.post(&notes, &[("csrf", &csrf), ("body", "Gate code 4411; dog in the yard.")]).await;
    let shown = owner.post(&notes, &[("csrf", &csrf), ("body", "Please leave the attic hatch clear.\nThank you!"), ("for_clients", "on")]).await;
    let empty = owner.post(&notes, &[("csrf", &csrf), ("body", "   ")]).await;
    let dana = Visitor::new();
    let client_view = dana.get(&format!("{}?tab=order-details", dana.get(&app.links.client).await.url)).await;
    let sam = Visitor::new();
    let agent_view = sam.get(&format!("{}?tab=order-details", sam.get(&app.links.buyer_agent).await.url)).await;

    assert!(internal.text().contains("The note is added, for your team only."), "{}", internal.text());
    assert!(shown.text().contains("The note is added; the clients see it on their portal."), "{}", shown.text());
    assert!(empty.text().contains("Write the note first."), "{}", empty.text());
    let console = shown.text();
    assert!(console.contains("Gate code 4411; dog in the yard.") && console.contains("Internal"), "{console}");
    assert!(console.contains("Please leave the attic hatch clear.") && console.contains("Shown to the clients"), "{console}");
    assert!(console.find("Please leave the attic hatch").unwrap() < console.find("Gate code").unwrap(), "newest first");
    let text = client_view.text();
    assert!(text.contains("Notes from the office Please leave the attic hatch clear. Thank you! By Morgan Reyes"), "{text}");
    assert!(!text.contains("Gate code"), "internal notes never reach the client: {text}");
    assert!(!agent_view.text().contains("attic hatch"), "nor agents: {}", agent_view.text());
    assert_eq!(app.audit_count("job.note-added").await, 2);
}}

/// Put `member` on the demo job's crew (`add`) or take them off (`remove`) from its console page.
async fn change_crew(app: &TestApp, staff: &Visitor, member: &str, change: &str) -> Page {
    let (job, _) = app.demo_invoice().await;
    let page = staff.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    staff.post(&app.url(&format!("/staff/jobs/{job}/crew")), &[("csrf", &csrf), ("member", member), ("change", change)]).await
}

story! { async fn the_office_puts_several_people_on_the_visit_and_the_client_sees_who_comes(app) {
    let owner = app.owner().await;
    let pat = app.add_staff("pat@keystone.example", "Pat Lee", "employee", "correct horse battery").await;
    let sam = app.add_staff("sam@keystone.example", "Sam Ortiz", "employee", "correct horse battery").await;
    let dana = Visitor::new();
    let order_details = format!("{}?tab=order-details", dana.get(&app.links.client).await.url);

    let first = change_crew(&app, &owner, &pat, "add").await;
    let twice = change_crew(&app, &owner, &pat, "add").await;
    change_crew(&app, &owner, &sam, "add").await;
    let both = dana.get(&order_details).await;
    let off = change_crew(&app, &owner, &pat, "remove").await;
    let one = dana.get(&order_details).await;

    assert!(first.text().contains("Pat Lee is on the crew."), "{}", first.text());
    assert!(twice.text().contains("Pat Lee was on the crew already."), "{}", twice.text());
    assert!(both.text().contains("Your crew Pat Lee and Sam Ortiz"), "the client's order details name the crew: {}", both.text());
    assert!(off.text().contains("Pat Lee is off the crew.") && !off.text().contains("Take Pat Lee off"), "{}", off.text());
    assert!(one.text().contains("Your crew Sam Ortiz") && !one.text().contains("Pat Lee"), "{}", one.text());
    assert_eq!((app.audit_count("job.crew-assigned").await, app.audit_count("job.crew-unassigned").await), (2, 1));

    // Someone who leaves the team leaves the crews they were on.
    let team = owner.get(&app.url("/staff/team")).await;
    let removed = owner.post(&app.url(&format!("/staff/team/{sam}/remove")), &[("csrf", &team.hidden("csrf").unwrap())]).await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert!(!dana.get(&order_details).await.text().contains("Your crew"), "nobody left on the crew");
}}

story! { async fn only_the_office_changes_a_crew_and_only_with_its_own_staff(app) {
    let pat = app.add_staff("pat@keystone.example", "Pat Lee", "employee", "correct horse battery").await;
    let employee = app.staff("pat@keystone.example", "correct horse battery").await;
    let owner = app.owner().await;

    let by_employee = change_crew(&app, &employee, &pat, "add").await;
    let stranger = change_crew(&app, &owner, "not-a-member", "add").await;
    let nonsense = change_crew(&app, &owner, &pat, "promote").await;

    assert_eq!((by_employee.status, stranger.status, nonsense.status), (403, 404, 400));
    assert_eq!(app.audit_count("job.crew-assigned").await, 0);
}}
