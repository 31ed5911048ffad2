//! Errors that stop the runtime. Per-message failures never do: they are retried or
//! dead-lettered. What is left is configuration and a broker that will not take
//! outputs even after its own retries, where stopping without committing is the only
//! way not to lose a message.

/// Why the runtime stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("config: {0}")]
    Config(String),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("delivery to {topic} failed for input {source_topic}[{partition}]@{offset}: {reason}")]
    Delivery {
        topic: String,
        source_topic: String,
        partition: i32,
        offset: i64,
        reason: String,
    },
    #[error("transaction: {0}")]
    Transaction(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
