//! Enums the host stores and shows by fixed names (`"buyer-agent"`,
//! `"after-payment"`, `"void"`): each declared once with [`named_enum!`],
//! which gives it `as_str`, `ALL`, `Display`, `FromStr`, `==` with a name, `TryFrom<String>`
//! (so sqlx reads a column with `#[sqlx(try_from = "String")]`) and a
//! `Serialize` that writes the name.

/// What the macro's `Serialize` impl names, wherever it is used.
#[doc(hidden)]
pub use serde as __serde;

/// Declare an enum whose variants each have a fixed name:
///
/// ```
/// portico_core::named_enum! {
///     /// How a door opens.
///     pub enum Door("door") {
///         Push => "push",
///         Pull => "pull",
///     }
/// }
/// assert_eq!("pull".parse::<Door>(), Ok(Door::Pull));
/// assert_eq!(Door::ALL.map(Door::as_str), ["push", "pull"]);
/// assert_eq!("slide".parse::<Door>().unwrap_err(), "unknown door \"slide\"");
/// ```
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every variant, in the order declared.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stored and shown name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                $name::ALL.into_iter().find(|value| value.as_str() == name).ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), name))
            }
        }

        /// Compares with a stored name, as read from a row or a form.
        impl PartialEq<&str> for $name {
            fn eq(&self, name: &&str) -> bool {
                self.as_str() == *name
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl $crate::names::__serde::Serialize for $name {
            fn serialize<S: $crate::names::__serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}
