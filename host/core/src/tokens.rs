//! Opaque tokens: random, shown once, stored only as a SHA-256, compared in
//! constant time.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new random token: 43 alphanumeric characters, about 256 bits.
pub fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

/// What is stored instead of the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compare two secrets without leaking where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `secret` as a page carries it: a fresh random pad and the secret XORed
/// with it, in hex. Every page shows different bytes for the same secret, so
/// a compressed page cannot leak it a guessed byte at a time (BREACH).
pub fn mask_secret(secret: &str) -> String {
    let pad: Vec<u8> = (0..secret.len()).map(|_| rand::random::<u8>()).collect();
    let masked: Vec<u8> = secret.bytes().zip(&pad).map(|(byte, key)| byte ^ key).collect();
    format!("{}{}", hex::encode(pad), hex::encode(masked))
}

/// The secret `mask_secret` masked, or `None` for anything it did not make.
pub fn unmask_secret(masked: &str) -> Option<String> {
    let bytes = hex::decode(masked).ok()?;
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let (pad, secret) = bytes.split_at(bytes.len() / 2);
    String::from_utf8(secret.iter().zip(pad).map(|(byte, key)| byte ^ key).collect()).ok()
}

/// HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`: how Portico signs
/// its webhooks and how Stripe signs its own (the same scheme, so receivers
/// can use the code they know).
pub fn timestamped_signature(secret: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_secret_differs_each_time_and_unmasks_to_itself() {
        let secret = new_token();
        let (a, b) = (mask_secret(&secret), mask_secret(&secret));
        assert_ne!(a, b);
        assert!(!a.contains(&secret));
        assert_eq!(unmask_secret(&a).as_deref(), Some(secret.as_str()));
        assert_eq!(unmask_secret(&b).as_deref(), Some(secret.as_str()));
        for refused in ["", "zz", "abc", &secret] {
            assert_ne!(unmask_secret(refused).as_deref(), Some(secret.as_str()), "{refused}");
        }
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
    }
}
