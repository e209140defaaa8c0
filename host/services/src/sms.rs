//! Text messages behind a provider: the labelled test provider, which
//! reaches no phone and keeps each text readable in the demo's outbox, or
//! Twilio where the operator configured it. Without a provider the host
//! offers no texts at all.
//!
//! A text is a notification's mail subject in the business's own wording
//! (the template it may have edited), then the link: short enough for one or
//! two SMS segments. The person's STOP reply is the provider's to honour.

use crate::mail::MailError;
use crate::worker::{RetryPolicy, Worker};
use portico_data::Db;
use std::time::Duration;

/// Which provider sends texts.
#[derive(Debug, Clone)]
pub enum SmsConfig {
    /// Reaches no phone: each text is marked sent by `test` and shown in
    /// the demo's outbox. For the demo, development and tests.
    Test,
    /// Twilio's Messages API.
    Twilio(TwilioConfig),
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number (E.164) or messaging service id (`MG…`).
    pub from: String,
    /// `https://api.twilio.com`; another only to test against a stand-in.
    pub api_base: String,
}

impl SmsConfig {
    /// The provider's name, as recorded on each text it sent.
    pub fn name(&self) -> &'static str {
        match self {
            SmsConfig::Test => "test",
            SmsConfig::Twilio(_) => "twilio",
        }
    }
}

/// Sends one text; cheap to clone.
#[derive(Clone)]
pub struct SmsSender {
    config: SmsConfig,
    http: reqwest::Client,
}

impl SmsSender {
    pub fn new(config: SmsConfig) -> SmsSender {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).no_proxy().build().expect("an HTTP client");
        SmsSender { config, http }
    }

    /// Send `body` to `to` (E.164); the provider's id for the text.
    pub async fn send(&self, id: &str, to: &str, body: &str) -> Result<String, MailError> {
        match &self.config {
            SmsConfig::Test => {
                tracing::info!(id, to, chars = body.chars().count(), "text kept by the test provider (no phone reached)");
                Ok(format!("test-{id}"))
            }
            SmsConfig::Twilio(twilio) => {
                let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", twilio.api_base.trim_end_matches('/'), twilio.account_sid);
                let from_field = if twilio.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
                let answer = self
                    .http
                    .post(url)
                    .basic_auth(&twilio.account_sid, Some(&twilio.auth_token))
                    .form(&[("To", to), (from_field, twilio.from.as_str()), ("Body", body)])
                    .send()
                    .await
                    .map_err(|e| MailError::Transient(format!("reaching Twilio: {e}")))?;
                let status = answer.status();
                let reply: serde_json::Value = answer.bytes().await.ok().and_then(|body| serde_json::from_slice(&body).ok()).unwrap_or_default();
                match status.as_u16() {
                    200..=299 => Ok(reply["sid"].as_str().unwrap_or_default().to_string()),
                    // Too many requests, or Twilio's own trouble: later.
                    429 | 500..=599 => Err(MailError::Transient(format!("Twilio answered {status}"))),
                    // A bad number, an unverified sender, a number that sent STOP.
                    _ => Err(MailError::Permanent(format!("Twilio refused the text ({status}): {}", reply["message"].as_str().unwrap_or("no reason given")))),
                }
            }
        }
    }

    pub fn provider(&self) -> &'static str {
        self.config.name()
    }
}

/// The text of a notification: its subject as the business worded it, and
/// its link.
pub async fn text_of(db: &Db, tenant_id: &portico_core::ids::TenantId, template: &str, data_json: &str) -> Result<String, MailError> {
    let rendered = crate::mail::render_for_tenant(db, tenant_id, template, data_json, None).await?;
    let data: serde_json::Value = serde_json::from_str(data_json).unwrap_or_default();
    let link = data["link"].as_str().unwrap_or_default();
    Ok(if link.is_empty() { rendered.subject } else { format!("{}\n{link}", rendered.subject) })
}

/// The text delivery worker of one instance.
pub struct SmsWorker;

