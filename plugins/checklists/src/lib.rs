//! Photos and checklists: the proof of the work. On the console's job page
//! the crew (every member of staff) ticks the business's checklists and adds
//! before and after photos from a phone (and removes one taken by mistake);
//! on the job's portal page its clients
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

/// The crew's cards on the console's job page: the checklists, and the photos.
const CREW: &str = "crew-checklists";
const CREW_PHOTOS: &str = "crew-photos";
/// The clients' card on the job's portal page.
const CLIENTS: &str = "photos-and-checklists";

const SAVE: &str = "save";
const ADD_PHOTOS: &str = "add-photos";
const REMOVE_PHOTO: &str = "remove-photo";
const COMMENT: &str = "comment";

/// The largest photo taken, in bytes (a phone's full-size picture).
const MAX_PHOTO_BYTES: u32 = 15 * 1024 * 1024;
/// The longest caption kept.
const MAX_CAPTION: usize = 200;
/// The conversation subject of comments on a job's photos.
const SUBJECT: &str = "photos";
/// A card shows at most 50 blocks: the checklists a card can hold (items,
/// and a heading and a progress bar a list, with room for the card's words).
const MAX_LISTS: usize = 6;
const MAX_ITEMS: usize = 34;
/// The newest photos a card shows (each is an image and a link).
const PHOTOS_SHOWN_TO_CREW: usize = 20;
const PHOTOS_SHOWN_TO_CLIENTS: usize = 12;

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

/// The checklists as the business wrote them, one per line: `Name: item; item`,
/// as many as a card holds (a list named twice counts once), and whether
/// some were left out.
fn checklists(settings: &Settings) -> (Vec<Checklist>, bool) {
    let mut lists: Vec<Checklist> = Vec::new();
    let (mut items_kept, mut cut) = (0, false);
    for line in settings.checklists.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (name, written) = match line.split_once(':') {
            Some((name, written)) if !name.trim().is_empty() => (name.trim().to_string(), written),
            _ => ("Checklist".to_string(), line),
        };
        let mut items: Vec<String> = Vec::new();
        for item in written.split(';').map(str::trim).filter(|item| !item.is_empty()) {
            if !items.iter().any(|kept| kept == item) {
                items.push(item.to_string());
            }
        }
        if items.is_empty() || lists.iter().any(|list| list.name == name) {
            continue;
        }
        if lists.len() == MAX_LISTS || items_kept + items.len() > MAX_ITEMS {
            cut = true;
            break;
        }
        items_kept += items.len();
        lists.push(Checklist { name, items });
    }
    (lists, cut)
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

impl Photo {
    /// How the crew tells it from the others in a list.
    fn label(&self) -> String {
        let moment = if self.moment == "before" { "Before" } else { "After" };
        match self.caption.as_str() {
            "" => format!("{moment} the work, by {}", self.by),
            caption => format!("{moment}: {caption}, by {}", self.by),
        }
    }
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
            .card(CardSpec::staff_panel(CREW, "Checklists", &[StaffRole::Owner, StaffRole::Office, StaffRole::Employee]))
            .card(CardSpec::staff_panel(CREW_PHOTOS, "Before and after photos", &[StaffRole::Owner, StaffRole::Office, StaffRole::Employee]))
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
        let (lists, cut) = checklists(&settings);
        let photos = photos().map_err(|error| format!("reading the photos failed: {error}"))?;
        let read = |error: HostError| format!("reading the checklists failed: {error}");
        if ctx.on_staff_surface() {
            Ok(vec![crew_card(&lists, cut).map_err(read)?, crew_photos_card(&photos)])
        } else {
            Ok(clients_card(&lists, &photos).map_err(read)?.into_iter().collect())
        }
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        let settings: Settings = ctx.settings().map_err(ActionError::Failed)?;
        if action == COMMENT && ctx.surface == Surface::JobPage {
            return comment(input);
        }
        if !ctx.on_staff_surface() {
            return Err(ActionError::Refused("Only the crew ticks checklists and adds photos.".into()));
        }
        match action {
            ADD_PHOTOS => add_photos(ctx, input),
            REMOVE_PHOTO => remove_photo(input),
            SAVE => save(ctx, &checklists(&settings).0, input),
            _ => Err(ActionError::Refused("No such action here; reload the page.".into())),
        }
    }
}

