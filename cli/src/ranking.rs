//! `docstream eval ranking`: how well search ranks, measured on the library's own ETD
//! records with no hand labels. The records go into a fresh index of the product's
//! layout without their subject keywords; each keyword at least three records share is
//! a query, and the records tagged with it are its relevant documents (graded 0/1).
//! A second task finds known items: the first sentence of each abstract, its stop
//! words dropped, must find its own record. Every method runs through the product's
//! query builder (`searchindex::query`) against the real engine, in the same run:
//! BM25 with the default boosts, BM25 with boosts tuned on half of the queries,
//! semantic (the query's MiniLM embedding, k-NN in the engine), the engine's hybrid
//! (BM25 plus a weighted similarity, weight tuned) and a reciprocal rank fusion of
//! the two lists (weight tuned). The halves are fixed by a hash of the query, not
//! chosen. Printed: nDCG@10, MRR@10 and recall@100 per method on all queries, the
//! tuning half and the held-out half, the known-item MRR@10 and the time per query;
//! last `nDCG@10: best X (method), bm25 Y` over all subject queries, after the same
//! line for the held-out halves, on which the product's default is chosen. The
//! departments (each with three or more records) are a second query set beside the
//! subjects, measured and tuned on the same way: 22 subject queries alone, 11 per
//! half, move by a few hundredths when one query changes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use contracts::{DspaceRecord, OneOrMany};
use searchindex::query::{self, Boosts, Mode, Search};
use searchindex::{Collection, EngineSettings, Layout};
use serde_json::{json, Value};

/// Records a subject must have to be a query.
const MIN_RELEVANT: usize = 3;

/// Hits read per query (recall is at this depth).
const DEPTH: usize = 100;

/// The reciprocal rank fusion's constant (Cormack et al. 2009).
const RRF_K: f64 = 60.0;

/// One query with its relevant documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `subjects` or `departments`.
    pub set: &'static str,
    pub text: String,
    pub relevant: HashSet<String>,
    /// In the half boosts and weights are tuned on.
    pub tuning: bool,
}

/// A record as the eval indexes it: the id, the fields, the text embedded.
struct Record {
    id: String,
    source: Value,
    embedded: String,
}

fn joined(f: &Option<OneOrMany<String>>) -> String {
    f.as_ref().map(|v| v.to_vec().join(" ")).unwrap_or_default()
}

fn all(f: &Option<OneOrMany<String>>) -> Vec<String> {
    f.as_ref().map(OneOrMany::to_vec).unwrap_or_default()
}

/// The record's document without its subjects; `None` without an id or title.
fn record(r: &DspaceRecord) -> Option<Record> {
    let id = r.doc_id().ok()?.to_string();
    let title = joined(&r.title);
    if title.trim().is_empty() {
        return None;
    }
    let abstract_text = joined(&r.abstract_text);
    let year = r
        .date_issued
        .as_ref()
        .and_then(OneOrMany::first)
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse::<i64>().ok());
    // what the clusterer embeds for an ETD: title and abstract as sentences
    let embedded = [title.trim(), abstract_text.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(". ");
    let source = json!({
        "id": id, "collection": "etds", "title": title.trim(), "abstract": abstract_text.trim(),
        "authors": all(&r.authors), "department": joined(&r.department), "year": year,
    });
    Some(Record {
        id,
        source,
        embedded,
    })
}

/// A subject keyword as a query: lower case, spaces collapsed.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// FNV-1a: a stable hash, so the halves are the same on every machine and run.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Values that are not a subject or department.
const PLACEHOLDERS: &[&str] = &["not found", "none", "unknown", "n/a"];

