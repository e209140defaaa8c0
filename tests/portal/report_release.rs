//! Report release: the demo business releases reports once the agreement is
//! signed and the invoice paid; the card says exactly what is missing, the
//! file itself stays closed, and agents may read the summary meanwhile.

use portico_tests::{TestApp, Visitor};

/// The demo report's and summary's download paths.
async fn document_paths(app: &TestApp) -> (String, String) {
    let tenant = app.demo_tenant_id().await;
    let (job, _) = app.demo_invoice().await;
    let documents = app.server.state.db.tenant(&tenant).documents(&job, "").await.unwrap();
    let path = |kind: &str| {
        let document = documents.iter().find(|d| d.kind == kind).expect("the demo has it");
        format!("/jobs/{job}/documents/{}", document.id)
    };
    (path("report"), path("summary"))
}

story! { async fn the_report_waits_for_the_signature_and_the_payment_and_says_what_is_missing(app) {
    let dana = Visitor::new();
    let (report, _) = document_paths(&app).await;

    let page = dana.get(&app.links.client).await;

    let text = page.text();
    assert!(text.contains("Your report is ready. It will be released as soon as the Pre-Inspection Agreement is signed by Dana Whitfield and invoice 1042 is paid ($610.00 due)."), "{text}");
    assert!(text.contains("Waiting"));
    assert!(page.href_containing("/documents/").is_none(), "no link while held");
    assert_eq!(dana.get(&app.url(&report)).await.status, 404, "the file itself is held");

    dana.sign(&page, "Dana Whitfield").await;
    let text = dana.get(&page.url).await.text();
    assert!(text.contains("It will be released as soon as invoice 1042 is paid ($610.00 due)."), "only the payment is missing now: {text}");
    assert_eq!(dana.get(&app.url(&report)).await.status, 404);

    let paid = app.pay_demo_invoice(&dana).await;
    let text = paid.text();
    assert!(text.contains("Your report is ready.") && text.contains("Residential Inspection Report"), "{text}");
    assert!(!text.contains("It will be released"), "{text}");
    let opened = dana.get(&app.url(&report)).await;
    assert_eq!(opened.status, 200);
    assert!(opened.body.contains("Residential Inspection"));
}}

story! { async fn agents_read_the_summary_while_the_report_is_held(app) {
    let sam = Visitor::new();
    let priya = Visitor::new();
    let (report, summary) = document_paths(&app).await;

    let page = sam.get(&app.links.buyer_agent).await;

    let text = page.text();
    assert!(text.contains("The report is ready. It will be released as soon as the Pre-Inspection Agreement is signed by Dana Whitfield"), "{text}");
    assert!(text.contains("Read the summary meanwhile: Inspection Summary"), "{text}");
    assert_eq!(sam.get(&app.url(&report)).await.status, 404);
    let opened = sam.get(&app.url(&summary)).await;
    assert_eq!(opened.status, 200);
    assert!(opened.body.contains("Inspection Summary"));
    // The listing agent is not shared either document.
    priya.get(&app.links.listing_agent).await;
    assert_eq!(priya.get(&app.url(&summary)).await.status, 404);
    // Nor is the client given the summary instead of paying.
    let dana = Visitor::new();
    dana.get(&app.links.client).await;
    assert_eq!(dana.get(&app.url(&summary)).await.status, 404);

    // The business turns the summary off while reports are held.
    let owner = app.owner().await;
    let settings = owner.get(&app.url("/staff/agreements")).await;
    let csrf = settings.hidden("csrf").unwrap();
    let saved = owner.post(&app.url("/staff/agreements"), &[("csrf", &csrf), ("report_release", "after-signing-and-payment"), ("consent", "")]).await;
    assert!(saved.text().contains("Saved."), "{}", saved.text());
    assert_eq!(sam.get(&app.url(&summary)).await.status, 404);
    assert!(!sam.get(&app.links.buyer_agent).await.text().contains("Read the summary meanwhile"));
}}

story! { async fn the_business_chooses_when_reports_are_released(app) {
    let owner = app.owner().await;
    let settings = owner.get(&app.url("/staff/agreements")).await;
    let csrf = settings.hidden("csrf").unwrap();
    let url = app.url("/staff/agreements");

    let bad = owner.post(&url, &[("csrf", &csrf), ("report_release", "whenever")]).await;
    assert!(bad.text().contains("Choose when reports are released."), "{}", bad.text());

    owner.post(&url, &[("csrf", &csrf), ("report_release", "after-payment"), ("summary_while_held", "1")]).await;
    let dana = Visitor::new();
    let text = dana.get(&app.links.client).await.text();
    assert!(text.contains("It will be released as soon as invoice 1042 is paid ($610.00 due)."), "the signature no longer counts: {text}");

    owner.post(&url, &[("csrf", &csrf), ("report_release", "on-publish"), ("summary_while_held", "1")]).await;
    let (report, _) = document_paths(&app).await;
    let page = dana.get(&app.links.client).await;
    assert!(page.text().contains("Your report is ready."), "{}", page.text());
    assert_eq!(dana.get(&app.url(&report)).await.status, 200);
    assert_eq!(app.audit_count("settings.agreements").await, 2);
}}
