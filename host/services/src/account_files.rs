//! The files of a customer's account, for the hub to show under each
//! property and job: the documents the business published that the viewer
//! may open now, and what was attached on their jobs through sections'
//! forms (a crew's before and after photos) that they may open. The rules
//! are the job page's and the file routes' own: documents by
//! `Document::may_open` with the job's report release, uploads by
//! `uploads::may_open`. Nothing is listed that the link would then refuse.

use crate::uploads::{may_open, Opener, SentIn};
use portico_core::ids::JobId;
use portico_core::model::{Release, Role, Tenant};
use portico_data::{AccountJobDetail, Db, DbError};

/// The most files listed for one account, newest first.
pub const MAX_FILES: usize = 300;

/// Where a file of the account comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// A document the business published on the job; its kind (`report`,
    /// `summary`, `agreement`, `invoice`, `photo`, `attachment`).
    Document { kind: String },
    /// A file someone attached on the job through a section's form.
    Upload,
}

/// One file of one of the viewer's jobs, which they may open now.
#[derive(Debug, Clone)]
pub struct AccountFile {
    pub job_id: JobId,
    pub job_reference: String,
    pub property_id: String,
    pub source: FileSource,
    /// The document's title, or the attached file's name.
    pub title: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub content_type: String,
    /// Where the viewer opens it (a portal path).
    pub url: String,
    /// A small JPEG of a photo someone attached.
    pub thumbnail_url: Option<String>,
    /// Who attached it (for uploads).
    pub attached_by: Option<String>,
    /// When it was published or attached, Unix seconds.
    pub at: i64,
}

impl AccountFile {
    /// Whether it is a picture (a card can show it as an image).
    pub fn is_photo(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// The sections whose files may be listed, each with the roles its cards
/// on a job's page are shown to: a file attached through a section that
/// shows a role nothing on the job's page (a crew's own console section) is
/// not that role's to browse, even where the file rule would let them open it.
pub type ShownTo = [(String, Vec<Role>)];

/// The most uploads read to pick an account's files from.
const UPLOADS_READ: i64 = 2000;

/// The files of `jobs` (the account's, as the hub lists them) that the
/// contact may open, newest first, at most [`MAX_FILES`]. Two queries, plus
/// the report release of each job with a held kind of document when the
/// business holds reports back.
pub async fn files_of_account(db: &Db, tenant: &Tenant, contact_id: &str, jobs: &[AccountJobDetail], sections: &ShownTo) -> Result<Vec<AccountFile>, DbError> {
    let business = db.tenant(&tenant.id);
    let job_ids: Vec<JobId> = jobs.iter().map(|job| job.job_id.clone()).collect();
    let job_of = |id: &JobId| jobs.iter().find(|job| job.job_id == *id);
    let mut files = Vec::new();

    let documents = business.published_documents_of_jobs(&job_ids).await?;
    let holds_back = tenant.report_release.after_signing() || tenant.report_release.after_payment();
    let mut releases: Vec<(JobId, Release)> = Vec::new();
    for document in documents {
        let Some(job) = job_of(&document.job_id) else { continue };
        let role = job.role.0;
        if !document.visible_roles().contains(&role) {
            continue;
        }
        // Only a report, its summary and its photos can be held back; the
        // release is worked out once per job, and only where it matters.
        let release = if holds_back && document.may_be_held() {
            match releases.iter().find(|(id, _)| *id == job.job_id) {
                Some((_, release)) => release.clone(),
                None => {
                    let release = crate::documents::release(db, tenant, &job.job_id).await?;
                    releases.push((job.job_id.clone(), release.clone()));
                    release
                }
            }
        } else {
            Release::default()
        };
        if !document.may_open(role, &release) {
            continue;
        }
        files.push(AccountFile {
            url: format!("/jobs/{}/documents/{}", document.job_id, document.id),
            job_reference: job.reference.clone(),
            property_id: job.property.id.clone(),
            source: FileSource::Document { kind: document.kind },
            title: document.title,
            content_type: document.content_type,
            thumbnail_url: None,
            attached_by: None,
            at: document.published_at.unwrap_or_default(),
            job_id: document.job_id,
        });
    }

    let plugin_ids: Vec<&str> = sections.iter().map(|(id, _)| id.as_str()).collect();
    for upload in business.uploads_of_jobs(&job_ids, &plugin_ids, UPLOADS_READ).await? {
        let Some(job) = upload.job_id.as_ref().and_then(job_of) else { continue };
        let shown = sections.iter().any(|(id, roles)| *id == upload.plugin_id && roles.contains(&job.role.0));
        if !shown {
            continue;
        }
        // Files sent in conversations are not listed (the query leaves them
        // out): each is read in its conversation.
        let opener = Opener::Contact { contact_id, role_on_job: Some(job.role.0), sent_in: SentIn::NoConversation };
        if !may_open(&upload, &opener) {
            continue;
        }
        files.push(AccountFile {
            job_id: job.job_id.clone(),
            job_reference: job.reference.clone(),
            property_id: job.property.id.clone(),
            source: FileSource::Upload,
            url: format!("/files/{}", upload.id),
            thumbnail_url: upload.thumbnail_key.as_ref().map(|_| format!("/files/{}/thumbnail", upload.id)),
            title: upload.file_name,
            content_type: upload.content_type,
            attached_by: Some(upload.uploader_name),
            at: upload.created_at,
        });
    }
    files.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.url.cmp(&b.url)));
    files.truncate(MAX_FILES);
    Ok(files)
}
