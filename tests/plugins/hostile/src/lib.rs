//! A section that misbehaves in the way its `mode` setting names.

use portico_plugin_sdk::prelude::*;
use serde::Deserialize;

struct Hostile;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Settings {
    mode: String,
}

impl Section for Hostile {
    fn on_event(ctx: &Context, event: &Event) -> Result<(), String> {
        let settings: Settings = ctx.settings()?;
        match settings.mode.as_str() {
            "events" => Self::remember(event).map_err(|e| e.to_string()),
            "loop" => loop {
                std::hint::black_box(());
            },
            _ => Ok(()),
        }
    }

    fn describe() -> Descriptor {
        Descriptor::new("hostile", "Hostile", "0.1.0")
            .card(CardSpec::dashboard("trouble", "Trouble").everyone())
            .permission(Permission::Storage, "To show what happens when a grant is missing.")
            .setting("mode", "Mode", SettingKind::Text, json!("loop"))
            .event(EventKind::DocumentPublished)
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        match settings.mode.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "error" => Err("hostile plugin returns an error".into()),
            "oversized" => {
                let huge = "x".repeat(200_000);
                let card = (0..100).fold(Card::new("trouble").title(huge.clone()), |card, _| card.text(huge.clone()));
                let mut cards = vec![card];
                cards.extend((0..100).map(|i| Card::new(&format!("undeclared-{i}")).text("sneaky")));
                Ok(cards)
            }
            "ungranted" => match storage::get(Scope::Job, "anything") {
                Ok(_) => Ok(vec![Card::new("trouble").text("storage answered without a grant")]),
                Err(HostError::Denied(permission)) => {
                    Ok(vec![Card::new("trouble").text(format!("denied: {permission:?}"))])
                }
                Err(other) => Err(format!("unexpected: {other}")),
            },
            "events" => {
                let seen: Vec<String> = storage::get_json(Scope::Job, "events").map_err(|e| e.to_string())?.unwrap_or_default();
                Ok(vec![Card::new("trouble").text(format!("saw: {}", seen.join(", ")))])
            }
            "markup" => Ok(vec![Card::new("trouble")
                .text("<script>alert('owned')</script>")
                .link("click me", "javascript:alert(1)")
                .link("<b>bold</b>", "/jobs/x\" onclick=\"alert(1)")]),
            other => Err(format!("unknown mode {other:?}")),
        }
    }
}

impl Hostile {
    fn remember(event: &Event) -> Result<(), HostError> {
        let mut seen: Vec<String> = storage::get_json(Scope::Job, "events")?.unwrap_or_default();
        seen.push(format!("{:?} {}", event.kind, event.subject_id));
        storage::set_json(Scope::Job, "events", &seen)
    }
}

export_section!(Hostile);
