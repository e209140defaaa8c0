//! Server-side rendering: handlebars templates compiled into the binary.
//! Templates only ever use `{{…}}` (escaped), never `{{{…}}}`. Under the
//! stories they render in strict mode (`Config::strict_templates`), so a value
//! a page reads that its handler did not give fails the story instead of
//! showing as a blank.
//!
//! A partial is given what it shows (`{{> head null title=title}}`), not the
//! page: handlebars copies a partial's context whole, and `{{> foot}}` alone
//! would copy the page's every value, cards and all, for a closing tag.

use portico_core::model::Tenant;
use handlebars::Handlebars;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("head", include_str!("../templates/head.hbs")),
    ("foot", include_str!("../templates/foot.hbs")),
    ("support", include_str!("../templates/support.hbs")),
    ("card", include_str!("../templates/card.hbs")),
    ("block", include_str!("../templates/block.hbs")),
    ("message_list", include_str!("../templates/message_list.hbs")),
    ("message_form", include_str!("../templates/message_form.hbs")),
    ("messages", include_str!("../templates/messages.hbs")),
    ("thread", include_str!("../templates/thread.hbs")),
    ("staff_inbox", include_str!("../templates/staff_inbox.hbs")),
    ("staff_conversation", include_str!("../templates/staff_conversation.hbs")),
    ("staff_new_conversation", include_str!("../templates/staff_new_conversation.hbs")),
    ("portal", include_str!("../templates/portal.hbs")),
    ("error", include_str!("../templates/error.hbs")),
    ("staff_login", include_str!("../templates/staff_login.hbs")),
    ("staff_home", include_str!("../templates/staff_home.hbs")),
    ("staff_section_page", include_str!("../templates/staff_section_page.hbs")),
    ("sessions", include_str!("../templates/sessions.hbs")),
    ("dead_end", include_str!("../templates/dead_end.hbs")),
    ("portal_header", include_str!("../templates/portal_header.hbs")),
    ("hub", include_str!("../templates/hub.hbs")),
    ("hub_job", include_str!("../templates/hub_job.hbs")),
    ("password", include_str!("../templates/password.hbs")),
    ("guest", include_str!("../templates/guest.hbs")),
    ("signin", include_str!("../templates/signin.hbs")),
    ("signin_code", include_str!("../templates/signin_code.hbs")),
    ("signin_continue", include_str!("../templates/signin_continue.hbs")),
    ("staff_header", include_str!("../templates/staff_header.hbs")),
    ("staff_job", include_str!("../templates/staff_job.hbs")),
    ("staff_access_table", include_str!("../templates/staff_access_table.hbs")),
    ("staff_access", include_str!("../templates/staff_access.hbs")),
    ("staff_settings", include_str!("../templates/staff_settings.hbs")),
    ("staff_agreements", include_str!("../templates/staff_agreements.hbs")),
    ("staff_add_ons", include_str!("../templates/staff_add_ons.hbs")),
    ("staff_agreement_template", include_str!("../templates/staff_agreement_template.hbs")),
    ("staff_mail_template", include_str!("../templates/staff_mail_template.hbs")),
    ("staff_team", include_str!("../templates/staff_team.hbs")),
    ("staff_sections", include_str!("../templates/staff_sections.hbs")),
    ("staff_branding", include_str!("../templates/staff_branding.hbs")),
    ("staff_new_job", include_str!("../templates/staff_new_job.hbs")),
    ("staff_api", include_str!("../templates/staff_api.hbs")),
    ("staff_webhooks", include_str!("../templates/staff_webhooks.hbs")),
    ("staff_payment_settings", include_str!("../templates/staff_payment_settings.hbs")),
    ("staff_batches", include_str!("../templates/staff_batches.hbs")),
    ("staff_properties", include_str!("../templates/staff_properties.hbs")),
    ("staff_property", include_str!("../templates/staff_property.hbs")),
    ("staff_estimate", include_str!("../templates/staff_estimate.hbs")),
    ("staff_requests", include_str!("../templates/staff_requests.hbs")),
    ("staff_request", include_str!("../templates/staff_request.hbs")),
    ("staff_notifications", include_str!("../templates/staff_notifications.hbs")),
    ("notifications", include_str!("../templates/notifications.hbs")),
    ("staff_webhook", include_str!("../templates/staff_webhook.hbs")),
    ("staff_section", include_str!("../templates/staff_section.hbs")),
    ("staff_section_review", include_str!("../templates/staff_section_review.hbs")),
    ("staff_permissions", include_str!("../templates/staff_permissions.hbs")),
    ("staff_reset_request", include_str!("../templates/staff_reset_request.hbs")),
    ("staff_reset", include_str!("../templates/staff_reset.hbs")),
    ("dev_outbox", include_str!("../templates/dev_outbox.hbs")),
    ("pay_test", include_str!("../templates/pay_test.hbs")),
];

/// The stylesheet, served at `/static/portico.css`.
pub const STYLESHEET: &str = include_str!("../static/portico.css");

/// Whether pages render strictly; set once by `AppState::build`.
static STRICT: AtomicBool = AtomicBool::new(false);

/// Render every page of this process strictly (tests): a missing value fails
/// the render. A served instance never turns this on.
pub fn render_strictly() {
    STRICT.store(true, Ordering::Relaxed);
}

