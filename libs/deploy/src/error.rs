//! Errors of the manifest generator.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
