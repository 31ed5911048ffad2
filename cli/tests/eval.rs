//! `docstream eval clusters` on records written here (three departments, each about
//! its own subject, in words that differ from record to record): the command embeds
//! them with the real model, clusters them three ways and prints the NMI lines, and
//! the clusterer finds the departments. The 400 shared records are measured by hand
//! in release (BENCHMARKS.md: minutes of embedding on two cores). `docstream eval
//! summaries` on the val split of the ACLSum papers scripts/aclsum fetched: beats Lead,
//! prints the ROUGE line, every summary within its budget. `docstream eval recommend` on
//! generated sessions: the co-clicks beat popularity. `docstream eval ranking` on
//! records written here, against the stack's OpenSearch: every method ranks a
//! subject's records first, and the summary lines are printed.

use std::process::Command;

fn record(i: usize, department: &str, title: &str, abstract_text: &str) -> serde_json::Value {
    serde_json::json!({
        "identifier-uri": format!("http://hdl.handle.net/10919/{}", 5000 + i),
        "title-none": title,
        "description-abstract": abstract_text,
        "contributor-department": department,
    })
}

#[test]
fn clusters_records_by_meaning_and_prints_the_nmi_lines() {
    let subjects = [
        (
            "Mechanical Engineering",
            [
                "turbine blade cooling",
                "jet engine combustion",
                "heat exchanger fins",
                "wind turbine rotor loads",
            ],
            "airflow, pressure and temperature measured in a test rig",
        ),
        (
            "Biological Sciences",
            [
                "protein folding in yeast",
                "gene expression of bacteria",
                "cell membrane receptors",
                "enzyme kinetics in plants",
            ],
            "samples cultured and sequenced in the laboratory",
        ),
        (
            "History",
            [
                "medieval monasteries",
                "the civil war letters",
                "colonial trade routes",
                "nineteenth century newspapers",
            ],
            "archives, letters and diaries of the period read closely",
        ),
    ];
    let mut records = Vec::new();
    for (d, (department, titles, common)) in subjects.iter().enumerate() {
        for (t, title) in titles.iter().enumerate() {
            records.push(record(
                d * 10 + t,
                department,
                title,
                &format!("A study of {title}: {common}."),
            ));
        }
    }
    let file = std::env::temp_dir().join(format!("docstream-eval-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&records).expect("json")).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["eval", "clusters", "--etds"])
        .arg(&file)
        .args(["--k", "3", "--seeds", "2"])
        .output()
        .expect("run docstream");
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("12 records, 3 departments, k = 3"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("seed ").count(), 2, "{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    let ours: f64 = last
        .strip_prefix("NMI vs department: clusterer ")
        .and_then(|r| r.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("last line: {last}"));
    assert!(last.contains(", tf-idf baseline "), "{last}");
    assert!(
        ours >= 0.8,
        "the clusterer should find the departments: {stdout}"
    );

    let bad = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["eval", "clusters", "--etds", "/nonexistent.json"])
        .output()
        .expect("run docstream");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent.json"));
}

/// The ACLSum folder scripts/aclsum made (scripts/test runs it); missing, the test
/// fails with how to make it.
fn aclsum() -> std::path::PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let cache = std::env::var("DOCSTREAM_CACHE")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("{home}/.cache/docstream"));
    let dir = std::path::PathBuf::from(cache).join("datasets/aclsum");
    assert!(
        dir.join("val.jsonl").exists(),
        "no ACLSum at {}: run scripts/aclsum (scripts/test does)",
        dir.display()
    );
    dir
}

#[test]
fn summaries_of_the_val_papers_beat_lead_and_print_the_rouge_line() {
    let dump =
        std::env::temp_dir().join(format!("docstream-summaries-{}.jsonl", std::process::id()));
    let stdout = run(Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["eval", "summaries", "--split", "val", "--papers"])
        .arg(aclsum())
        .arg("--dump")
        .arg(&dump));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("ROUGE-1 vs abstract (val): summarizer "),
        "{last}"
    );
    let (ours, lead) = (figure(last, "summarizer"), figure(last, "lead"));
    assert!(ours > lead + 5.0 && ours < 100.0, "{last}");
    // every paper summarised by the three methods, each summary within its abstract's length
    let lines = std::fs::read_to_string(&dump).expect("dump");
    let rows: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 150);
    for r in rows.iter().filter(|r| r["method"] == "summarizer") {
        let (s, a) = (
            r["summary"].as_str().unwrap_or(""),
            r["abstract"].as_str().unwrap_or(""),
        );
        assert!(!s.is_empty(), "{}", r["id"]);
        let longest_sentence = s.split(". ").map(str::len).max().unwrap_or(0);
        assert!(
            s.chars().count() <= a.chars().count().max(longest_sentence),
            "{}",
            r["id"]
        );
    }
    let _ = std::fs::remove_file(dump);
}

