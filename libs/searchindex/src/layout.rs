//! The index layout: one index per collection behind an alias
//! (`<prefix>-etds` → `<prefix>-etds-v1`), so a rebuild fills a new index and swaps
//! the alias in one atomic step. Mappings and settings are explicit, in a composable
//! index template per collection (`<prefix>-etds-*`), created at start-up when
//! absent. Every mapping has `dynamic: false`: fields it does not know are kept in
//! `_source` but not indexed, so no document can add fields to the mapping.

use elasticsearch::http::response::Response;
use elasticsearch::indices::{
    IndicesCreateParts, IndicesExistsAliasParts, IndicesGetFieldMappingParts,
    IndicesPutIndexTemplateParts,
};
use elasticsearch::Elasticsearch;
use serde_json::{json, Value};

use crate::{EngineSettings, Error, Result, Vectors};

/// A collection of the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Etds,
    Tobacco,
}

impl Collection {
    pub const ALL: [Collection; 2] = [Collection::Etds, Collection::Tobacco];

    /// `etds` or `tobacco`, as in the documents' `collection` field.
    pub fn name(self) -> &'static str {
        match self {
            Self::Etds => "etds",
            Self::Tobacco => "tobacco",
        }
    }

    pub fn of(id: &contracts::DocId) -> Self {
        match id {
            contracts::DocId::Etd(_) => Self::Etds,
            contracts::DocId::Tobacco(_) => Self::Tobacco,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "etds" | "etd" => Some(Self::Etds),
            "tobacco" => Some(Self::Tobacco),
            _ => None,
        }
    }
}

/// Index names for one deployment (one prefix).
#[derive(Debug, Clone)]
pub struct Layout {
    pub prefix: String,
    pub shards: u32,
    pub replicas: u32,
    pub vectors: Vectors,
}

impl Layout {
    pub fn new(settings: &EngineSettings) -> Self {
        Self {
            prefix: settings.index_prefix.clone(),
            shards: settings.shards,
            replicas: settings.replicas,
            vectors: settings.vectors,
        }
    }

    /// The alias searches and writes go through: `<prefix>-etds`.
    pub fn alias(&self, c: Collection) -> String {
        format!("{}-{}", self.prefix, c.name())
    }

    /// A concrete index: `<prefix>-etds-<version>`.
    pub fn index(&self, c: Collection, version: &str) -> String {
        format!("{}-{}-{version}", self.prefix, c.name())
    }

    /// The index template of a collection: patterns, settings, mappings.
    pub fn template(&self, c: Collection) -> Value {
        let mut mappings = mappings(c);
        let mut settings = json!({
            "number_of_shards": self.shards,
            "number_of_replicas": self.replicas,
            "refresh_interval": "1s",
            "mapping": { "total_fields": { "limit": 200 } }
        });
        if let Some(field) = self.vectors.mapping() {
            mappings["properties"][crate::vectors::FIELD] = field;
        }
        if let Some((name, value)) = self.vectors.index_settings() {
            settings[name] = value;
        }
        json!({
            "index_patterns": [format!("{}-*", self.alias(c))],
            "priority": 200,
            "template": { "settings": settings, "mappings": mappings },
            "_meta": { "owner": "docstream indexer", "collection": c.name() }
        })
    }

    /// Creates the templates, and for each collection whose alias does not exist yet,
    /// its first index (`-v1`) with the alias. Safe to run from many instances.
    pub async fn ensure(&self, es: &Elasticsearch) -> Result<()> {
        for c in Collection::ALL {
            let name = self.alias(c);
            let r = es
                .indices()
                .put_index_template(IndicesPutIndexTemplateParts::Name(&name))
                .body(self.template(c))
                .send()
                .await?;
            check(r, &format!("put index template {name}")).await?;
            let exists = es
                .indices()
                .exists_alias(IndicesExistsAliasParts::Name(&[&name]))
                .send()
                .await?;
            if exists.status_code().is_success() {
                continue;
            }
            self.create_index(es, c, "v1", true).await?;
        }
        Ok(())
    }

