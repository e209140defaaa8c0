//! Sections built for contract 0.3.0 keep running unchanged.
//!
//! The host speaks the current contract (0.4.0). A 0.3.0 component is linked
//! against the 0.3.0 interfaces implemented here, each of which calls the
//! current host function and converts the answer down; what the component
//! exports (its descriptor, cards and outcomes) is converted up.
//!
//! Every contract version so far only *adds*: a 0.3.0 value of a type whose
//! shape did not change is also a valid value of the 0.4.0 type, and a 0.4.0
//! answer to a 0.3.0 call only carries what 0.3.0 had. Such types are carried
//! across through their serde form ([`same_shape`]); a type whose shape did
//! change is converted by hand below (today only `action-error`). A mismatch
//! is a bug in this module: it is logged, and the section sees `unavailable`
//! (or its card is shown as unavailable), never a trap.

use super::bindings::v0_3::{self, types::Error as OldError};
use super::bindings::{add_ons, agreements, audit, billing, cards, checkout, documents, job_data, log, notify, section, storage, types};
use super::call::CallState;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The version string in a 0.3.0 component's import and export names.
pub const VERSION: &str = "0.3.0";

/// `value` as the same-shaped type of another contract version.
pub fn same_shape<T: Serialize, U: DeserializeOwned>(value: &T) -> Result<U, String> {
    let json = serde_json::to_value(value).map_err(|e| e.to_string())?;
    serde_json::from_value(json).map_err(|e| format!("{} does not fit {}: {e}", std::any::type_name::<T>(), std::any::type_name::<U>()))
}

/// A current host function's answer, for a 0.3.0 caller.
fn down<T: Serialize, U: DeserializeOwned>(answer: Result<T, types::Error>) -> Result<U, OldError> {
    let converted = match &answer {
        Ok(value) => same_shape(value).map(Ok),
        Err(error) => same_shape(error).map(Err),
    };
    converted.unwrap_or_else(|why| {
        tracing::error!(%why, "a host answer does not fit contract 0.3.0");
        Err(OldError::Unavailable("the host could not answer in this section's contract version".into()))
    })
}

/// A 0.3.0 argument for the current host function (an enum such as a
/// storage scope or log level, whose cases did not change).
fn up<T: Serialize, U: DeserializeOwned>(value: T) -> Result<U, OldError> {
    same_shape(&value).map_err(|why| {
        tracing::error!(%why, "an argument of contract 0.3.0 does not fit the current contract");
        OldError::Invalid("this argument is not understood by the host".into())
    })
}

// ---- What a 0.3.0 section exports, brought up to the current contract. ----

pub fn descriptor(old: v0_3::section::Descriptor) -> Result<section::Descriptor, String> {
    same_shape(&old)
}

pub fn cards(old: Vec<v0_3::cards::Card>) -> Result<Vec<cards::Card>, String> {
    same_shape(&old)
}

/// 0.3.0's `invalid-input` was one message for the whole form.
pub fn action(old: Result<v0_3::cards::Outcome, v0_3::section::ActionError>) -> Result<Result<cards::Outcome, section::ActionError>, String> {
    use v0_3::section::ActionError as Old;
    Ok(match old {
        Ok(outcome) => Ok(same_shape(&outcome)?),
        Err(Old::InvalidInput(message)) => Err(section::ActionError::InvalidInput(section::InputProblems { message, fields: Vec::new() })),
        Err(Old::Refused(message)) => Err(section::ActionError::Refused(message)),
        Err(Old::Failed(reason)) => Err(section::ActionError::Failed(reason)),
    })
}

// ---- What the host passes to a 0.3.0 section, brought down. ----

/// 0.3.0 knew only the job page: its sections declare no card elsewhere
/// (`Sections::shows_on`), so a context of another surface is a bug here.
pub fn context(ctx: &section::Context) -> Result<v0_3::section::Context, String> {
    if ctx.surface != types::Surface::JobPage || ctx.job_id.is_none() {
        return Err("a contract 0.3.0 section is called only on a job's page".into());
    }
    same_shape(ctx)
}

pub fn event(event: &section::Event) -> Result<v0_3::section::Event, String> {
    same_shape(event)
}

// ---- The 0.3.0 host interfaces, each answered by the current one. ----

impl v0_3::types::Host for CallState {}
impl v0_3::cards::Host for CallState {}

impl v0_3::job_data::Host for CallState {
    async fn get_job(&mut self) -> Result<v0_3::job_data::Job, OldError> {
        down(job_data::Host::get_job(self).await)
    }
    async fn get_business(&mut self) -> Result<v0_3::job_data::Business, OldError> {
        down(job_data::Host::get_business(self).await)
    }
    async fn list_contacts(&mut self) -> Result<Vec<v0_3::job_data::Contact>, OldError> {
        down(job_data::Host::list_contacts(self).await)
    }
}

impl v0_3::documents::Host for CallState {
    async fn list_documents(&mut self, kind: String) -> Result<Vec<v0_3::documents::Document>, OldError> {
        down(documents::Host::list_documents(self, kind).await)
    }
    async fn list_report_items(&mut self) -> Result<Vec<v0_3::documents::ReportItem>, OldError> {
        down(documents::Host::list_report_items(self).await)
    }
}

impl v0_3::agreements::Host for CallState {
    async fn list_agreements(&mut self) -> Result<Vec<v0_3::agreements::Agreement>, OldError> {
        down(agreements::Host::list_agreements(self).await)
    }
    async fn sign(&mut self, agreement_id: String, version: String, signer_name: String, consent: bool) -> Result<v0_3::agreements::Signature, OldError> {
        down(agreements::Host::sign(self, agreement_id, version, signer_name, consent).await)
    }
}

