//! Proving who you are without a personal link: a single-use sign-in link or
//! a 6-digit code e-mailed to an address the business has on file.
//!
//! A request for an address nobody has is handled exactly like one for a real
//! contact (a challenge is stored, the same page follows) except that no mail
//! goes out, so the answers reveal nothing about who is a client.

use portico_core::ids::JobId;
use crate::app::AppState;
use portico_data::{Actor, AnsweredChallenge, AuditEntry, ChallengePurpose, NewChallenge, SessionSubject};
use crate::error::WebError;
use portico_core::model::{now, Tenant};
use portico_core::model::RequestOrigin;
use portico_core::tokens::{hash_token, new_token, same_secret};
use axum_extra::extract::cookie::Cookie;

pub const MAGIC_LINK_MINUTES: i64 = 15;
pub const CODE_MINUTES: i64 = 10;
/// Wrong codes allowed before a code is locked.
pub const CODE_ATTEMPTS: i64 = 5;

/// The contact an address belongs to: (contact id, name).
pub type Contact = (String, String);

/// Store a magic-link challenge and, for a real contact, e-mail the link.
/// Once used, the link leads to `return_job_id` or the account page.
pub async fn send_magic_link(
    state: &AppState,
    tenant: &Tenant,
    email: &str,
    contact: Option<&Contact>,
    return_job_id: Option<&JobId>,
) -> Result<(), WebError> {
    let token = new_token();
    state
        .db
        .create_challenge(&NewChallenge {
            tenant_id: &tenant.id,
            purpose: ChallengePurpose::MagicLink,
            email,
            contact_id: contact.map(|(id, _)| id.as_str()),
            staff_user_id: None,
            return_job_id,
            secret_hash: &hash_token(&token),
            expires_at: now() + MAGIC_LINK_MINUTES * 60,
        })
        .await?;
    if let Some((_, name)) = contact {
        let data = serde_json::json!({
            "name": name,
            "link": format!("{}/t/{}/signin/link/{token}", state.public_url, tenant.slug),
            "minutes": MAGIC_LINK_MINUTES.to_string(),
        });
        state.db.tenant(&tenant.id).enqueue_mail(email, "magic-link", &data.to_string()).await?;
    }
    Ok(())
}

/// A code's stored form: a random salt and the SHA-256 of salt and code.
fn seal_code(code: &str) -> String {
    let salt = &new_token()[..16];
    format!("{salt}${}", hash_token(&format!("{salt}{code}")))
}

fn code_matches(sealed: &str, typed: &str) -> bool {
    match sealed.split_once('$') {
        Some((salt, hash)) => same_secret(hash, &hash_token(&format!("{salt}{typed}"))),
        None => false,
    }
}

/// Store a code challenge and, for a real contact, e-mail the code. Returns
/// the challenge id, which the code page carries.
pub async fn send_code(state: &AppState, tenant: &Tenant, email: &str, contact: Option<&Contact>) -> Result<String, WebError> {
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let id = state
        .db
        .create_challenge(&NewChallenge {
            tenant_id: &tenant.id,
            purpose: ChallengePurpose::Code,
            email,
            contact_id: contact.map(|(id, _)| id.as_str()),
            staff_user_id: None,
            return_job_id: None,
            secret_hash: &seal_code(&code),
            expires_at: now() + CODE_MINUTES * 60,
        })
        .await?;
    if let Some((_, name)) = contact {
        let data = serde_json::json!({ "name": name, "code": code, "minutes": CODE_MINUTES.to_string() });
        state.db.tenant(&tenant.id).enqueue_mail(email, "signin-code", &data.to_string()).await?;
    }
    Ok(id)
}

/// What became of a typed code.
pub enum CodeOutcome {
    SignedIn(AnsweredChallenge),
    /// Wrong, with attempts left, for the code sent to `email`.
    Wrong { attempts_left: i64, email: String },
    /// Expired, used, or out of attempts: a new code is needed.
    Closed,
}

pub async fn check_code(state: &AppState, tenant: &Tenant, challenge_id: &str, typed: &str) -> Result<CodeOutcome, WebError> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(attempt) = state.db.tenant(&tenant.id).count_code_attempt(challenge_id, CODE_ATTEMPTS).await? else {
        return Ok(CodeOutcome::Closed);
    };
    let attempts_left = CODE_ATTEMPTS - attempt.attempts;
    if !(typed.len() == 6 && code_matches(&attempt.secret_hash, &typed)) {
        return Ok(if attempts_left > 0 { CodeOutcome::Wrong { attempts_left, email: attempt.email } } else { CodeOutcome::Closed });
    }
    match state.db.tenant(&tenant.id).spend_code(challenge_id).await? {
        Some(answered) if answered.contact_id.is_some() => Ok(CodeOutcome::SignedIn(answered)),
        // Spent by a concurrent request, or an address nobody has.
        _ => Ok(CodeOutcome::Wrong { attempts_left, email: attempt.email }),
    }
}

/// Start the session a spent challenge earned: the contact, with the address
/// proved. Returns the cookie and where to go.
pub async fn sign_in(
    state: &AppState,
    tenant: &Tenant,
    answered: &AnsweredChallenge,
    method: &str,
    origin: &RequestOrigin,
) -> Result<(Cookie<'static>, String), WebError> {
    let contact_id = answered.contact_id.as_deref().ok_or(WebError::NotFound)?;
    let name = state.db.tenant(&tenant.id).contact_name(contact_id).await?.ok_or(WebError::NotFound)?;
    let subject = SessionSubject::Contact { contact_id, job_contact_id: None, verified_email: Some(&answered.email) };
    let mut audit = AuditEntry::new(&tenant.id, "portal.signed-in", &format!("Signed in with an e-mailed {}", method.replace('-', " ")))
        .by(Actor::contact(contact_id, &name));
    audit.job_id = answered.return_job_id.clone();
    let cookie = crate::sessions::start_session(state, &tenant.id, subject, method, origin, audit).await?;
    let next = match &answered.return_job_id {
        Some(job_id) => format!("/jobs/{job_id}"),
        None => "/account".to_string(),
    };
    Ok((cookie, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_salted_and_checked_exactly() {
        let sealed = seal_code("042917");
        assert!(code_matches(&sealed, "042917"));
        assert!(!code_matches(&sealed, "042918"));
        assert!(!code_matches(&sealed, ""));
        assert_ne!(seal_code("042917"), sealed, "each code has its own salt");
        assert!(!code_matches("no-salt", "042917"));
    }
}
