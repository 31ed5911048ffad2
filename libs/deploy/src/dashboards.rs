//! Grafana dashboards, one per deployment and one for the whole pipeline, written from
//! the metric names the runtime registers (`settings::facts::metric`), so a renamed
//! metric changes the dashboards with it (and a test checks every name they query is
//! one a service exports). Each panel is a time series on the `datasource` variable
//! (any Prometheus); kustomize puts the files in a ConfigMap labelled
//! `grafana_dashboard: "1"`, which Grafana's dashboard sidecar loads.

use serde_json::{json, Value};
use settings::facts::{counter_name, metric, metric_name};

use crate::alerts::Watched;

/// A panel: its title, unit, and queries (expression, legend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub title: String,
    pub unit: &'static str,
    pub targets: Vec<(String, String)>,
}

impl Panel {
    fn new(title: &str, unit: &'static str, targets: Vec<(String, &str)>) -> Self {
        Self {
            title: title.to_owned(),
            unit,
            targets: targets
                .into_iter()
                .map(|(e, l)| (e, l.to_owned()))
                .collect(),
        }
    }

    fn json(&self, id: usize) -> Value {
        json!({
            "id": id,
            "type": "timeseries",
            "title": self.title,
            "datasource": { "type": "prometheus", "uid": "${datasource}" },
            "fieldConfig": { "defaults": { "unit": self.unit }, "overrides": [] },
            "gridPos": { "h": 8, "w": 12, "x": (id - 1) % 2 * 12, "y": (id - 1) / 2 * 8 },
            "targets": self.targets.iter().enumerate().map(|(i, (expr, legend))| json!({
                "refId": char::from(b'A' + u8::try_from(i).unwrap_or(0)).to_string(),
                "expr": expr,
                "legendFormat": legend,
            })).collect::<Vec<_>>(),
        })
    }
}

fn dashboard(uid: &str, title: &str, panels: &[Panel]) -> Value {
    json!({
        "uid": uid,
        "title": title,
        "tags": ["docstream"],
        "schemaVersion": 39,
        "version": 1,
        "editable": true,
        "refresh": "30s",
        "time": { "from": "now-6h", "to": "now" },
        "templating": { "list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource",
            "query": "prometheus", "current": {}
        }]},
        "panels": panels.iter().enumerate().map(|(i, p)| p.json(i + 1)).collect::<Vec<_>>(),
    })
}

/// The panels of one deployment: throughput, lag, latency, dead letters and failures,
/// in flight, sink results, extraction outcomes, readiness, scrape targets, as its
/// role has them.
pub fn service_panels(d: &Watched) -> Vec<Panel> {
    let s = d.name.as_str();
    let mut out = Vec::new();
    if d.consumer || d.source {
        out.push(Panel::new(
            "Throughput (messages/s by topic)",
            "ops",
            vec![(
                format!(
                    "sum by (topic) (rate({}[5m]))",
                    counter_name(s, metric::PROCESSED)
                ),
                "{{topic}}",
            )],
        ));
    }
    if d.consumer {
        out.push(Panel::new(
            "Consumer lag (messages by topic)",
            "short",
            vec![(
                format!("sum by (topic) ({})", metric_name(s, metric::CONSUMER_LAG)),
                "{{topic}}",
            )],
        ));
        let bucket = format!("{}_bucket", metric_name(s, metric::PROCESSING_SECONDS));
        out.push(Panel::new(
            "Processing latency (receipt to acknowledged)",
            "s",
            vec![
                (
                    format!("histogram_quantile(0.5, sum by (le) (rate({bucket}[5m])))"),
                    "p50",
                ),
                (
                    format!("histogram_quantile(0.99, sum by (le) (rate({bucket}[5m])))"),
                    "p99",
                ),
            ],
        ));
        out.push(Panel::new(
            "Dead letters and failures",
            "short",
            vec![
                (
                    format!(
                        "sum(increase({}[5m]))",
                        counter_name(s, metric::DEAD_LETTERED)
                    ),
                    "dead-lettered (5m)",
                ),
                (
                    format!(
                        "sum by (kind) (increase({}[5m]))",
                        counter_name(s, metric::FAILED)
                    ),
                    "failed: {{kind}} (5m)",
                ),
            ],
        ));
        out.push(Panel::new(
            "In flight",
            "short",
            vec![(
                format!("sum({})", metric_name(s, metric::IN_FLIGHT)),
                "in flight",
            )],
        ));
    }
    if d.sink {
        out.push(Panel::new(
            "Sink results (documents/s by outcome)",
            "ops",
            vec![(
                format!(
                    "sum by (outcome) (rate({}[5m]))",
                    counter_name(s, metric::SINK_ITEMS)
                ),
                "{{outcome}}",
            )],
        ));
    }
    if d.extracts {
        out.push(Panel::new(
            "Extraction outcomes (per 5m)",
            "short",
            vec![(
                format!(
                    "sum by (value) (increase({}{{kind=\"fulltext\"}}[5m]))",
                    counter_name(s, metric::OUTCOMES)
                ),
                "{{value}}",
            )],
        ));
    }
    if d.runtime {
        out.push(Panel::new(
            "Ready replicas",
            "short",
            vec![(format!("sum({})", metric_name(s, metric::READY)), "ready")],
        ));
    }
    out.push(Panel::new(
        "Scrape targets up",
        "short",
        vec![(format!("sum(up{{job=\"{s}\"}})"), "up")],
    ));
    out
}

/// The dashboard of one deployment.
pub fn service(d: &Watched) -> Value {
    dashboard(
        &format!("docstream-{}", d.name),
        &format!("docstream / {}", d.name),
        &service_panels(d),
    )
}

/// The whole pipeline: every consumer's and source's throughput by topic, lag, dead
/// letters and p99 latency, one series per service.
pub fn pipeline(deployments: &[Watched]) -> Value {
    let each =
        |title: &str, unit: &'static str, legend: &str, expr: &dyn Fn(&str) -> String| Panel {
            title: title.to_owned(),
            unit,
            targets: deployments
                .iter()
                .filter(|d| d.consumer || d.source)
                .map(|d| (expr(&d.name), legend.replace("SERVICE", &d.name)))
                .collect(),
        };
    let panels = [
        each(
            "Throughput per service and topic (messages/s)",
            "ops",
            "SERVICE {{topic}}",
            &|s| {
                format!(
                    "sum by (topic) (rate({}[5m]))",
                    counter_name(s, metric::PROCESSED)
                )
            },
        ),
        each(
            "Consumer lag per service (messages)",
            "short",
            "SERVICE",
            &|s| format!("sum({})", metric_name(s, metric::CONSUMER_LAG)),
        ),
        each(
            "Dead letters per service (per 5m)",
            "short",
            "SERVICE",
            &|s| {
                format!(
                    "sum(increase({}[5m]))",
                    counter_name(s, metric::DEAD_LETTERED)
                )
            },
        ),
        each("Processing latency p99 per service", "s", "SERVICE", &|s| {
            format!(
                "histogram_quantile(0.99, sum by (le) (rate({}_bucket[5m])))",
                metric_name(s, metric::PROCESSING_SECONDS)
            )
        }),
    ];
    dashboard("docstream-pipeline", "docstream / pipeline", &panels)
}

/// Every expression of every dashboard (for the tests).
pub fn expressions(dashboards: &[Value]) -> Vec<String> {
    dashboards
        .iter()
        .flat_map(|d| d["panels"].as_array().cloned().unwrap_or_default())
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .collect()
}
