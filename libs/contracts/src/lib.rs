//! docstream's message contracts: one serde type per topic of `topics.yaml`, JSON on
//! the wire, each message carrying `schema_version`, keyed by its [`DocId`].
//!
//! Raw types take the records exactly as the sources write them (DSpace ETD metadata,
//! UCSF Industry Documents JSON, the front end's log lines); processed types are the
//! documents the search engine holds.

mod derived;
mod envelope;
mod error;
mod etd;
mod id;
mod logs;
mod one_or_many;
mod processed;
mod tobacco;
mod withdrawn;

pub use derived::{
    ClusterAssignment, ClusterModel, Embedding, ModelCluster, Recommendation, Related,
    SectionSummary, Summary,
};
pub use envelope::{decode, encode, Contract, DeadLetter, Internal};
pub use error::{Error, Result};
pub use etd::{
    Degree, DspaceRecord, FulltextStatus, PageSpan, PdfRef, ProcessedEtd, RawEtd, Section,
    INLINE_PDF_LIMIT,
};
pub use id::DocId;
pub use logs::{LogData, LogEvent, LogUser, SearchActivity};
pub use one_or_many::OneOrMany;
pub use processed::Processed;
pub use tobacco::{Bates, PageText, ProcessedTobacco, RawTobacco, UcsfDocument};
pub use withdrawn::{is_withdrawn, WITHDRAWN_FIELD};

/// Every message type named in `topics.yaml`, with its current schema version.
pub const MESSAGE_TYPES: &[(&str, u32)] = &[
    (RawEtd::TYPE, RawEtd::SCHEMA_VERSION),
    (RawTobacco::TYPE, RawTobacco::SCHEMA_VERSION),
    (ProcessedEtd::TYPE, ProcessedEtd::SCHEMA_VERSION),
    (ProcessedTobacco::TYPE, ProcessedTobacco::SCHEMA_VERSION),
    (ClusterAssignment::TYPE, ClusterAssignment::SCHEMA_VERSION),
    (Embedding::TYPE, Embedding::SCHEMA_VERSION),
    (ClusterModel::TYPE, ClusterModel::SCHEMA_VERSION),
    (Summary::TYPE, Summary::SCHEMA_VERSION),
    (LogEvent::TYPE, LogEvent::SCHEMA_VERSION),
    (Recommendation::TYPE, Recommendation::SCHEMA_VERSION),
    (DeadLetter::TYPE, DeadLetter::SCHEMA_VERSION),
    (Internal::TYPE, Internal::SCHEMA_VERSION),
];