    /// Creates `<prefix>-<collection>-<version>` from the template, with the alias
    /// when `with_alias`. An index that already exists is left as it is.
    pub async fn create_index(
        &self,
        es: &Elasticsearch,
        c: Collection,
        version: &str,
        with_alias: bool,
    ) -> Result<String> {
        let index = self.index(c, version);
        let body = if with_alias {
            json!({ "aliases": { self.alias(c): { "is_write_index": true } } })
        } else {
            json!({})
        };
        let r = es
            .indices()
            .create(IndicesCreateParts::Index(&index))
            .body(body)
            .send()
            .await?;
        let status = r.status_code().as_u16();
        let text = r.text().await.unwrap_or_default();
        // another instance won the race: fine
        if status == 400 && text.contains("resource_already_exists_exception") {
            return Ok(index);
        }
        if !(200..300).contains(&status) {
            return Err(Error::Refused {
                what: format!("create index {index}"),
                status,
                body: text,
            });
        }
        tracing::info!(index, alias = with_alias, "created index");
        Ok(index)
    }

    /// The vectors searches can use: [`Layout::vectors`], or `Off` when an existing
    /// index behind an alias was made without the embedding field (before it existed:
    /// a rebuild gives it one). An alias not created yet will get the field from the
    /// template, so it does not count.
    pub async fn vectors_in_use(&self, es: &Elasticsearch) -> Result<Vectors> {
        if self.vectors == Vectors::Off {
            return Ok(Vectors::Off);
        }
        for c in Collection::ALL {
            let alias = self.alias(c);
            let r = es
                .indices()
                .get_field_mapping(IndicesGetFieldMappingParts::IndexFields(
                    &[&alias],
                    &[crate::vectors::FIELD],
                ))
                .send()
                .await?;
            if r.status_code().as_u16() == 404 {
                continue;
            }
            let status = r.status_code().as_u16();
            let value: Value = r.json().await?;
            if !(200..300).contains(&status) {
                return Err(Error::Refused {
                    what: format!("the mapping of {alias}"),
                    status,
                    body: value.to_string(),
                });
            }
            let mapped = value.as_object().is_some_and(|indices| {
                !indices.is_empty()
                    && indices.values().all(|i| {
                        i.pointer(&format!("/mappings/{}", crate::vectors::FIELD))
                            .is_some()
                    })
            });
            if !mapped {
                tracing::warn!(
                    alias,
                    "the index has no embedding field (made before it existed): searches rank lexically until it is rebuilt"
                );
                return Ok(Vectors::Off);
            }
        }
        Ok(self.vectors)
    }

