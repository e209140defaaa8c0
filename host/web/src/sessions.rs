//! Portal sessions: a signed JWT cookie naming a server-side session row, so a
//! session can be revoked at once and expires 30 days after its last use.

use portico_core::ids::{JobId, TenantId};
use crate::app::AppState;
use portico_data::{AuditEntry, NewSession, SessionRow, SessionSubject, StaffUser};
use portico_core::model::new_id;
use portico_core::model::RequestOrigin;
use portico_core::tokens::new_token;
use crate::error::WebError;
use portico_core::model::{now, JobContact};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "portico_session";
/// Sessions live this long after their last use.
pub const SLIDING_LIFETIME: i64 = 30 * 24 * 3600;
/// The expiry is pushed forward at most this often, to spare the database.
const REFRESH_EVERY: i64 = 3600;

#[derive(Serialize, Deserialize)]
struct Claims {
    /// Session id.
    sid: String,
    /// Tenant id.
    tid: TenantId,
    /// Expiry, Unix seconds.
    exp: i64,
}

/// Signs and checks session cookies with a key shared by every host instance.
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    secure: bool,
}

impl SessionKeys {
    pub fn new(secret: &str, secure: bool) -> SessionKeys {
        SessionKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            secure,
        }
    }

    /// The cookie for a session expiring at `expires_at`.
    pub fn cookie(&self, session_id: &str, tenant_id: &TenantId, expires_at: i64) -> Cookie<'static> {
        let claims = Claims { sid: session_id.into(), tid: tenant_id.clone(), exp: expires_at };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail");
        Cookie::build((COOKIE, token))
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(time::Duration::seconds(expires_at - now()))
            .build()
    }

    /// The claims of a live cookie we signed.
    fn read(&self, token: &str) -> Option<Claims> {
        self.decode(token, true)
    }

    /// The claims of a cookie we signed, expired or not: only to say whose
    /// portal an ended session was in.
    fn read_ended(&self, token: &str) -> Option<Claims> {
        self.decode(token, false)
    }

    fn decode(&self, token: &str, live_only: bool) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = live_only;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|data| data.claims)
    }
}


/// The signed-in contact of a portal request. Which jobs they reach is
/// checked per request (`on_job`), so revoking a link takes effect at once.
pub struct PortalSession {
    pub row: SessionRow,
    pub contact_id: String,
    /// A refreshed cookie to send back when the expiry slid forward.
    pub refreshed: Option<Cookie<'static>>,
}

impl PortalSession {
    /// The viewer's part on `job_id`; 404 when they have none.
    pub async fn on_job(&self, state: &AppState, job_id: &JobId) -> Result<JobContact, WebError> {
        state
            .db
            .tenant(&self.row.tenant_id)
            .job_access(job_id, &self.contact_id, self.row.verified_email.as_deref())
            .await?
            .ok_or(WebError::NotFound)
    }

    /// The business this session is with.
    pub async fn business(&self, state: &AppState) -> Result<portico_core::model::Tenant, WebError> {
        state.db.tenant(&self.row.tenant_id).business().await?.ok_or(WebError::NotFound)
    }

    /// The contact's name, as the business has it (read when a page needs
    /// it; the job page takes it from the viewer's part on the job).
    pub async fn name(&self, state: &AppState) -> Result<String, WebError> {
        state.db.tenant(&self.row.tenant_id).contact_name(&self.contact_id).await?.ok_or(WebError::SignedOut)
    }

    /// The contact's session of the request, if there is a live one.
    pub async fn from_jar(state: &AppState, jar: &CookieJar) -> Result<Option<PortalSession>, WebError> {
        let Some((row, refreshed)) = signed_in(jar, state).await? else { return Ok(None) };
        let Some(contact_id) = row.contact_id.clone() else { return Ok(None) };
        Ok(Some(PortalSession { row, contact_id, refreshed }))
    }
}

/// Start a session for `subject`, record `action` in the audit log as done by
/// `actor` from `origin`, and return the cookie to set.
pub async fn start_session(
    state: &AppState,
    tenant_id: &TenantId,
    subject: SessionSubject<'_>,
    method: &str,
    origin: &RequestOrigin,
    audit: AuditEntry,
) -> Result<Cookie<'static>, WebError> {
    let session_id = new_id();
    let expires_at = now() + SLIDING_LIFETIME;
    state
        .db
        .create_session(&NewSession {
            id: &session_id,
            tenant_id,
            subject,
            method,
            csrf_token: &new_token(),
            ip: &origin.ip,
            user_agent: &origin.user_agent,
            expires_at,
        })
        .await?;
    let audit = AuditEntry { ip: origin.ip.clone(), user_agent: origin.user_agent.clone(), ..audit };
    state.db.record_audit(&audit).await?;
    Ok(state.keys.cookie(&session_id, tenant_id, expires_at))
}

/// Take the one-time message left for the session's next page (post/redirect/
/// get). It is cleared once read, even if it no longer parses.
pub async fn take_flash<T: serde::de::DeserializeOwned>(state: &AppState, row: &SessionRow) -> Result<Option<T>, WebError> {
    let Some(json) = row.flash_json.as_deref() else { return Ok(None) };
    state.db.tenant(&row.tenant_id).set_flash(&row.id, None).await?;
    Ok(serde_json::from_str(json).ok())
}

