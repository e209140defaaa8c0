//! Section cards on any surface: rendering every enabled section for an
//! audience (the job page, the account hub, the console's job page, a
//! section's own console page), the tabs they make, the message after an
//! action in the card it is about, and the action itself. Each surface's
//! handler says who is looking and where; the rules are the same everywhere.

use crate::app::AppState;
use crate::error::WebError;
use axum::response::{IntoResponse, Redirect, Response};
use portico_core::formats::TenantFormats;
use portico_core::model::Tenant;
use portico_sections::sanitize::{accept_cards, BlockView, CardView, Chip, TaskState};
use portico_sections::{ActionError, ActiveSection, Audience, Invocation, Returned};
use serde::{Deserialize, Serialize};

/// A message carried across the redirect after an action.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub tone: String,
    pub message: String,
    /// The plugin and card the message is about (shown in that card).
    #[serde(default)]
    pub card: Option<(String, String)>,
    /// Whether that card's form comes back as typed (`input`): after a
    /// refusal, never after a success.
    #[serde(default)]
    pub refill: bool,
    #[serde(default)]
    pub input: Vec<(String, String)>,
    /// After a refusal, what to fix in which input (name, message).
    #[serde(default)]
    pub problems: Vec<(String, String)>,
}

/// One card with the tab it goes on (`None`: the surface's home).
pub(crate) struct PlacedCard {
    pub tab: Option<String>,
    pub card: CardView,
}

/// The URL-safe name of a tab ("Special Offers" → "special-offers").
pub fn tab_slug(title: &str) -> String {
    let slug: String = title.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    slug.split('-').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("-")
}

/// A refused form to refill: (plugin, card), what the viewer typed and what to fix.
pub(crate) fn kept_form(flash: Option<&Flash>) -> Option<(&(String, String), portico_sections::sanitize::KeptForm<'_>)> {
    flash.filter(|f| f.refill).and_then(|f| {
        let form = portico_sections::sanitize::KeptForm { typed: &f.input, problems: &f.problems };
        f.card.as_ref().map(|card| (card, form))
    })
}

/// Which of the tenant's sections a page shows.
#[derive(Clone, Copy)]
pub(crate) enum Which<'a> {
    /// Every enabled section with cards for the audience (the job page, the hub, a panel).
    All,
    /// One section (its own console page).
    Only(&'a str),
}

