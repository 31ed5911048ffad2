//! The toy service of the runtime's tests and benchmark: reads `{"id", "text"}` JSON
//! and writes it back with `text` upper-cased, keyed like its input. A payload that is
//! not such JSON is invalid; `"text": "transient"` fails transiently, so tests can see
//! retries run out. `delay` makes each message take that long. In batch mode a text
//! starting with `~` fails transiently on its first attempt only (and comes out
//! without the `~`), so a retried message finishes after the ones behind it.

use std::time::Duration;

use runtime::{BatchProcessor, Incoming, Outgoing, Output, ProcessError, Processor};

/// The upper-casing toy.
#[derive(Debug, Clone)]
pub struct Upper {
    pub output: String,
    pub delay: Duration,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Doc {
    id: String,
    text: String,
}

/// The toy's transformation, without the runtime (the benchmark's bare loop calls it).
pub fn upper(payload: &[u8]) -> Result<Vec<u8>, ProcessError> {
    let doc: Doc = serde_json::from_slice(payload)
        .map_err(|e| ProcessError::Invalid(format!("not a toy document: {e}")))?;
    if doc.text == "transient" {
        return Err(ProcessError::Transient("the toy's sink is down".into()));
    }
    let out = Doc {
        id: doc.id,
        text: doc.text.to_uppercase(),
    };
    serde_json::to_vec(&out).map_err(|e| ProcessError::Invalid(e.to_string()))
}

impl Processor for Upper {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let payload = upper(msg.payload.unwrap_or_default())?;
        Ok(vec![Outgoing {
            topic: self.output.clone(),
            partition: None,
            key: msg.key.map(<[u8]>::to_vec),
            payload: Some(payload),
            headers: Vec::new(),
        }]
        .into())
    }
}

/// The toy as a batch processor: the same transformation per message, `delay` once
/// per batch (as a model's forward pass costs about the same for one text or many).
#[derive(Debug, Clone, Default)]
pub struct UpperBatch {
    pub output: String,
    pub delay: Duration,
    /// (partition, offset) of the `~` messages already failed once.
    pub failed_once: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<(i32, i64)>>>,
}

impl UpperBatch {
    /// `~` texts fail their first attempt; then the `~` is dropped.
    fn once(&self, m: &Incoming<'_>) -> Result<Vec<u8>, ProcessError> {
        let payload = m.payload.unwrap_or_default();
        let Ok(mut doc) = serde_json::from_slice::<Doc>(payload) else {
            return upper(payload);
        };
        if let Some(rest) = doc.text.strip_prefix('~') {
            let first = self
                .failed_once
                .lock()
                .map(|mut seen| seen.insert((m.partition, m.offset)))
                .unwrap_or(false);
            if first {
                return Err(ProcessError::Transient("fails once".into()));
            }
            doc.text = rest.to_owned();
        }
        upper(&serde_json::to_vec(&doc).map_err(|e| ProcessError::Invalid(e.to_string()))?)
    }
}

impl BatchProcessor for UpperBatch {
    async fn process_batch(&self, msgs: &[Incoming<'_>]) -> Vec<Result<Output, ProcessError>> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        msgs.iter()
            .map(|m| {
                let payload = self.once(m)?;
                Ok(vec![Outgoing {
                    topic: self.output.clone(),
                    partition: None,
                    key: m.key.map(<[u8]>::to_vec),
                    payload: Some(payload),
                    headers: Vec::new(),
                }]
                .into())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_text_and_sorts_bad_input() {
        let out = upper(br#"{"id":"a","text":"hi there"}"#).expect("valid");
        assert_eq!(out, br#"{"id":"a","text":"HI THERE"}"#);
        assert!(matches!(upper(b"{nope"), Err(ProcessError::Invalid(_))));
        assert!(matches!(
            upper(br#"{"id":"a","text":"transient"}"#),
            Err(ProcessError::Transient(_))
        ));
    }
}
