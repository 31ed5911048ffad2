//! `docstream eval`: quality measured, not claimed. `eval clusters` embeds title and
//! abstract of DSpace ETD records, clusters them three ways at the same k, and prints
//! the normalised mutual information of each clustering against the records'
//! departments: the clusterer's method (spherical k-means fitted on a bounded sample,
//! every record then assigned to its nearest centroid), offline spherical k-means on
//! every embedding, and a TF-IDF + k-means baseline. One line per seed, the cluster
//! labels of the first seed, and last `NMI vs department: clusterer X, tf-idf
//! baseline Y` (means over the seeds). `eval summaries` summarises the body of each
//! ACLSum paper of a split with the summarizer's method and its budget set to the
//! abstract's length, and prints ROUGE-1, ROUGE-2 and ROUGE-L F1 against the abstract
//! for it, for Lead and for a plain TF-IDF TextRank (no MMR, no boilerplate filter);
//! last `ROUGE-1 vs abstract (<split>): summarizer X, lead Y`. `eval recommend` trains
//! the recommender's method on click sessions and measures the next click of held-out
//! ones against the popularity baseline; last `hit-rate@20: recommender X, popularity Y`.

use std::path::Path;

use anyhow::{Context, Result};
use contracts::DspaceRecord;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// k-means++ starts per fit, the best kept, for every method alike.
const RESTARTS: u64 = 5;

/// What `eval clusters` needs.
#[derive(Debug, Clone)]
pub struct ClusterEval {
    pub k: usize,
    pub seeds: u64,
    /// The clusterer fits on at most this many embeddings (a random sample).
    pub sample: usize,
}

/// The text the clusterer embeds for an ETD, and its department.
fn text_and_department(r: &DspaceRecord) -> (String, Option<String>) {
    let join = |f: &Option<contracts::OneOrMany<String>>| {
        f.as_ref().map(|v| v.to_vec().join(" ")).unwrap_or_default()
    };
    let text = format!("{}. {}", join(&r.title), join(&r.abstract_text));
    let department = r
        .department
        .as_ref()
        .and_then(contracts::OneOrMany::first)
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty());
    (text.trim().to_owned(), department)
}

/// Runs the evaluation on the records of `etds` and prints it.
pub fn clusters(etds: &Path, model_dir: &Path, eval: &ClusterEval) -> Result<()> {
    let text = std::fs::read_to_string(etds).with_context(|| format!("read {}", etds.display()))?;
    let records: Vec<DspaceRecord> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON array of DSpace records", etds.display()))?;
    let mut texts = Vec::new();
    let mut departments = Vec::new();
    for r in &records {
        if let (t, Some(d)) = text_and_department(r) {
            texts.push(t);
            departments.push(d);
        }
    }
    anyhow::ensure!(
        texts.len() >= eval.k,
        "{} records with a department, fewer than k = {}",
        texts.len(),
        eval.k
    );
    let embedder = embed::Embedder::load(model_dir, embed::Options::default())?;
    let started = std::time::Instant::now();
    let mut embeddings = Vec::with_capacity(texts.len());
    for batch in texts.chunks(16) {
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        embeddings.extend(embedder.embed(&refs)?);
        eprint!("\r    embedded {} of {}", embeddings.len(), texts.len());
    }
    eprintln!();
    let distinct: std::collections::HashSet<&String> = departments.iter().collect();
    println!(
        "{} records, {} departments, k = {}; embedded in {:.1}s",
        texts.len(),
        distinct.len(),
        eval.k,
        started.elapsed().as_secs_f64()
    );
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tfidf = cluster::tfidf::vectors(&refs, 2);
    let (mut ours, mut offline, mut baseline) = (0.0, 0.0, 0.0);
    for seed in 0..eval.seeds {
        // the clusterer: fit on a bounded random sample, assign everything after
        let mut order: Vec<usize> = (0..embeddings.len()).collect();
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        let sample: Vec<Vec<f32>> = order
            .iter()
            .take(eval.sample)
            .map(|&i| embeddings[i].clone())
            .collect();
        let model = cluster::fit_best(&sample, eval.k, seed * RESTARTS, 100, RESTARTS);
        let assigned: Vec<usize> = embeddings
            .iter()
            .map(|e| cluster::assign(&model.centroids, e))
            .collect();
        let a = cluster::nmi(&assigned, &departments);
        // every method gets the same starts, the best kept
        let fit = |points: &[Vec<f32>]| {
            cluster::fit_best(points, eval.k, seed * RESTARTS, 100, RESTARTS).assignments
        };
        let b = cluster::nmi(&fit(&embeddings), &departments);
        let c = cluster::nmi(&fit(&tfidf), &departments);
        println!("seed {seed}: clusterer {a:.3}, offline k-means {b:.3}, tf-idf baseline {c:.3}");
        if seed == 0 {
            let labels = cluster::label_terms(
                eval.k,
                assigned.iter().copied().zip(refs.iter().copied()),
                3,
            );
            for (i, l) in labels.iter().enumerate() {
                let size = assigned.iter().filter(|x| **x == i).count();
                println!("    cluster {i:>2} ({size:>3}): {}", l.join(" · "));
            }
        }
        ours += a;
        offline += b;
        baseline += c;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = eval.seeds.max(1) as f64;
    println!(
        "means over {} seeds: clusterer {:.3}, offline k-means {:.3}, tf-idf baseline {:.3}",
        eval.seeds,
        ours / n,
        offline / n,
        baseline / n
    );
    println!(
        "NMI vs department: clusterer {:.3}, tf-idf baseline {:.3}",
        ours / n,
        baseline / n
    );
    Ok(())
}

/// Where `scripts/aclsum` puts the papers: `$DOCSTREAM_CACHE/datasets/aclsum`
/// (default `~/.cache/docstream/...`).
pub fn aclsum_dir(vars: &std::collections::BTreeMap<String, String>) -> std::path::PathBuf {
    let cache = vars
        .get("DOCSTREAM_CACHE")
        .filter(|d| !d.trim().is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            vars.get("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/docstream"))
        })
        .unwrap_or_else(|| std::path::PathBuf::from(".cache/docstream"));
    cache.join("datasets").join("aclsum")
}

