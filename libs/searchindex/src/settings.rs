//! How to reach the engine, from `DOCSTREAM_ES_*` variables.

use std::collections::BTreeMap;
use std::time::Duration;

use elasticsearch::auth::Credentials;
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::Elasticsearch;
use settings::Secret;

use crate::{Error, Result, Vectors};

/// The engine's address and credentials, and the index layout's knobs.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// `DOCSTREAM_ES_URL` (default `http://127.0.0.1:9200`).
    pub url: String,
    /// `DOCSTREAM_ES_USERNAME` and `DOCSTREAM_ES_PASSWORD`: basic authentication.
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `DOCSTREAM_ES_API_KEY`: an encoded API key (`base64(id:key)`), instead of basic.
    pub api_key: Option<Secret>,
    /// `DOCSTREAM_ES_CA_LOCATION`: a PEM file of the CA(s) that signed an `https://`
    /// engine's certificate (unset: the system's roots).
    pub ca_location: Option<String>,
    /// `DOCSTREAM_ES_INDEX_PREFIX` (default `docstream`): aliases are
    /// `<prefix>-etds` and `<prefix>-tobacco`.
    pub index_prefix: String,
    /// `DOCSTREAM_ES_SHARDS` (default 1) and `DOCSTREAM_ES_REPLICAS` (default 0) of
    /// new indices.
    pub shards: u32,
    pub replicas: u32,
    /// `DOCSTREAM_ES_TIMEOUT_MS` (default 30000): per request.
    pub timeout: Duration,
    /// `DOCSTREAM_ES_VECTORS` (default `knn`): how the engine holds embeddings.
    pub vectors: Vectors,
}

impl EngineSettings {
    pub fn from_env() -> Result<Self> {
        Self::from_vars(&settings::env_vars())
    }

    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self> {
        let get = |k: &str| settings::var(vars, &format!("DOCSTREAM_ES_{k}"));
        let number = |k: &str, default: u64| -> Result<u64> {
            settings::parse(vars, &format!("DOCSTREAM_ES_{k}"), default)
                .map_err(|e| Error::Invalid(e.to_string()))
        };
        let prefix = get("INDEX_PREFIX").unwrap_or_else(|| "docstream".into());
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(Error::Setting {
                name: "DOCSTREAM_ES_INDEX_PREFIX".into(),
                reason: "use lowercase letters, digits, - and _".into(),
            });
        }
        let shards = u32::try_from(number("SHARDS", 1)?).unwrap_or(1).max(1);
        Ok(Self {
            url: get("URL").unwrap_or_else(|| "http://127.0.0.1:9200".into()),
            username: get("USERNAME"),
            password: get("PASSWORD").map(Secret::new),
            api_key: get("API_KEY").map(Secret::new),
            ca_location: get("CA_LOCATION"),
            index_prefix: prefix,
            shards,
            replicas: u32::try_from(number("REPLICAS", 0)?).unwrap_or(0),
            timeout: Duration::from_millis(number("TIMEOUT_MS", 30_000)?),
            vectors: get("VECTORS")
                .map(|v| Vectors::parse(&v))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// Asks the engine who answers (`GET /`) with these credentials: a 401 or 403 is
    /// [`Error::Credentials`] naming the settings to fix; an engine that does not
    /// answer is [`Error::Unreachable`] (the caller may wait for it).
    pub async fn check_access(&self, es: &Elasticsearch) -> Result<()> {
        let status = match es.info().send().await {
            Ok(r) => r.status_code().as_u16(),
            Err(e) if is_certificate_error(&e) => {
                return Err(Error::Tls {
                    url: self.url.clone(),
                    reason: chain(&e),
                })
            }
            Err(e) => return Err(e.into()),
        };
        if status != 401 && status != 403 {
            return Ok(());
        }
        let settings = if self.api_key.is_some() {
            "DOCSTREAM_ES_API_KEY"
        } else if self.username.is_some() {
            "DOCSTREAM_ES_USERNAME and DOCSTREAM_ES_PASSWORD"
        } else {
            "DOCSTREAM_ES_USERNAME and DOCSTREAM_ES_PASSWORD (none set; the engine wants credentials)"
        };
        Err(Error::Credentials {
            url: self.url.clone(),
            status,
            settings,
        })
    }

    /// A client for the engine.
    pub fn client(&self) -> Result<Elasticsearch> {
        let url = self.url.parse().map_err(|e| Error::Setting {
            name: "DOCSTREAM_ES_URL".into(),
            reason: format!("{e}"),
        })?;
        let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(self.timeout)
            .disable_proxy();
        if let Some(path) = &self.ca_location {
            let setting = |reason: String| Error::Setting {
                name: "DOCSTREAM_ES_CA_LOCATION".into(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| setting(format!("read {path}: {e}")))?;
            let ca = elasticsearch::cert::Certificate::from_pem(&pem)
                .map_err(|e| setting(format!("{path} is not a PEM certificate: {e}")))?;
            builder = builder.cert_validation(elasticsearch::cert::CertificateValidation::Full(ca));
        }
        if let Some(key) = &self.api_key {
            builder = builder.auth(Credentials::EncodedApiKey(key.expose().to_owned()));
        } else if let Some(user) = &self.username {
            let password = self
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            builder = builder.auth(Credentials::Basic(user.clone(), password));
        }
        let transport = builder.build().map_err(|e| Error::Setting {
            name: "DOCSTREAM_ES_URL".into(),
            reason: e.to_string(),
        })?;
        Ok(Elasticsearch::new(transport))
    }
}

/// The error and its causes, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// Whether a request failed on the engine's TLS certificate (rustls names it so:
/// `invalid peer certificate: UnknownIssuer`).
fn is_certificate_error(e: &elasticsearch::Error) -> bool {
    chain(e).to_ascii_lowercase().contains("certificate")
}

#[cfg(test)]
mod tests {
    use super::*;

    use settings::vars_of as vars;

    #[test]
    fn defaults_and_secrets_stay_out_of_debug() {
        let s = EngineSettings::from_vars(&vars(&[
            ("DOCSTREAM_ES_USERNAME", "elastic"),
            ("DOCSTREAM_ES_PASSWORD", "hunter2"),
        ]))
        .expect("valid");
        assert_eq!(s.url, "http://127.0.0.1:9200");
        assert_eq!(s.index_prefix, "docstream");
        assert_eq!((s.shards, s.replicas), (1, 0));
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(s.client().is_ok());
    }

    #[test]
    fn bad_values_are_named() {
        let e = EngineSettings::from_vars(&vars(&[("DOCSTREAM_ES_SHARDS", "many")]))
            .expect_err("invalid");
        assert!(e.to_string().contains("DOCSTREAM_ES_SHARDS"), "{e}");
        let e = EngineSettings::from_vars(&vars(&[("DOCSTREAM_ES_INDEX_PREFIX", "Docs")]))
            .expect_err("invalid");
        assert!(e.to_string().contains("lowercase"), "{e}");
    }
}