/// Render every enabled section that has cards for the audience on its
/// surface, concurrently, in the tenant's order. A section that fails shows
/// one "unavailable" card and costs nothing else.
pub(crate) async fn compose(
    state: &AppState,
    tenant: &Tenant,
    audience: &Audience,
    which: Which<'_>,
    kept: Option<(&(String, String), portico_sections::sanitize::KeptForm<'_>)>,
) -> Result<Vec<PlacedCard>, WebError> {
    let formats = TenantFormats::new(tenant);
    let wanted = |section: &ActiveSection| match which {
        Which::All => true,
        Which::Only(plugin_id) => section.plugin.id() == plugin_id,
    };
    // A render reads the business's sections through its snapshot.
    let db = audience.memo.as_ref().map_or(&state.db, |memo| memo.db());
    let sections: Vec<ActiveSection> =
        state.sections.active_in(db, &tenant.id).await?.into_iter().filter(|section| wanted(section) && !section.cards_for(audience).is_empty()).collect();
    let calls = sections.iter().map(|section| {
        let ctx = state.sections.context(section, audience, tenant);
        async move { state.sections.call(section, audience, Invocation::Render(ctx)).await }
    });
    let results = futures::future::join_all(calls).await;

    let mut placed = Vec::new();
    for (section, result) in sections.iter().zip(results) {
        let visible = section.cards_for(audience);
        let cards = match result {
            Ok(Returned::Cards(cards)) => {
                let kept_here = kept.filter(|((plugin, _), _)| plugin == section.plugin.id()).map(|((_, card), input)| (card.as_str(), input));
                accept_cards(section.plugin.id(), cards, &visible, &formats, kept_here)
            }
            _ => unavailable_card(section, &visible).into_iter().collect(),
        };
        for card in cards {
            let tab = visible.iter().find(|spec| spec.id == card.id).and_then(|spec| section.tab_for(spec));
            placed.push(PlacedCard { tab, card });
        }
    }
    Ok(placed)
}

/// What a failed section shows instead of its cards: its first card the
/// viewer may see here, saying it is unavailable.
fn unavailable_card(section: &ActiveSection, visible: &[&portico_sections::CardSpec]) -> Option<CardView> {
    let spec = visible.first()?;
    Some(CardView {
        plugin_id: section.plugin.id().to_string(),
        id: spec.id.clone(),
        title: portico_core::text::clamp(&spec.title, 120),
        status: Some(Chip { label: "Unavailable".into(), tone: "neutral" }),
        task: TaskState::Info,
        blocks: vec![BlockView::Text { text: "This section is temporarily unavailable. Please try again later.".into() }],
        actions: Vec::new(),
        has_form: false,
        has_files: false,
        unavailable: true,
    })
}

/// A link to one tab of a page.
#[derive(Serialize)]
pub(crate) struct TabLink {
    pub title: String,
    pub href: String,
    pub current: bool,
}

/// The tabs of a page: its home first (`home`), then each named tab in the
/// order the sections declare them; and the current tab's slug, when `asked`
/// names one of them. No tab at all when every card is on the home page.
pub(crate) fn tabs(placed: &[PlacedCard], base_url: &str, home: &str, asked: Option<&str>) -> (Vec<TabLink>, Option<String>) {
    let mut titles: Vec<String> = Vec::new();
    for card in placed {
        if let Some(tab) = card.tab.as_ref().filter(|tab| !titles.contains(tab)) {
            titles.push(tab.clone());
        }
    }
    let current = asked.filter(|slug| titles.iter().any(|t| tab_slug(t) == *slug)).map(str::to_string);
    let mut links = Vec::new();
    if !titles.is_empty() {
        links.push(TabLink { title: home.into(), href: base_url.into(), current: current.is_none() });
        for title in &titles {
            let slug = tab_slug(title);
            links.push(TabLink { href: format!("{base_url}?tab={slug}"), current: current.as_deref() == Some(slug.as_str()), title: title.clone() });
        }
    }
    (links, current)
}

/// The message after an action, put in the card it is about (where the page
/// scrolls to, next to the form), or left for the top of the page when that
/// card is not on it.
pub(crate) fn message_in_its_card(cards: Vec<CardView>, flash: Option<Flash>) -> (Vec<serde_json::Value>, Option<Flash>) {
    let mut flash = flash;
    let cards = cards
        .into_iter()
        .map(|card| {
            let mut view = serde_json::to_value(&card).expect("a card view is plain data");
            view["notice"] = serde_json::Value::Null;
            let about_this_card = flash.as_ref().and_then(|f| f.card.as_ref()).is_some_and(|(plugin, id)| *plugin == card.plugin_id && *id == card.id);
            if let Some(message) = flash.take_if(|_| about_this_card) {
                // Each input at fault, linked: on a long card (an agreement's
                // text) the inputs may be a screen or two below the message.
                // A problem worded as the message itself is not said twice:
                // the message becomes its link.
                let at_fault: Vec<(&String, &String)> = card
                    .blocks
                    .iter()
                    .filter_map(|block| match block {
                        BlockView::Input { input } => input.problem.as_ref().map(|problem| (&input.id, problem)),
                        _ => None,
                    })
                    .collect();
                let href = at_fault.iter().find(|(_, problem)| **problem == message.message).map(|(id, _)| format!("#{id}"));
                let problems: Vec<serde_json::Value> = at_fault
                    .iter()
                    .filter(|(_, problem)| **problem != message.message)
                    .map(|(id, problem)| serde_json::json!({ "id": id, "message": problem }))
                    .collect();
                view["notice"] = serde_json::json!({
                    "role": notice_role(&message.tone), "tone": message.tone, "message": message.message, "href": href, "problems": problems,
                });
            }
            view
        })
        .collect();
    (cards, flash)
}

/// A refusal interrupts (`alert`); anything else is news (`status`).
pub(crate) fn notice_role(tone: &str) -> &'static str {
    if matches!(tone, "danger" | "warning") { "alert" } else { "status" }
}

/// The flash at the top of a page, as the templates read it.
pub(crate) fn flash_view(flash: Option<&Flash>) -> serde_json::Value {
    flash.map(|f| serde_json::json!({ "role": notice_role(&f.tone), "tone": f.tone, "message": f.message })).unwrap_or_default()
}

/// The host's own form fields; everything else is the card's input.
const CSRF: &str = "_portico_csrf";
const PLUGIN: &str = "_portico_plugin";
const CARD: &str = "_portico_card";
const ACTION: &str = "_portico_action";
const TAB: &str = "_portico_tab";
/// Beside each file input, the rules its files are checked by.
const FILE_RULES: &str = "_portico_file.";

