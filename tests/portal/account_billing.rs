//! Invoices and payments across a client's jobs, on their account hub: the
//! invoices of every job ticked and paid in one checkout (with the business's
//! card fee, shown before paying), or reported as paid another way and
//! counted once the office approves; corrections asked for in a
//! conversation; transactions with receipts.

use crate::account_hub::signed_in_by_email;
use portico_core::ids::{JobId, TenantId};
use portico_core::model::Role;
use portico_core::money::{CardFee, InvoiceStatus, PaymentProvider};
use portico_data::NewInvoice;
use portico_tests::stripe::FakeStripe;
use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

/// Dana's two other jobs with the demo business, each with an invoice due:
/// 2031 (120.00 and 10.00 tax) and 2032 (80.00). Returns every invoice of
/// Dana's, the demo's 1042 (610.00) first.
pub(crate) async fn three_invoices(app: &TestApp) -> Vec<String> {
    let db = &app.server.state.db;
    let tenant = app.demo_tenant_id().await;
    let (_, demo_invoice) = app.demo_invoice().await;
    let mut invoices = vec![demo_invoice];
    for (street, reference, number, price, tax) in [("77 Oak Avenue", "SVC-2031", "2031", 12_000, 1_000), ("9 Birch Lane", "SVC-2032", "2032", 8_000, 0)] {
        let job = dana_job(app, &tenant, street, reference).await;
        let lines = [("service", "Gutter cleaning", 1, price)];
        let invoice = NewInvoice { number, status: InvoiceStatus::Due, tax_minor: tax, due_at: None, lines: &lines };
        invoices.push(db.tenant(&tenant).create_invoice(&job, &invoice).await.unwrap());
    }
    invoices
}

/// A job of Dana's at `street` (a contact record of its own, same address).
pub(crate) async fn dana_job(app: &TestApp, tenant: &TenantId, street: &str, reference: &str) -> JobId {
    let db = &app.server.state.db;
    let property = db.tenant(tenant).create_property(street, "Springfield", "IL", "62701").await.unwrap();
    let job = db.tenant(tenant).create_job(&property, reference).await.unwrap();
    let contact = db.tenant(tenant).create_contact("Dana Whitfield", Some(DANA), None).await.unwrap();
    let token = portico_core::tokens::hash_token(&portico_core::tokens::new_token());
    db.tenant(tenant).add_job_contact(&job, &contact, Role::Client, &token, None).await.unwrap();
    job
}

async fn invoices_tab(app: &TestApp, dana: &Visitor) -> Page {
    dana.get(&app.url("/account?tab=invoices")).await
}

/// Tick `invoices` on the hub and choose `action`, with `fields` besides.
async fn on_the_hub(app: &TestApp, dana: &Visitor, invoices: &[String], action: &str, fields: &[(&str, &str)]) -> Page {
    let page = invoices_tab(app, dana).await;
    let ticks: Vec<String> = invoices.iter().map(|id| format!("invoice-{id}")).collect();
    // As the card's form sends it: its tab, the ticks, the other inputs.
    let mut form: Vec<(&str, &str)> = vec![("_portico_tab", "Invoices")];
    form.extend(ticks.iter().map(|tick| (tick.as_str(), "on")));
    form.extend_from_slice(fields);
    dana.act_at(&page, &app.url("/account/actions"), "payments", "invoices", action, &form).await
}

/// The job an invoice is on. (The demo's job is not the newest once a
/// story adds jobs: they may share its second.)
pub(crate) async fn job_of(app: &TestApp, invoice_id: &str) -> JobId {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).invoice_totals(invoice_id).await.unwrap().unwrap().job_id
}

pub(crate) async fn status_of(app: &TestApp, invoice_id: &str) -> (InvoiceStatus, i64) {
    let tenant = app.demo_tenant_id().await;
    let invoice = app.server.state.db.tenant(&tenant).invoice_totals(invoice_id).await.unwrap().unwrap();
    (invoice.status, invoice.paid)
}

