//! The library's search index, shared by the indexer (which writes it) and the
//! `docstream search` command (which reads it): how to reach the engine
//! ([`EngineSettings`]), one index per collection behind an alias with explicit
//! templates ([`layout`]), faceted queries ([`query`]) and the lookups beside them
//! (completion, more-like-this: [`lookup`]), and document embeddings for semantic and
//! hybrid ranking ([`vectors`]). Only APIs common to Elasticsearch 7.x/8.x and
//! OpenSearch are used, except for vectors, whose mapping and query differ by engine.

mod error;
pub mod layout;
pub mod lookup;
pub mod query;
mod settings;
pub mod vectors;

pub use error::{Error, Result};
pub use layout::{Collection, Layout};
pub use settings::EngineSettings;
pub use vectors::Vectors;
