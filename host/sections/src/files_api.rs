//! The `files` interface: a section reads back the files people attached
//! through its own `file` inputs, with the addresses the viewer may open.
//! Who may open what is the uploads service's rule (`may_open`), the same
//! one the host's file route applies.

use super::bindings::{files, types};
use super::call::CallState;
use super::host_api::unavailable;
use super::permissions::Permission;
use portico_core::ids::TenantId;
use portico_data::Db;
use portico_services::uploads::{may_open, Opener};
use types::Error;

impl files::Host for CallState {
    async fn get_file(&mut self, id: String) -> Result<files::FileInfo, Error> {
        let db: Db = self.granted_anywhere(Permission::Files)?.clone();
        let tenant_id: TenantId = self.scope.tenant_id.clone();
        let plugin_id = self.scope.plugin_id.clone();
        let call_job = self.scope.job_id.clone();
        let viewer = self.scope.viewer.clone().ok_or(Error::NotFound)?;
        if id.is_empty() || id.len() > 64 {
            return Err(Error::NotFound);
        }
        let upload = db.tenant(&tenant_id).upload(&id).await.map_err(unavailable)?.filter(|u| u.plugin_id == plugin_id).ok_or(Error::NotFound)?;
        // On a job's surfaces, only what was attached on that job (or on no
        // job): an id from another job is not this job's file.
        if let (Some(call_job), Some(upload_job)) = (&call_job, &upload.job_id) {
            if call_job != upload_job {
                return Err(Error::NotFound);
            }
        }
        let allowed = if viewer.staff.is_some() {
            may_open(&upload, &Opener::Staff)
        } else if let Some(contact_id) = viewer.contact_id.as_deref() {
            // The viewer's role on the upload's job: the call's own role when
            // it is that job, else looked up the way the portal does.
            let role_on_job = match (&upload.job_id, &call_job) {
                (Some(upload_job), Some(call_job)) if upload_job == call_job => Some(viewer.role),
                (Some(upload_job), _) => db
                    .tenant(&tenant_id)
                    .job_access(upload_job, contact_id, viewer.proven_email.as_deref())
                    .await
                    .map_err(unavailable)?
                    .map(|on_job| on_job.role.0),
                (None, _) => None,
            };
            // A section's own uploads are never a conversation's.
            may_open(&upload, &Opener::Contact { contact_id, role_on_job, in_their_conversation: false })
        } else {
            false
        };
        if !allowed {
            return Err(Error::NotFound);
        }
        Ok(file_info(upload))
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
