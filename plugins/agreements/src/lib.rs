//! "Sign agreement": the people who must sign read each of the job's
//! agreements and sign it by typing their full name and accepting the
//! business's consent to electronic signature.
//!
//! The host owns the agreements: it fills the templates' placeholders, locks
//! the text at the first signature, checks that the signer read the version
//! they sign (the hidden `version` input), keeps the evidence and serves the
//! signed PDF with its certificate. This section shows where each agreement
//! stands and asks for the next signature the viewer owes, one at a time.

use portico_plugin_sdk::agreements::{list_agreements, Agreement, AgreementStatus};
use portico_plugin_sdk::prelude::*;
use portico_plugin_sdk::{FormField, InputKind};

struct Agreements;

/// The dashboard's short prompt: where the agreements stand, one button.
const CARD: &str = "sign-agreement";
/// The page of their own: the full text, the consent and the signing form.
const READ: &str = "read-and-sign";
/// That page's tab (the business may move the card to another).
const TAB: &str = "Agreements";

const ROLES: &[Role] = &[Role::Client, Role::CoClient, Role::BuyerAgent, Role::ListingAgent, Role::Staff];

impl Section for Agreements {
    fn describe() -> Descriptor {
        Descriptor::new("agreements", "Agreements", env!("CARGO_PKG_VERSION"))
            .description("Lets the people on the job sign its agreements online, each with a signing certificate.")
            .card(CardSpec::dashboard(CARD, "Sign agreement").roles(ROLES))
            .card(CardSpec::tab(READ, "Read and sign", TAB).roles(ROLES))
            .permission(
                Permission::Agreements,
                "Shows the job's agreements and signs them for the person signing; your templates and the evidence stay with Portico.",
            )
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let agreements = match list_agreements() {
            Ok(agreements) => agreements,
            Err(HostError::Denied(_)) => {
                return Ok(vec![Card::new(CARD)
                    .status("Unavailable", Tone::Neutral)
                    .notice(Tone::Warning, "Agreements can't be shown here yet. Please contact the business.")])
            }
            Err(other) => return Err(format!("listing agreements failed: {other}")),
        };
        let role = ctx.viewer.role;
        // The clients, their agent and staff follow the agreements; anyone
        // else (a listing agent) only sees the ones they must sign themselves.
        let follows = matches!(role, Role::Client | Role::CoClient | Role::BuyerAgent | Role::Staff);
        if !follows && !agreements.iter().any(|a| a.signer_roles.contains(&role)) {
            return Ok(Vec::new());
        }
        let needed: Vec<&Agreement> = agreements.iter().filter(|a| a.status != AgreementStatus::NotNeeded).collect();
        if needed.is_empty() {
            return Ok(vec![Card::new(CARD)
                .task(TaskState::NotNeeded)
                .status("Not needed", Tone::Neutral)
                .text("No agreement needs to be signed for this job.")]);
        }
        Ok(vec![prompt_card(ctx, &needed), reading_card(ctx, &needed)])
    }

    fn handle_action(_ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        if action != "sign" {
            return Err(ActionError::Refused(format!("Unknown action \"{action}\".")));
        }
        let agreement_id = input.text("agreement").unwrap_or_default();
        let version = input.text("version").unwrap_or_default();
        let signer_name = input.text("full_name").unwrap_or_default().trim().to_string();
        // Every problem at once, each beside its input: the signer fixes both in one go.
        let named = signer_name.chars().count() >= 2;
        let consented = input.checked("consent");
        if !named || !consented {
            let message = match (named, consented) {
                (false, false) => "Type your full name and tick the box to sign.",
                (false, true) => "Type your full name to sign.",
                _ => "Tick the box to agree to the terms and to signing electronically.",
            };
            let mut problems = InputProblems::new(message);
            if !named {
                problems = problems.field("full_name", "Type your full name as you would sign it.");
            }
            if !consented {
                problems = problems.field("consent", "Tick the box to agree to the terms and to signing electronically.");
            }
            return Err(problems.into());
        }
        match agreements::sign(agreement_id, version, &signer_name, true) {
            Ok(signature) => Ok(Outcome::success(format!("Thank you, {}. Your signature is recorded.", signature.signer_name))),
            // The host's reasons are written for the signer.
            Err(HostError::Invalid(reason)) => Err(ActionError::Refused(reason)),
            Err(HostError::NotFound) => Err(ActionError::Refused("That agreement is no longer part of this job.".into())),
            Err(other) => Err(other.into()),
        }
    }
}

