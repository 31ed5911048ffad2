//! From a message to the partial update the indexer writes. Each input topic owns
//! its own fields: a processed document writes its fields, a cluster assignment only
//! `cluster`, a summary only `summary`, `summary_sections` and `summary_model`, recommendations only `related`, an
//! embedding only `embedding` and `embedding_model` (the vector semantic search ranks by); every write is
//! an update with `doc_as_upsert`, so pieces can arrive in any order and reprocessing
//! one never erases another's.

use bytes::Bytes;
use contracts::{
    decode, ClusterAssignment, Contract, DocId, Embedding, ProcessedEtd, ProcessedTobacco,
    Recommendation, Summary,
};
use searchindex::{Collection, Layout};
use serde_json::json;

/// What an input topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ProcessedEtds,
    ProcessedTobacco,
    Clusters,
    Summaries,
    Recommendations,
    Embeddings,
}

/// One write: the document `id` in `index` gets the fields of `fields`, as a partial
/// update with `doc_as_upsert`. A processed document is first sent as a `create`:
/// when the document is new (the usual case) that is a plain index operation, which
/// costs the engine less than an upsert (loadtest index: ~6,500 against ~5,700
/// docs/s); when it exists already (reprocessed, or a summary got there first) the
/// engine answers 409 and the writer sends it again as the partial update. Either
/// way the result is the same and no other topic's fields are touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub index: String,
    pub id: String,
    /// The fields, one JSON object on one line (retries share it).
    pub fields: Bytes,
    /// Try `create` first.
    pub create: bool,
    /// Delete the document (a withdrawal: its processed document's tombstone).
    pub delete: bool,
    /// The record to create when the document is not there (a derived topic's
    /// fields, marked pieces-only); `None`: the fields themselves.
    pub upsert: Option<Bytes>,
}

impl Action {
    /// A partial update of `id` in `index` with `fields`.
    pub fn update(index: String, id: String, fields: impl Into<Bytes>) -> Self {
        Self {
            index,
            id,
            fields: fields.into(),
            create: false,
            delete: false,
            upsert: None,
        }
    }

    /// The deletion of `id` from `index`.
    pub fn delete(index: String, id: String) -> Self {
        Self {
            delete: true,
            ..Self::update(index, id, Bytes::new())
        }
    }

