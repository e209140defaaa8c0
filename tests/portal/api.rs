//! The REST API: keys created and revoked by the owner, scopes, pages of
//! jobs, a job read, a job created with an Idempotency-Key, and the OpenAPI
//! document the host serves.

use portico_tests::{TestApp, Visitor};
use serde_json::{json, Value};

/// Create an API key on the console with `scopes`; returns the key shown once.
async fn create_key(app: &TestApp, owner: &Visitor, name: &str, scopes: &[&str]) -> String {
    let page = owner.get(&app.url("/staff/api")).await;
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str()), ("name", name)];
    form.extend(scopes.iter().map(|s| ("scope", *s)));
    let created = owner.post(&app.url("/staff/api"), &form).await;
    let start = created.body.find("value=\"ptk_").expect("the key is shown once") + "value=\"".len();
    created.body[start..].chars().take_while(|c| *c != '"').collect()
}

async fn call(app: &TestApp, method: reqwest::Method, path: &str, key: Option<&str>, body: Option<Value>, idempotency: Option<&str>) -> (u16, Value, bool) {
    let mut request = reqwest::Client::new().request(method, app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(idempotency) = idempotency {
        request = request.header("Idempotency-Key", idempotency);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (status, response.json().await.unwrap_or(Value::Null), replayed)
}

fn new_job(reference: &str) -> Value {
    json!({
        "reference": reference,
        "property": { "line1": "12 Quarry Road", "city": "Springfield", "region": "IL", "postal_code": "62704" },
        "appointment": { "starts_at": "2026-12-02T15:00:00Z", "ends_at": "2026-12-02T18:00:00Z", "staff_name": "Morgan Reyes" },
        "services": [{ "name": "Full home inspection", "price_minor": 47500 }],
        "people": [{ "name": "Robin Reed", "email": "robin@example.com", "role": "client" }],
        "send_invitations": true
    })
}

story! { async fn an_integration_creates_and_reads_jobs_with_its_key(app) {
    let owner = app.owner().await;
    let key = create_key(&app, &owner, "Scheduling system", &["jobs:read", "jobs:write"]).await;
    assert!(key.starts_with("ptk_") && key.len() > 40, "{key}");

    let (status, created, replayed) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3001")), Some("order-3001")).await;
    let (again_status, again, again_replayed) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3001")), Some("order-3001")).await;
    let (conflict, error, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3002")), Some("order-3001")).await;

    assert_eq!(status, 201, "{created}");
    assert!(!replayed);
    assert_eq!(created["reference"], "INS-3001");
    assert_eq!(created["property"]["line1"], "12 Quarry Road");
    assert_eq!(created["appointments"][0]["starts_at"], "2026-12-02T15:00:00Z");
    assert_eq!(created["people"][0]["role"], "client");
    assert_eq!((again_status, again_replayed), (201, true), "the retry gets the first answer");
    assert_eq!(again["id"], created["id"], "and creates nothing again");
    assert_eq!(conflict, 409, "{error}");
    assert_eq!(error["error"]["message"], "This Idempotency-Key was used with a different request.");
    let (taken, refusal, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3001")), None).await;
    assert_eq!(taken, 422, "{refusal}");
    assert_eq!(refusal["error"]["details"][0], "There is already a job with the reference INS-3001; give this one its own.");
    let tenant = app.demo_tenant_id().await;
    let jobs = app.server.state.db.jobs(&tenant, 100).await.unwrap();
    assert_eq!(jobs.iter().filter(|j| j.reference == "INS-3001").count(), 1);
    assert!(app.last_mail_to(&tenant, "robin@example.com").await.is_some(), "Robin is invited");

    let id = created["id"].as_str().unwrap();
    let (status, read, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), Some(&key), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(read, created);
}}

story! { async fn jobs_come_in_pages(app) {
    let owner = app.owner().await;
    let key = create_key(&app, &owner, "Reports", &["jobs:read", "jobs:write"]).await;
    for reference in ["INS-4001", "INS-4002"] {
        let (status, _, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job(reference)), None).await;
        assert_eq!(status, 201);
    }

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs?limit=1&cursor={cursor}"), Some(&key), None, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["data"].as_array().unwrap().len() <= 1);
        seen.extend(page["data"].as_array().unwrap().iter().map(|j| j["reference"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }

    assert_eq!(seen.len(), 3, "each job once: {seen:?}");
    assert!(seen.contains(&"INS-1042".to_string()) && seen.contains(&"INS-4001".to_string()));
    let (bad, error, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs?cursor=nonsense", Some(&key), None, None).await;
    assert_eq!(bad, 400);
    assert_eq!(error["error"]["code"], "bad_request");
    let (too_many, _, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs?limit=1000", Some(&key), None, None).await;
    assert_eq!(too_many, 400);
}}

story! { async fn keys_are_scoped_revocable_and_bound_to_their_business(app) {
    let owner = app.owner().await;
    let reader = create_key(&app, &owner, "Dashboard", &["jobs:read"]).await;

    let (no_key, error, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs", None, None, None).await;
    let (wrong, _, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs", Some("ptk_not-a-key"), None, None).await;
    let (read_only, forbidden, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&reader), Some(new_job("INS-5001")), None).await;
    let (invalid, problems, _) = {
        let writer = create_key(&app, &owner, "Writer", &["jobs:write"]).await;
        let mut body = new_job("");
        body["people"][0]["role"] = json!("staff");
        call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&writer), Some(body), None).await
    };

    assert_eq!((no_key, wrong), (401, 401), "{error}");
    assert_eq!(error["error"]["code"], "unauthorized");
    assert_eq!(read_only, 403);
    assert_eq!(forbidden["error"]["message"], "This API key does not have the `jobs:write` scope.");
    assert_eq!(invalid, 422, "{problems}");
    assert_eq!(problems["error"]["details"].as_array().unwrap().len(), 2, "{problems}");

    // Another business's job is not found with this business's key.
    app.other_tenant_client_link().await;
    let db = &app.server.state.db;
    let other = db.tenant_by_slug("brightside").await.unwrap().unwrap();
    let other_job = db.jobs(&other.id, 10).await.unwrap().remove(0).id;
    let (foreign, _, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{other_job}"), Some(&reader), None, None).await;
    assert_eq!(foreign, 404);

    // Revoked on the console: refused from then on.
    let tenant = app.demo_tenant_id().await;
    let key_id = db.api_keys(&tenant).await.unwrap().into_iter().find(|k| k.name == "Dashboard").unwrap().id;
    let page = owner.get(&app.url("/staff/api")).await;
    assert!(page.text().contains("Dashboard") && !page.body.contains(&reader), "the key is never shown again");
    owner.post(&app.url(&format!("/staff/api/keys/{key_id}/revoke")), &[("csrf", &page.hidden("csrf").unwrap())]).await;
    let (revoked, _, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs", Some(&reader), None, None).await;
    assert_eq!(revoked, 401);
    assert_eq!(app.audit_count("api.key-revoked").await, 1);
}}

story! { async fn only_owners_manage_api_keys(app) {
    app.add_staff("office@keystone-inspections.example", "Olive Office", "office", "office-password-1").await;
    let office = app.staff("office@keystone-inspections.example", "office-password-1").await;
    let csrf = office.get(&app.url("/staff")).await.hidden("csrf").unwrap();

    assert_eq!(office.get(&app.url("/staff/api")).await.status, 403);
    assert_eq!(office.post(&app.url("/staff/api"), &[("csrf", &csrf), ("name", "Mine"), ("scope", "jobs:read")]).await.status, 403);
    let tenant = app.demo_tenant_id().await;
    assert!(app.server.state.db.api_keys(&tenant).await.unwrap().iter().all(|k| k.name != "Mine"), "no key made");
}}

story! { async fn the_demo_comes_with_a_working_key(app) {
    let (status, page, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs", Some(&app.links.api_key), None, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"][0]["reference"], "INS-1042");
}}

story! { async fn the_host_serves_its_openapi_document(app) {
    let response = reqwest::get(app.url("/api/openapi.json")).await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["info"]["title"], "Portico API");
    assert!(document["paths"]["/api/v1/jobs"]["post"]["parameters"][0]["name"] == "Idempotency-Key");
}}
