//! Outgoing webhooks: an owner registers an endpoint of another system and
//! picks its events; Portico signs and delivers each, retries an endpoint
//! that fails, gives up after the last attempt and delivers again on request;
//! endpoints inside the server's network are refused; only owners manage them.

use portico_tests::webhooks::{configure, Receiver};
use portico_tests::{Page, TestApp, Visitor};

/// Register `url` for `events` on the console; returns the page shown.
async fn register(app: &TestApp, owner: &Visitor, url: &str, events: &[&str]) -> Page {
    let page = owner.get(&app.url("/staff/webhooks")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str()), ("url", url), ("description", "Our CRM")];
    form.extend(events.iter().map(|e| ("event", *e)));
    owner.post(&app.url("/staff/webhooks"), &form).await
}

/// The signing secret a page shows once.
fn secret_shown(page: &Page) -> String {
    let start = page.body.find("value=\"whsec_").expect("the secret is shown once") + "value=\"".len();
    page.body[start..].chars().take_while(|c| *c != '"').collect()
}

async fn endpoint_path(app: &TestApp, owner: &Visitor) -> String {
    owner.get(&app.url("/staff/webhooks")).await.href_containing("/staff/webhooks/").expect("an endpoint listed")
}

/// Post one of the endpoint page's buttons.
async fn press(app: &TestApp, owner: &Visitor, action: &str) -> Page {
    let page = owner.get(&app.url(&endpoint_path(app, owner).await)).await;
    let csrf = page.csrf_for(action).unwrap_or_else(|| panic!("a form posting to {action}"));
    owner.post(&app.url(action), &[("csrf", &csrf)]).await
}

async fn new_job(app: &TestApp, staff: &Visitor, reference: &str) -> Page {
    let page = staff.get(&app.url("/staff/jobs/new")).await;
    let csrf = page.hidden("csrf").unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("reference", reference),
        ("line1", "77 Orchard Lane"),
        ("city", "Springfield"),
        ("region", "IL"),
        ("appointment", "2026-12-01T09:30"),
        ("duration_hours", "2"),
        ("services", "Full home inspection | 450.00"),
        ("client_name", "Pat Doe"),
        ("client_email", "pat.doe@example.com"),
    ];
    staff.post(&app.url("/staff/jobs/new"), &form).await
}

story! { async fn an_owner_registers_an_endpoint_and_it_receives_signed_job_events(app, receiver: Receiver)
    setup Receiver::start();
    configure |config: &mut portico_web::app::Config, _: &Receiver| configure(config, 10);
{
    let owner = app.owner().await;

    let registered = register(&app, &owner, &receiver.url, &["job.created", "job.updated"]).await;
    let secret = secret_shown(&registered);
    let created = new_job(&app, &owner, "INS-7001").await;
    let job_page = created.url.clone();
    let csrf = created.csrf_for(&format!("{}/people", job_page.trim_start_matches(&app.url("")))).expect("the add-person form");
    owner.post(&format!("{job_page}/people"), &[("csrf", &csrf), ("name", "Lee Lender"), ("email", ""), ("role", "other")]).await;
    let received = receiver.wait_for(2).await;

    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    assert!(!owner.get(&app.url("/staff/webhooks")).await.body.contains(&secret), "the secret is shown once");
    let (created_event, updated_event) = (&received[0], &received[1]);
    assert_eq!(created_event.kind(), "job.created");
    assert!(created_event.verify(&secret), "signed with the endpoint's secret: {}", created_event.header("portico-signature"));
    assert!(!created_event.verify("whsec_someone-else"), "a wrong secret does not verify");
    let body = created_event.json();
    assert_eq!(body["type"], "job.created");
    assert_eq!(body["id"].as_str().unwrap(), created_event.header("portico-event-id"));
    assert_eq!(body["data"]["job"]["reference"], "INS-7001");
    assert_eq!(body["data"]["job"]["property"]["line1"], "77 Orchard Lane");
    assert_eq!(body["data"]["job"]["people"][0]["name"], "Pat Doe");
    assert_eq!(created_event.header("content-type"), "application/json");
    assert_eq!(updated_event.kind(), "job.updated");
    assert!(updated_event.verify(&secret));
    let people = updated_event.json()["data"]["job"]["people"].as_array().unwrap().len();
    assert_eq!(people, 2, "the update carries the job as it is now");
    let deliveries = owner.get(&app.url(&endpoint_path(&app, &owner).await)).await.text();
    assert_eq!(deliveries.matches("Delivered").count(), 2, "{deliveries}");
    assert!(deliveries.contains("HTTP 200"));
    assert_eq!(app.audit_count("webhook.endpoint-created").await, 1);
}}

