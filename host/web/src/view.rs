//! Server-side rendering: handlebars templates compiled into the binary.
//! Templates only ever use `{{…}}` (escaped), never `{{{…}}}`. Under the
//! stories they render in strict mode (`Config::strict_templates`), so a value
//! a page reads that its handler did not give fails the story instead of
//! showing as a blank.
//!
//! Handlebars renders a partial (`{{> foot}}`) on a copy of its context:
//! the page's every value, cards and all, for a closing tag. A page's parts
//! (its head and foot, its header and support line, each card and each of a
//! card's blocks) are rendered with `{{include "foot"}}` instead, which
//! copies nothing: the part reads the context where it stands, the item of
//! an `{{#each}}` as the list gives it, and the page's values as `@root` (a
//! card's form: `@root.card_form`). A partial is only for a part given
//! values of its own (`{{> message_form label="Message"}}`). A block is
//! rendered by its kind's template (`{{include "block-" kind}}`,
//! `templates/blocks/`), not picked by a chain of comparisons.

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
    ("block-heading", include_str!("../templates/blocks/heading.hbs")),
    ("block-text", include_str!("../templates/blocks/text.hbs")),
    ("block-fields", include_str!("../templates/blocks/fields.hbs")),
    ("block-table", include_str!("../templates/blocks/table.hbs")),
    ("block-bullets", include_str!("../templates/blocks/bullets.hbs")),
    ("block-notice", include_str!("../templates/blocks/notice.hbs")),
    ("block-money", include_str!("../templates/blocks/money.hbs")),
    ("block-moment", include_str!("../templates/blocks/moment.hbs")),
    ("block-chip", include_str!("../templates/blocks/chip.hbs")),
    ("block-progress", include_str!("../templates/blocks/progress.hbs")),
    ("block-image", include_str!("../templates/blocks/image.hbs")),
    ("block-link", include_str!("../templates/blocks/link.hbs")),
    ("block-chart", include_str!("../templates/blocks/chart.hbs")),
    ("block-input", include_str!("../templates/blocks/input.hbs")),
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

/// The host's templates. Each is also a partial: handlebars looks a
/// partial's name up among the templates.
fn templates(strict: bool) -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(strict);
    registry.register_helper("include", Box::new(Include));
    for (name, source) in TEMPLATES {
        registry.register_template_string(name, *source).unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    registry
}

/// Render a template; a failure is a bug in the host, reported as a 500.
pub fn render<T: Serialize>(template: &str, data: &T) -> anyhow::Result<String> {
    Ok(registry().render(template, data)?)
}

/// Render a template from data already built as JSON, which it takes rather
/// than copies (`render` serializes its data into a new value first).
pub fn render_value(template: &str, data: serde_json::Value) -> anyhow::Result<String> {
    Ok(registry().render_with_context(template, &handlebars::Context::from(data))?)
}

/// `{{include "card"}}`: the named template rendered in place, in the
/// current context, where a partial would render a copy of it. Its
/// arguments are joined into the name: `{{include "block-" kind}}`.
struct Include;

