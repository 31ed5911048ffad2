//! Errors of the search index crate.

/// What can go wrong talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search engine unreachable: {0}")]
    Unreachable(#[from] elasticsearch::Error),
    #[error("search engine answered {status} to {what}: {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
    #[error("invalid setting {name}: {reason}")]
    Setting { name: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
