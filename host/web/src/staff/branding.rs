//! How the business presents itself (owners): its name, logo, colours,
//! welcome text and support contact, and its locale, time zone and currency.
//! The portal, the staff console and every e-mail use them.

use portico_core::ids::TenantId;
use super::roles::Ability;
use crate::app::AppState;
use portico_data::Branding;
use crate::error::WebError;
use portico_core::model::Tenant;
use crate::sessions::StaffSession;
use portico_core::formats::{CURRENCIES, LOCALES};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The largest logo accepted.
const MAX_LOGO_BYTES: usize = 512 << 10;
const MAX_WELCOME: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/branding", get(page).post(save))
        .route("/staff/branding/logo", post(upload_logo).layer(DefaultBodyLimit::max(2 * MAX_LOGO_BYTES + (64 << 10))))
        .route("/staff/branding/logo/remove", post(remove_logo))
        .route("/t/{slug}/logo/{name}", get(logo))
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
struct BrandingForm {
    #[serde(skip_serializing)]
    csrf: String,
    name: String,
    brand_color: String,
    accent_color: String,
    welcome_text: String,
    support_email: String,
    support_phone: String,
    locale: String,
    timezone: String,
    currency: String,
}

impl BrandingForm {
    fn of(tenant: &Tenant) -> BrandingForm {
        BrandingForm {
            csrf: String::new(),
            name: tenant.name.clone(),
            brand_color: tenant.brand_color.clone(),
            accent_color: tenant.accent_color.clone(),
            welcome_text: tenant.welcome_text.clone(),
            support_email: tenant.support_email.clone().unwrap_or_default(),
            support_phone: tenant.support_phone.clone().unwrap_or_default(),
            locale: tenant.locale.clone(),
            timezone: tenant.timezone.clone(),
            currency: tenant.currency.clone(),
        }
    }
}

/// `#1f5f8b`-style colours only: they go into a stylesheet.
fn is_hex_color(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// Digits with the usual separators, 7 to 20 digits.
fn is_phone(value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    (7..=20).contains(&digits) && value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// Check the form; one message per field that needs fixing.
fn check(form: &BrandingForm, invoices: i64, current_currency: &str) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if form.name.trim().is_empty() || form.name.chars().count() > 120 {
        errors.push(("name", "The business name must be 1 to 120 characters.".to_string()));
    }
    for (field, value, label) in [("brand_color", &form.brand_color, "Brand colour"), ("accent_color", &form.accent_color, "Accent colour")] {
        if !is_hex_color(value.trim()) {
            errors.push((field, format!("{label} must be a colour like #1f5f8b; “{}” is not.", value.trim())));
        }
    }
    if form.welcome_text.chars().count() > MAX_WELCOME {
        errors.push(("welcome_text", format!("The welcome text may be at most {MAX_WELCOME} characters.")));
    }
    let email = form.support_email.trim();
    if !email.is_empty() && !portico_core::email::is_email(email) {
        errors.push(("support_email", format!("“{email}” is not an e-mail address.")));
    }
    let phone = form.support_phone.trim();
    if !phone.is_empty() && !is_phone(phone) {
        errors.push(("support_phone", format!("“{phone}” is not a phone number.")));
    }
    if !LOCALES.iter().any(|(tag, _)| *tag == form.locale) {
        errors.push(("locale", "Choose one of the listed locales.".to_string()));
    }
    if jiff::tz::TimeZone::get(form.timezone.trim()).is_err() {
        errors.push(("timezone", format!("“{}” is not a time zone; use a name like America/Chicago.", form.timezone.trim())));
    }
    if !CURRENCIES.iter().any(|(code, _)| *code == form.currency) {
        errors.push(("currency", "Choose one of the listed currencies.".to_string()));
    } else if form.currency != current_currency && invoices > 0 {
        errors.push((
            "currency",
            format!("The currency cannot change once you have invoices ({invoices}): their amounts are in {current_currency}."),
        ));
    }
    errors
}

async fn render(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    form: Option<BrandingForm>,
    errors: Vec<(&'static str, String)>,
    logo_error: Option<String>,
) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let form = form.unwrap_or_else(|| BrandingForm::of(&tenant));
    let error_map: serde_json::Map<String, serde_json::Value> = errors.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let status = if errors.is_empty() && logo_error.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let data = json!({
        "form": form,
        "errors": error_map,
        "has_errors": !errors.is_empty(),
        "logo_url": tenant.logo_url,
        "logo_error": logo_error,
        "max_logo_kib": MAX_LOGO_BYTES >> 10,
        "locales": LOCALES.iter().map(|(tag, name)| json!({ "value": tag, "label": name, "selected": *tag == form.locale })).collect::<Vec<_>>(),
        "currencies": CURRENCIES.iter().map(|(code, _)| json!({ "value": code, "label": code, "selected": *code == form.currency })).collect::<Vec<_>>(),
    });
    let mut response = super::console_page(state, jar, session, "staff_branding", "Branding", data).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    render(&state, jar, session, None, Vec::new(), None).await
}

async fn save(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<BrandingForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let tenant_id = session.row.tenant_id.clone();
    let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let invoices = state.db.tenant(&tenant_id).invoice_count().await?;
    let errors = check(&form, invoices, &tenant.currency);
    if !errors.is_empty() {
        return render(&state, jar, session, Some(form), errors, None).await;
    }
    let optional = |value: &str| Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let (email, phone) = (optional(&form.support_email), optional(&form.support_phone));
    let welcome = form.welcome_text.replace("\r\n", "\n");
    let branding = Branding {
        name: form.name.trim(),
        brand_color: &form.brand_color.trim().to_ascii_lowercase(),
        accent_color: &form.accent_color.trim().to_ascii_lowercase(),
        welcome_text: welcome.trim(),
        support_email: email.as_deref(),
        support_phone: phone.as_deref(),
        locale: &form.locale,
        timezone: form.timezone.trim(),
        currency: &form.currency,
    };
    state.db.tenant(&tenant_id).set_branding(&branding).await?;
    let audit = portico_data::AuditEntry::new(&tenant_id, "settings.branding", "Changed the branding and locale").by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", "Saved. The portal and e-mails use it from now on.").await?;
    Ok(Redirect::to("/staff/branding").into_response())
}

/// What kind of image `bytes` is, by its first bytes: (extension, content type).
/// SVG is refused: it may carry script.
/// A logo's extension and type: PNG, JPEG or WebP by its bytes.
fn image_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    use portico_core::sniff::Sniffed;
    Sniffed::of(bytes).filter(|kind| matches!(kind, Sniffed::Png | Sniffed::Jpeg | Sniffed::Webp)).map(|kind| (kind.extension(), kind.content_type()))
}

