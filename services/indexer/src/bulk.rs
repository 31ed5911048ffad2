//! The `_bulk` request body for a batch of updates, and what each item's result means.
//! A 200 response can hide failed items, so every item's status is read.

use bytes::Bytes;
use serde_json::Value;

use crate::actions::Action;

/// The lines of one write: `create` with the fields, `update` with
/// `{"doc":…,"doc_as_upsert":true}`, or a `delete` alone. `retry_on_conflict` lets the
/// engine redo an update that raced another writer of the same document.
pub fn lines(a: &Action) -> Vec<Bytes> {
    let (index, id) = (Value::from(a.index.as_str()), Value::from(a.id.as_str()));
    if a.delete {
        return vec![format!(r#"{{"delete":{{"_index":{index},"_id":{id}}}}}"#).into()];
    }
    if a.create {
        let head = format!(r#"{{"create":{{"_index":{index},"_id":{id}}}}}"#);
        return vec![head.into(), a.fields.clone()];
    }
    let head = format!(r#"{{"update":{{"_index":{index},"_id":{id},"retry_on_conflict":5}}}}"#);
    vec![head.into(), a.update_line()]
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    Written,
    /// A `create` found the document there already: send it as the update.
    Exists,
    /// Worth sending again: the engine was busy (429), failing (5xx), raced (409),
    /// or the index is missing for now.
    Retry(String),
    /// Never going to work (a mapping or parse error): dead-letter it with the
    /// engine's error text.
    Rejected(String),
}

/// What to do with a whole response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// One outcome per item, in order.
    Items(Vec<ItemOutcome>),
    /// Send the whole batch again later (engine down, busy or refusing us for now).
    RetryAll(String),
    /// The request was too large: send it in smaller pieces.
    TooLarge,
    /// The engine refused the request as such: every item fails with this reason.
    RejectAll(String),
}

/// Reads the engine's answer to a bulk request of `n` items.
pub fn read(status: u16, body: &[u8], n: usize) -> Response {
    let text = || String::from_utf8_lossy(&body[..body.len().min(2000)]).into_owned();
    match status {
        200..=299 => {}
        413 => return Response::TooLarge,
        // busy, timing out, down behind a proxy, or credentials/permissions an
        // operator has to fix: wait and retry, never drop
        401 | 403 | 404 | 408 | 429 | 500..=599 => {
            return Response::RetryAll(format!("status {status}: {}", text()))
        }
        _ => return Response::RejectAll(format!("status {status}: {}", text())),
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Response::RetryAll(format!("unreadable bulk response: {}", text()));
    };
    let Some(items) = v.get("items").and_then(Value::as_array) else {
        return Response::RetryAll(format!("bulk response without items: {}", text()));
    };
    if items.len() != n {
        return Response::RetryAll(format!("bulk response has {} items for {n}", items.len()));
    }
    Response::Items(items.iter().map(item).collect())
}

fn item(v: &Value) -> ItemOutcome {
    // {"update": {"status": 200, ...}} or {"create": {"status": 409, "error": {...}}}
    let (op, r) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .map_or(("", v), |(k, r)| (k.as_str(), r));
    let status = r.get("status").and_then(Value::as_u64).unwrap_or(0);
    if (200..300).contains(&status) {
        return ItemOutcome::Written;
    }
    if op == "create" && status == 409 {
        return ItemOutcome::Exists;
    }
    // deleting what is not there (withdrawn twice, or never indexed) is done
    if op == "delete"
        && status == 404
        && r.get("result").and_then(Value::as_str) == Some("not_found")
    {
        return ItemOutcome::Written;
    }
    let error = r.get("error");
    let kind = error
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let reason = error
        .and_then(|e| e.get("reason"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let caused = error
        .and_then(|e| e.pointer("/caused_by/reason"))
        .and_then(Value::as_str)
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let message = format!("{status} {kind}: {reason}{caused}");
    match status {
        409 | 429 | 500..=599 => ItemOutcome::Retry(message),
        404 if kind == "index_not_found_exception" => ItemOutcome::Retry(message),
        _ => ItemOutcome::Rejected(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_withdrawal_is_one_delete_line_and_deleting_what_is_gone_is_done() {
        let a = Action::delete("ds-etds".into(), "etd:10919/1".into());
        let l = lines(&a);
        assert_eq!(l.len(), 1);
        let head: Value = serde_json::from_slice(&l[0]).expect("json");
        assert_eq!(
            head,
            json!({"delete": {"_index": "ds-etds", "_id": "etd:10919/1"}})
        );
        let body = json!({"items": [
            {"delete": {"_id": "a", "status": 200, "result": "deleted"}},
            {"delete": {"_id": "b", "status": 404, "result": "not_found"}},
        ]})
        .to_string();
        assert_eq!(
            read(200, body.as_bytes(), 2),
            Response::Items(vec![ItemOutcome::Written, ItemOutcome::Written])
        );
    }

    #[test]
    fn lines_are_an_update_with_upsert() {
        let mut a = Action::update(
            "ds-etds".into(),
            "etd:10919/\"1".into(),
            br#"{"title":"x"}"#.as_slice(),
        );
        let [head, doc]: [Bytes; 2] = lines(&a).try_into().expect("two lines");
        let head: Value = serde_json::from_slice(&head).expect("json");
        assert_eq!(head["update"]["_id"], "etd:10919/\"1");
        assert_eq!(head["update"]["_index"], "ds-etds");
        let doc: Value = serde_json::from_slice(&doc).expect("json");
        assert_eq!(doc, json!({"doc": {"title": "x"}, "doc_as_upsert": true}));
        a.create = true;
        let [head, doc]: [Bytes; 2] = lines(&a).try_into().expect("two lines");
        let head: Value = serde_json::from_slice(&head).expect("json");
        assert_eq!(head["create"]["_id"], "etd:10919/\"1");
        let doc: Value = serde_json::from_slice(&doc).expect("json");
        assert_eq!(doc, json!({"title": "x"}));
    }

    #[test]
    fn a_200_with_failed_items_is_read_item_by_item() {
        let body = json!({"errors": true, "items": [
            {"update": {"_id": "a", "status": 201, "result": "created"}},
            {"update": {"_id": "b", "status": 400, "error": {"type": "mapper_parsing_exception",
                "reason": "failed to parse field [year]", "caused_by": {"reason": "For input string: \"soon\""}}}},
            {"update": {"_id": "c", "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}},
            {"update": {"_id": "d", "status": 503, "error": {"type": "unavailable_shards_exception", "reason": "no shard"}}},
            {"update": {"_id": "e", "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "conflict"}}},
            {"create": {"_id": "f", "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "exists"}}}
        ]});
        let Response::Items(items) = read(200, body.to_string().as_bytes(), 6) else {
            panic!("expected items");
        };
        assert_eq!(items[0], ItemOutcome::Written);
        match &items[1] {
            ItemOutcome::Rejected(m) => {
                assert!(m.contains("mapper_parsing_exception"), "{m}");
                assert!(m.contains("soon"), "{m}");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert!(matches!(items[2], ItemOutcome::Retry(_)));
        assert!(matches!(items[3], ItemOutcome::Retry(_)));
        assert!(matches!(items[4], ItemOutcome::Retry(_)));
        assert_eq!(items[5], ItemOutcome::Exists);
    }

    #[test]
    fn whole_responses_are_sorted() {
        assert!(matches!(read(429, b"busy", 3), Response::RetryAll(_)));
        assert!(matches!(read(503, b"", 3), Response::RetryAll(_)));
        assert!(matches!(read(401, b"", 3), Response::RetryAll(_)));
        assert_eq!(read(413, b"", 3), Response::TooLarge);
        assert!(matches!(read(400, b"bad", 3), Response::RejectAll(_)));
        assert!(matches!(read(200, b"<html>", 3), Response::RetryAll(_)));
        let one = json!({"items": [{"update": {"status": 200}}]}).to_string();
        assert!(matches!(
            read(200, one.as_bytes(), 2),
            Response::RetryAll(_)
        ));
    }
}