    /// The bulk line of the partial update: `{"doc":<fields>,"doc_as_upsert":true}`,
    /// or `{"doc":<fields>,"upsert":<record>}` for a derived topic's fields.
    pub fn update_line(&self) -> Bytes {
        let mut doc = Vec::with_capacity(self.fields.len() * 2 + 32);
        doc.extend_from_slice(br#"{"doc":"#);
        doc.extend_from_slice(&self.fields);
        match &self.upsert {
            Some(u) => {
                doc.extend_from_slice(br#","upsert":"#);
                doc.extend_from_slice(u);
                doc.push(b'}');
            }
            None => doc.extend_from_slice(br#","doc_as_upsert":true}"#),
        }
        doc.into()
    }
}

/// What the indexer checks of a processed document: its envelope. The engine's
/// mapping checks the fields' types (a mismatch is dead-lettered with its error), so
/// the ~50 KB of full text is scanned, never copied into a typed document.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    schema_version: u32,
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    collection: std::borrow::Cow<'a, str>,
}

/// The id of a processed document of `collection`, after checking its envelope
/// against contract `T`.
fn processed<T: Contract>(payload: &[u8], collection: Collection) -> Result<DocId, String> {
    let e: Envelope<'_> = serde_json::from_slice(payload)
        .map_err(|e| format!("not valid json for {}: {e}", T::TYPE))?;
    if e.schema_version > T::SCHEMA_VERSION {
        return Err(format!(
            "{} schema version {} is newer than {} this indexer reads",
            T::TYPE,
            e.schema_version,
            T::SCHEMA_VERSION
        ));
    }
    let id: DocId = e.id.parse().map_err(|e: contracts::Error| e.to_string())?;
    if Collection::of(&id) != collection || e.collection != collection.name() {
        return Err(format!(
            "{id} (collection {:?}) does not belong on a {} topic",
            e.collection,
            T::TYPE
        ));
    }
    Ok(id)
}

/// Where writes of a collection go: its alias, or during a rebuild a new index.
#[derive(Debug, Clone)]
pub struct Targets {
    pub etds: String,
    pub tobacco: String,
}

impl Targets {
    /// The aliases, or with `version` the indices `<prefix>-<collection>-<version>`.
    pub fn new(layout: &Layout, version: Option<&str>) -> Self {
        let name = |c| match version {
            Some(v) => layout.index(c, v),
            None => layout.alias(c),
        };
        Self {
            etds: name(Collection::Etds),
            tobacco: name(Collection::Tobacco),
        }
    }

    fn of(&self, id: &DocId) -> &str {
        match Collection::of(id) {
            Collection::Etds => &self.etds,
            Collection::Tobacco => &self.tobacco,
        }
    }
}

/// What one message comes to: a write, or nothing (the tombstone of a derived topic:
/// the document's own tombstone deleted it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Todo {
    Write(Action),
    Nothing,
}

/// The key of a message: a document id.
fn key_of(key: Option<&[u8]>) -> Result<DocId, String> {
    let key = key
        .ok_or("message has no key (the document id)")
        .and_then(|k| std::str::from_utf8(k).map_err(|_| "key is not UTF-8"))?;
    key.parse().map_err(|e: contracts::Error| e.to_string())
}

/// What to do for one message (`payload` `None`: a tombstone), or why it can never be
/// indexed. A processed document's tombstone (a withdrawal) deletes the document; a
/// derived topic's tombstone (its producer forgetting a withdrawn document) needs
/// nothing more.
pub fn todo(
    kind: Kind,
    key: Option<&[u8]>,
    payload: Option<&[u8]>,
    targets: &Targets,
) -> Result<Todo, String> {
    let Some(payload) = payload else {
        let id = key_of(key)?;
        return Ok(match kind {
            Kind::ProcessedEtds | Kind::ProcessedTobacco => {
                let expected = if kind == Kind::ProcessedEtds {
                    Collection::Etds
                } else {
                    Collection::Tobacco
                };
                if Collection::of(&id) != expected {
                    return Err(format!(
                        "a tombstone for {id} on a {} topic",
                        expected.name()
                    ));
                }
                Todo::Write(Action::delete(targets.of(&id).to_owned(), id.to_string()))
            }
            _ => Todo::Nothing,
        });
    };
    action(kind, key, payload, targets).map(Todo::Write)
}

/// The update for one message, or why it can never be indexed.
pub fn action(
    kind: Kind,
    key: Option<&[u8]>,
    payload: &[u8],
    targets: &Targets,
) -> Result<Action, String> {
    let key = key_of(key)?;
    let create = matches!(kind, Kind::ProcessedEtds | Kind::ProcessedTobacco);
    let (id, doc) = match kind {
        // the payload is the document: index it as sent (on one line), clearing the
        // mark of a record its derived pieces made first
        Kind::ProcessedEtds => (
            processed::<ProcessedEtd>(payload, Collection::Etds)?,
            clearing_pieces(&one_line(payload)),
        ),
        Kind::ProcessedTobacco => (
            processed::<ProcessedTobacco>(payload, Collection::Tobacco)?,
            clearing_pieces(&one_line(payload)),
        ),
        Kind::Clusters => {
            let c: ClusterAssignment = decode(payload).map_err(|e| e.to_string())?;
            let fields = json!({
                "cluster": { "id": c.cluster_id, "label": c.cluster_label, "model": c.model }
            });
            derived(c.id, fields)
        }
        Kind::Summaries => {
            let s: Summary = decode(payload).map_err(|e| e.to_string())?;
            derived(
                s.id,
                json!({
                    "summary": s.summary,
                    "summary_sections": s.sections,
                    "summary_model": s.model
                }),
            )
        }
        Kind::Recommendations => {
            let r: Recommendation = decode(payload).map_err(|e| e.to_string())?;
            derived(
                r.id,
                json!({ "related": r.related, "related_model": r.model }),
            )
        }
        Kind::Embeddings => {
            let e: Embedding = decode(payload).map_err(|e| e.to_string())?;
            if e.vector.len() != searchindex::vectors::DIMENSIONS {
                return Err(format!(
                    "embedding of {} has {} dimensions, the index {}",
                    e.id,
                    e.vector.len(),
                    searchindex::vectors::DIMENSIONS
                ));
            }
            // the embedded text stays on the topic: the trainer's, not the index's
            derived(
                e.id,
                json!({ searchindex::vectors::FIELD: e.vector, "embedding_model": e.model }),
            )
        }
    };
    if id != key {
        return Err(format!("key {key} does not match the document id {id}"));
    }
    let upsert = (!create).then(|| {
        // a derived topic's fields create a record only its pieces made: hidden
        let mut record: serde_json::Value = serde_json::from_slice(&doc).unwrap_or_default();
        record[searchindex::layout::PIECES_ONLY] = true.into();
        Bytes::from(record.to_string())
    });
    Ok(Action {
        create,
        upsert,
        ..Action::update(targets.of(&id).to_owned(), id.to_string(), doc.into_owned())
    })
}

/// A processed document's fields with the pieces-only mark cleared (`null`), so a
/// record its summary or cluster created first becomes a document searches show.
fn clearing_pieces(fields: &[u8]) -> std::borrow::Cow<'static, [u8]> {
    let at = fields.iter().position(|b| *b == b'{').map_or(0, |i| i + 1);
    let mut out = Vec::with_capacity(fields.len() + 24);
    out.extend_from_slice(&fields[..at]);
    let empty = fields[at..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let sep = if empty { "" } else { "," };
    out.extend_from_slice(format!("\"{}\":null{sep}", searchindex::layout::PIECES_ONLY).as_bytes());
    out.extend_from_slice(&fields[at..]);
    out.into()
}

/// A derived topic's own fields, with the id and collection every document carries
/// (so one created by them alone can be filtered by collection).
fn derived(id: DocId, mut fields: serde_json::Value) -> (DocId, std::borrow::Cow<'static, [u8]>) {
    fields["id"] = id.to_string().into();
    fields["collection"] = id.collection().into();
    (id, fields.to_string().into_bytes().into())
}

/// JSON whose line breaks are all whitespace between tokens (strings escape theirs),
/// so replacing them with spaces keeps it equal and fits it on one bulk line.
fn one_line(payload: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    // slice::contains on bytes is a memchr
    if !payload.contains(&b'\n') && !payload.contains(&b'\r') {
        return payload.into();
    }
    payload
        .iter()
        .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
        .collect::<Vec<u8>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn targets() -> Targets {
        Targets::new(
            &Layout {
                prefix: "ds".into(),
                shards: 1,
                replicas: 0,
                vectors: searchindex::Vectors::Knn,
            },
            None,
        )
    }

    fn tobacco(id: &str) -> Vec<u8> {
        serde_json::to_vec_pretty(&json!({
            "schema_version": 1, "id": id, "collection": "tobacco",
            "title": "A memo", "date": "2000-03-15", "year": 2000, "date_added": null,
            "case": null, "description": null, "document_type": "memo",
            "organizations": ["Acme"], "topics": [], "witness": null, "bates": null,
            "page_count": 1, "availability": null, "text": "line one\nline two",
            "pages": [{"page": 1, "start": 0, "end": 17}], "repairs": [], "source": {}
        }))
        .expect("json")
    }

    #[test]
    fn processed_documents_are_indexed_as_sent_on_one_line() {
        let p = tobacco("tobacco:ab1");
        let a =
            action(Kind::ProcessedTobacco, Some(b"tobacco:ab1"), &p, &targets()).expect("valid");
        assert_eq!(a.index, "ds-tobacco");
        assert_eq!(a.id, "tobacco:ab1");
        assert!(a.create, "a processed document is created first");
        assert!(!&a.fields.contains(&b'\n'));
        let mut back: Value = serde_json::from_slice(&a.fields).expect("json");
        // as sent, with the mark of a pieces-only record cleared
        assert_eq!(
            back.as_object_mut().and_then(|o| o.remove("pieces_only")),
            Some(Value::Null)
        );
        let orig: Value = serde_json::from_slice(&p).expect("json");
        assert_eq!(back, orig);
        assert_eq!(back["text"], "line one\nline two");
        assert!(a.upsert.is_none(), "a processed document is its own record");
    }

    #[test]
    fn a_derived_piece_creates_a_hidden_record_and_a_tombstone_deletes_or_does_nothing() {
        let c = json!({"schema_version": 1, "id": "etd:10919/5", "cluster_id": "c7",
                       "cluster_label": "networks", "model": "kmeans-1"})
        .to_string();
        let a = action(
            Kind::Clusters,
            Some(b"etd:10919/5"),
            c.as_bytes(),
            &targets(),
        )
        .expect("valid");
        let line: Value = serde_json::from_slice(&a.update_line()).expect("json");
        assert_eq!(line["upsert"]["pieces_only"], true);
        assert!(
            line["doc"].get("pieces_only").is_none(),
            "an existing document stays shown"
        );
        assert_eq!(line["doc"]["cluster"]["id"], "c7");
        assert!(line.get("doc_as_upsert").is_none());
        let gone =
            todo(Kind::ProcessedEtds, Some(b"etd:10919/5"), None, &targets()).expect("tombstone");
        assert!(
            matches!(&gone, Todo::Write(a) if a.delete && a.id == "etd:10919/5"),
            "{gone:?}"
        );
        assert_eq!(
            todo(Kind::Summaries, Some(b"etd:10919/5"), None, &targets()).expect("tombstone"),
            Todo::Nothing
        );
        assert!(todo(
            Kind::ProcessedTobacco,
            Some(b"etd:10919/5"),
            None,
            &targets()
        )
        .is_err());
        assert!(todo(Kind::ProcessedEtds, Some(b"not an id"), None, &targets()).is_err());
        assert_eq!(clearing_pieces(b"{}").as_ref(), br#"{"pieces_only":null}"#);
    }

    #[test]
    fn derived_topics_write_only_their_own_fields() {
        let c = json!({"schema_version": 1, "id": "etd:10919/5", "cluster_id": "c7",
                       "cluster_label": "networks", "model": "kmeans-1"});
        let a = action(
            Kind::Clusters,
            Some(b"etd:10919/5"),
            c.to_string().as_bytes(),
            &targets(),
        )
        .expect("valid");
        assert_eq!(a.index, "ds-etds");
        assert!(!a.create, "derived fields are only ever partial updates");
        let doc: Value = serde_json::from_slice(&a.fields).expect("json");
        assert_eq!(doc["cluster"]["id"], "c7");
        let mut keys: Vec<_> = doc.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["cluster", "collection", "id"]);

        let s = json!({"schema_version": 1, "id": "tobacco:ab1", "summary": "short", "model": "m"});
        let a = action(
            Kind::Summaries,
            Some(b"tobacco:ab1"),
            s.to_string().as_bytes(),
            &targets(),
        )
        .expect("valid");
        let doc: Value = serde_json::from_slice(&a.fields).expect("json");
        assert_eq!(doc["summary"], "short");
        assert!(doc.get("title").is_none());
        // schema 2: a thesis's chapters
        let s = json!({"schema_version": 2, "id": "etd:10919/5", "model": "m",
                       "sections": [{"title": "Results", "summary": "It works."}]});
        let a = action(
            Kind::Summaries,
            Some(b"etd:10919/5"),
            s.to_string().as_bytes(),
            &targets(),
        )
        .expect("valid");
        let doc: Value = serde_json::from_slice(&a.fields).expect("json");
        assert_eq!(doc["summary_sections"][0]["title"], "Results");
        assert!(doc["summary"].is_null());

        let r = json!({"schema_version": 1, "id": "tobacco:ab1", "model": "als",
                       "related": [{"id": "tobacco:cd2", "score": 0.5}]});
        let a = action(
            Kind::Recommendations,
            Some(b"tobacco:ab1"),
            r.to_string().as_bytes(),
            &targets(),
        )
        .expect("valid");
        let doc: Value = serde_json::from_slice(&a.fields).expect("json");
        assert_eq!(doc["related"][0]["id"], "tobacco:cd2");
    }

    #[test]
    fn an_embedding_writes_its_vector_not_its_text() {
        let vector = vec![0.05f32; searchindex::vectors::DIMENSIONS];
        let e = json!({"schema_version": 1, "id": "etd:10919/5", "collection": "etds",
                       "model": "all-MiniLM-L6-v2", "vector": vector, "text": "A title. An abstract",
                       "assigned_with": null});
        let a = action(
            Kind::Embeddings,
            Some(b"etd:10919/5"),
            e.to_string().as_bytes(),
            &targets(),
        )
        .expect("valid");
        let doc: Value = serde_json::from_slice(&a.fields).expect("json");
        assert_eq!(doc["embedding"].as_array().map(Vec::len), Some(384));
        assert_eq!(doc["embedding_model"], "all-MiniLM-L6-v2");
        assert!(doc.get("text").is_none());
        let short = json!({"schema_version": 1, "id": "etd:10919/5", "collection": "etds",
                           "model": "m", "vector": [0.1, 0.2], "text": "", "assigned_with": null});
        let e = action(
            Kind::Embeddings,
            Some(b"etd:10919/5"),
            short.to_string().as_bytes(),
            &targets(),
        )
        .expect_err("wrong size");
        assert!(e.contains("2 dimensions"), "{e}");
    }

    #[test]
    fn bad_messages_say_why() {
        let t = targets();
        let p = tobacco("tobacco:ab1");
        let e = action(Kind::ProcessedTobacco, None, &p, &t).expect_err("no key");
        assert!(e.contains("no key"), "{e}");
        let e = action(Kind::ProcessedTobacco, Some(b"tobacco:zz9"), &p, &t).expect_err("mismatch");
        assert!(e.contains("does not match"), "{e}");
        let e = action(Kind::ProcessedEtds, Some(b"tobacco:ab1"), &p, &t).expect_err("wrong topic");
        assert!(!e.is_empty());
        let e = action(Kind::ProcessedTobacco, Some(b"tobacco:ab1"), b"{nope", &t)
            .expect_err("bad json");
        assert!(!e.is_empty());
        let e = action(Kind::Summaries, Some(b"nonsense"), b"{}", &t).expect_err("bad key");
        assert!(!e.is_empty());
    }
}
