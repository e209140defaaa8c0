//! A receiving system for Portico's outgoing webhooks: records every request
//! and answers each with the next scripted status (200 once the script is
//! used up). `verify` checks a signature independently of Portico's code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub headers: HeaderMap,
    pub body: String,
}

impl Delivered {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn kind(&self) -> String {
        self.header("portico-event-type")
    }

    /// Whether `Portico-Signature` is HMAC-SHA256 of "t.body" under `secret`,
    /// signed within five minutes.
    pub fn verify(&self, secret: &str) -> bool {
        let signature = self.header("portico-signature");
        let mut parts = signature.split(',').filter_map(|p| p.split_once('='));
        let (Some(("t", t)), Some(("v1", v1))) = (parts.next(), parts.next()) else { return false };
        let Ok(timestamp) = t.parse::<i64>() else { return false };
        if (crate::stripe::now() - timestamp).abs() > 300 {
            return false;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(self.body.as_bytes());
        hex::decode(v1).map(|given| mac.verify_slice(&given).is_ok()).unwrap_or(false)
    }
}

#[derive(Default)]
struct Inbox {
    received: Vec<Delivered>,
    script: VecDeque<u16>,
}

/// The running receiver; its endpoint is `url`.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inbox: Arc<Mutex<Inbox>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let app = Router::new().route("/hooks/portico", post(receive)).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let url = format!("http://{}/hooks/portico", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, inbox }
    }

    /// Answer the next requests with these statuses.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inbox.lock().unwrap().script.extend(statuses);
    }

    pub fn received(&self) -> Vec<Delivered> {
        self.inbox.lock().unwrap().received.clone()
    }

    /// Wait (up to 20 s) until `count` requests arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Delivered> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {count} webhook requests, got {:?}", self.received().iter().map(Delivered::kind).collect::<Vec<_>>());
    }
}

async fn receive(State(inbox): State<Arc<Mutex<Inbox>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut inbox = inbox.lock().unwrap();
    inbox.received.push(Delivered { headers, body: String::from_utf8_lossy(&body).into_owned() });
    let status = inbox.script.pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

/// Webhook settings for stories: endpoints on this machine allowed, a
/// retry a second after a failure, quick polling, `max_attempts` attempts.
pub fn configure(config: &mut portico_web::app::Config, max_attempts: i64) {
    config.webhooks.allow_private_targets = true;
    config.webhooks.retry.first_delay_seconds = 1;
    config.webhooks.retry.max_delay_seconds = 1;
    config.webhooks.retry.max_attempts = max_attempts;
    config.webhooks.retry.idle_poll = Duration::from_millis(100);
}