    /// The indices behind a collection's alias with their document counts, by name;
    /// empty when the alias does not exist yet.
    pub async fn behind(&self, es: &Elasticsearch, c: Collection) -> Result<Vec<(String, u64)>> {
        let alias = self.alias(c);
        let r = es
            .cat()
            .indices(elasticsearch::cat::CatIndicesParts::Index(&[&alias]))
            .format("json")
            .send()
            .await?;
        let status = r.status_code().as_u16();
        if status == 404 {
            return Ok(Vec::new());
        }
        let value: Value = r.json().await?;
        if !(200..300).contains(&status) {
            return Err(Error::Refused {
                what: format!("the indices of {alias}"),
                status,
                body: value.to_string(),
            });
        }
        let mut out: Vec<(String, u64)> = value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| {
                let name = i["index"].as_str()?.to_owned();
                let docs = i["docs.count"]
                    .as_str()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                Some((name, docs))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Points the collection's alias at `index` alone, in one atomic request.
    pub async fn swap(&self, es: &Elasticsearch, c: Collection, index: &str) -> Result<()> {
        let alias = self.alias(c);
        let r = es
            .indices()
            .update_aliases()
            .body(json!({ "actions": [
                { "remove": { "index": format!("{alias}-*"), "alias": alias } },
                { "add": { "index": index, "alias": alias, "is_write_index": true } }
            ]}))
            .send()
            .await?;
        check(r, &format!("point {alias} at {index}")).await
    }
}

async fn check(r: Response, what: &str) -> Result<()> {
    let status = r.status_code().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(Error::Refused {
        what: what.to_owned(),
        status,
        body: r.text().await.unwrap_or_default(),
    })
}

/// A facet: exact values, aggregatable.
fn keyword() -> Value {
    json!({ "type": "keyword", "ignore_above": 512 })
}

/// Searchable English text that is also a facet (`<field>.raw`).
fn text_and_keyword() -> Value {
    json!({ "type": "text", "analyzer": "english",
            "fields": { "raw": { "type": "keyword", "ignore_above": 512 } } })
}

fn english() -> Value {
    json!({ "type": "text", "analyzer": "english" })
}

fn date() -> Value {
    json!({ "type": "date", "format": "strict_date_optional_time||yyyy-MM||yyyy" })
}

/// Stored in `_source`, not searchable.
fn stored_only() -> Value {
    json!({ "type": "object", "enabled": false })
}

fn pages() -> Value {
    json!({ "properties": {
        "page": { "type": "integer" },
        "start": { "type": "integer", "index": false },
        "end": { "type": "integer", "index": false }
    }})
}

/// Set on a record the indexer created from a derived topic's fields alone (a summary,
/// a cluster, an embedding, recommendations) before or after its processed document;
/// the processed document clears it. Searches never show a record with it set.
pub const PIECES_ONLY: &str = "pieces_only";

/// The mappings of a collection: its processed document's fields, and the fields the
/// clusterer, summarizer and recommender own.
pub fn mappings(c: Collection) -> Value {
    let mut properties = json!({
        PIECES_ONLY: { "type": "boolean" },
        "id": keyword(),
        "collection": keyword(),
        "schema_version": { "type": "integer", "index": false },
        "title": text_and_keyword(),
        "pages": pages(),
        "page_count": { "type": "integer" },
        "year": { "type": "integer" },
        "source": stored_only(),
        // clusters
        "cluster": { "properties": {
            "id": keyword(), "label": keyword(), "model": keyword()
        }},
        // summaries
        "summary": english(),
        "summary_sections": { "properties": {
            "title": english(),
            "summary": english()
        }},
        "summary_model": keyword(),
        // recommendations
        "related": { "properties": {
            "id": keyword(), "score": { "type": "float", "index": false }
        }},
        "related_model": keyword(),
        // embeddings (the vector itself is the layout's: it differs by engine)
        "embedding_model": keyword()
    });
    let own = match c {
        Collection::Etds => json!({
            "authors": text_and_keyword(),
            "advisors": text_and_keyword(),
            "committee_members": text_and_keyword(),
            "department": keyword(),
            "degree": { "properties": {
                "name": keyword(), "level": keyword(),
                "discipline": keyword(), "grantor": keyword()
            }},
            "doc_type": keyword(),
            "date_issued": date(),
            "date_accessioned": date(),
            "subjects": text_and_keyword(),
            "abstract": english(),
            "handle": keyword(),
            "uri": { "type": "keyword", "index": false },
            "pdf_url": { "type": "keyword", "index": false },
            "language": keyword(),
            "rights": { "type": "text", "index": false },
            "publisher": keyword(),
            "fulltext": english(),
            "fulltext_status": keyword(),
            "fulltext_error": { "type": "text", "index": false },
            "sections": { "properties": {
                "title": english(), "offset": { "type": "integer", "index": false }
            }},
            "ocr_confidence": { "type": "float" }
        }),
        Collection::Tobacco => json!({
            "date": date(),
            "date_added": date(),
            "case": text_and_keyword(),
            "description": english(),
            "document_type": keyword(),
            "organizations": text_and_keyword(),
            "topics": text_and_keyword(),
            "witness": text_and_keyword(),
            "bates": { "properties": {
                "prefix": keyword(), "start": keyword(), "end": keyword()
            }},
            "availability": keyword(),
            "text": english(),
            "repairs": keyword()
        }),
    };
    if let (Some(p), Some(o)) = (properties.as_object_mut(), own.as_object()) {
        p.extend(o.clone());
    }
    json!({ "dynamic": false, "properties": properties })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            prefix: "docstream".into(),
            shards: 1,
            replicas: 0,
            vectors: Vectors::Knn,
        }
    }

