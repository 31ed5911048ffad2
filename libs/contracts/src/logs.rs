//! `logs`: the front end's search and click log lines, exactly as it writes them,
//! one JSON object per line. The front end does not write a `schema_version`; a line
//! without one is version 1.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::envelope::contract;

/// One search or click event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct LogEvent {
    #[serde(default = "v1")]
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub data: LogData,
}
contract!(LogEvent, "LogEvent", 1);

fn v1() -> u32 {
    1
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct LogData {
    pub user: LogUser,
    /// `etd` or `tobacco`.
    pub dataset: String,
    /// `2019-11-08 19:26:49.530631`, the front end's local time.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// A search: its query and filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<SearchActivity>,
    /// A click: the hit that was opened, as the search engine returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit: Option<Map<String, Value>>,
}

/// Who.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LogUser {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A search request.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SearchActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub search_text: String,
    #[serde(default)]
    pub filters: Value,
}

impl LogEvent {
    /// The Kafka key: the user, so one user's events stay in order.
    pub fn key(&self) -> &str {
        &self.data.user.username
    }

    /// True for a click on a hit, false for a search.
    pub fn is_click(&self) -> bool {
        self.data.hit.is_some()
    }
}
