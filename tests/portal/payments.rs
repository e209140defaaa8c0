//! Paying for the service: the invoice card, Pay Now through the labelled
//! test provider, receipts and invoice PDFs, and manual payments that staff
//! record and the owner approves.

use portico_tests::{Page, Visitor};

fn pay_action(invoice_id: &str) -> String {
    format!("pay-{invoice_id}")
}

/// Dana opens her link and chooses Pay Now; returns the page she lands on.
async fn pay_now(app: &portico_tests::TestApp, dana: &Visitor) -> Page {
    let (_, invoice_id) = app.demo_invoice().await;
    let page = dana.get(&app.links.client).await;
    dana.act(&page, "payments", "pay", &pay_action(&invoice_id), &[]).await
}

story! { async fn the_client_sees_the_invoice_with_its_fee_and_balance(app) {
    let dana = Visitor::new();

    let page = dana.get(&app.links.client).await;

    let text = page.text();
    assert!(text.contains("Pay for your service"), "{text}");
    assert!(text.contains("Invoice 1042"));
    assert!(text.contains("Travel fee (over 25 miles) (fee)"));
    assert!(text.contains("Fees $35.00"), "{text}");
    assert!(text.contains("Total $610.00"));
    assert!(text.contains("Balance due $610.00"));
    assert!(text.contains("Pay Now"));
    let pdf = page.href_containing("/pdf").expect("a link to the invoice PDF");
    let invoice = dana.get(&app.url(&pdf)).await;
    assert_eq!(invoice.status, 200);
    assert!(invoice.body.starts_with("%PDF-1.4") && invoice.body.contains("Invoice 1042"));
    assert!(invoice.body.contains("Travel fee"));
}}

story! { async fn paying_in_test_mode_marks_the_invoice_paid_with_a_receipt(app) {
    let dana = Visitor::new();

    let checkout = pay_now(&app, &dana).await;

    assert_eq!(checkout.status, 200);
    assert!(checkout.url.ends_with("/test"), "the test provider's page: {}", checkout.url);
    let text = checkout.text();
    assert!(text.contains("Test mode") && text.contains("no money moves"), "clearly labelled: {text}");
    assert!(text.contains("Pay $610.00 (test)"));
    let csrf = checkout.hidden("csrf").unwrap();
    let paid = dana.post(&checkout.url, &[("csrf", &csrf), ("outcome", "pay")]).await;

    let text = paid.text();
    assert!(text.contains("Payment received. Thank you!"), "{text}");
    assert!(text.contains("Paid"));
    assert!(text.contains("Balance due $0.00"), "{text}");
    assert!(text.contains("Card payment, received"));
    assert!(!text.contains("Pay Now") || text.contains("This invoice is paid."), "Pay Now is disabled with the reason: {text}");
    let receipt = dana.get(&app.url(&paid.href_containing("/receipt").expect("a receipt link"))).await;
    assert_eq!(receipt.status, 200);
    assert!(receipt.body.contains("Receipt for invoice 1042") && receipt.body.contains("$610.00"));
    assert_eq!(app.audit_count("payment.succeeded").await, 1);

    // Paying again is refused with the reason, and nothing new is charged.
    let again = pay_now(&app, &dana).await;
    assert!(again.text().contains("This invoice is paid."), "{}", again.text());
    assert_eq!(app.audit_count("payment.succeeded").await, 1);
}}

story! { async fn a_double_clicked_pay_now_opens_one_checkout(app) {
    let dana = Visitor::new();
    let (_, invoice_id) = app.demo_invoice().await;
    let page = dana.get(&app.links.client).await;

    let action = pay_action(&invoice_id);
    let (first, second) = tokio::join!(
        dana.act(&page, "payments", "pay", &action, &[]),
        dana.act(&page, "payments", "pay", &action, &[]),
    );

    assert_eq!(first.url, second.url, "both clicks reach the same checkout");
    let tenant = app.demo_tenant_id().await;
    let payments = app.server.state.db.tenant(&tenant).invoice_payments(&invoice_id).await.unwrap();
    assert_eq!(payments.len(), 1, "one payment prepared: {payments:?}");
}}

