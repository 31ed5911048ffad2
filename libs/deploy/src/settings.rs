//! `k8s/services.yaml`: what an operator edits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub namespace: String,
    pub image: Image,
    pub kafka: Peer,
    /// The Strimzi Kafka cluster topics belong to (`strimzi.io/cluster`).
    pub strimzi_cluster: String,
    pub search: Peer,
    /// Source databases by name (`mysql`, `mongo`).
    #[serde(default)]
    pub databases: BTreeMap<String, Peer>,
    /// The S3-compatible store the theses' PDFs are in (Ceph RGW, a cloud bucket).
    pub object_store: Option<ObjectStore>,
    /// Where Prometheus runs (allowed to scrape) and the label its ServiceMonitor
    /// selector wants.
    pub monitoring: Monitoring,
    pub defaults: Tuning,
    pub deployments: Vec<Deployment>,
}

/// Image names: `<registry>/<crate>:<tag>`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub registry: String,
    pub tag: String,
}

/// Something the services talk to: its address, and where it runs (for the
/// NetworkPolicies).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// What the services are given (`DOCSTREAM_KAFKA_BROKERS`, `DOCSTREAM_ES_URL`, ...).
    pub address: String,
    pub namespace: String,
    pub pod_labels: BTreeMap<String, String>,
    pub port: i32,
}

/// The object store: its S3 endpoint and bucket (a deployment's ConfigMap), the
/// Secret with its keys, and where its gateway runs (the NetworkPolicy's one egress
/// to it).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectStore {
    /// `DOCSTREAM_S3_ENDPOINT`.
    pub endpoint: String,
    /// `DOCSTREAM_S3_BUCKET`.
    pub bucket: String,
    /// `DOCSTREAM_S3_REGION`.
    pub region: String,
    /// `DOCSTREAM_S3_PATH_STYLE`, when not the default (true with an endpoint).
    pub path_style: Option<bool>,
    /// The Secret holding `DOCSTREAM_S3_ACCESS_KEY_ID` and `DOCSTREAM_S3_SECRET_ACCESS_KEY`.
    pub secret: String,
    /// Where the gateway's pods run and the port they listen on (a NetworkPolicy names
    /// the pod's port, not the Service's).
    pub namespace: String,
    pub pod_labels: BTreeMap<String, String>,
    pub port: i32,
}

impl ObjectStore {
    /// The gateway as a peer of the NetworkPolicies.
    pub fn peer(&self) -> Peer {
        Peer {
            address: self.endpoint.clone(),
            namespace: self.namespace.clone(),
            pod_labels: self.pod_labels.clone(),
            port: self.port,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    pub namespace: String,
    pub service_monitor_labels: BTreeMap<String, String>,
}

/// Knobs with defaults, each overridable per deployment.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    pub replicas: Option<i32>,
    pub min_replicas: Option<i32>,
    pub max_replicas: Option<i32>,
    /// Consumer lag per replica that KEDA scales on.
    pub lag_threshold: Option<i64>,
    pub cpu_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_request: Option<String>,
    pub memory_limit: Option<String>,
    /// The runtime's shutdown deadline; the pod's grace period is longer.
    pub shutdown_deadline_secs: Option<i64>,
}

/// One Deployment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// The deployment's name, also the runtime's service name (metrics prefix, consumer
    /// group `docstream-<name>`) and its name in `topics.yaml`.
    pub name: String,
    /// The service crate whose image it runs.
    #[serde(rename = "crate")]
    pub crate_name: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// A source connector: exactly one replica, no autoscaling.
    #[serde(default)]
    pub singleton: bool,
    /// Talks to the search engine.
    #[serde(default)]
    pub search: bool,
    /// The source database it reads (a key of `databases`).
    pub database: Option<String>,
    /// Reads or serves PDFs of the object store: its endpoint and bucket, its Secret,
    /// and egress to it.
    #[serde(default)]
    pub object_store: bool,
    /// Secrets whose keys become environment variables (credentials).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Plain environment, in the deployment's ConfigMap.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Persistent volume claims mounted read-only (the shared volume `file://` PDF
    /// references point into).
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// Address ranges (CIDR) it may reach on ports 80 and 443: the hosts of
    /// `http(s)://` PDF references. Empty: no web egress.
    #[serde(default)]
    pub web_egress: Vec<String>,
    /// Serves people (the search API's pages): an Ingress to its HTTP port, an HPA on
    /// CPU, and the NetworkPolicy letting the ingress controller in.
    pub public: Option<Public>,
    #[serde(flatten)]
    pub tuning: Tuning,
}

/// How a service that serves people is exposed and scaled.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Public {
    /// The host name the Ingress answers.
    pub host: String,
    /// The Ingress class (`nginx`, `traefik`, ...).
    pub ingress_class: String,
    /// Where the ingress controller's pods run (allowed in by the NetworkPolicy).
    pub ingress_namespace: String,
    /// Path prefixes routed to the service; what is not listed (`/metrics`, the
    /// probes, the analytics page) stays inside the cluster. `/` routes the root
    /// page alone (an exact match).
    pub paths: Vec<String>,
    /// Average CPU use, percent of the request, the HPA keeps replicas at.
    pub cpu_target_percent: i32,
}

impl Deployment {
    /// Whether no topic of `topics.yaml` names it as a consumer.
    pub fn inputs_free(&self, inputs: &crate::manifests::Inputs) -> bool {
        !inputs
            .topics
            .topics
            .iter()
            .any(|t| t.consumers.iter().any(|c| c == &self.name))
    }
}

/// A claim mounted read-only at a path.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    pub claim: String,
    pub path: String,
}
