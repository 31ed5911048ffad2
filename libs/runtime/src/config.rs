//! Runtime configuration from `DOCSTREAM_*` environment variables, with defaults,
//! validated at start. The README's configuration table documents every variable.
//! Secrets are [`Secret`]s: their `Debug` and `Display` print `***`, so they never
//! reach logs, errors or `/metrics`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use rdkafka::config::ClientConfig;

use crate::{Error, Result, RetryPolicy};

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to reach Kafka, TLS and SASL included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSettings {
    pub brokers: String,
    /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`.
    pub security_protocol: String,
    pub sasl_mechanism: Option<String>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<Secret>,
    pub ssl_ca_location: Option<String>,
    pub ssl_certificate_location: Option<String>,
    pub ssl_key_location: Option<String>,
    pub ssl_key_password: Option<Secret>,
    /// Any other librdkafka property, from `DOCSTREAM_KAFKA__<NAME>` (`__` after
    /// `KAFKA`, then `_` for `.`: `DOCSTREAM_KAFKA__SOCKET_TIMEOUT_MS`).
    pub extra: BTreeMap<String, String>,
}

impl KafkaSettings {
    /// Reads the `DOCSTREAM_KAFKA_*` variables of the process environment.
    pub fn from_env() -> Self {
        Self::from_vars(&env_vars())
    }

    /// Reads the `DOCSTREAM_KAFKA_*` variables of `vars`.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Self {
        let get = |k: &str| var(vars, k);
        let extra = vars
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("DOCSTREAM_KAFKA__")?;
                Some((name.to_ascii_lowercase().replace('_', "."), v.clone()))
            })
            .collect();
        Self {
            brokers: get("DOCSTREAM_KAFKA_BROKERS").unwrap_or_else(|| "127.0.0.1:9092".into()),
            security_protocol: get("DOCSTREAM_KAFKA_SECURITY_PROTOCOL")
                .unwrap_or_else(|| "plaintext".into())
                .to_ascii_lowercase(),
            sasl_mechanism: get("DOCSTREAM_KAFKA_SASL_MECHANISM"),
            sasl_username: get("DOCSTREAM_KAFKA_SASL_USERNAME"),
            sasl_password: get("DOCSTREAM_KAFKA_SASL_PASSWORD").map(Secret::new),
            ssl_ca_location: get("DOCSTREAM_KAFKA_SSL_CA_LOCATION"),
            ssl_certificate_location: get("DOCSTREAM_KAFKA_SSL_CERTIFICATE_LOCATION"),
            ssl_key_location: get("DOCSTREAM_KAFKA_SSL_KEY_LOCATION"),
            ssl_key_password: get("DOCSTREAM_KAFKA_SSL_KEY_PASSWORD").map(Secret::new),
            extra,
        }
    }

    /// A librdkafka config with the connection and security settings.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers);
        c.set("security.protocol", &self.security_protocol);
        let mut opt = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                c.set(k, v);
            }
        };
        opt("sasl.mechanism", self.sasl_mechanism.as_deref());
        opt("sasl.username", self.sasl_username.as_deref());
        opt(
            "sasl.password",
            self.sasl_password.as_ref().map(Secret::expose),
        );
        opt("ssl.ca.location", self.ssl_ca_location.as_deref());
        opt(
            "ssl.certificate.location",
            self.ssl_certificate_location.as_deref(),
        );
        opt("ssl.key.location", self.ssl_key_location.as_deref());
        opt(
            "ssl.key.password",
            self.ssl_key_password.as_ref().map(Secret::expose),
        );
        self.apply_overrides(&mut c);
        c
    }

    /// Sets the operator's `DOCSTREAM_KAFKA__*` properties, over anything the runtime
    /// chose (call it last).
    pub fn apply_overrides(&self, c: &mut ClientConfig) {
        for (k, v) in &self.extra {
            c.set(k, v);
        }
    }
}

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
    pub shutdown_deadline: Duration,
    pub rebalance_drain: Duration,
    pub retry: RetryPolicy,
    pub exactly_once: bool,
    pub transaction_max_messages: usize,
    pub transaction_max_wait: Duration,
    /// Unique per instance: the Kafka transactional id is `<group>-<instance>`.
    pub instance_id: String,
    pub http_addr: SocketAddr,
}

/// A service's own defaults, overridden by the environment.
#[derive(Debug, Clone)]
pub struct Defaults<'a> {
    pub input_topics: &'a [&'a str],
    pub output_topic: Option<&'a str>,
    /// The service's own in-flight window when `DOCSTREAM_MAX_IN_FLIGHT` is not set
    /// (the runtime's is 10,000: right for fast services; a slow one only queues work
    /// that a rebalance then drops and the next owner redoes).
    pub max_in_flight: Option<usize>,
}

impl RuntimeConfig {
    /// Reads the process environment.
    pub fn from_env(service: &str, defaults: &Defaults<'_>) -> Result<Self> {
        Self::from_vars(service, defaults, &env_vars())
    }

    /// Reads the given variables (tests pass their own).
    pub fn from_vars(
        service: &str,
        defaults: &Defaults<'_>,
        vars: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let get = |k: &str| var(vars, k);
        let list = |k: &str, d: &[&str]| -> Vec<String> {
            get(k).map_or_else(
                || d.iter().map(|s| (*s).to_owned()).collect(),
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
            group_id: get("DOCSTREAM_GROUP_ID").unwrap_or_else(|| format!("docstream-{service}")),
            input_topics: list("DOCSTREAM_INPUT_TOPICS", defaults.input_topics),
            output_topic: get("DOCSTREAM_OUTPUT_TOPIC")
                .or(defaults.output_topic.map(str::to_owned)),
            dlq_topic: get("DOCSTREAM_DLQ_TOPIC").unwrap_or_else(|| format!("dlq.{service}")),
            max_in_flight: parse(
                vars,
                "DOCSTREAM_MAX_IN_FLIGHT",
                defaults.max_in_flight.unwrap_or(10_000),
            )?,
            max_in_flight_bytes: parse(vars, "DOCSTREAM_MAX_IN_FLIGHT_BYTES", 64 << 20)?,
            shutdown_deadline: Duration::from_secs(parse(
                vars,
                "DOCSTREAM_SHUTDOWN_DEADLINE_SECS",
                20,
            )?),
            rebalance_drain: Duration::from_secs(parse(
                vars,
                "DOCSTREAM_REBALANCE_DRAIN_SECS",
                10,
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
            instance_id: get("DOCSTREAM_INSTANCE_ID")
                .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
                .unwrap_or_else(|| "0".into()),
            http_addr: parse(
                vars,
                "DOCSTREAM_HTTP_ADDR",
                SocketAddr::from(([0, 0, 0, 0], 9000)),
            )?,
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
        if self.transaction_max_messages == 0 {
            return bad("DOCSTREAM_TRANSACTION_MAX_MESSAGES must be at least 1".into());
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

/// The `DOCSTREAM_*` variables of this process, for the `from_vars` readers.
pub fn env_vars() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("DOCSTREAM_"))
        .collect()
}

/// A variable's value, trimmed; `None` when unset or empty.
pub fn var(vars: &BTreeMap<String, String>, key: &str) -> Option<String> {
    vars.get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A variable parsed, or `default` when unset or empty; the error names the variable
/// and its value. Every service's settings read numbers through this.
pub fn parse<T: FromStr>(vars: &BTreeMap<String, String>, key: &str, default: T) -> Result<T>
where
    T::Err: fmt::Display,
{
    match vars.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|e| Error::Config(format!("{key}={v:?}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: Defaults<'static> = Defaults {
        input_topics: &["raw.x"],
        output_topic: Some("processed.x"),
        max_in_flight: None,
    };

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = RuntimeConfig::from_vars("svc", &DEFAULTS, &BTreeMap::new()).expect("valid");
        assert_eq!(c.group_id, "docstream-svc");
        assert_eq!(c.dlq_topic, "dlq.svc");
        assert_eq!(c.input_topics, ["raw.x"]);
        assert_eq!(c.output_topic.as_deref(), Some("processed.x"));
        assert!(!c.exactly_once);
        assert_eq!((c.max_in_flight, c.max_in_flight_bytes), (10_000, 64 << 20));
    }

    #[test]
    fn a_service_sets_its_own_window_and_the_environment_wins() {
        let slow = Defaults {
            max_in_flight: Some(16),
            ..DEFAULTS
        };
        let c = RuntimeConfig::from_vars("svc", &slow, &BTreeMap::new()).expect("valid");
        assert_eq!(c.max_in_flight, 16);
        let c = RuntimeConfig::from_vars("svc", &slow, &vars(&[("DOCSTREAM_MAX_IN_FLIGHT", "3")]))
            .expect("valid");
        assert_eq!(c.max_in_flight, 3);
        let err = RuntimeConfig::from_vars(
            "svc",
            &DEFAULTS,
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
            &DEFAULTS,
            &vars(&[("DOCSTREAM_MAX_IN_FLIGHT", "lots")]),
        )
        .expect_err("invalid");
        assert!(
            err.to_string().contains("DOCSTREAM_MAX_IN_FLIGHT=\"lots\""),
            "{err}"
        );
        let err = RuntimeConfig::from_vars(
            "svc",
            &DEFAULTS,
            &vars(&[("DOCSTREAM_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")]),
        )
        .expect_err("sasl without a mechanism");
        assert!(err.to_string().contains("SASL_MECHANISM"), "{err}");
    }

    #[test]
    fn secrets_never_print_but_reach_librdkafka() {
        let c = RuntimeConfig::from_vars(
            "svc",
            &DEFAULTS,
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
}