/// Where the viewer stands with the agreements, in a line or two, and one
/// button to the page where they read and sign. A to-do for whoever must sign,
/// done once they did; for people who only follow them (an agent, staff), news.
fn prompt_card(ctx: &Context, agreements: &[&Agreement]) -> Card {
    let signed = agreements.iter().filter(|a| a.status == AgreementStatus::Signed).count();
    let owed = agreements.iter().find(|a| a.viewer_must_sign);
    let signs = agreements.iter().any(|a| a.signer_roles.contains(&ctx.viewer.role));
    let task = match owed {
        Some(_) => TaskState::ToDo,
        None if signs => TaskState::Done,
        None => TaskState::Info,
    };
    let (label, tone) = standing(agreements);
    let card = Card::new(CARD).title(title(agreements)).task(task).status(&label, tone);
    // The host finds the card wherever the business placed it.
    let page = ctx.job_page(&format!("?card={READ}"));
    match owed {
        Some(agreement) => card.text(format!("Please read the {} and sign it online.", agreement.title)).link("Read and sign", page),
        // Who signed when, and the signed copies.
        None if signed == agreements.len() => agreements.iter().fold(card, |card, agreement| summary(card, agreement, agreements.len() > 1)),
        None => {
            let mut awaiting: Vec<String> = Vec::new();
            for name in agreements.iter().flat_map(|a| a.awaiting.iter()) {
                if !awaiting.contains(name) {
                    awaiting.push(name.clone());
                }
            }
            card.fields([("Awaiting", awaiting.join(", "))]).link("See the agreements", page)
        }
    }
}

/// The agreements' own page: each one's signatures and signed copy, and the
/// full text with the consent and signing form for the next one the viewer
/// owes, with the way back to the dashboard.
fn reading_card(ctx: &Context, agreements: &[&Agreement]) -> Card {
    let (label, tone) = standing(agreements);
    let card = Card::new(READ).task(TaskState::Info).title(title(agreements)).status(&label, tone);
    let card = agreements.iter().fold(card, |card, agreement| summary(card, agreement, agreements.len() > 1));
    let card = match agreements.iter().find(|a| a.viewer_must_sign) {
        Some(agreement) if !ctx.preview => signing_form(card, agreement),
        Some(agreement) => card.notice(Tone::Info, format!("{} would sign the {} here.", ctx.viewer.display_name, agreement.title)),
        None => card,
    };
    card.link("Back to the dashboard", ctx.job_page(""))
}

/// The chip for where the agreements stand, for the viewer: "Required" while
/// they owe a signature, "Signed" once everyone signed, else "Awaiting
/// signature"; with the count when there are several.
fn standing(agreements: &[&Agreement]) -> (String, Tone) {
    let signed = agreements.iter().filter(|a| a.status == AgreementStatus::Signed).count();
    if signed == agreements.len() {
        return ("Signed".into(), Tone::Success);
    }
    let label = if agreements.iter().any(|a| a.viewer_must_sign) { "Required" } else { "Awaiting signature" };
    (progress(label, signed, agreements.len()), Tone::Warning)
}

/// The agreement's own title, or "Agreements" for several.
fn title(agreements: &[&Agreement]) -> String {
    match agreements {
        [only] => only.title.clone(),
        _ => "Agreements".to_string(),
    }
}

/// "Required" for one agreement, "Required · 1 of 2 signed" for several.
fn progress(label: &str, signed: usize, total: usize) -> String {
    if total == 1 { label.to_string() } else { format!("{label} · {signed} of {total} signed") }
}

/// Where one agreement stands: who signed, who is awaited, the signed copy.
fn summary(card: Card, agreement: &Agreement, several: bool) -> Card {
    let card = if several { card.heading(agreement.title.clone()) } else { card };
    let card = agreement.signatures.iter().fold(card, |card, signature| {
        card.moment(format!("Signed by {}", signature.signer_name), signature.signed_at)
    });
    let card = match agreement.status {
        AgreementStatus::Signed => card,
        _ if agreement.awaiting.is_empty() => card,
        _ => card.fields([("Awaiting", agreement.awaiting.join(", "))]),
    };
    match &agreement.pdf_url {
        Some(url) => card.link(format!("Download the signed {} (PDF)", agreement.title), url.clone()),
        None => card,
    }
}

fn signing_form(card: Card, agreement: &Agreement) -> Card {
    card.heading(format!("Please read and sign: {}", agreement.title))
        .text(agreement.text.clone())
        .notice(Tone::Info, agreement.consent_text.clone())
        .input(FormField::hidden("agreement", agreement.id.clone()))
        .input(FormField::hidden("version", agreement.version.clone()))
        .input(FormField::new("full_name", "Type your full name to sign", InputKind::Text).required())
        .input(
            FormField::new(
                "consent",
                "I have read this agreement, I agree to its terms, and I agree to sign it electronically.",
                InputKind::Checkbox,
            )
            .required(),
        )
        .action(Action::primary("sign", &format!("Sign {}", agreement.title)))
}

export_section!(Agreements);
