//! E-mail: messages are written to the persisted outbox first (so nothing is
//! lost on a restart or an SMTP outage) and delivered by a worker on every
//! instance (`outbox`), through SMTP with lettre.

mod outbox;

pub use outbox::{OutboxWorker, RetryPolicy};

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

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

/// Turn an outbox row's template and data into a message. The host knows
/// `message` (`subject` and `body` in the data) and `portal-link` (a contact's
/// fresh personal link); tenant-edited templates come with the identity work.
pub fn render(template: &str, data_json: &str) -> Result<Rendered, MailError> {
    #[derive(Deserialize)]
    struct MessageData {
        subject: String,
        body: String,
    }
    #[derive(Deserialize)]
    struct PortalLinkData {
        name: String,
        business: String,
        address: String,
        link: String,
    }
    match template {
        "portal-link" => {
            let data: PortalLinkData = serde_json::from_str(data_json)
                .map_err(|e| MailError::Permanent(format!("template \"portal-link\" data: {e}")))?;
            Ok(Rendered {
                subject: clamp_subject(&format!("Your portal for {}", data.address)),
                body: format!(
                    "Hello {},\n\nHere is your new link to the portal for {}:\n\n{}\n\n\
                     The link is personal; please do not forward it.\n\n{}\n",
                    data.name, data.address, data.link, data.business
                ),
            })
        }
        "message" => {
            let data: MessageData = serde_json::from_str(data_json)
                .map_err(|e| MailError::Permanent(format!("template \"message\" needs subject and body: {e}")))?;
            Ok(Rendered { subject: clamp_subject(&data.subject), body: data.body })
        }
        other => Err(MailError::Permanent(format!("there is no mail template named {other:?}"))),
    }
}

/// Subjects are one trimmed line of at most 200 bytes.
fn clamp_subject(subject: &str) -> String {
    let one_line: String = subject.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    crate::plugins::sanitize::clamp(&one_line, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_template_needs_subject_and_body() {
        let rendered = render("message", r#"{"subject":" Hi ","body":"Your report is ready."}"#).unwrap();
        assert_eq!(rendered, Rendered { subject: "Hi".into(), body: "Your report is ready.".into() });
        assert!(matches!(render("message", r#"{"subject":"x"}"#), Err(MailError::Permanent(_))));
        assert!(matches!(render("nope", "{}"), Err(MailError::Permanent(_))));
    }
}
