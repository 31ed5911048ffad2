//! Errors of reading configuration: a variable whose value does not parse, or Kafka
//! refusing the security settings at start.

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
    /// Kafka refused this client at its first request (TLS or SASL): the message
    /// names the settings to look at and librdkafka's reason, never a secret.
    #[error("Kafka at {brokers} refused the connection: {reason}; check {settings}")]
    KafkaRefused {
        brokers: String,
        settings: &'static str,
        reason: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
