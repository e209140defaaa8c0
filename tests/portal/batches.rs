//! Batch invoices, bad debt and the account dashboard: the office groups a
//! customer's invoices into a batch, the customer is told, reads its PDF and
//! pays it in one payment that settles each invoice once; an owner writes
//! an invoice off as bad debt; the customer's dashboard adds it all up.

use crate::account_billing::{dana_job, job_of, status_of, three_invoices};
use crate::account_hub::signed_in_by_email;
use portico_core::money::InvoiceStatus;
use portico_data::NewInvoice;
use portico_tests::{Page, TestApp, Visitor};

const DANA: &str = "dana.whitfield@example.com";

/// Dana, as the business's batch page offers her.
async fn dana_customer(app: &TestApp) -> String {
    let tenant = app.demo_tenant_id().await;
    let customers = app.server.state.db.tenant(&tenant).batch_customers().await.unwrap();
    customers.into_iter().find(|c| c.email.as_deref() == Some(DANA)).expect("Dana has invoices to batch").contact_id
}

/// The owner makes a batch for `customer` of `invoices`, through the console.
async fn make_batch(app: &TestApp, owner: &Visitor, customer: &str, title: &str, invoices: &[String]) -> Page {
    let page = owner.get(&app.url(&format!("/staff/batches?customer={customer}"))).await;
    let csrf = page.hidden("csrf").expect("the batch form");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("customer", customer), ("title", title)];
    form.extend(invoices.iter().map(|id| ("invoice", id.as_str())));
    owner.post(&app.url("/staff/batches"), &form).await
}

/// How many payments were ever started or recorded for the invoice.
async fn payments_of(app: &TestApp, invoice_id: &str) -> usize {
    let tenant = app.demo_tenant_id().await;
    app.server.state.db.tenant(&tenant).invoice_payments(invoice_id).await.unwrap().len()
}

story! { async fn a_month_of_invoices_is_batched_told_and_paid_in_one_payment(app) {
    let invoices = three_invoices(&app).await;
    let tenant = app.demo_tenant_id().await;
    let owner = app.owner().await;
    let customer = dana_customer(&app).await;
    let mails_before = app.mail_count(&tenant, DANA).await;

    let made = make_batch(&app, &owner, &customer, "Gutters in November", &invoices).await;
    let mails_after = app.mail_count(&tenant, DANA).await;
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    let (dana, _) = signed_in_by_email(&app).await;
    let hub = dana.get(&app.url("/account?tab=invoices")).await;

    assert!(made.text().contains("Batch B-0001 is made"), "{}", made.text());
    assert!(made.text().contains("Gutters in November") && made.text().contains("$820.00"), "listed for the office: {}", made.text());
    assert_eq!(mails_after, mails_before + 1, "one notice");
    assert_eq!(mail.template, "batch-invoice-ready");
    assert!(mail.body.contains("Batch invoice B-0001 (Gutters in November) groups 3 invoices: $820.00 to pay"), "{}", mail.body);
    let text = hub.text();
    assert!(text.contains("Batch B-0001: Gutters in November") && text.contains("Balance due $820.00"), "{text}");
    let pdf = dana.get(&app.url(&hub.href_containing("/account/batches/").expect("the batch's PDF"))).await;
    assert!(pdf.body.starts_with("%PDF"), "a PDF");
    for expected in ["Batch: B-0001 \\(Gutters in November\\)", "Invoice 2031", "Job SVC-2032 at 9 Birch Lane", "Tax: $10.00", "Balance due: $820.00"] {
        assert!(pdf.body.contains(expected), "the PDF says {expected}: {}", pdf.body);
    }

    // Two clicks on Pay: one payment of the three.
    assert!(hub.body.contains("pay-batch-"), "a Pay button for the batch");
    let batch_id = hub.body.split("pay-batch-").nth(1).unwrap().split('"').next().unwrap().to_string();
    let first = dana.act_at(&hub, &app.url("/account/actions"), "payments", "batches", &format!("pay-batch-{batch_id}"), &[("_portico_tab", "Invoices")]).await;
    let second = dana.act_at(&hub, &app.url("/account/actions"), "payments", "batches", &format!("pay-batch-{batch_id}"), &[("_portico_tab", "Invoices")]).await;
    assert_eq!(first.url, second.url, "the second click continues the same checkout");
    assert!(first.text().contains("Pay invoices 1042, 2031 and 2032"), "{}", first.text());
    let paid = dana.post(&first.url, &[("csrf", &first.hidden("csrf").unwrap()), ("outcome", "pay")]).await;

    assert!(paid.text().contains("Payment received"), "{}", paid.text());
    for (invoice, total) in invoices.iter().zip([61_000, 13_000, 8_000]) {
        assert_eq!(status_of(&app, invoice).await, (InvoiceStatus::Paid, total), "each invoice settled exactly");
        assert_eq!(payments_of(&app, invoice).await, 1, "one payment, charged once");
    }
    let after = dana.get(&app.url("/account?tab=invoices")).await.text();
    assert!(after.contains("Batch B-0001: Gutters in November") && after.contains("Payments applied $820.00"), "{after}");
    assert!(!after.contains("Pay batch B-0001"), "nothing left to pay: {after}");
}}

