//! Sentence embeddings: all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions) run with
//! candle on the CPU, mean-pooled over the real tokens (the attention mask), then
//! L2-normalised, as sentence-transformers does. The weights come from a folder made
//! by `scripts/model` (a registry package, checked by sha256), never a model hub;
//! [`Embedder::load`] checks the folder again and refuses a missing or corrupt one with
//! its path and the reason.
//!
//! A text longer than the model's window (256 word pieces) is split into windows that
//! are embedded and averaged, at most `max_windows` of them (the rest is not read);
//! texts are embedded together in one batch per call.

mod model;

pub use model::{Embedder, Options, CHECKED, DIMENSIONS, MODEL_NAME};

use std::path::PathBuf;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("model folder {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference: {0}")]
    Inference(#[from] candle_core::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The model folder: `DOCSTREAM_MODEL_DIR` when given, else where `scripts/model`
/// puts it (`$DOCSTREAM_CACHE/models/all-MiniLM-L6-v2`, default
/// `~/.cache/docstream/...`).
pub fn model_dir(vars: &std::collections::BTreeMap<String, String>) -> PathBuf {
    if let Some(dir) = vars
        .get("DOCSTREAM_MODEL_DIR")
        .filter(|d| !d.trim().is_empty())
    {
        return PathBuf::from(dir.trim());
    }
    let cache = vars
        .get("DOCSTREAM_CACHE")
        .filter(|d| !d.trim().is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            vars.get("HOME")
                .map(|h| PathBuf::from(h).join(".cache/docstream"))
        })
        .unwrap_or_else(|| PathBuf::from(".cache/docstream"));
    cache.join("models").join(MODEL_NAME)
}

/// Cosine similarity of two L2-normalised embeddings (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
