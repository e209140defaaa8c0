//! # Portico plugin SDK
//!
//! Write a section of a Portico client portal as a WebAssembly component.
//!
//! A section is a type that implements [`Section`]: it *describes* itself (its
//! cards, the permissions it needs and why, its settings), *renders* cards for
//! whoever is looking, and *handles* the actions the viewer takes. The host runs
//! every call in a fresh sandbox, so a section keeps whatever it must remember in
//! host [`storage`]. Cards are data: you build them from [blocks](Block), the
//! host renders them, and no markup you write can reach the page.
//!
//! Build your crate as a `cdylib` for `wasm32-wasip2`
//! (`cargo build --release --target wasm32-wasip2`) and upload the `.wasm`.
//!
//! ## A complete section
//!
//! ```
//! use portico_plugin_sdk::prelude::*;
//!
//! struct Welcome;
//!
//! impl Section for Welcome {
//!     fn describe() -> Descriptor {
//!         Descriptor::new("welcome", "Welcome", "1.0.0")
//!             .description("Greets the client and counts their visits.")
//!             .card(CardSpec::dashboard("hello", "Welcome").roles(&[Role::Client]))
//!             .permission(Permission::Storage, "Remembers how often the client visited.")
//!     }
//!
//!     fn render(ctx: &Context) -> Result<Vec<Card>, String> {
//!         let visits: u32 = storage::get_json(Scope::Contact, "visits")
//!             .map_err(|e| e.to_string())?
//!             .unwrap_or(0);
//!         Ok(vec![Card::new("hello")
//!             .task(TaskState::Info)
//!             .text(format!("Hello {}, you have been here {visits} times.", ctx.viewer.display_name))
//!             .action(Action::primary("visit", "Count this visit"))])
//!     }
//!
//!     fn handle_action(_ctx: &Context, _card: &str, action: &str, _input: &Input) -> ActionResult {
//!         if action != "visit" {
//!             return Err(ActionError::Refused("Unknown action".into()));
//!         }
//!         let visits: u32 = storage::get_json(Scope::Contact, "visits")?.unwrap_or(0);
//!         storage::set_json(Scope::Contact, "visits", &(visits + 1))?;
//!         Ok(Outcome::success("Thanks for visiting!"))
//!     }
//! }
//!
//! export_section!(Welcome);
//! # fn main() {}
//! ```
//!
//! ## Permissions
//!
//! Each host interface needs one [`Permission`], declared in `describe` with a
//! reason. The host reads which interfaces your component imports and refuses to
//! install it when one is not declared; calls the tenant has not granted return
//! [`HostError::Denied`] rather than trapping, so say what is unavailable and
//! carry on.

#![warn(missing_docs)]

// Lets the generated bindings name this crate by its public path from inside it.
extern crate self as portico_plugin_sdk;

mod builders;
mod host;
mod input;
pub mod money;

/// The raw bindings generated from the WIT contract. Prefer the curated items
/// re-exported at the crate root; these are here for the rare case they miss.
/// Built for the host (not `wasm32`), the types also (de)serialize, for the
/// [`native`] backend, and the imported functions are not to be called:
/// use the crate root's modules, which reach the host either way.
#[allow(missing_docs)]
pub mod bindings {
    /// The bindings, with `$extra` options.
    macro_rules! contract {
        ($($extra:tt)*) => {
            wit_bindgen::generate!({
                path: "../wit",
                world: "section-plugin",
                pub_export_macro: true,
                export_macro_name: "__export_section_plugin",
                default_bindings_module: "::portico_plugin_sdk::bindings",
                runtime_path: "::portico_plugin_sdk::__private::wit_bindgen::rt",
                $($extra)*
            });
        };
    }
    #[cfg(target_arch = "wasm32")]
    contract!();
    #[cfg(not(target_arch = "wasm32"))]
    contract!(additional_derives: [serde::Serialize, serde::Deserialize],);
}

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

pub use bindings::exports::portico::plugin::section::{
    ActionError, Descriptor, Event, EventKind, FieldProblem, InputProblems, PermissionRequest, SettingKind, SettingSpec,
};
pub use bindings::portico::plugin::cards::{
    Action, ActionStyle, Block, Card, CardSpec, Chart, ChartKind, ChartPoint, Choice, Download,
    DownloadFormat, Field, FileInput, FileType, FormField, Image, InputKind, Link, Moment, Money, Notice, Outcome, Placement, Progress, StatusChip,
    Table, TaskState, Tone,
};
pub use bindings::portico::plugin::types::{
    Address, Context, Error as HostError, Permission, Role, StaffRole, Surface, Viewer,
};
pub use host::{account, add_ons, conversations, estimates, files, office, requests, agreements, audit, billing, checkout, documents, job_data, log, notify, storage, Scope};
pub use input::Input;
/// JSON, for settings defaults and stored values.
pub use serde_json::{self, json};

/// What `handle_action` returns.
pub type ActionResult = Result<Outcome, ActionError>;

/// A portal section. Implement it and register the type with [`export_section!`].
///
/// Every method is an associated function: the host creates a fresh instance of
/// the plugin for each call, so there is no `self` to keep state in.
pub trait Section {
    /// Who the section is and what it needs. Must not call the host.
    fn describe() -> Descriptor;

    /// The cards to show the viewer of `ctx` now.
    fn render(ctx: &Context) -> Result<Vec<Card>, String>;

