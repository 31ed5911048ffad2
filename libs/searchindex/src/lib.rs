//! The library's search index, shared by the indexer (which writes it) and the
//! `docstream search` command (which reads it): how to reach the engine
//! ([`EngineSettings`]), one index per collection behind an alias with explicit
//! templates ([`layout`]), and faceted queries ([`query`]). Only APIs common to
//! Elasticsearch 7.x/8.x and OpenSearch are used.

mod error;
pub mod layout;
pub mod query;
mod settings;

pub use error::{Error, Result};
pub use layout::{Collection, Layout};
pub use settings::EngineSettings;
