//! How to reach Kafka: bootstrap servers, TLS, SASL, and any librdkafka property the
//! operator sets with `DOCSTREAM_KAFKA__<NAME>`. The services, the CLI and the tests
//! build their clients from this one reader.

use std::collections::BTreeMap;

use rdkafka::config::ClientConfig;

use crate::{var, Secret, Vars};

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
    /// Reads the `DOCSTREAM_KAFKA_*` variables of `vars`.
    pub fn from_vars(vars: &Vars) -> Self {
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

    /// With TLS or SASL: asks the brokers for metadata until they answer or refuse
    /// (within `timeout`) and fails if they refuse the certificate or the credentials, so a service or command stops
    /// at start with the setting to fix instead of retrying forever. Brokers that do
    /// not answer at all are not refused: the caller starts and its clients retry.
    /// Plaintext is not checked (nothing to refuse).
    pub fn check_access(&self, timeout: std::time::Duration) -> crate::Result<()> {
        use rdkafka::producer::{BaseProducer, Producer};
        use std::time::{Duration, Instant};
        if self.security_protocol == "plaintext" {
            return Ok(());
        }
        let refused = |settings: &'static str, reason: String| crate::Error::KafkaRefused {
            brokers: self.brokers.clone(),
            settings,
            reason,
        };
        // a producer: its poll hands librdkafka's error events (with their reason) to
        // the context
        let client: BaseProducer<FirstRefusal> = self
            .client_config()
            .create_with_context(FirstRefusal::default())
            .map_err(|e| {
                refused(
                    "the DOCSTREAM_KAFKA_SSL_* and DOCSTREAM_KAFKA_SASL_* settings",
                    e.to_string(),
                )
            })?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if client
                .client()
                .fetch_metadata(None, Duration::from_millis(500))
                .is_ok()
            {
                return Ok(());
            }
            client.poll(Duration::from_millis(100));
            let first = client.context().0.lock().ok().and_then(|f| f.clone());
            match first {
                Some((Refusal::Tls, reason)) => {
                    return Err(refused(
                        "DOCSTREAM_KAFKA_SSL_CA_LOCATION (the CA that signed the broker's \
                         certificate) and DOCSTREAM_KAFKA_SECURITY_PROTOCOL",
                        reason,
                    ))
                }
                Some((Refusal::Credentials, reason)) => {
                    return Err(refused(
                        "DOCSTREAM_KAFKA_SASL_USERNAME, DOCSTREAM_KAFKA_SASL_PASSWORD and \
                         DOCSTREAM_KAFKA_SASL_MECHANISM",
                        reason,
                    ))
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Sets the operator's `DOCSTREAM_KAFKA__*` properties, over anything the runtime
    /// chose (call it last).
    pub fn apply_overrides(&self, c: &mut ClientConfig) {
        for (k, v) in &self.extra {
            c.set(k, v);
        }
    }
}

/// Makes `c` read a group's committed offsets as they are. Under `read_committed`
/// librdkafka asks for stable offsets, and the broker answers `UNSTABLE_OFFSET_COMMIT`
/// while a transaction that sent offsets for the group is open (a SIGKILLed
/// exactly-once service's: until its restart aborts it), so the reader waits or times
/// out.
pub fn reading_committed_offsets(c: &mut ClientConfig) -> &mut ClientConfig {
    c.set("isolation.level", "read_uncommitted")
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    Tls,
    Credentials,
}

/// The first TLS or authentication error librdkafka reports (its reason names no
/// secret: it says which mechanism failed, not with what).
#[derive(Default)]
struct FirstRefusal(std::sync::Mutex<Option<(Refusal, String)>>);

impl rdkafka::producer::ProducerContext for FirstRefusal {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &rdkafka::message::DeliveryResult<'_>, _: ()) {}
}

impl rdkafka::ClientContext for FirstRefusal {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        use rdkafka::types::RDKafkaErrorCode;
        let kind = match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::SSL) => Refusal::Tls,
            Some(RDKafkaErrorCode::Authentication) => Refusal::Credentials,
            _ => return,
        };
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert_with(|| (kind, reason.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_reach_librdkafka_and_overrides_name_properties() {
        let vars: Vars = [
            ("DOCSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("DOCSTREAM_KAFKA_SASL_PASSWORD", "hunter2"),
            ("DOCSTREAM_KAFKA__SOCKET_TIMEOUT_MS", "1234"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let k = KafkaSettings::from_vars(&vars);
        assert!(!format!("{k:?}").contains("hunter2"));
        let rd = k.client_config();
        assert_eq!(rd.get("sasl.password"), Some("hunter2"));
        assert_eq!(rd.get("socket.timeout.ms"), Some("1234"));
        assert_eq!(rd.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(rd.get("bootstrap.servers"), Some("127.0.0.1:9092"));
    }
}
