//! What a service implements: one input message in, zero or more output messages out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use rdkafka::message::{Headers, OwnedHeaders, OwnedMessage};
use rdkafka::Message;

/// An input message, borrowed for the call.
#[derive(Debug)]
pub struct Incoming<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
    pub headers: Option<&'a OwnedHeaders>,
    /// The assignment its partition is owned under in the exactly-once loop: it
    /// changes whenever the partition is assigned again, so a processor keeping state
    /// per partition knows to restore it (0 elsewhere).
    pub epoch: u64,
}

impl<'a> Incoming<'a> {
    /// Borrows a received message.
    pub fn from_message(m: &'a OwnedMessage) -> Self {
        Self {
            topic: m.topic(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key(),
            payload: m.payload(),
            headers: m.headers(),
            epoch: 0,
        }
    }

    /// The key as text, when it is UTF-8.
    pub fn key_str(&self) -> Option<&str> {
        self.key.and_then(|k| std::str::from_utf8(k).ok())
    }

    /// For a tombstone (a key and no value), the document it withdraws, or why that
    /// cannot be: its key must be a document id. `None` for a message with a value.
    /// Every service keyed by document passes a withdrawal on as its own tombstone.
    pub fn withdrawn(&self) -> Option<Result<contracts::DocId, ProcessError>> {
        if self.payload.is_some() {
            return None;
        }
        Some(
            self.key_str()
                .ok_or_else(|| ProcessError::Invalid("an empty message without a key".into()))
                .and_then(|k| {
                    k.parse().map_err(|e: contracts::Error| {
                        ProcessError::Invalid(format!(
                            "an empty message whose key is not a document id: {e}"
                        ))
                    })
                }),
        )
    }

    /// A header's value by name.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers?
            .iter()
            .find(|h| h.key == name)
            .and_then(|h| h.value)
    }
}

/// A message to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub topic: String,
    /// The partition to write to; `None`: the producer's partitioner on the key. A
    /// changelog names its input's partition, so a new owner of that partition restores
    /// from the same number.
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    /// `None`: a tombstone (the key's value is gone: a compacted topic forgets it).
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Outgoing {
    /// A message with a key and no headers.
    pub fn keyed(topic: impl Into<String>, key: impl Into<Vec<u8>>, payload: Vec<u8>) -> Self {
        Self {
            topic: topic.into(),
            partition: None,
            key: Some(key.into()),
            payload: Some(payload),
            headers: Vec::new(),
        }
    }

    /// A tombstone: the key with no value, which says the document is gone (withdrawn);
    /// a compacted topic then forgets the key.
    pub fn tombstone(topic: impl Into<String>, key: impl Into<Vec<u8>>) -> Self {
        Self {
            topic: topic.into(),
            partition: None,
            key: Some(key.into()),
            payload: None,
            headers: Vec::new(),
        }
    }

    /// The payload's bytes (empty for a tombstone).
    pub fn bytes(&self) -> &[u8] {
        self.payload.as_deref().unwrap_or_default()
    }
}

impl Outgoing {
    /// The same message to an explicit partition.
    pub fn to_partition(self, partition: i32) -> Self {
        Self {
            partition: Some(partition),
            ..self
        }
    }
}

/// What processing one message gave: messages to produce and, for a service whose
/// sink confirms writes later (the indexer's bulk requests), the sink's confirmation.
/// The input offset is stored only after both are done.
#[derive(Debug, Default)]
pub struct Output {
    pub messages: Vec<Outgoing>,
    pub confirmation: Option<Confirmation>,
}

impl From<Vec<Outgoing>> for Output {
    fn from(messages: Vec<Outgoing>) -> Self {
        Self {
            messages,
            confirmation: None,
        }
    }
}

impl Output {
    /// Nothing to produce; done when the sink confirms.
    pub fn confirmed_by(confirmation: Confirmation) -> Self {
        Self {
            messages: Vec::new(),
            confirmation: Some(confirmation),
        }
    }
}

/// A sink's pending confirmation of one message: `Ok` when written, `Err(reason)`
/// when the sink rejected it for good (it is then dead-lettered with the reason).
/// A sink retries transient failures itself before resolving.
pub struct Confirmation(Pin<Box<dyn Future<Output = Result<(), String>> + Send>>);

impl Confirmation {
    pub fn new(f: impl Future<Output = Result<(), String>> + Send + 'static) -> Self {
        Self(Box::pin(f))
    }
}

impl Future for Confirmation {
    type Output = Result<(), String>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for Confirmation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Confirmation")
    }
}

/// Why a message was not processed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// It can never succeed (bad JSON, wrong schema, content that cannot be
    /// processed): dead-letter it and go on.
    #[error("{0}")]
    Invalid(String),
    /// It may succeed later (a source or sink unreachable): retry with backoff, and
    /// dead-letter it as exhausted when the retries run out.
    #[error("{0}")]
    Transient(String),
}

/// A service's transformation.
pub trait Processor: Send + Sync + 'static {
    /// Processes one message. Called for the messages of one partition one at a time,
    /// in offset order.
    fn process(
        &self,
        msg: &Incoming<'_>,
    ) -> impl Future<Output = Result<Output, ProcessError>> + Send;

    /// Whether the service's own source or sink is reachable (for `/readyz`).
    fn ready(&self) -> impl Future<Output = bool> + Send {
        async { true }
    }

    /// Messages added to the open transaction just before it commits, after the
    /// batch's own: state a processor keeps can be written once per transaction instead
    /// of once per message (as Kafka Streams' record cache is flushed at a commit). Only
    /// the exactly-once loop calls it; a processor that relies on it must require that
    /// loop. If the transaction then aborts, these messages are discarded with it.
    fn before_commit(&self) -> impl Future<Output = Vec<Outgoing>> + Send {
        async { Vec::new() }
    }
}
