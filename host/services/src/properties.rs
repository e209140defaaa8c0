//! The places a business serves, as the office keeps them: a property's name
//! and kind, and its notes (a description or access notes, for the office
//! alone or shown to the clients of the jobs there). The console calls these;
//! the account hub's sections read a client's view through [`for_clients`].

use crate::jobs::{note_text, JobError, JobRefusal, JobResult, Jobs, MAX_PROPERTY_NAME_CHARS};
use portico_core::ids::TenantId;
use portico_core::model::{Property, PropertyKind, Tenant};
use portico_data::{Actor, AuditEntry, Db, DbResult, NewPropertyNote, PropertyNote};

/// What the office says a property is.
#[derive(Debug, Clone, Copy)]
pub struct PropertyProfile<'a> {
    /// Empty for none.
    pub name: &'a str,
    /// A [`PropertyKind`]'s key.
    pub kind: &'a str,
}

/// A note to add to a property.
#[derive(Debug, Clone, Copy)]
pub struct PropertyNoteRequest<'a> {
    pub body: &'a str,
    /// An access note (how to get in) rather than a description.
    pub access: bool,
    pub for_clients: bool,
}

impl Jobs {
    /// Name a property and say what kind it is; audited.
    pub async fn update_property(&self, tenant: &Tenant, property_id: &str, profile: &PropertyProfile<'_>, actor: &Actor<'_>) -> JobResult<Property> {
        let name = profile.name.split_whitespace().collect::<Vec<_>>().join(" ");
        let length = name.chars().count();
        if length > MAX_PROPERTY_NAME_CHARS {
            return Err(JobRefusal::PropertyNameTooLong(length).into());
        }
        let kind = PropertyKind::parse(profile.kind).ok_or(JobRefusal::UnknownPropertyKind)?;
        let db = self.db.tenant(&tenant.id);
        let property = db.find_property(property_id).await?.ok_or(JobError::NotFound("property"))?;
        let name = (!name.is_empty()).then_some(name);
        db.set_property_profile(property_id, name.as_deref(), kind.as_str()).await?;
        let named = name.as_deref().map(|name| format!(" \u{201c}{name}\u{201d}")).unwrap_or_default();
        let summary = format!("Described the property at {}{named} as {}", property.one_line(), kind.label().to_lowercase());
        self.db.record_audit(&AuditEntry::new(&tenant.id, "property.updated", &summary).by(*actor)).await?;
        Ok(Property { name, kind: kind.as_str().to_string(), ..property })
    }

    /// Add a note to a property; returns its id.
    pub async fn add_property_note(&self, tenant: &Tenant, property_id: &str, note: &PropertyNoteRequest<'_>, actor: &Actor<'_>) -> JobResult<String> {
        let body = note_text(note.body)?;
        let db = self.db.tenant(&tenant.id);
        let property = db.find_property(property_id).await?.ok_or(JobError::NotFound("property"))?;
        let new = NewPropertyNote { property_id, access: note.access, body: &body, for_clients: note.for_clients, by_name: actor.name };
        let id = db.add_property_note(&new).await?;
        let what = if note.access { "an access note" } else { "a note" };
        let shown = if note.for_clients { "shown to the clients" } else { "internal" };
        let summary = format!("Added {what} ({shown}) to the property at {}", property.one_line());
        self.db.record_audit(&AuditEntry::new(&tenant.id, "property.note-added", &summary).by(*actor)).await?;
        Ok(id)
    }

    /// Take a note off a property; audited with what it said.
    pub async fn remove_property_note(&self, tenant: &Tenant, property_id: &str, note_id: &str, actor: &Actor<'_>) -> JobResult<PropertyNote> {
        let db = self.db.tenant(&tenant.id);
        let property = db.find_property(property_id).await?.ok_or(JobError::NotFound("property"))?;
        let note = db.remove_property_note(property_id, note_id).await?.ok_or(JobError::NotFound("note"))?;
        let excerpt = portico_core::text::one_line(&note.body, 60);
        let summary = format!("Removed a note from the property at {}: \u{201c}{excerpt}\u{201d}", property.one_line());
        self.db.record_audit(&AuditEntry::new(&tenant.id, "property.note-removed", &summary).by(*actor)).await?;
        Ok(note)
    }
}

/// The notes on these properties a client may read: those the office shows
/// to the clients, never its internal ones. Newest first.
pub async fn for_clients(db: &Db, tenant: &TenantId, property_ids: &[&str]) -> DbResult<Vec<PropertyNote>> {
    db.tenant(tenant).property_notes(property_ids, false).await
}