    #[test]
    fn aliases_indices_and_patterns_line_up() {
        let l = layout();
        assert_eq!(l.alias(Collection::Etds), "docstream-etds");
        assert_eq!(l.index(Collection::Etds, "v1"), "docstream-etds-v1");
        let t = l.template(Collection::Tobacco);
        assert_eq!(t["index_patterns"], json!(["docstream-tobacco-*"]));
        // the alias itself never matches the pattern (it would become an index)
        assert!(!l.alias(Collection::Tobacco).ends_with('-'));
        assert_eq!(t.pointer("/template/settings/knn"), Some(&json!(true)));
        assert_eq!(
            t.pointer("/template/mappings/properties/embedding/type"),
            Some(&json!("knn_vector"))
        );
        let off = Layout {
            vectors: Vectors::Off,
            ..l
        }
        .template(Collection::Etds);
        assert!(off.pointer("/template/settings/knn").is_none());
        assert!(off
            .pointer("/template/mappings/properties/embedding")
            .is_none());
    }

    #[test]
    fn every_facet_is_a_keyword_and_unknown_fields_are_not_indexed() {
        for c in Collection::ALL {
            let m = mappings(c);
            assert_eq!(m["dynamic"], json!(false));
            assert_eq!(
                m["properties"]["cluster"]["properties"]["id"]["type"],
                "keyword"
            );
            assert_eq!(m["properties"]["source"]["enabled"], json!(false));
        }
        let etd = &mappings(Collection::Etds)["properties"];
        for facet in ["department", "doc_type", "handle", "language"] {
            assert_eq!(etd[facet]["type"], "keyword", "{facet}");
        }
        assert_eq!(etd["degree"]["properties"]["level"]["type"], "keyword");
        assert_eq!(etd["subjects"]["fields"]["raw"]["type"], "keyword");
        assert_eq!(etd["fulltext"]["analyzer"], "english");
        assert_eq!(etd["abstract"]["analyzer"], "english");
        let tob = &mappings(Collection::Tobacco)["properties"];
        assert_eq!(tob["document_type"]["type"], "keyword");
        assert_eq!(tob["organizations"]["fields"]["raw"]["type"], "keyword");
        assert_eq!(tob["description"]["analyzer"], "english");
        assert_eq!(tob["date"]["type"], "date");
    }

    #[test]
    fn mapped_fields_cover_the_processed_documents() {
        // every field a processed document carries has a mapping (else it would be
        // stored but silently unsearchable)
        let etd = serde_json::to_value(sample_etd()).expect("json");
        let m = mappings(Collection::Etds);
        for field in etd.as_object().expect("object").keys() {
            assert!(
                m["properties"].get(field).is_some(),
                "etds: {field} unmapped"
            );
        }
        let tob = serde_json::to_value(sample_tobacco()).expect("json");
        let m = mappings(Collection::Tobacco);
        for field in tob.as_object().expect("object").keys() {
            assert!(
                m["properties"].get(field).is_some(),
                "tobacco: {field} unmapped"
            );
        }
    }

    fn sample_etd() -> contracts::ProcessedEtd {
        serde_json::from_value(json!({
            "schema_version": 1, "id": "etd:10919/1", "collection": "etds", "title": "t",
            "authors": [], "advisors": [], "committee_members": [], "department": null,
            "degree": {"name": null, "level": null, "discipline": null, "grantor": null},
            "doc_type": "thesis", "date_issued": null, "year": null, "date_accessioned": null,
            "subjects": [], "abstract": null, "handle": "10919/1", "uri": null,
            "language": null, "rights": null, "publisher": null, "fulltext": null,
            "fulltext_status": "no_pdf", "fulltext_error": null, "page_count": null,
            "pages": [], "sections": [], "ocr_confidence": null, "source": {}
        }))
        .expect("a processed etd")
    }

    fn sample_tobacco() -> contracts::ProcessedTobacco {
        serde_json::from_value(json!({
            "schema_version": 1, "id": "tobacco:ab1", "collection": "tobacco",
            "title": null, "date": null, "year": null, "date_added": null, "case": null,
            "description": null, "document_type": null, "organizations": [], "topics": [],
            "witness": null, "bates": null, "page_count": null, "availability": null,
            "text": "", "pages": [], "repairs": [], "source": {}
        }))
        .expect("a processed tobacco document")
    }
}
