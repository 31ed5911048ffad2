//! indexer: consumes `processed.etds`, `processed.tobacco`, `clusters`, `summaries`,
//! `recommendations` and `embeddings` and writes them into the search engine as partial updates
//! through the `_bulk` API ([`actions`], [`bulk`], [`writer`]). A message's offset is
//! committed only after its update is written or dead-lettered with the engine's
//! error.

pub mod actions;
pub mod bulk;
pub mod writer;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use elasticsearch::Elasticsearch;
use runtime::{Defaults, Incoming, Metrics, Output, ProcessError, Processor, RuntimeConfig};

pub use actions::{Kind, Targets};
pub use writer::{BatchSettings, Writer};

/// Why the indexer would not start; per-document failures are the runtime's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    #[error("DOCSTREAM_INDEXER_{key}: {value} is not a positive whole number")]
    NotPositive { key: String, value: usize },
    #[error("input topic {0} carries nothing the indexer knows; set DOCSTREAM_INDEXER_TOPIC_* to say what it carries")]
    UnknownTopic(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The indexer's own settings (`DOCSTREAM_INDEXER_*`).
#[derive(Debug, Clone)]
pub struct IndexerSettings {
    /// Which topic carries what: `DOCSTREAM_INDEXER_TOPIC_{ETDS,TOBACCO,CLUSTERS,
    /// SUMMARIES,RECOMMENDATIONS,EMBEDDINGS}`, defaulting to the names in `topics.yaml`.
    pub topics: Vec<(String, Kind)>,
    pub batch: BatchSettings,
    /// Larger documents are dead-lettered without a request
    /// (`DOCSTREAM_INDEXER_MAX_DOC_BYTES`, default 50 MiB).
    pub max_doc_bytes: usize,
    /// `DOCSTREAM_INDEXER_INDEX_VERSION`: write to `<prefix>-<collection>-<version>`
    /// instead of the aliases (to fill a new index for a rebuild).
    pub index_version: Option<String>,
}

impl IndexerSettings {
    /// From `DOCSTREAM_INDEXER_*` variables.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self> {
        let get = |k: &str| runtime::var(vars, &format!("DOCSTREAM_INDEXER_{k}"));
        let number = |k: &str, default: usize| -> Result<usize> {
            let n = runtime::parse(vars, &format!("DOCSTREAM_INDEXER_{k}"), default)?;
            if n == 0 {
                return Err(Error::NotPositive {
                    key: k.to_owned(),
                    value: n,
                });
            }
            Ok(n)
        };
        let topic = |k: &str, default: &str, kind| {
            (
                get(&format!("TOPIC_{k}")).unwrap_or_else(|| default.into()),
                kind,
            )
        };
        let d = BatchSettings::default();
        let batch = BatchSettings {
            max_docs: number("BATCH_DOCS", d.max_docs)?,
            max_bytes: number("BATCH_BYTES", d.max_bytes)?,
            linger: Duration::from_millis(number("LINGER_MS", 50)? as u64),
            lanes: number("CONCURRENCY", d.lanes)?,
            retry: runtime::RetryPolicy {
                max: Duration::from_millis(number("RETRY_MAX_MS", 10_000)? as u64),
                ..d.retry
            },
        };
        Ok(Self {
            topics: vec![
                topic("ETDS", "processed.etds", Kind::ProcessedEtds),
                topic("TOBACCO", "processed.tobacco", Kind::ProcessedTobacco),
                topic("CLUSTERS", "clusters", Kind::Clusters),
                topic("EMBEDDINGS", "embeddings", Kind::Embeddings),
                topic("SUMMARIES", "summaries", Kind::Summaries),
                topic("RECOMMENDATIONS", "recommendations", Kind::Recommendations),
            ],
            batch,
            max_doc_bytes: number("MAX_DOC_BYTES", 50 << 20)?,
            index_version: get("INDEX_VERSION"),
        })
    }

    /// The in-flight bound the indexer wants when `DOCSTREAM_MAX_IN_FLIGHT` is not
    /// set: two full batches per lane, so a lane's next batch fills while its request
    /// is out (with the runtime's default of 1,000 the lanes sent small batches and
    /// `loadtest index` dropped from 0.88 to 0.67 of the direct loader).
    pub fn default_in_flight(&self) -> usize {
        2 * self.batch.lanes * self.batch.max_docs
    }

    /// The runtime's config for the indexer from `vars`: its input topics by default,
    /// no output topic, and [`Self::default_in_flight`] unless
    /// `DOCSTREAM_MAX_IN_FLIGHT` is set.
    pub fn runtime_config(&self, vars: &BTreeMap<String, String>) -> Result<RuntimeConfig> {
        Ok(RuntimeConfig::from_vars(
            "indexer",
            &Defaults::topics(&self.input_topics(), None)
                .with_max_in_flight(self.default_in_flight()),
            vars,
        )?)
    }

    /// The input topics.
    pub fn input_topics(&self) -> Vec<&str> {
        self.topics.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// The runtime processor.
#[derive(Debug)]
pub struct Indexer {
    kinds: HashMap<String, Kind>,
    targets: Targets,
    writer: Writer,
    es: Elasticsearch,
    max_doc_bytes: usize,
}

impl Indexer {
    /// The indexer for `config`, with its writer started on the current runtime,
    /// recording into `metrics`.
    pub fn start(
        settings: &IndexerSettings,
        config: &RuntimeConfig,
        targets: Targets,
        es: Elasticsearch,
        metrics: &Metrics,
    ) -> Result<Self> {
        let writer = Writer::start(&es, settings.batch, metrics);
        Self::new(settings, &config.input_topics, targets, es, writer)
    }

    /// `input_topics` must all be topics the settings give a kind.
    pub fn new(
        settings: &IndexerSettings,
        input_topics: &[String],
        targets: Targets,
        es: Elasticsearch,
        writer: Writer,
    ) -> Result<Self> {
        let kinds: HashMap<String, Kind> = settings.topics.iter().cloned().collect();
        if let Some(t) = input_topics.iter().find(|t| !kinds.contains_key(*t)) {
            return Err(Error::UnknownTopic(t.clone()));
        }
        Ok(Self {
            kinds,
            targets,
            writer,
            es,
            max_doc_bytes: settings.max_doc_bytes,
        })
    }
}

impl Processor for Indexer {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        let kind = self
            .kinds
            .get(msg.topic)
            .copied()
            .ok_or_else(|| ProcessError::Invalid(format!("unexpected topic {}", msg.topic)))?;
        let size = msg.payload.map_or(0, <[u8]>::len);
        if size > self.max_doc_bytes {
            return Err(ProcessError::Invalid(format!(
                "document of {size} bytes is over the limit of {} (DOCSTREAM_INDEXER_MAX_DOC_BYTES)",
                self.max_doc_bytes
            )));
        }
        match actions::todo(kind, msg.key, msg.payload, &self.targets)
            .map_err(ProcessError::Invalid)?
        {
            actions::Todo::Write(action) => Ok(Output::confirmed_by(self.writer.submit(action))),
            actions::Todo::Nothing => Ok(Output::default()),
        }
    }

    async fn ready(&self) -> bool {
        self.es
            .ping()
            .request_timeout(Duration::from_secs(3))
            .send()
            .await
            .is_ok_and(|r| r.status_code().is_success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_the_topics_file_names() {
        let s = IndexerSettings::from_vars(&BTreeMap::new()).expect("defaults");
        // the same topics, in the same order, as topics.yaml says the indexer consumes
        // (the file the manifests' scaling triggers come from)
        let file = topics::TopicsFile::embedded().expect("topics.yaml");
        assert_eq!(s.input_topics(), file.consumed_by("indexer"));
        assert_eq!(s.batch.max_docs, 500);
        assert_eq!(s.default_in_flight(), 4000);
        let vars: BTreeMap<String, String> =
            [("DOCSTREAM_INDEXER_BATCH_DOCS".to_owned(), "0".to_owned())].into();
        let e = IndexerSettings::from_vars(&vars).expect_err("zero");
        assert!(e.to_string().contains("BATCH_DOCS"), "{e}");
    }
}
