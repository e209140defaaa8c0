//! The rules of estimates, without I/O: where an estimate stands, what its
//! lines add up to with their tax, the deposit asked, and the exact text a
//! client accepts (whose SHA-256 the acceptance keeps as evidence).

crate::named_enum! {
    /// Where an estimate stands. Only `Sent` may be answered; the others
    /// are final except `Draft`, which the office may still send.
    pub enum EstimateStatus("estimate status") {
        /// Written by the office, not shown to the client yet.
        Draft => "draft",
        /// Shown to the client, awaiting their answer until it expires.
        Sent => "sent",
        /// The client accepted it (with a signature); it made the invoices.
        Accepted => "accepted",
        /// The client declined it, with a reason.
        Declined => "declined",
        /// The office took it back.
        Withdrawn => "withdrawn",
    }
}

impl EstimateStatus {
    /// As a client reads it.
    pub fn label(self) -> &'static str {
        match self {
            EstimateStatus::Draft => "Draft",
            EstimateStatus::Sent => "Awaiting your answer",
            EstimateStatus::Accepted => "Accepted",
            EstimateStatus::Declined => "Declined",
            EstimateStatus::Withdrawn => "Withdrawn",
        }
    }
}

/// The highest tax rate a line may carry, in basis points (30 %).
pub const MAX_TAX_RATE_BP: i64 = 3_000;

/// One priced line of an estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// Tax on the line, in basis points (825 = 8.25 %).
    pub tax_rate_bp: i64,
    /// The client may tick it or leave it out.
    pub optional: bool,
}

impl PricedLine {
    /// quantity × unit price.
    pub fn amount(&self) -> i64 {
        self.quantity * self.unit_price_minor
    }

    /// The line's tax, to the nearest cent (half a cent rounds up).
    pub fn tax(&self) -> i64 {
        round_div(self.amount() * self.tax_rate_bp, 10_000)
    }
}

/// What a set of lines adds up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    /// The deposit asked on acceptance: `deposit_percent` of the total.
    pub deposit: i64,
}

/// The totals of the lines that count (`counts`: every required line, and
/// the optional ones the client chose), with a deposit of `deposit_percent`.
pub fn totals<'a>(lines: impl IntoIterator<Item = (&'a PricedLine, bool)>, deposit_percent: i64) -> Totals {
    let (mut subtotal, mut tax) = (0, 0);
    for (line, chosen) in lines {
        if !line.optional || chosen {
            subtotal += line.amount();
            tax += line.tax();
        }
    }
    let total = subtotal + tax;
    Totals { subtotal, tax, total, deposit: round_div(total * deposit_percent, 100) }
}

/// `numerator / denominator` to the nearest whole number, halves away from
/// zero (amounts here are never negative).
fn round_div(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator / 2).div_euclid(denominator)
}

/// "8.25" or "8.25%" → 825 basis points; empty is no tax. Anything else,
/// or a rate above [`MAX_TAX_RATE_BP`], is refused.
pub fn parse_tax_rate(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('%').trim();
    if text.is_empty() {
        return Some(0);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 2 || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let rate = whole.checked_mul(100)?.checked_add(fraction)?;
    (rate <= MAX_TAX_RATE_BP).then_some(rate)
}

/// A rate as a form's input shows it: 825 → "8.25", 290 → "2.9", 0 → "".
pub fn rate_input(bp: i64) -> String {
    if bp == 0 { String::new() } else { crate::amounts::percent(bp) }
}

/// 825 → "8.25%", 700 → "7%".
pub fn tax_rate_label(bp: i64) -> String {
    format!("{}%", crate::amounts::percent(bp))
}

/// The words a client accepts, one fact per line, in a fixed order: the
/// estimate's number and title, the note, each line with its price, tax and
/// whether it is optional, the deposit and the expiry. Its SHA-256 is the
/// version the client must have read.
pub struct EstimateText<'a> {
    pub number: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub deposit_percent: i64,
    pub expires_at: i64,
    /// (id, description, line)
    pub lines: Vec<(&'a str, &'a str, &'a PricedLine)>,
}

impl EstimateText<'_> {
    pub fn canonical(&self) -> String {
        let mut text = format!("estimate {}\ntitle {}\nmessage {}\n", self.number, self.title, self.message.replace('\n', "\\n"));
        for (id, description, line) in &self.lines {
            text.push_str(&format!(
                "line {id} {} x {} tax {} {} {}\n",
                line.quantity,
                line.unit_price_minor,
                line.tax_rate_bp,
                if line.optional { "optional" } else { "required" },
                description.replace('\n', " "),
            ));
        }
        text.push_str(&format!("deposit {}%\nexpires {}\n", self.deposit_percent, self.expires_at));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, price: i64, tax: i64, optional: bool) -> PricedLine {
        PricedLine { quantity, unit_price_minor: price, tax_rate_bp: tax, optional }
    }

    #[test]
    fn totals_count_required_lines_and_chosen_options_each_with_its_tax() {
        let lines = [line(2, 12_500, 825, false), line(1, 4_000, 0, false), line(1, 9_999, 825, true), line(1, 1_000, 825, true)];
        let chosen = [false, false, true, false];
        let totals = totals(lines.iter().zip(chosen), 25);
        // 25,000 + 4,000 + 9,999 = 38,999; tax 2,062.50 → 2,063 and 824.92 → 825.
        assert_eq!(totals, Totals { subtotal: 38_999, tax: 2_888, total: 41_887, deposit: 10_472 });
        let none = super::totals(lines.iter().zip([false; 4]), 0);
        assert_eq!((none.subtotal, none.deposit), (29_000, 0));
    }

    #[test]
    fn tax_rates_are_read_as_people_write_them() {
        assert_eq!(parse_tax_rate(""), Some(0));
        assert_eq!(parse_tax_rate("8.25"), Some(825));
        assert_eq!(parse_tax_rate(" 7 % "), Some(700));
        assert_eq!(parse_tax_rate(".5"), Some(50));
        assert_eq!(parse_tax_rate("30"), Some(3_000));
        for refused in ["30.01", "8.255", "-1", "eight", ".", "1e2"] {
            assert_eq!(parse_tax_rate(refused), None, "{refused}");
        }
        assert_eq!(tax_rate_label(825), "8.25%");
        assert_eq!(tax_rate_label(750), "7.5%");
        assert_eq!(tax_rate_label(700), "7%");
        assert_eq!(tax_rate_label(5), "0.05%");
        assert_eq!((rate_input(290), rate_input(0)), ("2.9".to_string(), String::new()));
    }

    #[test]
    fn the_accepted_text_changes_with_any_price_or_option() {
        let a = line(1, 100, 0, false);
        let b = line(1, 100, 0, true);
        let text = |line: &PricedLine| {
            EstimateText { number: "E-0001", title: "Roof", message: "", deposit_percent: 0, expires_at: 1, lines: vec![("l1", "Shingles", line)] }.canonical()
        };
        assert_ne!(text(&a), text(&b));
        assert_eq!(text(&a), text(&a.clone()));
    }
}
