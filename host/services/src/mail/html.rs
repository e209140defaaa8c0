//! The HTML part sent beside every message's plain text: the business's
//! colour and logo, the message's key facts (the property, the appointment,
//! what is asked, the amount), one large button for its link, and the text
//! itself, in a layout that reads on a phone and in dark mode.
//!
//! It is made from the plain text the business wrote (or the host's default)
//! and the message's data, so a business words a message once. Everything is
//! HTML-escaped: the words may come from a section.

use super::MailError;
use handlebars::Handlebars;
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::OnceLock;

const LAYOUT: &str = include_str!("layout.html.hbs");
/// The portal's own blue, for a business without a valid colour.
const DEFAULT_BRAND: &str = "#1f5f8b";

/// The facts a message may carry, in the order shown, with their labels.
const FACTS: &[(&str, &str)] =
    &[("address", "Property"), ("appointment", "Appointment"), ("asked", "What we need from you"), ("amount", "Amount due")];

/// One message to lay out.
pub struct Letter<'a> {
    /// The template's name: it decides the button's words.
    pub kind: &'a str,
    pub subject: &'a str,
    /// The plain text, without the footer.
    pub text: &'a str,
    pub data: &'a Map<String, Value>,
    pub business: &'a str,
    pub brand_color: &'a str,
    pub logo_url: Option<&'a str>,
    /// Lines under the message (who sent it, how to reach the business).
    pub footer: Vec<String>,
    /// A notification's page of choices, linked at the foot.
    pub unsubscribe: Option<&'a str>,
}

#[derive(Serialize)]
struct Fact {
    label: &'static str,
    value: String,
}

#[derive(Serialize, Debug, PartialEq)]
struct Button {
    label: &'static str,
    url: String,
}

#[derive(Serialize, Debug, PartialEq, Default)]
struct Block {
    button: Option<Button>,
    code: Option<String>,
    lines: Vec<String>,
}

fn registry() -> &'static Handlebars<'static> {
    static REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_template_string("layout", LAYOUT).expect("the mail layout is a valid template");
        registry
    })
}

pub fn render(letter: &Letter<'_>) -> Result<String, MailError> {
    // Facts, a code and a button come only with the host's own messages: a
    // section's data is shown as its text, never dressed as the host's
    // "Amount due" or sign-in code.
    let hosts_own = super::templates::kind(letter.kind).is_some_and(|kind| !kind.for_plugins);
    let text = |key: &str| {
        letter.data.get(key).and_then(Value::as_str).map(str::trim).filter(|value| hosts_own && !value.is_empty())
    };
    let facts: Vec<Fact> =
        FACTS.iter().filter_map(|(key, label)| text(key).map(|value| Fact { label, value: value.to_string() })).collect();
    let button = match (button_label(letter.kind), text("link")) {
        (Some(label), Some(url)) if url.starts_with("https://") || url.starts_with("http://") => Some(Button { label, url: url.to_string() }),
        _ => None,
    };
    let blocks = blocks(letter.text, button, text("code"), &facts);
    let preheader = blocks.iter().map(|block| block.lines.join(" ")).find(|line| !line.is_empty() && !line.starts_with("Hello")).unwrap_or_default();
    let data = serde_json::json!({
        "subject": letter.subject,
        "preheader": preheader,
        "business": letter.business,
        "brand": brand(letter.brand_color),
        "logo_url": letter.logo_url.filter(|url| url.starts_with("https://")),
        "facts": facts,
        "blocks": blocks,
        "footer": letter.footer,
        "unsubscribe": letter.unsubscribe.filter(|url| url.starts_with("https://") || url.starts_with("http://")),
    });
    registry().render("layout", &data).map_err(|e| MailError::Permanent(format!("laying out the HTML part: {e}")))
}

/// The button's words for a kind of message. Only the host's own messages
/// get a button: a section's message cannot dress a link up as "Sign in".
fn button_label(kind: &str) -> Option<&'static str> {
    match kind {
        "portal-invite" | "portal-link" => Some("Open your portal"),
        "magic-link" => Some("Sign in"),
        "staff-reset" => Some("Choose a new password"),
        "staff-invite" => Some("Choose your password"),
        "report-published" => Some("View your report"),
        "invoice-issued" => Some("View the invoice"),
        "payment-recorded" => Some("See your receipt"),
        "job-on-the-way" | "job-finished" => Some("Open your portal"),
        _ => None,
    }
}

/// `#rrggbb` as the business chose it, or the portal's blue.
fn brand(color: &str) -> &str {
    let valid = color.len() == 7 && color.starts_with('#') && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if valid { color } else { DEFAULT_BRAND }
}

