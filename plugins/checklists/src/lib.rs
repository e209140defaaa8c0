//! Photos and checklists: the proof of the work. On the console's job page
//! the crew (every member of staff) ticks the business's checklists and adds
//! before and after photos from a phone; on the job's portal page its clients
//! see each checklist's completion and the photos, and can comment on them in
//! a conversation with the office.
//!
//! The business writes its checklists in the section's settings, one per
//! line: `Kitchen: Counters wiped; Sink scrubbed; Floor mopped`. Each tick
//! and each photo is its own stored value, so two of the crew saving at once
//! never undo each other's work.

use portico_plugin_sdk::job_data::get_job;
use portico_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

struct Checklists;

/// The crew's card on the console's job page.
const CREW: &str = "crew-checklists";
/// The clients' card on the job's portal page.
const CLIENTS: &str = "photos-and-checklists";

const SAVE_PREFIX: &str = "save-";
const ADD_PHOTOS: &str = "add-photos";
const COMMENT: &str = "comment";

/// The largest photo taken, in bytes (a phone's full-size picture).
const MAX_PHOTO_BYTES: u32 = 15 * 1024 * 1024;
/// The longest caption kept.
const MAX_CAPTION: usize = 200;
/// The conversation subject of comments on a job's photos.
const SUBJECT: &str = "photos";

#[derive(Deserialize, Default)]
#[serde(default)]
struct Settings {
    checklists: String,
}

/// One of the business's checklists.
struct Checklist {
    name: String,
    items: Vec<String>,
}

/// The checklists as the business wrote them, one per line: `Name: item; item`.
fn checklists(settings: &Settings) -> Vec<Checklist> {
    settings
        .checklists
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, items) = match line.split_once(':') {
                Some((name, items)) => (name.trim().to_string(), items),
                None => ("Checklist".to_string(), line),
            };
            let items = items.split(';').map(str::trim).filter(|item| !item.is_empty()).map(str::to_string).collect();
            Checklist { name, items }
        })
        .filter(|checklist: &Checklist| !checklist.items.is_empty())
        .collect()
}

/// Who ticked an item, and when.
#[derive(Serialize, Deserialize)]
struct Tick {
    by: String,
    at: i64,
}

/// A photo the crew took, with the id of its upload.
#[derive(Serialize, Deserialize)]
struct Photo {
    file: String,
    /// `before` or `after`.
    moment: String,
    caption: String,
    by: String,
    at: i64,
}

/// A stable name for an item, its check box's and its stored tick's:
/// reordering or adding items keeps the ticks.
fn tick_key(checklist: &str, item: &str) -> String {
    // FNV-1a: small, and the same on every build.
    let hash = format!("{checklist}\u{1f}{item}").bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    format!("tick-{hash:016x}")
}

fn ticks_of(checklist: &Checklist) -> Result<Vec<Option<Tick>>, HostError> {
    checklist.items.iter().map(|item| storage::get_json(Scope::Job, &tick_key(&checklist.name, item))).collect()
}

fn photos() -> Result<Vec<Photo>, HostError> {
    let mut photos = Vec::new();
    for key in storage::list_keys(Scope::Job, "photo/")? {
        if let Some(photo) = storage::get_json::<Photo>(Scope::Job, &key)? {
            photos.push(photo);
        }
    }
    Ok(photos)
}

