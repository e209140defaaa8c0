//! Server-side rendering: handlebars templates compiled into the binary, and the
//! formatting of money and times in a tenant's currency and time zone.
//! Templates only ever use `{{…}}` (escaped), never `{{{…}}}`.

use crate::model::Tenant;
use crate::plugins::sanitize::Formats;
use handlebars::Handlebars;
use serde::Serialize;
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("head", include_str!("../templates/head.hbs")),
    ("foot", include_str!("../templates/foot.hbs")),
    ("card", include_str!("../templates/card.hbs")),
    ("block", include_str!("../templates/block.hbs")),
    ("portal", include_str!("../templates/portal.hbs")),
    ("error", include_str!("../templates/error.hbs")),
    ("staff_login", include_str!("../templates/staff_login.hbs")),
    ("staff_home", include_str!("../templates/staff_home.hbs")),
    ("sessions", include_str!("../templates/sessions.hbs")),
    ("link_expired", include_str!("../templates/link_expired.hbs")),
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

fn registry() -> &'static Handlebars<'static> {
    static REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(false);
        for (name, source) in TEMPLATES {
            registry.register_template_string(name, *source).unwrap_or_else(|e| panic!("template {name}: {e}"));
            registry.register_partial(name, *source).unwrap_or_else(|e| panic!("partial {name}: {e}"));
        }
        registry
    })
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

/// The business as every portal page's header and footer show it.
pub fn tenant_view(tenant: &Tenant) -> serde_json::Value {
    serde_json::json!({
        "name": tenant.name,
        "logo_url": tenant.logo_url.as_deref().and_then(crate::plugins::sanitize::safe_url),
        "welcome_text": tenant.welcome_text,
        "support": tenant.support_line(),
    })
}

/// The address of the tenant's brand stylesheet.
pub fn brand_css(tenant: &Tenant) -> String {
    format!("/t/{}/brand.css", tenant.slug)
}

/// The locales a business may choose: (tag, name). Portico's wording is
/// English; the locale sets how days, times and amounts are written.
pub const LOCALES: &[(&str, &str)] = &[
    ("en-US", "English (United States)"),
    ("en-CA", "English (Canada)"),
    ("en-GB", "English (United Kingdom)"),
    ("en-AU", "English (Australia)"),
];

/// The currencies a business may bill in: (ISO 4217 code, symbol).
pub const CURRENCIES: &[(&str, &str)] = &[("USD", "$"), ("CAD", "$"), ("AUD", "$"), ("GBP", "£"), ("EUR", "€")];

/// Formats for one tenant.
pub struct TenantFormats {
    currency: String,
    zone: jiff::tz::TimeZone,
    /// Day before month, 24-hour clock (en-GB, en-AU) rather than en-US's.
    day_first: bool,
}

impl TenantFormats {
    pub fn new(tenant: &Tenant) -> TenantFormats {
        Self::of(&tenant.currency, &tenant.timezone, &tenant.locale)
    }

    fn of(currency: &str, timezone: &str, locale: &str) -> TenantFormats {
        let zone = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        TenantFormats { currency: currency.to_string(), zone, day_first: matches!(locale, "en-GB" | "en-AU") }
    }

    /// A day in the tenant's time zone: "Monday, November 23, 2026" (en-US),
    /// "Monday 23 November 2026" (en-GB).
    pub fn day(&self, unix_seconds: i64) -> String {
        let format = if self.day_first { "%A %-d %B %Y" } else { "%A, %B %-d, %Y" };
        match jiff::Timestamp::from_second(unix_seconds) {
            Ok(at) => at.to_zoned(self.zone.clone()).strftime(format).to_string(),
            Err(_) => "—".into(),
        }
    }
}

impl Formats for TenantFormats {
    fn money(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let (units, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
        let digits = units.to_string();
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        match CURRENCIES.iter().find(|(code, _)| *code == self.currency) {
            Some((_, symbol)) => format!("{sign}{symbol}{grouped}.{cents:02}"),
            None => format!("{sign}{grouped}.{cents:02} {}", self.currency),
        }
    }

    fn moment(&self, unix_seconds: i64) -> String {
        let format = if self.day_first { "%a %-d %b %Y, %H:%M %Z" } else { "%a %b %-d, %Y, %-I:%M %p %Z" };
        match jiff::Timestamp::from_second(unix_seconds) {
            Ok(at) => at.to_zoned(self.zone.clone()).strftime(format).to_string(),
            Err(_) => "—".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats(currency: &str, tz: &str) -> TenantFormats {
        TenantFormats::of(currency, tz, "en-US")
    }

    #[test]
    fn money_is_grouped_with_cents() {
        assert_eq!(formats("USD", "UTC").money(123456789), "$1,234,567.89");
        assert_eq!(formats("USD", "UTC").money(-5), "-$0.05");
        assert_eq!(formats("EUR", "UTC").money(100000), "€1,000.00");
        assert_eq!(formats("GBP", "UTC").money(-250), "-£2.50");
        assert_eq!(formats("CHF", "UTC").money(100000), "1,000.00 CHF");
    }

    #[test]
    fn british_and_australian_english_write_the_day_first_on_a_24_hour_clock() {
        let london = TenantFormats::of("GBP", "Europe/London", "en-GB");
        assert_eq!(london.moment(1_700_000_000), "Tue 14 Nov 2023, 22:13 GMT");
        assert_eq!(london.day(1_700_000_000), "Tuesday 14 November 2023");
        assert_eq!(formats("USD", "UTC").day(1_700_000_000), "Tuesday, November 14, 2023");
    }

    #[test]
    fn moments_use_the_tenant_zone() {
        let text = formats("USD", "America/Chicago").moment(1_700_000_000);
        assert_eq!(text, "Tue Nov 14, 2023, 4:13 PM CST");
    }
}
