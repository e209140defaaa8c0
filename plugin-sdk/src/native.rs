//! The native backend: a section built for the host's own target (not
//! `wasm32`) and called by the host in-process, through the same host
//! functions as its WebAssembly component.
//!
//! The host uses it to measure what the sandbox costs (the load benchmark
//! renders a page with wasm sections and with native ones and prints the
//! ratio) and, later, to run a section author's tests without building a
//! component. It is not a way to install a section: an installed section
//! is always a component, sandboxed.
//!
//! How a call crosses: the host encodes the export's arguments (postcard,
//! the field order of the WIT contract, which both sides' types follow),
//! [`NativeSection`] decodes them into this crate's types and runs the
//! [`Section`]; each host function the section calls is a stand-in here
//! that encodes its arguments and asks the [`NativeHost`] the host lent
//! the call, which runs the host's real implementation and encodes its
//! answer. On `wasm32` none of this exists and the calls are the
//! component's imports.

use crate::{Context, Event, Section};
use serde::{de::DeserializeOwned, Serialize};
use std::cell::RefCell;

/// The host's side of a native call: runs host function `function`
/// (`"job-data/get-job"`) with `args`, the function's arguments encoded as
/// a tuple, and answers its result encoded.
pub trait NativeHost {
    /// Run one host function.
    fn call(&mut self, function: &str, args: &[u8]) -> Vec<u8>;
}

/// A section's four exports, for the host to call natively. Arguments and
/// results are encoded as the module's comment says.
#[derive(Clone, Copy)]
pub struct NativeSection {
    /// `describe`: no arguments, no host.
    pub describe: fn() -> Vec<u8>,
    /// `render(ctx)`.
    pub render: fn(args: &[u8], host: Box<dyn NativeHost>) -> Vec<u8>,
    /// `handle-action(ctx, card, action, input)`.
    pub handle_action: fn(args: &[u8], host: Box<dyn NativeHost>) -> Vec<u8>,
    /// `on-event(ctx, event)`.
    pub on_event: fn(args: &[u8], host: Box<dyn NativeHost>) -> Vec<u8>,
}

impl NativeSection {
    /// The exports of `S`; what [`export_section!`](crate::export_section)
    /// gives the host as the crate's `portico_native_section()`.
    pub const fn of<S: Section>() -> NativeSection {
        NativeSection { describe: describe::<S>, render: render::<S>, handle_action: handle_action::<S>, on_event: on_event::<S> }
    }
}

fn describe<S: Section>() -> Vec<u8> {
    encode(&S::describe())
}

fn render<S: Section>(args: &[u8], host: Box<dyn NativeHost>) -> Vec<u8> {
    let (ctx,): (Context,) = decode(args);
    lent(host, || encode(&S::render(&ctx)))
}

fn handle_action<S: Section>(args: &[u8], host: Box<dyn NativeHost>) -> Vec<u8> {
    let (ctx, card, action, input): (Context, String, String, Vec<(String, String)>) = decode(args);
    lent(host, || encode(&S::handle_action(&ctx, &card, &action, &crate::Input::from(input))))
}

fn on_event<S: Section>(args: &[u8], host: Box<dyn NativeHost>) -> Vec<u8> {
    let (ctx, event): (Context, Event) = decode(args);
    lent(host, || encode(&S::on_event(&ctx, &event)))
}

thread_local! {
    /// The host lent to the call running on this thread.
    static LENT: RefCell<Option<Box<dyn NativeHost>>> = const { RefCell::new(None) };
}

/// Run `section` with `host` lent to this thread's host functions.
fn lent<T>(host: Box<dyn NativeHost>, section: impl FnOnce() -> T) -> T {
    /// Takes the host back however the section ends, a panic included.
    struct Returned;
    impl Drop for Returned {
        fn drop(&mut self) {
            LENT.with(|lent| lent.borrow_mut().take());
        }
    }
    LENT.with(|lent| *lent.borrow_mut() = Some(host));
    let _returned = Returned;
    section()
}

/// One host function's call, through the lent host.
fn call<A: Serialize, R: DeserializeOwned>(function: &str, args: &A) -> R {
    let mut host = LENT
        .with(|lent| lent.borrow_mut().take())
        .unwrap_or_else(|| panic!("{function} called outside render, handle-action or on-event (describe must not call the host)"));
    let answer = host.call(function, &encode(args));
    LENT.with(|lent| *lent.borrow_mut() = Some(host));
    decode(&answer)
}

/// `value` encoded for the other side.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("contract values always encode")
}

/// A value the other side encoded. Both sides' types come from one WIT
/// contract, so a value that does not decode is a bug in this backend.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    postcard::from_bytes(bytes).unwrap_or_else(|error| panic!("the native backend's encoding does not match across the call: {error}"))
}