story! { async fn a_declined_card_can_be_tried_again(app) {
    let dana = Visitor::new();
    let checkout = pay_now(&app, &dana).await;
    let csrf = checkout.hidden("csrf").unwrap();

    let declined = dana.post(&checkout.url, &[("csrf", &csrf), ("outcome", "decline")]).await;

    let text = declined.text();
    assert!(text.contains("did not go through"), "{text}");
    assert!(text.contains("Payment failed"));
    assert!(text.contains("Balance due $610.00"));
    // The spent checkout cannot be paid any more…
    let stale = dana.post(&checkout.url, &[("csrf", &csrf), ("outcome", "pay")]).await;
    assert!(stale.text().contains("no longer open") || stale.text().contains("did not go through"), "{}", stale.text());
    // …but a new one can.
    let retry = pay_now(&app, &dana).await;
    assert_ne!(retry.url, checkout.url);
    let csrf = retry.hidden("csrf").unwrap();
    let paid = dana.post(&retry.url, &[("csrf", &csrf), ("outcome", "pay")]).await;
    assert!(paid.text().contains("Balance due $0.00"), "{}", paid.text());
}}

story! { async fn agents_see_no_bill_and_cannot_pay(app) {
    let sam = Visitor::new();
    let (job_id, invoice_id) = app.demo_invoice().await;

    let page = sam.get(&app.links.buyer_agent).await;

    assert!(!page.text().contains("Pay for your service"), "{}", page.text());
    let pdf = sam.get(&app.url(&format!("/jobs/{job_id}/invoices/{invoice_id}/pdf"))).await;
    assert_eq!(pdf.status, 404);
    // Even a hand-made form is refused: the card is not the agent's.
    let csrf = sam.get(&app.url("/account/sessions")).await.hidden("csrf").expect("the session's form token");
    let action = pay_action(&invoice_id);
    let form = [("_portico_csrf", csrf.as_str()), ("_portico_plugin", "payments"), ("_portico_card", "pay"), ("_portico_action", action.as_str())];
    let sneaky = sam.post(&app.url(&format!("/jobs/{job_id}/actions")), &form).await;
    assert_eq!(sneaky.status, 404);
    let tenant = app.demo_tenant_id().await;
    assert!(app.server.state.db.tenant(&tenant).invoice_payments(&invoice_id).await.unwrap().is_empty());
}}

story! { async fn checkouts_and_receipts_are_private_to_their_job(app) {
    let (job_id, invoice_id) = app.demo_invoice().await;
    let stranger = Visitor::new();
    stranger.get(&app.other_tenant_client_link().await).await;

    let pdf = stranger.get(&app.url(&format!("/jobs/{job_id}/invoices/{invoice_id}/pdf"))).await;

    assert_eq!(pdf.status, 404);
    let dana = Visitor::new();
    let checkout = pay_now(&app, &dana).await;
    let foreign = stranger.get(&checkout.url).await;
    assert_eq!(foreign.status, 404, "another business's client cannot open Dana's checkout");
}}

