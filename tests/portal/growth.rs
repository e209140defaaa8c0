//! Growth: a database with many businesses and jobs (the data set of
//! `portico seed-growth`, here small). The seeded businesses work like any
//! other, and the listing pages reach their rows through indexes, never by
//! reading a whole table: the query planner says so of every statement
//! they run, on SQLite (whose plan names any scan) and PostgreSQL (where
//! only sequential scans are caught: `Db::table_scans`).

use portico_data::{BoardFilter, BoardQuery, GrowthPlan};
use portico_tests::Visitor;

story! { async fn listing_pages_reach_their_rows_through_indexes_however_many_businesses_there_are(app) {
    let db = &app.server.state.db;
    let template = app.demo_tenant_id().await;
    let grown = portico::growth::seed(db, &template, GrowthPlan { businesses: 4, jobs_per_business: 30 }).await.unwrap();
    assert_eq!((grown.businesses_made, grown.jobs), (4, 120));
    let again = portico::growth::seed(db, &template, GrowthPlan { businesses: 4, jobs_per_business: 30 }).await.unwrap();
    assert_eq!(again.businesses_made, 0, "a second run keeps what the first made");
    let other = portico::growth::seed(db, &template, GrowthPlan { businesses: 6, jobs_per_business: 20 }).await.unwrap_err();
    assert!(format!("{other:#}").contains("have 30 jobs each"), "{other:#}");
    assert!(db.tenant_by_slug("growth-4").await.unwrap().is_none(), "nothing was made");
    let (client_link, agent_link) = portico::growth::newest_job_links(db, 2).await.unwrap();

    // A seeded business's pages work: its client's job, its agent's
    // account with every job, its owner's console.
    let client = Visitor::new();
    let job_page = client.get(&app.url(&client_link)).await;
    assert_eq!(job_page.status, 200, "{}", job_page.text());
    assert!(job_page.text().contains("G-10030"), "the newest job: {}", job_page.text());
    let agent = Visitor::new();
    agent.get(&app.url(&agent_link)).await;
    let account = agent.get(&app.url("/account")).await;
    assert_eq!(account.status, 200, "{}", account.text());
    assert!(account.text().contains("G-10001") && account.text().contains("G-10030"), "{}", account.text());
    let owner = app.staff("owner@growth-2.example", &app.links.staff.password).await;
    let console = owner.get(&app.url("/staff")).await;
    assert_eq!(console.status, 200, "{}", console.text());
    assert!(console.text().contains("G-10030"), "{}", console.text());

    // What the listings run, recorded.
    let tenant = db.tenant_by_slug("growth-2").await.unwrap().expect("a seeded business");
    let business = db.tenant(&tenant.id);
    let newest = business.jobs(1).await.unwrap().remove(0);
    let agent_id = business.job_contacts(&newest.id).await.unwrap().into_iter().find(|p| p.role.0.as_str() == "buyer-agent").unwrap().contact_id;
    let (_, statements) = portico_data::recording(async {
        let first = business.jobs_page(None, 10).await.unwrap();
        let last = first.last().expect("a first page");
        let second = business.jobs_page(Some((last.created_at, last.job.id.as_str())), 10).await.unwrap();
        assert_ne!(first[0].job.id, second[0].job.id, "the cursor moves on");
        let jobs = business.account_job_details(&agent_id, None).await.unwrap();
        assert_eq!(jobs.len(), 30);
        business.account_job_details(&agent_id, Some("agent2@growth.example")).await.unwrap();
        let ids: Vec<_> = jobs.iter().map(|job| job.job_id.clone()).collect();
        business.job_parts(&ids).await.unwrap();
        for filter in BoardFilter::ALL {
            let query = BoardQuery { search: "", filter, page: 0, per_page: 25, now: portico_core::model::now() };
            business.job_board(&query).await.unwrap();
        }
        db.staff_by_email("owner@growth-2.example").await.unwrap();
    })
    .await;

    assert!(statements.len() >= 10, "{statements:#?}");
    for sql in &statements {
        let scans = db.table_scans(sql).await.unwrap();
        assert!(scans.is_empty(), "{sql}\nreads whole tables: {scans:#?}");
    }
}}
