//! Files from forms: the one place that decides what a file is (by its
//! bytes), whether a form takes it, what is kept of it, and who may open it.
//!
//! A photo (JPEG or PNG) is decoded within limits, turned upright by its
//! EXIF orientation, and encoded again: what is stored has no metadata at
//! all (no location, camera or date), and a thumbnail is made beside it. A
//! PDF is kept as sent. Anything else, whatever its name says, is refused.

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use portico_core::ids::{JobId, TenantId};
use portico_core::model::Role;
use portico_core::sniff::Sniffed;
use portico_data::files::FileStore;
use portico_data::{Db, DbError, NewUpload, Upload, PersonKind};
use std::io::Cursor;

/// The most any one file may be, whatever a form allows: a phone's photo is
/// a few megabytes, a scanned PDF rarely more than ten.
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
/// The largest photo decoded, in pixels a side and memory in all: a small
/// file may declare a huge image ("decompression bomb").
const MAX_SIDE: u32 = 12_000;
const MAX_PIXELS: u64 = 40_000_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Photos decoded at once on this server: each may take a few hundred MiB.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// The longest side of a thumbnail.
const THUMBNAIL_SIDE: u32 = 320;
/// The longest side of a stored photo; larger ones are scaled down.
const PHOTO_SIDE: u32 = 4_000;

/// A kind of file a form may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// A JPEG or PNG photo.
    Photo,
    Pdf,
}

impl FileType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Photo => "photo",
            FileType::Pdf => "pdf",
        }
    }

    pub fn parse(name: &str) -> Option<FileType> {
        match name {
            "photo" => Some(FileType::Photo),
            "pdf" => Some(FileType::Pdf),
            _ => None,
        }
    }

    /// The types a browser's file picker offers for it.
    pub fn accept(self) -> &'static str {
        match self {
            FileType::Photo => "image/jpeg,image/png",
            FileType::Pdf => "application/pdf",
        }
    }
}

/// What a form's file input takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRules {
    pub types: Vec<FileType>,
    /// At most this many bytes a file (never more than `MAX_FILE_BYTES`).
    pub max_bytes: usize,
    /// Whether the input takes several files.
    pub multiple: bool,
}

impl FileRules {
    /// "a photo (JPEG or PNG) or a PDF"
    fn wanted(&self) -> String {
        let names: Vec<&str> = self
            .types
            .iter()
            .map(|t| match t {
                FileType::Photo => "a photo (JPEG or PNG)",
                FileType::Pdf => "a PDF",
            })
            .collect();
        names.join(" or ")
    }

    pub fn cap(&self) -> usize {
        self.max_bytes.min(MAX_FILE_BYTES)
    }

    /// The input's `accept` attribute: `image/jpeg,image/png,application/pdf`.
    pub fn accept(&self) -> String {
        self.types.iter().map(|t| t.accept()).collect::<Vec<_>>().join(",")
    }

    /// The rules as the page carries them beside the input
    /// (`photo+pdf:10485760:1`). The web layer signs them for the card they
    /// belong to, so the viewer cannot change them on the way back.
    pub fn token(&self) -> String {
        let types: Vec<&str> = self.types.iter().map(|t| t.as_str()).collect();
        format!("{}:{}:{}", types.join("+"), self.cap(), u8::from(self.multiple))
    }

    /// Rules read back from a form; `None` when they are not the host's.
    pub fn from_token(token: &str) -> Option<FileRules> {
        let mut parts = token.split(':');
        let (types, max, multiple) = (parts.next()?, parts.next()?, parts.next()?);
        let types: Option<Vec<FileType>> = types.split('+').map(FileType::parse).collect();
        let types = types.filter(|types| !types.is_empty())?;
        let max_bytes: usize = max.parse().ok()?;
        let multiple = match multiple {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        Some(FileRules { types, max_bytes: max_bytes.min(MAX_FILE_BYTES), multiple })
    }
}

/// "2.5 MB", "800 KB"
pub fn size_words(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = bytes * 10 / (1024 * 1024);
        if tenths % 10 == 0 { format!("{} MB", tenths / 10) } else { format!("{}.{} MB", tenths / 10, tenths % 10) }
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Why a file was not taken, in words for the person who chose it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("“{name}” is {size}; files here may be at most {cap}.")]
    TooLarge { name: String, size: String, cap: String },
    #[error("“{name}” is not {wanted}. Choose {wanted}.")]
    WrongType { name: String, wanted: String },
    #[error("“{name}” is a HEIC photo, which cannot be opened here. Choose a JPEG or PNG (on an iPhone, pick the photo from your library and it is sent as JPEG).")]
    Heic { name: String },
    #[error("“{name}” could not be read as a photo; it may be damaged. Choose another.")]
    Unreadable { name: String },
    #[error("“{name}” has more pixels than can be opened here (at most 40 megapixels). Choose a smaller photo.")]
    TooManyPixels { name: String },
}