fn logo_key(tenant_id: &TenantId, name: &str) -> String {
    format!("branding/{tenant_id}/{name}")
}

async fn upload_logo(State(state): State<AppState>, jar: CookieJar, session: StaffSession, mut multipart: Multipart) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    let mut csrf = String::new();
    let mut bytes = Vec::new();
    let mut too_large = false;
    while let Some(field) = multipart.next_field().await.map_err(|e| WebError::BadRequest(format!("The upload could not be read: {}", e.body_text())))? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|e| WebError::BadRequest(e.body_text()))?,
            Some("logo") => match field.bytes().await {
                Ok(read) => bytes = read.to_vec(),
                Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large = true,
                Err(error) => return Err(WebError::BadRequest(format!("The upload could not be read: {}", error.body_text()))),
            },
            _ => {}
        }
    }
    crate::csrf::check_session(&csrf, &session.row.csrf_token)?;
    let refused = if too_large || bytes.len() > MAX_LOGO_BYTES {
        Some(format!("The logo may be at most {} KiB.", MAX_LOGO_BYTES >> 10))
    } else if bytes.is_empty() {
        Some("Choose an image to upload.".to_string())
    } else {
        None
    };
    let kind = image_kind(&bytes);
    let refused = refused.or_else(|| kind.is_none().then(|| "The logo must be a PNG, JPEG or WebP image.".to_string()));
    if let Some(message) = refused {
        return render(&state, jar, session, None, Vec::new(), Some(message)).await;
    }
    let (extension, _) = kind.expect("checked above");
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    // Named by content: a new logo gets a new address, so caches never serve the old one.
    let name = format!("logo-{}.{extension}", &hex::encode(Sha256::digest(&bytes))[..16]);
    state.files.put(&logo_key(&tenant.id, &name), &bytes).await.map_err(|e| WebError::Internal(e.into()))?;
    state.db.tenant(&tenant.id).set_logo_url(Some(&format!("/t/{}/logo/{name}", tenant.slug))).await?;
    let audit = portico_data::AuditEntry::new(&tenant.id, "settings.logo", "Changed the logo").by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", "Logo saved.").await?;
    Ok(Redirect::to("/staff/branding").into_response())
}

async fn remove_logo(State(state): State<AppState>, session: StaffSession, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    state.db.tenant(&session.row.tenant_id).set_logo_url(None).await?;
    super::notice(&state, &session, "success", "Logo removed.").await?;
    Ok(Redirect::to("/staff/branding").into_response())
}

/// The business's current logo, public like its portal's look; any other
/// name (an old logo, a guess) is not found.
async fn logo(State(state): State<AppState>, Path((slug, name)): Path<(String, String)>) -> Result<Response, WebError> {
    let tenant = state.db.tenant_by_slug(&slug).await?.ok_or(WebError::NotFound)?;
    let current = tenant.logo_url.as_deref().and_then(|url| url.rsplit('/').next()).map(str::to_string);
    if current.as_deref() != Some(name.as_str()) {
        return Err(WebError::NotFound);
    }
    let bytes = state.files.get(&logo_key(&tenant.id, &name)).await.map_err(|_| WebError::NotFound)?;
    let (_, content_type) = image_kind(&bytes).ok_or(WebError::NotFound)?;
    Ok((
        [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> BrandingForm {
        BrandingForm {
            name: "Keystone".into(),
            brand_color: "#1F5F8B".into(),
            accent_color: "#f2a541".into(),
            locale: "en-GB".into(),
            timezone: "Europe/London".into(),
            currency: "GBP".into(),
            support_email: "office@keystone.example".into(),
            support_phone: "+44 (20) 7946-0958".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_form_passes() {
        assert!(check(&good(), 0, "USD").is_empty());
    }

    #[test]
    fn each_bad_field_is_named() {
        let form = BrandingForm {
            brand_color: "red; } body { display:none".into(),
            support_email: "not an address".into(),
            support_phone: "call me".into(),
            timezone: "Mars/Olympus".into(),
            locale: "xx".into(),
            ..good()
        };
        let fields: Vec<&str> = check(&form, 0, "USD").into_iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["brand_color", "support_email", "support_phone", "locale", "timezone"]);
    }

    #[test]
    fn the_currency_is_fixed_once_there_are_invoices() {
        let errors = check(&good(), 3, "USD");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].1.contains("their amounts are in USD"), "{}", errors[0].1);
        assert!(check(&BrandingForm { currency: "USD".into(), ..good() }, 3, "USD").is_empty());
    }

    #[test]
    fn only_raster_images_are_logos() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\n...."), Some(("png", "image/png")));
        assert_eq!(image_kind(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_kind(b"RIFF\0\0\0\0WEBPVP8 "), Some(("webp", "image/webp")));
    }
}
