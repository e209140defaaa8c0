//! How a card's blocks are presented on the portal: links into the portal as
//! buttons (a to-do card's link to one of the page's tabs as its primary
//! button), and an e-mail address or a phone number, shown as a field's
//! value or a table's cell, as a `mailto:` or `tel:` link.

use portico_sections::sanitize::TaskState;
use std::collections::HashMap;

/// Where each card the viewer may see is on the job's page: (plugin, card)
/// to its tab's slug, or `None` on the dashboard. The business may move a
/// card to another tab, so a section links to its card, not to a tab.
pub(crate) type CardPlaces = HashMap<(String, String), Option<String>>;

/// How one card's links are resolved on this page.
pub(crate) struct PageLinks<'a> {
    /// The address sections name this page by: `/jobs/{job}` for a job's
    /// page, `/account` for the account hub.
    pub own_page: &'a str,
    /// The page's own address: the portal's, or staff's preview of it.
    pub base_url: &'a str,
    pub places: &'a CardPlaces,
}

/// Present every block of one card (the card as the template reads it).
pub(crate) fn present_card(card: &mut serde_json::Value, page: &PageLinks<'_>) {
    present_links(card, page);
    present_contacts(card);
    label_tables(card);
}

/// A table scrolls sideways on a phone in a region that screen readers
/// name: by its card's title.
fn label_tables(card: &mut serde_json::Value) {
    let title = card["title"].clone();
    let Some(blocks) = card["blocks"].as_array_mut() else { return };
    for block in blocks.iter_mut().filter(|block| block["kind"] == "table") {
        block["table_label"] = title.clone();
    }
}

/// Where a link to the job page goes: `?card=ID` is the section's own card
/// ID wherever the business placed it (its tab, at its anchor); anything else
/// keeps its query, on this page's address.
fn resolve(rest: &str, plugin_id: &str, page: &PageLinks<'_>) -> String {
    let base = page.base_url;
    let Some(card_id) = rest.strip_prefix("?card=") else { return format!("{base}{rest}") };
    match page.places.get(&(plugin_id.to_string(), card_id.to_string())) {
        Some(Some(tab)) => format!("{base}?tab={tab}#card-{plugin_id}-{card_id}"),
        Some(None) => format!("{base}#card-{plugin_id}-{card_id}"),
        // Not a card this viewer sees: the page itself.
        None => base.to_string(),
    }
}

/// Links that go somewhere on this job's own page become buttons: a section
/// linking to one of its tabs ("Read and sign") is sending the viewer to do
/// the card's task, so in a to-do card that link is the primary button.
/// Other links within the portal are plain buttons and links that leave it
/// stay links. A link to the job page follows the page wherever it is shown
/// (`base_url`: the portal, or staff's preview of it).
fn present_links(card: &mut serde_json::Value, links: &PageLinks<'_>) {
    let to_do = card["task"] == serde_json::json!(TaskState::ToDo);
    let plugin_id = card["plugin_id"].as_str().unwrap_or_default().to_string();
    let page = links.own_page;
    let Some(blocks) = card["blocks"].as_array_mut() else { return };
    for block in blocks.iter_mut().filter(|block| block["kind"] == "link") {
        let Some(url) = block["url"].as_str().map(str::to_string) else { continue };
        let on_this_page = url == page || url.strip_prefix(&page).is_some_and(|rest| rest.starts_with('?') || rest.starts_with('#'));
        let style = if on_this_page {
            block["url"] = resolve(&url[page.len()..], &plugin_id, links).into();
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
    // Characters that would add headers or a body to a `mailto:` are left out.
    let plain = !value.contains(['?', '&', '%', '#']);
    (plain && portico_core::email::is_email(value)).then(|| format!("mailto:{value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_tab_of_the_page_is_the_cards_button_and_follows_the_preview() {
        let mut view = serde_json::json!({
            "plugin_id": "agreements",
            "task": TaskState::ToDo,
            "blocks": [
                { "kind": "link", "label": "Read and sign", "url": "/jobs/j1?tab=agreements" },
                { "kind": "link", "label": "Summary", "url": "/jobs/j1/documents/d1" },
                { "kind": "link", "label": "Elsewhere", "url": "https://example.com/" },
                { "kind": "link", "label": "Other job", "url": "/jobs/j10?tab=x" },
                { "kind": "link", "label": "No url", "url": null },
            ]
        });
        let places = CardPlaces::new();
        present_links(&mut view, &PageLinks { own_page: "/jobs/j1", base_url: "/staff/jobs/j1/preview/c1", places: &places });
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
    fn a_link_to_a_card_finds_it_wherever_the_business_placed_it() {
        let mut places = CardPlaces::new();
        places.insert(("agreements".into(), "read-and-sign".into()), Some("paperwork".into()));
        places.insert(("agreements".into(), "sign-agreement".into()), None);
        let links = PageLinks { own_page: "/jobs/j1", base_url: "/jobs/j1", places: &places };
        assert_eq!(resolve("?card=read-and-sign", "agreements", &links), "/jobs/j1?tab=paperwork#card-agreements-read-and-sign");
        assert_eq!(resolve("?card=sign-agreement", "agreements", &links), "/jobs/j1#card-agreements-sign-agreement");
        assert_eq!(resolve("?card=read-and-sign", "reports", &links), "/jobs/j1", "only the section's own cards");
        assert_eq!(resolve("?tab=reports", "agreements", &links), "/jobs/j1?tab=reports");
    }

    #[test]
    fn addresses_and_phone_numbers_become_links_and_nothing_else_does() {
        assert_eq!(contact_href("(555) 010-2200").as_deref(), Some("tel:5550102200"));
        assert_eq!(contact_href("+44 20 7946 0958").as_deref(), Some("tel:+442079460958"));
        assert_eq!(contact_href("office@keystone.example").as_deref(), Some("mailto:office@keystone.example"));
        for plain in ["2026", "$610.00", "Electrician", "INS-1042", "Sat Nov 28, 2026", "mailto:x@y.example", "2026-11-28", "62704-1234", "1234567890", "555-0142", "a?cc=x@evil.example"] {
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

    #[test]
    fn a_table_is_named_by_its_cards_title() {
        let mut card = serde_json::json!({ "title": "Who to call", "blocks": [
            { "kind": "text", "text": "Our trades" },
            { "kind": "table", "columns": ["Name"], "rows": [["Bright Spark"]] },
        ]});
        label_tables(&mut card);
        assert_eq!(card["blocks"][1]["table_label"], "Who to call");
        assert!(card["blocks"][0].get("table_label").is_none(), "only tables");
    }
}
