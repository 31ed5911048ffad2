//! Errors that stop the runtime. Per-message failures never do: they are retried or
//! dead-lettered. What is left is configuration, the HTTP server's port, and a broker
//! that will not take outputs even after its own retries, where stopping without
//! committing is the only way not to lose a message.

/// Why the runtime stopped (or would not start).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("config: {0}")]
    Config(String),
    #[error("config: {0}")]
    Settings(#[from] settings::Error),
    #[error("topics.yaml: {0}")]
    Topics(#[from] topics::Error),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("http server on {addr}: {source}")]
    Http {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("delivery to {topic} failed for input {source_topic}[{partition}]@{offset}: {reason}")]
    Delivery {
        topic: String,
        source_topic: String,
        partition: i32,
        offset: i64,
        reason: String,
    },
    #[error("publish to {topic}: {reason}")]
    Publish { topic: String, reason: String },
    #[error("transaction: {0}")]
    Transaction(String),
    #[error("unknown mode {0:?}: expected consume (default) or source")]
    Mode(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A consumer error librdkafka calls fatal: this consumer can do nothing more (a
/// static member fenced by another with its instance id, after a broker restart, for
/// one). The service must exit, so that its restart joins the group afresh; logging it
/// and carrying on left a process that consumed nothing, forever (found by
/// `loadtest chaos`).
pub(crate) fn is_fatal_consumer_error(e: &rdkafka::error::KafkaError) -> bool {
    matches!(e, rdkafka::error::KafkaError::MessageConsumptionFatal(_))
}
