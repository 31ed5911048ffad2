//! Runtime configuration from `DOCSTREAM_*` variables, with defaults, validated at
//! start. The README's configuration table documents every variable; the readers,
//! secrets and Kafka settings are the `settings` crate's.

use std::net::SocketAddr;
use std::time::Duration;

use settings::{env_vars, facts, parse, var, KafkaSettings, Vars};

use crate::backoff::RetryPolicy;
use crate::error::{Error, Result};

/// Everything the runtime needs to run a service.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub service: String,
    pub kafka: KafkaSettings,
    pub group_id: String,
    pub input_topics: Vec<String>,
    /// Where the service writes; services with several outputs name them in code.
    pub output_topic: Option<String>,
    pub dlq_topic: String,
    /// Messages between receipt and acknowledgement ...
    pub max_in_flight: usize,
    /// ... and their bytes (payload and key): whichever bound is reached first.
    pub max_in_flight_bytes: usize,
    /// Messages of one partition processed at once (`DOCSTREAM_PIPELINE`, default 1):
    /// more lets a batch processor batch within a partition; outputs still go out in
    /// offset order.
    pub pipeline: usize,
    pub shutdown_deadline: Duration,
    pub rebalance_drain: Duration,
    pub retry: RetryPolicy,
    pub exactly_once: bool,
    pub transaction_max_messages: usize,
    pub transaction_max_wait: Duration,
    /// `transaction.timeout.ms`: a batch's retries stop waiting with a quarter of it
    /// left (the exactly-once loop's deadline).
    pub transaction_timeout: Duration,
    /// Unique per instance: the Kafka transactional id is `<group>-<instance>`.
    pub instance_id: String,
    /// `DOCSTREAM_STATIC_MEMBERSHIP` (false): join the group as a static member,
    /// `group.instance.id` `<group>-<instance id>`, so a restarted process with the same
    /// instance id takes its partitions back with no rebalance. Only with an instance
    /// id that is stable and unique per replica (a StatefulSet's pod name; the
    /// manifests set both).
    pub static_membership: bool,
    pub http_addr: SocketAddr,
}

/// A service's own defaults, overridden by the environment: its topics as
/// `topics.yaml` names them ([`Defaults::of`]) and, for a slow service, its window.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub input_topics: Vec<String>,
    pub output_topic: Option<String>,
    /// The service's own in-flight window when `DOCSTREAM_MAX_IN_FLIGHT` is not set
    /// (the runtime's is 10,000: right for fast services; a slow one only queues work
    /// that a rebalance then drops and the next owner redoes).
    pub max_in_flight: Option<usize>,
    /// The service's own `DOCSTREAM_PIPELINE` default (a batch processor's batch size,
    /// so one partition fills a batch).
    pub pipeline: Option<usize>,
}

impl Defaults {
    /// What the repository's `topics.yaml` (compiled in) says `service` consumes and
    /// produces: the one source the manifest generator reads too.
    pub fn of(service: &str) -> Result<Self> {
        Self::from_topics(service, &topics::TopicsFile::embedded()?)
    }

    /// What `file` says `service` consumes and produces; a service that produces
    /// several topics (other than its dead letters) names its outputs in code.
    pub fn from_topics(service: &str, file: &topics::TopicsFile) -> Result<Self> {
        let input_topics = file.consumed_by(service);
        if input_topics.is_empty() {
            return Err(Error::Config(format!(
                "topics.yaml names no topic that {service} consumes"
            )));
        }
        let mut outputs = file.produced_by(service);
        Ok(Self {
            input_topics,
            output_topic: (outputs.len() == 1).then(|| outputs.remove(0)),
            max_in_flight: None,
            pipeline: None,
        })
    }

    /// Topics named in code (tests, the toy service).
    pub fn topics(input_topics: &[&str], output_topic: Option<&str>) -> Self {
        Self {
            input_topics: input_topics.iter().map(|t| (*t).to_owned()).collect(),
            output_topic: output_topic.map(str::to_owned),
            max_in_flight: None,
            pipeline: None,
        }
    }

    /// With the service's own pipeline depth.
    #[must_use]
    pub fn with_pipeline(self, pipeline: usize) -> Self {
        Self {
            pipeline: Some(pipeline),
            ..self
        }
    }

    /// With the service's own in-flight window.
    #[must_use]
    pub fn with_max_in_flight(self, max_in_flight: usize) -> Self {
        Self {
            max_in_flight: Some(max_in_flight),
            ..self
        }
    }

    /// Without `topic` among the inputs: one the service reads itself, beside the
    /// loop (the clusterer follows `cluster-models` with its own reader; its group
    /// must not consume it as documents).
    #[must_use]
    pub fn without_input(mut self, topic: &str) -> Self {
        self.input_topics.retain(|t| t != topic);
        self
    }
}