/// A file ready to store: what is kept of it.
#[derive(Debug)]
pub struct Prepared {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub thumbnail: Option<Vec<u8>>,
}

/// Check `bytes` against `rules` and prepare what is kept of them. CPU-heavy
/// for photos: call it off the async threads (`prepare_off_thread`).
pub fn prepare(file_name: &str, bytes: &[u8], rules: &FileRules) -> Result<Prepared, Refused> {
    let name = portico_core::text::one_line(file_name, 120);
    let name = if name.trim().is_empty() { "The file".to_string() } else { name };
    if bytes.len() > rules.cap() {
        return Err(Refused::TooLarge { name, size: size_words(bytes.len()), cap: size_words(rules.cap()) });
    }
    let wanted = || Refused::WrongType { name: name.clone(), wanted: rules.wanted() };
    match Sniffed::of(bytes) {
        Some(Sniffed::Jpeg | Sniffed::Png) if rules.types.contains(&FileType::Photo) => {
            let (photo, thumbnail) = clean_photo(bytes).map_err(|error| match error {
                PhotoError::TooManyPixels => Refused::TooManyPixels { name: name.clone() },
                PhotoError::Image(error) => {
                    tracing::info!(%error, "a photo did not decode");
                    Refused::Unreadable { name: name.clone() }
                }
            })?;
            Ok(Prepared { file_name: renamed(&name, "jpg"), content_type: "image/jpeg", bytes: photo, thumbnail: Some(thumbnail) })
        }
        Some(Sniffed::Heic) if rules.types.contains(&FileType::Photo) => Err(Refused::Heic { name }),
        Some(Sniffed::Pdf) if rules.types.contains(&FileType::Pdf) => {
            Ok(Prepared { file_name: renamed(&name, "pdf"), content_type: "application/pdf", bytes: bytes.to_vec(), thumbnail: None })
        }
        _ => Err(wanted()),
    }
}

/// `prepare` on the blocking pool, at most two at a time.
pub async fn prepare_off_thread(file_name: String, bytes: Vec<u8>, rules: FileRules) -> Result<Prepared, Refused> {
    let name = file_name.clone();
    let _turn = DECODES.acquire().await.expect("the decode semaphore is never closed");
    tokio::task::spawn_blocking(move || prepare(&file_name, &bytes, &rules))
        .await
        .unwrap_or_else(|_| Err(Refused::Unreadable { name }))
}

/// The name a person gave, with the extension of what is stored.
fn renamed(name: &str, extension: &str) -> String {
    let stem = name.rsplit_once('.').map(|(stem, _)| stem).filter(|stem| !stem.is_empty()).unwrap_or(name);
    let stem: String = stem.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"')).take(100).collect();
    format!("{stem}.{extension}")
}

enum PhotoError {
    TooManyPixels,
    Image(image::ImageError),
}

impl From<image::ImageError> for PhotoError {
    fn from(error: image::ImageError) -> Self {
        PhotoError::Image(error)
    }
}

/// The photo upright, as a JPEG without any metadata, and its thumbnail.
/// The decoder's memory is reserved before a pixel is decoded, so a small
/// file declaring a huge image is refused, not decoded.
fn clean_photo(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), PhotoError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(image::ImageError::IoError)?;
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels);
    }
    limits.reserve(decoder.total_bytes()).map_err(|_| PhotoError::TooManyPixels)?;
    let orientation = decoder.orientation()?;
    let mut photo = DynamicImage::from_decoder(decoder)?;
    photo.apply_orientation(orientation);
    // JPEG has no alpha: a PNG's transparency becomes white, not black.
    let mut photo = flatten(photo);
    if photo.width().max(photo.height()) > PHOTO_SIDE {
        photo = photo.thumbnail(PHOTO_SIDE, PHOTO_SIDE);
    }
    let thumbnail = photo.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    Ok((jpeg(&photo, 85)?, jpeg(&thumbnail, 80)?))
}

fn flatten(photo: DynamicImage) -> DynamicImage {
    if !photo.color().has_alpha() {
        return DynamicImage::ImageRgb8(photo.to_rgb8());
    }
    let rgba = photo.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    });
    DynamicImage::ImageRgb8(rgb)
}

/// A plain baseline JPEG: the encoder writes pixels and nothing else.
fn jpeg(photo: &DynamicImage, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(photo)?;
    Ok(out)
}