/// At most this many inputs are passed on, each clamped.
const MAX_INPUTS: usize = 100;
const MAX_INPUT_BYTES: usize = 16 * 1024;

/// The largest body a card's form may post: several photos of a phone.
/// Each file is checked against its own cap as it arrives
/// (`uploads::MAX_FILE_BYTES` at most), and a file over it is read to its
/// end and dropped, so what was typed beside it still arrives.
pub(crate) const MAX_ACTION_BODY: usize = 64 * 1024 * 1024;
/// The largest form without files, as every other form of the host.
const MAX_FORM_BODY: usize = 1024 * 1024;
/// Beside files: the most of one text field kept, and the most fields.
const MAX_TEXT_FIELD: usize = 64 * 1024;
const MAX_FIELDS: usize = 500;

/// A file as posted in a card's form.
pub(crate) struct PostedFile {
    /// The name of the card's input.
    pub input: String,
    /// The name the viewer's device gave it.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Its size as sent, even when it was too large to keep.
    pub size: usize,
}

/// Check a posted file against `rules` by its size, then by its bytes (off
/// the async threads), and make it ready to store.
pub(crate) async fn prepare_posted(
    file: PostedFile,
    rules: portico_services::uploads::FileRules,
) -> Result<portico_services::uploads::Prepared, portico_services::uploads::Refused> {
    use portico_services::uploads::{prepare_off_thread, size_words, Refused};
    if file.size > rules.cap() {
        let name = portico_core::text::one_line(&file.file_name, 120);
        return Err(Refused::TooLarge { name, size: size_words(file.size), cap: size_words(rules.cap()) });
    }
    prepare_off_thread(file.file_name, file.bytes, rules).await
}

/// A card's form as the browser posted it: urlencoded, or multipart when
/// the card takes files.
pub(crate) struct ActionForm {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<PostedFile>,
}

impl axum::extract::FromRequest<AppState> for ActionForm {
    type Rejection = WebError;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        if !multipart {
            // A form without files is small: only a multipart body may be large.
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, MAX_FORM_BODY)
                .await
                .map_err(|_| WebError::BadRequest(format!("The form is larger than {} KiB; shorten what you typed.", MAX_FORM_BODY / 1024)))?;
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
            let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
                .await
                .map_err(|e| WebError::BadRequest(format!("The form could not be read: {}", e.body_text())))?;
            return Ok(ActionForm { pairs, files: Vec::new() });
        }
        let unreadable = |e: axum::extract::multipart::MultipartError| WebError::BadRequest(format!("The upload could not be read: {}", e.body_text()));
        let mut multipart = axum::extract::Multipart::from_request(request, state).await.map_err(|e| WebError::BadRequest(e.body_text()))?;
        let (mut pairs, mut files) = (Vec::new(), Vec::new());
        while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let (mut bytes, mut size) = (Vec::new(), 0);
                    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                        size += chunk.len();
                        // Past the most any form takes, keep reading but nothing more.
                        if size <= portico_services::uploads::MAX_FILE_BYTES {
                            bytes.extend_from_slice(&chunk);
                        } else {
                            bytes = Vec::new();
                        }
                    }
                    // An input left empty posts a nameless, empty part.
                    if !(file_name.is_empty() && size == 0) {
                        // Past the most a form may send only the count matters (it is refused).
                        let bytes = if files.len() < MAX_FILES_PER_ACTION { bytes } else { Vec::new() };
                        files.push(PostedFile { input: name, file_name, bytes, size });
                    }
                }
                None => {
                    // Text beside files is as small as in any form: the rest is read and dropped.
                    let mut text = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                        let room = MAX_TEXT_FIELD.saturating_sub(text.len());
                        text.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    if pairs.len() < MAX_FIELDS {
                        pairs.push((name, String::from_utf8_lossy(&text).into_owned()));
                    }
                }
            }
        }
        Ok(ActionForm { pairs, files })
    }
}

/// A card's form as posted: the host's fields, then the card's own inputs.
pub(crate) struct PostedAction {
    pub plugin_id: String,
    pub card_id: String,
    pub action_id: String,
    /// The slug of the tab the card was on, if any.
    pub tab: String,
    pub input: Vec<(String, String)>,
    /// The files of its file inputs, not yet checked.
    pub files: Vec<PostedFile>,
    /// The input of each posted file, in order (kept when the files are taken).
    file_inputs: Vec<String>,
    /// The rules the page gave each file input (`_portico_file.{name}`).
    rules: Vec<(String, String)>,
}

