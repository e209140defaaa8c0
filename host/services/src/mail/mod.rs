//! E-mail: messages are written to the persisted outbox first (so nothing is
//! lost on a restart or an SMTP outage) and delivered by a worker on every
//! instance (`outbox`), through SMTP with lettre.

mod html;
mod outbox;
pub mod templates;

pub use crate::worker::RetryPolicy;
pub use outbox::OutboxWorker;
pub use templates::render;

use portico_core::ids::TenantId;
use portico_core::notifications::NotificationKind;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
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
        // The operator's address, in the business's name: "Keystone Home
        // Inspections <portal@…>"; replies go to the business.
        let from = match &rendered.sender_name {
            Some(name) => Mailbox::new(Some(name.clone()), self.from.email.clone()),
            None => self.from.clone(),
        };
        let mut builder = Message::builder().from(from);
        if let Some(reply_to) = rendered.reply_to.as_ref().and_then(|address| address.parse::<Mailbox>().ok()) {
            builder = builder.reply_to(reply_to);
        }
        let mut builder = builder.to(to).subject(rendered.subject.clone()).message_id(Some(format!("<{message_id}@{domain}>")));
        if let Some(url) = &rendered.unsubscribe {
            // RFC 2369 and RFC 8058: the mail client's own "Unsubscribe" button
            // posts `List-Unsubscribe=One-Click` to this address.
            builder = builder.header(ListUnsubscribe(url.clone())).header(ListUnsubscribePost);
        }
        // Plain text first, then the HTML part: clients show the last part they can.
        let message = match &rendered.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(rendered.body.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(rendered.body.clone()),
        }
        .map_err(|e| MailError::Permanent(format!("building the message: {e}")))?;
        self.transport.send(message).await.map_err(|e| MailError::Transient(e.to_string()))?;
        Ok(())
    }
}

/// `List-Unsubscribe: <url>`.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(value.trim().trim_start_matches('<').trim_end_matches('>').to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    /// The same message as HTML, sent beside the text (`html`).
    pub html: Option<String>,
    /// The business, as the sender's display name ("Keystone Home Inspections").
    pub sender_name: Option<String>,
    /// Where replies go: the business's support address.
    pub reply_to: Option<String>,
    /// A notification's page of choices, for the one-click unsubscribe headers.
    pub unsubscribe: Option<String>,
}

/// The key of a notification's data that holds the link to the recipient's
/// choices. The host puts it there; only notification kinds use it.
pub const UNSUBSCRIBE: &str = "_unsubscribe";

/// Render a queued message as it will be sent: in the tenant's wording when
/// it has one, with the tenant's name as `business`, sent in the business's
/// name, answered to its support address, and signed with its support
/// contact. A message a section queued (`section`, its name) says so: the
/// section chose its words, the host its sender, business name and footer.
pub async fn render_for_tenant(db: &portico_data::Db, tenant_id: &TenantId, template: &str, data_json: &str, section: Option<&str>) -> Result<Rendered, MailError> {
    let unavailable = |e: portico_data::DbError| MailError::Transient(format!("reading the template: {e}"));
    let tenant = db.tenant(tenant_id).business().await.map_err(unavailable)?;
    let business = tenant.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    let custom = db.tenant(tenant_id).mail_template(template).await.map_err(unavailable)?;
    let data = templates::parse_data(template, data_json)?;
    let mut rendered = templates::render_data(template, data.clone(), &business, custom.as_ref())?;
    if let Some(tenant) = tenant {
        let mut footer = Vec::new();
        let text = rendered.body.clone();
        if let Some(section) = section {
            let section = clamp_subject(section);
            let sent_by = format!("Sent by the “{section}” section of {}'s portal.", tenant.name);
            rendered.body = format!("{}\n\n{sent_by}\n", rendered.body.trim_end());
            footer.push(sent_by);
        }
        // A notification says why it came and how to stop it, whatever the
        // business's wording of it says.
        let unsubscribe = NotificationKind::of_template(template)
            .zip(data.get(UNSUBSCRIBE).and_then(|url| url.as_str()).filter(|url| url.starts_with("http")));
        if let Some((kind, url)) = unsubscribe {
            let why = format!("You get this e-mail because {} tells you when {}.", tenant.name, kind.occasion());
            let how = format!("Choose which e-mails you get, or stop them: {url}");
            rendered.body = format!("{}\n\n{why} {how}\n", rendered.body.trim_end());
            // In HTML the reason is a line and the link a link.
            footer.push(why);
            rendered.unsubscribe = Some(url.to_string());
        }
        let support = tenant.support_line();
        if !support.is_empty() {
            rendered.body = format!("{}\n-- \nQuestions? {support}\n", rendered.body.trim_end());
            footer.push(format!("Questions? {support}"));
        }
        // Without its HTML part a message still goes, as text.
        rendered.html = html::render(&html::Letter {
            kind: template,
            subject: &rendered.subject,
            text: &text,
            data: &data,
            business: &tenant.name,
            brand_color: &tenant.brand_color,
            logo_url: tenant.logo_url.as_deref(),
            footer,
            unsubscribe: rendered.unsubscribe.as_deref(),
        })
        .inspect_err(|error| tracing::warn!(%error, template, "sending the message as text only"))
        .ok();
        rendered.sender_name = Some(tenant.name.clone()).filter(|name| !name.trim().is_empty());
        rendered.reply_to = tenant.support_email.filter(|address| address.parse::<lettre::Address>().is_ok());
    }
    Ok(rendered)
}

/// Subjects are one trimmed line of at most 200 bytes.
fn clamp_subject(subject: &str) -> String {
    let one_line: String = subject.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    portico_core::text::clamp(&one_line, 200)
}
