//! The runtime's Prometheus metrics, declared once with stable names and labels:
//! `docstream_<service>_messages_processed_total{topic}`,
//! `…_messages_failed_total{topic,kind}` (kind: invalid, transient, exhausted),
//! `…_messages_dead_lettered_total{topic}`, `…_processing_seconds{topic}` (histogram),
//! `…_in_flight`, `…_paused`, `…_consumer_lag{topic,partition}`, `…_rebalances_total`,
//! `…_ready` (1 while `/readyz` answers ready);
//! and for services that write to a sink in batches (the indexer):
//! `…_sink_requests_total{outcome}` (ok, retried), `…_sink_items_total{outcome}`
//! (written, retried, rejected), `…_sink_request_seconds` and `…_sink_batch_items`;
//! for services whose processor works in batches, `…_batch_messages` (histogram);
//! and what a service reports of its own work: `…_outcomes_total{kind,value}` (the
//! ETD ingest's `kind="fulltext"`, `value="encrypted"`, ...) and `…_state{kind,value}`
//! (a gauge: the clusterer's `kind="model_version"`, `value="etds"`); and for services
//! that answer HTTP (the search API): `…_http_requests_total{route,status}`,
//! `…_http_request_seconds{route}` and `…_engine_request_seconds{operation}`
//! (histograms).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TopicLabel {
    pub topic: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    pub topic: String,
    pub kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindValue {
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteStatus {
    pub route: String,
    pub status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabel {
    pub operation: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartitionLabels {
    pub topic: String,
    pub partition: String,
}

/// All metrics of one service; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    processed: Family<TopicLabel, Counter>,
    failed: Family<FailureLabels, Counter>,
    dead_lettered: Family<TopicLabel, Counter>,
    processing: Family<TopicLabel, Histogram>,
    in_flight: Gauge,
    paused: Gauge,
    lag: Family<PartitionLabels, Gauge<i64, AtomicI64Wrapper>>,
    rebalances: Counter,
    assigned: Gauge,
    sink_requests: Family<OutcomeLabel, Counter>,
    sink_items: Family<OutcomeLabel, Counter>,
    sink_seconds: Histogram,
    sink_batch: Histogram,
    batch: Histogram,
    outcomes: Family<KindValue, Counter>,
    state: Family<KindValue, Gauge>,
    http_requests: Family<RouteStatus, Counter>,
    http_seconds: Family<RouteLabel, Histogram>,
    engine_seconds: Family<OperationLabel, Histogram>,
    ready: Gauge,
}

type AtomicI64Wrapper = std::sync::atomic::AtomicI64;

impl Metrics {
    /// A fresh registry under the prefix `docstream_<service>`.
    pub fn new(service: &str) -> Self {
        let mut registry = Registry::with_prefix(settings::facts::metric_prefix(service));
        let processed = Family::<TopicLabel, Counter>::default();
        let failed = Family::<FailureLabels, Counter>::default();
        let dead_lettered = Family::<TopicLabel, Counter>::default();
        let processing = Family::<TopicLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.5, 14))
        });
        let in_flight = Gauge::default();
        let paused = Gauge::default();
        let lag = Family::<PartitionLabels, Gauge<i64, AtomicI64Wrapper>>::default();
        let rebalances = Counter::<u64, AtomicU64>::default();
        let assigned = Gauge::default();
        registry.register(
            settings::facts::metric::PROCESSED,
            "Input messages fully processed and acknowledged",
            processed.clone(),
        );
        registry.register(
            settings::facts::metric::FAILED,
            "Processing failures by kind (invalid, transient, exhausted)",
            failed.clone(),
        );
        registry.register(
            settings::facts::metric::DEAD_LETTERED,
            "Input messages sent to the dead-letter topic",
            dead_lettered.clone(),
        );
        registry.register(
            settings::facts::metric::PROCESSING_SECONDS,
            "Time from receiving a message to its outputs being acknowledged",
            processing.clone(),
        );
        registry.register(
            settings::facts::metric::IN_FLIGHT,
            "Messages received and not yet acknowledged",
            in_flight.clone(),
        );
        registry.register(
            "paused",
            "1 while fetching is paused because in-flight work is full",
            paused.clone(),
        );
        registry.register(
            settings::facts::metric::CONSUMER_LAG,
            "Messages behind the partition's high watermark",
            lag.clone(),
        );
        registry.register(
            settings::facts::metric::REBALANCES,
            "Consumer group rebalances seen",
            rebalances.clone(),
        );
        registry.register(
            "assigned_partitions",
            "Partitions this instance owns",
            assigned.clone(),
        );
        let sink_requests = Family::<OutcomeLabel, Counter>::default();
        let sink_items = Family::<OutcomeLabel, Counter>::default();
        let sink_seconds = Histogram::new(exponential_buckets(0.001, 2.5, 14));
        let sink_batch = Histogram::new(exponential_buckets(1.0, 2.0, 14));
        registry.register(
            "sink_requests",
            "Batched requests to the sink by outcome (ok, retried)",
            sink_requests.clone(),
        );
        registry.register(
            settings::facts::metric::SINK_ITEMS,
            "Items sent to the sink by outcome (written, retried, rejected)",
            sink_items.clone(),
        );
        registry.register(
            "sink_request_seconds",
            "Time of one batched request to the sink",
            sink_seconds.clone(),
        );
        registry.register(
            "sink_batch_items",
            "Items per batched request to the sink",
            sink_batch.clone(),
        );
        let batch = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        registry.register(
            "batch_messages",
            "Messages per batch handed to a batch processor (model inference)",
            batch.clone(),
        );
        let outcomes = Family::<KindValue, Counter>::default();
        registry.register(
            settings::facts::metric::OUTCOMES,
            "What a service's own work came to, by kind and value",
            outcomes.clone(),
        );
        let state = Family::<KindValue, Gauge>::default();
        registry.register(
            "state",
            "What a service reports of its own state, by kind and value (the clusterer's model version per collection)",
            state.clone(),
        );
        let http_requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            http_requests.clone(),
        );
        let http_seconds = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_seconds",
            "Time to answer an HTTP request, by route",
            http_seconds.clone(),
        );
        let engine_seconds = Family::<OperationLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "engine_request_seconds",
            "Time of one request to the search engine, by operation",
            engine_seconds.clone(),
        );
        let ready = Gauge::default();
        registry.register(
            settings::facts::metric::READY,
            "1 while /readyz answers ready (Kafka and the service's own source or sink reachable), set at each scrape",
            ready.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                ready,
                http_requests,
                http_seconds,
                engine_seconds,
                outcomes,
                state,
                sink_requests,
                sink_items,
                sink_seconds,
                sink_batch,
                batch,
                registry,
                processed,
                failed,
                dead_lettered,
                processing,
                in_flight,
                paused,
                lag,
                rebalances,
                assigned,
            }),
        }
    }

    /// Sets the readiness gauge (the HTTP server, before each exposition).
    pub fn set_ready(&self, ready: bool) {
        self.inner.ready.set(i64::from(ready));
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // writing into a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }

    /// The processed counter and timing histogram of one topic, to keep and use per
    /// message without a label lookup (a `String` and a lock each time).
    pub(crate) fn topic_handles(&self, topic: &str) -> TopicHandles {
        let l = TopicLabel {
            topic: topic.to_owned(),
        };
        TopicHandles {
            processed: self.inner.processed.get_or_create(&l).clone(),
            processing: self.inner.processing.get_or_create(&l).clone(),
        }
    }

    pub fn processed(&self, topic: &str, seconds: f64) {
        let l = TopicLabel {
            topic: topic.to_owned(),
        };
        self.inner.processed.get_or_create(&l).inc();
        self.inner.processing.get_or_create(&l).observe(seconds);
    }

    pub fn failed(&self, topic: &str, kind: &str) {
        self.inner
            .failed
            .get_or_create(&FailureLabels {
                topic: topic.to_owned(),
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Makes each input topic's counters exist at zero (processed, dead-lettered,
    /// failures by kind), so the first dead letter of a topic is an increase Prometheus
    /// sees (a series that starts at 1 shows no `increase` at all).
    pub fn start_topics(&self, topics: &[String]) {
        for t in topics {
            let l = TopicLabel { topic: t.clone() };
            drop(self.inner.processed.get_or_create(&l));
            drop(self.inner.dead_lettered.get_or_create(&l));
            for kind in ["invalid", "transient", "exhausted"] {
                drop(self.inner.failed.get_or_create(&FailureLabels {
                    topic: t.clone(),
                    kind: kind.to_owned(),
                }));
            }
        }
    }

    pub fn dead_lettered(&self, topic: &str) {
        self.inner
            .dead_lettered
            .get_or_create(&TopicLabel {
                topic: topic.to_owned(),
            })
            .inc();
    }

    /// One batched request to the sink: its outcome (`ok`, `retried`), its size and
    /// how long it took.
    pub fn sink_request(&self, outcome: &str, items: usize, seconds: f64) {
        self.inner
            .sink_requests
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
        self.inner.sink_seconds.observe(seconds);
        #[allow(clippy::cast_precision_loss)]
        self.inner.sink_batch.observe(items as f64);
    }

    /// One batch handed to a batch processor, of `n` messages.
    pub fn batched(&self, n: usize) {
        #[allow(clippy::cast_precision_loss)]
        self.inner.batch.observe(n as f64);
    }

    /// Items of sink requests by outcome (`written`, `retried`, `rejected`).
    pub fn sink_items(&self, outcome: &str, n: usize) {
        self.inner
            .sink_items
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc_by(n as u64);
    }

    /// Counts one outcome of a service's own work (`fulltext`, `encrypted`).
    pub fn count(&self, kind: &str, value: &str) {
        self.inner
            .outcomes
            .get_or_create(&KindValue {
                kind: kind.to_owned(),
                value: value.to_owned(),
            })
            .inc();
    }

    /// Counts `n` outcomes of one kind and value at once.
    pub fn count_by(&self, kind: &str, value: &str, n: u64) {
        self.inner
            .outcomes
            .get_or_create(&KindValue {
                kind: kind.to_owned(),
                value: value.to_owned(),
            })
            .inc_by(n);
    }

    /// Sets a gauge of the service's own state (`model_version`, `etds`).
    pub fn set_state(&self, kind: &str, value: &str, to: i64) {
        self.inner
            .state
            .get_or_create(&KindValue {
                kind: kind.to_owned(),
                value: value.to_owned(),
            })
            .set(to);
    }

    /// One HTTP request answered: its route (the matched pattern, not the path, so a
    /// document id is not a label), status and time.
    pub fn http_request(&self, route: &str, status: u16, seconds: f64) {
        self.inner
            .http_requests
            .get_or_create(&RouteStatus {
                route: route.to_owned(),
                status: status.to_string(),
            })
            .inc();
        self.inner
            .http_seconds
            .get_or_create(&RouteLabel {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// One request to the search engine (`search`, `get`, `suggest`, ...) and its time.
    pub fn engine_request(&self, operation: &str, seconds: f64) {
        self.inner
            .engine_seconds
            .get_or_create(&OperationLabel {
                operation: operation.to_owned(),
            })
            .observe(seconds);
    }

    pub(crate) fn in_flight(&self) -> &Gauge {
        &self.inner.in_flight
    }

    pub(crate) fn set_paused(&self, paused: bool) {
        self.inner.paused.set(i64::from(paused));
    }

    /// Sets a partition's lag; a negative lag (librdkafka's "unknown", as for a
    /// partition no longer assigned) removes the series rather than leaving it stale.
    pub(crate) fn set_lag(&self, topic: &str, partition: i32, lag: i64) {
        let labels = PartitionLabels {
            topic: topic.to_owned(),
            partition: partition.to_string(),
        };
        if lag < 0 {
            self.inner.lag.remove(&labels);
        } else {
            self.inner.lag.get_or_create(&labels).set(lag);
        }
    }

    pub(crate) fn set_assigned(&self, n: usize) {
        self.inner
            .assigned
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(crate) fn rebalanced(&self) {
        self.inner.rebalances.inc();
    }
}

/// One topic's processed counter and timing histogram.
#[derive(Debug, Clone)]
pub(crate) struct TopicHandles {
    processed: Counter,
    processing: Histogram,
}

impl TopicHandles {
    pub(crate) fn processed(&self, seconds: f64) {
        self.processed.inc();
        self.processing.observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_service_prefix() {
        let m = Metrics::new("etd-ingest");
        m.processed("raw.etds", 0.01);
        m.failed("raw.etds", "invalid");
        m.set_lag("raw.etds", 3, 42);
        m.set_lag("raw.etds", 4, 7);
        m.set_lag("raw.etds", 4, -1);
        let text = m.encode();
        assert!(!text.contains("partition=\"4\""), "{text}");
        assert!(
            text.contains("docstream_etd_ingest_messages_processed_total{topic=\"raw.etds\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "docstream_etd_ingest_messages_failed_total{topic=\"raw.etds\",kind=\"invalid\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "docstream_etd_ingest_consumer_lag{topic=\"raw.etds\",partition=\"3\"} 42"
            ),
            "{text}"
        );
        assert!(
            text.contains("docstream_etd_ingest_processing_seconds_bucket"),
            "{text}"
        );
    }
}
