//! Portico's domain services: the rules of jobs and their people, personal
//! links, documents, agreements, estimates, payments and invoices, mail and webhooks.
//!
//! Services take the data layer and the handles they need, never web state.
//! They reach the sections runtime only through the event port (`events`),
//! which the binary wires in, so the dependency runs one way: sections call
//! services, services never name sections.

pub mod account;
pub mod access_log;
pub mod account_files;
pub mod add_ons;
pub mod agreements;
pub mod conversations;
pub mod documents;
pub mod estimates;
pub mod events;
pub mod jobs;
pub mod links;
pub mod notifications;
pub mod office;
pub mod mail;
pub mod payments;
pub mod pdf;
pub mod properties;
pub mod rate_limit;
pub mod requests;
pub mod sms;
pub mod standing;
pub mod uploads;
pub mod webhooks;
pub mod worker;

/// One thing wrong with what someone typed into a form, and the input it is
/// about, so the page can say it beside that input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}
