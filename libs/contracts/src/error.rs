//! Why a message does not fit its contract.

/// A message that cannot be read as its contract type. Never transient: the same
/// bytes fail the same way, so the runtime dead-letters them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not valid json for {ty}: {source}")]
    Json {
        ty: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("{ty}: schema_version {found} is newer than the {supported} this build reads")]
    UnsupportedVersion {
        ty: &'static str,
        found: u32,
        supported: u32,
    },
    #[error("{ty}: missing schema_version")]
    MissingVersion { ty: &'static str },
    #[error("invalid document id {0:?}: expected etd:<handle> or tobacco:<id>")]
    BadId(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
