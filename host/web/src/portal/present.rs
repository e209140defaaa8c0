//! How a card's blocks are presented on the portal: links into the portal as
//! buttons (a to-do card's link to one of the page's tabs as its primary
//! button), and an e-mail address or a phone number, shown as a field's
//! value or a table's cell, as a `mailto:` or `tel:` link.

use portico_core::ids::JobId;
use portico_sections::sanitize::TaskState;

/// Present every block of one card (the card as the template reads it).
pub(crate) fn present_card(card: &mut serde_json::Value, job_id: &JobId, base_url: &str) {
    present_links(card, job_id, base_url);
    present_contacts(card);
}

/// Links that go somewhere on this job's own page become buttons: a section
/// linking to one of its tabs ("Read and sign") is sending the viewer to do
/// the card's task, so in a to-do card that link is the primary button.
/// Other links within the portal are plain buttons and links that leave it
/// stay links. A link to the job page follows the page wherever it is shown
/// (`base_url`: the portal, or staff's preview of it).
fn present_links(card: &mut serde_json::Value, job_id: &JobId, base_url: &str) {
    let to_do = card["task"] == serde_json::json!(TaskState::ToDo);
    let page = format!("/jobs/{job_id}");
    let Some(blocks) = card["blocks"].as_array_mut() else { return };
    for block in blocks.iter_mut().filter(|block| block["kind"] == "link") {
        let Some(url) = block["url"].as_str().map(str::to_string) else { continue };
        let on_this_page = url == page || url.strip_prefix(&page).is_some_and(|rest| rest.starts_with('?') || rest.starts_with('#'));
        let style = if on_this_page {
            block["url"] = format!("{base_url}{}", &url[page.len()..]).into();
            if to_do { "primary" } else { "secondary" }
        } else if url.starts_with('/') {
            "secondary"
        } else {
            ""
        };
        block["button"] = style.into();
    }
}

/// Values that are an e-mail address or a phone number and nothing else get
/// the link a phone or a mail client opens: fields get `href`, table rows
/// become cells of `text` and `href`.
fn present_contacts(card: &mut serde_json::Value) {
    let Some(blocks) = card["blocks"].as_array_mut() else { return };
    for block in blocks.iter_mut() {
        if block["kind"] == "fields" {
            for field in block["fields"].as_array_mut().into_iter().flatten() {
                let href = field["value"].as_str().and_then(contact_href);
                field["href"] = href.into();
            }
        } else if block["kind"] == "table" {
            for row in block["rows"].as_array_mut().into_iter().flatten() {
                for cell in row.as_array_mut().into_iter().flatten() {
                    let text = cell.as_str().unwrap_or_default().to_string();
                    *cell = serde_json::json!({ "href": contact_href(&text), "text": text });
                }
            }
        }
    }
}

/// `mailto:` for an e-mail address, `tel:` for a phone number.
fn contact_href(value: &str) -> Option<String> {
    let value = value.trim();
    // Written as a phone number: 10 to 15 digits with a "+" or separators
    // (a date or a ZIP+4 code has fewer digits; an account number, none).
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let written_as_phone = value.starts_with('+') || value.contains([' ', '(', '-', '.']);
    let phone = (10..=15).contains(&digits)
        && written_as_phone
        && value.len() <= 25
        && value.chars().all(|c| c.is_ascii_digit() || " ()+-.".contains(c));
    if phone {
        return Some(crate::view::tel_href(value));
    }
    portico_core::email::is_email(value).then(|| format!("mailto:{value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_tab_of_the_page_is_the_cards_button_and_follows_the_preview() {
        let job = JobId::new("j1".to_string());
        let mut view = serde_json::json!({
            "task": TaskState::ToDo,
            "blocks": [
                { "kind": "link", "label": "Read and sign", "url": "/jobs/j1?tab=agreements" },
                { "kind": "link", "label": "Summary", "url": "/jobs/j1/documents/d1" },
                { "kind": "link", "label": "Elsewhere", "url": "https://example.com/" },
                { "kind": "link", "label": "Other job", "url": "/jobs/j10?tab=x" },
                { "kind": "link", "label": "No url", "url": null },
            ]
        });
        present_links(&mut view, &job, "/staff/jobs/j1/preview/c1");
        let blocks = view["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["url"], "/staff/jobs/j1/preview/c1?tab=agreements");
        assert_eq!(blocks[0]["button"], "primary");
        assert_eq!(blocks[1]["button"], "secondary");
        assert_eq!(blocks[2]["button"], "");
        assert_eq!(blocks[3]["url"], "/jobs/j10?tab=x", "another job's page is not this page");
        assert_eq!(blocks[3]["button"], "secondary");
        assert!(blocks[4].get("button").is_none());
    }

    #[test]
    fn addresses_and_phone_numbers_become_links_and_nothing_else_does() {
        assert_eq!(contact_href("(555) 010-2200").as_deref(), Some("tel:5550102200"));
        assert_eq!(contact_href("+44 20 7946 0958").as_deref(), Some("tel:+442079460958"));
        assert_eq!(contact_href("office@keystone.example").as_deref(), Some("mailto:office@keystone.example"));
        for plain in ["2026", "$610.00", "Electrician", "INS-1042", "Sat Nov 28, 2026", "mailto:x@y.example", "2026-11-28", "62704-1234", "1234567890", "555-0142"] {
            assert_eq!(contact_href(plain), None, "{plain}");
        }
        let mut card = serde_json::json!({ "blocks": [
            { "kind": "fields", "fields": [{ "label": "Phone", "value": "555-010-0142" }] },
            { "kind": "table", "columns": ["Name", "Phone"], "rows": [["Bright Spark", "(555) 010-2200"]] },
        ]});
        present_contacts(&mut card);
        assert_eq!(card["blocks"][0]["fields"][0]["href"], "tel:5550100142");
        assert_eq!(card["blocks"][1]["rows"][0][0], serde_json::json!({ "text": "Bright Spark", "href": null }));
        assert_eq!(card["blocks"][1]["rows"][0][1]["href"], "tel:5550102200");
    }
}