/// The queries of one `set` of `records` (id, its values: subjects or departments):
/// every value at least [`MIN_RELEVANT`] records share, sorted, each in the half its
/// hash says.
pub fn queries_of(set: &'static str, records: &[(String, Vec<String>)]) -> Vec<Query> {
    let mut tagged: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for (id, values) in records {
        for s in values {
            let s = normalise(s);
            if !s.is_empty() && !PLACEHOLDERS.contains(&s.as_str()) {
                tagged.entry(s).or_default().insert(id.clone());
            }
        }
    }
    tagged
        .into_iter()
        .filter(|(_, ids)| ids.len() >= MIN_RELEVANT)
        .map(|(text, relevant)| Query {
            set,
            tuning: fnv(&text).is_multiple_of(2),
            text,
            relevant,
        })
        .collect()
}

/// Words a known-item query leaves out.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "being", "between", "both", "but", "by", "can", "could", "do", "does", "each", "for", "from",
    "had", "has", "have", "how", "however", "if", "in", "into", "is", "it", "its", "may", "more",
    "most", "much", "must", "no", "not", "of", "on", "one", "or", "other", "our", "over", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "under", "upon", "us", "use", "used", "using", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "will", "with", "within", "would",
];

/// The first sentence of `abstract_text` with its stop words and punctuation dropped
/// (the known-item query); `None` when fewer than three words are left.
pub fn known_item_query(abstract_text: &str) -> Option<String> {
    let text = abstract_text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '.' | '?' | '!')
                && text[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map_or(text.len(), |(i, _)| i);
    let words: Vec<String> = text[..end]
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(&w.as_str()))
        .collect();
    (words.len() >= 3).then(|| words.join(" "))
}

/// Binary-gain nDCG at `k` of a ranking.
pub fn ndcg(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    let gain = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, id)| relevant.contains(*id))
        .map(|(i, _)| gain(i))
        .sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(gain).sum();
    if ideal == 0.0 {
        0.0
    } else {
        dcg / ideal
    }
}

/// The reciprocal rank of the first relevant document in the top `k` (0 when none).
pub fn reciprocal_rank(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|id| relevant.contains(id))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// The share of the relevant documents in the top `k`.
pub fn recall(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| relevant.contains(*id))
        .count();
    found as f64 / relevant.len() as f64
}

/// Reciprocal rank fusion of a lexical and a semantic ranking, the semantic one
/// weighted by `weight`: each document scores `1/(60 + rank)` per list it is in.
pub fn fuse(lexical: &[String], semantic: &[String], weight: f64) -> Vec<String> {
    let mut score: HashMap<&str, f64> = HashMap::new();
    for (list, w) in [(lexical, 1.0), (semantic, weight)] {
        for (rank, id) in list.iter().enumerate() {
            *score.entry(id.as_str()).or_default() += w / (RRF_K + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(&str, f64)> = score.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    fused.into_iter().map(|(id, _)| id.to_owned()).collect()
}

/// The three figures of a method over a set of queries.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    ndcg: f64,
    mrr: f64,
    recall: f64,
}

fn figures<'a>(runs: impl Iterator<Item = (&'a Query, &'a Vec<String>)>) -> Figures {
    let (mut f, mut n) = (Figures::default(), 0usize);
    for (q, ranked) in runs {
        f.ndcg += ndcg(ranked, &q.relevant, 10);
        f.mrr += reciprocal_rank(ranked, &q.relevant, 10);
        f.recall += recall(ranked, &q.relevant, DEPTH);
        n += 1;
    }
    let n = n.max(1) as f64;
    Figures {
        ndcg: f.ndcg / n,
        mrr: f.mrr / n,
        recall: f.recall / n,
    }
}

/// The engine side: a fresh index of the product's layout, searched the product's way.
struct Engine {
    es: elasticsearch::Elasticsearch,
    layout: Layout,
    /// Searches run and the time they took, per method.
    timing: HashMap<String, (u32, f64)>,
}

impl Engine {
    async fn ranked(
        &mut self,
        method: &str,
        text: &str,
        mode: Mode,
        vector: Option<&[f32]>,
        boosts: Boosts,
        size: usize,
    ) -> Result<Vec<String>> {
        let s = Search {
            query: text.to_owned(),
            collection: Some(Collection::Etds),
            size,
            mode,
            vector: vector.map(<[f32]>::to_vec),
            boosts,
            ..Search::default()
        };
        let started = Instant::now();
        let found = query::search(&self.es, &self.layout, &s)
            .await
            .with_context(|| format!("{method} search for {text:?}"))?;
        let t = self.timing.entry(method.to_owned()).or_default();
        t.0 += 1;
        t.1 += started.elapsed().as_secs_f64();
        Ok(found.hits.into_iter().map(|h| h.id).collect())
    }
}

/// A method's rankings of the subject queries and of the known-item queries.
struct Run {
    name: String,
    subjects: Vec<Vec<String>>,
    known: Vec<Vec<String>>,
}

/// The queries with their embeddings, for the methods that rank by meaning.
struct ByMeaning<'a> {
    queries: &'a [Query],
    subject: &'a [Vec<f32>],
    known: &'a [Query],
    known_vectors: &'a [Vec<f32>],
}