impl PostedAction {
    /// Check the form's token against the session's before reading anything else.
    pub fn check_csrf(form: &[(String, String)], session_token: &str) -> Result<(), WebError> {
        let posted = form.iter().find(|(key, _)| key == CSRF).map(|(_, value)| value.as_str()).unwrap_or_default();
        crate::csrf::check_session(posted, session_token)
    }

    pub fn read(form: ActionForm) -> Result<PostedAction, WebError> {
        let ActionForm { pairs: form, files } = form;
        let form = form.as_slice();
        let rules: Vec<(String, String)> =
            form.iter().filter_map(|(key, value)| key.strip_prefix(FILE_RULES).map(|input| (input.to_string(), value.clone()))).collect();
        let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        let (Some(plugin_id), Some(card_id), Some(action_id)) = (field(PLUGIN), field(CARD), field(ACTION)) else {
            return Err(WebError::BadRequest("The form is incomplete. Reload the page and try again.".into()));
        };
        // A file input's value is the host's upload id: one typed in as text is not.
        let is_file_input = |key: &str| rules.iter().any(|(file_input, _)| file_input == key);
        let input = form
            .iter()
            .filter(|(key, _)| !key.starts_with("_portico_") && !is_file_input(key))
            .take(MAX_INPUTS)
            .map(|(key, value)| (portico_core::text::clamp(key, 64), portico_core::text::clamp(value, MAX_INPUT_BYTES)))
            .collect();
        let file_inputs = files.iter().map(|file| file.input.clone()).collect();
        Ok(PostedAction { plugin_id, card_id, action_id, tab: field(TAB).map(|t| tab_slug(&t)).unwrap_or_default(), input, files, file_inputs, rules })
    }

    /// Whether a file for `input` was posted before the one at `index`.
    fn files_before(&self, index: usize, input: &str) -> bool {
        self.file_inputs[..index].iter().any(|earlier| earlier == input)
    }

    /// Where the viewer goes back to: the card, on its tab of `page`.
    pub fn back_to(&self, page: &str) -> String {
        let anchor = format!("#card-{}-{}", tab_slug(&self.plugin_id), tab_slug(&self.card_id));
        if self.tab.is_empty() { format!("{page}{anchor}") } else { format!("{page}?tab={}{anchor}", self.tab) }
    }
}

/// What came of an action.
enum Acted {
    /// Answered at once: the file the section asked for, or where it sends
    /// the viewer (a checkout).
    Respond(Response),
    /// A message for the card, shown after the redirect back.
    Told(Flash),
}