/// One paper: its abstract and its body (paragraphs separated by blank lines).
#[derive(Debug, Clone)]
pub struct Paper {
    pub id: String,
    pub title: String,
    pub abstract_text: String,
    pub body: String,
    /// The body by section: (section name, its paragraphs separated by blank lines).
    pub chapters: Vec<(String, String)>,
    /// "Last, First", in order.
    pub authors: Vec<String>,
    pub year: Option<i64>,
}

/// The papers of `split` (`train`, `val`, `test`) in `dir`.
pub fn papers(dir: &Path, split: &str) -> Result<Vec<Paper>> {
    let list = dir.join(format!("{split}.jsonl"));
    let text = std::fs::read_to_string(&list)
        .with_context(|| format!("read {} (scripts/aclsum makes it)", list.display()))?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}: a line is not JSON", list.display()))?;
        let id = entry["id"]
            .as_str()
            .context("a split entry without an id")?
            .to_owned();
        let path = dir.join("paper_jsons").join(format!("{id}.json"));
        let paper: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?,
        )
        .with_context(|| format!("{}: not JSON", path.display()))?;
        let body: Vec<&str> = paper["pdf_parse"]["body_text"]
            .as_array()
            .map(|b| b.iter().filter_map(|p| p["text"].as_str()).collect())
            .unwrap_or_default();
        let mut chapters: Vec<(String, String)> = Vec::new();
        for p in paper["pdf_parse"]["body_text"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (Some(section), Some(text)) = (p["section"].as_str(), p["text"].as_str()) else {
                continue;
            };
            match chapters.last_mut() {
                Some((name, t)) if name == section => {
                    t.push_str("\n\n");
                    t.push_str(text);
                }
                _ => chapters.push((section.to_owned(), text.to_owned())),
            }
        }
        let authors = paper["authors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                let last = a["last"].as_str()?;
                Some(format!(
                    "{last}, {}",
                    a["first"].as_str().unwrap_or_default()
                ))
            })
            .collect();
        out.push(Paper {
            chapters,
            authors,
            year: paper["year"].as_i64(),
            title: paper["title"].as_str().unwrap_or_default().to_owned(),
            abstract_text: paper["abstract"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            body: body.join("\n\n"),
            id,
        });
    }
    Ok(out)
}

