//! A section's settings: the form the console generates from the plugin's
//! settings schema, the checks a submitted form must pass, and the values a
//! plugin is given (only those that fit its schema, over its defaults).

use super::bindings::section::{SettingKind, SettingSpec};
use portico_core::model::Role;
use serde_json::{Map, Value};

/// Longest one-line text setting, in characters.
const MAX_TEXT: usize = 500;
/// Longest several-line text setting, in characters.
const MAX_LONG_TEXT: usize = 20_000;

/// The form field name of a setting: prefixed so that a plugin's key can
/// never collide with the console's own fields (`csrf`).
pub fn field_name(key: &str) -> String {
    format!("setting.{key}")
}

/// Check one stored or submitted value against its kind.
fn check(kind: &SettingKind, value: &Value) -> Result<(), String> {
    match (kind, value) {
        (SettingKind::Text, Value::String(text)) if text.contains(['\n', '\r']) => Err("must be on one line".into()),
        (SettingKind::Text, Value::String(text)) if text.chars().count() > MAX_TEXT => {
            Err(format!("may be at most {MAX_TEXT} characters"))
        }
        (SettingKind::LongText, Value::String(text)) if text.chars().count() > MAX_LONG_TEXT => {
            Err(format!("may be at most {MAX_LONG_TEXT} characters"))
        }
        (SettingKind::Text | SettingKind::LongText, Value::String(_)) => Ok(()),
        (SettingKind::Boolean, Value::Bool(_)) => Ok(()),
        (SettingKind::Integer, Value::Number(n)) if n.is_i64() => Ok(()),
        (SettingKind::Choice(options), Value::String(choice)) if options.contains(choice) => Ok(()),
        (SettingKind::Choice(options), _) => Err(format!("must be one of: {}", options.join(", "))),
        (SettingKind::Roles, Value::Array(roles))
            if roles.iter().all(|r| r.as_str().is_some_and(|r| Role::ALL.iter().any(|role| role.as_str() == r))) =>
        {
            Ok(())
        }
        (SettingKind::Roles, _) => Err("may only name the roles of people on a job".into()),
        (SettingKind::Integer, _) => Err("must be a whole number".into()),
        (SettingKind::Boolean, _) => Err("must be on or off".into()),
        (SettingKind::Text | SettingKind::LongText, _) => Err("must be text".into()),
    }
}

/// The values a plugin sees: its declared defaults, overlaid with the stored
/// values that still fit its schema (a value stored for an older version
/// whose kind changed falls back to the default; unknown keys are dropped).
pub fn effective(specs: &[SettingSpec], stored_json: &str) -> Map<String, Value> {
    let stored: Map<String, Value> = serde_json::from_str(stored_json).unwrap_or_default();
    specs
        .iter()
        .filter_map(|spec| {
            let value = stored
                .get(&spec.key)
                .filter(|value| check(&spec.kind, value).is_ok())
                .cloned()
                .or_else(|| serde_json::from_str(&spec.default_value).ok())?;
            Some((spec.key.clone(), value))
        })
        .collect()
}

/// What the owner set: `values` (a parsed form, which shows every setting)
/// without those still at the plugin's default. Stored this way, a setting
/// the owner never touched follows the plugin's default when the plugin is
/// upgraded, and nothing the plugin suggested (a partner's address) ever
/// counts as the business's own words.
pub fn owner_set(specs: &[SettingSpec], values: Map<String, Value>) -> Map<String, Value> {
    values
        .into_iter()
        .filter(|(key, value)| {
            let default = specs.iter().find(|spec| spec.key == *key).and_then(|spec| serde_json::from_str::<Value>(&spec.default_value).ok());
            default.as_ref() != Some(value)
        })
        .collect()
}