/// The text as paragraphs, with the line holding the link turned into the
/// button (or the button added at the end), the line holding the code shown
/// large, and lines that only restate a fact left to the facts table.
fn blocks(text: &str, button: Option<Button>, code: Option<&str>, facts: &[Fact]) -> Vec<Block> {
    let mut button = button;
    let restates_a_fact = |line: &str| facts.iter().any(|fact| line.trim_end_matches('.') == format!("{}: {}", fact.label, fact.value.trim_end_matches('.')));
    let mut blocks = Vec::new();
    for paragraph in text.replace("\r\n", "\n").split("\n\n") {
        let mut lines = Vec::new();
        for line in paragraph.lines().map(str::trim).filter(|line| !line.is_empty() && !restates_a_fact(line)) {
            let is_link = button.as_ref().is_some_and(|b| b.url == line);
            let is_code = code.is_some_and(|code| code == line);
            if !is_link && !is_code {
                lines.push(line.to_string());
                continue;
            }
            if !lines.is_empty() {
                blocks.push(Block { lines: std::mem::take(&mut lines), ..Block::default() });
            }
            blocks.push(match is_link {
                true => Block { button: button.take(), ..Block::default() },
                false => Block { code: Some(line.to_string()), ..Block::default() },
            });
        }
        if !lines.is_empty() {
            blocks.push(Block { lines, ..Block::default() });
        }
    }
    if let Some(button) = button {
        blocks.push(Block { button: Some(button), ..Block::default() });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect()
    }

    fn letter<'a>(kind: &'a str, text: &'a str, data: &'a Map<String, Value>) -> Letter<'a> {
        Letter {
            kind,
            subject: "Your portal for 1428 Elm Street",
            text,
            data,
            business: "Keystone <Home> Inspections",
            brand_color: "#123abc",
            logo_url: None,
            footer: vec!["Questions? (555) 010-4477".into()],
            unsubscribe: None,
        }
    }

    #[test]
    fn the_link_becomes_one_large_button_and_facts_a_table() {
        let data = data(&[
            ("link", "https://portal.example/p/abc"),
            ("appointment", "Fri Dec 5, 2026, 9:00 AM CST"),
            ("asked", "Sign the Pre-Inspection Agreement"),
            ("amount", ""),
        ]);
        let text = "Hello Dana,\n\nAppointment: Fri Dec 5, 2026, 9:00 AM CST\n\nOpen your portal:\nhttps://portal.example/p/abc\n\nKeystone\n";
        let html = render(&letter("portal-link", text, &data)).unwrap();
        assert_eq!(html.matches("class=\"button\"").count(), 1, "one button");
        assert!(html.contains("href=\"https://portal.example/p/abc\"") && html.contains(">Open your portal</a>"));
        assert!(html.contains(">Appointment</td>") && html.contains("Sign the Pre-Inspection Agreement"));
        assert!(!html.contains("Amount due"), "an empty fact is left out");
        assert_eq!(html.matches("Fri Dec 5, 2026").count(), 1, "the fact is not repeated in the text");
        assert!(html.contains("background:#123abc") && html.contains("Keystone &lt;Home&gt; Inspections"), "escaped");
        assert!(html.contains("prefers-color-scheme: dark"));
    }

    #[test]
    fn a_code_is_shown_large_and_a_link_the_text_does_not_hold_is_added() {
        let data = data(&[("code", "493027")]);
        let html = render(&letter("signin-code", "Your code is:\n\n    493027\n\nThanks", &data)).unwrap();
        let forged = self::data(&[("link", "https://evil.example/"), ("amount", "$5,000.00"), ("asked", "Pay by wire"), ("code", "123456")]);
        let section = render(&letter("message", "Click https://evil.example/\n\n123456", &forged)).unwrap();
        assert!(!section.contains("class=\"button\""), "no button in a section's message");
        assert!(!section.contains("Amount due") && !section.contains("Pay by wire") && !section.contains("class=\"code\""), "nor the host's facts or code: {section}");
        assert!(html.contains("class=\"code\"") && html.contains(">493027</p>"));
        let blocks = blocks("Go here", Some(Button { label: "Sign in", url: "https://x.example/l".into() }), None, &[]);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[1].button.is_some(), "the button comes after the text");
    }

    #[test]
    fn a_colour_that_is_not_a_colour_is_not_used() {
        assert_eq!(brand("red;background:url(x)"), DEFAULT_BRAND);
        assert_eq!(brand("#A1b2C3"), "#A1b2C3");
    }
}
