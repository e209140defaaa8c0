//! E-mail: messages are written to the persisted outbox first (so nothing is
//! lost on a restart or an SMTP outage) and delivered by a worker on every
//! instance (`outbox`), through SMTP with lettre.

mod outbox;
pub mod templates;

pub use outbox::{OutboxWorker, RetryPolicy};
pub use templates::render;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message cannot be built; retrying will not help.
    #[error("{0}")]
    Permanent(String),
    /// The SMTP server did not take it; retrying later may.
    #[error("SMTP: {0}")]
    Transient(String),
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://user:password@host:587?tls=required`, `smtps://…:465`, or
    /// `smtp://host:25` (plain, for a local relay).
    pub smtp_url: String,
    /// The sender, such as `Portico <portal@example.com>`.
    pub from: String,
}

/// Sends rendered messages over SMTP.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| MailError::Permanent(format!("bad SMTP URL: {e}")))?
            .build();
        let from = config.from.parse().map_err(|e| MailError::Permanent(format!("bad sender {:?}: {e}", config.from)))?;
        Ok(Mailer { transport, from })
    }

    /// Send one message, identified by `message_id` so that receivers can
    /// recognise a retry of the same message.
    pub async fn send(&self, message_id: &str, to: &str, rendered: &Rendered) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|e| MailError::Permanent(format!("bad recipient {to:?}: {e}")))?;
        let domain = self.from.email.domain().to_string();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .message_id(Some(format!("<{message_id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body.clone())
            .map_err(|e| MailError::Permanent(format!("building the message: {e}")))?;
        self.transport.send(message).await.map_err(|e| MailError::Transient(e.to_string()))?;
        Ok(())
    }
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Render a queued message as it will be sent: in the tenant's wording when
/// it has one, with the tenant's name as `business`.
pub async fn render_for_tenant(db: &crate::db::Db, tenant_id: &str, template: &str, data_json: &str) -> Result<Rendered, MailError> {
    let unavailable = |e: crate::db::DbError| MailError::Transient(format!("reading the template: {e}"));
    let business = db.tenant(tenant_id).await.map_err(unavailable)?.map(|tenant| tenant.name).unwrap_or_default();
    let custom = db.mail_template(tenant_id, template).await.map_err(unavailable)?;
    render(template, data_json, &business, custom.as_ref())
}

/// Subjects are one trimmed line of at most 200 bytes.
fn clamp_subject(subject: &str) -> String {
    let one_line: String = subject.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    crate::plugins::sanitize::clamp(&one_line, 200)
}
