//! E-mail addresses: the host's one check of what people type as an address,
//! for contacts, staff, sign-in, support lines and section mail alike.

use std::fmt;
use std::str::FromStr;

/// The longest address SMTP carries (RFC 5321: a 256-octet path, less `<>`).
const MAX_LENGTH: usize = 254;
/// The longest local part (before the `@`).
const MAX_LOCAL: usize = 64;
/// The longest label of a domain name.
const MAX_LABEL: usize = 63;

/// An address that passed the check, kept as typed (trimmed), since people
/// like to see their address as they wrote it. Compare and look up addresses
/// by [`EmailAddress::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Why a typed value is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not an e-mail address.")]
pub struct NotAnAddress(pub String);

impl EmailAddress {
    /// Check a typed address: a plain `local@domain` (no display name, no
    /// comments, no quoted local part), a domain of at least two labels.
    pub fn parse(typed: &str) -> Result<EmailAddress, NotAnAddress> {
        let address = typed.trim();
        let refuse = || NotAnAddress(address.to_string());
        let (local, domain) = address.rsplit_once('@').ok_or_else(refuse)?;
        let fits = address.len() <= MAX_LENGTH && plain_local_part(local) && domain_name(domain);
        if fits { Ok(EmailAddress(address.to_string())) } else { Err(refuse()) }
    }

    /// The address as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address lower-cased: how the host compares, stores for sign-in and
    /// looks addresses up.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A typed address, trimmed and lower-cased, if it is one.
pub fn normalize_email(typed: &str) -> Option<String> {
    EmailAddress::parse(typed).ok().map(|address| address.normalized())
}

/// Whether `typed` is an address.
pub fn is_email(typed: &str) -> bool {
    EmailAddress::parse(typed).is_ok()
}

/// "j•••@example.com": enough to recognise, not enough to harvest.
pub fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().unwrap_or('•')),
        None => "your e-mail address".into(),
    }
}

/// RFC 5322's dot-atom, with letters of any script (RFC 6531): letters,
/// digits and ``!#$%&'*+-/=?^_`{|}~``, in dot-separated runs (no dot first,
/// last or doubled).
fn plain_local_part(local: &str) -> bool {
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    !local.is_empty() && local.len() <= MAX_LOCAL && local.split('.').all(|run| !run.is_empty() && run.chars().all(atext))
}

/// A domain name of two labels or more, each of letters (any script), digits
/// and inner hyphens.
fn domain_name(domain: &str) -> bool {
    let label = |label: &str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    domain.split('.').count() >= 2 && domain.split('.').all(label)
}

impl FromStr for EmailAddress {
    type Err = NotAnAddress;

    fn from_str(typed: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(typed)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_lowercased_and_checked() {
        assert_eq!(normalize_email("  Dana@Example.COM ").as_deref(), Some("dana@example.com"));
        for bad in ["", "dana", "@example.com", "dana@", "dana@example", "da na@example.com", "a@b.c,d@e.f", "x@.com"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn one_check_for_every_address() {
        for good in ["dana+portico@example.com", "o'brien@mail.example.co.uk", "x@münchen.example", "josé@example.fr", "a.b-c_d@sub-domain.example"] {
            assert!(is_email(good), "{good}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        for bad in ["Dana <dana@example.com>", "dana@@example.com", ".dana@example.com", "da..na@example.com", "dana@-x.example", "dana@example..com", "dana@exa_mple.com", "\"da na\"@example.com", long_local.as_str()] {
            assert!(!is_email(bad), "{bad:?}");
        }
        assert_eq!(EmailAddress::parse(" Dana@Example.com ").unwrap().as_str(), "Dana@Example.com", "kept as typed");
        assert_eq!(EmailAddress::parse("nope").unwrap_err().to_string(), "“nope” is not an e-mail address.");
    }
}