/// One setting as the console's form shows it.
#[derive(Debug, serde::Serialize)]
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    /// `text`, `long-text`, `boolean`, `integer`, `choice` or `roles`.
    pub kind: &'static str,
    /// The value for text, long-text and integer inputs.
    pub value: String,
    pub checked: bool,
    /// For `choice` and `roles`: each option and whether it is selected.
    pub options: Vec<OptionView>,
    pub error: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The form for `specs`, showing `values` (the effective settings, or what
/// the tenant typed when the form was refused) and each field's error.
pub fn form(specs: &[SettingSpec], values: &Map<String, Value>, errors: &[(String, String)]) -> Vec<FieldView> {
    specs
        .iter()
        .map(|spec| {
            let value = values.get(&spec.key);
            let text = match value {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            let (kind, options) = match &spec.kind {
                SettingKind::Text => ("text", Vec::new()),
                SettingKind::LongText => ("long-text", Vec::new()),
                SettingKind::Boolean => ("boolean", Vec::new()),
                SettingKind::Integer => ("integer", Vec::new()),
                SettingKind::Choice(choices) => (
                    "choice",
                    choices
                        .iter()
                        .map(|c| OptionView { value: c.clone(), label: c.clone(), selected: *c == text })
                        .collect(),
                ),
                SettingKind::Roles => (
                    "roles",
                    Role::ALL
                        .iter()
                        .filter(|role| **role != Role::Staff)
                        .map(|role| OptionView {
                            value: role.as_str().into(),
                            label: role.label().into(),
                            selected: value
                                .and_then(Value::as_array)
                                .is_some_and(|selected| selected.iter().any(|r| r.as_str() == Some(role.as_str()))),
                        })
                        .collect(),
                ),
            };
            FieldView {
                name: field_name(&spec.key),
                label: spec.label.clone(),
                help: spec.help.clone(),
                kind,
                value: text,
                checked: value == Some(&Value::Bool(true)),
                options,
                error: errors.iter().find(|(key, _)| *key == spec.key).map(|(_, e)| e.clone()),
            }
        })
        .collect()
}

/// A refused settings form: the values as typed (to show again) and one
/// message per field that needs fixing, by key.
pub type Refused = (Map<String, Value>, Vec<(String, String)>);

/// Read a submitted form into settings, or say what needs fixing.
pub fn parse(specs: &[SettingSpec], submitted: &[(String, String)]) -> Result<Map<String, Value>, Refused> {
    let mut values = Map::new();
    let mut errors = Vec::new();
    for spec in specs {
        let name = field_name(&spec.key);
        let mut given = submitted.iter().filter(|(field, _)| *field == name).map(|(_, v)| v.as_str());
        let first = given.clone().next();
        let value = match &spec.kind {
            // Browsers send CRLF from a textarea; plugins get plain newlines.
            SettingKind::LongText => Value::String(first.unwrap_or_default().replace("\r\n", "\n")),
            SettingKind::Text => Value::String(first.unwrap_or_default().trim().to_string()),
            SettingKind::Boolean => Value::Bool(first.is_some()),
            SettingKind::Integer => {
                let typed = first.unwrap_or_default().trim();
                match typed.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => {
                        errors.push((spec.key.clone(), format!("{} must be a whole number; “{typed}” is not.", spec.label)));
                        Value::String(typed.to_string())
                    }
                }
            }
            SettingKind::Choice(_) => Value::String(first.unwrap_or_default().to_string()),
            SettingKind::Roles => Value::Array(given.by_ref().map(|r| Value::String(r.to_string())).collect()),
        };
        if !errors.iter().any(|(key, _)| *key == spec.key)
            && let Err(why) = check(&spec.kind, &value)
        {
            errors.push((spec.key.clone(), format!("{} {why}.", spec.label)));
        }
        values.insert(spec.key.clone(), value);
    }
    if errors.is_empty() { Ok(values) } else { Err((values, errors)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: &str, kind: SettingKind, default_value: &str) -> SettingSpec {
        SettingSpec { key: key.into(), label: key.to_uppercase(), help: None, kind, default_value: default_value.into() }
    }

    fn specs() -> Vec<SettingSpec> {
        vec![
            spec("title", SettingKind::Text, "\"Offers\""),
            spec("list", SettingKind::LongText, "\"\""),
            spec("on", SettingKind::Boolean, "false"),
            spec("limit", SettingKind::Integer, "5"),
            spec("style", SettingKind::Choice(vec!["plain".into(), "bold".into()]), "\"plain\""),
            spec("who", SettingKind::Roles, "[\"client\"]"),
        ]
    }

    #[test]
    fn only_what_the_owner_changed_is_stored() {
        let typed = parse(&specs(), &form_of(&[("title", "Offers"), ("list", "movers | a@b.example"), ("limit", "5"), ("style", "plain"), ("who", "client")])).unwrap();
        let stored = owner_set(&specs(), typed);
        assert_eq!(Value::Object(stored).to_string(), r#"{"list":"movers | a@b.example"}"#);
    }

    fn form_of(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (field_name(k), v.to_string())).collect()
    }

    #[test]
    fn a_good_form_becomes_typed_settings() {
        let submitted = form_of(&[
            ("title", "  Special offers "),
            ("list", "a\r\nb"),
            ("on", "on"),
            ("limit", "7"),
            ("style", "bold"),
            ("who", "client"),
            ("who", "buyer-agent"),
        ]);
        let values = parse(&specs(), &submitted).unwrap();
        assert_eq!(
            Value::Object(values),
            serde_json::json!({"title": "Special offers", "list": "a\nb", "on": true, "limit": 7, "style": "bold", "who": ["client", "buyer-agent"]})
        );
    }

    #[test]
    fn each_bad_field_is_named_and_what_was_typed_is_kept() {
        let submitted = form_of(&[("title", "x"), ("limit", "seven"), ("style", "loud"), ("who", "intruder")]);
        let (kept, errors) = parse(&specs(), &submitted).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["limit", "style", "who"]);
        assert_eq!(errors[0].1, "LIMIT must be a whole number; “seven” is not.");
        assert_eq!(errors[1].1, "STYLE must be one of: plain, bold.");
        assert_eq!(kept["limit"], "seven");
        let shown = form(&specs(), &kept, &errors);
        assert_eq!(shown[3].value, "seven");
        assert!(shown[3].error.is_some() && shown[0].error.is_none());
    }

    #[test]
    fn a_plugin_sees_defaults_and_only_values_that_fit() {
        let stored = r#"{"limit": "not a number", "on": true, "unknown": 1, "title": "Ours"}"#;
        let values = effective(&specs(), stored);
        assert_eq!(values["limit"], 5, "a stale value falls back to the default");
        assert_eq!(values["on"], true);
        assert_eq!(values["title"], "Ours");
        assert!(!values.contains_key("unknown"));
        assert_eq!(values["who"], serde_json::json!(["client"]));
    }

    #[test]
    fn one_line_text_stays_on_one_line() {
        let (_, errors) = parse(&specs(), &form_of(&[("title", "a\nb")])).unwrap_err();
        assert_eq!(errors[0].1, "TITLE must be on one line.");
    }
}
