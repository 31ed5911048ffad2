//! The clusterer as processes against the stack's broker, with the real model: one
//! trainer and three instances in one group. The first model comes once the collection
//! has enough documents and every document gets its assignment; the three instances
//! assign new documents with the same model; a refit keeps each topic on its cluster
//! id; restarted instances and trainer reshuffle nothing; a message that is not a
//! processed document is dead-lettered with the reason, one without text is counted
//! and gets nothing. A missing model fails the test (scripts/test fetches it).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use contracts::{decode, ClusterAssignment, ClusterModel, Embedding};
use rdkafka::producer::FutureProducer;
use testkit::{Read, Service};

const THEMES: [(&str, [&str; 5]); 3] = [
    (
        "turbine",
        [
            "Film cooling of gas turbine blades",
            "Heat transfer on rotating turbine blade tips",
            "Combustor exit temperature profiles and turbine vane cooling",
            "Unsteady aerodynamics of a high pressure turbine stage",
            "Endwall cooling in a linear turbine cascade",
        ],
    ),
    (
        "protein",
        [
            "Enzyme kinetics of a bacterial protein kinase",
            "Protein folding intermediates observed by spectroscopy",
            "Binding of inhibitors to the active site of an enzyme",
            "Gene expression and protein regulation in yeast cells",
            "Structure of a membrane transport protein",
        ],
    ),
    (
        "poetry",
        [
            "Narrative voice in the Victorian novel",
            "Memory and landscape in Appalachian poetry",
            "The sonnet sequence and the modern poet",
            "Women writers and the gothic novel tradition",
            "Myth and meter in twentieth century verse",
        ],
    ),
];

/// Document `n` of a theme: one of its titles, a sentence about it, and a number.
fn etd(theme: usize, n: usize) -> (String, String) {
    let (word, titles) = THEMES[theme];
    let id = format!("etd:10919/{}", theme * 1000 + n);
    let title = format!("{} {}", titles[n % titles.len()], n);
    let abstract_text = format!(
        "This thesis studies {}. We report experiments and analysis on the {word}.",
        titles[(n + 2) % titles.len()].to_lowercase()
    );
    (id.clone(), processed(&id, &title, &abstract_text))
}

fn processed(id: &str, title: &str, abstract_text: &str) -> String {
    samples::processed::etd(id, title, Some(abstract_text), None, &[]).to_string()
}

fn model_dir() -> String {
    let dir = embed::model_dir(&std::env::vars().collect());
    assert!(
        dir.join("model.safetensors").exists(),
        "no model at {}: run scripts/model (scripts/test does)",
        dir.display()
    );
    dir.display().to_string()
}

async fn publish(topic: &str, docs: &[(String, String)]) {
    let producer: FutureProducer = testkit::kafka_config().create().expect("producer");
    for (key, payload) in docs {
        testkit::send(&producer, topic, key, payload.as_bytes()).await;
    }
}

/// The latest message of each key.
fn latest<T: contracts::Contract + serde::de::DeserializeOwned>(
    records: &[testkit::Record],
) -> HashMap<String, T> {
    records
        .iter()
        .filter_map(|r| Some((r.key.clone(), decode::<T>(&r.payload).ok()?)))
        .collect()
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Topics {
    input: String,
    embeddings: String,
    clusters: String,
    models: String,
    dlq: String,
    train_dlq: String,
}

impl Topics {
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DOCSTREAM_INPUT_TOPICS", self.input.clone()),
            (
                "DOCSTREAM_CLUSTER_EMBEDDINGS_TOPIC",
                self.embeddings.clone(),
            ),
            ("DOCSTREAM_CLUSTER_CLUSTERS_TOPIC", self.clusters.clone()),
            ("DOCSTREAM_CLUSTER_MODELS_TOPIC", self.models.clone()),
        ]
    }

    fn models(&self, until: impl FnMut(&[testkit::Record]) -> bool) -> ClusterModel {
        let r = Read::partitions(1)
            .timeout(Duration::from_secs(120))
            .until(&self.models, until);
        decode(&r.last().expect("a model").payload).expect("a ClusterModel")
    }
}

fn is_model(r: &[testkit::Record], version: u64) -> bool {
    r.last()
        .and_then(|m| decode::<ClusterModel>(&m.payload).ok())
        .is_some_and(|m| m.version == version && m.reassigned)
}

fn spawn(args: &[&str], env: &[(&str, String)]) -> Service {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Service::spawn_with_args(env!("CARGO_BIN_EXE_clusterer"), args, &env)
}

