//! A visitor book built for contract 0.3.0: it reads the job (`job-data`),
//! keeps its own count (`storage`), logs, and refuses an empty name with
//! 0.3.0's one-message `invalid-input`.

wit_bindgen::generate!({
    path: "../../../wit/v0.3.0",
    world: "section-plugin",
});

use exports::portico::plugin::section::{ActionError, Descriptor, Event, Guest, PermissionRequest, SettingKind, SettingSpec};
use portico::plugin::cards::{Action, ActionStyle, Block, Card, CardSpec, FormField, InputKind, Outcome, Placement, TaskState, Tone};
use portico::plugin::types::{Context, Permission, Role};
use portico::plugin::{job_data, log, storage};

struct VisitorBook;

const SIGNED: &str = "signed";

impl Guest for VisitorBook {
    fn describe() -> Descriptor {
        Descriptor {
            id: "visitor-book".into(),
            name: "Visitor book".into(),
            version: "0.3.1".into(),
            description: "Asks visitors to sign a book (built for contract 0.3.0).".into(),
            cards: vec![CardSpec {
                id: "book".into(),
                title: "Visitor book".into(),
                placement: Placement::Dashboard,
                roles: vec![Role::Client, Role::CoClient, Role::BuyerAgent, Role::ListingAgent, Role::Other, Role::Staff],
            }],
            permissions: vec![
                PermissionRequest { permission: Permission::JobRead, reason: "To name the job in the book.".into() },
                PermissionRequest { permission: Permission::Storage, reason: "To count who signed.".into() },
            ],
            events: Vec::new(),
            settings: vec![SettingSpec {
                key: "heading".into(),
                label: "Heading".into(),
                help: None,
                kind: SettingKind::Text,
                default_value: "\"Please sign our book\"".into(),
            }],
        }
    }

    fn render(ctx: Context) -> Result<Vec<Card>, String> {
        let job = job_data::get_job().map_err(|e| format!("{e:?}"))?;
        let signed = storage::get(storage::Scope::Job, SIGNED).map_err(|e| format!("{e:?}"))?.unwrap_or_else(|| "0".into());
        log::write(log::Level::Info, "rendered the visitor book");
        let heading = ctx.settings.split('"').nth(3).unwrap_or("Visitor book").to_string();
        Ok(vec![Card {
            id: "book".into(),
            title: None,
            status: None,
            task: TaskState::Info,
            blocks: vec![
                Block::Heading(heading),
                Block::Text(format!("Job {} · signed {signed} times", job.reference)),
                Block::Input(FormField {
                    name: "name".into(),
                    label: "Your name".into(),
                    kind: InputKind::Text,
                    required: false,
                    value: None,
                    help: None,
                }),
            ],
            actions: vec![Action {
                id: "sign".into(),
                label: "Sign the book".into(),
                style: ActionStyle::Primary,
                confirm: None,
                disabled_reason: None,
            }],
        }])
    }

    fn handle_action(_ctx: Context, _card: String, _action: String, input: Vec<(String, String)>) -> Result<Outcome, ActionError> {
        let name = input.iter().find(|(key, _)| key == "name").map(|(_, value)| value.trim()).unwrap_or_default();
        if name.is_empty() {
            return Err(ActionError::InvalidInput("Type your name to sign the book.".into()));
        }
        let signed: u32 = storage::get(storage::Scope::Job, SIGNED)
            .map_err(|e| ActionError::Failed(format!("{e:?}")))?
            .and_then(|count| count.parse().ok())
            .unwrap_or(0);
        storage::set(storage::Scope::Job, SIGNED, &(signed + 1).to_string()).map_err(|e| ActionError::Failed(format!("{e:?}")))?;
        Ok(Outcome { tone: Tone::Success, message: format!("Thank you, {name}."), redirect: None, download: None })
    }

    fn on_event(_ctx: Context, _event: Event) -> Result<(), String> {
        Ok(())
    }
}

export!(VisitorBook);
