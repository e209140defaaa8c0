//! Limits on how often a sign-in door may be knocked on, per address and per
//! IP. Counted in the database, so every instance shares the same counts.

use portico_core::ids::TenantId;
use portico_data::{Db, DbError};

/// At most `max` attempts within `window` seconds.
pub struct Limit {
    pub name: &'static str,
    pub window: i64,
    pub max: i64,
}

const QUARTER_HOUR: i64 = 15 * 60;

/// Sign-in links, codes and "get full access" requests for one address.
pub const MAIL_PER_ADDRESS: Limit = Limit { name: "mail-address", window: QUARTER_HOUR, max: 5 };
/// The same from one IP address, whatever addresses it tries.
pub const MAIL_PER_IP: Limit = Limit { name: "mail-ip", window: QUARTER_HOUR, max: 20 };
/// Codes typed from one IP address, over every challenge.
pub const CODES_PER_IP: Limit = Limit { name: "code-ip", window: QUARTER_HOUR, max: 30 };
/// Password attempts for one address from one source (`address_from`). Not
/// for the address alone: then a stranger's wrong guesses from elsewhere
/// would lock the real person out. Guessing from many sources is slowed by
/// argon2 and each source's own limit.
pub const PASSWORDS_PER_ADDRESS: Limit = Limit { name: "password-address", window: QUARTER_HOUR, max: 10 };
/// Replacements of one personal link (each stops the old link and mails a
/// new one) by its holder.
pub const LINK_REPLACEMENTS: Limit = Limit { name: "link-replace", window: 3600, max: 3 };
/// Section uploads one business may attempt, kept or refused (each is
/// compiled before it can be judged).
pub const UPLOAD_ATTEMPTS: Limit = Limit { name: "upload", window: 3600, max: 30 };
/// Password attempts from one IP address.
pub const PASSWORDS_PER_IP: Limit = Limit { name: "password-ip", window: QUARTER_HOUR, max: 30 };

/// Why an attempt was not let through.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// Over the limit: the caller asks the visitor to wait.
    #[error("too many attempts")]
    TooManyAttempts,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Count one attempt against `limit` for `key` (an IP address, or an e-mail
/// address, which is stored hashed) and refuse it when over the limit.
/// `tenant` is `None` for doors that come before a business is known (staff sign-in).
pub async fn check(db: &Db, tenant: Option<&TenantId>, limit: &Limit, key: &str) -> Result<(), LimitError> {
    let bucket = format!("{}:{}", limit.name, &portico_core::tokens::hash_token(&key.trim().to_lowercase())[..32]);
    if db.rate_limited(tenant, &bucket, limit.window, limit.max).await? {
        tracing::warn!(limit = limit.name, tenant = tenant.map(TenantId::as_str), "rate limit reached");
        return Err(LimitError::TooManyAttempts);
    }
    Ok(())
}

/// The key of a per-address limit that also depends on where the attempt
/// comes from.
pub fn address_from(address: &str, ip: &str) -> String {
    format!("{}|{ip}", address.trim().to_lowercase())
}