/// theme -> cluster ids its documents were given.
fn ids_by_theme(assigned: &HashMap<String, ClusterAssignment>) -> Vec<HashSet<String>> {
    (0..THEMES.len())
        .map(|t| {
            assigned
                .iter()
                .filter(|(k, _)| {
                    k.trim_start_matches("etd:10919/")
                        .parse::<usize>()
                        .is_ok_and(|n| n / 1000 == t)
                })
                .map(|(_, a)| a.cluster_id.clone())
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn trainer_and_three_instances_cluster_with_one_model_stable_across_refits_and_restarts() {
    testkit::init_tracing();
    let t = Topics {
        input: testkit::unique("proc-e"),
        embeddings: testkit::unique("emb"),
        clusters: testkit::unique("clu"),
        models: testkit::unique("mod"),
        dlq: testkit::unique("dlq-c"),
        train_dlq: testkit::unique("dlq-ct"),
    };
    testkit::create_topics(&[
        (&t.input, 3),
        (&t.embeddings, 3),
        (&t.clusters, 3),
        (&t.models, 1),
        (&t.dlq, 1),
        (&t.train_dlq, 1),
    ])
    .await;
    let model = model_dir();
    let group = testkit::unique("g-clusterer");
    let mut instance_env = t.env();
    instance_env.extend([
        ("DOCSTREAM_MODEL_DIR", model.clone()),
        ("DOCSTREAM_GROUP_ID", group.clone()),
        ("DOCSTREAM_DLQ_TOPIC", t.dlq.clone()),
        // the killed instance's partitions move on in seconds, not the default 45
        ("DOCSTREAM_KAFKA__SESSION_TIMEOUT_MS", "6000".into()),
    ]);
    let mut train_env = t.env();
    train_env.extend([
        ("DOCSTREAM_GROUP_ID", testkit::unique("g-train")),
        ("DOCSTREAM_DLQ_TOPIC", t.train_dlq.clone()),
        ("DOCSTREAM_CLUSTER_K", "3".into()),
        ("DOCSTREAM_CLUSTER_MIN_DOCUMENTS", "30".into()),
        ("DOCSTREAM_CLUSTER_REFIT_EVERY", "30".into()),
    ]);
    let mut trainer = spawn(&["train"], &train_env);
    let mut instances: Vec<Service> = (0..3).map(|_| spawn(&[], &instance_env)).collect();
    wait_for(
        "three instances owning a partition each",
        Duration::from_secs(120),
        || {
            instances
                .iter()
                .all(|i| i.metric("docstream_clusterer_assigned_partitions") == 1.0)
        },
    );

    // 30 documents, 10 per theme, and two bad ones: the first model comes, and every
    // document gets its assignment from the trainer
    let first: Vec<(String, String)> = (0..10)
        .flat_map(|n| (0..3).map(move |t| etd(t, n)))
        .collect();
    let mut bad = vec![
        ("etd:10919/bad".to_owned(), "{not json".to_owned()),
        (
            "etd:10919/empty".to_owned(),
            processed("etd:10919/empty", " ", ""),
        ),
    ];
    bad.extend(first.clone());
    publish(&t.input, &bad).await;
    let v1 = t.models(|r| is_model(r, 1));
    assert_eq!(v1.clusters.len(), 3);
    assert_eq!(
        v1.clusters.iter().map(|c| c.size).sum::<u64>(),
        30,
        "{v1:?}"
    );
    let assigned: HashMap<String, ClusterAssignment> = latest(
        &Read::partitions(3).until(&t.clusters, |r| latest::<ClusterAssignment>(r).len() >= 30),
    );
    assert_eq!(assigned.len(), 30, "every good document, nothing else");
    let v1_ids = ids_by_theme(&assigned);
    for (theme, ids) in v1_ids.iter().enumerate() {
        assert_eq!(ids.len(), 1, "theme {theme} in one cluster: {ids:?}");
    }
    let all: HashSet<&String> = v1_ids.iter().flatten().collect();
    assert_eq!(all.len(), 3, "three themes, three clusters");
    let label = |theme: usize| -> String {
        let id = v1_ids[theme].iter().next().expect("id");
        assigned
            .values()
            .find(|a| &a.cluster_id == id)
            .expect("a")
            .cluster_label
            .clone()
    };
    assert!(
        label(0).contains("turbine") || label(0).contains("cooling"),
        "{}",
        label(0)
    );

    // the bad ones: dead-lettered with the reason; no text: counted, nothing out
    let dead = Read::partitions(1).at_least(&t.dlq, 1);
    assert_eq!(dead[0].key, "etd:10919/bad");
    let reason = dead[0].header("docstream.error");
    assert!(reason.contains("not a processed document"), "{reason}");
    let embedded: HashMap<String, Embedding> =
        latest(&Read::partitions(3).at_least(&t.embeddings, 30));
    assert!(!embedded.contains_key("etd:10919/empty"));
    let skipped: f64 = instances
        .iter()
        .map(|i| i.metric("docstream_clusterer_outcomes_total{kind=\"skipped\",value=\"no_text\"}"))
        .sum();
    assert_eq!(skipped, 1.0);

    // the three instances take the model, then assign 30 new documents with it
    wait_for("every instance on model 1", Duration::from_secs(30), || {
        instances.iter().all(|i| {
            i.metric("docstream_clusterer_state{kind=\"model_version\",value=\"etds\"}") == 1.0
        })
    });
    let second: Vec<(String, String)> = (10..20)
        .flat_map(|n| (0..3).map(move |t| etd(t, n)))
        .collect();
    publish(&t.input, &second).await;
    let embedded: HashMap<String, Embedding> =
        latest(&Read::partitions(3).until(&t.embeddings, |r| latest::<Embedding>(r).len() >= 60));
    for (key, _) in &second {
        assert_eq!(
            embedded[key].assigned_with,
            Some(1),
            "{key}: assigned by an instance with model 1"
        );
    }
    for i in &instances {
        assert!(
            i.metric("docstream_clusterer_outcomes_total{kind=\"embedded\",value=\"etds\"}") > 0.0,
            "every instance embedded some"
        );
    }

    // 60 documents: the refit; each theme keeps its cluster id
    let v2 = t.models(|r| is_model(r, 2));
    assert_eq!(v2.clusters.iter().map(|c| c.size).sum::<u64>(), 60);
    let assigned: HashMap<String, ClusterAssignment> = latest(
        &Read::partitions(3)
            .settle(Duration::from_secs(2))
            .until(&t.clusters, |r| latest::<ClusterAssignment>(r).len() >= 60),
    );
    assert_eq!(
        ids_by_theme(&assigned),
        v1_ids,
        "cluster ids stable across the refit"
    );
    for (key, e) in &embedded {
        let a = &assigned[key];
        let c = v2
            .clusters
            .iter()
            .max_by(|a, b| {
                cluster::dot(&a.centroid, &e.vector)
                    .total_cmp(&cluster::dot(&b.centroid, &e.vector))
            })
            .expect("cluster");
        assert_eq!(
            a.cluster_id,
            format!("etds-{}", c.id),
            "{key}: its cluster under model 2"
        );
        assert_eq!(
            a.cluster_label,
            c.terms.join(" · "),
            "{key}: its label under model 2"
        );
    }

    // restarts: one instance killed and started again, the trainer stopped and started
    // again; the first documents again come out in the same clusters, no refit
    instances[0].sigkill();
    instances[0] = spawn(&[], &instance_env);
    trainer.sigterm();
    assert!(
        trainer.wait_exit(Duration::from_secs(30)).is_some(),
        "the trainer stops on SIGTERM"
    );
    trainer = spawn(&["train"], &train_env);
    wait_for(
        "the restarted trainer reading to the end",
        Duration::from_secs(60),
        || trainer.get("/readyz").0 == 200,
    );
    wait_for(
        "all instances ready on model 2",
        Duration::from_secs(120),
        || {
            instances.iter().all(|i| {
                i.metric("docstream_clusterer_state{kind=\"model_version\",value=\"etds\"}") == 2.0
                    && i.get("/readyz").0 == 200
            })
        },
    );
    // what the clusters topic held before: the end offset of each partition
    let old = Read::partitions(3)
        .settle(Duration::from_secs(1))
        .until(&t.clusters, |r| latest::<ClusterAssignment>(r).len() >= 60);
    let mut end: HashMap<i32, i64> = HashMap::new();
    for r in &old {
        let e = end.entry(r.partition).or_insert(-1);
        *e = (*e).max(r.offset);
    }
    publish(&t.input, &first).await;
    let is_new = |r: &&testkit::Record| r.offset > end.get(&r.partition).copied().unwrap_or(-1);
    let again = Read::partitions(3).until(&t.clusters, |r| r.iter().filter(is_new).count() >= 30);
    let again: Vec<testkit::Record> = again.iter().filter(is_new).cloned().collect();
    let again: HashMap<String, ClusterAssignment> = latest(&again);
    assert_eq!(again.len(), 30);
    for (key, a) in &again {
        assert_eq!(
            a.cluster_id, assigned[key].cluster_id,
            "{key}: same cluster after restarts"
        );
        assert_eq!(a.model, "etds-v2");
    }
    std::thread::sleep(Duration::from_secs(2));
    let models = Read::partitions(1)
        .settle(Duration::from_secs(1))
        .at_least(&t.models, 1);
    let last: ClusterModel = decode(&models.last().expect("model").payload).expect("model");
    assert_eq!(last.version, 2, "no refit after the restart");
    assert_eq!(
        trainer.metric("docstream_clusterer_train_outcomes_total{kind=\"refits\""),
        0.0
    );
}