async fn set_card_fee(app: &TestApp, basis_points: i64, fixed_minor: i64) {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).set_card_fee(CardFee { basis_points, fixed_minor }).await.unwrap();
}

story! { async fn three_invoices_of_three_jobs_are_paid_in_one_checkout_and_each_settles_once(app, stripe: FakeStripe)
    setup FakeStripe::start();
    configure |config: &mut portico_web::app::Config, stripe: &FakeStripe| config.stripe = Some(stripe.config());
{
    let invoices = three_invoices(&app).await;
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).set_payment_provider(PaymentProvider::Stripe, None).await.unwrap();
    set_card_fee(&app, 290, 30).await;
    let (dana, _) = signed_in_by_email(&app).await;

    let hub = invoices_tab(&app, &dana).await.text();
    let at_stripe = on_the_hub(&app, &dana, &invoices, "pay-selected", &[]).await;
    let again = on_the_hub(&app, &dana, &invoices, "pay-selected", &[]).await;

    // 610.00 + 130.00 + 80.00 = 820.00; 2.9 % of it is 23.78, and 0.30.
    assert!(hub.contains("Due across your jobs $820.00") && hub.contains("Card fee on everything due, if you pay by card $24.08"), "shown before paying: {hub}");
    assert!(hub.contains("Paying everything due by card charges $844.08"), "{hub}");
    assert!(at_stripe.body.starts_with("Stripe Checkout stand-in"), "{}", at_stripe.body);
    assert_eq!(again.url, at_stripe.url, "a second click continues the same checkout");
    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 1, "one checkout for the three");
    assert_eq!(sessions[0]["amount_total"], 84_408);

    let paid = stripe.complete(sessions[0]["id"].as_str().unwrap(), true);
    let completed = FakeStripe::event("evt_three", "checkout.session.completed", paid.clone());
    let mut expired = paid.clone();
    expired["status"] = "expired".into();
    let url = &app.server.base_url;
    let deliveries = [
        FakeStripe::deliver(url, &completed).await,
        FakeStripe::deliver(url, &completed).await,
        FakeStripe::deliver(url, &FakeStripe::event("evt_late_expiry", "checkout.session.expired", expired)).await,
    ];

    assert_eq!(deliveries, [200; 3]);
    assert_eq!(app.audit_count("payment.succeeded").await, 1, "applied once");
    for (invoice, total) in invoices.iter().zip([61_000, 13_000, 8_000]) {
        assert_eq!(status_of(&app, invoice).await, (InvoiceStatus::Paid, total), "each invoice exactly its balance");
        let shares = app.server.state.db.tenant(&tenant).invoice_payments(invoice).await.unwrap();
        assert_eq!(shares.iter().filter(|share| share.payment.status == "succeeded").count(), 1);
    }
    let transactions = dana.get(&app.url("/account?tab=transactions")).await;
    let text = transactions.text();
    assert!(text.contains("Card payment for invoices 1042, 2031 and 2032: Completed $844.08"), "{text}");
    assert!(text.contains("Card fee included $24.08"), "{text}");
    let receipt = dana.get(&app.url(&transactions.href_containing("/receipt").expect("a receipt"))).await;
    assert!(receipt.body.contains("Invoice 2031: $130.00") && receipt.body.contains("Card fee: $24.08"), "{}", receipt.body);
    assert!(invoices_tab(&app, &dana).await.text().contains("All paid"));
}}