/// Runs the evaluation and prints it.
pub fn summaries(
    dir: &Path,
    split: &str,
    options: summarize::Options,
    dump: Option<&Path>,
    minilm: Option<&Path>,
) -> Result<()> {
    use std::io::Write as _;
    use summarize::{Budget, Summarizer};
    let papers = papers(dir, split)?;
    anyhow::ensure!(
        !papers.is_empty(),
        "no papers in the {split} split of {}",
        dir.display()
    );
    let ours = summarize::Extractive::new(options);
    let plain = summarize::Extractive::new(summarize::Options {
        lambda: 1.0,
        lead: 0.0,
        drop_boilerplate: false,
        ..options
    });
    let scorer = summarize::rouge::Scorer::default();
    let mut dump = dump
        .map(|p| std::fs::File::create(p).with_context(|| format!("create {}", p.display())))
        .transpose()?;
    let embedder = minilm
        .map(|dir| embed::Embedder::load(dir, embed::Options::default()))
        .transpose()?;
    let methods = ["summarizer", "lead", "tf-idf textrank", "minilm textrank"];
    let mut sums = [[0f64; 3]; 4];
    let started = std::time::Instant::now();
    for p in &papers {
        let budget = Budget {
            chars: p.abstract_text.chars().count(),
            sentences: usize::MAX,
        };
        let mut outputs = vec![
            ours.summarize(&p.body, budget),
            summarize::lead(&p.body, budget),
            plain.summarize(&p.body, budget),
        ];
        if let Some(e) = &embedder {
            // the same method with the sentences' MiniLM embeddings as similarities
            let candidates = ours.candidates(&p.body);
            let mut dense = Vec::with_capacity(candidates.len());
            for chunk in candidates.chunks(32) {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                dense.extend(e.embed(&refs)?);
            }
            let sim = summarize::rank::Similarity::dense(&dense);
            outputs.push(ours.choose(&candidates, &sim, budget));
        }
        for (m, sentences) in outputs.iter().enumerate() {
            let summary = sentences.join(" ");
            let r = scorer.score(&p.abstract_text, &summary);
            sums[m][0] += r.rouge1.f1;
            sums[m][1] += r.rouge2.f1;
            sums[m][2] += r.rouge_l.f1;
            if let Some(f) = dump.as_mut() {
                let line = serde_json::json!({
                    "id": p.id, "title": p.title, "method": methods[m], "summary": summary, "abstract": p.abstract_text
                });
                writeln!(f, "{line}")?;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let n = papers.len() as f64;
    let mean = |m: usize, k: usize| 100.0 * sums[m][k] / n;
    println!(
        "{} papers of the {split} split, summaries as long as their abstracts; {:.1}s; summarizer: lambda {}, lead {}",
        papers.len(),
        started.elapsed().as_secs_f64(),
        options.lambda,
        options.lead
    );
    println!(
        "{:<18} {:>7} {:>7} {:>7}",
        "F1 x 100", "ROUGE-1", "ROUGE-2", "ROUGE-L"
    );
    for (m, name) in methods
        .iter()
        .enumerate()
        .take(if embedder.is_some() { 4 } else { 3 })
    {
        println!(
            "{name:<18} {:>7.1} {:>7.1} {:>7.1}",
            mean(m, 0),
            mean(m, 1),
            mean(m, 2)
        );
    }
    println!(
        "ROUGE-1 vs abstract ({split}): summarizer {:.1}, lead {:.1}",
        mean(0, 0),
        mean(1, 0)
    );
    Ok(())
}

/// Runs the recommendation evaluation on the sessions in `path` and prints it.
pub fn recommend(
    path: &Path,
    k: usize,
    test_every: usize,
    score: recommend::Score,
    session: recommend::session::Options,
) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let mut sessions: Vec<Vec<String>> = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", path.display(), n + 1))?;
        let items = v["items"]
            .as_array()
            .with_context(|| format!("{}:{}: no \"items\" list", path.display(), n + 1))?
            .iter()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect();
        sessions.push(items);
    }
    anyhow::ensure!(test_every >= 2, "--test-every must be at least 2");
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (i, s) in sessions.into_iter().enumerate() {
        if i % test_every == test_every - 1 {
            test.push(s);
        } else {
            train.push(s);
        }
    }
    let options = recommend::Options {
        score,
        ..recommend::Options::default()
    };
    let (ours, pop) = recommend::evaluate(&train, &test, k, options);
    anyhow::ensure!(session.recent >= 1, "--recent must be at least 1");
    let (stream, of_session) = recommend::stream::evaluate(
        &train,
        &test,
        k,
        recommend::stream::sessions::Options::default(),
        recommend::stream::scores::Options::default(),
        session,
    );
    println!(
        "{} training sessions, {} test sessions ({} with a next click to predict), k = {k}",
        train.len(),
        test.len(),
        ours.cases
    );
    println!(
        "batch co-clicks ({score:?}): hit-rate@{k} {:.3}, MRR@{k} {:.3}",
        ours.hit_rate, ours.mrr
    );
    println!(
        "recommender, a document's list (the service's streaming method): hit-rate@{k} {:.3}, MRR@{k} {:.3}",
        stream.hit_rate, stream.mrr
    );
    println!(
        "recommender, the session's list (the last {} documents' lists, decay {}; the document page's): hit-rate@{k} {:.3}, MRR@{k} {:.3}",
        session.recent, session.decay, of_session.hit_rate, of_session.mrr
    );
    println!(
        "popularity:  hit-rate@{k} {:.3}, MRR@{k} {:.3}",
        pop.hit_rate, pop.mrr
    );
    println!(
        "hit-rate@{k}: recommender {:.3}, popularity {:.3}",
        of_session.hit_rate, pop.hit_rate
    );
    Ok(())
}
