//! Errors of reading configuration: a variable whose value does not parse.

/// A bad configuration value; the message names the variable and its value (never a
/// secret's).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{key}={value:?}: {reason}")]
    Invalid {
        key: String,
        value: String,
        reason: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