story! { async fn paying_from_the_hub_replaces_a_checkout_left_open_on_a_job_page(app) {
    let invoices = three_invoices(&app).await;
    let (dana, _) = signed_in_by_email(&app).await;
    let demo_job = job_of(&app, &invoices[0]).await;
    let job_page = dana.get(&app.url(&format!("/jobs/{demo_job}"))).await;
    let single = dana.act(&job_page, "payments", "pay", &format!("pay-{}", invoices[0]), &[]).await;
    assert!(single.text().contains("Pay invoice 1042"), "the job page's checkout: {} {}", single.url, single.text());

    let several = on_the_hub(&app, &dana, &invoices[..2], "pay-selected", &[]).await;
    let stale = dana.post(&single.url, &[("csrf", &single.hidden("csrf").unwrap()), ("outcome", "pay")]).await;

    assert!(several.text().contains("Pay invoices 1042 and 2031"), "{}", several.text());
    assert!(stale.text().contains("no longer open"), "the job page's checkout was given up: {} {} {}", stale.status, stale.url, stale.text());
    assert_eq!(status_of(&app, &invoices[0]).await.0, InvoiceStatus::Due, "nothing was paid twice");
    let paid = dana.post(&several.url, &[("csrf", &several.hidden("csrf").unwrap()), ("outcome", "pay")]).await;
    assert!(paid.url.ends_with("/account?tab=transactions") && paid.text().contains("Payment received"), "{} {}", paid.url, paid.text());
    assert_eq!(status_of(&app, &invoices[0]).await, (InvoiceStatus::Paid, 61_000));
    assert_eq!(status_of(&app, &invoices[1]).await, (InvoiceStatus::Paid, 13_000));
    assert_eq!(status_of(&app, &invoices[2]).await, (InvoiceStatus::Due, 0), "the one not ticked");
}}

story! { async fn a_payment_made_another_way_counts_only_once_the_office_approves_it(app) {
    let invoices = three_invoices(&app).await;
    let tenant = app.demo_tenant_id().await;
    let (dana, _) = signed_in_by_email(&app).await;

    let no_method = on_the_hub(&app, &dana, &invoices[1..], "paid-elsewhere", &[("method", "bitcoin"), ("reference", "ZL-55102")]).await;
    let nothing_ticked = on_the_hub(&app, &dana, &[], "paid-elsewhere", &[("method", "zelle")]).await;
    let reported = on_the_hub(&app, &dana, &invoices[1..], "paid-elsewhere", &[("method", "zelle"), ("reference", "ZL-55102")]).await;

    assert!(no_method.text().contains("Error: Choose how you paid") && no_method.body.contains("ZL-55102"), "what was typed is kept: {}", no_method.text());
    assert!(nothing_ticked.text().contains("Tick at least one invoice"), "{}", nothing_ticked.text());
    assert!(reported.text().contains("The office confirms your payment once it arrives"), "{}", reported.text());
    for invoice in &invoices[1..] {
        assert_eq!(status_of(&app, invoice).await, (InvoiceStatus::Processing, 0), "it does not count yet");
    }
    let transactions = dana.get(&app.url("/account?tab=transactions")).await.text();
    assert!(transactions.contains("Zelle payment for invoices 2031 and 2032: Awaiting approval (reference ZL-55102) $210.00"), "{transactions}");
    let told = app.last_mail_to(&tenant, &app.links.staff.email).await.expect("the office is told");
    assert!(told.subject.contains("Dana Whitfield says they paid invoices 2031 and 2032 by Zelle"), "{}", told.subject);

    let owner = app.owner().await;
    let payment = app.server.state.db.tenant(&tenant).invoice_payments(&invoices[1]).await.unwrap().remove(0).payment;
    let job = payment.job_id.clone();
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    assert!(staff_job.text().contains("$130.00 (of $210.00 paying several invoices)"), "{}", staff_job.text());
    let csrf = staff_job.hidden("csrf").unwrap();
    owner.post(&app.url(&format!("/staff/jobs/{job}/payments/{}/approve", payment.id)), &[("csrf", &csrf)]).await;

    assert_eq!(status_of(&app, &invoices[1]).await, (InvoiceStatus::Paid, 13_000));
    assert_eq!(status_of(&app, &invoices[2]).await, (InvoiceStatus::Paid, 8_000));
    assert_eq!(status_of(&app, &invoices[0]).await, (InvoiceStatus::Due, 0));
}}