impl SmsWorker {
    pub fn spawn(db: Db, sender: SmsSender, policy: RetryPolicy, worker_id: String) -> Worker {
        Worker::spawn(policy.idle_poll, move || {
            let (db, sender, policy, worker_id) = (db.clone(), sender.clone(), policy.clone(), worker_id.clone());
            async move {
                deliver_batch(&db, &sender, &policy, &worker_id).await.unwrap_or_else(|error| {
                    tracing::error!(%error, "text delivery failed");
                    0
                })
            }
        })
    }
}

/// Lease and send one batch; returns how many texts were handled.
async fn deliver_batch(db: &Db, sender: &SmsSender, policy: &RetryPolicy, worker: &str) -> Result<usize, portico_data::DbError> {
    let batch = db.lease_sms(worker, 10, policy.lease_seconds).await?;
    for text in &batch {
        let sent = match text_of(db, &text.tenant_id, &text.template, &text.data_json).await {
            Ok(body) => sender.send(&text.id, &text.to_number, &body).await,
            Err(error) => Err(error),
        };
        let tenant = db.tenant(&text.tenant_id);
        match sent {
            Ok(reference) => tenant.sms_sent(&text.id, worker, sender.provider(), &reference).await?,
            Err(MailError::Permanent(reason)) => {
                tracing::warn!(id = %text.id, %reason, "text cannot be sent; giving up");
                tenant.sms_failed(&text.id, worker, &reason, None).await?;
            }
            Err(MailError::Transient(reason)) => {
                let retry_at = policy.retry_at(text.attempts);
                tracing::warn!(id = %text.id, attempts = text.attempts, %reason, ?retry_at, "text delivery failed");
                tenant.sms_failed(&text.id, worker, &reason, retry_at).await?;
            }
        }
    }
    Ok(batch.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A stand-in for Twilio answering one request with `status` and
    /// `body`; the request it received comes back through the handle.
    async fn stand_in(status: &'static str, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // The head, then as many body bytes as it announces.
            loop {
                let read = stream.read(&mut buffer).await.unwrap();
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text.lines().find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(|n| n.trim().parse::<usize>().unwrap())).unwrap_or(0);
                    if request.len() >= end + 4 + length || read == 0 {
                        break;
                    }
                }
            }
            let answer = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            stream.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&request).to_string()
        });
        (base, handle)
    }

    fn twilio(api_base: String) -> SmsSender {
        SmsSender::new(SmsConfig::Twilio(TwilioConfig { account_sid: "AC123".into(), auth_token: "secret".into(), from: "+15550100".into(), api_base }))
    }

    #[tokio::test]
    async fn twilio_is_sent_the_number_the_sender_and_the_text_with_its_account() {
        let (base, request) = stand_in("201 Created", r#"{"sid":"SM42"}"#).await;
        let sent = twilio(base).send("t1", "+12175550142", "Keystone: the crew is on the way\nhttps://portal.example/jobs/j").await;
        let request = request.await.unwrap();
        assert_eq!(sent.unwrap(), "SM42");
        assert!(request.starts_with("POST /2010-04-01/Accounts/AC123/Messages.json "), "{request}");
        // "AC123:secret" in base64.
        assert!(request.contains("authorization: Basic QUMxMjM6c2VjcmV0") || request.contains("Authorization: Basic QUMxMjM6c2VjcmV0"), "{request}");
        assert!(request.contains("To=%2B12175550142") && request.contains("From=%2B15550100") && request.contains("Body=Keystone%3A+the+crew"), "{request}");
    }

    #[tokio::test]
    async fn a_refused_number_fails_for_good_and_an_outage_is_retried() {
        let (base, _) = stand_in("400 Bad Request", r#"{"message":"The 'To' number is not a valid phone number."}"#).await;
        let refused = twilio(base).send("t2", "+10000000000", "hi").await;
        assert!(matches!(&refused, Err(MailError::Permanent(why)) if why.contains("not a valid phone number")), "{refused:?}");
        let (base, _) = stand_in("503 Service Unavailable", "{}").await;
        assert!(matches!(twilio(base).send("t3", "+12175550142", "hi").await, Err(MailError::Transient(_))));
    }
}
