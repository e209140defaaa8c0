//! Stripe Checkout: creating, fetching and expiring Checkout Sessions through
//! Stripe's HTTP API, verifying webhook signatures as Stripe signs them, and
//! reading what an event says about a payment.
//!
//! Only the handful of fields Portico needs are read; everything else in
//! Stripe's objects is ignored, so API additions do not break us.

use portico_data::PaymentNews;
use portico_core::money::PaymentStatus;
use serde::Deserialize;
use std::collections::HashMap;
use subtle::ConstantTimeEq;
use std::time::Duration;

/// The metadata key that carries our payment id through Stripe.
pub const PAYMENT_ID_KEY: &str = "portico_payment";
/// How far a webhook's timestamp may be from our clock (Stripe's own default).
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// The operator's Stripe settings.
#[derive(Clone)]
pub struct StripeConfig {
    /// `sk_live_…` or `sk_test_…`.
    pub secret_key: String,
    /// The webhook endpoint's signing secret, `whsec_…`.
    pub webhook_secret: String,
    /// `https://api.stripe.com` unless testing against a stand-in.
    pub api_base: String,
}

impl std::fmt::Debug for StripeConfig {
    // Never print the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig").field("api_base", &self.api_base).finish_non_exhaustive()
    }
}

/// Why a Stripe call failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error("could not reach Stripe: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("Stripe answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("Stripe's answer did not parse: {0}")]
    Decode(String),
}

/// What we ask Stripe to charge.
pub struct CheckoutRequest<'a> {
    pub payment_id: &'a str,
    pub tenant_id: &'a str,
    pub description: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub customer_email: Option<&'a str>,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub expires_at: i64,
    pub connected_account: Option<&'a str>,
}

/// The parts of a Checkout Session we read.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    #[serde(default)]
    pub payment_status: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// A Stripe API client for Checkout.
pub struct Stripe {
    config: StripeConfig,
    http: reqwest::Client,
}

impl Stripe {
    pub fn new(config: StripeConfig) -> Result<Stripe, StripeError> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
        Ok(Stripe { config, http })
    }

    pub fn webhook_secret(&self) -> &str {
        &self.config.webhook_secret
    }

    /// Create a Checkout Session. The idempotency key is our payment id, so a
    /// retried or doubled request gets the same session back from Stripe.
    pub async fn create_checkout(&self, request: &CheckoutRequest<'_>) -> Result<CheckoutSession, StripeError> {
        let mut form: Vec<(&str, String)> = vec![
            ("mode", "payment".into()),
            ("success_url", request.success_url.into()),
            ("cancel_url", request.cancel_url.into()),
            ("client_reference_id", request.payment_id.into()),
            ("expires_at", request.expires_at.to_string()),
            ("line_items[0][quantity]", "1".into()),
            ("line_items[0][price_data][currency]", request.currency.to_ascii_lowercase()),
            ("line_items[0][price_data][unit_amount]", request.amount_minor.to_string()),
            ("line_items[0][price_data][product_data][name]", request.description.into()),
            ("metadata[portico_payment]", request.payment_id.into()),
            ("metadata[portico_tenant]", request.tenant_id.into()),
            // Refund events name the payment intent; this lets them name us too.
            ("payment_intent_data[metadata][portico_payment]", request.payment_id.into()),
        ];
        if let Some(email) = request.customer_email {
            form.push(("customer_email", email.into()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let call = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.base()))
            .header("Idempotency-Key", format!("checkout-{}", request.payment_id))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(call, request.connected_account).await
    }

    /// Fetch a Checkout Session as Stripe knows it now.
    pub async fn retrieve_checkout(&self, id: &str, connected_account: Option<&str>) -> Result<CheckoutSession, StripeError> {
        let call = self.http.get(format!("{}/v1/checkout/sessions/{}", self.base(), encode_segment(id)));
        self.send(call, connected_account).await
    }

    /// Expire an open Checkout Session so it can no longer be paid.
    pub async fn expire_checkout(&self, id: &str, connected_account: Option<&str>) -> Result<CheckoutSession, StripeError> {
        let call = self.http.post(format!("{}/v1/checkout/sessions/{}/expire", self.base(), encode_segment(id)));
        self.send(call, connected_account).await
    }

    fn base(&self) -> &str {
        self.config.api_base.trim_end_matches('/')
    }

    async fn send(&self, call: reqwest::RequestBuilder, connected_account: Option<&str>) -> Result<CheckoutSession, StripeError> {
        let mut call = call.bearer_auth(&self.config.secret_key);
        if let Some(account) = connected_account {
            call = call.header("Stripe-Account", account);
        }
        let response = call.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            #[derive(Deserialize)]
            struct Envelope {
                error: ApiError,
            }
            #[derive(Deserialize)]
            struct ApiError {
                #[serde(default)]
                message: String,
            }
            let message = serde_json::from_str::<Envelope>(&text).map(|e| e.error.message).unwrap_or(text);
            return Err(StripeError::Api { status: status.as_u16(), message });
        }
        serde_json::from_str(&text).map_err(|e| StripeError::Decode(e.to_string()))
    }
}

fn encode_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Why a webhook's signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the {SIGNATURE_TOLERANCE_SECONDS}-second tolerance")]
    Stale,
    #[error("no v1 signature matches the body")]
    Mismatch,
}