impl handlebars::HelperDef for Include {
    fn call<'reg: 'rc, 'rc>(
        &self,
        helper: &handlebars::Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        context: &'rc handlebars::Context,
        render: &mut handlebars::RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        use handlebars::Renderable;
        let mut name = String::new();
        for param in helper.params() {
            match param.value() {
                serde_json::Value::String(part) => name.push_str(part),
                other => return Err(handlebars::RenderErrorReason::Other(format!("include: {other} is not part of a template's name")).into()),
            }
        }
        let including = render.get_current_template_name();
        if including.is_some_and(|current| *current == name) {
            return Err(handlebars::RenderErrorReason::CannotIncludeSelf.into());
        }
        let template = registry.get_template(&name).ok_or_else(|| handlebars::RenderErrorReason::PartialNotFound(name.clone()))?;
        let rendered = template.render(registry, context, render, out);
        render.set_current_template_name(including);
        rendered
    }
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

    /// A card and each kind of block render through `include`, in place,
    /// with the page's form values from `@root`, and strictly: every value
    /// each block's template reads is one the host gives.
    #[test]
    fn a_card_renders_each_kind_of_block_in_place() {
        let mut registry = super::templates(true);
        registry.register_template_string("page", r#"{{#each cards}}{{include "card"}}{{/each}}"#).unwrap();
        let input = |kind: &str| serde_json::json!({ "kind": "input", "input": {
            "kind": kind, "id": format!("in-{kind}"), "name": kind, "label": "Label", "value": "v", "help": null, "problem": null,
            "required": false, "checked": false, "describedby": null, "choices": [], "file": { "accept": "image/*", "multiple": false, "says": "A photo", "rules": "r" },
        }});
        let blocks = serde_json::json!([
            { "kind": "heading", "text": "Heading" },
            { "kind": "text", "text": "Text" },
            { "kind": "fields", "fields": [{ "label": "Phone", "value": "555", "href": null }] },
            { "kind": "table", "columns": ["Name"], "rows": [[{ "text": "Cell", "href": null }]], "table_label": "The card" },
            { "kind": "bullets", "items": ["Bullet"] },
            { "kind": "notice", "tone": "info", "text": "Notice" },
            { "kind": "money", "label": "Due", "amount": "$1.00" },
            { "kind": "moment", "label": "At", "at": "Today" },
            { "kind": "chip", "chip": { "label": "Chip", "tone": "success" } },
            { "kind": "progress", "label": "Done", "done": 1, "total": 2, "percent": 50 },
            { "kind": "image", "url": "/i.png", "alt": "Alt" },
            { "kind": "link", "label": "Link", "url": "/x", "button": "" },
            { "kind": "chart", "title": "Chart", "shape": "bar", "bars": [], "line": "", "view_box": "0 0 600 200", "base": 180.0, "summary": "Nothing" },
            input("text"), input("hidden"), input("checkbox"), input("long-text"), input("select"), input("file"),
        ]);
        let card = serde_json::json!({
            "plugin_id": "p", "id": "c", "title": "The card", "status": null, "task": "info", "notice": null, "unavailable": false,
            "has_form": true, "has_files": true, "blocks": blocks,
            "actions": [{ "id": "go", "label": "Go", "style": "primary", "confirm": null, "disabled_reason": null }],
        });
        let page_with = |card: &serde_json::Value| serde_json::json!({ "cards": [card], "card_form": { "csrf": "tok", "action_url": "/act", "tab": "t", "preview": false } });
        let html = registry.render_with_context("page", &handlebars::Context::from(page_with(&card))).expect("renders strictly");
        for shown in [
            "<h3>Heading</h3>", "<p class=\"text\">Text</p>", "<dt>Phone</dt>", "aria-label=\"The card\"", "<li>Bullet</li>",
            "tone-info\">Notice", "$1.00", "<dd>Today</dd>", "Chip</span>", "1 of 2", "alt=\"Alt\"", "href=\"/x\"", "<figcaption>Chart",
            "type=\"hidden\" name=\"hidden\"", "type=\"checkbox\"", "<textarea", "<select", "type=\"file\"", "type=\"text\"",
            "action=\"/act\"", "value=\"tok\"", "name=\"_portico_tab\" value=\"t\"", "value=\"go\"",
        ] {
            assert!(html.contains(shown), "{shown} in {html}");
        }
        // In a staff preview each action is disabled and says why, by the
        // card's ids from within its list of actions (`../`); a chart's
        // labels sit on its base line, from within its list of bars.
        let mut preview = page_with(&card);
        preview["card_form"]["preview"] = true.into();
        preview["cards"][0]["blocks"] = serde_json::json!([{ "kind": "chart", "title": "Visits", "shape": "bar", "line": "", "view_box": "0 0 600 200",
            "base": 180, "summary": "One", "bars": [{ "label": "Mon", "value": "1", "x": 0, "y": 10, "width": 20, "height": 170, "label_x": 10, "tick": "M" }] }]);
        let html = registry.render_with_context("page", &handlebars::Context::from(preview)).expect("renders strictly");
        assert!(html.contains(r#"aria-describedby="why-p-c-go""#) && html.contains(r#"id="why-p-c-go">Disabled in preview"#), "{html}");
        assert!(html.contains(r#"y="180" dy="18""#), "{html}");

        let unknown = serde_json::json!({ "cards": [{ "blocks": [{ "kind": "marquee" }] }] });
        registry.register_template_string("blocks", r#"{{#each cards}}{{#each blocks}}{{include "block-" kind}}{{/each}}{{/each}}"#).unwrap();
        let error = registry.render_with_context("blocks", &handlebars::Context::from(unknown)).unwrap_err();
        assert!(error.to_string().contains("block-marquee"), "{error}");
    }
}