impl ByMeaning<'_> {
    /// Every query ranked by `mode` with `boosts`, timed as `name`.
    async fn run(
        &self,
        engine: &mut Engine,
        name: &str,
        mode: Mode,
        boosts: Boosts,
    ) -> Result<Run> {
        let mut run = Run {
            name: name.to_owned(),
            subjects: Vec::new(),
            known: Vec::new(),
        };
        for (q, v) in self.queries.iter().zip(self.subject) {
            run.subjects.push(
                engine
                    .ranked(name, &q.text, mode, Some(v), boosts, DEPTH)
                    .await?,
            );
        }
        for (q, v) in self.known.iter().zip(self.known_vectors) {
            run.known.push(
                engine
                    .ranked(name, &q.text, mode, Some(v), boosts, 10)
                    .await?,
            );
        }
        Ok(run)
    }
}

/// What `eval ranking` needs.
pub struct RankingEval<'a> {
    pub etds: &'a Path,
    pub model_dir: &'a Path,
    pub engine: EngineSettings,
}

/// Runs the evaluation and prints it.
pub async fn run(eval: &RankingEval<'_>) -> Result<()> {
    let text = std::fs::read_to_string(eval.etds)
        .with_context(|| format!("read {}", eval.etds.display()))?;
    let raw: Vec<DspaceRecord> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a JSON array of DSpace records",
            eval.etds.display()
        )
    })?;
    let mut records = Vec::new();
    let mut tags = Vec::new();
    let mut departments = Vec::new();
    let mut known_queries = Vec::new();
    for r in &raw {
        let Some(rec) = record(r) else { continue };
        tags.push((rec.id.clone(), all(&r.subjects)));
        departments.push((rec.id.clone(), all(&r.department)));
        if let Some(q) = known_item_query(&joined(&r.abstract_text)) {
            known_queries.push(Query {
                set: "known items",
                tuning: false,
                relevant: HashSet::from([rec.id.clone()]),
                text: q,
            });
        }
        records.push(rec);
    }
    let mut queries = queries_of("subjects", &tags);
    queries.extend(queries_of("departments", &departments));
    anyhow::ensure!(
        queries.iter().any(|q| q.tuning && q.set == "subjects")
            && queries.iter().any(|q| !q.tuning && q.set == "subjects"),
        "{} records give {} subject queries (keywords shared by {MIN_RELEVANT} or more): too few for two halves",
        records.len(),
        queries.len()
    );
    let semantic = eval.engine.vectors != searchindex::Vectors::Off;
    let embedder = semantic
        .then(|| embed::Embedder::load(eval.model_dir, embed::Options::default()))
        .transpose()?;
    let started = Instant::now();
    let mut doc_vectors = Vec::new();
    let mut subject_vectors = Vec::new();
    let mut known_vectors = Vec::new();
    if let Some(embedder) = &embedder {
        let embed_all = |texts: Vec<&str>, out: &mut Vec<Vec<f32>>| -> Result<()> {
            for batch in texts.chunks(16) {
                out.extend(embedder.embed(batch)?);
            }
            Ok(())
        };
        embed_all(
            records.iter().map(|r| r.embedded.as_str()).collect(),
            &mut doc_vectors,
        )?;
        embed_all(
            queries.iter().map(|q| q.text.as_str()).collect(),
            &mut subject_vectors,
        )?;
        embed_all(
            known_queries.iter().map(|q| q.text.as_str()).collect(),
            &mut known_vectors,
        )?;
    }
    let embed_secs = started.elapsed().as_secs_f64();

    let es = eval.engine.client()?;
    let layout = Layout {
        prefix: format!("eval-ranking-{}", std::process::id()),
        shards: 1,
        replicas: 0,
        vectors: eval.engine.vectors,
    };
    layout.ensure(&es).await.context("create the eval index")?;
    let outcome = async {
        index(&es, &layout, &records, &doc_vectors).await?;
        let mut engine = Engine {
            es: es.clone(),
            layout: layout.clone(),
            timing: HashMap::new(),
        };
        evaluate(
            &mut engine,
            &queries,
            &known_queries,
            &subject_vectors,
            &known_vectors,
            (records.len(), embed_secs),
        )
        .await
    }
    .await;
    drop_layout(&es, &layout).await;
    outcome
}

