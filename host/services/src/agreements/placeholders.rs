//! The placeholders an agreement template may use, and filling them in.
//!
//! Agreements are long legal texts with a handful of `{{name}}` placeholders
//! and no logic, so a plain scan fills them. (Handlebars' parser guards its
//! recursion by measuring the native stack, and refuses to run inside a plugin's
//! host call, which runs on wasmtime's own fiber stack: "stack limit reached".)

/// Each placeholder with what it stands for and a sample for the editor's preview.
pub const PLACEHOLDERS: &[(&str, &str, &str)] = &[
    ("client", "the client's name (and the co-client's)", "Dana Whitfield"),
    ("address", "the property's address", "1428 Elm Street, Springfield, IL 62704"),
    ("fee", "what the job costs: its invoice total, or its services before an invoice exists", "$610.00"),
    ("date", "the day of the first appointment", "Monday, November 23, 2026"),
    ("company", "your business's name", "Keystone Home Inspections"),
];

/// The values of one job.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub client: String,
    pub address: String,
    pub fee: String,
    pub date: String,
    pub company: String,
}

impl Facts {
    fn value(&self, name: &str) -> Option<&str> {
        Some(match name {
            "client" => &self.client,
            "address" => &self.address,
            "fee" => &self.fee,
            "date" => &self.date,
            "company" => &self.company,
            _ => return None,
        })
    }
}

/// Why a text cannot be filled in.
#[derive(Debug, PartialEq, Eq)]
enum TemplateError {
    /// It uses `{{name}}`, which agreements do not offer.
    Unknown(String),
    /// A `{{` is never closed.
    Unclosed,
}

/// Replace each `{{ name }}` of `source` with `value(name)`.
fn render<'a>(source: &str, value: impl Fn(&str) -> Option<&'a str>) -> Result<String, TemplateError> {
    let mut filled = String::with_capacity(source.len() + 128);
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        filled.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        filled.push_str(value(name).ok_or_else(|| TemplateError::Unknown(name.to_string()))?);
        rest = &after[end + 2..];
    }
    filled.push_str(rest);
    Ok(filled)
}

/// The template with this job's values.
pub fn fill(body: &str, facts: &Facts) -> Result<String, String> {
    render(body, |name| facts.value(name)).map_err(|e| explain(&e))
}

/// Check a template as staff typed it; on success, the text as it would read
/// with sample values.
pub fn validate(title: &str, body: &str) -> Result<String, String> {
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err("Give the agreement a title of at most 200 characters.".into());
    }
    if body.trim().is_empty() {
        return Err("The agreement needs its text.".into());
    }
    if body.len() > 100_000 {
        return Err("The agreement's text is limited to 100,000 characters.".into());
    }
    let sample = |name: &str| PLACEHOLDERS.iter().find(|(p, _, _)| *p == name).map(|(_, _, sample)| *sample);
    render(body, sample).map_err(|e| explain(&e))
}

fn explain(error: &TemplateError) -> String {
    let offered: Vec<String> = PLACEHOLDERS.iter().map(|(name, _, _)| format!("{{{{{name}}}}}")).collect();
    match error {
        TemplateError::Unknown(name) => {
            format!("The text uses {{{{{name}}}}}, which agreements do not have. Use {}.", offered.join(", "))
        }
        TemplateError::Unclosed => "The text opens a placeholder with {{ and never closes it with }}.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_fills_on_a_small_stack() {
        let body = "Terms. ".repeat(20_000) + "{{client}}";
        let facts = Facts { client: "Dana".into(), ..Facts::default() };
        let filled = std::thread::Builder::new().stack_size(64 * 1024).spawn(move || fill(&body, &facts)).unwrap().join().unwrap();
        assert!(filled.unwrap().ends_with("Terms. Dana"));
    }

    #[test]
    fn placeholders_are_filled_without_escaping() {
        let facts = Facts { client: "Dana & Lee".into(), company: "Keystone".into(), fee: "$610.00".into(), ..Facts::default() };
        assert_eq!(fill("{{company}} inspects for {{client}}: {{fee}}", &facts).unwrap(), "Keystone inspects for Dana & Lee: $610.00");
    }

    #[test]
    fn unknown_placeholders_and_empty_texts_are_refused_with_the_reason() {
        let unknown = validate("Agreement", "Fee: {{price}}").unwrap_err();
        assert!(unknown.contains("{{price}}") && unknown.contains("{{fee}}"), "{unknown}");
        assert!(validate("Agreement", "  ").unwrap_err().contains("needs its text"));
        assert!(validate("", "Text").unwrap_err().contains("title"));
        assert!(validate("Agreement", "For {{client").unwrap_err().contains("never closes"));
        assert_eq!(validate("Agreement", "For {{ client }}, {{fee}}.").unwrap(), "For Dana Whitfield, $610.00.");
        assert_eq!(validate("Agreement", "For {{client}}").unwrap(), "For Dana Whitfield");
    }
}
