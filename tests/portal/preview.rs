//! "Open portal as {role}": staff see the job page exactly as one person on
//! the job sees it, with every action disabled and nothing recorded as theirs.

use portico_tests::{TestApp, Visitor};

/// The preview address for the person called `name` on the staff job page.
async fn preview_url(app: &TestApp, staff: &Visitor, name: &str) -> String {
    let (job, _) = app.demo_invoice().await;
    let page = staff.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let tenant = app.demo_tenant_id().await;
    let person = app.server.state.db.tenant(&tenant).job_links(&job).await.unwrap().into_iter().find(|l| l.name == name).expect("on the job").id;
    let url = format!("/staff/jobs/{job}/preview/{person}");
    assert!(page.body.contains(&url), "the job page links the preview");
    app.url(&url)
}

story! { async fn staff_preview_the_portal_as_each_role_and_nothing_is_recorded(app) {
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let owner = app.owner().await;
    let audit_before = db.tenant(&tenant).audit_log(1000).await.unwrap().len();
    app.server.state.access_log.flush().await;
    let access_before = db.tenant(&tenant).access_log(None, 1000).await.unwrap().len();

    let as_dana = owner.get(&preview_url(&app, &owner, "Dana Whitfield").await).await;
    let as_sam = owner.get(&preview_url(&app, &owner, "Sam Ortiz").await).await;

    let dana = as_dana.text();
    assert_eq!(as_dana.status, 200);
    assert!(dana.contains("Preview as Dana Whitfield (Client): this is what they see; actions are disabled and nothing is recorded."), "{dana}");
    assert!(dana.contains("Pay for your service") && dana.contains("Read and sign"), "{dana}");
    let read = as_dana.href_containing("?tab=agreements").expect("the prompt's button stays in the preview");
    assert!(read.contains("/preview/"), "{read}");
    let reading = owner.get(&app.url(&read)).await.text();
    assert!(reading.contains("Dana Whitfield would sign the Pre-Inspection Agreement here."), "{reading}");
    assert!(dana.contains("Disabled in preview"), "{dana}");
    assert!(!as_dana.body.contains("name=\"_portico_action\""), "no action can be submitted");
    assert!(!as_dana.body.contains("action=\"/signout\""), "no portal controls");
    let sam = as_sam.text();
    assert!(sam.contains("Preview as Sam Ortiz (Buyer's agent)"), "{sam}");
    assert!(!sam.contains("Pay for your service"), "agents do not see the bill: {sam}");
    assert!(as_sam.body.contains("/preview/") && as_sam.body.contains("tab&#x3D;order-details"), "tabs stay in the preview");

    assert_eq!(db.tenant(&tenant).audit_log(1000).await.unwrap().len(), audit_before, "no audit entry");
    app.server.state.access_log.flush().await;
    assert_eq!(db.tenant(&tenant).access_log(None, 1000).await.unwrap().len(), access_before, "no access recorded as theirs");
}}

story! { async fn a_preview_changes_nothing_even_when_forced(app) {
    let owner = app.owner().await;
    let url = preview_url(&app, &owner, "Dana Whitfield").await;
    owner.get(&url).await;
    let (job, _) = app.demo_invoice().await;

    let tenant = app.demo_tenant_id().await;
    let sewer = app.server.state.db.tenant(&tenant).add_on_services().await.unwrap().remove(0).id;
    let field = format!("addon-{sewer}");
    let forced = owner.post(&app.url(&format!("/jobs/{job}/actions")), &[
        ("_portico_plugin", "add-ons"), ("_portico_card", "add-services"), ("_portico_action", "request"), (&field, "on"),
    ]).await;

    assert_ne!(forced.status, 200, "staff are not the client: {}", forced.text());
    assert_eq!(app.audit_count("add-on.requested").await, 0);
    assert!(app.server.state.db.tenant(&tenant).add_on_requests(&job).await.unwrap().is_empty(), "nothing requested");
    let foreign = url.replace(job.as_str(), "not-a-job");
    assert_eq!(owner.get(&foreign).await.status, 404);
}}