/// The crew's checklists card: each checklist to tick, saved at once.
fn crew_card(lists: &[Checklist], cut: bool) -> Result<Card, HostError> {
    let mut card = Card::new(CREW).task(TaskState::Info);
    if lists.is_empty() {
        return Ok(card.text("No checklists yet: an owner writes them in this section's settings."));
    }
    if cut {
        card = card.notice(Tone::Warning, format!("Only the first checklists are shown: a job holds at most {MAX_LISTS} lists and {MAX_ITEMS} items in all."));
    }
    for checklist in lists {
        let ticks = ticks_of(checklist)?;
        let done = ticks.iter().filter(|tick| tick.is_some()).count();
        card = card.heading(checklist.name.clone()).progress("Items done", done as u32, checklist.items.len() as u32);
        let mut seen_ticked = Vec::new();
        for (item, tick) in checklist.items.iter().zip(&ticks) {
            let key = tick_key(&checklist.name, item);
            let label = match tick {
                Some(tick) => format!("{item} (ticked by {})", tick.by),
                None => item.clone(),
            };
            card = card.input(FormField::new(&key, &label, InputKind::Checkbox).value(if tick.is_some() { "on" } else { "" }));
            if tick.is_some() {
                seen_ticked.push(key);
            }
        }
        // What the crew member saw ticked, so that only what they changed is saved.
        card = card.input(FormField::hidden(&list_key(&checklist.name), seen_ticked.join(" ")));
    }
    Ok(card.action(Action::primary(SAVE, "Save the checklists")))
}

/// The hidden input of a checklist: the items the form showed ticked.
fn list_key(checklist: &str) -> String {
    format!("was-{}", tick_key(checklist, ""))
}

/// The crew's photos card: the newest photos, a form to add some, and a
/// way to remove one taken by mistake.
fn crew_photos_card(photos: &[Photo]) -> Card {
    let card = photo_blocks(Card::new(CREW_PHOTOS).task(TaskState::Info), photos, PHOTOS_SHOWN_TO_CREW);
    let moments = vec![Choice { value: "before".into(), label: "Before the work".into() }, Choice { value: "after".into(), label: "After the work".into() }];
    let card = card
        .input(FormField::photos("photos", "Take or choose photos", MAX_PHOTO_BYTES, true))
        .input(FormField::new("moment", "They show the place", InputKind::Select(moments)))
        .input(FormField::new("caption", "Caption (optional)", InputKind::Text).help("Which room, what was found: \u{201c}Master bath, mould behind the tub\u{201d}."))
        .action(Action::primary(ADD_PHOTOS, "Add the photos"));
    let shown = &photos[photos.len().saturating_sub(PHOTOS_SHOWN_TO_CREW)..];
    if shown.is_empty() {
        return card;
    }
    let mut choices = vec![Choice { value: String::new(), label: "Choose a photo".into() }];
    choices.extend(shown.iter().rev().map(|photo| Choice { value: photo.file.clone(), label: photo.label() }));
    card.input(FormField::new("remove", "Photo taken by mistake", InputKind::Select(choices)).help("Newest first. Removed, it is gone for the job's clients too."))
        .action(Action::danger(REMOVE_PHOTO, "Remove the photo").confirm("Remove the chosen photo? The job's clients will no longer see it."))
}

/// The clients' card: what was done, and the photos, with a way to
/// comment; none until the crew has started.
fn clients_card(lists: &[Checklist], photos: &[Photo]) -> Result<Option<Card>, HostError> {
    let mut card = Card::new(CLIENTS);
    let mut all_done = !lists.is_empty();
    let mut anything = !photos.is_empty();
    for checklist in lists {
        let ticks = ticks_of(checklist)?;
        let done = ticks.iter().filter(|tick| tick.is_some()).count();
        all_done &= done == checklist.items.len();
        if done == 0 {
            continue;
        }
        anything = true;
        let lines = checklist
            .items
            .iter()
            .zip(&ticks)
            .map(|(item, tick)| if tick.is_some() { format!("Done: {item}") } else { format!("Not done: {item}") })
            .collect();
        card = card.heading(checklist.name.clone()).progress("Items done", done as u32, checklist.items.len() as u32).block(Block::Bullets(lines));
    }
    if !anything {
        return Ok(None);
    }
    if !lists.is_empty() {
        card = if all_done { card.status("Checklists complete", Tone::Success) } else { card.status("In progress", Tone::Info) };
    }
    card = photo_blocks(card.task(TaskState::Info), photos, PHOTOS_SHOWN_TO_CLIENTS);
    Ok(Some(
        card.heading("Something to say about the work?")
            .input(FormField::new("comment", "Your comment", InputKind::LongText))
            .action(Action::secondary(COMMENT, "Send to the office")),
    ))
}

