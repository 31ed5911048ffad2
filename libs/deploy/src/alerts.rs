//! Alert rules for every deployment, from the metric names the runtime registers
//! (`settings::facts::metric`) and each deployment's role: consumer lag growing past
//! its autoscaling threshold, dead letters appearing, `/readyz` failing, a scrape
//! target down, rebalance storms, the indexer's sink rejecting items, a source that
//! stopped reading or keeps failing, extraction timeouts rising. Written as a plain
//! Prometheus rules file (`promtool check rules`) and as the Prometheus operator's
//! `PrometheusRule`. Each alert's runbook is a paragraph of `k8s/README.md`
//! (`#alert-<name>` in lowercase).

use std::collections::BTreeMap;

use serde::Serialize;
use settings::facts::{counter_name, metric, metric_name};

/// How long a condition must hold, and the windows rates are taken over.
#[derive(Debug, Clone)]
pub struct Timing {
    /// The window of `increase` and of the lag comparison (`10m`).
    pub window: String,
    /// How long lag must grow, or a source stay still, before firing (`10m`).
    pub sustained: String,
    /// How long `/readyz` must fail or a target be down before firing (`5m`).
    pub short: String,
}

impl Timing {
    /// What the generated files use.
    pub fn production() -> Self {
        Self {
            window: "10m".into(),
            sustained: "10m".into(),
            short: "5m".into(),
        }
    }
}

/// What the rules need to know of a deployment.
#[derive(Debug, Clone)]
pub struct Watched {
    pub name: String,
    /// Consumes topics (lag, dead letters, rebalances).
    pub consumer: bool,
    /// Reads a source database (`database:` in services.yaml).
    pub source: bool,
    /// Writes to the search engine in batches (the indexer).
    pub sink: bool,
    /// Extracts PDFs (etd-ingest's consume mode).
    pub extracts: bool,
    /// Served by the runtime (has the `ready` gauge); the search API serves itself.
    pub runtime: bool,
    /// Lag per replica the autoscaler scales at: lag past it and growing is an alert.
    pub lag_threshold: i64,
}

/// A rules file: `groups`, as Prometheus reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFile {
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub alert: String,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Every alert's name and what it means, for the README's runbooks and the tests.
pub const ALERTS: [(&str, &str); 9] = [
    (
        "DocstreamLagGrowing",
        "consumer lag over the autoscaling threshold and still growing",
    ),
    ("DocstreamDeadLetters", "messages were dead-lettered"),
    ("DocstreamNotReady", "/readyz has been failing"),
    (
        "DocstreamTargetDown",
        "Prometheus cannot scrape the service",
    ),
    (
        "DocstreamRebalanceStorm",
        "the consumer group keeps rebalancing",
    ),
    (
        "DocstreamSinkRejecting",
        "the search engine rejects documents",
    ),
    (
        "DocstreamSourceStalled",
        "a source stopped reading its database",
    ),
    (
        "DocstreamSourceFailing",
        "a source keeps failing and restarting its reads",
    ),
    (
        "DocstreamExtractionTimeouts",
        "PDF extractions are timing out",
    ),
];

fn rule(
    alert: &str,
    d: &Watched,
    expr: String,
    for_: &str,
    severity: &str,
    summary: String,
) -> Rule {
    let description = ALERTS
        .iter()
        .find(|(a, _)| *a == alert)
        .map_or("", |(_, m)| m);
    Rule {
        alert: alert.to_owned(),
        expr,
        for_: for_.to_owned(),
        labels: BTreeMap::from([
            ("severity".to_owned(), severity.to_owned()),
            ("service".to_owned(), d.name.clone()),
        ]),
        annotations: BTreeMap::from([
            ("summary".to_owned(), summary),
            (
                "description".to_owned(),
                format!("{}: {description}", d.name),
            ),
            (
                "runbook".to_owned(),
                format!("k8s/README.md#alert-{}", alert.to_lowercase()),
            ),
        ]),
    }
}