story! { async fn a_failing_endpoint_is_retried_given_up_on_and_delivered_again_on_request(app, receiver: Receiver)
    setup Receiver::start();
    configure |config: &mut portico_web::app::Config, _: &Receiver| configure(config, 2);
{
    let owner = app.owner().await;
    register(&app, &owner, &receiver.url, &["job.created"]).await;
    receiver.answer_next(&[500, 503]);
    let path = endpoint_path(&app, &owner).await;

    press(&app, &owner, &format!("{path}/test")).await;
    let attempts = receiver.wait_for(2).await;
    let mut page = owner.get(&app.url(&path)).await;
    for _ in 0..50 {
        if page.text().contains("Gave up") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = owner.get(&app.url(&path)).await;
    }
    let gave_up = page.text();
    let redeliver = page.action_containing("/redeliver").expect("a Deliver again button");
    let csrf = page.csrf_for(&redeliver).unwrap();
    owner.post(&app.url(&redeliver), &[("csrf", &csrf)]).await;
    let all = receiver.wait_for(3).await;

    assert_eq!(attempts[0].kind(), "ping");
    assert_eq!(attempts[0].header("portico-event-id"), attempts[1].header("portico-event-id"), "a retry is the same event");
    assert!(gave_up.contains("Gave up") && gave_up.contains("HTTP 503") && gave_up.contains("the endpoint answered 503"), "{gave_up}");
    assert_eq!(all[2].header("portico-event-id"), attempts[0].header("portico-event-id"), "delivered again with the same event id");
    let mut delivered = owner.get(&app.url(&path)).await.text();
    for _ in 0..50 {
        if delivered.contains("Delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        delivered = owner.get(&app.url(&path)).await.text();
    }
    assert!(delivered.contains("Delivered"), "{delivered}");
}}

story! { async fn agreement_and_payment_events_reach_only_the_endpoints_that_asked_for_them(app, receiver: Receiver)
    setup Receiver::start();
    configure |config: &mut portico_web::app::Config, _: &Receiver| configure(config, 10);
{
    let owner = app.owner().await;
    let other = Receiver::start().await;
    register(&app, &owner, &receiver.url, &["agreement.signed", "payment.succeeded", "invoice.paid"]).await;
    register(&app, &owner, &other.url, &["job.created"]).await;
    let dana = Visitor::new();

    let page = dana.get(&app.links.client).await;
    dana.sign(&page, "Dana Whitfield").await;
    app.pay_demo_invoice(&dana).await;
    let received = receiver.wait_for(3).await;

    let kinds: Vec<String> = received.iter().map(|d| d.kind()).collect();
    assert_eq!(kinds, ["agreement.signed", "payment.succeeded", "invoice.paid"]);
    let signed = received[0].json();
    assert_eq!(signed["data"]["signature"]["signer_name"], "Dana Whitfield");
    assert_eq!(signed["data"]["signature"]["role"], "client");
    assert!(signed["data"]["agreement"]["title"].as_str().unwrap().contains("Agreement"), "{signed}");
    let payment = received[1].json();
    assert_eq!(payment["data"]["payment"]["status"], "succeeded");
    assert_eq!(payment["data"]["payment"]["currency"], "USD");
    assert!(payment["data"]["payment"]["amount_minor"].as_i64().unwrap() > 0);
    let (_, invoice_id) = app.demo_invoice().await;
    assert_eq!(received[2].json()["data"]["invoice"]["id"], invoice_id.as_str());
    assert!(other.received().is_empty(), "the job.created endpoint was told nothing");
}}

story! { async fn endpoints_inside_the_network_are_refused_and_only_owners_manage_them(app) {
    let owner = app.owner().await;
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;

    let plain = register(&app, &owner, "http://hooks.example.com/portico", &["job.created"]).await;
    let metadata = register(&app, &owner, "https://169.254.169.254/latest/meta-data", &["job.created"]).await;
    let loopback = register(&app, &owner, "https://localhost:8443/hooks", &[]).await;
    let office_page = office.get(&app.url("/staff/webhooks")).await;
    let owner_csrf = owner.get(&app.url("/staff/webhooks")).await.hidden("csrf").unwrap();
    let office_post = office.post(&app.url("/staff/webhooks"), &[("csrf", &owner_csrf), ("url", "https://hooks.example.com/x"), ("event", "job.created")]).await;

    assert_eq!(plain.status, 422);
    assert!(plain.text().contains("Use an https:// URL"), "{}", plain.text());
    assert!(plain.body.contains("value=\"http://hooks.example.com/portico\""), "what was typed is kept");
    assert_eq!(metadata.status, 422);
    assert!(metadata.text().contains("169.254.169.254 is not a public address"), "{}", metadata.text());
    let loopback = loopback.text();
    assert!(loopback.contains("localhost is not a public address") && loopback.contains("Tick at least one event"), "{loopback}");
    assert_eq!(office_page.status, 403);
    assert_eq!(office_post.status, 403);
    let tenant = app.demo_tenant_id().await;
    assert!(app.server.state.db.tenant(&tenant).webhook_endpoints().await.unwrap().is_empty(), "nothing registered");
}}

story! { async fn an_endpoint_turned_off_or_of_another_business_is_sent_nothing(app, receiver: Receiver)
    setup Receiver::start();
    configure |config: &mut portico_web::app::Config, _: &Receiver| configure(config, 10);
{
    let owner = app.owner().await;
    register(&app, &owner, &receiver.url, &["job.created"]).await;
    let path = endpoint_path(&app, &owner).await;
    let db = &app.server.state.db;
    let other_business = {
        app.other_tenant_client_link().await;
        let keystone = app.demo_tenant_id().await;
        db.tenant_ids().await.unwrap().into_iter().find(|id| *id != keystone).expect("a second business")
    };

    let (_, queued_elsewhere) = portico_services::webhooks::raise(db, &other_business, "job.created", serde_json::json!({}), None).await.unwrap();
    press(&app, &owner, &format!("{path}/toggle")).await;
    new_job(&app, &owner, "INS-7002").await;
    let off = owner.get(&app.url(&path)).await.text();
    press(&app, &owner, &format!("{path}/toggle")).await;
    new_job(&app, &owner, "INS-7003").await;
    let received = receiver.wait_for(1).await;

    assert_eq!(queued_elsewhere, 0, "another business's event is queued for none of this one's endpoints");
    assert!(off.contains("Off: no events are sent to it") && off.contains("Nothing sent to this endpoint yet"), "{off}");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["data"]["job"]["reference"], "INS-7003");
    assert_eq!(app.audit_count("webhook.endpoint-disabled").await, 1);
    assert_eq!(app.audit_count("webhook.endpoint-enabled").await, 1);
}}
