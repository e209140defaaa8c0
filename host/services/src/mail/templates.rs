//! Mail templates: the host's defaults and each tenant's own wording, both
//! handlebars, rendered as plain text. A tenant's template is checked when it
//! is saved (it must compile and use only the placeholders its kind offers),
//! so delivery never meets a template it cannot render.

use super::{MailError, Rendered};
use portico_data::StoredTemplate;
use handlebars::Handlebars;
use serde_json::{json, Map, Value};

/// One kind of message the host sends.
pub struct TemplateKind {
    pub name: &'static str,
    /// What staff see in the template list.
    pub label: &'static str,
    /// The placeholders this kind offers, each with sample text.
    pub placeholders: &'static [(&'static str, &'static str)],
    pub subject: &'static str,
    pub body: &'static str,
    /// Whether a section plugin may send it through `notify`. Sign-in and
    /// access mail is the host's alone: a plugin must not be able to send a
    /// convincing "sign in here" message.
    pub for_plugins: bool,
}

pub const KINDS: &[TemplateKind] = &[
    TemplateKind {
        name: "portal-invite",
        label: "Portal invitation",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("role", "Client"),
            ("link", "https://portal.example/p/abc"),
            ("expires", "Sat Dec 20, 2026"),
            ("appointment", "Fri Dec 5, 2026, 9:00 AM CST"),
            ("asked", "Sign the Pre-Inspection Agreement; Pay invoice 1042 ($610.00 due)"),
            ("amount", "$610.00"),
        ],
        subject: "{{business}}: your portal for {{address}}",
        body: "Hello {{name}},\n\n{{business}} has set up a portal for {{address}}. Everything about the job is there: \
your report, agreement and invoice as they become ready.\n\n{{#if appointment}}Appointment: {{appointment}}\n\n{{/if}}\
{{#if asked}}What we need from you: {{asked}}.\n\n{{/if}}Open your portal:\n{{link}}\n\n\
The link is personal to you as {{role}}; please do not forward it.{{#if expires}} It works until {{expires}}.{{/if}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "portal-link",
        label: "Fresh portal link",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("link", "https://portal.example/p/abc"),
            ("expires", "Sat Dec 20, 2026"),
            ("appointment", "Fri Dec 5, 2026, 9:00 AM CST"),
            ("asked", "Sign the Pre-Inspection Agreement; Pay invoice 1042 ($610.00 due)"),
            ("amount", "$610.00"),
        ],
        subject: "Your portal for {{address}}",
        body: "Hello {{name}},\n\nHere is your new link to the portal for {{address}}:\n\n{{link}}\n\n\
The link is personal; please do not forward it.{{#if expires}} It works until {{expires}}.{{/if}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "magic-link",
        label: "Sign-in link",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("link", "https://portal.example/t/keystone/signin/link/abc"),
            ("minutes", "15"),
        ],
        subject: "Sign in to {{business}}",
        body: "Hello {{name}},\n\nUse this link to sign in to your {{business}} portal:\n\n{{link}}\n\n\
It works once, for {{minutes}} minutes. If you did not ask to sign in, you can ignore this message.\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "signin-code",
        label: "Sign-in code",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("code", "493027"),
            ("minutes", "10"),
        ],
        subject: "{{code}} is your {{business}} sign-in code",
        body: "Hello {{name}},\n\nYour sign-in code is:\n\n    {{code}}\n\n\
Enter it on the sign-in page within {{minutes}} minutes. If you did not ask to sign in, you can ignore this message.\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "staff-reset",
        label: "Staff password reset",
        placeholders: &[
            ("name", "Morgan Reyes"),
            ("business", "Keystone Home Inspections"),
            ("link", "https://portal.example/staff/reset/abc"),
            ("minutes", "30"),
        ],
        subject: "Reset your {{business}} staff password",
        body: "Hello {{name}},\n\nSomeone asked to reset the password of your {{business}} staff account. \
To choose a new password, open:\n\n{{link}}\n\nThe link works once, for {{minutes}} minutes. \
If it was not you, ignore this message; your password stays as it is.\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "staff-invite",
        label: "Staff invitation",
        placeholders: &[
            ("name", "Alex Chen"),
            ("business", "Keystone Home Inspections"),
            ("inviter", "Morgan Reyes"),
            ("role", "Office"),
            ("link", "https://portal.example/staff/reset/abc"),
            ("minutes", "4320"),
        ],
        subject: "{{inviter}} invited you to {{business}} on Portico",
        body: "Hello {{name}},\n\n{{inviter}} added you to {{business}}'s staff as {{role}}. \
Choose your password to sign in:\n\n{{link}}\n\nThe link works once, for {{minutes}} minutes.\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "report-published",
        label: "Notification: a report is published",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("title", "Inspection report"),
            ("held", "the agreement is signed and invoice 1042 is paid ($610.00 due)"),
            ("link", "https://portal.example/jobs/abc"),
        ],
        subject: "{{business}}: your report for {{address}} is ready",
        body: "Hello {{name}},\n\n{{title}} for {{address}} is ready in your portal.\n\n\
{{#if held}}It will be released as soon as {{held}}.\n\n{{/if}}View it here:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "invoice-issued",
        label: "Notification: an invoice is issued",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("number", "1042"),
            ("amount", "$610.00"),
            ("due", "Fri Dec 5, 2026"),
            ("pay_online", "yes"),
            ("link", "https://portal.example/jobs/abc"),
        ],
        subject: "{{business}}: invoice {{number}} for {{address}}",
        body: "Hello {{name}},\n\nInvoice {{number}} for {{address}} is ready: {{amount}}{{#if due}}, due {{due}}{{/if}}.\n\n\
{{#if pay_online}}See it and pay online:{{else}}See it in your portal:{{/if}}\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "estimate-sent",
        label: "Notification: an estimate is ready",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Brightside Home Services"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("number", "E-0007"),
            ("title", "Replace the water heater"),
            ("amount", "$1,840.00"),
            ("expires", "Thu Dec 31, 2026"),
            ("link", "https://portal.example/jobs/abc"),
        ],
        subject: "{{business}}: estimate {{number}} for {{address}}",
        body: "Hello {{name}},\n\nEstimate {{number}}, {{title}}, is ready for {{address}}: {{amount}}. It holds until {{expires}}.\n\n\
Read it, choose any options, and accept or decline it in your portal:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "payment-recorded",
        label: "Notification: a payment is received",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("paid", "$610.00"),
            ("number", "1042"),
            ("invoices", "invoice 1042"),
            ("link", "https://portal.example/jobs/abc"),
        ],
        subject: "{{business}}: payment received, thank you",
        body: "Hello {{name}},\n\nWe received your payment of {{paid}} towards {{invoices}} for {{address}}. Thank you.\n\n\
Your receipt is in your portal:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "batch-invoice-ready",
        label: "Notification: a batch invoice is ready",
        placeholders: &[
            ("name", "Priya Raman"),
            ("business", "Sparkle Cleaning Co."),
            ("number", "B-0007"),
            ("title", "Cleanings in October"),
            ("count", "4"),
            ("amount", "$640.00"),
            ("link", "https://portal.example/account?tab=invoices"),
        ],
        subject: "{{business}}: batch invoice {{number}} is ready",
        body: "Hello {{name}},\n\nBatch invoice {{number}} ({{title}}) groups {{count}} invoices: {{amount}} to pay.\n\n\
See it, download it and pay it in one payment:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "job-on-the-way",
        label: "Notification: on the way",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("crew", "Alex Chen"),
            ("link", "https://portal.example/jobs/abc"),
        ],
        subject: "{{business}}: {{crew}} is on the way",
        body: "Hello {{name}},\n\n{{crew}} is on the way to {{address}}.\n\nYour portal:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "job-finished",
        label: "Notification: the work is finished",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("address", "1428 Elm Street, Springfield, IL 62704"),
            ("link", "https://portal.example/jobs/abc"),
        ],
        subject: "{{business}}: the work at {{address}} is finished",
        body: "Hello {{name}},\n\nThe work at {{address}} is finished. What comes next (the report, the invoice) will be in your portal:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "new-message",
        label: "Notification: a message from the office",
        placeholders: &[
            ("name", "Dana Whitfield"),
            ("business", "Keystone Home Inspections"),
            ("author", "Alex Chen"),
            ("title", "Access to the attic"),
            ("excerpt", "Could you leave the attic hatch unlocked on Thursday?"),
            ("link", "https://portal.example/messages/abc"),
        ],
        subject: "{{business}}: {{author}} wrote about {{title}}",
        body: "Hello {{name}},\n\n{{author}} wrote about \"{{title}}\":\n\n{{excerpt}}\n\nRead it and answer in your portal:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "office-new-message",
        label: "To the office: a client wrote",
        placeholders: &[
            ("name", "Alex Chen"),
            ("business", "Keystone Home Inspections"),
            ("author", "Dana Whitfield"),
            ("title", "Access to the attic"),
            ("job", "KHI-1042"),
            ("excerpt", "The hatch will be open. The dog is friendly."),
            ("link", "https://portal.example/staff/conversations/abc"),
        ],
        subject: "{{author}} wrote: {{title}}",
        body: "Hello {{name}},\n\n{{author}} wrote{{#if job}} about job {{job}}{{/if}} in \"{{title}}\":\n\n{{excerpt}}\n\nAnswer in the console:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "office-payment-reported",
        label: "To the office: a client paid another way",
        placeholders: &[
            ("name", "Alex Chen"),
            ("business", "Sparkle Cleaning Co."),
            ("client", "Priya Raman"),
            ("invoices", "invoices 2031 and 2032"),
            ("amount", "$340.00"),
            ("method", "Zelle"),
            ("reference", "ZL-55102"),
            ("link", "https://portal.example/staff/jobs/abc"),
        ],
        subject: "{{client}} says they paid {{invoices}} by {{method}}",
        body: "Hello {{name}},\n\n{{client}} says they paid {{amount}} for {{invoices}} by {{method}}{{#if reference}} (reference {{reference}}){{/if}}.\n\nIt counts once you approve it, when the money has arrived:\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "office-estimate-answered",
        label: "To the office: a client answered an estimate",
        placeholders: &[
            ("name", "Alex Chen"),
            ("business", "Brightside Home Services"),
            ("client", "Jordan Ellis"),
            ("number", "E-0007"),
            ("title", "Replace the water heater"),
            ("answer", "accepted it ($1,840.00, with a deposit of $460.00 invoiced)"),
            ("link", "https://portal.example/staff/jobs/abc#estimates"),
        ],
        subject: "{{client}} answered estimate {{number}}",
        body: "Hello {{name}},\n\n{{client}} {{answer}}\n\nEstimate {{number}}: {{title}}\n{{link}}\n\n{{business}}\n",
        for_plugins: false,
    },
    TemplateKind {
        name: "message",
        label: "Notification from a section",
        placeholders: &[
            ("business", "Keystone Home Inspections"),
            ("subject", "Your report is ready"),
            ("body", "Your inspection report for 1428 Elm Street is ready to view in your portal."),
        ],
        subject: "{{subject}}",
        body: "{{body}}\n\n{{business}}\n",
        for_plugins: true,
    },
];

