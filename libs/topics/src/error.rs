//! Errors of reading, planning and applying topics.

/// What can go wrong with topics.yaml or the broker.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("topics.yaml is not valid: {0}")]
    Parse(#[from] serde_yaml::Error),
    #[error("topics.yaml: {0}")]
    Invalid(String),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("kafka refused {action} on topic {topic}: {reason}")]
    Refused {
        action: &'static str,
        topic: String,
        reason: String,
    },
    #[error("the broker cannot do what topics.yaml asks: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Impossible(Vec<crate::Refusal>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