/// Run `posted` for `audience`: only an action on a card the audience may
/// see on its own surface reaches the section (any other is a 404, the same
/// as a card that does not exist), and whatever the section answers, the
/// viewer gets a message and keeps what they typed when it was refused.
async fn act(state: &AppState, tenant: &Tenant, audience: &Audience, mut posted: PostedAction, back: &str) -> Result<Acted, WebError> {
    let sections = state.sections.active(&tenant.id).await?;
    let section = sections.iter().find(|s| s.plugin.id() == posted.plugin_id).ok_or(WebError::NotFound)?;
    if !section.cards_for(audience).iter().any(|spec| spec.id == posted.card_id) {
        return Err(WebError::NotFound);
    }
    let card = Some((posted.plugin_id.clone(), posted.card_id.clone()));
    // Files first: one the input does not take is refused beside it, with
    // everything typed kept, and the section is not called.
    let mut input = posted.input.clone();
    let uploaded_ids: Vec<String> = match take_files(state, tenant, audience, section, &mut posted).await? {
        Ok(uploaded) => {
            let ids = uploaded.iter().map(|(_, id)| id.clone()).collect();
            input.extend(uploaded);
            ids
        }
        Err(problems) => {
            let message = match problems.as_slice() {
                [(_, only)] => only.clone(),
                _ => "Please check the files marked below.".to_string(),
            };
            return Ok(Acted::Told(Flash { tone: "danger".into(), message, card, refill: true, input: posted.input.clone(), problems }));
        }
    };
    let ctx = state.sections.context(section, audience, tenant);
    let invocation = Invocation::Action { ctx, card: posted.card_id.clone(), action: posted.action_id.clone(), input };
    let told = |tone: &str, message: String, refill: bool, problems: Vec<(String, String)>| Flash {
        tone: tone.into(),
        message,
        card: card.clone(),
        refill,
        input: if refill { posted.input.clone() } else { Vec::new() },
        problems,
    };
    const TRY_AGAIN: &str = "That did not work. Please try again in a moment.";
    let returned = state.sections.call(section, audience, invocation).await;
    // A form the section refused (its inputs, or the moment) changed
    // nothing, so it kept none of its files. After a failure or a trap it
    // may have kept some before it stopped: those stay.
    let refused = matches!(returned, Ok(Returned::Action(Err(ActionError::InvalidInput(_) | ActionError::Refused(_)))));
    if refused && !uploaded_ids.is_empty() {
        if let Err(error) = portico_services::uploads::discard(&state.db, &state.files, &tenant.id, &uploaded_ids).await {
            tracing::warn!(plugin = %posted.plugin_id, %error, "the files of a refused form stay stored");
        }
    }
    let flash = match returned {
        Ok(Returned::Action(Ok(outcome))) if outcome.download.is_some() => {
            // The section asked for a file of what its card shows.
            return Ok(Acted::Respond(crate::portal::downloads::respond(outcome.download.expect("checked"))));
        }
        Ok(Returned::Action(Ok(outcome))) if outcome.redirect.as_deref().and_then(portico_core::text::local_path).is_some() => {
            // The plugin sends the viewer on (to a checkout); the next page
            // says how that went.
            let next = outcome.redirect.as_deref().and_then(portico_core::text::local_path).unwrap_or_else(|| back.to_string());
            return Ok(Acted::Respond(Redirect::to(&next).into_response()));
        }
        Ok(Returned::Action(Ok(outcome))) => {
            told(portico_sections::sanitize::tone(outcome.tone), portico_core::text::clamp(&outcome.message, 500), false, Vec::new())
        }
        // Keep what the viewer typed so nothing is lost.
        Ok(Returned::Action(Err(ActionError::InvalidInput(problems)))) => {
            let message = match problems.message.trim() {
                "" => "Please check the answers marked below.".into(),
                message => portico_core::text::clamp(message, 500),
            };
            told("danger", message, true, portico_sections::sanitize::field_problems(&problems.fields))
        }
        Ok(Returned::Action(Err(ActionError::Refused(message)))) => told("warning", portico_core::text::clamp(&message, 500), false, Vec::new()),
        Ok(Returned::Action(Err(ActionError::Failed(reason)))) => {
            let reason = portico_core::text::one_line(&reason, 500);
            tracing::warn!(plugin = %posted.plugin_id, %reason, "action failed inside the plugin");
            told("danger", TRY_AGAIN.into(), true, Vec::new())
        }
        Ok(_) | Err(_) => told("danger", TRY_AGAIN.into(), true, Vec::new()),
    };
    Ok(Acted::Told(flash))
}

/// Most files one form may send.
const MAX_FILES_PER_ACTION: usize = 10;

