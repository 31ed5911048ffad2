//! clusterer: documents grouped by meaning. In its consume mode ([`assign`]) it embeds
//! every processed document (all-MiniLM-L6-v2, in batches across messages), publishes
//! the embedding to the compacted `embeddings` topic and, when the document's
//! collection has a model, its cluster to `clusters`. Models come from the compacted
//! `cluster-models` topic, read to its end at start and followed after, so every
//! replica assigns with the same model and a restart reshuffles nothing.
//!
//! In train mode ([`train`], one replica) it reads `embeddings`, keeps a bounded
//! random sample per collection, fits each collection's model (spherical k-means,
//! cluster ids matched to the previous model's, c-TF-IDF labels) after a number of new
//! documents or on a schedule, publishes it, and republishes the assignments a refit
//! changed, and those of documents assigned before the collection had a model.
//!
//! Bad input: a message that is not a processed document is dead-lettered with the
//! reason; a document with no text gets no embedding and no assignment (counted as
//! `outcomes_total{kind="skipped",value="no_text"}`); a huge text is cut
//! ([`text::TextLimits`]).

pub mod assign;
pub mod model;
pub mod tail;
pub mod text;
pub mod train;

use std::time::Duration;

use settings::{parse, var, Vars};

/// Why the clusterer would not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    #[error("the clusterer needs its model (scripts/model makes it; DOCSTREAM_MODEL_DIR points at it): {0}")]
    Model(#[from] embed::Error),
    #[error("{0}")]
    Config(String),
    #[error("kafka ({topic}): {reason}")]
    Kafka { topic: String, reason: String },
}