/// Bulk-indexes the records (with their embeddings) and refreshes.
async fn index(
    es: &elasticsearch::Elasticsearch,
    layout: &Layout,
    records: &[Record],
    vectors: &[Vec<f32>],
) -> Result<()> {
    let alias = layout.alias(Collection::Etds);
    let mut body: Vec<elasticsearch::http::request::JsonBody<Value>> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let mut doc = r.source.clone();
        if let Some(v) = vectors.get(i) {
            doc[searchindex::vectors::FIELD] = json!(v);
        }
        body.push(json!({ "index": { "_id": r.id } }).into());
        body.push(doc.into());
    }
    let response = es
        .bulk(elasticsearch::BulkParts::Index(&alias))
        .refresh(elasticsearch::params::Refresh::True)
        .body(body)
        .send()
        .await?;
    let status = response.status_code();
    let value: Value = response.json().await?;
    anyhow::ensure!(
        status.is_success() && value["errors"] == json!(false),
        "bulk index into {alias}: {status}: {}",
        value.to_string().chars().take(600).collect::<String>()
    );
    Ok(())
}

/// Deletes the eval's index and templates (errors are only reported).
async fn drop_layout(es: &elasticsearch::Elasticsearch, layout: &Layout) {
    let pattern = format!("{}-*", layout.prefix);
    let deleted = es
        .indices()
        .delete(elasticsearch::indices::IndicesDeleteParts::Index(&[
            &pattern,
        ]))
        .send()
        .await;
    for c in Collection::ALL {
        let name = layout.alias(c);
        let _ = es
            .indices()
            .delete_index_template(
                elasticsearch::indices::IndicesDeleteIndexTemplateParts::Name(&name),
            )
            .send()
            .await;
    }
    if let Err(e) = deleted {
        eprintln!("could not delete {pattern}: {e}");
    }
}

/// The boosts of the search API before they were measured (#10's reasoning: title
/// ×3, abstract, summary, subjects and authors ×2, phrase ×2): the `bm25` row.
fn reasoned() -> Boosts {
    Boosts {
        title: 3.0,
        abstract_: 2.0,
        summary: 2.0,
        subjects: 2.0,
        people: 2.0,
        phrase: 2.0,
        semantic: 0.0,
    }
}

/// The boosts tried when tuning BM25.
fn boost_grid() -> Vec<Boosts> {
    let mut grid = Vec::new();
    for title in [1.0, 3.0, 6.0] {
        for abstract_ in [1.0, 2.0, 4.0] {
            for people in [1.0, 2.0] {
                for phrase in [0.0, 2.0, 4.0] {
                    grid.push(Boosts {
                        title,
                        abstract_,
                        people,
                        phrase,
                        ..Boosts::default()
                    });
                }
            }
        }
    }
    grid
}

