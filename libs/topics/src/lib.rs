//! docstream's Kafka topics as code: `topics.yaml` parsed into a [`TopicsFile`], a pure
//! [`plan`] of what must change on a broker to match it, and [`apply`] to carry that
//! plan out. Applying is idempotent: a second run finds nothing to do and says so.

mod apply;
mod error;
mod plan;
mod spec;

pub use apply::{apply, current_state, Applied};
pub use error::{Error, Result};
pub use plan::{plan, Action, ExistingTopic, Plan, Refusal};
pub use spec::{CleanupPolicy, TopicSpec, TopicsFile};
