//! Card payments through Stripe Checkout, against a local stand-in that
//! answers the Checkout Session API as Stripe documents it and sends webhooks
//! signed as Stripe signs them.

use portico_tests::stripe::{now, FakeStripe, WEBHOOK_SECRET};
use portico_tests::{Page, TestApp, Visitor};
use serde_json::Value;

/// Switch the demo business to Stripe.
async fn use_stripe(app: &TestApp) {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).set_payment_provider(portico_core::money::PaymentProvider::Stripe, None).await.unwrap();
}

/// Dana chooses Pay Now and lands on Stripe's (stand-in) page.
async fn dana_at_checkout(app: &TestApp, dana: &Visitor) -> Page {
    let (_, invoice_id) = app.demo_invoice().await;
    let page = dana.get(&app.links.client).await;
    dana.act(&page, "payments", "pay", &format!("pay-{invoice_id}"), &[]).await
}

async fn client_text(app: &TestApp) -> String {
    Visitor::new().get(&app.links.client).await.text()
}

async fn completed_event(stripe: &FakeStripe, event_id: &str, session: &Value) -> String {
    let _ = stripe;
    FakeStripe::event(event_id, "checkout.session.completed", session.clone())
}

story! { async fn pay_now_creates_a_checkout_session_and_a_signed_webhook_marks_it_paid(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    let dana = Visitor::new();

    let at_stripe = dana_at_checkout(&app, &dana).await;

    assert!(at_stripe.body.starts_with("Stripe Checkout stand-in"), "{}", at_stripe.body);
    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session["amount_total"], 61000);
    assert_eq!(session["currency"], "usd");
    assert_eq!(session["customer_email"], "dana.whitfield@example.com");
    assert!(session["success_url"].as_str().unwrap().starts_with(&app.server.base_url));
    let request = &stripe.requests()[0];
    assert_eq!(request.idempotency_key.as_deref(), Some(format!("checkout-{}", session["client_reference_id"].as_str().unwrap()).as_str()));
    assert!(client_text(&app).await.contains("Balance due $610.00"), "nothing is paid before Stripe says so");

    let paid = stripe.complete(session["id"].as_str().unwrap(), true);
    let status = FakeStripe::deliver(&app.server.base_url, &completed_event(&stripe, "evt_paid_1", &paid).await).await;

    assert_eq!(status, 200);
    let text = client_text(&app).await;
    assert!(text.contains("Balance due $0.00") && text.contains("Card payment, received"), "{text}");
    assert_eq!(app.audit_count("payment.succeeded").await, 1);
}}

story! { async fn forged_stale_and_tampered_webhooks_are_refused(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    dana_at_checkout(&app, &Visitor::new()).await;
    let session = stripe.complete(stripe.sessions()[0]["id"].as_str().unwrap(), true);
    let body = FakeStripe::event("evt_forged", "checkout.session.completed", session);
    let url = &app.server.base_url;

    let forged = FakeStripe::deliver_signed(url, &body, &FakeStripe::signature(&body, now(), "whsec_not_ours")).await;
    let stale = FakeStripe::deliver_signed(url, &body, &FakeStripe::signature(&body, now() - 600, WEBHOOK_SECRET)).await;
    let future = FakeStripe::deliver_signed(url, &body, &FakeStripe::signature(&body, now() + 600, WEBHOOK_SECRET)).await;
    let tampered_body = body.replace("\"paid\"", "\"unpaid\"");
    let tampered = FakeStripe::deliver_signed(url, &tampered_body, &FakeStripe::signature(&body, now(), WEBHOOK_SECRET)).await;
    let unsigned = FakeStripe::deliver_signed(url, &body, "").await;

    assert_eq!([forged, stale, future, tampered, unsigned], [400; 5]);
    assert!(client_text(&app).await.contains("Balance due $610.00"), "nothing changed");
    assert_eq!(app.audit_count("payment.succeeded").await, 0);
    // The genuine delivery still works afterwards: refused ones were not recorded as seen.
    assert_eq!(FakeStripe::deliver(url, &body).await, 200);
    assert!(client_text(&app).await.contains("Balance due $0.00"));
}}

story! { async fn a_replayed_event_is_processed_once(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    dana_at_checkout(&app, &Visitor::new()).await;
    let session = stripe.complete(stripe.sessions()[0]["id"].as_str().unwrap(), true);
    let body = FakeStripe::event("evt_twice", "checkout.session.completed", session);

    let first = FakeStripe::deliver(&app.server.base_url, &body).await;
    let second = FakeStripe::deliver(&app.server.base_url, &body).await;

    assert_eq!((first, second), (200, 200));
    assert_eq!(app.audit_count("payment.succeeded").await, 1);
    let tenant = app.demo_tenant_id().await;
    let (_, invoice_id) = app.demo_invoice().await;
    let payments = app.server.state.db.tenant(&tenant).invoice_payments(&invoice_id).await.unwrap();
    assert_eq!(payments.iter().filter(|p| p.payment.status == "succeeded").count(), 1);
    assert_eq!(payments[0].payment.captured_minor, 61000);
}}