fn describe(b: &Boosts) -> String {
    format!(
        "title {} abstract {} authors {} phrase {}",
        b.title, b.abstract_, b.people, b.phrase
    )
}

async fn evaluate(
    engine: &mut Engine,
    queries: &[Query],
    known: &[Query],
    subject_vectors: &[Vec<f32>],
    known_vectors: &[Vec<f32>],
    (records, embed_secs): (usize, f64),
) -> Result<()> {
    let tuning: Vec<&Query> = queries.iter().filter(|q| q.tuning).collect();
    let count = |set: &str, tuning: bool| {
        queries
            .iter()
            .filter(|q| q.set == set && q.tuning == tuning)
            .count()
    };
    println!(
        "{records} records indexed without their subjects; {} subject queries ({} tuning, {} held out), {} department queries ({} tuning, {} held out), {} known-item queries; embedded in {embed_secs:.1}s",
        count("subjects", true) + count("subjects", false),
        count("subjects", true),
        count("subjects", false),
        count("departments", true) + count("departments", false),
        count("departments", true),
        count("departments", false),
        known.len()
    );
    // rank a query set with a lexical method
    async fn lexical(
        engine: &mut Engine,
        name: &str,
        qs: &[&Query],
        boosts: Boosts,
        size: usize,
    ) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        for q in qs {
            out.push(
                engine
                    .ranked(name, &q.text, Mode::Lexical, None, boosts, size)
                    .await?,
            );
        }
        Ok(out)
    }
    let tuning_ndcg = |ranked: &[Vec<String>]| figures(tuning.iter().copied().zip(ranked)).ndcg;

    // BM25's boosts, tuned on the tuning half
    let mut best = (Boosts::default(), f64::MIN);
    for b in boost_grid() {
        let ranked = lexical(engine, "tuning", &tuning, b, 10).await?;
        let score = tuning_ndcg(&ranked);
        if score > best.1 + 1e-9 {
            best = (b, score);
        }
    }
    let tuned = best.0;
    let subjects: Vec<&Query> = queries.iter().collect();
    let known_refs: Vec<&Query> = known.iter().collect();
    let mut runs = vec![
        Run {
            name: "bm25".into(),
            subjects: lexical(engine, "bm25", &subjects, reasoned(), DEPTH).await?,
            known: lexical(engine, "bm25", &known_refs, reasoned(), 10).await?,
        },
        Run {
            name: "bm25-tuned".into(),
            subjects: lexical(engine, "bm25-tuned", &subjects, tuned, DEPTH).await?,
            known: lexical(engine, "bm25-tuned", &known_refs, tuned, 10).await?,
        },
    ];
    println!(
        "bm25-tuned: {} (nDCG@10 {:.3} on the tuning half)",
        describe(&tuned),
        best.1
    );
    if !subject_vectors.is_empty() {
        let with_vectors = ByMeaning {
            queries,
            subject: subject_vectors,
            known,
            known_vectors,
        };
        let semantic = with_vectors
            .run(engine, "semantic", Mode::Semantic, tuned)
            .await?;
        // the engine's hybrid: BM25 (tuned boosts) + weight × similarity
        let tuning_vectors: Vec<&Vec<f32>> = queries
            .iter()
            .zip(subject_vectors)
            .filter(|(q, _)| q.tuning)
            .map(|(_, v)| v)
            .collect();
        let mut best_weight = (0.0, f64::MIN);
        for weight in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0] {
            let b = Boosts {
                semantic: weight,
                ..tuned
            };
            let mut ranked = Vec::new();
            for (q, v) in tuning.iter().zip(&tuning_vectors) {
                ranked.push(
                    engine
                        .ranked("tuning", &q.text, Mode::Hybrid, Some(v), b, 10)
                        .await?,
                );
            }
            let score = tuning_ndcg(&ranked);
            if score > best_weight.1 + 1e-9 {
                best_weight = (weight, score);
            }
        }
        let hybrid_boosts = Boosts {
            semantic: best_weight.0,
            ..tuned
        };
        println!(
            "hybrid: bm25-tuned + {} × similarity (nDCG@10 {:.3} on the tuning half)",
            best_weight.0, best_weight.1
        );
        let hybrid = with_vectors
            .run(engine, "hybrid", Mode::Hybrid, hybrid_boosts)
            .await?;
        // reciprocal rank fusion of bm25-tuned and semantic, the weight tuned
        let lexical_run = &runs[1];
        let tuning_index: Vec<usize> = (0..queries.len()).filter(|&i| queries[i].tuning).collect();
        let mut best_rrf = (0.0, f64::MIN);
        for weight in [0.25, 0.5, 1.0, 2.0, 4.0] {
            let ranked: Vec<Vec<String>> = tuning_index
                .iter()
                .map(|&i| fuse(&lexical_run.subjects[i], &semantic.subjects[i], weight))
                .collect();
            let score = tuning_ndcg(&ranked);
            if score > best_rrf.1 + 1e-9 {
                best_rrf = (weight, score);
            }
        }
        println!(
            "rrf: bm25-tuned and semantic fused, semantic weight {} (nDCG@10 {:.3} on the tuning half)",
            best_rrf.0, best_rrf.1
        );
        let rrf = Run {
            name: "rrf".into(),
            subjects: (0..queries.len())
                .map(|i| fuse(&lexical_run.subjects[i], &semantic.subjects[i], best_rrf.0))
                .collect(),
            known: (0..known.len())
                .map(|i| fuse(&lexical_run.known[i], &semantic.known[i], best_rrf.0))
                .collect(),
        };
        runs.extend([semantic, hybrid, rrf]);
        // what the search API does by default, to check it is what was measured
        let product = Search::default();
        let mut run = with_vectors
            .run(engine, "product", product.mode, product.boosts)
            .await?;
        run.name = format!("product ({})", product.mode.name());
        runs.push(run);
    } else {
        println!("DOCSTREAM_ES_VECTORS=off: the semantic methods are left out");
    }
    print_table(engine, queries, known, &runs);
    Ok(())
}

