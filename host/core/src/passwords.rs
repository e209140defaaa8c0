//! Password hashing with argon2id and a random salt per password.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// `hash`, off the async workers (argon2 is deliberately slow).
pub async fn hash_off_thread(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash nobody knows the password of, verified against when there is no
/// account, so that an unknown address takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::tokens::new_token()).expect("hashing a random password"))
}

/// The one of `candidates` whose stored hash `password` matches. argon2 is
/// deliberately slow, so this runs off the async workers; with no candidate
/// it still verifies once (against `dummy_hash`), so an unknown address takes
/// as long as a wrong password.
pub async fn find_match<T: Send + 'static>(
    password: String,
    candidates: Vec<T>,
    stored: fn(&T) -> &str,
) -> anyhow::Result<Option<T>> {
    let matched = tokio::task::spawn_blocking(move || {
        if candidates.is_empty() {
            verify(&password, dummy_hash());
            return None;
        }
        candidates.into_iter().find(|candidate| verify(&password, stored(candidate)))
    })
    .await?;
    Ok(matched)
}


/// Whether a new password is acceptable; the error is shown as is.
pub fn check_new(password: &str, confirm: &str) -> Result<(), &'static str> {
    if password != confirm {
        return Err("The two passwords are not the same.");
    }
    if password.chars().count() < 10 {
        return Err("Use at least 10 characters.");
    }
    if password.len() > 200 {
        return Err("Use at most 200 characters.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let stored = super::hash("correct horse").unwrap();
        assert!(super::verify("correct horse", &stored));
        assert!(!super::verify("wrong horse", &stored));
        assert!(!super::verify("correct horse", "not a hash"));
        assert!(!super::verify("", super::dummy_hash()));
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(super::check_new("long enough pass", "long enough pass").is_ok());
        assert!(super::check_new("short", "short").is_err());
        assert!(super::check_new("long enough pass", "long enough pasS").is_err());
    }
}