impl RuntimeConfig {
    /// Reads the process environment.
    pub fn from_env(service: &str, defaults: &Defaults) -> Result<Self> {
        Self::from_vars(service, defaults, &env_vars())
    }

    /// Reads the given variables (tests pass their own).
    pub fn from_vars(service: &str, defaults: &Defaults, vars: &Vars) -> Result<Self> {
        let get = |k: &str| var(vars, k);
        let list = |k: &str, d: &[String]| -> Vec<String> {
            get(k).map_or_else(
                || d.to_vec(),
                |v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                },
            )
        };
        let kafka = KafkaSettings::from_vars(vars);
        let config = Self {
            service: service.to_owned(),
            group_id: get("DOCSTREAM_GROUP_ID").unwrap_or_else(|| facts::group_id(service)),
            input_topics: list("DOCSTREAM_INPUT_TOPICS", &defaults.input_topics),
            output_topic: get("DOCSTREAM_OUTPUT_TOPIC").or_else(|| defaults.output_topic.clone()),
            dlq_topic: get("DOCSTREAM_DLQ_TOPIC").unwrap_or_else(|| facts::dlq_topic(service)),
            max_in_flight: parse(
                vars,
                "DOCSTREAM_MAX_IN_FLIGHT",
                defaults.max_in_flight.unwrap_or(10_000),
            )?,
            max_in_flight_bytes: parse(vars, "DOCSTREAM_MAX_IN_FLIGHT_BYTES", 64 << 20)?,
            pipeline: parse(vars, "DOCSTREAM_PIPELINE", defaults.pipeline.unwrap_or(1))?,
            shutdown_deadline: Duration::from_secs(parse(
                vars,
                "DOCSTREAM_SHUTDOWN_DEADLINE_SECS",
                facts::SHUTDOWN_DEADLINE_SECS,
            )?),
            rebalance_drain: Duration::from_secs(parse(
                vars,
                "DOCSTREAM_REBALANCE_DRAIN_SECS",
                facts::REBALANCE_DRAIN_SECS,
            )?),
            retry: RetryPolicy {
                initial: Duration::from_millis(parse(vars, "DOCSTREAM_RETRY_INITIAL_MS", 100)?),
                max: Duration::from_millis(parse(vars, "DOCSTREAM_RETRY_MAX_MS", 30_000)?),
                max_attempts: parse(vars, "DOCSTREAM_RETRY_MAX_ATTEMPTS", 10)?,
            },
            exactly_once: parse(vars, "DOCSTREAM_EXACTLY_ONCE", false)?,
            transaction_max_messages: parse(vars, "DOCSTREAM_TRANSACTION_MAX_MESSAGES", 500)?,
            transaction_max_wait: Duration::from_millis(parse(
                vars,
                "DOCSTREAM_TRANSACTION_MAX_MS",
                100,
            )?),
            transaction_timeout: Duration::from_millis(parse(
                vars,
                "DOCSTREAM_TRANSACTION_TIMEOUT_MS",
                60_000,
            )?),
            instance_id: get("DOCSTREAM_INSTANCE_ID")
                .or_else(|| get("HOSTNAME"))
                .unwrap_or_else(|| "0".into()),
            static_membership: parse(vars, "DOCSTREAM_STATIC_MEMBERSHIP", false)?,
            http_addr: settings::http_addr(vars)?,
            kafka,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.input_topics.is_empty() {
            return bad("DOCSTREAM_INPUT_TOPICS is empty".into());
        }
        if self.max_in_flight == 0 {
            return bad("DOCSTREAM_MAX_IN_FLIGHT must be at least 1".into());
        }
        if self.max_in_flight_bytes < 1024 {
            return bad("DOCSTREAM_MAX_IN_FLIGHT_BYTES must be at least 1024".into());
        }
        if self.pipeline == 0 {
            return bad("DOCSTREAM_PIPELINE must be at least 1".into());
        }
        if self.transaction_max_messages == 0 {
            return bad("DOCSTREAM_TRANSACTION_MAX_MESSAGES must be at least 1".into());
        }
        if self.transaction_timeout < Duration::from_secs(1)
            || self.transaction_timeout <= self.transaction_max_wait * 2
        {
            return bad(format!(
                "DOCSTREAM_TRANSACTION_TIMEOUT_MS must be at least 1000 and more than twice DOCSTREAM_TRANSACTION_MAX_MS ({} ms)",
                self.transaction_max_wait.as_millis()
            ));
        }
        let protocols = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];
        if !protocols.contains(&self.kafka.security_protocol.as_str()) {
            return bad(format!(
                "DOCSTREAM_KAFKA_SECURITY_PROTOCOL {:?} is not one of {}",
                self.kafka.security_protocol,
                protocols.join(", ")
            ));
        }
        if self.kafka.security_protocol.starts_with("sasl")
            && (self.kafka.sasl_mechanism.is_none() || self.kafka.sasl_username.is_none())
        {
            return bad(
                "sasl needs DOCSTREAM_KAFKA_SASL_MECHANISM and DOCSTREAM_KAFKA_SASL_USERNAME"
                    .into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::BTreeMap;

    fn defaults() -> Defaults {
        Defaults::topics(&["raw.x"], Some("processed.x"))
    }

    use settings::vars_of as vars;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = RuntimeConfig::from_vars("svc", &defaults(), &BTreeMap::new()).expect("valid");
        assert_eq!(c.group_id, "docstream-svc");
        assert_eq!(c.dlq_topic, "dlq.svc");
        assert_eq!(c.input_topics, ["raw.x"]);
        assert_eq!(c.output_topic.as_deref(), Some("processed.x"));
        assert!(!c.exactly_once);
        assert_eq!((c.max_in_flight, c.max_in_flight_bytes), (10_000, 64 << 20));
    }

    #[test]
    fn a_service_sets_its_own_window_and_the_environment_wins() {
        let slow = defaults().with_max_in_flight(16);
        let c = RuntimeConfig::from_vars("svc", &slow, &BTreeMap::new()).expect("valid");
        assert_eq!(c.max_in_flight, 16);
        let c = RuntimeConfig::from_vars("svc", &slow, &vars(&[("DOCSTREAM_MAX_IN_FLIGHT", "3")]))
            .expect("valid");
        assert_eq!(c.max_in_flight, 3);
        let err = RuntimeConfig::from_vars(
            "svc",
            &defaults(),
            &vars(&[("DOCSTREAM_MAX_IN_FLIGHT_BYTES", "10")]),
        )
        .expect_err("too small");
        assert!(
            err.to_string().contains("DOCSTREAM_MAX_IN_FLIGHT_BYTES"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = RuntimeConfig::from_vars(
            "svc",
            &defaults(),
            &vars(&[("DOCSTREAM_MAX_IN_FLIGHT", "lots")]),
        )
        .expect_err("invalid");
        assert!(
            err.to_string().contains("DOCSTREAM_MAX_IN_FLIGHT=\"lots\""),
            "{err}"
        );
        let err = RuntimeConfig::from_vars(
            "svc",
            &defaults(),
            &vars(&[("DOCSTREAM_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")]),
        )
        .expect_err("sasl without a mechanism");
        assert!(err.to_string().contains("SASL_MECHANISM"), "{err}");
    }

    #[test]
    fn secrets_never_print_but_reach_librdkafka() {
        let c = RuntimeConfig::from_vars(
            "svc",
            &defaults(),
            &vars(&[
                ("DOCSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                ("DOCSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
                ("DOCSTREAM_KAFKA_SASL_USERNAME", "svc"),
                ("DOCSTREAM_KAFKA_SASL_PASSWORD", "hunter2"),
                ("DOCSTREAM_KAFKA__SOCKET_TIMEOUT_MS", "1234"),
            ]),
        )
        .expect("valid");
        let printed = format!("{c:?} {}", c.kafka.sasl_password.as_ref().expect("set"));
        assert!(!printed.contains("hunter2"), "{printed}");
        let rd = c.kafka.client_config();
        assert_eq!(rd.get("sasl.password"), Some("hunter2"));
        assert_eq!(rd.get("socket.timeout.ms"), Some("1234"));
        assert_eq!(rd.get("security.protocol"), Some("sasl_ssl"));
    }

    #[test]
    fn the_instance_id_falls_back_to_the_hostname_then_zero() {
        let c = RuntimeConfig::from_vars("svc", &defaults(), &vars(&[("HOSTNAME", "pod-1")]))
            .expect("valid");
        assert_eq!(c.instance_id, "pod-1");
        let c = RuntimeConfig::from_vars(
            "svc",
            &defaults(),
            &vars(&[("HOSTNAME", "pod-1"), ("DOCSTREAM_INSTANCE_ID", "x")]),
        )
        .expect("valid");
        assert_eq!(c.instance_id, "x");
        let c = RuntimeConfig::from_vars("svc", &defaults(), &BTreeMap::new()).expect("valid");
        assert_eq!(c.instance_id, "0");
    }

    #[test]
    fn services_take_their_topics_from_topics_yaml() {
        let d = Defaults::of("tobacco-ingest").expect("tobacco-ingest");
        assert_eq!(d.input_topics, ["raw.tobacco"]);
        assert_eq!(d.output_topic.as_deref(), Some("processed.tobacco"));
        let d = Defaults::of("etd-ingest").expect("etd-ingest");
        assert_eq!(d.output_topic.as_deref(), Some("processed.etds"));
        assert!(Defaults::of("indexer")
            .expect("indexer")
            .output_topic
            .is_none());
        let err = Defaults::of("nobody").expect_err("unknown").to_string();
        assert!(err.contains("nobody"), "{err}");
    }
}
