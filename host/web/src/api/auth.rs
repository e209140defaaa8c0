//! Who is calling: the API key in `Authorization: Bearer …`, and its scopes.

use portico_core::ids::TenantId;
use super::ApiError;
use crate::app::AppState;
use portico_core::api_keys::Scope;
use portico_data::ApiKey;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The key a request was made with.
pub struct ApiCaller {
    pub key: ApiKey,
}

impl ApiCaller {
    pub fn tenant_id(&self) -> &TenantId {
        &self.key.tenant_id
    }

    /// Go on only if the key has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.key.has_scope(scope.as_str()) { Ok(()) } else { Err(ApiError::Forbidden(scope.as_str())) }
    }

    /// How the audit log names the caller.
    pub fn actor(&self) -> portico_data::Actor<'_> {
        portico_data::Actor::api_key(&self.key.id, &self.key.name)
    }
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
        let key = state.db.api_key_by_hash(&portico_core::tokens::hash_token(presented)).await?.ok_or(ApiError::Unauthorized)?;
        Ok(ApiCaller { key })
    }
}