pub fn kind(name: &str) -> Option<&'static TemplateKind> {
    KINDS.iter().find(|kind| kind.name == name)
}

/// Render the message `name` with `data` (a JSON object), in the tenant's
/// wording when it has one. `business` is always the tenant's name, whatever
/// `data` says.
pub fn render(name: &str, data_json: &str, business: &str, custom: Option<&StoredTemplate>) -> Result<Rendered, MailError> {
    render_data(name, parse_data(name, data_json)?, business, custom)
}

/// A message's data, which must be a JSON object.
pub(super) fn parse_data(name: &str, data_json: &str) -> Result<Map<String, Value>, MailError> {
    serde_json::from_str(data_json).map_err(|e| MailError::Permanent(format!("template {name:?} data must be a JSON object: {e}")))
}

/// [`render`] with the data already read.
pub(super) fn render_data(name: &str, mut data: Map<String, Value>, business: &str, custom: Option<&StoredTemplate>) -> Result<Rendered, MailError> {
    let kind = kind(name).ok_or_else(|| MailError::Permanent(format!("there is no mail template named {name:?}")))?;
    // The business is the host's word, never the sender's: a section cannot
    // sign a message as "Keystone (Security Team)".
    data.insert("business".into(), json!(business));
    // Every placeholder of the kind exists, empty if the sender left it out,
    // so that `{{#if …}}` works in strict mode.
    for (placeholder, _) in kind.placeholders {
        data.entry(*placeholder).or_insert_with(|| json!(""));
    }
    let (subject, body) = match custom {
        Some(custom) => (custom.subject.as_str(), custom.body.as_str()),
        None => (kind.subject, kind.body),
    };
    render_text(subject, body, &Value::Object(data)).map_err(|e| MailError::Permanent(format!("template {name:?}: {e}")))
}

