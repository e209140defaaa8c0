//! "Sign agreement": the client reads the inspection agreement and signs it by
//! typing their full name and ticking a consent box.
//!
//! A signature records who signed, when, from which IP and browser, and the
//! SHA-256 of the exact agreement text they saw, in the audit log and in the
//! job's storage. Once signed, the card shows Completed and cannot be signed
//! again, even by two requests racing (`storage::insert_json`).

use portico_plugin_sdk::prelude::*;
use portico_plugin_sdk::{FormField, InputKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

struct Agreements;

const CARD: &str = "sign-agreement";
const SIGNATURE_KEY: &str = "signature";

#[derive(Deserialize)]
#[serde(default)]
struct Settings {
    title: String,
    text: String,
    required: bool,
    signer_roles: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            title: "Inspection Agreement".into(),
            text: String::new(),
            required: true,
            signer_roles: vec!["client".into()],
        }
    }
}

impl Settings {
    fn needed(&self) -> bool {
        self.required && !self.text.trim().is_empty()
    }

    fn may_sign(&self, role: Role) -> bool {
        self.signer_roles.iter().any(|r| r == role.key())
    }
}

/// What is kept once the agreement is signed.
#[derive(Serialize, Deserialize)]
struct Signature {
    title: String,
    signer_name: String,
    contact_id: Option<String>,
    signed_at: i64,
    ip: String,
    user_agent: String,
    text_sha256: String,
    audit_id: Option<String>,
}

impl Section for Agreements {
    fn describe() -> Descriptor {
        Descriptor::new("agreements", "Agreements", env!("CARGO_PKG_VERSION"))
            .description("Lets the client sign the inspection agreement online, with a full audit trail.")
            .card(CardSpec::dashboard(CARD, "Sign agreement").roles(&[
                Role::Client,
                Role::CoClient,
                Role::BuyerAgent,
                Role::Staff,
            ]))
            .permission(Permission::Storage, "Keeps the signature (name, time, IP, browser, text hash) with the job.")
            .permission(Permission::Audit, "Records each signature in your audit log.")
            .setting("title", "Agreement title", SettingKind::Text, serde_json::json!("Inspection Agreement"))
            .setting("text", "Agreement text", SettingKind::LongText, serde_json::json!(""))
            .setting_help("The exact text the client signs. Leave empty when no agreement is needed.")
            .setting("required", "Signature required", SettingKind::Boolean, serde_json::json!(true))
            .setting("signer_roles", "Who signs", SettingKind::Roles, serde_json::json!(["client"]))
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        let signature: Option<Signature> =
            storage::get_json(Scope::Job, SIGNATURE_KEY).map_err(|e| format!("reading the signature failed: {e}"))?;
        let card = Card::new(CARD).title(settings.title.clone());

        let card = match signature {
            Some(signature) => card
                .task(TaskState::Done)
                .status("Completed", Tone::Success)
                .fields([("Signed by", signature.signer_name.as_str())])
                .moment("Signed at", signature.signed_at),
            None if !settings.needed() => card
                .task(TaskState::NotNeeded)
                .status("Not needed", Tone::Neutral)
                .text("No agreement needs to be signed for this job."),
            None if !settings.may_sign(ctx.viewer.role) => card
                .task(TaskState::Info)
                .status("Awaiting signature", Tone::Warning)
                .text("The agreement has not been signed yet."),
            None => card
                .task(TaskState::ToDo)
                .status("Required", Tone::Warning)
                .text(settings.text.clone())
                .input(FormField::new("full_name", "Type your full name to sign", InputKind::Text).required())
                .input(
                    FormField::new(
                        "consent",
                        "I have read this agreement, I agree to its terms, and I agree to sign it electronically.",
                        InputKind::Checkbox,
                    )
                    .required(),
                )
                .action(Action::primary("sign", "Sign agreement")),
        };
        Ok(vec![card])
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        if action != "sign" {
            return Err(ActionError::Refused(format!("Unknown action \"{action}\".")));
        }
        let settings: Settings = ctx.settings().map_err(ActionError::Failed)?;
        if !settings.needed() {
            return Err(ActionError::Refused("No agreement needs to be signed for this job.".into()));
        }
        if !settings.may_sign(ctx.viewer.role) {
            return Err(ActionError::Refused("Your role on this job does not sign the agreement.".into()));
        }
        let signer_name = input.text("full_name").unwrap_or_default();
        if signer_name.chars().count() < 2 {
            return Err(ActionError::InvalidInput("Type your full name to sign.".into()));
        }
        if !input.checked("consent") {
            return Err(ActionError::InvalidInput(
                "Tick the box to agree to the terms and to signing electronically.".into(),
            ));
        }

        let mut signature = Signature {
            title: settings.title.clone(),
            signer_name: signer_name.to_string(),
            contact_id: ctx.viewer.contact_id.clone(),
            signed_at: ctx.now,
            ip: String::new(),
            user_agent: String::new(),
            text_sha256: hex::encode(Sha256::digest(settings.text.as_bytes())),
            audit_id: None,
        };
        // Claim the signature first so that two racing requests cannot both sign.
        if !storage::insert_json(Scope::Job, SIGNATURE_KEY, &signature)? {
            return Err(ActionError::Refused("This agreement has already been signed.".into()));
        }
        let summary = format!("{} signed \"{}\"", signature.signer_name, signature.title);
        let details = serde_json::json!({
            "title": signature.title,
            "signer_name": signature.signer_name,
            "text_sha256": signature.text_sha256,
        });
        let receipt = match audit::record("agreement.signed", &summary, &details) {
            Ok(receipt) => receipt,
            Err(error) => {
                // Without its audit entry a signature is not evidence: undo the claim.
                let _ = storage::delete(Scope::Job, SIGNATURE_KEY);
                return Err(error.into());
            }
        };
        signature.signed_at = receipt.at;
        signature.ip = receipt.ip;
        signature.user_agent = receipt.user_agent;
        signature.audit_id = Some(receipt.id);
        storage::set_json(Scope::Job, SIGNATURE_KEY, &signature)?;
        Ok(Outcome::success(format!("Thank you, {}. The agreement is signed.", signature.signer_name)))
    }
}

export_section!(Agreements);