story! { async fn a_check_recorded_by_the_office_counts_once_the_owner_approves(app) {
    app.add_staff("olive@keystone.example", "Olive Office", "office", "office-password-1").await;
    app.add_staff("eli@keystone.example", "Eli Employee", "employee", "employee-password-1").await;
    let office = app.staff("olive@keystone.example", "office-password-1").await;
    let (job_id, invoice_id) = app.demo_invoice().await;
    let job_page = office.get(&app.url(&format!("/staff/jobs/{job_id}"))).await;
    let csrf = job_page.hidden("csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("invoice_id", invoice_id.as_str()), ("method", "check"), ("amount", "610.00"), ("reference", "Check 2231")];

    let recorded = office.post(&app.url(&format!("/staff/jobs/{job_id}/payments")), &form).await;

    assert!(recorded.text().contains("pending until the owner approves"), "{}", recorded.text());
    let dana = Visitor::new();
    let text = dana.get(&app.links.client).await.text();
    assert!(text.contains("Check payment, recorded, awaiting approval"), "{text}");
    assert!(text.contains("Processing"));
    assert!(text.contains("A payment is being processed"), "Pay Now disabled with the reason: {text}");

    let payment_id = app.server.state.db.tenant(&app.demo_tenant_id().await).invoice_payments(&invoice_id).await.unwrap()[0].payment.id.clone();
    let approve = app.url(&format!("/staff/jobs/{job_id}/payments/{payment_id}/approve"));
    assert_eq!(office.post(&approve, &[("csrf", &csrf)]).await.status, 403, "office staff record; the owner approves");
    let employee = app.staff("eli@keystone.example", "employee-password-1").await;
    let employee_csrf = employee.get(&app.url(&format!("/staff/jobs/{job_id}"))).await.hidden("csrf").unwrap();
    let mut employee_form = form;
    employee_form[0].1 = &employee_csrf;
    assert_eq!(employee.post(&app.url(&format!("/staff/jobs/{job_id}/payments")), &employee_form).await.status, 403);

    let owner = app.owner().await;
    let owner_csrf = owner.get(&app.url(&format!("/staff/jobs/{job_id}"))).await.hidden("csrf").unwrap();
    let approved = owner.post(&approve, &[("csrf", &owner_csrf)]).await;
    assert!(approved.text().contains("Payment approved"), "{}", approved.text());
    let text = dana.get(&app.links.client).await.text();
    assert!(text.contains("Balance due $0.00") && text.contains("Check payment, received"), "{text}");
    assert!(owner.post(&approve, &[("csrf", &owner_csrf)]).await.text().contains("already succeeded"));
}}

story! { async fn a_malformed_manual_payment_is_refused_and_changes_nothing(app) {
    let owner = app.owner().await;
    let (job_id, invoice_id) = app.demo_invoice().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job_id}"))).await.hidden("csrf").unwrap();
    let url = app.url(&format!("/staff/jobs/{job_id}/payments"));

    let bad_amount = owner.post(&url, &[("csrf", &csrf), ("invoice_id", &invoice_id), ("method", "cash"), ("amount", "six hundred")]).await;
    let bad_method = owner.post(&url, &[("csrf", &csrf), ("invoice_id", &invoice_id), ("method", "bitcoin"), ("amount", "10")]).await;
    let wrong_invoice = owner.post(&url, &[("csrf", &csrf), ("invoice_id", "nope"), ("method", "cash"), ("amount", "10")]).await;

    assert!(bad_amount.text().contains("is not an amount"), "{}", bad_amount.text());
    assert!(bad_method.text().contains("Choose how the client paid"), "{}", bad_method.text());
    assert_eq!(wrong_invoice.status, 404);
    let tenant = app.demo_tenant_id().await;
    assert!(app.server.state.db.tenant(&tenant).invoice_payments(&invoice_id).await.unwrap().is_empty());
}}

