//! The host's capabilities, one module per imported interface, with typed
//! helpers where the raw calls take JSON strings.

use crate::bindings::portico::plugin as raw;
/// The host's functions: the component's imports, or built for the host,
/// the native backend's stand-ins (same names and signatures).
#[cfg(target_arch = "wasm32")]
use crate::bindings::portico::plugin as calls;
#[cfg(not(target_arch = "wasm32"))]
use crate::native::imports as calls;
use crate::HostError;
use serde::{de::DeserializeOwned, Serialize};

pub use raw::storage::Scope;

/// Read the job: needs [`Permission::JobRead`](crate::Permission::JobRead).
pub mod job_data {
    pub use super::calls::job_data::{get_business, get_job, get_property, list_contacts, list_notes};
    pub use crate::bindings::portico::plugin::job_data::{Appointment, Business, Contact, Job, JobProperty, Note, Service};
    pub use crate::bindings::portico::plugin::types::PropertyNote;
    use crate::Tone;

    /// A property's kind (`JobProperty::kind`, `PropertyProfile::kind`) as
    /// the host's pages name it.
    pub fn property_kind_label(kind: &str) -> &str {
        match kind {
            "residential" => "Residential",
            "rental" => "Rental",
            "business" => "Business",
            "pool" => "Pool",
            "other" => "Other",
            other => other,
        }
    }

    /// Where a job stands on its day (`Job::stage`, `AccountJob::stage`) as
    /// the host's pages say it: its words and tone.
    pub fn stage_chip(stage: &str) -> (&'static str, Tone) {
        match stage {
            "on-the-way" => ("On the way", Tone::Info),
            "started" => ("Started", Tone::Info),
            "finished" => ("Finished", Tone::Success),
            "cancelled" => ("Cancelled", Tone::Neutral),
            _ => ("Scheduled", Tone::Neutral),
        }
    }
}

/// The viewer's own jobs, properties, invoices and payments across the
/// business, on the account hub: needs [`Permission::AccountRead`](crate::Permission::AccountRead).
/// Anywhere but the account hub every call is `invalid`.
pub mod account {
    pub use super::calls::account::{
        list_batches, list_files, list_invoices, list_job_summaries, list_jobs, list_payments, list_properties, list_property_profiles,
        summary,
    };
    pub use crate::bindings::portico::plugin::account::{
        AccountBatch, AccountFile, AccountInvoice, AccountJob, AccountPayment, AccountProperty, AccountSummary, JobSummary, MonthTotal, PaidInvoice,
        PropertyNote, PropertyProfile,
    };
}

/// Files people attached through the section's `file` inputs: needs
/// [`Permission::Files`](crate::Permission::Files). Keep the ids
/// `handle_action` received; read them back with `get_file`; remove one
/// taken by mistake with `remove_file` (in `handle_action`).
pub mod files {
    pub use super::calls::files::{get_file, remove_file};
    pub use crate::bindings::portico::plugin::files::FileInfo;
}

/// Conversations between the office and a contact about the section's own
/// subjects: needs [`Permission::Conversations`](crate::Permission::Conversations).
/// The host keeps the messages, e-mails the other side and shows every
/// thread on its own pages (`Thread::url`). On the job page and the account
/// hub the viewer is the contact; on the staff surfaces an owner or office
/// member. Writing is for `handle_action` only.
pub mod conversations {
    pub use super::calls::conversations::{list_threads, messages, reply, write};
    pub use crate::bindings::portico::plugin::conversations::{Message, Thread};
    use crate::HostError;

    /// The viewer (a contact) writes to the office in their thread about
    /// `subject`, opened with `title` the first time; `files` are ids the
    /// section's `file` inputs received in this action.
    pub fn write_to_office(subject: &str, title: &str, body: &str, files: &[String]) -> Result<Thread, HostError> {
        write(subject, title, body, files, None)
    }

    /// The office (on the staff job page) writes to `person`, a job contact
    /// id of the job, in their thread about `subject`.
    pub fn write_to_person(person: &str, subject: &str, title: &str, body: &str, files: &[String]) -> Result<Thread, HostError> {
        write(subject, title, body, files, Some(person))
    }
}

/// Tell the business's office that something needs them: needs
/// [`Permission::NotifyOffice`](crate::Permission::NotifyOffice). The host
/// chooses who is told (owners and office staff); returns how many.
pub mod office {
    pub use super::calls::office::notify;
}

