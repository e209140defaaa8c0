//! The signed agreement as a PDF: the locked text, then a signing certificate
//! with the version hash and, for each signature, who signed, when, from where
//! and the consent they accepted.

use portico_core::ids::JobId;
use super::{sha256_hex, JobAgreement};
use portico_data::{Db, DbResult};
use portico_core::model::Tenant;
use crate::payments::receipts::{letterhead, Pdf};
use portico_core::formats::Formats;
use portico_core::formats::TenantFormats;

/// The PDF of a locked agreement; `None` before anyone signed.
pub async fn signed_agreement(db: &Db, tenant: &Tenant, job_id: &JobId, agreement: &JobAgreement) -> DbResult<Option<Pdf>> {
    let Some(locked_at) = agreement.locked_at else { return Ok(None) };
    let Some(mut text) = letterhead(db, tenant, job_id).await? else { return Ok(None) };
    let formats = TenantFormats::new(tenant);
    text.push(format!("# {}", agreement.title));
    text.extend(agreement.text.lines().map(str::to_string));
    text.push(String::new());
    text.push("# Signing certificate".into());
    text.push(format!("Document: {}", agreement.title));
    text.push(format!("Version (SHA-256 of the text above): {}", agreement.version));
    if sha256_hex(&agreement.text) != agreement.version {
        // Only agreements carried over from before the host kept the text can differ.
        text.push("Note: the text above is the business's text carried over from an earlier system; its hash differs from the version signed.".into());
    }
    text.push(format!("Text fixed at the first signature: {}", formats.moment(locked_at)));
    let status = if agreement.awaiting.is_empty() {
        "Signed by everyone who must sign.".to_string()
    } else {
        let names: Vec<&str> = agreement.awaiting.iter().map(|c| c.name.as_str()).collect();
        format!("Awaiting the signature of {}.", names.join(", "))
    };
    text.push(format!("Status: {status}"));
    let count = agreement.signatures.len();
    for (n, signature) in agreement.signatures.iter().enumerate() {
        text.push(String::new());
        text.push(format!("# Signature {} of {count}", n + 1));
        text.push(format!("Signed as: {}", signature.signer_name));
        let contact = match &signature.contact_email {
            Some(email) => format!("{} <{email}>", signature.contact_name),
            None => signature.contact_name.clone(),
        };
        text.push(format!("Signer: {contact}, {}", signature.role.0.label()));
        let utc = jiff::Timestamp::from_second(signature.signed_at).map(|t| t.to_string()).unwrap_or_default();
        text.push(format!("Signed at: {} ({utc})", formats.moment(signature.signed_at)));
        text.push(format!("IP address: {}", signature.ip));
        text.push(format!("Browser: {}", signature.user_agent));
        text.push(format!("Consent accepted: {}", signature.consent_text));
        text.push(format!("Audit record: {}", signature.audit_id));
    }
    let title = format!("{} - {}", agreement.title, tenant.name);
    let refs: Vec<&str> = text.iter().map(String::as_str).collect();
    Ok(Some(Pdf { bytes: crate::pdf::simple_pdf(&title, &refs), title }))
}
