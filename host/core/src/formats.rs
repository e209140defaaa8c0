//! How a business writes money, days and moments: its currency, time zone and
//! locale. Used by every page, mail, PDF and section card alike.

use crate::model::Tenant;

/// Formats money and moments in the tenant's currency and time zone.
pub trait Formats {
    fn money(&self, minor: i64) -> String;
    fn moment(&self, unix_seconds: i64) -> String;
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

/// A whole number with its thousands grouped: 1234567 → "1,234,567".
pub fn grouped_thousands(number: impl std::fmt::Display) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

impl Formats for TenantFormats {
    fn money(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let (units, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
        let grouped = grouped_thousands(units);
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

/// A moment as integrations read it: RFC 3339 in UTC (`2026-11-23T15:00:00Z`).
pub fn rfc3339(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds).map(|t| t.to_string()).unwrap_or_default()
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
