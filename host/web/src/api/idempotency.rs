//! `Idempotency-Key` on creates: the key is claimed before the work, so a
//! retry of the same request gets the first answer again
//! (`Idempotent-Replayed: true`) and creates nothing; the same key with
//! another request is refused; a refused or failed request frees the key.

use super::{ApiCaller, ApiError};
use crate::app::AppState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::future::Future;

/// Answer a create: `work` runs unless this key already has an answer for
/// this very request (`operation` is the method and path, part of the match).
pub async fn answer<T: Serialize>(
    state: &AppState,
    caller: &ApiCaller,
    headers: &HeaderMap,
    operation: &str,
    body: &[u8],
    work: impl Future<Output = Result<(StatusCode, T), ApiError>>,
) -> Result<Response, ApiError> {
    let tenant_id = caller.tenant_id();
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|k| (1..=200).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b)))
                .ok_or_else(|| ApiError::BadRequest("`Idempotency-Key` is 1 to 200 visible ASCII characters, without spaces.".into()))?
                .to_string(),
        ),
    };
    if let Some(key) = &key {
        let request_hash = hex::encode(Sha256::digest([operation.as_bytes(), b"\n", body].concat()));
        if let Some(answer) = state.db.tenant(tenant_id).claim_idempotency_key(key, &request_hash).await? {
            if answer.request_hash != request_hash {
                return Err(ApiError::Conflict("This Idempotency-Key was used with a different request.".into()));
            }
            if answer.status == 0 {
                return Err(ApiError::Conflict("A request with this Idempotency-Key is still being answered; retry shortly.".into()));
            }
            let status = StatusCode::from_u16(answer.status as u16).unwrap_or(StatusCode::OK);
            let stored: Value = serde_json::from_str(&answer.response_json).unwrap_or(Value::Null);
            return Ok((status, [("idempotent-replayed", "true")], Json(stored)).into_response());
        }
    }
    let result = work.await.and_then(|(status, answer)| {
        let value = serde_json::to_value(answer).map_err(|e| ApiError::Internal(e.into()))?;
        Ok((status, value))
    });
    match (&key, &result) {
        (Some(key), Ok((status, value))) => state.db.tenant(tenant_id).answer_idempotency_key(key, status.as_u16(), &value.to_string()).await?,
        // A refused or failed request keeps nothing: it may be corrected and retried with the same key.
        (Some(key), Err(_)) => state.db.tenant(tenant_id).release_idempotency_key(key).await?,
        (None, _) => {}
    }
    let (status, value) = result?;
    Ok((status, Json(value)).into_response())
}
