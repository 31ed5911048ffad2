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
    /// The engine asked for other credentials (401) or refused these (403); names the
    /// settings, never their values.
    #[error("the search engine at {url} refused the credentials ({status}): check {settings}")]
    Credentials {
        url: String,
        status: u16,
        settings: &'static str,
    },
    /// The engine's `https://` certificate is not signed by a trusted CA.
    #[error("TLS to the search engine at {url} failed ({reason}): check DOCSTREAM_ES_CA_LOCATION (the CA that signed the engine's certificate)")]
    Tls { url: String, reason: String },
    #[error("invalid setting {name}: {reason}")]
    Setting { name: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