impl Error {
    pub(crate) fn kafka(topic: &str, e: &impl std::fmt::Display) -> Self {
        Self::Kafka {
            topic: topic.to_owned(),
            reason: e.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The runtime's defaults of the consume mode: the documents topics.yaml says it
/// consumes, but not the models topic, which [`assign::follow_models`] reads beside
/// the loop (consumed by the group too, every model was dead-lettered as a document
/// that is not one: 10 in a demo run, found by `docstream status`).
pub fn defaults(settings: &AssignSettings) -> runtime::Result<runtime::Defaults> {
    Ok(runtime::Defaults::of("clusterer")?
        .without_input(&settings.topics.models)
        .with_max_in_flight(256)
        .with_pipeline(settings.batch.max_messages))
}

/// The consume mode until SIGTERM: settings from `vars`, the model loaded, the
/// models read to their end, then the runtime's loop with the batch processor.
pub async fn serve(vars: &Vars) -> Result<()> {
    let settings = AssignSettings::from_vars(vars)?;
    let defaults = defaults(&settings)?;
    let config = runtime::RuntimeConfig::from_vars("clusterer", &defaults, vars)?;
    let embedder = embed::Embedder::load(&embed::model_dir(vars), embed::Options::default())?;
    let metrics = runtime::Metrics::new("clusterer");
    let models = assign::ModelView::default();
    assign::follow_models(
        &config.kafka,
        &settings.topics.models,
        models.clone(),
        metrics.clone(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await?;
    let processor = assign::Clusterer {
        embedder: std::sync::Arc::new(embedder),
        models,
        topics: settings.topics,
        text: settings.text,
        metrics: metrics.clone(),
    };
    let processor = runtime::Batched::new(processor, settings.batch, metrics.clone());
    runtime::serve_with_metrics(config, metrics, processor).await?;
    Ok(())
}

/// The train mode until SIGTERM, in the frame of a source (restarted with backoff
/// after a Kafka failure).
pub async fn serve_train(vars: &Vars) -> Result<()> {
    let settings = TrainSettings::from_vars(vars)?;
    let kafka = settings::KafkaSettings::from_vars(vars);
    runtime::serve_source(train::NAME, vars, |cx| {
        train::run(settings.clone(), kafka.clone(), cx)
    })
    .await?;
    Ok(())
}

/// Which deployment a process is, from its first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Embed and assign (none, or `consume`).
    Assign,
    /// The one trainer (`train`).
    Train,
}

impl Role {
    pub fn parse(arg: Option<&str>) -> Result<Self> {
        match arg {
            None | Some("consume") => Ok(Self::Assign),
            Some("train") => Ok(Self::Train),
            Some(other) => Err(Error::Config(format!(
                "unknown mode {other:?}: consume (default) or train"
            ))),
        }
    }
}

/// The topics the clusterer writes and follows besides its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub embeddings: String,
    pub clusters: String,
    pub models: String,
}

impl Topics {
    /// `DOCSTREAM_CLUSTER_{EMBEDDINGS,CLUSTERS,MODELS}_TOPIC`, else `embeddings`,
    /// `clusters`, `cluster-models`.
    pub fn from_vars(vars: &Vars) -> Self {
        let get = |k: &str, d: &str| var(vars, k).unwrap_or_else(|| d.to_owned());
        Self {
            embeddings: get("DOCSTREAM_CLUSTER_EMBEDDINGS_TOPIC", "embeddings"),
            clusters: get("DOCSTREAM_CLUSTER_CLUSTERS_TOPIC", "clusters"),
            models: get("DOCSTREAM_CLUSTER_MODELS_TOPIC", "cluster-models"),
        }
    }
}

/// The consume mode's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignSettings {
    pub topics: Topics,
    pub text: text::TextLimits,
    pub batch: runtime::BatchLimits,
}

impl AssignSettings {
    /// `DOCSTREAM_CLUSTER_BATCH` (documents embedded together, default 16),
    /// `DOCSTREAM_CLUSTER_BATCH_WAIT_MS` (how long a batch waits to fill, 20),
    /// `DOCSTREAM_CLUSTER_TOBACCO_TEXT_CHARS` (1000), `DOCSTREAM_CLUSTER_MAX_TEXT_CHARS`
    /// (16384) and the topics.
    pub fn from_vars(vars: &Vars) -> Result<Self> {
        let d = text::TextLimits::default();
        let batch: usize = parse(vars, "DOCSTREAM_CLUSTER_BATCH", 16)?;
        if batch == 0 {
            return Err(Error::Config(
                "DOCSTREAM_CLUSTER_BATCH must be at least 1".into(),
            ));
        }
        Ok(Self {
            topics: Topics::from_vars(vars),
            text: text::TextLimits {
                tobacco_text_chars: parse(
                    vars,
                    "DOCSTREAM_CLUSTER_TOBACCO_TEXT_CHARS",
                    d.tobacco_text_chars,
                )?,
                max_chars: parse(vars, "DOCSTREAM_CLUSTER_MAX_TEXT_CHARS", d.max_chars)?,
            },
            batch: runtime::BatchLimits {
                max_messages: batch,
                max_wait: Duration::from_millis(parse(
                    vars,
                    "DOCSTREAM_CLUSTER_BATCH_WAIT_MS",
                    20,
                )?),
            },
        })
    }
}

/// The trainer's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSettings {
    pub topics: Topics,
    /// The trainer's consumer group on `embeddings` (`DOCSTREAM_GROUP_ID`, default
    /// `clusterer-train`) and its dead-letter topic (`DOCSTREAM_DLQ_TOPIC`, default
    /// `dlq.clusterer-train`).
    pub group: String,
    pub dlq: String,
    pub fit: model::FitOptions,
    /// Embeddings kept per collection to fit on (a uniform random sample).
    pub sample: usize,
    /// A collection's first model waits for this many documents.
    pub min_documents: u64,
    /// Refit after this many new documents, or when the collection has grown by this
    /// factor since the fit (0: never for growth; k grows with the collection), ...
    pub refit_every: u64,
    pub refit_growth: f64,
    /// ... or when the model is this old and documents came since.
    pub refit_interval: Duration,
}

impl TrainSettings {
    /// `DOCSTREAM_CLUSTER_K` (unset: grows with the collection), `_SAMPLE` (10000),
    /// `_MIN_DOCUMENTS` (50), `_REFIT_EVERY` (5000), `_REFIT_GROWTH` (2),
    /// `_REFIT_SECS` (86400),
    /// `_LABEL_TERMS` (3), `_MIN_COSINE` (0.5), `_SEED` (0), all `DOCSTREAM_CLUSTER_*`.
    pub fn from_vars(vars: &Vars) -> Result<Self> {
        let d = model::FitOptions::default();
        let k: usize = parse(vars, "DOCSTREAM_CLUSTER_K", 0)?;
        let s = Self {
            topics: Topics::from_vars(vars),
            group: var(vars, "DOCSTREAM_GROUP_ID").unwrap_or_else(|| train::NAME.to_owned()),
            dlq: var(vars, "DOCSTREAM_DLQ_TOPIC")
                .unwrap_or_else(|| settings::facts::dlq_topic(train::NAME)),
            fit: model::FitOptions {
                k: (k > 0).then_some(k),
                label_terms: parse(vars, "DOCSTREAM_CLUSTER_LABEL_TERMS", d.label_terms)?,
                min_cosine: parse(vars, "DOCSTREAM_CLUSTER_MIN_COSINE", d.min_cosine)?,
                seed: parse(vars, "DOCSTREAM_CLUSTER_SEED", d.seed)?,
            },
            sample: parse(vars, "DOCSTREAM_CLUSTER_SAMPLE", 10_000)?,
            min_documents: parse(vars, "DOCSTREAM_CLUSTER_MIN_DOCUMENTS", 50)?,
            refit_every: parse(vars, "DOCSTREAM_CLUSTER_REFIT_EVERY", 5000)?,
            refit_growth: parse(vars, "DOCSTREAM_CLUSTER_REFIT_GROWTH", 2.0)?,
            refit_interval: Duration::from_secs(parse(
                vars,
                "DOCSTREAM_CLUSTER_REFIT_SECS",
                86_400,
            )?),
        };
        if s.sample < 2 || s.min_documents < 2 || s.refit_every == 0 {
            return Err(Error::Config(
                "DOCSTREAM_CLUSTER_SAMPLE and _MIN_DOCUMENTS must be at least 2, _REFIT_EVERY at least 1".into(),
            ));
        }
        if !(s.refit_growth == 0.0 || s.refit_growth > 1.0) {
            return Err(Error::Config(
                "DOCSTREAM_CLUSTER_REFIT_GROWTH must be 0 (off) or more than 1".into(),
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use settings::vars_of as vars;

    #[test]
    fn the_loop_consumes_documents_and_not_the_models_it_follows_itself() {
        let a = AssignSettings::from_vars(&Vars::new()).expect("defaults");
        let d = defaults(&a).expect("defaults");
        assert_eq!(d.input_topics, ["processed.etds", "processed.tobacco"]);
    }

    #[test]
    fn settings_default_and_override() {
        let a = AssignSettings::from_vars(&Vars::new()).expect("defaults");
        assert_eq!(a.topics.embeddings, "embeddings");
        assert_eq!(a.topics.models, "cluster-models");
        assert_eq!(a.batch.max_messages, 16);
        let t = TrainSettings::from_vars(&vars(&[
            ("DOCSTREAM_CLUSTER_K", "20"),
            ("DOCSTREAM_CLUSTER_MODELS_TOPIC", "m"),
        ]))
        .expect("set");
        assert_eq!(t.fit.k, Some(20));
        assert_eq!(t.topics.models, "m");
        assert_eq!(
            TrainSettings::from_vars(&Vars::new()).expect("d").fit.k,
            None
        );
        let e = AssignSettings::from_vars(&vars(&[("DOCSTREAM_CLUSTER_BATCH", "0")]))
            .expect_err("zero");
        assert!(e.to_string().contains("DOCSTREAM_CLUSTER_BATCH"), "{e}");
        let e = TrainSettings::from_vars(&vars(&[("DOCSTREAM_CLUSTER_SAMPLE", "x")]))
            .expect_err("not a number");
        assert!(e.to_string().contains("DOCSTREAM_CLUSTER_SAMPLE"), "{e}");
    }

    #[test]
    fn modes_by_first_argument() {
        assert_eq!(Role::parse(None).expect("default"), Role::Assign);
        assert_eq!(Role::parse(Some("train")).expect("train"), Role::Train);
        let e = Role::parse(Some("fit")).expect_err("unknown").to_string();
        assert!(e.contains("\"fit\"") && e.contains("train"), "{e}");
    }
}
