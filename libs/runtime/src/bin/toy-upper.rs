//! A toy service for the runtime's own tests and benchmark: reads `{"id", "text"}`
//! JSON and writes it back with `text` upper-cased, keyed like its input. A payload
//! that is not such JSON is invalid; `"text": "transient"` fails transiently (so the
//! tests can see retries run out). `TOY_DELAY_MS` makes each message take that long,
//! so tests can stop it in the middle of a stream.

use runtime::{Defaults, Incoming, Outgoing, ProcessError, Processor, RuntimeConfig};

struct Upper {
    output: String,
    delay: std::time::Duration,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Doc {
    id: String,
    text: String,
}

impl Processor for Upper {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Vec<Outgoing>, ProcessError> {
        let doc: Doc = serde_json::from_slice(msg.payload.unwrap_or_default())
            .map_err(|e| ProcessError::Invalid(format!("not a toy document: {e}")))?;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if doc.text == "transient" {
            return Err(ProcessError::Transient("the toy's sink is down".into()));
        }
        let out = Doc {
            id: doc.id,
            text: doc.text.to_uppercase(),
        };
        let payload = serde_json::to_vec(&out).map_err(|e| ProcessError::Invalid(e.to_string()))?;
        Ok(vec![Outgoing {
            topic: self.output.clone(),
            key: msg.key.map(<[u8]>::to_vec),
            payload,
            headers: Vec::new(),
        }])
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let config = RuntimeConfig::from_env(
        "toy-upper",
        &Defaults {
            input_topics: &["toy.in"],
            output_topic: Some("toy.out"),
        },
    )?;
    let output = config.output_topic.clone().unwrap_or_default();
    let delay_ms = std::env::var("TOY_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let delay = std::time::Duration::from_millis(delay_ms);
    runtime::serve(config, Upper { output, delay }).await
}