story! { async fn a_batch_takes_only_the_customers_own_invoices_still_to_pay(app) {
    let invoices = three_invoices(&app).await;
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let owner = app.owner().await;
    let customer = dana_customer(&app).await;
    // Someone else's invoice at the business.
    let property = db.tenant(&tenant).create_property("5 Pine Court", "Springfield", "IL", "62702").await.unwrap();
    let job = db.tenant(&tenant).create_job(&property, "SVC-3001").await.unwrap();
    let lee = db.tenant(&tenant).create_contact("Lee Park", Some("lee.park@example.com"), None).await.unwrap();
    let token = portico_core::tokens::hash_token(&portico_core::tokens::new_token());
    db.tenant(&tenant).add_job_contact(&job, &lee, portico_core::model::Role::Client, &token, None).await.unwrap();
    let lines = [("service", "Window cleaning", 1, 5_000)];
    let lees = db.tenant(&tenant).create_invoice(&job, &NewInvoice { number: "3001", status: InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &lines }).await.unwrap();

    let foreign = make_batch(&app, &owner, &customer, "With Lee's", &[invoices[1].clone(), lees.clone()]).await;
    let single = make_batch(&app, &owner, &customer, "Just one", &invoices[1..2]).await;
    let untitled = make_batch(&app, &owner, &customer, "  ", &invoices[1..]).await;
    let made = make_batch(&app, &owner, &customer, "Gutters", &invoices[1..]).await;
    let again = make_batch(&app, &owner, &customer, "Gutters again", &invoices).await;

    assert_eq!(foreign.status, 422);
    assert!(foreign.text().contains("One of the invoices is not Dana Whitfield's to pay"), "{}", foreign.text());
    assert!(foreign.control("title").unwrap().contains("value=\"With Lee&#x27;s\""), "what was typed is kept");
    assert!(single.text().contains("Tick at least two invoices"), "{}", single.text());
    assert!(untitled.text().contains("Give the batch a title"), "{}", untitled.text());
    assert!(made.text().contains("Batch B-0001 is made"), "{}", made.text());
    assert_eq!(again.status, 422);
    assert!(again.text().contains("is already in a batch"), "{}", again.text());
    assert_eq!(app.audit_count("batch.created").await, 1);

    // An invoice in a batch stays as the customer was told until the batch goes.
    let job = job_of(&app, &invoices[1]).await;
    let staff_page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let written = owner
        .post(&app.url(&format!("/staff/jobs/{job}/invoices/{}/write-off", invoices[1])), &[("csrf", &staff_page.hidden("csrf").unwrap()), ("reason", "Gone")])
        .await;
    assert!(written.text().contains("Invoice 2031 is in batch B-0001; withdraw the batch before writing it off."), "{}", written.text());

    // Lee sees no batch, and cannot open Dana's.
    let batch = db.tenant(&tenant).batches().await.unwrap().remove(0);
    let (lee_visitor, _) = crate::account_hub::signed_in_with(&app, "lee.park@example.com").await;
    let hub = lee_visitor.get(&app.url("/account?tab=invoices")).await.text();
    assert!(!hub.contains("B-0001"), "{hub}");
    let (status, _, _) = lee_visitor.get_raw(&app.url(&format!("/account/batches/{}/pdf", batch.id))).await;
    assert_eq!(status, 404);

    // An office member makes batches, but only an owner withdraws one.
    app.add_staff("olive@example.com", "Olive Office", "office", "correct horse battery").await;
    let office = app.staff("olive@example.com", "correct horse battery").await;
    let page = office.get(&app.url("/staff/batches")).await;
    assert!(page.text().contains("B-0001") && !page.text().contains("Withdraw B-0001"), "{}", page.text());
    let page = owner.get(&app.url("/staff/batches")).await;
    let withdrawn = owner.post(&app.url(&format!("/staff/batches/{}/withdraw", batch.id)), &[("csrf", &page.hidden("csrf").unwrap())]).await;
    assert!(withdrawn.text().contains("Batch B-0001 is withdrawn"), "{}", withdrawn.text());
    assert!(make_batch(&app, &owner, &customer, "Gutters again", &invoices).await.text().contains("Batch B-0002 is made"), "its invoices are free again");
}}

