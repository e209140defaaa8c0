//! The four surfaces a section's cards appear on, and the one rule of which
//! declared cards a viewer may see on each. Rendering, the unavailable card
//! and every action endpoint ask this module, so a staff card never reaches
//! a client's page and a client's form never reaches a staff card.

use super::bindings::cards::{CardSpec, Placement};
use super::bindings::types::{StaffRole as WitStaffRole, Surface};
use super::call::ViewerIdentity;
use portico_core::model::StaffRole;

/// The surface a card's placement puts it on.
pub fn surface_of(placement: &Placement) -> Surface {
    match placement {
        Placement::Dashboard | Placement::Tab(_) => Surface::JobPage,
        Placement::Hub | Placement::HubTab(_) => Surface::AccountHub,
        Placement::StaffPanel(_) => Surface::StaffJobPage,
        Placement::StaffPage(_) => Surface::StaffPage,
    }
}

/// Whether `viewer` may see the card of `spec` on `surface`: only on the
/// card's own surface; on a job page or the hub, for the card's roles; on a
/// staff surface, for the staff roles its placement names.
pub fn may_see(spec: &CardSpec, surface: Surface, viewer: &ViewerIdentity) -> bool {
    if surface_of(&spec.placement) != surface {
        return false;
    }
    match &spec.placement {
        Placement::StaffPanel(roles) | Placement::StaffPage(roles) => {
            viewer.staff.as_ref().is_some_and(|staff| roles.contains(&to_wit_staff_role(staff.role)))
        }
        Placement::Dashboard | Placement::Tab(_) | Placement::Hub | Placement::HubTab(_) => {
            spec.roles.contains(&super::host_api::to_wit_role(viewer.role))
        }
    }
}

/// The roles a section's cards on a job's page are shown to, from its
/// stored descriptor (none when it cannot be read).
pub fn job_page_roles(descriptor_json: &str) -> Vec<portico_core::model::Role> {
    let Ok(descriptor) = serde_json::from_str::<super::Descriptor>(descriptor_json) else { return Vec::new() };
    let mut roles = Vec::new();
    for spec in descriptor.cards.iter().filter(|spec| surface_of(&spec.placement) == Surface::JobPage) {
        for role in spec.roles.iter().map(|role| super::host_api::from_wit_role(*role)) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    roles
}

/// The tab a card's own placement names on its surface (`None`: the
/// surface's home, or a staff surface, which has no tabs).
pub fn declared_tab(placement: &Placement) -> Option<&str> {
    match placement {
        Placement::Tab(title) | Placement::HubTab(title) => Some(title),
        Placement::Dashboard | Placement::Hub | Placement::StaffPanel(_) | Placement::StaffPage(_) => None,
    }
}

/// Whether the business may move the card between tabs (the job page's and
/// the hub's cards; staff surfaces have none).
pub fn has_tabs(surface: Surface) -> bool {
    matches!(surface, Surface::JobPage | Surface::AccountHub)
}

pub fn to_wit_staff_role(role: StaffRole) -> WitStaffRole {
    match role {
        StaffRole::Owner => WitStaffRole::Owner,
        StaffRole::Office => WitStaffRole::Office,
        StaffRole::Employee => WitStaffRole::Employee,
    }
}

/// Where a card goes, in a business owner's words ("Job page, tab “Documents”",
/// "Console job page, for Owner and Office").
pub fn describe_placement(placement: &Placement) -> String {
    let staff = |roles: &[WitStaffRole]| {
        let names: Vec<&str> = roles.iter().map(|role| from_wit_staff_role(*role).label()).collect();
        match names.as_slice() {
            [] => "nobody".to_string(),
            [only] => only.to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    };
    match placement {
        Placement::Dashboard => "Job page, dashboard".into(),
        Placement::Tab(tab) => format!("Job page, tab “{tab}”"),
        Placement::Hub => "Account page".into(),
        Placement::HubTab(tab) => format!("Account page, tab “{tab}”"),
        Placement::StaffPanel(roles) => format!("Console job page, for {}", staff(roles)),
        Placement::StaffPage(roles) => format!("The section's console page, for {}", staff(roles)),
    }
}

/// A surface's home page, in a business owner's words.
pub fn home_label(surface: Surface) -> &'static str {
    match surface {
        Surface::AccountHub => "Account page",
        _ => "Dashboard",
    }
}

pub fn from_wit_staff_role(role: WitStaffRole) -> StaffRole {
    match role {
        WitStaffRole::Owner => StaffRole::Owner,
        WitStaffRole::Office => StaffRole::Office,
        WitStaffRole::Employee => StaffRole::Employee,
    }
}