/// Who attached a file.
pub struct Uploader<'a> {
    pub kind: PersonKind,
    pub id: &'a str,
    pub name: &'a str,
}

/// The most the files people attach may take for one business (photos are
/// re-encoded, so this is thousands of them); past it, new files are refused
/// with a message and nothing else changes.
pub const UPLOAD_QUOTA_BYTES: i64 = 5 * 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The business has no room left for files; the words are for people.
    #[error("{0}")]
    OverQuota(String),
    #[error("storing an upload: {0}")]
    Files(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Whether the business has room for `bytes` more of files.
pub async fn check_room(db: &Db, tenant_id: &TenantId, bytes: usize) -> Result<(), StoreError> {
    let used = db.tenant(tenant_id).upload_bytes().await?;
    if used.saturating_add(bytes as i64) > UPLOAD_QUOTA_BYTES {
        return Err(StoreError::OverQuota(format!(
            "This business has no room left for files ({} of {} used). Send it without files, or ask the business to make room.",
            size_words(used.max(0) as usize),
            size_words(UPLOAD_QUOTA_BYTES as usize)
        )));
    }
    Ok(())
}

/// Keep a prepared file (and its thumbnail) in the file store and record it,
/// if the business has room for it.
pub async fn store(
    db: &Db,
    files: &FileStore,
    tenant_id: &TenantId,
    plugin_id: &str,
    job_id: Option<&JobId>,
    uploader: &Uploader<'_>,
    prepared: &Prepared,
) -> Result<Upload, StoreError> {
    check_room(db, tenant_id, prepared.bytes.len()).await?;
    let id = db.tenant(tenant_id).new_upload_id();
    let file_key = format!("uploads/{tenant_id}/{id}");
    files.put(&file_key, &prepared.bytes).await.map_err(|e| StoreError::Files(e.to_string()))?;
    let thumbnail_key = match &prepared.thumbnail {
        Some(thumbnail) => {
            let key = format!("uploads/{tenant_id}/{id}-thumbnail");
            files.put(&key, thumbnail).await.map_err(|e| StoreError::Files(e.to_string()))?;
            Some(key)
        }
        None => None,
    };
    let upload = NewUpload {
        id: &id,
        plugin_id,
        job_id,
        uploader: (uploader.kind, uploader.id, uploader.name),
        file_name: &prepared.file_name,
        content_type: prepared.content_type,
        size_bytes: prepared.bytes.len() as i64,
        file_key: &file_key,
        thumbnail_key: thumbnail_key.as_deref(),
    };
    db.tenant(tenant_id).record_form_upload(&upload).await?;
    Ok(db.tenant(tenant_id).upload(&id).await?.ok_or_else(|| DbError::Invalid("an upload vanished as it was recorded".into()))?)
}

/// Forget the files of a form the section did not take (it answered with
/// a problem, a refusal or a failure): they were stored before it was
/// called, nothing refers to them, and they would count against the
/// business's room and show among the job's files. The person chooses them
/// again with the corrected form. A file left in the store is only logged.
pub async fn discard(db: &Db, files: &FileStore, tenant_id: &TenantId, ids: &[String]) -> Result<(), DbError> {
    for (file_key, thumbnail_key) in db.tenant(tenant_id).discard_uploads(ids).await? {
        for key in std::iter::once(file_key).chain(thumbnail_key) {
            if let Err(error) = files.delete(&key).await {
                tracing::warn!(%key, %error, "a discarded upload's file stays in the store");
            }
        }
    }
    Ok(())
}

/// Whether an upload was sent with a message, and in whose conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentIn {
    /// Attached through a form and never sent in a conversation.
    NoConversation,
    /// Sent in a conversation of the person opening it.
    TheirConversation,
    /// Sent in somebody else's conversation with the office.
    AnotherConversation,
}

/// Where upload `id` was sent, as seen by the contact (one of their
/// conversations, or another's).
pub async fn sent_in(db: &Db, tenant_id: &TenantId, id: &str, contact_id: &str, verified_email: Option<&str>) -> Result<SentIn, DbError> {
    let business = db.tenant(tenant_id);
    Ok(match business.conversation_of_upload(id).await? {
        None => SentIn::NoConversation,
        Some(conversation) if business.conversation_is_contacts(&conversation, contact_id, verified_email).await? => SentIn::TheirConversation,
        Some(_) => SentIn::AnotherConversation,
    })
}

/// Who wants to open a file.
pub enum Opener<'a> {
    /// A member of the business's staff: every upload of the business.
    Staff,
    /// A contact, with their role on the upload's job if they are on it,
    /// and where the upload was sent.
    Contact { contact_id: &'a str, role_on_job: Option<Role>, sent_in: SentIn },
}

