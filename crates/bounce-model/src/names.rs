//! One name table per model enum: `named_enum!` declares the enum with its serde names and
//! derives `ALL`, `as_str`, `from_name` and `Display` from the same table, so a name is
//! spelled once.

/// Declares a fieldless enum whose every variant has one name, used by serde, `as_str`,
/// `from_name` and `Display` alike. `ALL` lists the variants in declaration order.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name; [$($text),*].len()] = &[$($name::$variant,)*];

            /// The name used in output, in rule files and on the command line.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// Parses a name as [`Self::as_str`] writes it.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::IntoDeserializer;
    use serde::Deserialize;

    use crate::{Action, Bucket, Category, Kind, ListKind, Owner, RdapStatus, Reason, Stage};

    /// Every variant's serde name is its `as_str`, and `from_name` reads it back.
    fn check<'de, T>(all: &[T], as_str: fn(T) -> &'static str, from_name: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + Deserialize<'de>,
    {
        for &value in all {
            let name = as_str(value);
            let deserializer: StrDeserializer<'_, Error> = name.into_deserializer();
            assert_eq!(T::deserialize(deserializer).ok(), Some(value), "serde name of {name}");
            assert_eq!(from_name(name), Some(value));
            assert_eq!(value.to_string(), name);
        }
        assert_eq!(from_name("no-such-name"), None);
    }

    #[test]
    fn serde_names_are_the_name_table() {
        check(Kind::ALL, Kind::as_str, Kind::from_name);
        check(Stage::ALL, Stage::as_str, Stage::from_name);
        check(Reason::ALL, Reason::as_str, Reason::from_name);
        check(Category::ALL, Category::as_str, Category::from_name);
        check(Action::ALL, Action::as_str, Action::from_name);
        check(Owner::ALL, Owner::as_str, Owner::from_name);
        check(Bucket::ALL, Bucket::as_str, Bucket::from_name);
        check(ListKind::ALL, ListKind::as_str, ListKind::from_name);
        check(RdapStatus::ALL, RdapStatus::as_str, RdapStatus::from_name);
    }
}
