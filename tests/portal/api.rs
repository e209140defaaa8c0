//! The REST API: keys created and revoked by the owner, scopes, pages of
//! jobs, a job read, a job created with an Idempotency-Key, and the OpenAPI
//! document the host serves.

use portico_tests::{TestApp, Visitor};
use serde_json::{json, Value};

/// Create an API key on the console with `scopes`; returns the key shown once.
pub(crate) async fn create_key(app: &TestApp, owner: &Visitor, name: &str, scopes: &[&str]) -> String {
    let page = owner.get(&app.url("/staff/api")).await;
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str()), ("name", name)];
    form.extend(scopes.iter().map(|s| ("scope", *s)));
    let created = owner.post(&app.url("/staff/api"), &form).await;
    let start = created.body.find("value=\"ptk_").expect("the key is shown once") + "value=\"".len();
    created.body[start..].chars().take_while(|c| *c != '"').collect()
}

pub(crate) async fn call(app: &TestApp, method: reqwest::Method, path: &str, key: Option<&str>, body: Option<Value>, idempotency: Option<&str>) -> (u16, Value, bool) {
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
    let jobs = app.server.state.db.tenant(&tenant).jobs(100).await.unwrap();
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
    let other_job = db.tenant(&other.id).jobs(10).await.unwrap().remove(0).id;
    let (foreign, _, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{other_job}"), Some(&reader), None, None).await;
    assert_eq!(foreign, 404);

    // Revoked on the console: refused from then on.
    let tenant = app.demo_tenant_id().await;
    let key_id = db.tenant(&tenant).api_keys().await.unwrap().into_iter().find(|k| k.name == "Dashboard").unwrap().id;
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
    assert!(app.server.state.db.tenant(&tenant).api_keys().await.unwrap().iter().all(|k| k.name != "Mine"), "no key made");
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

story! { async fn an_integration_manages_a_jobs_people_services_invoice_and_documents(app) {
    let owner = app.owner().await;
    let key = create_key(&app, &owner, "Scheduling system", &["jobs:read", "jobs:write"]).await;
    let (_, job, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3101")), None).await;
    let id = job["id"].as_str().unwrap().to_string();
    let post = |path: String, body: Value, idempotency: Option<&'static str>| {
        let (app, key) = (&app, key.clone());
        async move { call(app, reqwest::Method::POST, &path, Some(&key), Some(body), idempotency).await }
    };

    let (patched, changed, _) = call(&app, reqwest::Method::PATCH, &format!("/api/v1/jobs/{id}"), Some(&key),
        Some(json!({ "reference": "INS-3101A", "appointment": null })), None).await;
    let (bad_patch, refused, _) = call(&app, reqwest::Method::PATCH, &format!("/api/v1/jobs/{id}"), Some(&key),
        Some(json!({ "property": { "line1": "", "city": "Springfield" } })), None).await;
    let (person_status, person, _) = post(format!("/api/v1/jobs/{id}/people"), json!({ "name": "Sky Seller", "role": "listing-agent", "email": "sky@realty.example" }), Some("sky-1")).await;
    let (_, again, replayed) = post(format!("/api/v1/jobs/{id}/people"), json!({ "name": "Sky Seller", "role": "listing-agent", "email": "sky@realty.example" }), Some("sky-1")).await;
    let (service_status, service, _) = post(format!("/api/v1/jobs/{id}/services"), json!({ "name": "Sewer scope", "price_minor": 22500 }), None).await;
    let (invoice_status, invoice, _) = post(format!("/api/v1/jobs/{id}/invoices"), json!({}), Some("invoice-3101")).await;
    let (second_invoice, _, _) = post(format!("/api/v1/jobs/{id}/invoices"), json!({}), None).await;
    let invoice_id = invoice["id"].as_str().unwrap_or_default().to_string();
    let (line_status, with_fee, _) = post(format!("/api/v1/jobs/{id}/invoices/{invoice_id}/lines"), json!({ "kind": "fee", "description": "Travel", "amount_minor": 3500 }), Some("fee-3101")).await;
    let (bad_line, _, _) = post(format!("/api/v1/jobs/{id}/invoices/{invoice_id}/lines"), json!({ "kind": "tip", "description": "X", "amount_minor": 1 }), None).await;
    let (void_status, voided, _) = post(format!("/api/v1/jobs/{id}/invoices/{invoice_id}/void"), json!({}), None).await;
    let upload = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/jobs/{id}/documents?kind=report&title=Inspection%20report&visible_to=client")))
        .bearer_auth(&key)
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.7\n% a report\n".to_vec())
        .send()
        .await
        .unwrap();
    let upload_status = upload.status().as_u16();
    let document: Value = upload.json().await.unwrap();
    let (html_status, html, _) = {
        let response = reqwest::Client::new()
            .post(app.url(&format!("/api/v1/jobs/{id}/documents?kind=report&title=X&visible_to=client")))
            .bearer_auth(&key)
            .body("<html><script>alert(1)</script>")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json::<Value>().await.unwrap(), ())
    };
    let (published_status, published, _) = post(format!("/api/v1/jobs/{id}/documents/{}/publish", document["id"].as_str().unwrap()), json!({}), None).await;
    let removed_service = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/jobs/{id}/services/{}", service["id"].as_str().unwrap())))
        .bearer_auth(&key).send().await.unwrap().status().as_u16();
    let removed_person = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/jobs/{id}/people/{}", person["id"].as_str().unwrap())))
        .bearer_auth(&key).send().await.unwrap().status().as_u16();
    let removed_twice = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/jobs/{id}/people/{}", person["id"].as_str().unwrap())))
        .bearer_auth(&key).send().await.unwrap().status().as_u16();
    let (_, read, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), Some(&key), None, None).await;
    let (_, listed, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{id}/documents"), Some(&key), None, None).await;

    assert_eq!(patched, 200, "{changed}");
    assert_eq!(changed["reference"], "INS-3101A");
    assert_eq!(changed["appointments"], json!([]), "null removes the appointment");
    assert_eq!(changed["property"]["line1"], "12 Quarry Road", "what was not sent is kept");
    assert_eq!(bad_patch, 422);
    assert!(refused["error"]["details"][0].as_str().unwrap().contains("property.line1"), "{refused}");
    assert_eq!(person_status, 201, "{person}");
    assert_eq!(person["role"], "listing-agent");
    assert!(replayed && again["id"] == person["id"], "the retry added nobody");
    assert_eq!(service_status, 201, "{service}");
    assert_eq!(invoice_status, 201, "{invoice}");
    assert_eq!(invoice["total_minor"], 47500 + 22500);
    assert_eq!(invoice["lines"].as_array().unwrap().len(), 2);
    assert_eq!(second_invoice, 422);
    assert_eq!(line_status, 201, "{with_fee}");
    assert_eq!(with_fee["total_minor"], 47500 + 22500 + 3500);
    assert_eq!(bad_line, 422);
    assert_eq!(void_status, 200, "{voided}");
    assert_eq!(voided["status"], "void");
    assert_eq!(upload_status, 201, "{document}");
    assert_eq!(document["content_type"], "application/pdf");
    assert_eq!(document["published_at"], Value::Null);
    assert_eq!(html_status, 422);
    assert!(html["error"]["message"].as_str().unwrap().contains("PDF"), "{html}");
    assert_eq!(published_status, 200);
    assert!(published["published_at"].is_string());
    assert_eq!((removed_service, removed_person, removed_twice), (204, 204, 404));
    assert_eq!(read["services"].as_array().unwrap().len(), 1);
    assert_eq!(read["people"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}}

story! { async fn a_read_only_key_cannot_change_a_job_and_another_business_sees_none_of_it(app) {
    let owner = app.owner().await;
    let reader = create_key(&app, &owner, "Reporting", &["jobs:read"]).await;
    let (job, _) = app.demo_invoice().await;

    let (patch, _, _) = call(&app, reqwest::Method::PATCH, &format!("/api/v1/jobs/{job}"), Some(&reader), Some(json!({ "reference": "X" })), None).await;
    let (add, _, _) = call(&app, reqwest::Method::POST, &format!("/api/v1/jobs/{job}/services"), Some(&reader), Some(json!({ "name": "Free", "price_minor": 0 })), None).await;
    let (invoices, listed, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{job}/invoices"), Some(&reader), None, None).await;
    let (missing, _, _) = call(&app, reqwest::Method::GET, "/api/v1/jobs/no-such-job/documents", Some(&reader), None, None).await;

    assert_eq!((patch, add), (403, 403));
    assert_eq!(invoices, 200);
    assert_eq!(listed["data"][0]["currency"], "USD");
    assert_eq!(missing, 404);
    let tenant = app.demo_tenant_id().await;
    assert_eq!(app.server.state.db.tenant(&tenant).services(&job).await.unwrap().len(), 2, "unchanged");
}}

story! { async fn an_integration_corrects_a_person(app) {
    let owner = app.owner().await;
    let key = create_key(&app, &owner, "CRM", &["jobs:read", "jobs:write"]).await;
    let (_, job, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3201")), None).await;
    let id = job["id"].as_str().unwrap();
    let robin = job["people"][0]["id"].as_str().unwrap();
    let person = format!("/api/v1/jobs/{id}/people/{robin}");

    let (renamed, body, _) = call(&app, reqwest::Method::PATCH, &person, Some(&key), Some(json!({ "name": "Robin Reed-Lane", "phone": "555-0100" })), None).await;
    let (cleared, cleared_body, _) = call(&app, reqwest::Method::PATCH, &person, Some(&key), Some(json!({ "email": null })), None).await;
    let (only_client, refused, _) = call(&app, reqwest::Method::PATCH, &person, Some(&key), Some(json!({ "role": "co-client" })), None).await;
    let (unknown, _, _) = call(&app, reqwest::Method::PATCH, &format!("/api/v1/jobs/{id}/people/nobody"), Some(&key), Some(json!({ "name": "X" })), None).await;
    let (_, read, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), Some(&key), None, None).await;

    assert_eq!(renamed, 200, "{body}");
    assert_eq!((body["name"].as_str(), body["email"].as_str()), (Some("Robin Reed-Lane"), Some("robin@example.com")), "what was not sent is kept");
    assert_eq!(cleared, 200);
    assert_eq!(cleared_body["email"], Value::Null);
    assert_eq!(only_client, 422);
    assert!(refused["error"]["message"].as_str().unwrap().contains("only client"), "{refused}");
    assert_eq!(unknown, 404);
    assert_eq!(read["people"][0]["name"], "Robin Reed-Lane");
    assert_eq!(read["people"][0]["email"], Value::Null);
}}

// Found by schemathesis once the document was derived from the types (a
// person added twice answered 500, a JSON array was read as a job change) and
// by review (two people with one e-mail on a new job answered 500).
story! { async fn the_same_person_twice_or_a_body_that_is_no_object_is_refused_plainly(app) {
    let owner = app.owner().await;
    let key = create_key(&app, &owner, "CRM", &["jobs:read", "jobs:write"]).await;
    let (_, job, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(new_job("INS-3301")), None).await;
    let id = job["id"].as_str().unwrap();
    let people = format!("/api/v1/jobs/{id}/people");
    let casey = json!({ "name": "Casey Cole", "email": "casey@example.com", "role": "buyer-agent" });

    let (added, _, _) = call(&app, reqwest::Method::POST, &people, Some(&key), Some(casey.clone()), None).await;
    let (again, refused, _) = call(&app, reqwest::Method::POST, &people, Some(&key), Some(casey), None).await;
    let (array, not_object, _) = call(&app, reqwest::Method::PATCH, &format!("/api/v1/jobs/{id}"), Some(&key), Some(json!([null, null])), None).await;
    let (_, read, _) = call(&app, reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), Some(&key), None, None).await;
    let mut twins = new_job("INS-3302");
    twins["people"].as_array_mut().unwrap().push(json!({ "name": "Robin R.", "email": "ROBIN@example.com", "role": "co-client" }));
    let (twice_on_create, twice_refused, _) = call(&app, reqwest::Method::POST, "/api/v1/jobs", Some(&key), Some(twins), None).await;

    assert_eq!(added, 201);
    assert_eq!(twice_on_create, 422, "one e-mail, one person: {twice_refused}");
    assert!(twice_refused["error"]["message"].as_str().unwrap().contains("robin@example.com is on this job already"), "{twice_refused}");
    assert_eq!(again, 422, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("casey@example.com is on this job already"), "{refused}");
    assert_eq!(array, 400, "{not_object}");
    assert!(not_object["error"]["message"].as_str().unwrap().contains("a JSON object is expected"), "{not_object}");
    assert_eq!(read["people"].as_array().unwrap().len(), 2, "Casey is on the job once: {read}");
    assert_eq!(read["reference"], "INS-3301");
}}
