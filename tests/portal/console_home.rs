//! The console's home tells the office what needs attention: every job with
//! its appointment and where it stands, searched, filtered and paged.

use portico_tests::{Page, TestApp, Visitor};

/// Thirty jobs without appointments, and one visited yesterday with no
/// report published yet.
async fn busy_business(app: &TestApp) {
    let tenant = app.demo_tenant_id().await;
    let db = app.server.state.db.tenant(&tenant);
    for n in 1..=30 {
        let property = db.create_property(&format!("{n} Birch Road"), "Shelbyville", "IL", "62565").await.unwrap();
        db.create_job(&property, &format!("BULK-{n:02}")).await.unwrap();
    }
    let property = db.create_property("5 Cedar Court", "Shelbyville", "IL", "62565").await.unwrap();
    let visited = db.create_job(&property, "PAST-01").await.unwrap();
    let yesterday = portico_core::model::now() - 24 * 3600;
    db.add_appointment(&visited, yesterday, yesterday + 7200, "Alex Chen").await.unwrap();
}

/// The table row of the job `reference`, as text.
fn row(page: &Page, reference: &str) -> Option<String> {
    let row = page.body.split("<tr>").find(|row| row.contains(&format!(">{reference}</a>")))?;
    Some(Page { status: 200, url: String::new(), body: row.to_string(), statements: None, thread_hops: None }.text())
}

story! { async fn the_home_lists_every_job_with_where_it_stands_a_page_at_a_time(app) {
    busy_business(&app).await;
    let owner = app.owner().await;

    let first = owner.get(&app.url("/staff")).await;

    let text = first.text();
    assert!(text.contains("Showing 1–25 of 32 jobs."), "{text}");
    let demo = row(&first, "INS-1042").expect("the demo job, booked for tomorrow, comes first");
    assert!(demo.contains("Dana Whitfield"), "{demo}");
    for chip in ["Not signed", "$610.00 due", "Report held"] {
        assert!(demo.contains(chip), "{chip}: {demo}");
    }
    assert!(first.body.find(">INS-1042</a>").unwrap() < first.body.find(">PAST-01</a>").unwrap(), "upcoming before past");
    assert!(row(&first, "PAST-01").unwrap().contains("No report yet"));
    let next = first.href_containing("page=2").expect("a link to the next page");

    let second = owner.get(&app.url(&next)).await;
    assert!(second.text().contains("Showing 26–32 of 32 jobs.") && second.text().contains("Page 2 of 2"), "{}", second.text());
    assert!(row(&second, "BULK-30").is_some() && row(&second, "INS-1042").is_none());

    // A page past the end, or words in place of numbers, still answer.
    assert!(owner.get(&app.url("/staff?page=9")).await.text().contains("Showing 26–32 of 32 jobs."));
    let odd = owner.get(&app.url("/staff?page=two&show=everything")).await;
    assert_eq!(odd.status, 200);
    assert!(odd.text().contains("Showing 1–25 of 32 jobs."), "{}", odd.text());
}}

story! { async fn the_office_finds_a_job_by_name_and_sees_what_waits_for_it(app) {
    busy_business(&app).await;
    // Another business, with a job at 9 Harbor Road.
    app.other_tenant_client_link().await;
    let owner = app.owner().await;
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let tenant = app.demo_tenant_id().await;
    let sewer = app.server.state.db.tenant(&tenant).add_on_services().await.unwrap().into_iter().find(|s| s.name == "Sewer scope").unwrap();
    dana.act(&page, "add-ons", "add-services", "request", &[(&format!("addon-{}", sewer.id), "on")]).await;

    let found = owner.get(&app.url("/staff?q=WHITFIELD")).await;
    let unpaid = owner.get(&app.url("/staff?show=unpaid")).await;
    let waiting = owner.get(&app.url("/staff?show=needs-action")).await;
    let upcoming = owner.get(&app.url("/staff?show=upcoming")).await;
    let literal = owner.get(&app.url("/staff?q=%25")).await;
    let other_business = owner.get(&app.url("/staff?q=Harbor")).await;

    assert!(found.text().contains("1 job matching “WHITFIELD”."), "{}", found.text());
    assert!(row(&found, "INS-1042").unwrap().contains("1 request waiting"));
    assert!(unpaid.text().contains("1 unpaid job."), "{}", unpaid.text());
    let needs = waiting.text();
    assert!(needs.contains("2 jobs needing action."), "the request, and a visit without its report: {needs}");
    assert!(row(&waiting, "INS-1042").is_some() && row(&waiting, "PAST-01").is_some());
    assert!(upcoming.text().contains("1 upcoming job."), "{}", upcoming.text());
    assert!(unpaid.body.contains("aria-current=\"page\" class=\"current\">Unpaid"), "the filter in use is marked");
    assert!(literal.text().contains("No jobs matching “%”."), "a wildcard is a character: {}", literal.text());
    assert!(other_business.text().contains("No jobs matching “Harbor”."), "another business's job stays out");
}}