story! { async fn bad_debt_and_the_revenue_chart_add_up_from_the_invoices(app) {
    let invoices = three_invoices(&app).await;
    let demo_job = job_of(&app, &invoices[0]).await;
    let owner = app.owner().await;
    let job_of_2032 = job_of(&app, &invoices[2]).await;
    let staff_page = owner.get(&app.url(&format!("/staff/jobs/{job_of_2032}"))).await;
    let csrf = staff_page.hidden("csrf").unwrap();
    let write_off = |reason: &'static str| {
        let owner = &owner;
        let url = app.url(&format!("/staff/jobs/{job_of_2032}/invoices/{}/write-off", invoices[2]));
        let csrf = csrf.clone();
        async move { owner.post(&url, &[("csrf", &csrf), ("reason", reason)]).await }
    };

    let unexplained = write_off(" ").await;
    let written = write_off("No answer to three reminders").await;
    let twice = write_off("Again").await;
    app.add_staff("olive@example.com", "Olive Office", "office", "correct horse battery").await;
    let office = app.staff("olive@example.com", "correct horse battery").await;
    let office_page = office.get(&app.url(&format!("/staff/jobs/{demo_job}"))).await;
    let by_office = office
        .post(&app.url(&format!("/staff/jobs/{demo_job}/invoices/{}/write-off", invoices[0])), &[("csrf", &office_page.hidden("csrf").unwrap()), ("reason", "Gone")])
        .await;

    assert!(unexplained.text().contains("Say in at most 200 characters why"), "{}", unexplained.text());
    assert!(written.text().contains("written off as bad debt"), "{}", written.text());
    assert!(written.text().contains("Written off as bad debt on"), "the job page says so: {}", written.text());
    assert!(twice.text().contains("is already written off"), "{}", twice.text());
    assert_eq!(by_office.status, 403, "only owners write off");
    assert_eq!(app.audit_count("invoice.written-off").await, 1);

    let (dana, _) = signed_in_by_email(&app).await;
    let home = dana.get(&app.url("/account")).await;
    let text = home.text();
    // 610.00 + 130.00 + 80.00 invoiced; 80.00 of it written off.
    for expected in ["Your account at a glance", "Total invoiced $820.00", "Receivable $740.00", "Written off as bad debt $80.00", "Bad debt jobs 1", "Jobs with a balance due 2"] {
        assert!(text.contains(expected), "the dashboard shows {expected}: {text}");
    }
    let month = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("America/Chicago").unwrap()).strftime("%b %Y").to_string();
    assert!(home.body.contains("<svg class=\"chart-plot\""), "the chart is drawn");
    assert!(home.body.contains(&format!("<title>{month}: 820</title>")), "this month's bar is the invoices' sum: {}", home.body);
    assert!(text.contains(&format!("{month} 820")), "and so is the table's row: {text}");
    // A write-off changes what is owed, not what was paid: Dana may still pay.
    let invoices_tab = dana.get(&app.url("/account?tab=invoices")).await.text();
    assert!(invoices_tab.contains("Invoice 2032 for job SVC-2032: 80.00 due"), "{invoices_tab}");
    assert!(invoices_tab.contains("2032 SVC-2032 80.00 0.00 80.00 80.00 Written off"), "{invoices_tab}");

    let staff_page = owner.get(&app.url(&format!("/staff/jobs/{job_of_2032}"))).await;
    let undone = owner
        .post(&app.url(&format!("/staff/jobs/{job_of_2032}/invoices/{}/write-off/undo", invoices[2])), &[("csrf", &staff_page.hidden("csrf").unwrap())])
        .await;
    assert!(undone.text().contains("receivable again"), "{}", undone.text());
    let text = dana.get(&app.url("/account")).await.text();
    assert!(text.contains("Receivable $820.00") && !text.contains("Written off as bad debt"), "{text}");
}}

story! { async fn another_address_of_the_same_customer_joins_their_batches(app) {
    // A customer with a job under another contact record of the same e-mail
    // is one customer: their batch may take invoices of both.
    let tenant = app.demo_tenant_id().await;
    let (_, demo_invoice) = app.demo_invoice().await;
    let job = dana_job(&app, &tenant, "12 Cedar Road", "SVC-4001").await;
    let lines = [("service", "Pool cleaning", 1, 9_000)];
    let db = &app.server.state.db;
    let pool = db.tenant(&tenant).create_invoice(&job, &NewInvoice { number: "4001", status: InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &lines }).await.unwrap();
    let owner = app.owner().await;
    let customers = db.tenant(&tenant).batch_customers().await.unwrap();

    let made = make_batch(&app, &owner, &dana_customer(&app).await, "Both homes", &[demo_invoice, pool]).await;

    assert_eq!(customers.iter().filter(|c| c.email.as_deref() == Some(DANA)).count(), 1, "listed once: {customers:?}");
    assert!(made.text().contains("Batch B-0001 is made"), "{}", made.text());
}}
