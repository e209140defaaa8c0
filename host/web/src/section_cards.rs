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
    let sections: Vec<ActiveSection> =
        state.sections.active(&tenant.id).await?.into_iter().filter(|section| wanted(section) && !section.cards_for(audience).is_empty()).collect();
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

/// At most this many inputs are passed on, each clamped.
const MAX_INPUTS: usize = 100;
const MAX_INPUT_BYTES: usize = 16 * 1024;

/// A card's form as posted: the host's fields, then the card's own inputs.
pub(crate) struct PostedAction {
    pub plugin_id: String,
    pub card_id: String,
    pub action_id: String,
    /// The slug of the tab the card was on, if any.
    pub tab: String,
    pub input: Vec<(String, String)>,
}

impl PostedAction {
    /// Check the form's token against the session's before reading anything else.
    pub fn check_csrf(form: &[(String, String)], session_token: &str) -> Result<(), WebError> {
        let posted = form.iter().find(|(key, _)| key == CSRF).map(|(_, value)| value.as_str()).unwrap_or_default();
        crate::csrf::check_session(posted, session_token)
    }

    pub fn read(form: &[(String, String)]) -> Result<PostedAction, WebError> {
        let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        let (Some(plugin_id), Some(card_id), Some(action_id)) = (field(PLUGIN), field(CARD), field(ACTION)) else {
            return Err(WebError::BadRequest("The form is incomplete. Reload the page and try again.".into()));
        };
        let input = form
            .iter()
            .filter(|(key, _)| !key.starts_with("_portico_"))
            .take(MAX_INPUTS)
            .map(|(key, value)| (portico_core::text::clamp(key, 64), portico_core::text::clamp(value, MAX_INPUT_BYTES)))
            .collect();
        Ok(PostedAction { plugin_id, card_id, action_id, tab: field(TAB).map(|t| tab_slug(&t)).unwrap_or_default(), input })
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
async fn act(state: &AppState, tenant: &Tenant, audience: &Audience, posted: &PostedAction, back: &str) -> Result<Acted, WebError> {
    let sections = state.sections.active(&tenant.id).await?;
    let section = sections.iter().find(|s| s.plugin.id() == posted.plugin_id).ok_or(WebError::NotFound)?;
    if !section.cards_for(audience).iter().any(|spec| spec.id == posted.card_id) {
        return Err(WebError::NotFound);
    }
    let ctx = state.sections.context(section, audience, tenant);
    let invocation = Invocation::Action { ctx, card: posted.card_id.clone(), action: posted.action_id.clone(), input: posted.input.clone() };
    let card = Some((posted.plugin_id.clone(), posted.card_id.clone()));
    let told = |tone: &str, message: String, refill: bool, problems: Vec<(String, String)>| Flash {
        tone: tone.into(),
        message,
        card: card.clone(),
        refill,
        input: if refill { posted.input.clone() } else { Vec::new() },
        problems,
    };
    const TRY_AGAIN: &str = "That did not work. Please try again in a moment.";
    let flash = match state.sections.call(section, audience, invocation).await {
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

/// Run `posted` for `audience` and answer the browser: the section's file or
/// redirect at once, or back to the card at `back` with the message kept in
/// the session `row` for the next page.
pub(crate) async fn answer(
    state: &AppState,
    row: &portico_data::SessionRow,
    tenant: &Tenant,
    audience: &Audience,
    posted: &PostedAction,
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

/// The cards of one page of a surface, ready for the `card` partial: those
/// on the current tab, each presented (links as buttons, contacts as links)
/// and with the message after an action in its card. Also returns the
/// message left for the top of the page.
pub(crate) fn cards_on_page(
    placed: Vec<PlacedCard>,
    current: Option<&str>,
    flash: Option<Flash>,
    links: &crate::portal::present::PageLinks<'_>,
) -> (Vec<serde_json::Value>, Option<Flash>) {
    let cards: Vec<CardView> = placed.into_iter().filter(|p| p.tab.as_deref().map(tab_slug).as_deref() == current).map(|p| p.card).collect();
    let (mut cards, flash) = message_in_its_card(cards, flash);
    for card in &mut cards {
        crate::portal::present::present_card(card, links);
    }
    (cards, flash)
}
