//! The wire format: JSON, every message with a `schema_version`. A reader accepts every
//! version up to its own (fields are only ever added, with defaults) and rejects a
//! newer one, which the runtime dead-letters instead of misreading it.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Result};

/// A message type of a topic.
pub trait Contract: Serialize + DeserializeOwned {
    /// The type name `topics.yaml` uses.
    const TYPE: &'static str;
    /// The version this build writes and the newest it reads.
    const SCHEMA_VERSION: u32;
    /// The version this message says it has.
    fn schema_version(&self) -> u32;
}

/// Reads a message, checking its schema version.
pub fn decode<T: Contract>(bytes: &[u8]) -> Result<T> {
    let msg: T = serde_json::from_slice(bytes).map_err(|source| {
        if source
            .to_string()
            .starts_with("missing field `schema_version`")
        {
            Error::MissingVersion { ty: T::TYPE }
        } else {
            Error::Json {
                ty: T::TYPE,
                source,
            }
        }
    })?;
    if msg.schema_version() > T::SCHEMA_VERSION {
        return Err(Error::UnsupportedVersion {
            ty: T::TYPE,
            found: msg.schema_version(),
            supported: T::SCHEMA_VERSION,
        });
    }
    Ok(msg)
}

/// Writes a message as JSON: the bytes serde_json writes (tests hold every contract to
/// that), written by sonic-rs, whose SIMD string escaping made encoding a processed
/// tobacco document about three times faster (`loadtest tobacco`, BENCHMARKS.md).
pub fn encode<T: Contract>(msg: &T) -> Vec<u8> {
    // serializing plain data structs with string keys cannot fail
    sonic_rs::to_vec(msg)
        .or_else(|_| serde_json::to_vec(msg))
        .unwrap_or_default()
}

/// A service's own messages on its internal topics (a repartition topic, a state
/// store's changelog): written and read by that service alone, so their format is its
/// own (documented beside its code), not a contract between services.
#[derive(Debug, Clone, Copy)]
pub struct Internal;

impl Internal {
    pub const TYPE: &'static str = "Internal";
    pub const SCHEMA_VERSION: u32 = 1;
}

/// A dead letter: the original message (key, payload and headers untouched) plus
/// these headers saying why, where it came from, and when.
#[derive(Debug, Clone, Copy)]
pub struct DeadLetter;

impl DeadLetter {
    pub const TYPE: &'static str = "DeadLetter";
    pub const SCHEMA_VERSION: u32 = 1;
    /// The error, one line, lowercase.
    pub const ERROR: &'static str = "docstream.error";
    /// `invalid` (bad JSON, wrong schema, unprocessable content) or `exhausted`
    /// (a transient failure that outlived its retries).
    pub const ERROR_KIND: &'static str = "docstream.error.kind";
    pub const SOURCE_TOPIC: &'static str = "docstream.source.topic";
    pub const SOURCE_PARTITION: &'static str = "docstream.source.partition";
    pub const SOURCE_OFFSET: &'static str = "docstream.source.offset";
    pub const SERVICE: &'static str = "docstream.service";
    /// RFC 3339 time the message was dead-lettered.
    pub const TIME: &'static str = "docstream.time";
    pub const VERSION: &'static str = "docstream.dlq.version";
}

macro_rules! contract {
    ($ty:ty, $name:literal, $version:literal) => {
        impl $crate::Contract for $ty {
            const TYPE: &'static str = $name;
            const SCHEMA_VERSION: u32 = $version;
            fn schema_version(&self) -> u32 {
                self.schema_version
            }
        }
    };
}
pub(crate) use contract;
