//! CSRF protection for forms shown before there is a session (sign-in, asking
//! for a fresh link): a double-submit cookie. The form carries a random token
//! that must match the HttpOnly, SameSite=Strict cookie set with the form.
//! Forms inside a session check the session's own token (`check_session`).

use crate::error::WebError;
use portico_core::tokens::{mask_secret, new_token, same_secret, unmask_secret};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

const COOKIE: &str = "portico_form_csrf";

/// A token for a form posted to paths under `path`, and the jar carrying it.
fn issue(jar: CookieJar, path: &str) -> (CookieJar, String) {
    let token = new_token();
    let cookie = Cookie::build((COOKIE, token.clone())).http_only(true).same_site(SameSite::Strict).path(path.to_string()).build();
    (jar.add(cookie), token)
}

/// Render `template` with a fresh form token (as `form_csrf`, its cookie
/// scoped to `path`): every page with a pre-session form.
pub fn form_page(jar: CookieJar, path: &str, status: StatusCode, template: &str, mut data: serde_json::Value) -> Result<Response, WebError> {
    let (jar, token) = issue(jar, path);
    data["form_csrf"] = token.into();
    let body = crate::view::render(template, &data)?;
    Ok((status, jar, Html(body)).into_response())
}

/// Check the submitted token against the cookie set with the form.
pub fn check_cookie(jar: &CookieJar, submitted: &str) -> Result<(), WebError> {
    let matches = jar.get(COOKIE).is_some_and(|cookie| !cookie.value().is_empty() && same_secret(cookie.value(), submitted));
    if matches { Ok(()) } else { Err(WebError::BadCsrf) }
}

/// The jar without the token, once the form has been used.
pub fn clear(jar: CookieJar, path: &str) -> CookieJar {
    jar.remove(Cookie::build(COOKIE).path(path.to_string()))
}

/// The `csrf` field of a form read as pairs (a form with repeated fields).
pub fn in_pairs(form: &[(String, String)]) -> &str {
    form.iter().find(|(name, _)| name == "csrf").map(|(_, value)| value.as_str()).unwrap_or_default()
}

/// A form whose only field is its CSRF token (sign-out, revoke, renew).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The session's token as a page's forms carry it: masked afresh on every
/// page (`mask_secret`), so that compressed pages do not leak it.
pub fn for_page(session_token: &str) -> String {
    mask_secret(session_token)
}

/// Check a form's (masked) token against its session's own, in constant time.
pub fn check_session(submitted: &str, session_token: &str) -> Result<(), WebError> {
    let matches = unmask_secret(submitted).is_some_and(|token| same_secret(&token, session_token));
    if matches { Ok(()) } else { Err(WebError::BadCsrf) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_masked_copy_of_the_sessions_own_token_passes() {
        let token = new_token();
        let masked = for_page(&token);
        let mut one_digit_changed = masked.clone().into_bytes();
        let last = one_digit_changed.len() - 1;
        one_digit_changed[last] = if one_digit_changed[last] == b'0' { b'1' } else { b'0' };

        assert!(check_session(&masked, &token).is_ok());
        assert!(check_session(&for_page(&token), &token).is_ok(), "every page's copy works");
        assert!(check_session(&token, &token).is_err(), "the raw token is never on a page, so it is refused");
        assert!(check_session(&String::from_utf8(one_digit_changed).unwrap(), &token).is_err());
        assert!(check_session(&for_page(&new_token()), &token).is_err(), "another session's token");
        assert!(check_session("", &token).is_err());
    }
}
