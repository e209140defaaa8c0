//! Mobile numbers for text messages, in E.164 form (`+12175550142`): what
//! every SMS provider takes, so the one check lives here.
//!
//! A number written with a `+` keeps its country code; ten digits without
//! one are read as North American (the demo's and most customers' case), as
//! are eleven starting with 1. Anything else is not a number we can text.

/// `number` in E.164 form, or `None` when it cannot be one.
pub fn normalize_phone(number: &str) -> Option<String> {
    let number = number.trim();
    let international = number.starts_with('+');
    let mut digits = String::new();
    for c in number.chars().skip(usize::from(international)) {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let e164 = match (international, digits.len()) {
        (true, 8..=15) if !digits.starts_with('0') => format!("+{digits}"),
        (false, 10) if !digits.starts_with(['0', '1']) => format!("+1{digits}"),
        (false, 11) if digits.starts_with('1') && !digits[1..].starts_with(['0', '1']) => format!("+{digits}"),
        _ => return None,
    };
    Some(e164)
}

#[cfg(test)]
mod tests {
    use super::normalize_phone;

    #[test]
    fn numbers_as_people_write_them_become_e164() {
        assert_eq!(normalize_phone("(217) 555-0142").as_deref(), Some("+12175550142"));
        assert_eq!(normalize_phone("1 217 555 0142").as_deref(), Some("+12175550142"));
        assert_eq!(normalize_phone(" +44 20 7946 0958 ").as_deref(), Some("+442079460958"));
    }

    #[test]
    fn what_cannot_be_texted_is_refused() {
        for number in ["", "555-0142", "+0 123 4567 890", "217 555 0142 ext 3", "+1 (217) 555-0142; DROP", "011 217 555 0142", "+1234567"] {
            assert_eq!(normalize_phone(number), None, "{number}");
        }
    }
}