impl v0_3::add_ons::Host for CallState {
    async fn list_add_ons(&mut self) -> Result<Vec<v0_3::add_ons::AddOn>, OldError> {
        down(add_ons::Host::list_add_ons(self).await)
    }
    async fn request(&mut self, add_on_id: String) -> Result<(), OldError> {
        down(add_ons::Host::request(self, add_on_id).await)
    }
}

impl v0_3::billing::Host for CallState {
    async fn list_invoices(&mut self) -> Result<Vec<v0_3::billing::Invoice>, OldError> {
        down(billing::Host::list_invoices(self).await)
    }
}

impl v0_3::checkout::Host for CallState {
    async fn start(&mut self, invoice_id: String) -> Result<String, OldError> {
        down(checkout::Host::start(self, invoice_id).await)
    }
}

impl v0_3::storage::Host for CallState {
    async fn get(&mut self, scope: v0_3::storage::Scope, key: String) -> Result<Option<String>, OldError> {
        down(storage::Host::get(self, up(scope)?, key).await)
    }
    async fn set(&mut self, scope: v0_3::storage::Scope, key: String, value: String) -> Result<(), OldError> {
        down(storage::Host::set(self, up(scope)?, key, value).await)
    }
    async fn insert(&mut self, scope: v0_3::storage::Scope, key: String, value: String) -> Result<bool, OldError> {
        down(storage::Host::insert(self, up(scope)?, key, value).await)
    }
    async fn delete(&mut self, scope: v0_3::storage::Scope, key: String) -> Result<(), OldError> {
        down(storage::Host::delete(self, up(scope)?, key).await)
    }
    async fn list_keys(&mut self, scope: v0_3::storage::Scope, prefix: String) -> Result<Vec<String>, OldError> {
        down(storage::Host::list_keys(self, up(scope)?, prefix).await)
    }
}

impl v0_3::notify::Host for CallState {
    async fn email_contact(&mut self, contact_id: String, template: String, data: String) -> Result<String, OldError> {
        down(notify::Host::email_contact(self, contact_id, template, data).await)
    }
    async fn email_partner(&mut self, address: String, subject: String, body: String) -> Result<String, OldError> {
        down(notify::Host::email_partner(self, address, subject, body).await)
    }
}

impl v0_3::audit::Host for CallState {
    async fn record_event(&mut self, action: String, summary: String, details: String) -> Result<v0_3::audit::Receipt, OldError> {
        down(audit::Host::record_event(self, action, summary, details).await)
    }
}

impl v0_3::log::Host for CallState {
    async fn write(&mut self, level: v0_3::log::Level, message: String) {
        let level: log::Level = match same_shape(&level) {
            Ok(level) => level,
            Err(why) => {
                tracing::error!(%why, "a log level of contract 0.3.0 does not fit the current contract");
                log::Level::Info
            }
        };
        log::Host::write(self, level, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_form_error_becomes_a_message_for_the_whole_form() {
        let old = Err(v0_3::section::ActionError::InvalidInput("Type your name.".into()));
        match action(old).unwrap() {
            Err(section::ActionError::InvalidInput(problems)) => {
                assert_eq!(problems.message, "Type your name.");
                assert!(problems.fields.is_empty());
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn an_old_card_comes_up_whole() {
        let old = v0_3::cards::Card {
            id: "hello".into(),
            title: Some("Hello".into()),
            status: Some(v0_3::cards::StatusChip { label: "New".into(), tone: v0_3::cards::Tone::Info }),
            task: v0_3::cards::TaskState::ToDo,
            blocks: vec![
                v0_3::cards::Block::Text("Hi".into()),
                v0_3::cards::Block::Input(v0_3::cards::FormField {
                    name: "pick".into(),
                    label: "Pick".into(),
                    kind: v0_3::cards::InputKind::Select(vec![v0_3::cards::Choice { value: "a".into(), label: "A".into() }]),
                    required: true,
                    value: None,
                    help: Some("One of them".into()),
                }),
                v0_3::cards::Block::Money(v0_3::cards::Money { label: "Due".into(), amount: -150 }),
            ],
            actions: vec![v0_3::cards::Action {
                id: "go".into(),
                label: "Go".into(),
                style: v0_3::cards::ActionStyle::Danger,
                confirm: Some("Sure?".into()),
                disabled_reason: None,
            }],
        };
        let current = cards(vec![old]).unwrap();
        assert_eq!(current.len(), 1);
        let card = &current[0];
        assert_eq!(card.id, "hello");
        assert!(matches!(card.task, cards::TaskState::ToDo));
        assert!(matches!(&card.blocks[1], cards::Block::Input(field)
            if field.name == "pick" && matches!(&field.kind, cards::InputKind::Select(choices) if choices[0].value == "a")));
        assert!(matches!(&card.blocks[2], cards::Block::Money(money) if money.amount == -150));
        assert!(matches!(card.actions[0].style, cards::ActionStyle::Danger));
    }

    #[test]
    fn a_denied_permission_goes_down_by_name() {
        let answer: Result<(), types::Error> = Err(types::Error::Denied(types::Permission::BillingRead));
        let old: Result<(), OldError> = down(answer);
        assert!(matches!(old, Err(OldError::Denied(v0_3::types::Permission::BillingRead))));
    }
}
