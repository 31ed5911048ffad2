//! docstream's configuration, shared by every service, the CLI and the manifest
//! generator without pulling in the runtime: reading `DOCSTREAM_*` variables
//! ([`vars`]), secrets that never print ([`Secret`]), how to reach Kafka
//! ([`KafkaSettings`]), and the facts more than one crate must agree on ([`facts`]:
//! the HTTP port, the shutdown deadline, group and dead-letter names, metric names,
//! the containers' user).
//!
//! Constructors are pure: they read a map of variables, never the process
//! environment, so tests pass their own and never change the environment.

mod error;
pub mod facts;
mod kafka;
mod secret;
mod vars;

pub use error::{Error, Result};
pub use kafka::{reading_committed_offsets, KafkaSettings};
pub use secret::Secret;
pub use vars::{env_vars, http_addr, parse, var, vars_of, Vars};
