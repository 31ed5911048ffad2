//! The generated alert rules and dashboards against what really runs: every metric
//! they query is one the runtime exports (a renamed metric fails here, not on an
//! operator's screen); `promtool check rules` accepts the rules file; and a real
//! Prometheus (Debian's, as `scripts/test` installs it) evaluating the same rules with
//! short windows fires four of them on conditions caused for real: a source whose
//! database is unreachable (not ready, failing, stalled) and a service that is not
//! running (target down).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn inputs() -> deploy::Inputs {
    deploy::read_inputs(&root()).expect("inputs")
}

/// Every `docstream_<service>_<name>` a rule or a dashboard queries, as (service, name).
fn queried() -> BTreeSet<(String, String)> {
    let inputs = inputs();
    let watched = deploy::watched(&inputs).expect("deployments");
    let rules = deploy::alerts::rules(&watched, &deploy::alerts::Timing::production());
    let mut exprs: Vec<String> = rules
        .groups
        .iter()
        .flat_map(|g| g.rules.iter().map(|r| r.expr.clone()))
        .collect();
    let mut dashboards = vec![deploy::dashboards::pipeline(&watched)];
    dashboards.extend(watched.iter().map(deploy::dashboards::service));
    exprs.extend(deploy::dashboards::expressions(&dashboards));
    // the longest service prefix at each `docstream_` (clusterer-train, not clusterer)
    let mut prefixes: Vec<(String, String)> = watched
        .iter()
        .map(|w| {
            (
                format!("{}_", settings::facts::metric_prefix(&w.name)),
                w.name.clone(),
            )
        })
        .collect();
    prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let mut out = BTreeSet::new();
    for e in &exprs {
        let mut rest = e.as_str();
        while let Some(i) = rest.find("docstream_") {
            let tail = &rest[i..];
            let (prefix, service) = prefixes
                .iter()
                .find(|(p, _)| tail.starts_with(p.as_str()))
                .unwrap_or_else(|| panic!("{tail}: no deployment's metric"));
            let name: String = tail[prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            out.insert((service.clone(), name));
            rest = &tail[prefix.len()..];
        }
    }
    assert!(out.len() > 20, "too few metrics queried: {out:?}");
    out
}

#[test]
fn every_metric_the_rules_and_dashboards_query_is_one_the_runtime_exports() {
    for (service, name) in queried() {
        let exported = runtime::Metrics::new(&service).encode();
        // counters are exposed with _total, histograms with _bucket, _sum and _count
        let base = ["_total", "_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        let declared = format!(
            "# TYPE {}_{base} ",
            settings::facts::metric_prefix(&service)
        );
        assert!(
            exported.contains(&declared),
            "{service}: {name} is queried but the runtime declares no {base}"
        );
    }
}

fn tool(name: &str) -> String {
    let found = ["/usr/bin", "/usr/local/bin"]
        .iter()
        .map(|d| format!("{d}/{name}"))
        .find(|p| std::path::Path::new(p).exists());
    found.unwrap_or_else(|| {
        panic!("{name} is not installed: apt-get install prometheus (scripts/test installs it)")
    })
}

#[test]
fn promtool_accepts_the_generated_rules() {
    let out = Command::new(tool("promtool"))
        .args(["check", "rules"])
        .arg(root().join("k8s/alerts/docstream.rules.yml"))
        .output()
        .expect("promtool");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SUCCESS"), "{text}");
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The alerts Prometheus has, as (name, service, state).
fn alerts(port: u16) -> Vec<(String, String, String)> {
    let Ok(body) = http_get(port, "/api/v1/alerts") else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["data"]["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let s = |k: &str| {
                a.pointer(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            (s("/labels/alertname"), s("/labels/service"), s("/state"))
        })
        .collect()
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default())
}

#[test]
fn prometheus_fires_the_rules_on_conditions_caused_for_real() {
    testkit::init_tracing();
    // a source whose database cannot be reached: not ready, and failing
    let dead_db = testkit::free_port();
    let source = testkit::Service::spawn_with_args(
        &testkit::workspace_binary("tobacco-ingest"),
        &["source"],
        &[(
            "DOCSTREAM_MYSQL_URL",
            &format!("mysql://docstream:docstream@127.0.0.1:{dead_db}/docstream"),
        )],
    );
    let source_port = source.port;
    // the indexer, not running: its target is down
    let indexer_port = testkit::free_port();

    let dir = std::env::temp_dir().join(testkit::unique("prometheus"));
    std::fs::create_dir_all(&dir).expect("dir");
    let watched = deploy::watched(&inputs()).expect("deployments");
    let chosen: Vec<_> = watched
        .into_iter()
        .filter(|w| w.name == "tobacco-source" || w.name == "indexer")
        .collect();
    assert_eq!(chosen.len(), 2);
    let fast = deploy::alerts::Timing {
        window: "60s".into(),
        sustained: "5s".into(),
        short: "3s".into(),
    };
    let rules = deploy::alerts::rules(&chosen, &fast);
    std::fs::write(
        dir.join("rules.yml"),
        serde_yaml::to_string(&rules).expect("yaml"),
    )
    .expect("rules");
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             rule_files: [{}]\n\
             scrape_configs:\n\
             - {{job_name: tobacco-source, static_configs: [{{targets: ['127.0.0.1:{source_port}']}}]}}\n\
             - {{job_name: indexer, static_configs: [{{targets: ['127.0.0.1:{indexer_port}']}}]}}\n",
            dir.join("rules.yml").display()
        ),
    )
    .expect("config");
    let port = testkit::free_port();
    let _prometheus = Killed(
        Command::new(tool("prometheus"))
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    let want = [
        ("DocstreamNotReady", "tobacco-source"),
        ("DocstreamSourceFailing", "tobacco-source"),
        ("DocstreamSourceStalled", "tobacco-source"),
        ("DocstreamTargetDown", "indexer"),
    ];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = alerts(port);
        let firing = |(a, s): &(&str, &str)| {
            now.iter()
                .any(|(n, sv, st)| n == a && sv == s && st == "firing")
        };
        if want.iter().all(firing) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all firing after 120 s: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // the source really failed its reads, more than once
    let failures = source
        .metric("docstream_tobacco_source_outcomes_total{kind=\"source\",value=\"failures\"}");
    assert!(failures >= 2.0, "{failures} failures");
    let _ = std::fs::remove_dir_all(&dir);
}
