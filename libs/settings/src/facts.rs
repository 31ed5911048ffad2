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
/// autoscaler, the alert rules and the dashboards. The runtime registers its metrics
/// under these names, so renaming one here renames it everywhere, and a test checks
/// every name the rules and dashboards use is one a service exports.
pub mod metric {
    /// Gauge `{topic, partition}`: messages behind the partition's end.
    pub const CONSUMER_LAG: &str = "consumer_lag";
    /// Counter `{topic}`: input messages processed and acknowledged.
    pub const PROCESSED: &str = "messages_processed";
    /// Counter `{topic, kind}`: failures (invalid, transient, exhausted).
    pub const FAILED: &str = "messages_failed";
    /// Counter `{topic}`: input messages sent to the dead-letter topic.
    pub const DEAD_LETTERED: &str = "messages_dead_lettered";
    /// Histogram `{topic}`: receipt to acknowledged outputs, seconds.
    pub const PROCESSING_SECONDS: &str = "processing_seconds";
    /// Gauge: messages received and not yet acknowledged.
    pub const IN_FLIGHT: &str = "in_flight";
    /// Counter: consumer group rebalances seen.
    pub const REBALANCES: &str = "rebalances";
    /// Counter `{outcome}`: items sent to the sink (written, retried, rejected).
    pub const SINK_ITEMS: &str = "sink_items";
    /// Counter `{kind, value}`: what a service's own work came to.
    pub const OUTCOMES: &str = "outcomes";
    /// Gauge: 1 while `/readyz` answers ready, 0 otherwise (set at each scrape).
    pub const READY: &str = "ready";
}

/// A counter's name as Prometheus exposes it: [`metric_name`] and `_total`.
pub fn counter_name(service: &str, name: &str) -> String {
    format!("{}_total", metric_name(service, name))
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