fn registry() -> &'static Handlebars<'static> {
    static LENIENT: OnceLock<Handlebars<'static>> = OnceLock::new();
    static STRICT_REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();
    if STRICT.load(Ordering::Relaxed) { STRICT_REGISTRY.get_or_init(|| templates(true)) } else { LENIENT.get_or_init(|| templates(false)) }
}

/// The host's templates, each registered as a template and a partial.
fn templates(strict: bool) -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(strict);
    for (name, source) in TEMPLATES {
        registry.register_template_string(name, *source).unwrap_or_else(|e| panic!("template {name}: {e}"));
        registry.register_partial(name, *source).unwrap_or_else(|e| panic!("partial {name}: {e}"));
    }
    registry
}

/// Render a template; a failure is a bug in the host, reported as a 500.
pub fn render<T: Serialize>(template: &str, data: &T) -> anyhow::Result<String> {
    Ok(registry().render(template, data)?)
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

pub fn error_page(title: &str, message: &str) -> String {
    render("error", &ErrorPage { title, message }).unwrap_or_else(|_| "Something went wrong".into())
}

/// A dead end of the portal (a replaced or expired link, an ended session,
/// "check your e-mail"), in the business's colours, with the way on: the
/// business's sign-in page and how to reach the business.
pub struct DeadEnd<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// The sign-in button's words.
    pub signin_label: &'a str,
    /// A form to offer first: (where it posts, its button's words).
    pub form: Option<(String, &'a str)>,
}

impl<'a> DeadEnd<'a> {
    pub fn new(title: &'a str, message: &'a str) -> Self {
        DeadEnd { title, message, signin_label: "Sign in with your e-mail", form: None }
    }
}

/// The template data of a dead end (for `csrf::form_page` when it has a form).
pub fn dead_end_data(tenant: &Tenant, page: DeadEnd<'_>) -> serde_json::Value {
    serde_json::json!({
        "title": page.title,
        "message": page.message,
        "brand_css": brand_css(tenant),
        "tenant": tenant_view(tenant),
        "signin_url": signin_path(tenant),
        "signin_label": page.signin_label,
        "form": page.form.map(|(action, label)| serde_json::json!({ "action": action, "label": label })),
    })
}

pub fn dead_end_page(tenant: &Tenant, page: DeadEnd<'_>) -> String {
    render("dead_end", &dead_end_data(tenant, page)).unwrap_or_else(|_| "Something went wrong".into())
}

/// The business as every portal page's header and footer show it.
pub fn tenant_view(tenant: &Tenant) -> serde_json::Value {
    serde_json::json!({
        "name": tenant.name,
        "logo_url": tenant.logo_url.as_deref().and_then(portico_core::text::safe_url),
        "welcome_text": tenant.welcome_text,
        "support": tenant.support_line(),
        "phone": tenant.support_phone,
        "phone_href": tenant.support_phone.as_deref().map(tel_href),
        "email": tenant.support_email,
    })
}

/// A `tel:` address for a number as a business writes it: "(555) 010-4477"
/// is `tel:5550104477`, "+44 (0)20 7946 0958" and "(+44) 20 7946 0958" are
/// `tel:+442079460958` (the trunk "(0)" is not dialled from abroad).
pub fn tel_href(number: &str) -> String {
    let international = number.trim_start_matches([' ', '(']).starts_with('+');
    let dialled = if international { number.replacen("(0)", "", 1) } else { number.to_string() };
    let digits: String = dialled.chars().filter(char::is_ascii_digit).collect();
    format!("tel:{}{digits}", if international { "+" } else { "" })
}

/// The business's sign-in page for clients without their link (a path; add
/// the public URL for a full address).
pub fn signin_path(tenant: &Tenant) -> String {
    format!("/t/{}/signin", tenant.slug)
}

/// The address of the tenant's brand stylesheet.
pub fn brand_css(tenant: &Tenant) -> String {
    format!("/t/{}/brand.css", tenant.slug)
}


#[cfg(test)]
mod tests {
    #[test]
    fn phone_numbers_become_tel_addresses_of_their_digits() {
        assert_eq!(super::tel_href("(555) 010-4477"), "tel:5550104477");
        assert_eq!(super::tel_href(" +44 20 7946 0958"), "tel:+442079460958");
        assert_eq!(super::tel_href("+44 (0)20 7946 0958"), "tel:+442079460958");
        assert_eq!(super::tel_href("(+44) 20 7946 0958"), "tel:+442079460958");
        assert_eq!(super::tel_href("020 7946 0958"), "tel:02079460958");
    }

    /// Strictly (under the stories), a value a page reads that its handler
    /// did not give fails the render; served pages show it as a blank.
    #[test]
    fn a_value_the_handler_left_out_fails_a_strict_render() {
        let (strict, lenient) = (super::templates(true), super::templates(false));
        let complete = serde_json::json!({ "title": "Gone", "message": "It moved." });
        assert!(strict.render("error", &complete).is_ok_and(|page| page.contains("It moved.")));
        let missing = serde_json::json!({ "title": "Gone" });
        assert!(strict.render("error", &missing).unwrap_err().to_string().contains("message"), "strict mode names the missing value");
        assert!(lenient.render("error", &missing).is_ok());
    }
}