#[test]
fn recommendations_from_generated_sessions_beat_popularity() {
    let file =
        std::env::temp_dir().join(format!("docstream-sessions-{}.jsonl", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["sample", "sessions", "--count", "3000", "--seed", "1"])
        .output()
        .expect("run docstream");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3000);
    std::fs::write(&file, &out.stdout).expect("write sessions");
    let stdout = run(Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["eval", "recommend", "--sessions"])
        .arg(&file));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("hit-rate@20: recommender "), "{last}");
    let (ours, popularity) = (figure(last, "recommender"), figure(last, "popularity"));
    assert!(ours > popularity && ours <= 1.0, "{last}");
    let _ = std::fs::remove_file(file);
}

/// The number after `name ` in a result line (`…: summarizer 44.2, lead 34.0`).
fn figure(line: &str, name: &str) -> f64 {
    line.split(&format!("{name} "))
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|x| x.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} figure in {line:?}"))
}

/// Runs `cmd`; its standard output, after asserting it succeeded.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run docstream");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The subjects row of `method` in `eval ranking`'s first table: nDCG@10 over all
/// subject queries.
fn subjects_ndcg(stdout: &str, method: &str) -> f64 {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("subjects"))
        .find(|l| l.split_whitespace().next() == Some(method))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no {method} row: {stdout}"))
}

#[test]
fn ranking_is_measured_per_method_on_records_written_here() {
    // four subjects, three records each; two hash into the tuning half (poetry,
    // robotics), two into the held-out half (lasers, bridges); the subject words are
    // in the titles and abstracts, which the index keeps, not in the subjects it drops
    let topics = [
        (
            "lasers",
            "Physics",
            [
                "Pulsed lasers for eye surgery",
                "Laser cooling of atoms",
                "Fiber lasers at high power",
            ],
            "coherent light from a laser cavity",
        ),
        (
            "bridges",
            "Civil Engineering",
            [
                "Fatigue of steel bridges",
                "Cable-stayed bridges in wind",
                "Inspecting concrete bridges",
            ],
            "loads on the bridge deck and its piers",
        ),
        (
            "poetry",
            "English",
            [
                "Poetry of the Harlem Renaissance",
                "Meter in Victorian poetry",
                "Women's war poetry",
            ],
            "poems read closely for their form",
        ),
        (
            "robotics",
            "Mechanical Engineering",
            [
                "Legged robotics on rough ground",
                "Soft robotics grippers",
                "Swarm robotics for search",
            ],
            "a robot's controller and its actuators",
        ),
    ];
    let mut records = Vec::new();
    for (t, (subject, department, titles, common)) in topics.iter().enumerate() {
        for (i, title) in titles.iter().enumerate() {
            let mut r = record(
                t * 10 + i,
                department,
                title,
                &format!(
                    "This thesis studies {}. It measures {common} in {} trials.",
                    title.to_lowercase(),
                    i + 2
                ),
            );
            r["subject-none"] = serde_json::json!([subject, format!("keyword {t}{i}")]);
            r["date-issued"] = serde_json::json!("2019-05-01");
            records.push(r);
        }
    }
    let file = std::env::temp_dir().join(format!(
        "docstream-eval-ranking-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, serde_json::to_vec(&records).expect("json")).expect("write");
    let stdout = run(Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["eval", "ranking", "--etds"])
        .arg(&file));
    let _ = std::fs::remove_file(&file);
    assert!(
        stdout.contains(
            "12 records indexed without their subjects; 4 subject queries (2 tuning, 2 held out)"
        ),
        "{stdout}"
    );
    for method in ["bm25", "bm25-tuned", "semantic", "hybrid", "rrf"] {
        let n = subjects_ndcg(&stdout, method);
        assert!(
            n > 0.5,
            "{method} should find the subject's records: {n} in {stdout}"
        );
    }
    // the subject's word is in every relevant title: BM25 ranks all three first
    assert!(subjects_ndcg(&stdout, "bm25") > 0.99, "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[lines.len() - 2]
            .starts_with("nDCG@10 (held-out halves, subjects and departments): best "),
        "{stdout}"
    );
    let last = lines[lines.len() - 1];
    assert!(
        last.starts_with("nDCG@10: best ") && last.contains(", bm25 "),
        "{last}"
    );
    assert!(figure(last, "bm25") > 0.99, "{last}");

    let bad = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(["eval", "ranking", "--etds", "/nonexistent.json"])
        .output()
        .expect("run docstream");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent.json"));
}
