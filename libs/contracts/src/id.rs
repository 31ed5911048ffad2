//! The document id, which is also every per-document message's Kafka key:
//! `etd:<handle>` (the DSpace handle, `etd:10919/73987`) or `tobacco:<id>` (the UCSF
//! id, `tobacco:cfn05a00`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// A document of one of the two collections.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocId {
    /// A thesis or dissertation by its DSpace handle, `10919/73987`.
    Etd(String),
    /// A tobacco-settlement document by its UCSF id, `cfn05a00`.
    Tobacco(String),
}

impl DocId {
    /// The collection the document belongs to: `etds` or `tobacco`.
    pub fn collection(&self) -> &'static str {
        match self {
            Self::Etd(_) => "etds",
            Self::Tobacco(_) => "tobacco",
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Etd(h) => write!(f, "etd:{h}"),
            Self::Tobacco(id) => write!(f, "tobacco:{id}"),
        }
    }
}

impl FromStr for DocId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::BadId(s.to_owned());
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        let ok = !rest.is_empty()
            && rest.len() <= 200
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
        if !ok {
            return Err(bad());
        }
        match kind {
            "etd" if rest.contains('/') => Ok(Self::Etd(rest.to_owned())),
            "tobacco" if !rest.contains('/') => Ok(Self::Tobacco(rest.to_owned())),
            _ => Err(bad()),
        }
    }
}

impl Serialize for DocId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_kinds() {
        for s in ["etd:10919/73987", "tobacco:cfn05a00"] {
            let id: DocId = s.parse().expect(s);
            assert_eq!(id.to_string(), s);
        }
        assert_eq!(
            "etd:10919/1".parse::<DocId>().expect("etd").collection(),
            "etds"
        );
    }

    #[test]
    fn rejects_malformed_ids() {
        for s in [
            "",
            "etd:",
            "etd:73987",
            "tobacco:a/b",
            "pdf:x",
            "etd:10919/a b",
            "cfn05a00",
        ] {
            assert!(s.parse::<DocId>().is_err(), "{s:?} accepted");
        }
    }
}
