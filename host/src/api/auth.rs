//! Who is calling: the API key in `Authorization: Bearer …`, and its scopes.

use super::ApiError;
use crate::app::AppState;
use crate::db::ApiKey;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    JobsRead,
    JobsWrite,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::JobsRead, Scope::JobsWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::JobsRead => "jobs:read",
            Scope::JobsWrite => "jobs:write",
        }
    }

    /// In a business's words, for the console.
    pub fn label(self) -> &'static str {
        match self {
            Scope::JobsRead => "Read jobs, their property, appointments, services and people",
            Scope::JobsWrite => "Create jobs and invite their people",
        }
    }
}

/// The key a request was made with.
pub struct ApiCaller {
    pub key: ApiKey,
}

impl ApiCaller {
    pub fn tenant_id(&self) -> &str {
        &self.key.tenant_id
    }

    /// Go on only if the key has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.key.has_scope(scope.as_str()) { Ok(()) } else { Err(ApiError::Forbidden(scope.as_str())) }
    }

    /// How the audit log names the caller.
    pub fn actor(&self) -> crate::db::Actor<'_> {
        crate::db::Actor::api_key(&self.key.id, &self.key.name)
    }
}

/// A new key: `ptk_` and 43 random characters. Returns (key, prefix shown).
pub fn new_key() -> (String, String) {
    let key = format!("ptk_{}", crate::tokens::new_token());
    let prefix = key[..12].to_string();
    (key, prefix)
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| key.starts_with("ptk_") && key.len() <= 100)
            .ok_or(ApiError::Unauthorized)?;
        let key = state.db.api_key_by_hash(&crate::tokens::hash_token(presented)).await?.ok_or(ApiError::Unauthorized)?;
        Ok(ApiCaller { key })
    }
}
