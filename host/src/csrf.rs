//! CSRF protection for forms shown before there is a session (sign-in, asking
//! for a fresh link): a double-submit cookie. The form carries a random token
//! that must match the HttpOnly, SameSite=Strict cookie set with the form.
//! Forms inside a session use the session's own token instead.

use crate::tokens::{new_token, same_secret};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

const COOKIE: &str = "portico_form_csrf";

/// A token for a form posted to paths under `path`, and the jar carrying it.
pub fn issue(jar: CookieJar, path: &str) -> (CookieJar, String) {
    let token = new_token();
    let cookie = Cookie::build((COOKIE, token.clone())).http_only(true).same_site(SameSite::Strict).path(path.to_string()).build();
    (jar.add(cookie), token)
}

/// Does the submitted token match the cookie?
pub fn verify(jar: &CookieJar, submitted: &str) -> bool {
    jar.get(COOKIE).is_some_and(|cookie| !cookie.value().is_empty() && same_secret(cookie.value(), submitted))
}

/// The jar without the token, once the form has been used.
pub fn clear(jar: CookieJar, path: &str) -> CookieJar {
    jar.remove(Cookie::build(COOKIE).path(path.to_string()))
}