/// The figures of a run over the queries `keep` admits.
fn select(queries: &[Query], run: &Run, keep: impl Fn(&Query) -> bool) -> Figures {
    figures(queries.iter().zip(&run.subjects).filter(|(q, _)| keep(q)))
}

fn print_table(engine: &Engine, queries: &[Query], known: &[Query], runs: &[Run]) {
    let ms = |m: &str| {
        engine
            .timing
            .get(m)
            .map_or(0.0, |(n, s)| 1000.0 * s / f64::from((*n).max(1)))
    };
    for set in ["subjects", "departments"] {
        println!(
            "{set:<20} {:>23} {:>23} {:>23}",
            "nDCG@10 all/tune/held", "MRR@10 all/tune/held", "R@100 all/tune/held"
        );
        for run in runs {
            let pick = |tuning: Option<bool>| {
                select(queries, run, |q| {
                    q.set == set && tuning.is_none_or(|t| q.tuning == t)
                })
            };
            let (a, t, h) = (pick(None), pick(Some(true)), pick(Some(false)));
            println!(
                "  {:<18} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3}",
                run.name, a.ndcg, t.ndcg, h.ndcg, a.mrr, t.mrr, h.mrr, a.recall, t.recall, h.recall
            );
        }
    }
    println!(
        "{:<20} {:>10} {:>10} {:>9}",
        "", "held nDCG", "known MRR", "ms/query"
    );
    let mut held_best = (f64::MIN, String::new());
    let mut all_best = (f64::MIN, String::new());
    let (mut bm25_all, mut bm25_held) = (0.0, 0.0);
    for run in runs {
        // both sets' held-out halves: what the product's default is chosen on
        let held = select(queries, run, |q| !q.tuning).ndcg;
        let all = select(queries, run, |q| q.set == "subjects").ndcg;
        let known_mrr = figures(known.iter().zip(&run.known)).mrr;
        // rrf reuses the searches of bm25-tuned and semantic: the sum of their times
        let per_query = match run.name.as_str() {
            "rrf" => ms("bm25-tuned") + ms("semantic"),
            name if name.starts_with("product") => ms("product"),
            name => ms(name),
        };
        println!(
            "  {:<18} {held:>10.3} {known_mrr:>10.3} {per_query:>9.1}",
            run.name
        );
        if run.name == "bm25" {
            (bm25_all, bm25_held) = (all, held);
        }
        // the product's row repeats a method; it does not compete
        if run.name.starts_with("product") {
            continue;
        }
        if held > held_best.0 {
            held_best = (held, run.name.clone());
        }
        if all > all_best.0 {
            all_best = (all, run.name.clone());
        }
    }
    println!(
        "nDCG@10 (held-out halves, subjects and departments): best {:.3} ({}), bm25 {bm25_held:.3}",
        held_best.0, held_best.1
    );
    println!(
        "nDCG@10: best {:.3} ({}), bm25 {bm25_all:.3}",
        all_best.0, all_best.1
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn metrics_count_relevant_documents_by_rank() {
        let rel: HashSet<String> = ids(&["a", "b"]).into_iter().collect();
        let perfect = ids(&["a", "b", "c"]);
        assert!((ndcg(&perfect, &rel, 10) - 1.0).abs() < 1e-9);
        let second = ids(&["c", "a"]);
        // one of two at rank 2: (1/log2 3) / (1 + 1/log2 3)
        let want = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((ndcg(&second, &rel, 10) - want).abs() < 1e-9);
        assert!((reciprocal_rank(&second, &rel, 10) - 0.5).abs() < 1e-9);
        assert_eq!(reciprocal_rank(&second, &rel, 1), 0.0);
        assert!((recall(&second, &rel, 100) - 0.5).abs() < 1e-9);
        assert_eq!(ndcg(&ids(&["x"]), &rel, 10), 0.0);
    }

    #[test]
    fn subjects_shared_by_three_records_are_queries_in_fixed_halves() {
        let records = vec![
            ("1".to_owned(), ids(&["Machine  Learning", "Design"])),
            ("2".to_owned(), ids(&["machine learning"])),
            ("3".to_owned(), ids(&["MACHINE LEARNING", "design"])),
            ("4".to_owned(), ids(&["design"])),
            ("5".to_owned(), ids(&["rare"])),
        ];
        let q = queries_of("subjects", &records);
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].text, "design");
        assert_eq!(q[1].relevant.len(), 3);
        assert_eq!(
            q,
            queries_of("subjects", &records),
            "the halves do not change"
        );
    }

    #[test]
    fn a_known_item_query_is_the_first_sentence_without_stop_words() {
        assert_eq!(
            known_item_query("The goal of this study was to explore the effects. More text.")
                .as_deref(),
            Some("goal study explore effects")
        );
        assert_eq!(
            known_item_query("Values of 3.5 and 4.2 in the field of nuclear physics, measured")
                .as_deref(),
            Some("values 3.5 4.2 field nuclear physics measured")
        );
        assert_eq!(known_item_query("It is so."), None);
    }

    #[test]
    fn fusion_rewards_documents_both_lists_rank_high() {
        let lexical = ids(&["a", "b", "c"]);
        let semantic = ids(&["c", "d", "a"]);
        assert_eq!(fuse(&lexical, &semantic, 1.0), ids(&["a", "c", "b", "d"]));
        // a heavy semantic weight puts its first first
        assert_eq!(fuse(&lexical, &semantic, 4.0)[0], "c");
    }
}
