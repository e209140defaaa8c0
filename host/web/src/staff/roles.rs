//! What each staff role may do, checked on the server for every request.
//!
//! - **owner**: everything, including the team, sign-in settings, mail
//!   templates, sections (installing, permissions, settings, uploads) and
//!   API keys and webhooks.
//! - **office**: runs jobs: creating them, their people, services, invoice
//!   and documents, people's links (send, renew, revoke), the access log,
//!   recording manual payments (which the owner approves), and deciding the
//!   add-ons clients request.
//! - **employee**: sees jobs and their activity; changes nothing about access.

use crate::error::WebError;
use crate::sessions::StaffSession;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ability {
    ViewJobs,
    ManageLinks,
    ReadAccessLog,
    ManageSettings,
    ManageTeam,
    RecordPayments,
    ApprovePayments,
    DecideAddOns,
    ManageSections,
    ManageJobs,
    ManageIntegrations,
}

pub const ROLES: [&str; 3] = ["owner", "office", "employee"];

/// How a role is named to people.
pub fn label(role: &str) -> &'static str {
    match role {
        "owner" => "Owner",
        "office" => "Office",
        _ => "Employee",
    }
}

pub fn allows(role: &str, ability: Ability) -> bool {
    match role {
        "owner" => true,
        "office" => matches!(
            ability,
            Ability::ViewJobs
                | Ability::ManageJobs
                | Ability::ManageLinks
                | Ability::ReadAccessLog
                | Ability::RecordPayments
                | Ability::DecideAddOns
        ),
        "employee" => matches!(ability, Ability::ViewJobs),
        _ => false,
    }
}

impl StaffSession {
    /// Go on only if the staff member's role allows `ability`.
    pub fn require(&self, ability: Ability) -> Result<(), WebError> {
        if allows(&self.user.role, ability) { Ok(()) } else { Err(WebError::Forbidden) }
    }

    pub fn may(&self, ability: Ability) -> bool {
        allows(&self.user.role, ability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_runs_jobs_and_employees_only_look() {
        assert!(ROLES.iter().all(|role| allows(role, Ability::ViewJobs)));
        assert!(allows("owner", Ability::ManageTeam) && allows("owner", Ability::ManageSettings));
        assert!(allows("office", Ability::ManageLinks) && allows("office", Ability::ReadAccessLog));
        assert!(!allows("office", Ability::ManageTeam) && !allows("office", Ability::ManageSettings));
        assert!(allows("owner", Ability::ManageSections) && allows("owner", Ability::ManageIntegrations));
        assert!(!allows("office", Ability::ManageIntegrations) && !allows("employee", Ability::ManageIntegrations));
        assert!(!allows("office", Ability::ManageSections) && !allows("employee", Ability::ManageSections));
        assert!(!allows("employee", Ability::ManageLinks) && !allows("employee", Ability::ReadAccessLog));
        assert!(allows("office", Ability::ManageJobs) && !allows("employee", Ability::ManageJobs));
        assert!(!allows("intruder", Ability::ViewJobs));
    }
}