/// Check every posted file against the rules the host signed for its input
/// and keep those taken: `(input, upload id)` pairs for the section, or what
/// is wrong with which input. Nothing is stored unless every file is taken.
async fn take_files(
    state: &AppState,
    tenant: &Tenant,
    audience: &Audience,
    section: &ActiveSection,
    posted: &mut PostedAction,
) -> Result<Result<Vec<(String, String)>, Vec<(String, String)>>, WebError> {
    use portico_services::uploads::Uploader;
    let files = std::mem::take(&mut posted.files);
    if files.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let mut problems = Vec::<(String, String)>::new();
    let mut refuse = |input: &str, message: String| {
        if !problems.iter().any(|(seen, _)| seen == input) {
            problems.push((input.to_string(), message));
        }
    };
    if files.len() > MAX_FILES_PER_ACTION {
        refuse(&files[0].input, format!("Send at most {MAX_FILES_PER_ACTION} files at once."));
    }
    // A section that cannot read files back is given none.
    let readable = section.grants().contains(&portico_sections::Permission::Files);
    let mut prepared = Vec::new();
    for (index, file) in files.into_iter().enumerate().take(MAX_FILES_PER_ACTION) {
        let rules = signed_rules(&state.upload_key, posted, &file.input).filter(|_| readable);
        let Some(rules) = rules else {
            refuse(&file.input, "This form takes no file here.".into());
            continue;
        };
        if !rules.multiple && posted.files_before(index, &file.input) {
            refuse(&file.input, "Choose one file.".into());
            continue;
        }
        let input = file.input.clone();
        match prepare_posted(file, rules).await {
            Ok(ready) => prepared.push((input, ready)),
            Err(refused) => refuse(&input, refused.to_string()),
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let viewer = &audience.viewer;
    let uploader = match &viewer.staff {
        Some(staff) => Uploader { kind: portico_data::PersonKind::Staff, id: &staff.user_id, name: &viewer.display_name },
        None => Uploader { kind: portico_data::PersonKind::Contact, id: viewer.contact_id.as_deref().unwrap_or_default(), name: &viewer.display_name },
    };
    // Room for all of them, or none is stored.
    let bytes = prepared.iter().map(|(_, ready)| ready.bytes.len()).sum();
    match portico_services::uploads::check_room(&state.db, &tenant.id, bytes).await {
        Ok(()) => {}
        Err(portico_services::uploads::StoreError::OverQuota(words)) => return Ok(Err(vec![(prepared[0].0.clone(), words)])),
        Err(other) => return Err(WebError::Internal(anyhow::anyhow!(other))),
    }
    let mut uploaded = Vec::new();
    for (input, ready) in &prepared {
        let upload = portico_services::uploads::store(&state.db, &state.files, &tenant.id, &posted.plugin_id, audience.job_id.as_ref(), &uploader, ready)
            .await
            .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
        uploaded.push((input.clone(), upload.id));
    }
    Ok(Ok(uploaded))
}

/// Run `posted` for `audience` and answer the browser: the section's file or
/// redirect at once, or back to the card at `back` with the message kept in
/// the session `row` for the next page.
pub(crate) async fn answer(
    state: &AppState,
    row: &portico_data::SessionRow,
    tenant: &Tenant,
    audience: &Audience,
    posted: PostedAction,
    back: &str,
) -> Result<Response, WebError> {
    match act(state, tenant, audience, posted, back).await? {
        Acted::Respond(response) => Ok(response),
        Acted::Told(flash) => {
            crate::sessions::leave_flash(state, row, &flash).await?;
            Ok(Redirect::to(back).into_response())
        }
    }
}

/// What every card's form on a page posts with and to, which `card.hbs`
/// reads as `@root.card_form`: the page's CSRF token, the address of its
/// actions, the tab the page shows (an action comes back to it), and whether
/// actions are disabled (staff previewing a client's page).
pub(crate) fn card_form(csrf: &str, action_url: &str, tab: &str, preview: bool) -> serde_json::Value {
    serde_json::json!({ "csrf": csrf, "action_url": action_url, "tab": tab, "preview": preview })
}

/// The cards of one page of a surface, ready for `card.hbs`: those on the
/// current tab, each presented (links as buttons, contacts as links, tables
/// labelled) and with the message after an action in its card. Also returns
/// the message left for the top of the page.
pub(crate) fn cards_on_page(
    state: &AppState,
    placed: Vec<PlacedCard>,
    current: Option<&str>,
    flash: Option<Flash>,
    links: &crate::portal::present::PageLinks<'_>,
) -> (Vec<serde_json::Value>, Option<Flash>) {
    let mut cards: Vec<CardView> = placed.into_iter().filter(|p| p.tab.as_deref().map(tab_slug).as_deref() == current).map(|p| p.card).collect();
    for card in &mut cards {
        sign_file_rules(&state.upload_key, card);
    }
    let (mut cards, flash) = message_in_its_card(cards, flash);
    for card in &mut cards {
        crate::portal::present::present_card(card, links);
    }
    (cards, flash)
}

/// The signature of a file input's rules for one card: the browser carries
/// them back, and only rules the host wrote for that input of that card of
/// that section are believed.
fn rules_signature(key: &str, plugin_id: &str, card_id: &str, input: &str, rules: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(format!("{plugin_id}\n{card_id}\n{input}\n{rules}").as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn sign_file_rules(key: &str, card: &mut CardView) {
    for block in &mut card.blocks {
        if let BlockView::Input { input } = block {
            if let Some(file) = input.file.as_mut() {
                let signature = rules_signature(key, &card.plugin_id, &card.id, &input.name, &file.rules);
                file.rules = format!("{}.{signature}", file.rules);
            }
        }
    }
}

/// The rules of `input` as posted, if the host signed them for this card.
fn signed_rules(key: &str, posted: &PostedAction, input: &str) -> Option<portico_services::uploads::FileRules> {
    let (_, token) = posted.rules.iter().find(|(name, _)| name == input)?;
    let (rules, signature) = token.rsplit_once('.')?;
    let expected = rules_signature(key, &posted.plugin_id, &posted.card_id, input, rules);
    let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes()).into();
    same.then(|| portico_services::uploads::FileRules::from_token(rules)).flatten()
}