/// The job's documents: needs [`Permission::DocumentsRead`](crate::Permission::DocumentsRead).
pub mod documents {
    pub use super::calls::documents::{list_documents, list_report_items};
    pub use crate::bindings::portico::plugin::documents::{Document, ItemSeverity, ReportItem};
    use crate::Role;

    /// What every section says about a report in each state, so that the
    /// dashboard, the Reports tab and the Documents tab tell one story.
    pub mod wording {
        use super::Role;

        /// Not published yet.
        pub const NOT_READY: &str = "The report isn't ready yet. It will be here as soon as it is.";
        /// Published, but not shared with the viewer's role.
        pub const NOT_SHARED: &str = "The report has not been shared with you. Ask the client or the business if you need a copy.";

        /// Published and held: "Your report is ready. It will be released as
        /// soon as the agreement is signed and the invoice is paid." The
        /// clients own the report; anyone else reads "The report".
        pub fn held(viewer: Role, holds: &[String]) -> String {
            format!("{} is ready. It will be released as soon as {}.", whose_report(viewer), join(holds))
        }

        /// Released to the viewer: "Your report is ready." or "3 reports are ready."
        pub fn ready(viewer: Role, count: usize) -> String {
            match count {
                1 => format!("{} is ready.", whose_report(viewer)),
                n => format!("{n} reports are ready."),
            }
        }

        fn whose_report(viewer: Role) -> &'static str {
            if matches!(viewer, Role::Client | Role::CoClient) { "Your report" } else { "The report" }
        }

        /// "a", "a and b", "a, b and c".
        pub fn join(phrases: &[String]) -> String {
            match phrases {
                [] => String::new(),
                [only] => only.clone(),
                [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            }
        }
    }
}

/// The job's agreements, and signing them: needs [`Permission::Agreements`](crate::Permission::Agreements).
///
/// The host fills the placeholders, locks the text at the first signature and
/// keeps each signature's evidence; pass back the `version` the viewer read.
///
/// ```no_run
/// # use portico_plugin_sdk::prelude::*;
/// # fn sign(id: &str, version: &str, name: &str) -> ActionResult {
/// agreements::sign(id, version, name, true)?;
/// Ok(Outcome::success("Signed."))
/// # }
/// ```
pub mod agreements {
    pub use super::calls::agreements::{list_agreements, sign};
    pub use crate::bindings::portico::plugin::agreements::{Agreement, AgreementStatus, Signature};
}

/// The job's estimates, and the client's answer: needs
/// [`Permission::Agreements`](crate::Permission::Agreements) (new in 0.4.0;
/// accepting an estimate is signing it). The host checks every rule again:
/// who may answer, the version read, the expiry, and that an answer is
/// given once.
pub mod estimates {
    pub use super::calls::estimates::{accept, decline, list_estimates};
    pub use crate::bindings::portico::plugin::estimates::{Estimate, EstimateLine, EstimateStatus};
}

/// The client's service requests on the account hub: needs
/// [`Permission::Conversations`](crate::Permission::Conversations) (new in
/// 0.4.0; a request is a conversation with the office). The host checks the
/// description, the place (one of the client's properties, or an address),
/// the days offered and the photos again.
pub mod requests {
    pub use super::calls::requests::{list_requests, submit};
    pub use crate::bindings::portico::plugin::requests::{DayPart, NewRequest, PreferredVisit, RequestStatus, ServiceRequest};
}

/// The business's add-on services: needs [`Permission::AddOns`](crate::Permission::AddOns).
/// A request waits for the business's approval, which puts it on the invoice.
pub mod add_ons {
    pub use super::calls::add_ons::{list_add_ons, request};
    pub use crate::bindings::portico::plugin::add_ons::{AddOn, RequestStatus};
}

/// The job's invoices and payments: needs [`Permission::BillingRead`](crate::Permission::BillingRead).
pub mod billing {
    pub use super::calls::billing::list_invoices;
    pub use crate::bindings::portico::plugin::billing::{Invoice, InvoiceLine, LineKind, Payment};
    use crate::Tone;

