//! The console's menu: one list of its pages, each shown to the roles that may
//! use it, with the page being shown marked as current.

use super::roles::Ability;
use crate::sessions::StaffSession;
use serde::Serialize;

/// One entry of the menu, and the templates that count as being on it.
struct Entry {
    href: &'static str,
    label: &'static str,
    /// Who sees it; `None`: every member.
    ability: Option<Ability>,
    templates: &'static [&'static str],
}

const MENU: &[Entry] = &[
    Entry { href: "/staff", label: "Jobs", ability: None, templates: &["staff_home", "staff_job", "staff_new_job", "staff_estimate"] },
    Entry { href: "/staff/properties", label: "Properties", ability: Some(Ability::ViewJobs), templates: &["staff_properties", "staff_property"] },
    Entry { href: "/staff/inbox", label: "Inbox", ability: Some(Ability::Converse), templates: &["staff_inbox", "staff_conversation", "staff_new_conversation"] },
    Entry { href: "/staff/requests", label: "Requests", ability: Some(Ability::Converse), templates: &["staff_requests", "staff_request"] },
    Entry { href: "/staff/batches", label: "Batch invoices", ability: Some(Ability::RecordPayments), templates: &["staff_batches"] },
    Entry { href: "/staff/access", label: "Access log", ability: Some(Ability::ReadAccessLog), templates: &["staff_access"] },
    Entry { href: "/staff/team", label: "Team", ability: Some(Ability::ManageTeam), templates: &["staff_team"] },
    Entry {
        href: "/staff/sections",
        label: "Sections",
        ability: Some(Ability::ManageSections),
        templates: &["staff_sections", "staff_section", "staff_section_review"],
    },
    Entry {
        href: "/staff/agreements",
        label: "Agreements & reports",
        ability: Some(Ability::ManageSettings),
        templates: &["staff_agreements", "staff_agreement_template"],
    },
    Entry { href: "/staff/add-ons", label: "Add-ons", ability: Some(Ability::ManageSettings), templates: &["staff_add_ons"] },
    Entry { href: "/staff/branding", label: "Branding", ability: Some(Ability::ManageSettings), templates: &["staff_branding"] },
    Entry { href: "/staff/payments", label: "Payments", ability: Some(Ability::ManageSettings), templates: &["staff_payment_settings"] },
    Entry { href: "/staff/api", label: "API", ability: Some(Ability::ManageIntegrations), templates: &["staff_api"] },
    Entry { href: "/staff/webhooks", label: "Webhooks", ability: Some(Ability::ManageIntegrations), templates: &["staff_webhooks", "staff_webhook"] },
    Entry {
        href: "/staff/settings",
        label: "Sign-in & mail",
        ability: Some(Ability::ManageSettings),
        templates: &["staff_settings", "staff_mail_template", "staff_notifications"],
    },
];

#[derive(Serialize)]
pub(super) struct MenuItem {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// The entries `session` may use, the one `template` belongs to marked; the
/// sections' own console pages (`section_pages`, already filtered for the
/// member's role) come right after Jobs.
pub(super) fn menu(session: &StaffSession, template: &str, section_pages: Vec<MenuItem>) -> Vec<MenuItem> {
    let mut items: Vec<MenuItem> = MENU
        .iter()
        .filter(|entry| entry.ability.is_none_or(|ability| session.may(ability)))
        .map(|entry| MenuItem { href: entry.href.into(), label: entry.label.into(), current: entry.templates.contains(&template) })
        .collect();
    let after_jobs = items.iter().position(|item| item.href == "/staff").map_or(0, |at| at + 1);
    items.splice(after_jobs..after_jobs, section_pages);
    items
}

/// The console page of a section, shown by its own menu entry.
pub(super) const SECTION_PAGE_TEMPLATE: &str = "staff_section_page";

#[cfg(test)]
mod tests {
    use super::MENU;


    #[test]
    fn every_console_page_belongs_to_one_entry() {
        let templates: Vec<&str> = MENU.iter().flat_map(|entry| entry.templates.iter().copied()).collect();
        let mut unique = templates.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), templates.len(), "a template is on two entries");
        // A console page is a template with the console's header.
        for template in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/templates")).unwrap() {
            let path = template.unwrap().path();
            if path.is_dir() {
                continue;
            }
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            // A section's page is on its own entry, made from the installed sections.
            if name == super::SECTION_PAGE_TEMPLATE {
                continue;
            }
            if std::fs::read_to_string(&path).unwrap().contains(r#"{{include "staff_header"}}"#) {
                assert!(templates.contains(&name.as_str()), "{name} is on no menu entry");
            }
        }
    }
}
