//! Amounts as people type and read them, in minor units (cents).

/// "1500", "1,500.5", "$1500.00" as minor units; `None` for anything else, a
/// negative amount, more than two decimals or more than ten million.
pub fn parse_amount(text: &str) -> Option<i64> {
    let cleaned: String = text.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    let (units, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if units.is_empty() || !digits(units) || cents.len() > 2 || !digits(cents) {
        return None;
    }
    let units: i64 = units.parse().ok().filter(|units| *units <= 10_000_000)?;
    let cents: i64 = if cents.is_empty() { 0 } else { format!("{cents:0<2}").parse().ok()? };
    Some(units * 100 + cents)
}

/// Minor units as a plain amount: 150050 → "1500.50".
pub fn amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

/// Basis points as a plain percent: 825 → "8.25", 750 → "7.5", 700 → "7".
pub fn percent(basis_points: i64) -> String {
    let text = amount(basis_points);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_points_read_as_a_percent() {
        assert_eq!((percent(825), percent(750), percent(700), percent(5)), ("8.25".into(), "7.5".into(), "7".into(), "0.05".into()));
    }

    #[test]
    fn amounts_parse_as_people_type_them() {
        assert_eq!(parse_amount("1500"), Some(150_000));
        assert_eq!(parse_amount("$1,500.5"), Some(150_050));
        assert_eq!(parse_amount(" 0.07 "), Some(7));
        for bad in ["-5", "abc", "1.234", "", ".5", "99999999999", "1.2.3"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(amount(150_050), "1500.50");
        assert_eq!(amount(-7), "-0.07");
    }
}