/// Every host function of the contract, by interface: its Rust name, its
/// name in the WIT, its parameters (as this SDK's bindings take them) and
/// result. Written once; `$then` is a macro turning it into code: the
/// stand-ins below, and the host's dispatcher.
#[doc(hidden)]
#[macro_export]
macro_rules! __host_functions {
    ($then:ident) => {
        $then! {
            job_data "job-data" {
                get_job "get-job" () -> Result<Job, Error>;
                get_business "get-business" () -> Result<Business, Error>;
                list_contacts "list-contacts" () -> Result<Vec<Contact>, Error>;
                list_notes "list-notes" () -> Result<Vec<Note>, Error>;
                get_property "get-property" () -> Result<JobProperty, Error>;
            }
            documents "documents" {
                list_documents "list-documents" (kind: &str) -> Result<Vec<Document>, Error>;
                list_report_items "list-report-items" () -> Result<Vec<ReportItem>, Error>;
            }
            agreements "agreements" {
                list_agreements "list-agreements" () -> Result<Vec<Agreement>, Error>;
                sign "sign" (agreement_id: &str, version: &str, signer_name: &str, consent: bool) -> Result<Signature, Error>;
            }
            estimates "estimates" {
                list_estimates "list-estimates" () -> Result<Vec<Estimate>, Error>;
                accept "accept" (estimate_id: &str, version: &str, signer_name: &str, consent: bool, chosen: &[String]) -> Result<Estimate, Error>;
                decline "decline" (estimate_id: &str, reason: &str) -> Result<Estimate, Error>;
            }
            requests "requests" {
                list_requests "list-requests" () -> Result<Vec<ServiceRequest>, Error>;
                submit "submit" (request: &NewRequest) -> Result<ServiceRequest, Error>;
            }
            add_ons "add-ons" {
                list_add_ons "list-add-ons" () -> Result<Vec<AddOn>, Error>;
                request "request" (add_on_id: &str) -> Result<(), Error>;
            }
            billing "billing" {
                list_invoices "list-invoices" () -> Result<Vec<Invoice>, Error>;
            }
            account "account" {
                list_jobs "list-jobs" () -> Result<Vec<AccountJob>, Error>;
                list_properties "list-properties" () -> Result<Vec<AccountProperty>, Error>;
                list_invoices "list-invoices" () -> Result<Vec<AccountInvoice>, Error>;
                list_payments "list-payments" () -> Result<Vec<AccountPayment>, Error>;
                summary "summary" () -> Result<AccountSummary, Error>;
                list_batches "list-batches" () -> Result<Vec<AccountBatch>, Error>;
                list_property_profiles "list-property-profiles" () -> Result<Vec<PropertyProfile>, Error>;
                list_job_summaries "list-job-summaries" () -> Result<Vec<JobSummary>, Error>;
                list_files "list-files" () -> Result<Vec<AccountFile>, Error>;
            }
            files "files" {
                get_file "get-file" (id: &str) -> Result<FileInfo, Error>;
                remove_file "remove-file" (id: &str) -> Result<(), Error>;
            }
            conversations "conversations" {
                list_threads "list-threads" (subject: Option<&str>) -> Result<Vec<Thread>, Error>;
                messages "messages" (thread_id: &str) -> Result<Vec<Message>, Error>;
                write "write" (subject: &str, title: &str, body: &str, files: &[String], to: Option<&str>) -> Result<Thread, Error>;
                reply "reply" (thread_id: &str, body: &str, files: &[String]) -> Result<Message, Error>;
            }
            checkout "checkout" {
                start "start" (invoice_id: &str) -> Result<String, Error>;
                quote "quote" (invoice_ids: &[String]) -> Result<CardQuote, Error>;
                start_many "start-many" (invoice_ids: &[String]) -> Result<String, Error>;
                report_paid "report-paid" (invoice_ids: &[String], method: &str, reference: &str) -> Result<String, Error>;
            }
            storage "storage" {
                get "get" (scope: Scope, key: &str) -> Result<Option<String>, Error>;
                set "set" (scope: Scope, key: &str, value: &str) -> Result<(), Error>;
                insert "insert" (scope: Scope, key: &str, value: &str) -> Result<bool, Error>;
                delete "delete" (scope: Scope, key: &str) -> Result<(), Error>;
                list_keys "list-keys" (scope: Scope, prefix: &str) -> Result<Vec<String>, Error>;
            }
            notify "notify" {
                email_contact "email-contact" (contact_id: &str, template: &str, data: &str) -> Result<String, Error>;
                email_partner "email-partner" (address: &str, subject: &str, body: &str) -> Result<String, Error>;
            }
            office "office" {
                notify "notify" (subject: &str, body: &str) -> Result<u32, Error>;
            }
            audit "audit" {
                record_event "record-event" (action: &str, summary: &str, details: &str) -> Result<Receipt, Error>;
            }
            log "log" {
                write "write" (level: Level, message: &str) -> ();
            }
        }
    };
}

/// The stand-ins: each host function with the signature its import has,
/// asking the lent host.
macro_rules! stand_ins {
    ($($interface:ident $interface_name:literal {
        $($function:ident $function_name:literal ($($arg:ident: $type:ty),*) -> $result:ty;)*
    })*) => {
        $(
            #[allow(missing_docs)]
            pub mod $interface {
                #[allow(unused_imports)]
                use crate::bindings::portico::plugin::$interface::*;
                $(
                    pub fn $function($($arg: $type),*) -> $result {
                        super::super::call(concat!($interface_name, "/", $function_name), &($($arg,)*))
                    }
                )*
            }
        )*
    };
}

/// The host functions a native section calls, mirroring the component's
/// imports (`bindings::portico::plugin`).
pub mod imports {
    crate::__host_functions!(stand_ins);
}
