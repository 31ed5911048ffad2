//! `docstream eval`: quality measured, not claimed. `eval clusters` embeds title and
//! abstract of DSpace ETD records, clusters them three ways at the same k, and prints
//! the normalised mutual information of each clustering against the records'
//! departments: the clusterer's method (spherical k-means fitted on a bounded sample,
//! every record then assigned to its nearest centroid), offline spherical k-means on
//! every embedding, and a TF-IDF + k-means baseline. One line per seed, the cluster
//! labels of the first seed, and last `NMI vs department: clusterer X, tf-idf
//! baseline Y` (means over the seeds).

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