story! { async fn the_job_list_reads_where_its_jobs_stand_together_not_job_by_job(app) {
    busy_business(&app).await;
    let owner = app.owner().await;
    owner.get(&app.url("/staff")).await;

    let full = owner.get(&app.url("/staff")).await;
    let short = owner.get(&app.url("/staff?page=2")).await;

    assert!(full.text().contains("Showing 1–25 of 32 jobs.") && short.text().contains("Showing 26–32 of 32 jobs."));
    assert_eq!(full.statements, short.statements, "25 jobs cost what 7 do");
    assert_eq!(full.statements, Some(CONSOLE_HOME_STATEMENTS), "the session, the business, the board and its count, the rows' reads, the sections and the activity");
}}

/// Statements of one view of the console's home, on either database: the
/// session and the staff member, the business, how many jobs match and the
/// page of them, thirteen reads of the listed jobs' rows (jobs, properties,
/// visits, services, people, locked agreements, signatures, documents,
/// add-on requests, agreement templates, invoices, their lines, payments),
/// the sections and the latest activity, then the console's frame (the
/// business and its sections again). It was 184 for 25 jobs when each row
/// read its own.
const CONSOLE_HOME_STATEMENTS: u32 = 22;

story! { async fn a_listed_job_s_rows_are_those_its_own_reads_find(app) {
    // Every demo business's jobs: signed and unsigned agreements, invoices
    // paid, due and batched, reports, add-on requests, several people.
    portico::demo::ensure_demo(&app.server.state, app.data_dir()).await.expect("the demo's businesses");
    let db = &app.server.state.db;
    for slug in [portico::demo::SLUG, "northwind", "sparkle"] {
        let tenant = db.tenant_by_slug(slug).await.unwrap().expect("a demo business").id;
        let jobs: Vec<_> = db.tenant(&tenant).jobs(100).await.unwrap().into_iter().map(|job| job.id).collect();
        assert!(!jobs.is_empty(), "{slug} has jobs");
        let page = db.snapshot();
        page.tenant(&tenant).prefetch_jobs(&jobs).await.unwrap();

        for job in &jobs {
            let (listed, read) = portico_data::counting(job_rows(&page, &tenant, job)).await;
            assert_eq!(read, 0, "{slug} {job}: every read was answered by the list's statements");
            assert_eq!(listed, job_rows(db, &tenant, job).await, "{slug} {job}");
        }
    }
}}

/// What the console's rules read of a job, as text.
async fn job_rows(db: &portico_data::Db, tenant: &portico_core::ids::TenantId, job: &portico_core::ids::JobId) -> String {
    let business = db.tenant(tenant);
    let found = business.job(job).await.unwrap().expect("a listed job");
    format!(
        "{found:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        business.property(&found.property_id).await.unwrap(),
        business.appointments(job).await.unwrap(),
        business.services(job).await.unwrap(),
        business.job_contacts(job).await.unwrap(),
        business.agreement_templates().await.unwrap(),
        business.locked_agreements(job).await.unwrap(),
        business.agreement_signatures(job).await.unwrap(),
        business.documents(job, "report").await.unwrap(),
        business.add_on_requests(job).await.unwrap(),
        business.invoices(job).await.unwrap(),
        business.job_payments(job).await.unwrap(),
    )
}
