//! Text the host accepts from people and sections: shortened to fit, made safe
//! for one log line, and links that stay on the portal or go to an https site.

/// The longest link the host keeps.
const URL: usize = 2000;

/// A plugin's text made fit for one log line or one stored message: every
/// control character written as an escape (`\n`, `\u{1b}`), so a newline
/// cannot start a forged line, then clamped to `max` bytes.
pub fn one_line(text: &str, max: usize) -> String {
    let escaped: String = text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect();
    clamp(&escaped, max)
}

/// Shorten `text` to at most `max` bytes on a character boundary, with an ellipsis.
pub fn clamp(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// What a person typed on one line: the spaces around it trimmed, a pasted
/// tab or line break (any control character) made a space.
pub fn typed_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// What a person typed in a text box: the spaces around it trimmed, line
/// breaks kept as `\n`, other control characters dropped.
pub fn typed_paragraphs(text: &str) -> String {
    text.replace("\r\n", "\n").chars().filter(|c| *c == '\n' || !c.is_control()).collect::<String>().trim().to_string()
}

/// Links may point at the portal itself or at an https site, nowhere else.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    if url.len() > URL {
        return None;
    }
    let https = url::Url::parse(url).is_ok_and(|parsed| parsed.scheme() == "https" && parsed.host().is_some());
    (https || local_path(url).is_some()).then(|| url.to_string())
}

/// `url` when it is a path on this host (`/jobs/…`), made only of characters a
/// URL path may hold unescaped: where an action may send the viewer next.
/// Anything that could leave the portal (`//host`, `https:`) is refused.
pub fn local_path(url: &str) -> Option<String> {
    let url = url.trim();
    let on_this_host = url.len() <= URL
        && url.starts_with('/')
        && !url.starts_with("//")
        && url.chars().all(|c| c.is_ascii_alphanumeric() || "/-._~%?#&=+:@!$,;".contains(c));
    on_this_host.then(|| url.to_string())
}

/// Phrases as one: "a", "a and b", "a, b and c".
pub fn and_list(phrases: &[String]) -> String {
    match phrases {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamping_keeps_characters_whole() {
        assert_eq!(clamp("short", 10), "short");
        let clamped = clamp(&"é".repeat(100), 11);
        assert!(clamped.len() <= 11 && clamped.ends_with('…'));
    }

    #[test]
    fn only_own_paths_and_https_links_survive() {
        assert_eq!(safe_url("/jobs/1/documents/2").as_deref(), Some("/jobs/1/documents/2"));
        assert_eq!(safe_url("https://example.com/a").as_deref(), Some("https://example.com/a"));
        for bad in ["javascript:alert(1)", "//evil.example/x", "http://plain.example", "data:text/html,x", "/\\evil", "/x\" onclick=\"y"] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }
}