story! { async fn late_and_out_of_order_events_cannot_undo_newer_news(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    dana_at_checkout(&app, &Visitor::new()).await;
    let session = stripe.complete(stripe.sessions()[0]["id"].as_str().unwrap(), true);
    let url = &app.server.base_url;

    // The refund's event overtakes the completion's.
    let refund = FakeStripe::event("evt_refund", "charge.refunded", FakeStripe::refunded_charge(&session, 61000));
    assert_eq!(FakeStripe::deliver(url, &refund).await, 200);
    assert!(client_text(&app).await.contains("Refunded"));
    assert_eq!(FakeStripe::deliver(url, &FakeStripe::event("evt_done", "checkout.session.completed", session.clone())).await, 200);
    let mut expired = session.clone();
    expired["status"] = "expired".into();
    assert_eq!(FakeStripe::deliver(url, &FakeStripe::event("evt_expired", "checkout.session.expired", expired)).await, 200);

    let text = client_text(&app).await;
    assert!(text.contains("Card payment, refunded"), "the refund stands: {text}");
    assert!(text.contains("Balance due $610.00"));
}}

story! { async fn a_bank_payment_processes_then_clears(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    dana_at_checkout(&app, &Visitor::new()).await;
    let id = stripe.sessions()[0]["id"].as_str().unwrap().to_string();
    let pending = stripe.complete(&id, false);
    let url = &app.server.base_url;

    assert_eq!(FakeStripe::deliver(url, &FakeStripe::event("evt_pending", "checkout.session.completed", pending)).await, 200);
    let text = client_text(&app).await;
    assert!(text.contains("Processing") && text.contains("A payment is being processed"), "{text}");

    let cleared = stripe.complete(&id, true);
    assert_eq!(FakeStripe::deliver(url, &FakeStripe::event("evt_cleared", "checkout.session.async_payment_succeeded", cleared)).await, 200);
    assert!(client_text(&app).await.contains("Balance due $0.00"));
}}

story! { async fn returning_from_stripe_without_a_webhook_asks_stripe(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    let dana = Visitor::new();
    dana_at_checkout(&app, &dana).await;
    let session = stripe.complete(stripe.sessions()[0]["id"].as_str().unwrap(), true);

    // Stripe sends her back; no webhook ever arrives.
    let back = dana.get(session["success_url"].as_str().unwrap()).await;

    let text = back.text();
    assert!(text.contains("Payment received. Thank you!"), "{text}");
    assert!(text.contains("Balance due $0.00"));
    assert!(stripe.requests().iter().any(|r| r.method == "GET" && r.path.ends_with(session["id"].as_str().unwrap())));
}}

story! { async fn a_double_click_never_makes_two_stripe_sessions(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    let dana = Visitor::new();

    let (_, invoice_id) = app.demo_invoice().await;
    let page = dana.get(&app.links.client).await;
    let action = format!("pay-{invoice_id}");

    // Two clicks from the same page, at once.
    let (first, second) = tokio::join!(
        dana.act(&page, "payments", "pay", &action, &[]),
        dana.act(&page, "payments", "pay", &action, &[]),
    );

    assert_eq!(first.url, second.url, "{} {}", first.status, first.text());
    assert_eq!(stripe.sessions().len(), 1, "{:?}", stripe.requests());
    let keys: std::collections::BTreeSet<_> = stripe.requests().iter().filter(|r| r.method == "POST").map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 1, "every create carried the same idempotency key");
}}

story! { async fn a_changed_balance_replaces_the_open_checkout(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    use_stripe(&app).await;
    let dana = Visitor::new();
    dana_at_checkout(&app, &dana).await;
    let owner = app.owner().await;
    let (job_id, invoice_id) = app.demo_invoice().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job_id}"))).await.hidden("csrf").unwrap();
    let recorded = [("csrf", csrf.as_str()), ("invoice_id", invoice_id.as_str()), ("method", "cash"), ("amount", "100")];
    owner.post(&app.url(&format!("/staff/jobs/{job_id}/payments")), &recorded).await;
    let tenant = app.demo_tenant_id().await;
    let cash = app.server.state.db.tenant(&tenant).invoice_payments(&invoice_id).await.unwrap().into_iter().find(|p| p.payment.method == "cash").unwrap().payment;
    owner.post(&app.url(&format!("/staff/jobs/{job_id}/payments/{}/approve", cash.id)), &[("csrf", &csrf)]).await;

    dana_at_checkout(&app, &dana).await;

    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 2);
    assert_eq!(stripe.session(sessions[0]["id"].as_str().unwrap())["status"], "expired", "the old amount can no longer be paid");
    assert_eq!(sessions[1]["amount_total"], 51000);
}}

story! { async fn the_owner_connects_a_stripe_account_on_the_console(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    let _ = &stripe;
    let owner = app.owner().await;
    let page = owner.get(&app.url("/staff/payments")).await;
    let csrf = page.hidden("csrf").unwrap();

    let malformed = owner.post(&app.url("/staff/payments"), &[("csrf", &csrf), ("provider", "stripe"), ("stripe_account", "acct_<b>")]).await;
    let saved = owner.post(&app.url("/staff/payments"), &[("csrf", &csrf), ("provider", "stripe"), ("stripe_account", "acct_1PorticoTest")]).await;

    assert_eq!(malformed.status, 422);
    assert!(malformed.text().contains("is not a Stripe account id"), "{}", malformed.text());
    assert!(saved.text().contains("Saved."), "{}", saved.text());
    let tenant = app.server.state.db.tenant(&app.demo_tenant_id().await).business().await.unwrap().unwrap();
    assert_eq!((tenant.payment_provider.as_str(), tenant.stripe_account.as_deref()), ("stripe", Some("acct_1PorticoTest")));
}}