/// The owner saves the payment settings form; returns the page shown.
async fn choose_provider(app: &portico_tests::TestApp, owner: &Visitor, provider: &str, account: &str) -> Page {
    let page = owner.get(&app.url("/staff/payments")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.hidden("csrf").unwrap();
    owner.post(&app.url("/staff/payments"), &[("csrf", &csrf), ("provider", provider), ("stripe_account", account)]).await
}

story! { async fn the_owner_chooses_how_clients_pay_and_the_portal_follows(app) {
    let owner = app.owner().await;
    let (_, invoice_id) = app.demo_invoice().await;
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;

    let stripe_without_keys = choose_provider(&app, &owner, "stripe", "acct_1AbCdEfGhIj").await;
    let unknown = choose_provider(&app, &owner, "barter", "").await;
    let none = choose_provider(&app, &owner, "none", "").await;
    let portal_without = Visitor::new().get(&app.links.client).await;
    let back_to_test = choose_provider(&app, &owner, "test", "").await;
    let portal_with = Visitor::new().get(&app.links.client).await;

    assert_eq!(stripe_without_keys.status, 422);
    assert!(stripe_without_keys.text().contains("This server has no Stripe keys yet"), "{}", stripe_without_keys.text());
    assert!(unknown.text().contains("Choose how clients pay."));
    assert!(none.text().contains("Saved."), "{}", none.text());
    assert!(portal_without.text().contains("Online payment is not available for this business."), "Pay Now is off: {}", portal_without.text());
    assert!(portal_without.text().contains("Balance due $610.00"), "the bill is still shown");
    assert!(back_to_test.text().contains("Saved."));
    assert!(!portal_with.text().contains("Online payment is not available") && portal_with.body.contains(&pay_action(&invoice_id)));
    assert_eq!(app.audit_count("settings.payments").await, 2);
    assert_eq!(office.get(&app.url("/staff/payments")).await.status, 403);
    let csrf = office.get(&app.url("/staff")).await.hidden("csrf").unwrap_or_default();
    assert_eq!(office.post(&app.url("/staff/payments"), &[("csrf", &csrf), ("provider", "none")]).await.status, 403);
}}

story! { async fn staff_add_a_fee_and_a_discount_and_the_owner_voids_an_unpaid_invoice(app) {
    let owner = app.owner().await;
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    let (job, invoice_id) = app.demo_invoice().await;
    let job_page = app.url(&format!("/staff/jobs/{job}"));
    let csrf = office.get(&job_page).await.hidden("csrf").unwrap();
    let lines = app.url(&format!("/staff/jobs/{job}/invoices/{invoice_id}/lines"));
    let void = app.url(&format!("/staff/jobs/{job}/invoices/{invoice_id}/void"));

    let fee = office.post(&lines, &[("csrf", &csrf), ("kind", "fee"), ("description", "Second trip"), ("amount", "75.00")]).await;
    let discount = office.post(&lines, &[("csrf", &csrf), ("kind", "discount"), ("description", "Repeat client"), ("amount", "25")]).await;
    let too_much = office.post(&lines, &[("csrf", &csrf), ("kind", "discount"), ("description", "Everything"), ("amount", "1000")]).await;
    let nameless = office.post(&lines, &[("csrf", &csrf), ("kind", "fee"), ("description", " "), ("amount", "5")]).await;
    let office_void = office.post(&void, &[("csrf", &csrf)]).await;
    let dana = Visitor::new().get(&app.links.client).await.text();
    let owner_csrf = owner.get(&job_page).await.hidden("csrf").unwrap();
    let voided = owner.post(&void, &[("csrf", &owner_csrf)]).await;
    let after_void = office.post(&lines, &[("csrf", &csrf), ("kind", "fee"), ("description", "Late"), ("amount", "5")]).await;

    assert!(fee.text().contains("Second trip added to the invoice."), "{}", fee.text());
    assert!(discount.text().contains("Repeat client added to the invoice."));
    assert!(too_much.text().contains("The discount would bring invoice 1042 below zero."), "{}", too_much.text());
    assert!(nameless.text().contains("Describe the line"), "{}", nameless.text());
    assert_eq!(office_void.status, 403, "only owners void");
    assert!(dana.contains("Total $660.00") && dana.contains("Second trip") && dana.contains("Repeat client"), "{dana}");
    assert!(voided.text().contains("The invoice is void"), "{}", voided.text());
    assert!(after_void.text().contains("Invoice 1042 is void; only an invoice still to pay can change."), "{}", after_void.text());
    assert_eq!(app.audit_count("invoice.line-added").await, 2);
    assert_eq!(app.audit_count("invoice.voided").await, 1);
}}

story! { async fn a_paid_invoice_is_neither_discounted_nor_voided(app) {
    let owner = app.owner().await;
    let dana = Visitor::new();
    app.pay_demo_invoice(&dana).await;
    let (job, invoice_id) = app.demo_invoice().await;
    let csrf = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await.hidden("csrf").unwrap();

    let discount = owner.post(&app.url(&format!("/staff/jobs/{job}/invoices/{invoice_id}/lines")), &[("csrf", &csrf), ("kind", "discount"), ("description", "Late"), ("amount", "10")]).await;
    let void = owner.post(&app.url(&format!("/staff/jobs/{job}/invoices/{invoice_id}/void")), &[("csrf", &csrf)]).await;

    assert!(discount.text().contains("Invoice 1042 is paid; only an invoice still to pay can change."), "{}", discount.text());
    assert!(void.text().contains("Invoice 1042 is paid"), "{}", void.text());
    assert!(Visitor::new().get(&app.links.client).await.text().contains("Balance due $0.00"));
}}