/// Check a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) against the raw
/// body: HMAC-SHA256 of `{t}.{body}` with the endpoint secret, compared in
/// constant time with every `v1` value (Stripe sends several while a secret
/// is being rolled), and a timestamp within the tolerance of `now`.
pub fn verify_signature(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => candidates.push(value),
            _ => {}
        }
    }
    let (Some(timestamp), false) = (timestamp, candidates.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    if (now - timestamp).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = portico_core::tokens::timestamped_signature(secret, timestamp, body);
    // Constant-time comparison with each candidate (a length mismatch is
    // simply unequal).
    let matches = candidates
        .iter()
        .filter_map(|hex_value| hex::decode(hex_value).ok())
        .any(|given| bool::from(given.as_slice().ct_eq(&expected[..])));
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A Stripe event, as far as Portico reads it.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
    /// The connected account the event happened on, for Connect.
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

/// Which of our payments an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A Checkout Session, by Stripe's id.
    Checkout(String),
    /// A charge: by our payment id from the metadata when present, else the
    /// payment intent.
    Charge { payment_id: Option<String>, payment_intent: Option<String> },
}

/// What an event says, or `None` for events Portico does not act on.
pub fn read_event(event: &Event) -> Option<(Subject, PaymentNews)> {
    let object = &event.data.object;
    match event.kind.as_str() {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => {
            let session: CheckoutSession = serde_json::from_value(object.clone()).ok()?;
            let mut news = news_of_session(&session);
            if event.kind == "checkout.session.async_payment_failed" {
                news.status = Some(PaymentStatus::Failed);
            }
            Some((Subject::Checkout(session.id), news))
        }
        "charge.refunded" => {
            let text = |key: &str| object.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let amount = |key: &str| object.get(key).and_then(|v| v.as_i64());
            let captured = amount("amount_captured").or_else(|| amount("amount"));
            let refunded = amount("amount_refunded").unwrap_or(0);
            let fully = object.get("refunded").and_then(|v| v.as_bool()).unwrap_or(false)
                || captured.is_some_and(|captured| refunded >= captured);
            let news = PaymentNews {
                // A refund proves the payment succeeded, whatever came first.
                status: Some(if fully { PaymentStatus::Refunded } else { PaymentStatus::Succeeded }),
                captured_minor: captured,
                refunded_minor: Some(refunded),
                payment_ref: text("payment_intent"),
                decided_by: None,
            };
            let payment_id = object.pointer(&format!("/metadata/{PAYMENT_ID_KEY}")).and_then(|v| v.as_str()).map(str::to_string);
            Some((Subject::Charge { payment_id, payment_intent: text("payment_intent") }, news))
        }
        _ => None,
    }
}

/// What a Checkout Session's state means for its payment.
pub fn news_of_session(session: &CheckoutSession) -> PaymentNews {
    let status = match (session.status.as_deref(), session.payment_status.as_deref()) {
        (Some("complete"), Some("paid" | "no_payment_required")) => Some(PaymentStatus::Succeeded),
        (Some("complete"), _) => Some(PaymentStatus::Processing),
        (Some("expired"), _) => Some(PaymentStatus::Expired),
        _ => None,
    };
    PaymentNews {
        status,
        captured_minor: (status == Some(PaymentStatus::Succeeded)).then_some(session.amount_total).flatten(),
        refunded_minor: None,
        payment_ref: session.payment_intent.clone(),
        decided_by: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn signatures_are_checked_as_stripe_signs_them() {
        let body = br#"{"id":"evt_1"}"#;
        let good = sign("whsec_test", 1_000, body);
        let header = format!("t=1000,v1={good}");
        assert_eq!(verify_signature(&header, body, "whsec_test", 1_010), Ok(()));
        // Several v1 values while a secret rolls; any one may match.
        let rolled = format!("t=1000,v1={},v1={good},v0=ignored", sign("whsec_old", 1_000, body));
        assert_eq!(verify_signature(&rolled, body, "whsec_test", 1_000), Ok(()));
        assert_eq!(verify_signature(&header, b"{\"id\":\"evt_2\"}", "whsec_test", 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(&header, body, "whsec_other", 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(&header, body, "whsec_test", 1_000 + 301), Err(SignatureError::Stale));
        assert_eq!(verify_signature(&header, body, "whsec_test", 1_000 - 301), Err(SignatureError::Stale));
        assert_eq!(verify_signature("v1=abc", body, "whsec_test", 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify_signature("t=1000", body, "whsec_test", 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify_signature("t=1000,v1=zz", body, "whsec_test", 1_000), Err(SignatureError::Mismatch));
    }

    #[test]
    fn sessions_and_refunds_become_news() {
        let session = |status: &str, paid: &str| CheckoutSession {
            id: "cs_1".into(),
            url: None,
            status: Some(status.into()),
            payment_status: Some(paid.into()),
            payment_intent: Some("pi_1".into()),
            amount_total: Some(500),
            expires_at: None,
            metadata: HashMap::new(),
        };
        assert_eq!(news_of_session(&session("complete", "paid")).status, Some(PaymentStatus::Succeeded));
        assert_eq!(news_of_session(&session("complete", "paid")).captured_minor, Some(500));
        assert_eq!(news_of_session(&session("complete", "unpaid")).status, Some(PaymentStatus::Processing));
        assert_eq!(news_of_session(&session("expired", "unpaid")).status, Some(PaymentStatus::Expired));
        assert_eq!(news_of_session(&session("open", "unpaid")).status, None);

        let refund: Event = serde_json::from_value(serde_json::json!({
            "id": "evt_r", "type": "charge.refunded",
            "data": {"object": {"id": "ch_1", "amount": 500, "amount_captured": 500, "amount_refunded": 200,
                                "refunded": false, "payment_intent": "pi_1", "metadata": {"portico_payment": "p1"}}}
        }))
        .unwrap();
        let (subject, news) = read_event(&refund).unwrap();
        assert_eq!(subject, Subject::Charge { payment_id: Some("p1".into()), payment_intent: Some("pi_1".into()) });
        assert_eq!((news.status, news.refunded_minor), (Some(PaymentStatus::Succeeded), Some(200)));
    }
}