/// Leave a one-time message for the session's next page.
pub async fn leave_flash<T: Serialize>(state: &AppState, row: &SessionRow, flash: &T) -> Result<(), WebError> {
    let json = serde_json::to_string(flash).map_err(anyhow::Error::from)?;
    state.db.tenant(&row.tenant_id).set_flash(&row.id, Some(&json)).await?;
    Ok(())
}

/// A plain one-time notice: a tone (success, info, warning, danger) and words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notice {
    pub tone: String,
    pub message: String,
}

/// Leave a notice for the session's next page.
pub async fn leave_notice(state: &AppState, row: &SessionRow, tone: &str, message: &str) -> Result<(), WebError> {
    leave_flash(state, row, &Notice { tone: tone.into(), message: message.into() }).await
}

/// `jar`, with the session cookie renewed when its expiry slid forward.
pub fn keep_alive(jar: CookieJar, refreshed: Option<Cookie<'static>>) -> CookieJar {
    match refreshed {
        Some(cookie) => jar.add(cookie),
        None => jar,
    }
}

/// The live session named by the request's cookie, with a refreshed cookie
/// when its expiry slid forward.
/// The request's live session, if any (a signed-out visitor is `None`).
async fn signed_in(jar: &CookieJar, state: &AppState) -> Result<Option<(SessionRow, Option<Cookie<'static>>)>, WebError> {
    match live_session(jar, state).await {
        Ok(found) => Ok(Some(found)),
        Err(WebError::SignedOut) => Ok(None),
        Err(other) => Err(other),
    }
}

async fn live_session(jar: &CookieJar, state: &AppState) -> Result<(SessionRow, Option<Cookie<'static>>), WebError> {
    let claims = jar.get(COOKIE).and_then(|cookie| state.keys.read(cookie.value())).ok_or(WebError::SignedOut)?;
    let row = state.db.tenant(&claims.tid).live_session(&claims.sid).await?.ok_or(WebError::SignedOut)?;
    let new_expiry = now() + SLIDING_LIFETIME;
    let refreshed = if new_expiry - row.expires_at >= REFRESH_EVERY {
        state.db.tenant(&row.tenant_id).touch_session(&row.id, new_expiry).await?;
        Some(state.keys.cookie(&row.id, &row.tenant_id, new_expiry))
    } else {
        None
    };
    Ok((row, refreshed))
}

impl FromRequestParts<AppState> for PortalSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        match PortalSession::from_jar(state, &jar).await? {
            Some(session) => Ok(session),
            None => Err(signed_out(state, &jar, parts.uri.path()).await),
        }
    }
}

/// The refusal for a visitor without a live session: in the colours of the
/// business whose portal they were in (that of their ended session, or of
/// the job the address names), with its sign-in page; plain when neither is
/// known.
async fn signed_out(state: &AppState, jar: &CookieJar, path: &str) -> WebError {
    let ended = jar.get(COOKIE).and_then(|cookie| state.keys.read_ended(cookie.value())).map(|claims| claims.tid);
    let tenant_id = match ended.clone() {
        Some(tenant_id) => Some(tenant_id),
        None => match (job_in_path(path), conversation_in_path(path)) {
            (Some(job_id), _) => state.db.job_tenant(&job_id).await.ok().flatten(),
            (None, Some(id)) => state.db.conversation_tenant(id).await.ok().flatten(),
            (None, None) => None,
        },
    };
    let Some(tenant_id) = tenant_id else { return WebError::SignedOut };
    match state.db.tenant(&tenant_id).business().await {
        Ok(Some(tenant)) => WebError::SignInTo { tenant: Box::new(tenant), ended: ended.is_some() },
        _ => WebError::SignedOut,
    }
}

/// The conversation a portal address is about (`/messages/{id}`).
fn conversation_in_path(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/messages/")?.split('/').next()?;
    (!id.is_empty() && id.len() <= 64).then_some(id)
}

/// The job a portal address is about (`/jobs/{job}/…`).
fn job_in_path(path: &str) -> Option<portico_core::ids::JobId> {
    let id = path.strip_prefix("/jobs/")?.split('/').next()?;
    (!id.is_empty() && id.len() <= 64).then(|| portico_core::ids::JobId::new(id.to_string()))
}

/// The signed-in staff member of a console request.
pub struct StaffSession {
    pub row: SessionRow,
    pub user: StaffUser,
    pub refreshed: Option<Cookie<'static>>,
}

impl StaffSession {
    /// The staff member's session of the request, if there is a live one.
    pub async fn from_jar(state: &AppState, jar: &CookieJar) -> Result<Option<StaffSession>, WebError> {
        let Some((row, refreshed)) = signed_in(jar, state).await? else { return Ok(None) };
        let Some(staff_user_id) = row.staff_user_id.clone() else { return Ok(None) };
        let Some(user) = state.db.tenant(&row.tenant_id).staff_user(&staff_user_id).await? else { return Ok(None) };
        Ok(Some(StaffSession { row, user, refreshed }))
    }
}

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let (row, refreshed) = live_session(&jar, state).await.map_err(|_| WebError::StaffSignedOut)?;
        let staff_user_id = row.staff_user_id.as_deref().ok_or(WebError::StaffSignedOut)?;
        let user = state.db.tenant(&row.tenant_id).staff_user(staff_user_id).await?.ok_or(WebError::StaffSignedOut)?;
        Ok(StaffSession { row, user, refreshed })
    }
}

/// A sign-in form: e-mail and password, with its CSRF token.
#[derive(Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}
