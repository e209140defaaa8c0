//! What each staff role may do, checked on the server for every request.
//!
//! - **owner**: everything, including the team, sign-in settings, mail
//!   templates, sections (installing, permissions, settings, uploads) and
//!   API keys and webhooks.
//! - **office**: runs jobs: creating them, their people, services, invoice
//!   and documents, people's links (send, renew, revoke), the access log,
//!   recording manual payments (which the owner approves), and deciding the
//!   add-ons clients request, and the conversations with clients (the inbox).
//! - **employee**: sees jobs and their activity; changes nothing about access.

use crate::error::WebError;
use crate::sessions::StaffSession;
use portico_core::model::StaffRole;

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
    /// Read and answer the conversations with clients.
    Converse,
}

pub fn allows(role: StaffRole, ability: Ability) -> bool {
    match role {
        StaffRole::Owner => true,
        StaffRole::Office => matches!(
            ability,
            Ability::ViewJobs
                | Ability::ManageJobs
                | Ability::ManageLinks
                | Ability::ReadAccessLog
                | Ability::RecordPayments
                | Ability::DecideAddOns
                | Ability::Converse
        ),
        StaffRole::Employee => matches!(ability, Ability::ViewJobs),
    }
}

impl StaffSession {
    /// Go on only if the staff member's role allows `ability`.
    pub fn require(&self, ability: Ability) -> Result<(), WebError> {
        if allows(self.user.role, ability) { Ok(()) } else { Err(WebError::Forbidden) }
    }

    pub fn may(&self, ability: Ability) -> bool {
        allows(self.user.role, ability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_runs_jobs_and_employees_only_look() {
        assert!(StaffRole::ALL.into_iter().all(|role| allows(role, Ability::ViewJobs)));
        assert!(allows(StaffRole::Owner, Ability::ManageTeam) && allows(StaffRole::Owner, Ability::ManageSettings));
        assert!(allows(StaffRole::Office, Ability::ManageLinks) && allows(StaffRole::Office, Ability::ReadAccessLog));
        assert!(!allows(StaffRole::Office, Ability::ManageTeam) && !allows(StaffRole::Office, Ability::ManageSettings));
        assert!(allows(StaffRole::Owner, Ability::ManageSections) && allows(StaffRole::Owner, Ability::ManageIntegrations));
        assert!(!allows(StaffRole::Office, Ability::ManageIntegrations) && !allows(StaffRole::Employee, Ability::ManageIntegrations));
        assert!(!allows(StaffRole::Office, Ability::ManageSections) && !allows(StaffRole::Employee, Ability::ManageSections));
        assert!(!allows(StaffRole::Employee, Ability::ManageLinks) && !allows(StaffRole::Employee, Ability::ReadAccessLog));
        assert!(allows(StaffRole::Office, Ability::ManageJobs) && !allows(StaffRole::Employee, Ability::ManageJobs));
        assert!(allows(StaffRole::Office, Ability::Converse) && !allows(StaffRole::Employee, Ability::Converse));
        assert!("intruder".parse::<StaffRole>().is_err(), "only the three roles exist");
    }
}