story! { async fn the_card_fee_is_set_by_the_owner_shown_before_paying_and_on_the_receipt(app) {
    let owner = app.owner().await;
    let settings = owner.get(&app.url("/staff/payments")).await;
    let csrf = settings.hidden("csrf").unwrap();
    let url = app.url("/staff/payments");

    let typo = owner.post(&url, &[("csrf", &csrf), ("provider", "test"), ("card_fee_percent", "29"), ("card_fee_fixed", "0.30")]).await;
    let saved = owner.post(&url, &[("csrf", &csrf), ("provider", "test"), ("card_fee_percent", "2.9"), ("card_fee_fixed", "0.30")]).await;

    assert_eq!(typo.status, 422);
    assert!(typo.text().contains("at most 10 %") && typo.body.contains("value=\"29\""), "{}", typo.text());
    assert!(saved.body.contains("value=\"2.9\"") && saved.body.contains("value=\"0.30\""), "{}", saved.text());
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.text();
    // 2.9 % of 610.00 is 17.69, and 0.30.
    assert!(job.contains("Card fee on this invoice, if you pay by card $17.99") && job.contains("Paying this invoice by card charges $627.99"), "{job}");
    let paid = app.pay_demo_invoice(&dana).await;
    assert!(paid.text().contains("Payment received"), "{}", paid.text());
    let (_, invoice) = app.demo_invoice().await;
    assert_eq!(status_of(&app, &invoice).await, (InvoiceStatus::Paid, 61_000), "the fee is not the invoice's");
    let page = dana.get(&app.links.client).await;
    let receipt = dana.get(&app.url(&page.href_containing("/receipt").unwrap())).await;
    assert!(receipt.body.contains("Card fee: $17.99") && receipt.body.contains("Amount received: $627.99"), "{}", receipt.body);
}}

story! { async fn a_correction_is_asked_for_in_a_conversation_about_the_invoice(app) {
    let invoices = three_invoices(&app).await;
    let (dana, _) = signed_in_by_email(&app).await;

    let unsaid = on_the_hub(&app, &dana, &[], "ask-correction", &[("correct_invoice", &invoices[2]), ("correction", " ")]).await;
    let asked = on_the_hub(&app, &dana, &[], "ask-correction", &[("correct_invoice", &invoices[2]), ("correction", "We had two cleanings, not three.")]).await;

    assert!(unsaid.text().contains("Say what needs correcting"), "{}", unsaid.text());
    assert!(asked.url.contains("/messages/"), "on to the thread: {}", asked.url);
    assert!(asked.text().contains("Correction to invoice 2032") && asked.text().contains("We had two cleanings, not three."), "{}", asked.text());
    let inbox = app.owner().await.get(&app.url("/staff/inbox")).await.text();
    assert!(inbox.contains("Correction to invoice 2032"), "the office has it: {inbox}");
}}

story! { async fn the_hub_lists_only_the_viewers_own_invoices_and_pays_only_those(app) {
    let invoices = three_invoices(&app).await;
    let tenant = app.demo_tenant_id().await;
    let sam_job = {
        let db = &app.server.state.db;
        let property = db.tenant(&tenant).create_property("5 Elm Court", "Springfield", "IL", "62701").await.unwrap();
        let job = db.tenant(&tenant).create_job(&property, "SVC-3001").await.unwrap();
        let sam = db.tenant(&tenant).create_contact("Sam Ortiz", Some("sam@example.com"), None).await.unwrap();
        db.tenant(&tenant).add_job_contact(&job, &sam, Role::Client, &portico_core::tokens::hash_token("sam-token"), None).await.unwrap();
        job
    };
    let lines = [("service", "Window cleaning", 1, 9_900)];
    let sams = app.server.state.db.tenant(&tenant)
        .create_invoice(&sam_job, &NewInvoice { number: "3001", status: InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &lines })
        .await
        .unwrap();
    let (dana, _) = signed_in_by_email(&app).await;

    let hub = invoices_tab(&app, &dana).await.text();
    let only_sams = on_the_hub(&app, &dana, std::slice::from_ref(&sams), "pay-selected", &[]).await;

    assert!(hub.contains("2031") && hub.contains("2032") && !hub.contains("3001"), "{hub}");
    assert!(only_sams.text().contains("Tick at least one invoice"), "another client's invoice is no tick of Dana's: {}", only_sams.text());
    assert_eq!(status_of(&app, &sams).await, (InvoiceStatus::Due, 0));
    assert_eq!(invoices.len(), 3);
}}