    /// An invoice's status as the host's pages show it: its words and tone.
    pub fn status_chip(status: &str) -> (&'static str, Tone) {
        match status {
            "paid" => ("Paid", Tone::Success),
            "processing" => ("Processing", Tone::Info),
            "failed" => ("Payment failed", Tone::Danger),
            "refunded" => ("Refunded", Tone::Neutral),
            "void" => ("Cancelled", Tone::Neutral),
            "waived" => ("Waived", Tone::Neutral),
            _ => ("Due", Tone::Warning),
        }
    }
}

/// Paying an invoice: needs [`Permission::Checkout`](crate::Permission::Checkout).
///
/// ```no_run
/// # use portico_plugin_sdk::prelude::*;
/// # fn pay(invoice_id: &str) -> ActionResult {
/// let path = checkout::start(invoice_id)?;
/// Ok(Outcome::redirect(path))
/// # }
/// ```
pub mod checkout {
    pub use super::calls::checkout::{quote, report_paid, start, start_many};
    pub use crate::bindings::portico::plugin::checkout::CardQuote;

    /// The ways `report_paid` takes, as `(method, label)`: everything but a
    /// card, which goes through the checkout.
    pub const OTHER_WAYS: [(&str, &str); 5] =
        [("ach", "ACH bank transfer"), ("bank-transfer", "Bank transfer"), ("check", "Check"), ("cash", "Cash"), ("zelle", "Zelle")];
}

/// The section's own data: needs [`Permission::Storage`](crate::Permission::Storage).
pub mod storage {
    use super::*;
    pub use calls::storage::{delete, get, insert, list_keys, set};

    /// The value under `key`, deserialized from JSON.
    pub fn get_json<T: DeserializeOwned>(scope: Scope, key: &str) -> Result<Option<T>, HostError> {
        match calls::storage::get(scope, key)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| HostError::Invalid(format!("stored value of {key:?} does not parse: {e}"))),
        }
    }

    /// Store `value` as JSON under `key` only if the key is absent; true when stored.
    pub fn insert_json<T: Serialize + ?Sized>(scope: Scope, key: &str, value: &T) -> Result<bool, HostError> {
        calls::storage::insert(scope, key, &to_json(key, value)?)
    }

    fn to_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<String, HostError> {
        serde_json::to_string(value)
            .map_err(|e| HostError::Invalid(format!("value of {key:?} does not serialize: {e}")))
    }

    /// Store `value` under `key` as JSON.
    pub fn set_json<T: Serialize + ?Sized>(scope: Scope, key: &str, value: &T) -> Result<(), HostError> {
        calls::storage::set(scope, key, &to_json(key, value)?)
    }
}

/// E-mail contacts: needs [`Permission::Notify`](crate::Permission::Notify).
pub mod notify {
    use super::*;

    /// Queue the tenant's e-mail template `template` to `contact_id`, with `data`
    /// available to the template. Returns the message id.
    pub fn email_contact<T: Serialize + ?Sized>(
        contact_id: &str,
        template: &str,
        data: &T,
    ) -> Result<String, HostError> {
        let data = serde_json::to_string(data)
            .map_err(|e| HostError::Invalid(format!("template data does not serialize: {e}")))?;
        calls::notify::email_contact(contact_id, template, &data)
    }

    /// E-mail a partner of the business at `address`, which the business must
    /// have written in this section's settings (a mover's quote desk).
    pub use calls::notify::email_partner;
}

/// The audit log: needs [`Permission::Audit`](crate::Permission::Audit).
pub mod audit {
    use super::*;
    pub use raw::audit::Receipt;

    /// Record `action` with a one-line summary and JSON details. The receipt
    /// carries the time, actor, IP and user agent as the host saw them.
    pub fn record<T: Serialize + ?Sized>(action: &str, summary: &str, details: &T) -> Result<Receipt, HostError> {
        let details = serde_json::to_string(details)
            .map_err(|e| HostError::Invalid(format!("audit details do not serialize: {e}")))?;
        calls::audit::record_event(action, summary, &details)
    }
}

/// Diagnostics; needs no permission.
pub mod log {
    use super::calls::log::write;
    use crate::bindings::portico::plugin::log::Level;

    /// Log at debug level.
    pub fn debug(message: &str) {
        write(Level::Debug, message)
    }
    /// Log at info level.
    pub fn info(message: &str) {
        write(Level::Info, message)
    }
    /// Log a warning.
    pub fn warn(message: &str) {
        write(Level::Warn, message)
    }
    /// Log an error.
    pub fn error(message: &str) {
        write(Level::Error, message)
    }
}
