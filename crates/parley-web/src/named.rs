//! Typed values kept by name in JSON that Parley writes and reads back itself (the raise
//! draft in the session): written with `Display`, read with `FromStr`. A name that does not
//! read is refused as the JSON is read, never carried on as text. Use with
//! `#[serde(with = "crate::named")]`, or `crate::named::option` (with `default`) for an
//! `Option`.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
where
    T: FromStr,
    T::Err: Display,
    D: Deserializer<'de>,
{
    String::deserialize(d)?.parse().map_err(D::Error::custom)
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        Option::<String>::deserialize(d)?
            .map(|s| s.parse().map_err(D::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::Date;
    use parley_core::names::RouteKind;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Kept {
        #[serde(with = "crate::named")]
        route: RouteKind,
        #[serde(default, with = "crate::named::option")]
        on: Option<Date>,
    }

    #[test]
    fn values_are_kept_by_name_and_a_name_that_does_not_read_is_refused() {
        let kept = Kept {
            route: RouteKind::Thematic,
            on: Some(Date::constant(2026, 12, 24)),
        };
        let json = serde_json::to_string(&kept).unwrap();
        assert_eq!(json, r#"{"route":"thematic","on":"2026-12-24"}"#);
        assert_eq!(serde_json::from_str::<Kept>(&json).unwrap(), kept);
        let none: Kept = serde_json::from_str(r#"{"route":"individual"}"#).unwrap();
        assert_eq!(none.on, None);
        assert!(serde_json::from_str::<Kept>(r#"{"route":"sideways"}"#).is_err());
        assert!(serde_json::from_str::<Kept>(r#"{"route":"thematic","on":"24/12/2026"}"#).is_err());
    }
}
