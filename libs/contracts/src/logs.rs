//! `logs`: the front end's search and click log lines, exactly as it writes them,
//! one JSON object per line. The old front end did not write a `schema_version`; a line
//! without one is version 1. Version 2 (the search API) adds the pseudonymous session,
//! the query id, the rank of an opened result, the collection, the opened document's
//! id and a search's result count, and writes no user, e-mail or IP address.

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
contract!(LogEvent, "LogEvent", 2);

fn v1() -> u32 {
    1
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct LogData {
    /// Version 1 only: who (the old front end's login); the search API writes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<LogUser>,
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
    /// Version 2: a random value of the browser's session cookie, nothing else about
    /// the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Version 2: the search this event is, or the search a click came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// Version 2 clicks: the opened result's rank, 1 first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Version 2: `etds` or `tobacco` (none: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// Version 2 clicks: the opened document's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_id: Option<String>,
    /// Version 2 searches: how many documents matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
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
    /// The Kafka key: the session (version 2) or the user (version 1), so one
    /// person's events stay in order.
    pub fn key(&self) -> &str {
        self.data
            .session
            .as_deref()
            .or_else(|| self.data.user.as_ref().map(|u| u.username.as_str()))
            .unwrap_or("")
    }

    /// True for a click on a hit, false for a search.
    pub fn is_click(&self) -> bool {
        self.data.hit.is_some() || self.data.doc_id.is_some()
    }

    /// The opened document's id: version 2's `doc_id`, or from a version 1 hit (the
    /// UCSF id of a tobacco document, the handle of an ETD).
    pub fn clicked_doc(&self) -> Option<String> {
        if let Some(d) = &self.data.doc_id {
            return Some(d.clone());
        }
        let hit = self.data.hit.as_ref()?;
        if let Some(id) = hit.get("Legacy_(LTDL2)_Tobacco_Id").and_then(Value::as_str) {
            return Some(format!("tobacco:{id}"));
        }
        hit.get("handle")
            .and_then(Value::as_str)
            .map(|h| format!("etd:{h}"))
    }
}