/// The newest `shown` photos, before then after, each as its thumbnail with
/// a link to the full size.
fn photo_blocks(mut card: Card, photos: &[Photo], shown: usize) -> Card {
    if photos.is_empty() {
        return card.text("No photos yet.");
    }
    // Stored oldest first: keep the newest, in the order they were taken.
    let newest = &photos[photos.len().saturating_sub(shown)..];
    if newest.len() < photos.len() {
        card = card.text(format!("The newest {} of {} photos.", newest.len(), photos.len()));
    }
    for (moment, heading) in [("before", "Before"), ("after", "After")] {
        let of_moment: Vec<&Photo> = newest.iter().filter(|photo| photo.moment == moment).collect();
        if of_moment.is_empty() {
            continue;
        }
        card = card.heading(heading);
        for (number, photo) in of_moment.iter().enumerate() {
            // A file the viewer may not open (or that is gone) is left out.
            let Ok(file) = files::get_file(&photo.file) else { continue };
            let about = if photo.caption.is_empty() { format!("{heading} the work, photo {}", number + 1) } else { photo.caption.clone() };
            if let Some(thumbnail) = file.thumbnail_url {
                card = card.image(thumbnail, format!("{about} (photo by {})", photo.by));
            }
            card = card.link(format!("Open the photo: {about}"), file.url);
        }
    }
    card
}

/// Record the items the crew member ticked or unticked, in every list; what
/// they did not change is left as it is (a colleague may have ticked it
/// meanwhile).
fn save(ctx: &Context, lists: &[Checklist], input: &Input) -> ActionResult {
    let (mut ticked, mut unticked) = (0, 0);
    for checklist in lists {
        let Some(seen) = input.get(&list_key(&checklist.name)) else {
            // Not on the form the crew member saw (added to the settings since).
            continue;
        };
        let seen: Vec<&str> = seen.split_whitespace().collect();
        for item in &checklist.items {
            let key = tick_key(&checklist.name, item);
            let now = input.checked(&key);
            let was = seen.contains(&key.as_str());
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
    }
    let message = match (ticked, unticked) {
        (0, 0) => "Nothing changed on the checklists.".to_string(),
        (ticked, 0) => format!("Saved: {ticked} ticked."),
        (0, unticked) => format!("Saved: {unticked} unticked."),
        (ticked, unticked) => format!("Saved: {ticked} ticked, {unticked} unticked."),
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
    // The photos are already kept when the section hears of them: a long
    // caption is shortened rather than refused, which would lose them.
    let caption: String = input.text("caption").unwrap_or_default().chars().take(MAX_CAPTION).collect();
    for id in &files {
        // The ids come from the host, but each must be an upload of this job.
        files::get_file(id).map_err(|_| ActionError::invalid_field("photos", "One of the photos is not this job's; take it again."))?;
    }
    for id in &files {
        let photo = Photo { file: id.to_string(), moment: moment.clone(), caption: caption.clone(), by: ctx.viewer.display_name.clone(), at: ctx.now };
        // One value per photo: two phones adding photos at once keep both.
        storage::insert_json(Scope::Job, &format!("photo/{:012}-{id}", ctx.now), &photo)?;
    }
    let count = files.len();
    Ok(Outcome::success(if count == 1 { "The photo is added; the job's clients see it.".to_string() } else { format!("The {count} photos are added; the job's clients see them.") }))
}

/// Remove a photo taken by mistake: its file first, so nobody opens it
/// again, then the section's record of it.
fn remove_photo(input: &Input) -> ActionResult {
    // Files sent with this form would be kept for nothing: refusing the
    // form makes the host forget them.
    if input.all("photos").any(|id| !id.is_empty()) {
        return Err(ActionError::invalid_field("photos", "Remove a photo without choosing new ones; add those next."));
    }
    let Some(file) = input.text("remove") else {
        return Err(ActionError::invalid_field("remove", "Choose the photo to remove."));
    };
    let suffix = format!("-{file}");
    let Some(key) = storage::list_keys(Scope::Job, "photo/")?.into_iter().find(|key| key.ends_with(&suffix)) else {
        return Err(ActionError::Refused("That photo is already removed.".into()));
    };
    match files::remove_file(file) {
        // A colleague removed the file a moment ago: the record goes too.
        Ok(()) | Err(HostError::NotFound) => {}
        Err(error) => return Err(error.into()),
    }
    storage::delete(Scope::Job, &key)?;
    Ok(Outcome::success("The photo is removed; the job's clients no longer see it."))
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