impl Section for Checklists {
    fn describe() -> Descriptor {
        Descriptor::new("checklists", "Photos and checklists", env!("CARGO_PKG_VERSION"))
            .description("Your crew ticks your checklists and adds before and after photos from a phone on the console's job page; the job's clients see what was done and can comment.")
            .card(CardSpec::staff_panel(CREW, "Checklists and photos", &[StaffRole::Owner, StaffRole::Office, StaffRole::Employee]))
            .card(CardSpec::tab(CLIENTS, "Photos and checklists", "Photos").roles(&[Role::Client, Role::CoClient]))
            .setting("checklists", "Checklists, one per line: Name: item; item; item", SettingKind::LongText, json!(""))
            .setting_help("For example: Kitchen: Counters wiped; Sink scrubbed; Floor mopped")
            .permission(Permission::Storage, "Keeps each tick and each photo the crew adds on the job.")
            .permission(Permission::Files, "Takes the crew's before and after photos and shows them to the job's clients.")
            .permission(Permission::JobRead, "Names the job when a client comments on its photos.")
            .permission(Permission::Conversations, "Sends a client's comment on the photos to your office as a conversation.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        let lists = checklists(&settings);
        let photos = photos().map_err(|error| format!("reading the photos failed: {error}"))?;
        let card = if ctx.on_staff_surface() { crew_card(&lists, &photos) } else { clients_card(&lists, &photos) };
        card.map(|card| vec![card]).map_err(|error| format!("reading the checklists failed: {error}"))
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        let settings: Settings = ctx.settings().map_err(ActionError::Failed)?;
        if action == COMMENT && ctx.surface == Surface::JobPage {
            return comment(input);
        }
        if !ctx.on_staff_surface() {
            return Err(ActionError::Refused("Only the crew ticks checklists and adds photos.".into()));
        }
        if action == ADD_PHOTOS {
            return add_photos(ctx, input);
        }
        let lists = checklists(&settings);
        let Some(checklist) = action.strip_prefix(SAVE_PREFIX).and_then(|index| index.parse::<usize>().ok()).and_then(|index| lists.get(index)) else {
            return Err(ActionError::Refused("That checklist is no longer in the business's settings; reload the page.".into()));
        };
        save(ctx, checklist, input)
    }
}

/// The crew's card: each checklist to tick, the photos so far, and a form to add some.
fn crew_card(lists: &[Checklist], photos: &[Photo]) -> Result<Card, HostError> {
    let mut card = Card::new(CREW).task(TaskState::Info);
    if lists.is_empty() {
        card = card.text("No checklists yet: an owner writes them in this section's settings. Photos can be added all the same.");
    }
    for (index, checklist) in lists.iter().enumerate() {
        let ticks = ticks_of(checklist)?;
        let done = ticks.iter().filter(|tick| tick.is_some()).count();
        card = card.heading(checklist.name.clone()).progress(checklist.name.clone(), done as u32, checklist.items.len() as u32);
        for (item, tick) in checklist.items.iter().zip(&ticks) {
            let key = tick_key(&checklist.name, item);
            let label = match tick {
                Some(tick) => format!("{item} (ticked by {})", tick.by),
                None => item.clone(),
            };
            card = card
                .input(FormField::new(&key, &label, InputKind::Checkbox).value(if tick.is_some() { "on" } else { "" }))
                // What the crew member saw, so that only what they changed is saved.
                .input(FormField::hidden(&format!("was-{key}"), if tick.is_some() { "on" } else { "" }));
        }
        card = card.action(Action::primary(&format!("{SAVE_PREFIX}{index}"), &format!("Save {}", checklist.name)));
    }
    card = photo_blocks(card.heading("Photos"), photos);
    let moments = vec![Choice { value: "before".into(), label: "Before the work".into() }, Choice { value: "after".into(), label: "After the work".into() }];
    Ok(card
        .input(FormField::photos("photos", "Take or choose photos", MAX_PHOTO_BYTES, true))
        .input(FormField::new("moment", "They show the place", InputKind::Select(moments)))
        .input(FormField::new("caption", "Caption (optional)", InputKind::Text).help("Which room, what was found: \u{201c}Master bath, mould behind the tub\u{201d}."))
        .action(Action::secondary(ADD_PHOTOS, "Add the photos")))
}

/// The clients' card: what was done, and the photos, with a way to comment.
fn clients_card(lists: &[Checklist], photos: &[Photo]) -> Result<Card, HostError> {
    let mut card = Card::new(CLIENTS);
    let mut all_done = !lists.is_empty();
    let mut anything = !photos.is_empty();
    for checklist in lists {
        let ticks = ticks_of(checklist)?;
        let done = ticks.iter().filter(|tick| tick.is_some()).count();
        if done == 0 {
            all_done = false;
            continue;
        }
        anything = true;
        all_done &= done == checklist.items.len();
        let lines = checklist
            .items
            .iter()
            .zip(&ticks)
            .map(|(item, tick)| if tick.is_some() { format!("Done: {item}") } else { format!("Not done: {item}") })
            .collect();
        card = card.heading(checklist.name.clone()).progress(checklist.name.clone(), done as u32, checklist.items.len() as u32).block(Block::Bullets(lines));
    }
    if !anything {
        return Ok(card.task(TaskState::NotNeeded).text("The crew's checklists and photos will be here once the work starts."));
    }
    card = if all_done { card.status("Checklists complete", Tone::Success) } else { card.status("In progress", Tone::Info) };
    card = photo_blocks(card.task(TaskState::Info), photos);
    Ok(card
        .heading("Something to say about the work?")
        .input(FormField::new("comment", "Your comment", InputKind::LongText))
        .action(Action::secondary(COMMENT, "Send to the office")))
}

/// The photos, before then after, each as its thumbnail with a link to the full size.
fn photo_blocks(mut card: Card, photos: &[Photo]) -> Card {
    if photos.is_empty() {
        return card.text("No photos yet.");
    }
    for (moment, heading) in [("before", "Before"), ("after", "After")] {
        let shown: Vec<&Photo> = photos.iter().filter(|photo| photo.moment == moment).collect();
        if shown.is_empty() {
            continue;
        }
        card = card.heading(heading);
        for photo in shown {
            // A file the viewer may not open (or that is gone) is left out.
            let Ok(file) = files::get_file(&photo.file) else { continue };
            let about = if photo.caption.is_empty() { format!("{heading} the work") } else { photo.caption.clone() };
            if let Some(thumbnail) = file.thumbnail_url {
                card = card.image(thumbnail, format!("{about} (photo by {})", photo.by));
            }
            card = card.link(format!("Open the photo: {about}"), file.url);
        }
    }
    card
}

/// Record the items the crew member ticked or unticked; what they did not
/// change is left as it is (a colleague may have ticked it meanwhile).
fn save(ctx: &Context, checklist: &Checklist, input: &Input) -> ActionResult {
    let (mut ticked, mut unticked) = (0, 0);
    for item in &checklist.items {
        let key = tick_key(&checklist.name, item);
        let now = input.checked(&key);
        let was = input.checked(&format!("was-{key}"));
        if now && !was {
            let tick = Tick { by: ctx.viewer.display_name.clone(), at: ctx.now };
            if storage::insert_json(Scope::Job, &key, &tick)? {
                ticked += 1;
            }
        } else if !now && was {
            storage::delete(Scope::Job, &key)?;
            unticked += 1;
        }
    }
    let message = match (ticked, unticked) {
        (0, 0) => format!("{}: nothing changed.", checklist.name),
        (ticked, 0) => format!("{}: {ticked} ticked.", checklist.name),
        (0, unticked) => format!("{}: {unticked} unticked.", checklist.name),
        (ticked, unticked) => format!("{}: {ticked} ticked, {unticked} unticked.", checklist.name),
    };
    Ok(Outcome::success(message))
}

fn add_photos(ctx: &Context, input: &Input) -> ActionResult {
    let files: Vec<&str> = input.all("photos").filter(|id| !id.is_empty()).collect();
    if files.is_empty() {
        return Err(ActionError::invalid_field("photos", "Take or choose at least one photo."));
    }
    let moment = match input.get("moment") {
        Some(moment @ ("before" | "after")) => moment.to_string(),
        _ => return Err(ActionError::invalid_field("moment", "Say whether the photos show the place before or after the work.")),
    };
    let caption = input.text("caption").unwrap_or_default();
    if caption.chars().count() > MAX_CAPTION {
        return Err(ActionError::invalid_field("caption", format!("A caption is at most {MAX_CAPTION} characters.")));
    }
    for id in &files {
        // The ids come from the host, but each must be an upload of this job.
        files::get_file(id).map_err(|_| ActionError::invalid_field("photos", "One of the photos is not this job's; take it again."))?;
    }
    for id in &files {
        let photo = Photo { file: id.to_string(), moment: moment.clone(), caption: caption.to_string(), by: ctx.viewer.display_name.clone(), at: ctx.now };
        // One value per photo: two phones adding photos at once keep both.
        storage::insert_json(Scope::Job, &format!("photo/{:012}-{id}", ctx.now), &photo)?;
    }
    let count = files.len();
    Ok(Outcome::success(if count == 1 { "The photo is added; the job's clients see it.".to_string() } else { format!("The {count} photos are added; the job's clients see them.") }))
}

fn comment(input: &Input) -> ActionResult {
    let Some(text) = input.text("comment") else {
        return Err(ActionError::invalid_field("comment", "Write your comment first."));
    };
    let job = get_job()?;
    let thread = conversations::write_to_office(SUBJECT, &format!("Photos and checklists of job {}", job.reference), text, &[])?;
    Ok(Outcome::success(format!("Your comment is with the office. Their answer will be in your messages ({}).", thread.title)))
}

export_section!(Checklists);
