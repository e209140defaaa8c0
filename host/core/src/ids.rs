//! Ids that say what they name. A `TenantId` is the only way into a business's
//! rows (`Db::tenant` takes one), so a query cannot be written without the
//! business it works for; a `JobId` cannot be passed where a contact's id is
//! meant.
//!
//! Ids are read from the database as they are (sqlx decodes them like the
//! TEXT column they are stored in) and written with `bind(&id)`.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// An id that was read from somewhere other than the database:
            /// a command-line argument, a URL path, a test.
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&$name> for $name {
            fn eq(&self, other: &&$name) -> bool {
                self == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type! {
    /// A business using Portico.
    TenantId
}

id_type! {
    /// A job: one visit, inspection or project at a property, with its people,
    /// documents and invoices. Always read through its business's `TenantDb`.
    JobId
}