/// Check a tenant's wording of `name` against the placeholders it offers;
/// the error says what is wrong in words fit for the template editor.
pub fn validate(name: &str, subject: &str, body: &str) -> Result<Rendered, String> {
    let kind = kind(name).ok_or_else(|| format!("there is no mail template named {name:?}"))?;
    if subject.trim().is_empty() {
        return Err("The subject cannot be empty.".into());
    }
    if subject.len() > 300 || body.len() > 20_000 {
        return Err("The subject is limited to 300 characters and the body to 20,000.".into());
    }
    // A message carrying a code or a link is of no use without it.
    let offers = |name: &str| kind.placeholders.iter().any(|(p, _)| *p == name);
    let needed = ["code", "link"].into_iter().find(|name| offers(name));
    if let Some(needed) = needed.filter(|needed| !body.contains(&format!("{{{{{needed}}}}}"))) {
        return Err(format!("The body must contain {{{{{needed}}}}}: without it the message is of no use."));
    }
    let sample: Map<String, Value> = kind.placeholders.iter().map(|(p, sample)| (p.to_string(), json!(sample))).collect();
    render_text(subject, body, &Value::Object(sample))
}

/// Plain-text rendering: strict (an unknown placeholder is an error), no HTML
/// escaping, no helpers beyond handlebars' built-in blocks.
fn render_text(subject: &str, body: &str, data: &Value) -> Result<Rendered, String> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    let render = |what: &str, source: &str| {
        registry.render_template(source, data).map_err(|e| match e.reason() {
            handlebars::RenderErrorReason::MissingVariable(Some(name)) => {
                format!("the {what} uses {{{{{name}}}}}, which this message does not have")
            }
            _ => format!("the {what} is not a valid template: {e}"),
        })
    };
    let subject = super::clamp_subject(&render("subject", subject)?);
    let body = render("body", body)?;
    Ok(Rendered { subject, body, html: None, sender_name: None, reply_to: None, unsubscribe: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_render_with_their_own_samples() {
        for kind in KINDS {
            validate(kind.name, kind.subject, kind.body).unwrap_or_else(|e| panic!("{}: {e}", kind.name));
        }
    }

    #[test]
    fn tenant_wording_is_checked_before_it_is_saved() {
        assert!(validate("magic-link", "Hi {{name}}", "Go: {{link}}").is_ok());
        let unknown = validate("magic-link", "Hi {{nmae}}", "Go: {{link}}").unwrap_err();
        assert!(unknown.contains("{{nmae}}"), "{unknown}");
        assert!(validate("magic-link", "Hi", "no link here").unwrap_err().contains("{{link}}"));
        assert!(validate("signin-code", "Code", "{{code}} {{#if name}}").unwrap_err().contains("not a valid template"));
        assert!(validate("nope", "x", "y").is_err());
    }

    #[test]
    fn text_is_not_html_escaped_and_subjects_are_one_line() {
        let custom = StoredTemplate { name: "message".into(), subject: "{{subject}}\nBcc: x".into(), body: "{{body}} & more".into() };
        let rendered = render("message", r#"{"subject":"A & B","body":"<b>"}"#, "Keystone", Some(&custom)).unwrap();
        assert_eq!(rendered.subject, "A & B Bcc: x");
        assert_eq!(rendered.body, "<b> & more");
    }

    #[test]
    fn the_business_name_is_the_hosts_not_the_senders() {
        let data = r#"{"subject":"Hi","body":"Click","business":"Keystone (Security Team)"}"#;
        let rendered = render("message", data, "Keystone", None).unwrap();
        assert_eq!(rendered.body, "Click\n\nKeystone\n");
    }
}