/// The rules of one deployment.
pub fn rules_of(d: &Watched, t: &Timing) -> Vec<Rule> {
    let s = d.name.as_str();
    let w = &t.window;
    let mut out = vec![rule(
        "DocstreamTargetDown",
        d,
        format!("up{{job=\"{s}\"}} == 0"),
        &t.short,
        "critical",
        format!("{s}: Prometheus cannot scrape {{{{ $labels.instance }}}}"),
    )];
    if d.runtime {
        out.push(rule(
            "DocstreamNotReady",
            d,
            format!("min({}) == 0", metric_name(s, metric::READY)),
            &t.short,
            "critical",
            format!("{s}: /readyz failing (Kafka or its own source or sink unreachable)"),
        ));
    }
    if d.consumer {
        let lag = format!("sum({})", metric_name(s, metric::CONSUMER_LAG));
        let lag_before = format!("sum({} offset {w})", metric_name(s, metric::CONSUMER_LAG));
        out.push(rule(
            "DocstreamLagGrowing",
            d,
            format!("{lag} > {} and {lag} > {lag_before}", d.lag_threshold),
            &t.sustained,
            "warning",
            format!("{s}: {{{{ $value }}}} messages behind and growing"),
        ));
        out.push(rule(
            "DocstreamDeadLetters",
            d,
            format!(
                "sum(increase({}[{w}])) > 0",
                counter_name(s, metric::DEAD_LETTERED)
            ),
            "0m",
            "warning",
            format!("{s}: {{{{ $value }}}} messages dead-lettered in {w} (docstream dlq list --topic dlq.{s})"),
        ));
        out.push(rule(
            "DocstreamRebalanceStorm",
            d,
            format!(
                "sum(increase({}[{w}])) > 10",
                counter_name(s, metric::REBALANCES)
            ),
            "0m",
            "warning",
            format!("{s}: {{{{ $value }}}} rebalances in {w}"),
        ));
    }
    if d.sink {
        out.push(rule(
            "DocstreamSinkRejecting",
            d,
            format!(
                "sum(increase({}{{outcome=\"rejected\"}}[{w}])) > 0",
                counter_name(s, metric::SINK_ITEMS)
            ),
            "0m",
            "warning",
            format!("{s}: the engine rejected {{{{ $value }}}} documents in {w}"),
        ));
    }
    if d.source {
        let reads = counter_name(s, metric::OUTCOMES);
        out.push(rule(
            "DocstreamSourceStalled",
            d,
            format!("sum(increase({reads}{{kind=\"source\",value=\"reads\"}}[{w}])) == 0"),
            &t.sustained,
            "critical",
            format!("{s}: no read of its database in {w}"),
        ));
        out.push(rule(
            "DocstreamSourceFailing",
            d,
            format!("sum(increase({reads}{{kind=\"source\",value=\"failures\"}}[{w}])) > 2"),
            "0m",
            "warning",
            format!("{s}: {{{{ $value }}}} failed reads in {w}"),
        ));
    }
    if d.extracts {
        out.push(rule(
            "DocstreamExtractionTimeouts",
            d,
            format!(
                "sum(increase({}{{kind=\"fulltext\",value=\"timeout\"}}[{w}])) > 5",
                counter_name(s, metric::OUTCOMES)
            ),
            "0m",
            "warning",
            format!("{s}: {{{{ $value }}}} PDF extractions timed out in {w}"),
        ));
    }
    out
}

/// One group per deployment.
pub fn rules(deployments: &[Watched], t: &Timing) -> RuleFile {
    RuleFile {
        groups: deployments
            .iter()
            .map(|d| Group {
                name: format!("docstream-{}", d.name),
                rules: rules_of(d, t),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched(name: &str) -> Watched {
        Watched {
            name: name.into(),
            consumer: true,
            source: false,
            sink: false,
            extracts: false,
            runtime: true,
            lag_threshold: 500,
        }
    }

    #[test]
    fn each_role_gets_its_alerts_named_by_the_runtimes_metrics() {
        let t = Timing::production();
        let names =
            |d: &Watched| -> Vec<String> { rules_of(d, &t).into_iter().map(|r| r.alert).collect() };
        let indexer = Watched {
            sink: true,
            ..watched("indexer")
        };
        assert_eq!(
            names(&indexer),
            [
                "DocstreamTargetDown",
                "DocstreamNotReady",
                "DocstreamLagGrowing",
                "DocstreamDeadLetters",
                "DocstreamRebalanceStorm",
                "DocstreamSinkRejecting"
            ]
        );
        let source = Watched {
            consumer: false,
            source: true,
            ..watched("tobacco-source")
        };
        assert_eq!(
            names(&source),
            [
                "DocstreamTargetDown",
                "DocstreamNotReady",
                "DocstreamSourceStalled",
                "DocstreamSourceFailing"
            ]
        );
        let lag = &rules_of(&indexer, &t)[2];
        assert_eq!(
            lag.expr,
            "sum(docstream_indexer_consumer_lag) > 500 and sum(docstream_indexer_consumer_lag) > sum(docstream_indexer_consumer_lag offset 10m)"
        );
        assert_eq!(
            lag.annotations["runbook"],
            "k8s/README.md#alert-docstreamlaggrowing"
        );
        assert!(rules_of(
            &Watched {
                runtime: false,
                consumer: false,
                ..watched("search-api")
            },
            &t
        )
        .iter()
        .all(|r| r.alert == "DocstreamTargetDown"));
    }
}
