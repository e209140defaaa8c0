//! A stand-in for Stripe's Checkout Session API, as Stripe documents it:
//! form-encoded requests with a bearer secret key, idempotency keys, JSON
//! objects and `{"error": {…}}` answers; and signed webhooks delivered the way
//! Stripe signs them (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_portico_stand_in";
pub const WEBHOOK_SECRET: &str = "whsec_portico_stand_in";

/// One request Portico made.
#[derive(Debug, Clone)]
pub struct StripeRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub form: Vec<(String, String)>,
}

#[derive(Default)]
struct Books {
    sessions: HashMap<String, Value>,
    /// Idempotency key → the session it created.
    by_key: HashMap<String, String>,
    requests: Vec<StripeRequest>,
    next: u32,
    base_url: String,
}

/// The running stand-in.
#[derive(Clone)]
pub struct FakeStripe {
    pub url: String,
    books: Arc<Mutex<Books>>,
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let books = Arc::new(Mutex::new(Books::default()));
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create))
            .route("/v1/checkout/sessions/{id}", get(retrieve))
            .route("/v1/checkout/sessions/{id}/expire", post(expire))
            // Where `url` sends the client: the stand-in of Stripe's hosted page.
            .route("/c/pay/{id}", get(|Path(id): Path<String>| async move { format!("Stripe Checkout stand-in for {id}") }))
            .with_state(books.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the Stripe stand-in");
        let url = format!("http://{}", listener.local_addr().unwrap());
        books.lock().unwrap().base_url = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeStripe { url, books }
    }

    /// The settings that point Portico at this stand-in.
    pub fn config(&self) -> portico_services::payments::stripe::StripeConfig {
        portico_services::payments::stripe::StripeConfig {
            secret_key: SECRET_KEY.into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            api_base: self.url.clone(),
        }
    }

    pub fn requests(&self) -> Vec<StripeRequest> {
        self.books.lock().unwrap().requests.clone()
    }

    /// Sessions created, in order of creation.
    pub fn sessions(&self) -> Vec<Value> {
        let books = self.books.lock().unwrap();
        let mut sessions: Vec<Value> = books.sessions.values().cloned().collect();
        sessions.sort_by_key(|s| s["created"].as_i64());
        sessions
    }

    pub fn session(&self, id: &str) -> Value {
        self.books.lock().unwrap().sessions[id].clone()
    }

    /// The client pays on Stripe's page (or, with `paid: false`, starts a bank
    /// payment that settles later). Returns the session as it now stands.
    pub fn complete(&self, id: &str, paid: bool) -> Value {
        let mut books = self.books.lock().unwrap();
        let session = books.sessions.get_mut(id).expect("a session");
        session["status"] = "complete".into();
        session["payment_status"] = if paid { "paid" } else { "unpaid" }.into();
        session["payment_intent"] = format!("pi_{}", id.trim_start_matches("cs_test_")).into();
        session.clone()
    }

    /// Stripe's event envelope around `object`.
    pub fn event(id: &str, kind: &str, object: Value) -> String {
        json!({
            "id": id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": now(),
            "livemode": false,
            "pending_webhooks": 1,
            "type": kind,
            "data": { "object": object },
        })
        .to_string()
    }

    /// A `charge.refunded` event's charge for a completed session.
    pub fn refunded_charge(session: &Value, refunded: i64) -> Value {
        let amount = session["amount_total"].as_i64().unwrap();
        json!({
            "id": format!("ch_{}", session["id"].as_str().unwrap()),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": refunded,
            "refunded": refunded >= amount,
            "payment_intent": session["payment_intent"],
            "metadata": session["payment_intent_data_metadata"],
        })
    }

    /// The `Stripe-Signature` header for `body` signed at `timestamp`.
    pub fn signature(body: &str, timestamp: i64, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{body}").as_bytes());
        format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Deliver a webhook to Portico as Stripe would: signed now with the
    /// endpoint's secret. Returns the HTTP status.
    pub async fn deliver(app_url: &str, body: &str) -> u16 {
        Self::deliver_signed(app_url, body, &Self::signature(body, now(), WEBHOOK_SECRET)).await
    }

    pub async fn deliver_signed(app_url: &str, body: &str, signature: &str) -> u16 {
        reqwest::Client::new()
            .post(format!("{app_url}/webhooks/stripe"))
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(body.to_string())
            .send()
            .await
            .expect("webhook answered")
            .status()
            .as_u16()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "type": "invalid_request_error", "message": message } }))).into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {SECRET_KEY}"))
}

fn record(books: &mut Books, method: &str, path: &str, headers: &HeaderMap, form: Vec<(String, String)>) {
    let idempotency_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    books.requests.push(StripeRequest { method: method.into(), path: path.into(), idempotency_key, form });
}

async fn create(State(books): State<Arc<Mutex<Books>>>, headers: HeaderMap, body: String) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let mut books = books.lock().unwrap();
    record(&mut books, "POST", "/v1/checkout/sessions", &headers, form.clone());
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(existing) = key.as_ref().and_then(|key| books.by_key.get(key)) {
        // Stripe replays the first answer for a repeated idempotency key.
        return Json(books.sessions[existing].clone()).into_response();
    }
    let (Some(success_url), Some(amount), Some(quantity)) =
        (field("success_url"), field("line_items[0][price_data][unit_amount]"), field("line_items[0][quantity]"))
    else {
        return error(StatusCode::BAD_REQUEST, "Missing required param: line_items or success_url.");
    };
    let amount_total = amount.parse::<i64>().unwrap_or(0) * quantity.parse::<i64>().unwrap_or(0);
    let prefixed = |prefix: &str| -> Value {
        form.iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(']')).map(|name| (name.to_string(), Value::from(v.clone()))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    books.next += 1;
    let id = format!("cs_test_{:04}", books.next);
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "created": now() * 1000 + books.next as i64,
        "mode": field("mode"),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": amount_total,
        "currency": field("line_items[0][price_data][currency]"),
        "client_reference_id": field("client_reference_id"),
        "customer_email": field("customer_email"),
        "success_url": success_url,
        "cancel_url": field("cancel_url"),
        "expires_at": field("expires_at").and_then(|v| v.parse::<i64>().ok()),
        "metadata": prefixed("metadata["),
        // Not part of Stripe's session object: kept here to build the charge's metadata.
        "payment_intent_data_metadata": prefixed("payment_intent_data[metadata]["),
        "payment_intent": null,
        "url": format!("{}/c/pay/{id}", books.base_url),
    });
    books.sessions.insert(id.clone(), session.clone());
    if let Some(key) = key {
        books.by_key.insert(key, id);
    }
    Json(session).into_response()
}

async fn retrieve(State(books): State<Arc<Mutex<Books>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut books = books.lock().unwrap();
    record(&mut books, "GET", &format!("/v1/checkout/sessions/{id}"), &headers, Vec::new());
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    match books.sessions.get(&id) {
        Some(session) => Json(session.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("No such checkout.session: '{id}'")),
    }
}

async fn expire(State(books): State<Arc<Mutex<Books>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut books = books.lock().unwrap();
    record(&mut books, "POST", &format!("/v1/checkout/sessions/{id}/expire"), &headers, Vec::new());
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let Some(session) = books.sessions.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, &format!("No such checkout.session: '{id}'"));
    };
    if session["status"] != "open" {
        return error(StatusCode::BAD_REQUEST, "Only Checkout Sessions with a status in [\"open\"] can be expired.");
    }
    session["status"] = "expired".into();
    Json(session.clone()).into_response()
}
