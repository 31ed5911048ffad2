//! Facts the runtime, the manifest generator, the Dockerfile and the dashboards must
//! agree on, written once. The runtime's defaults are these; the generator writes
//! these into the manifests; tests hold the Dockerfile and compose to them.

/// The port every service serves `/metrics`, `/livez` and `/readyz` on.
pub const HTTP_PORT: u16 = 9000;

/// Seconds a service has to finish in-flight work after SIGTERM
/// (`DOCSTREAM_SHUTDOWN_DEADLINE_SECS`); a pod's grace period must be longer.
pub const SHUTDOWN_DEADLINE_SECS: u64 = 20;

/// Seconds in-flight work of revoked partitions gets to finish
/// (`DOCSTREAM_REBALANCE_DRAIN_SECS`).
pub const REBALANCE_DRAIN_SECS: u64 = 10;

/// The unprivileged user (and group) every container runs as.
pub const CONTAINER_UID: i64 = 10001;

/// A service's consumer group unless `DOCSTREAM_GROUP_ID` says otherwise.
pub fn group_id(service: &str) -> String {
    format!("docstream-{service}")
}

/// A service's dead-letter topic unless `DOCSTREAM_DLQ_TOPIC` says otherwise.
pub fn dlq_topic(service: &str) -> String {
    format!("dlq.{service}")
}

/// The prefix of a service's metrics: `docstream_<service>` with `_` for `-`.
pub fn metric_prefix(service: &str) -> String {
    format!("docstream_{}", service.replace('-', "_"))
}

/// The names (after the prefix) of the runtime's metrics that others query: the
/// autoscaler and the alert rules.
pub mod metric {
    /// Gauge `{topic, partition}`: messages behind the partition's end.
    pub const CONSUMER_LAG: &str = "consumer_lag";
}

/// A metric's full name: [`metric_prefix`] and the name.
pub fn metric_name(service: &str, name: &str) -> String {
    format!("{}_{name}", metric_prefix(service))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_service() {
        assert_eq!(group_id("tobacco-ingest"), "docstream-tobacco-ingest");
        assert_eq!(dlq_topic("indexer"), "dlq.indexer");
        assert_eq!(
            metric_name("etd-ingest", metric::CONSUMER_LAG),
            "docstream_etd_ingest_consumer_lag"
        );
    }
}