story! { async fn a_reported_payment_ends_an_open_checkout_and_is_not_reported_twice(app) {
    let invoices = three_invoices(&app).await;
    let (dana, _) = signed_in_by_email(&app).await;
    let demo_job = job_of(&app, &invoices[0]).await;
    let job_page = dana.get(&app.url(&format!("/jobs/{demo_job}"))).await;
    let card = dana.act(&job_page, "payments", "pay", &format!("pay-{}", invoices[0]), &[]).await;

    let forgot = on_the_hub(&app, &dana, &invoices[..1], "paid-elsewhere", &[("method", ""), ("reference", "Check 881")]).await;
    let reported = on_the_hub(&app, &dana, &invoices[..1], "paid-elsewhere", &[("method", "check"), ("reference", "Check 881")]).await;
    let twice = on_the_hub(&app, &dana, &invoices[..1], "paid-elsewhere", &[("method", "check"), ("reference", "Check 881")]).await;
    let by_card = on_the_hub(&app, &dana, &invoices[..1], "pay-selected", &[]).await;
    let stale = dana.post(&card.url, &[("csrf", &card.hidden("csrf").unwrap()), ("outcome", "pay")]).await;

    assert!(forgot.text().contains("Error: Choose how you paid") && forgot.body.contains("Check 881"), "{}", forgot.text());
    assert!(reported.text().contains("The office confirms your payment"), "{}", reported.text());
    assert!(twice.text().contains("A payment is being processed") && twice.body.contains("Check 881"), "refused, with the form kept: {}", twice.text());
    assert!(by_card.text().contains("A payment is being processed"), "{}", by_card.text());
    assert!(stale.text().contains("no longer open"), "the card checkout was given up: {}", stale.text());
    let tenant = app.demo_tenant_id().await;
    let shares = app.server.state.db.tenant(&tenant).invoice_payments(&invoices[0]).await.unwrap();
    assert_eq!(shares.iter().filter(|share| share.payment.status == "pending").count(), 1, "one report");
}}

story! { async fn money_that_arrived_twice_is_not_approved_onto_a_paid_invoice(app) {
    let owner = app.owner().await;
    let (job, invoice) = app.demo_invoice().await;
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let csrf = staff_job.hidden("csrf").unwrap();
    let record = app.url(&format!("/staff/jobs/{job}/payments"));
    for reference in ["Check 2231", "Check 2232"] {
        owner.post(&record, &[("csrf", &csrf), ("invoice_id", &invoice), ("method", "check"), ("amount", "610.00"), ("reference", reference)]).await;
    }
    let tenant = app.demo_tenant_id().await;
    let checks: Vec<String> = app.server.state.db.tenant(&tenant).invoice_payments(&invoice).await.unwrap().into_iter().map(|share| share.payment.id).collect();

    owner.post(&app.url(&format!("/staff/jobs/{job}/payments/{}/approve", checks[0])), &[("csrf", &csrf)]).await;
    let second = owner.post(&app.url(&format!("/staff/jobs/{job}/payments/{}/approve", checks[1])), &[("csrf", &csrf)]).await;

    assert!(second.text().contains("has $0.00 left to pay"), "{}", second.text());
    assert_eq!(status_of(&app, &invoice).await, (InvoiceStatus::Paid, 61_000), "counted once");
}}