    /// The viewer chose `action` on `card`, submitting `input`.
    fn handle_action(ctx: &Context, card: &str, action: &str, input: &Input) -> ActionResult {
        let _ = (ctx, card, input);
        Err(ActionError::Refused(format!("This section has no action \"{action}\".")))
    }

    /// An event the section asked for in `describe` happened.
    fn on_event(ctx: &Context, event: &Event) -> Result<(), String> {
        let _ = (ctx, event);
        Ok(())
    }
}

impl Context {
    /// The job of the call, on the surfaces that have one (a job's page,
    /// the console's job page, an event).
    pub fn job(&self) -> Option<&str> {
        self.job_id.as_deref()
    }

    /// The address of the page the viewer is on, for links within it:
    /// this job's portal page with `rest` appended (`""`, `"?tab=documents"`,
    /// `"?card=sign"`; the host turns a link to a card into its tab and
    /// anchor), the account hub's (`/account` with `rest`), or on the console
    /// the job's console page, else the console's home.
    pub fn job_page(&self, rest: &str) -> String {
        match (&self.surface, &self.job_id) {
            (Surface::JobPage, Some(job_id)) => format!("/jobs/{job_id}{rest}"),
            (Surface::StaffJobPage, Some(job_id)) => format!("/staff/jobs/{job_id}"),
            (Surface::AccountHub, _) => format!("/account{rest}"),
            _ => "/staff".to_string(),
        }
    }

    /// Whether the viewer is a member of the business's staff, on one of
    /// the console's surfaces.
    pub fn on_staff_surface(&self) -> bool {
        matches!(self.surface, Surface::StaffJobPage | Surface::StaffPage)
    }

    /// The tenant's settings for this section, deserialized. Keys missing from
    /// the stored settings take their `#[serde(default)]`.
    pub fn settings<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(&self.settings).map_err(|e| format!("settings do not parse: {e}"))
    }
}

impl Permission {
    /// The permission's name in the contract and on the console (`job-read`).
    pub fn name(self) -> &'static str {
        match self {
            Permission::JobRead => "job-read",
            Permission::DocumentsRead => "documents-read",
            Permission::BillingRead => "billing-read",
            Permission::Checkout => "checkout",
            Permission::Storage => "storage",
            Permission::Notify => "notify",
            Permission::Audit => "audit",
            Permission::Agreements => "agreements",
            Permission::AddOns => "add-ons",
            Permission::AccountRead => "account-read",
            Permission::Files => "files",
            Permission::NotifyOffice => "notify-office",
            Permission::Conversations => "conversations",
        }
    }
}

impl HostError {
    /// The error in a sentence, fit for a log line or a card. (Its `Display`,
    /// generated by wit-bindgen, reads like `Debug`.)
    pub fn describe(&self) -> String {
        match self {
            HostError::Denied(permission) => format!("the business has not granted this section the {} permission", permission.name()),
            HostError::NotFound => "not found".to_string(),
            HostError::Invalid(why) => format!("refused: {why}"),
            HostError::QuotaExceeded(quota) => format!("over quota: {quota}"),
            HostError::Unavailable(why) => format!("unavailable right now: {why}"),
        }
    }
}

impl From<HostError> for ActionError {
    fn from(error: HostError) -> Self {
        ActionError::Failed(error.describe())
    }
}


/// Everything a section usually needs, in one `use`.
pub mod prelude {
    pub use crate::{
        account, add_ons, agreements, conversations, estimates, files, office, requests, audit, billing, checkout, documents, export_section, job_data, log, notify, storage, Action,
        ActionError, ActionResult, Block, Card, CardSpec, Choice, Context, Descriptor, Download, DownloadFormat, Event,
        EventKind, FileType, FormField, HostError, Input, InputKind, InputProblems, Outcome, Permission, Placement, Role, Scope,
        Section, SettingKind, SettingSpec, StaffRole, StatusChip, Surface, TaskState, Tone, json,
    };
}

/// Register `$section` (a type implementing [`Section`]) as the component's
/// exports. Use it exactly once, at the crate root.
#[macro_export]
macro_rules! export_section {
    ($section:ty) => {
        #[doc(hidden)]
        pub struct __PorticoSectionExport;

        impl $crate::bindings::exports::portico::plugin::section::Guest for __PorticoSectionExport {
            fn describe() -> $crate::Descriptor {
                <$section as $crate::Section>::describe()
            }
            fn render(ctx: $crate::Context) -> Result<Vec<$crate::Card>, String> {
                <$section as $crate::Section>::render(&ctx)
            }
            fn handle_action(
                ctx: $crate::Context,
                card_id: String,
                action_id: String,
                input: Vec<(String, String)>,
            ) -> $crate::ActionResult {
                <$section as $crate::Section>::handle_action(
                    &ctx,
                    &card_id,
                    &action_id,
                    &$crate::Input::from(input),
                )
            }
            fn on_event(ctx: $crate::Context, event: $crate::Event) -> Result<(), String> {
                <$section as $crate::Section>::on_event(&ctx, &event)
            }
        }

        #[cfg(target_arch = "wasm32")]
        $crate::bindings::__export_section_plugin!(__PorticoSectionExport);

        /// The section's exports for the host to call in-process (the
        /// native backend: benchmarks and tests, never an installation).
        #[cfg(not(target_arch = "wasm32"))]
        pub fn portico_native_section() -> $crate::native::NativeSection {
            $crate::native::NativeSection::of::<$section>()
        }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}
