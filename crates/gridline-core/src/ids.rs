//! The ids and codes that cross crates: a case's id, and the codes of units, regions and
//! categories. Each is parsed once, where it enters (an HTTP path, query or body, an Open311
//! request, a CLI argument, an imported row, a reference file), and is valid from there on: the
//! application and the domain take these types, never raw strings. On the wire and in the OpenAPI
//! document they stay a plain integer or string.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::DomainError;

/// A case's id: positive, given by the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CaseId(i64);

/// Written as the number, so messages read as they did before the type.
impl fmt::Debug for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// In the OpenAPI document: the component `CaseId`, a plain 64-bit integer.
impl utoipa::PartialSchema for CaseId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <i64 as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for CaseId {}

impl CaseId {
    /// The id of a history projected before (or without) being stored: an import's rows, a
    /// rollup's replay. Never stored, never parsed.
    pub const UNSTORED: CaseId = CaseId(0);

    /// A case id from a number the store gave; refuses zero and negative numbers.
    pub fn new(id: i64) -> Result<Self, DomainError> {
        if id > 0 { Ok(CaseId(id)) } else { Err(DomainError::invalid("case_id", format!("case id {id} is not a positive number"))) }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<i64> for CaseId {
    type Error = DomainError;
    fn try_from(id: i64) -> Result<Self, DomainError> {
        CaseId::new(id)
    }
}

impl From<CaseId> for i64 {
    fn from(id: CaseId) -> i64 {
        id.0
    }
}

impl FromStr for CaseId {
    type Err = DomainError;
    fn from_str(text: &str) -> Result<Self, DomainError> {
        let id = text
            .parse::<i64>()
            .map_err(|_| DomainError::invalid("case_id", format!("case id {:?} is not a number", clip(text))))?;
        CaseId::new(id)
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CaseId::new(i64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The first characters of refused input, for an error message that cannot be flooded.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Defines a code newtype over `String` with its rule: a name for messages, the field it is
/// reported under, the longest code and the characters allowed.
macro_rules! code {
    ($(#[$doc:meta])* $name:ident, $what:literal, $field:literal, $max:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        /// Written as the quoted text, so messages (`{code:?}`) read as they did before the type.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        /// In the OpenAPI document: a component of this name, a plain string.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <String as utoipa::PartialSchema>::schema()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl $name {
            /// The longest code accepted (characters).
            pub const MAX_LEN: usize = $max;

            /// Parses a code, trimmed of surrounding whitespace as the edges always did.
            pub fn parse(text: &str) -> Result<Self, DomainError> {
                let allowed: fn(char) -> bool = $allowed;
                let text = text.trim();
                if text.is_empty() {
                    return Err(DomainError::invalid($field, concat!("the ", $what, " is empty")));
                }
                if text.chars().count() > Self::MAX_LEN {
                    return Err(DomainError::invalid(
                        $field,
                        format!(concat!("the ", $what, " {:?}… is longer than {} characters"), clip(text), Self::MAX_LEN),
                    ));
                }
                if let Some(bad) = text.chars().find(|&c| !allowed(c)) {
                    return Err(DomainError::invalid(
                        $field,
                        format!(concat!("the ", $what, " {:?} may not contain {:?}"), clip(text), bad),
                    ));
                }
                Ok($name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(text: &str) -> Result<Self, DomainError> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(text: String) -> Result<Self, DomainError> {
                $name::parse(&text)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = DomainError;
            fn try_from(text: &str) -> Result<Self, DomainError> {
                $name::parse(text)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        /// Read-only: a code is read as the text it is wherever a `&str` is asked for.
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Hashes and compares as its text, so maps keyed by the code are looked up by `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Letters, digits and `-`, `_`, `.`: what unit and category codes are made of.
fn code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

code!(
    /// A handling unit's code, e.g. `BJ-CGW`, `110105-CGW`, `110105026-JD`.
    UnitCode, "unit code", "unit", 64, code_char
);
code!(
    /// A region's code: the official statistical division code (12 digits), shorter prefixes
    /// of it in older files, or a grid cell's code extending it; digits only.
    RegionCode, "region code", "region", 24, |c| c.is_ascii_digit()
);
code!(
    /// A category's code in the catalogue, e.g. `B`, `B0101`.
    CategoryCode, "category code", "category", 64, code_char
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_as_they_appear_in_the_data_parse() {
        assert_eq!(UnitCode::parse("BJ-CGW").unwrap().as_str(), "BJ-CGW");
        assert_eq!(UnitCode::parse("110105026-JD").unwrap().to_string(), "110105026-JD");
        assert_eq!(RegionCode::parse("110105026000").unwrap().as_str(), "110105026000");
        assert_eq!(CategoryCode::parse("B0101").unwrap().as_str(), "B0101");
        assert_eq!(CategoryCode::parse("street_office").unwrap().as_str(), "street_office");
    }

    #[test]
    fn empty_whitespace_oversized_and_hostile_codes_are_refused() {
        assert_eq!(CategoryCode::parse(" B01\n").unwrap().as_str(), "B01");
        for text in ["", " ", "\t\n", "B 01", "B01;DROP", "'; --", "B01\0", "区划", "B01\u{202e}"] {
            assert!(CategoryCode::parse(text).is_err(), "{text:?} accepted");
            assert!(UnitCode::parse(text).is_err(), "{text:?} accepted");
            assert!(RegionCode::parse(text).is_err(), "{text:?} accepted");
        }
        assert!(RegionCode::parse("11010a").is_err());
        assert!(RegionCode::parse("-110105").is_err());
        assert!(RegionCode::parse(&"1".repeat(RegionCode::MAX_LEN)).is_ok());
        assert!(RegionCode::parse(&"1".repeat(RegionCode::MAX_LEN + 1)).is_err());
        assert!(UnitCode::parse(&"A".repeat(UnitCode::MAX_LEN + 1)).is_err());
        let refused = UnitCode::parse(&"A".repeat(10_000)).unwrap_err().to_string();
        assert!(refused.len() < 200, "the message quotes all of a long input: {refused}");
        assert!(matches!(RegionCode::parse("x"), Err(DomainError::Invalid { field: "region", .. })));
    }

    #[test]
    fn case_ids_are_positive() {
        assert_eq!(CaseId::new(7).unwrap().get(), 7);
        assert_eq!("42".parse::<CaseId>().unwrap(), CaseId::new(42).unwrap());
        for text in ["0", "-1", "", " 4", "4x", "99999999999999999999"] {
            assert!(text.parse::<CaseId>().is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn serde_round_trips_as_plain_values_and_validates() {
        let id = CaseId::new(12).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "12");
        assert_eq!(serde_json::from_str::<CaseId>("12").unwrap(), id);
        assert!(serde_json::from_str::<CaseId>("0").is_err());
        assert!(serde_json::from_str::<CaseId>("\"12\"").is_err());

        let region = RegionCode::parse("110105").unwrap();
        assert_eq!(serde_json::to_string(&region).unwrap(), "\"110105\"");
        assert_eq!(serde_json::from_str::<RegionCode>("\"110105\"").unwrap(), region);
        assert!(serde_json::from_str::<RegionCode>("\"\"").is_err());
        assert!(serde_json::from_str::<UnitCode>("\"a b\"").is_err());
        assert!(serde_json::from_str::<CategoryCode>("17").is_err());
        let unit: Option<UnitCode> = serde_json::from_str("null").unwrap();
        assert_eq!(unit, None);
    }

    #[test]
    fn codes_look_up_maps_by_text() {
        let mut units = std::collections::HashMap::new();
        units.insert(UnitCode::parse("BJ-CGW").unwrap(), 1);
        assert_eq!(units.get("BJ-CGW"), Some(&1));
        assert!(UnitCode::parse("BJ-CGW").unwrap() == "BJ-CGW");
        assert_eq!(format!("{:?}", UnitCode::parse("BJ-CGW").unwrap()), "\"BJ-CGW\"");
    }
}