/// Who may open an upload: the business's staff; the person who attached
/// it; the contact of the conversation it was sent in; and, for what was
/// never sent in someone else's conversation, the clients of the job it was
/// attached on (agents and other people on the job do not see what the
/// clients sent the business, and a co-client does not read a client's own
/// conversation with the office).
pub fn may_open(upload: &Upload, opener: &Opener<'_>) -> bool {
    match opener {
        Opener::Staff => true,
        Opener::Contact { contact_id, role_on_job, sent_in } => {
            let own = upload.uploader_kind == PersonKind::Contact.as_str() && upload.uploader_id == *contact_id;
            let client_of_job = upload.job_id.is_some() && role_on_job.is_some_and(|role| matches!(role, Role::Client | Role::CoClient));
            match sent_in {
                SentIn::TheirConversation => true,
                SentIn::AnotherConversation => own,
                SentIn::NoConversation => own || client_of_job,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo_rules() -> FileRules {
        FileRules { types: vec![FileType::Photo], max_bytes: 5 * 1024 * 1024, multiple: false }
    }

    #[test]
    fn a_small_file_declaring_a_huge_photo_is_not_decoded() {
        // A PNG header for 11,000 × 11,000 pixels (121 megapixels) and nothing more.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&11_000u32.to_be_bytes());
        png.extend_from_slice(&11_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        let refused = prepare("bomb.png", &png, &photo_rules()).unwrap_err();
        assert!(matches!(refused, Refused::TooManyPixels { .. } | Refused::Unreadable { .. }), "{refused}");
    }

    #[test]
    fn rules_read_back_only_as_the_host_writes_them() {
        let rules = FileRules { types: vec![FileType::Photo, FileType::Pdf], max_bytes: 100 * 1024 * 1024, multiple: true };
        assert_eq!(rules.token(), format!("photo+pdf:{MAX_FILE_BYTES}:1"));
        assert_eq!(FileRules::from_token(&rules.token()).unwrap().max_bytes, MAX_FILE_BYTES);
        for forged in ["exe:10:1", "photo:x:1", "photo:10", "photo:10:yes", ""] {
            assert_eq!(FileRules::from_token(forged), None, "{forged}");
        }
    }

    #[test]
    fn a_file_sent_in_a_clients_conversation_is_not_her_co_clients() {
        let upload = Upload {
            id: "u1".into(),
            plugin_id: "help-desk".into(),
            job_id: Some(JobId::new("job-1")),
            uploader_kind: "contact".into(),
            uploader_id: "dana".into(),
            uploader_name: "Dana".into(),
            file_name: "receipt.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            file_key: "k".into(),
            thumbnail_key: None,
            created_at: 0,
        };
        let co_client = |sent_in| Opener::Contact { contact_id: "alex", role_on_job: Some(Role::CoClient), sent_in };
        assert!(may_open(&upload, &co_client(SentIn::NoConversation)), "a form's file is the job's clients'");
        assert!(!may_open(&upload, &co_client(SentIn::AnotherConversation)), "Dana's conversation is hers and the office's");
        assert!(may_open(&upload, &co_client(SentIn::TheirConversation)));
        let dana = Opener::Contact { contact_id: "dana", role_on_job: Some(Role::Client), sent_in: SentIn::AnotherConversation };
        assert!(may_open(&upload, &dana), "who attached it opens it");
        let agent = Opener::Contact { contact_id: "sam", role_on_job: Some(Role::BuyerAgent), sent_in: SentIn::NoConversation };
        assert!(!may_open(&upload, &agent));
        assert!(may_open(&upload, &Opener::Staff));
    }

    #[test]
    fn a_page_named_like_a_photo_is_refused_by_its_bytes() {
        let refused = prepare("leak.jpg", b"<html><script>alert(1)</script></html>", &photo_rules()).unwrap_err();
        assert_eq!(refused.to_string(), "“leak.jpg” is not a photo (JPEG or PNG). Choose a photo (JPEG or PNG).");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_words(40 * 1024 * 1024), "40 MB");
        assert_eq!(size_words(2_621_440), "2.5 MB");
        assert_eq!(size_words(1000), "1 KB");
    }

    #[test]
    fn a_png_comes_back_as_an_upright_jpeg_with_a_thumbnail() {
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::new(800, 600)).write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let prepared = prepare("Roof.PNG", &png, &photo_rules()).unwrap();
        assert_eq!((prepared.file_name.as_str(), prepared.content_type), ("Roof.jpg", "image/jpeg"));
        let thumbnail = image::load_from_memory(prepared.thumbnail.as_deref().unwrap()).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));
    }
}
