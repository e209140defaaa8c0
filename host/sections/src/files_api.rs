//! The `files` interface: a section reads back the files people attached
//! through its own `file` inputs, with the addresses the viewer may open.
//! Who may open what is the uploads service's rule (`may_open`), the same
//! one the host's file route applies.

use super::bindings::{files, types};
use super::call::CallState;
use super::host_api::{unavailable, Change};
use super::permissions::Permission;
use super::call::ViewerIdentity;
use portico_core::ids::{JobId, TenantId};
use portico_data::{Db, PersonKind, Upload};
use portico_services::uploads::{may_open, sent_in, Opener};
use types::Error;

/// What a files call reads with, taken from the call before any await (the
/// call's state is not shared across threads).
struct UploadScope {
    db: Db,
    tenant_id: TenantId,
    plugin_id: String,
    call_job: Option<JobId>,
    viewer: ViewerIdentity,
}

impl CallState {
    fn upload_scope(&self) -> Result<UploadScope, Error> {
        Ok(UploadScope {
            db: self.granted_anywhere(Permission::Files)?.clone(),
            tenant_id: self.scope.tenant_id.clone(),
            plugin_id: self.scope.plugin_id.clone(),
            call_job: self.scope.job_id.clone(),
            viewer: self.scope.viewer.clone().ok_or(Error::NotFound)?,
        })
    }
}

impl UploadScope {
    /// The section's upload `id`, if the viewer may open it here: only the
    /// section's own uploads of this business, on a job's surfaces only
    /// those attached on that job (or on none), and only as `may_open` says.
    async fn openable(&self, id: &str) -> Result<Upload, Error> {
        let (db, tenant_id, viewer) = (&self.db, &self.tenant_id, &self.viewer);
        if id.is_empty() || id.len() > 64 {
            return Err(Error::NotFound);
        }
        let upload = db.tenant(tenant_id).upload(id).await.map_err(unavailable)?.filter(|u| u.plugin_id == self.plugin_id).ok_or(Error::NotFound)?;
        // On a job's surfaces, only what was attached on that job (or on no
        // job): an id from another job is not this job's file.
        if let (Some(call_job), Some(upload_job)) = (&self.call_job, &upload.job_id) {
            if call_job != upload_job {
                return Err(Error::NotFound);
            }
        }
        let allowed = if viewer.staff.is_some() {
            may_open(&upload, &Opener::Staff)
        } else if let Some(contact_id) = viewer.contact_id.as_deref() {
            // The viewer's role on the upload's job: the call's own role when
            // it is that job, else looked up the way the portal does.
            let role_on_job = match (&upload.job_id, &self.call_job) {
                (Some(upload_job), Some(call_job)) if upload_job == call_job => Some(viewer.role),
                (Some(upload_job), _) => db
                    .tenant(tenant_id)
                    .job_access(upload_job, contact_id, viewer.proven_email.as_deref())
                    .await
                    .map_err(unavailable)?
                    .map(|on_job| on_job.role.0),
                (None, _) => None,
            };
            // A section may have sent its upload in a conversation (with a
            // report to the office): then it is that conversation's.
            let sent_in = sent_in(db, tenant_id, id, contact_id, viewer.proven_email.as_deref()).await.map_err(unavailable)?;
            may_open(&upload, &Opener::Contact { contact_id, role_on_job, sent_in })
        } else {
            false
        };
        if !allowed {
            return Err(Error::NotFound);
        }
        Ok(upload)
    }
}

impl files::Host for CallState {
    async fn get_file(&mut self, id: String) -> Result<files::FileInfo, Error> {
        let scope = self.upload_scope()?;
        Ok(file_info(scope.openable(&id).await?))
    }

    async fn remove_file(&mut self, id: String) -> Result<(), Error> {
        self.may_change(Permission::Files, Change::ForViewer)?;
        let scope = self.upload_scope()?;
        let files = self.host.as_ref().map(|host| host.files.clone()).ok_or_else(|| Error::Invalid("no business is served by this call".into()))?;
        let upload = scope.openable(&id).await?;
        let viewer = &scope.viewer;
        // Staff remove what they may open; a client only their own file,
        // never the crew's photos of their job.
        let own = viewer.contact_id.as_deref().is_some_and(|contact| upload.uploader_kind == PersonKind::Contact.as_str() && upload.uploader_id == contact);
        if viewer.staff.is_none() && !own {
            return Err(Error::Denied(Permission::Files.into()));
        }
        // A file sent with a message belongs to that conversation now.
        if scope.db.tenant(&scope.tenant_id).conversation_of_upload(&upload.id).await.map_err(unavailable)?.is_some() {
            return Err(Error::Invalid("the file was sent in a conversation, which keeps it".into()));
        }
        portico_services::uploads::discard(&scope.db, &files, &scope.tenant_id, &[upload.id]).await.map_err(unavailable)
    }
}

/// An upload as a section sees it, with the host's addresses for the viewer.
pub(super) fn file_info(upload: portico_data::Upload) -> files::FileInfo {
    files::FileInfo {
        url: format!("/files/{}", upload.id),
        thumbnail_url: upload.thumbnail_key.as_ref().map(|_| format!("/files/{}/thumbnail", upload.id)),
        id: upload.id,
        name: upload.file_name,
        content_type: upload.content_type,
        size: upload.size_bytes.max(0) as u64,
        attached_by: upload.uploader_name,
        attached_at: upload.created_at,
    }
}
