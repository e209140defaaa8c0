//! API keys: what a key may do (its scopes) and what a new key looks like.
//! Only a key's hash is stored (`tokens::hash_token`).

crate::named_enum! {
    /// What a key may do.
    pub enum Scope("scope") {
        JobsRead => "jobs:read",
        JobsWrite => "jobs:write",
    }
}

impl Scope {
    /// In a business's words, for the console.
    pub fn label(self) -> &'static str {
        match self {
            Scope::JobsRead => "Read jobs, their property, appointments, services and people",
            Scope::JobsWrite => "Create jobs and invite their people",
        }
    }
}

/// A new key: `ptk_` and 43 random characters. Returns (key, prefix shown).
pub fn new_key() -> (String, String) {
    let key = format!("ptk_{}", crate::tokens::new_token());
    let prefix = key[..12].to_string();
    (key, prefix)
}
