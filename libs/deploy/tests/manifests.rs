//! The committed manifests under k8s/: generated from the current inputs (stale files
//! fail here), well-formed (each document parses back into its typed Kubernetes
//! object), and holding the invariants an operator relies on.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use deploy::crd::{KafkaTopic, ScaledObject, ServiceMonitor};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every document of every generated Kubernetes file: (file, kind, yaml value). The
/// plain rules file and the dashboards are not Kubernetes objects (tested below).
fn documents() -> Vec<(String, String, serde_yaml::Value)> {
    let mut out = Vec::new();
    for path in deploy::generated_files(&root()).expect("k8s/") {
        if path.starts_with("k8s/alerts") || path.starts_with("k8s/dashboards") {
            continue;
        }
        let text = std::fs::read_to_string(root().join(&path)).expect("read");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = serde_yaml::Value::deserialize(doc).expect("yaml");
            let kind = v["kind"].as_str().expect("kind").to_owned();
            out.push((path.display().to_string(), kind, v));
        }
    }
    out
}

/// A Deployment's or StatefulSet's metadata and pod template.
fn workload(v: &serde_yaml::Value) -> Option<(ObjectMeta, PodTemplateSpec)> {
    matches!(v["kind"].as_str(), Some("Deployment" | "StatefulSet"))
        .then(|| (typed(&v["metadata"]), typed(&v["spec"]["template"])))
}

fn typed<T: serde::de::DeserializeOwned>(v: &serde_yaml::Value) -> T {
    serde_yaml::from_value(v.clone()).expect("a well-formed object")
}

#[test]
fn committed_manifests_are_what_the_inputs_generate() {
    let inputs = deploy::read_inputs(&root()).expect("inputs");
    let files = deploy::generate(&inputs).expect("generate");
    let stale = deploy::stale(&root(), &files).expect("compare");
    assert!(
        stale.is_empty(),
        "k8s/ is stale, run `docstream k8s generate`: {stale:?}"
    );
}

#[test]
fn every_document_parses_back_into_its_type() {
    let docs = documents();
    assert!(docs.len() > 20, "only {} documents", docs.len());
    for (file, kind, v) in &docs {
        match kind.as_str() {
            "Deployment" => drop(typed::<Deployment>(v)),
            "StatefulSet" => drop(typed::<StatefulSet>(v)),
            "Service" => drop(typed::<Service>(v)),
            "ConfigMap" => drop(typed::<ConfigMap>(v)),
            "PodDisruptionBudget" => drop(typed::<PodDisruptionBudget>(v)),
            "NetworkPolicy" => drop(typed::<NetworkPolicy>(v)),
            "Namespace" => drop(typed::<Namespace>(v)),
            "HorizontalPodAutoscaler" => drop(typed::<HorizontalPodAutoscaler>(v)),
            "ScaledObject" => drop(typed::<ScaledObject>(v)),
            "ServiceMonitor" => drop(typed::<ServiceMonitor>(v)),
            "KafkaTopic" => drop(typed::<KafkaTopic>(v)),
            "Ingress" => drop(typed::<k8s_openapi::api::networking::v1::Ingress>(v)),
            "Kustomization" => {}
            "PrometheusRule" => {
                assert!(
                    v["spec"]["groups"]
                        .as_sequence()
                        .is_some_and(|g| !g.is_empty()),
                    "{file}"
                );
            }
            other => panic!("{file}: unexpected kind {other}"),
        }
    }
}

#[test]
fn deployments_probe_drain_and_run_locked_down() {
    let docs = documents();
    let crates = deploy::service_crates(&root()).expect("crates");
    let port = runtime::RuntimeConfig::from_vars(
        "any",
        &runtime::Defaults::topics(&["any"], None),
        &BTreeMap::new(),
    )
    .expect("defaults")
    .http_addr
    .port();
    let config_maps: HashMap<String, ConfigMap> = docs
        .iter()
        .filter(|d| d.1 == "ConfigMap")
        .map(|d| {
            let c: ConfigMap = typed(&d.2);
            (c.metadata.name.clone().expect("name"), c)
        })
        .collect();
    let mut images = Vec::new();
    for (file, (meta, template)) in docs
        .iter()
        .filter_map(|(file, _, v)| Some((file, workload(v)?)))
    {
        let name = meta.name.clone().expect("name");
        let labels = meta.labels.clone().expect("labels");
        for l in [
            "name",
            "instance",
            "component",
            "part-of",
            "version",
            "managed-by",
        ] {
            assert!(
                labels.contains_key(&format!("app.kubernetes.io/{l}")),
                "{file}: label {l}"
            );
        }
        let pod = template.spec.clone().expect("pod");
        let c = &pod.containers[0];
        let metrics = c
            .ports
            .as_ref()
            .expect("ports")
            .iter()
            .find(|p| p.name.as_deref() == Some("metrics"))
            .expect("metrics port");
        assert_eq!(
            metrics.container_port,
            i32::from(port),
            "{file}: the runtime serves on {port}"
        );
        for (probe, path) in [
            (&c.liveness_probe, "/livez"),
            (&c.readiness_probe, "/readyz"),
        ] {
            let get = probe
                .as_ref()
                .and_then(|p| p.http_get.clone())
                .expect("http probe");
            assert_eq!(get.path.as_deref(), Some(path), "{file}");
            assert_eq!(get.port, IntOrString::String("metrics".into()), "{file}");
        }
        // the grace period outlasts the runtime's shutdown deadline
        let env_name = format!("{name}-env");
        let cm = config_maps
            .get(&env_name)
            .unwrap_or_else(|| panic!("{file}: no ConfigMap {env_name}"));
        let deadline: i64 = cm
            .data
            .as_ref()
            .and_then(|d| d.get("DOCSTREAM_SHUTDOWN_DEADLINE_SECS"))
            .expect("deadline")
            .parse()
            .expect("number");
        assert!(
            pod.termination_grace_period_seconds.expect("grace") > deadline,
            "{file}"
        );
        let from = c.env_from.as_ref().expect("envFrom");
        assert!(
            from.iter().any(|f| f
                .config_map_ref
                .as_ref()
                .is_some_and(|r| r.name == env_name)),
            "{file}"
        );
        let sc = c.security_context.as_ref().expect("security context");
        assert_eq!(sc.run_as_non_root, Some(true), "{file}");
        assert_eq!(sc.read_only_root_filesystem, Some(true), "{file}");
        assert_eq!(sc.allow_privilege_escalation, Some(false), "{file}");
        assert_eq!(
            sc.capabilities.as_ref().and_then(|c| c.drop.clone()),
            Some(vec!["ALL".to_owned()]),
            "{file}"
        );
        let res = c.resources.as_ref().expect("resources");
        assert!(
            res.requests.is_some() && res.limits.is_some(),
            "{file}: resources"
        );
        let image = c.image.clone().expect("image");
        let krate = image
            .rsplit('/')
            .next()
            .and_then(|i| i.split(':').next())
            .expect("crate")
            .to_owned();
        assert!(
            crates.contains(&krate),
            "{file}: image {image} is not a workspace service"
        );
        images.push(krate);
    }
    for c in &crates {
        assert!(images.contains(c), "service crate {c} has no deployment");
    }
}

#[test]
fn scaling_follows_lag_and_never_passes_the_partitions() {
    let topics = topics::TopicsFile::load(root().join("topics.yaml")).expect("topics");
    let docs = documents();
    let mut scaled = 0;
    for (file, _, v) in docs.iter().filter(|d| d.1 == "ScaledObject") {
        let so: ScaledObject = typed(v);
        let name = so.spec.scale_target_ref.name.clone();
        let inputs: Vec<_> = topics
            .topics
            .iter()
            .filter(|t| t.consumers.contains(&name))
            .collect();
        assert!(
            !inputs.is_empty(),
            "{file}: scales a deployment with no input"
        );
        let cap = inputs.iter().map(|t| t.partitions).max().expect("inputs");
        assert!(
            so.spec.max_replica_count <= cap,
            "{file}: {} > {cap} partitions",
            so.spec.max_replica_count
        );
        assert!(
            so.spec.min_replica_count >= 1
                && so.spec.min_replica_count <= so.spec.max_replica_count
        );
        let mut trigger_topics: Vec<&str> = so
            .spec
            .triggers
            .iter()
            .map(|t| t.metadata["topic"].as_str())
            .collect();
        trigger_topics.sort_unstable();
        let mut want: Vec<&str> = inputs.iter().map(|t| t.name.as_str()).collect();
        want.sort_unstable();
        assert_eq!(trigger_topics, want, "{file}");
        // what the service itself consumes and which group it joins when run with no
        // settings: the triggers must watch exactly that
        let config = runtime::RuntimeConfig::from_vars(
            &name,
            &runtime::Defaults::of(&name).expect("the service's topics"),
            &BTreeMap::new(),
        )
        .expect("the service's default config");
        let mut consumed: Vec<&str> = config.input_topics.iter().map(String::as_str).collect();
        consumed.sort_unstable();
        assert_eq!(
            trigger_topics, consumed,
            "{file}: the service consumes other topics"
        );
        for t in &so.spec.triggers {
            assert_eq!(t.kind, "kafka");
            assert_eq!(
                t.metadata["consumerGroup"], config.group_id,
                "{file}: the service joins another group"
            );
            assert!(t.metadata["lagThreshold"]
                .parse::<i64>()
                .is_ok_and(|l| l > 0));
        }
        // the documented alternative exists with the same bounds
        let hpa = docs
            .iter()
            .find(|d| {
                d.1 == "HorizontalPodAutoscaler" && d.2["metadata"]["name"].as_str() == Some(&name)
            })
            .expect("an HPA alternative");
        let hpa: HorizontalPodAutoscaler = typed(&hpa.2);
        // the HPA's metric is one the service's runtime really exports
        let metric = hpa
            .spec
            .as_ref()
            .and_then(|s| s.metrics.as_ref())
            .and_then(|m| m.first())
            .and_then(|m| m.external.as_ref())
            .map(|e| e.metric.name.clone())
            .expect("an external metric");
        let metrics = runtime::Metrics::new(&config.service);
        assert!(
            metrics.encode().contains(&format!("# TYPE {metric} gauge")),
            "{file}: the runtime exports no {metric}"
        );
        assert_eq!(
            hpa.spec.expect("spec").max_replicas,
            so.spec.max_replica_count
        );
        scaled += 1;
    }
    assert!(scaled >= 2, "tobacco-ingest and indexer scale");
    // sources never scale
    assert!(!docs.iter().any(
        |d| d.1 == "ScaledObject" && d.2["metadata"]["name"].as_str() == Some("tobacco-source")
    ));
}

/// Fast recovery: every autoscaled consumer is a StatefulSet whose pods keep their
/// names, each a static group member named by its pod (a restart rejoins with no
/// rebalance); its autoscalers target the StatefulSet; nothing else is static.
#[test]
fn scaled_consumers_are_statefulsets_of_static_members() {
    let docs = documents();
    let named = |kind: &str, name: &str| {
        docs.iter()
            .find(|d| d.1 == kind && d.2["metadata"]["name"].as_str() == Some(name))
            .map(|d| d.2.clone())
    };
    let scaled: Vec<String> = docs
        .iter()
        .filter(|d| d.1 == "ScaledObject")
        .map(|d| typed::<ScaledObject>(&d.2).spec.scale_target_ref)
        .map(|target| {
            assert_eq!(
                (target.api_version.as_str(), target.kind.as_str()),
                ("apps/v1", "StatefulSet"),
                "{}",
                target.name
            );
            target.name
        })
        .collect();
    assert!(scaled.len() >= 4, "{scaled:?}");
    for name in &scaled {
        let set: StatefulSet =
            typed(&named("StatefulSet", name).unwrap_or_else(|| panic!("no StatefulSet {name}")));
        let spec = set.spec.expect("spec");
        assert_eq!(spec.pod_management_policy.as_deref(), Some("Parallel"));
        assert_eq!(
            spec.update_strategy.and_then(|u| u.type_).as_deref(),
            Some("RollingUpdate")
        );
        let service: Service = typed(&named("Service", name).expect("its Service"));
        assert_eq!(spec.service_name.as_deref(), Some(name.as_str()));
        assert_eq!(
            service.spec.and_then(|s| s.cluster_ip).as_deref(),
            Some("None"),
            "{name}: the governing Service is headless"
        );
        let c = &spec.template.spec.expect("pod").containers[0];
        let id = c
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "DOCSTREAM_INSTANCE_ID")
            .and_then(|e| e.value_from.clone())
            .and_then(|f| f.field_ref)
            .expect("the instance id from the pod");
        assert_eq!(id.field_path, "metadata.name");
        let env = &named("ConfigMap", &format!("{name}-env")).expect("env")["data"];
        assert_eq!(env["DOCSTREAM_STATIC_MEMBERSHIP"].as_str(), Some("true"));
        // and the runtime reads it so
        let vars = BTreeMap::from([
            ("DOCSTREAM_STATIC_MEMBERSHIP".to_owned(), "true".to_owned()),
            ("DOCSTREAM_INSTANCE_ID".to_owned(), format!("{name}-0")),
        ]);
        let config = runtime::RuntimeConfig::from_vars(
            name,
            &runtime::Defaults::of(name).expect("topics"),
            &vars,
        )
        .expect("config");
        assert!(config.static_membership, "{name}");
        let hpa: HorizontalPodAutoscaler =
            typed(&named("HorizontalPodAutoscaler", name).expect("the HPA alternative"));
        assert_eq!(hpa.spec.expect("spec").scale_target_ref.kind, "StatefulSet");
    }
    // the rest stay Deployments with dynamic membership (names change on a roll)
    for (file, _, v) in docs.iter().filter(|d| d.1 == "Deployment") {
        let name = v["metadata"]["name"].as_str().expect("name");
        assert!(!scaled.iter().any(|s| s == name), "{file}");
        let env = &named("ConfigMap", &format!("{name}-env")).expect("env")["data"];
        assert!(env.get("DOCSTREAM_STATIC_MEMBERSHIP").is_none(), "{file}");
    }
}

#[test]
fn network_policies_allow_only_kafka_search_and_own_database() {
    let settings = deploy::read_inputs(&root()).expect("inputs").settings;
    let docs = documents();
    let deny = docs
        .iter()
        .find(|d| {
            d.1 == "NetworkPolicy" && d.2["metadata"]["name"].as_str() == Some("default-deny")
        })
        .expect("default deny");
    let deny: NetworkPolicy = typed(&deny.2);
    let spec = deny.spec.expect("spec");
    assert!(spec.ingress.is_none() && spec.egress.is_none());
    let ports = |name: &str| -> Vec<i32> {
        let np = docs
            .iter()
            .find(|d| d.1 == "NetworkPolicy" && d.2["metadata"]["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("{name}: no policy"));
        let np: NetworkPolicy = typed(&np.2);
        let mut p: Vec<i32> = np
            .spec
            .expect("spec")
            .egress
            .expect("egress")
            .iter()
            .flat_map(|r| r.ports.clone().unwrap_or_default())
            .filter_map(|p| match p.port {
                Some(IntOrString::Int(n)) => Some(n),
                _ => None,
            })
            .collect();
        p.sort_unstable();
        p.dedup();
        p
    };
    let (kafka, search, mysql) = (
        settings.kafka.port,
        settings.search.port,
        settings.databases["mysql"].port,
    );
    let sorted = |mut v: Vec<i32>| {
        v.sort_unstable();
        v
    };
    assert_eq!(ports("indexer"), sorted(vec![53, kafka, search]));
    assert_eq!(ports("tobacco-ingest"), sorted(vec![53, kafka]));
    assert_eq!(ports("tobacco-source"), sorted(vec![53, kafka, mysql]));
    let mongo = settings.databases["mongo"].port;
    assert_eq!(ports("etd-source"), sorted(vec![53, kafka, mongo]));
    // and the web, for http(s):// PDF references, as k8s/services.yaml allows it
    let etd = settings
        .deployments
        .iter()
        .find(|d| d.name == "etd-ingest")
        .expect("etd-ingest");
    assert!(!etd.web_egress.is_empty());
    // and the object store's gateway, for s3:// PDF references
    let store = settings.object_store.as_ref().expect("an object store");
    assert_eq!(
        ports("etd-ingest"),
        sorted(vec![53, 80, 443, kafka, store.port])
    );
    assert_eq!(
        ports("search-api"),
        sorted(vec![53, kafka, search, store.port])
    );
    let np = docs
        .iter()
        .find(|d| d.1 == "NetworkPolicy" && d.2["metadata"]["name"].as_str() == Some("etd-ingest"))
        .expect("etd-ingest policy");
    let np: NetworkPolicy = typed(&np.2);
    let blocks: Vec<String> = np
        .spec
        .expect("spec")
        .egress
        .expect("egress")
        .iter()
        .flat_map(|r| r.to.clone().unwrap_or_default())
        .filter_map(|peer| peer.ip_block.map(|b| b.cidr))
        .collect();
    assert_eq!(blocks, etd.web_egress);
}

#[test]
fn the_public_service_gets_an_ingress_to_its_pages_and_scales_on_cpu() {
    let docs = documents();
    let ingresses: Vec<&(String, String, serde_yaml::Value)> =
        docs.iter().filter(|(_, k, _)| k == "Ingress").collect();
    assert_eq!(ingresses.len(), 1, "only the search API is public");
    let (file, _, v) = ingresses[0];
    assert_eq!(file, "k8s/search-api.yaml");
    let ing: k8s_openapi::api::networking::v1::Ingress = typed(v);
    let rule = &ing
        .spec
        .as_ref()
        .and_then(|s| s.rules.clone())
        .expect("rules")[0];
    let paths: Vec<(String, String)> = rule
        .http
        .as_ref()
        .expect("http")
        .paths
        .iter()
        .map(|p| (p.path.clone().unwrap_or_default(), p.path_type.clone()))
        .collect();
    assert!(paths.contains(&("/".into(), "Exact".into())), "{paths:?}");
    assert!(paths.contains(&("/api".into(), "Prefix".into())));
    assert!(
        !paths
            .iter()
            .any(|(p, _)| p.starts_with("/metrics") || p == "/analytics"),
        "metrics and analytics stay inside: {paths:?}"
    );
    let hpa: HorizontalPodAutoscaler = typed(
        &docs
            .iter()
            .find(|(f, k, _)| f == "k8s/search-api.yaml" && k == "HorizontalPodAutoscaler")
            .expect("an HPA beside it")
            .2,
    );
    let spec = hpa.spec.expect("spec");
    let metric = &spec.metrics.expect("metrics")[0];
    assert_eq!(metric.type_, "Resource");
    assert_eq!(
        metric.resource.as_ref().map(|r| r.name.as_str()),
        Some("cpu")
    );
    assert!(spec.min_replicas >= Some(2));
    let policy: NetworkPolicy = typed(
        &docs
            .iter()
            .find(|(f, k, _)| f == "k8s/search-api.yaml" && k == "NetworkPolicy")
            .expect("a policy")
            .2,
    );
    let from = serde_json::to_string(&policy.spec.expect("spec").ingress).expect("json");
    assert!(
        from.contains("ingress-nginx"),
        "the controller may reach it: {from}"
    );
}

#[test]
fn a_web_egress_that_is_not_an_address_range_is_refused() {
    let mut inputs = deploy::read_inputs(&root()).expect("inputs");
    let etd = inputs
        .settings
        .deployments
        .iter()
        .position(|d| d.name == "etd-ingest")
        .expect("etd-ingest");
    let mut with = |cidrs: &[&str]| {
        inputs.settings.deployments[etd].web_egress =
            cidrs.iter().map(|c| (*c).to_owned()).collect();
        deploy::generate(&inputs).map(drop)
    };
    for bad in [
        "example.org",
        "10.0.0.0",
        "10.0.0.0/33",
        "::/129",
        "10.0.0/8",
    ] {
        let err = with(&[bad]).expect_err(bad).to_string();
        assert!(err.contains("web_egress") && err.contains(bad), "{err}");
    }
    assert!(with(&["203.0.113.0/24", "2001:db8::/32"]).is_ok());
}

#[test]
fn topics_become_strimzi_topics_and_kustomize_lists_everything() {
    let topics = topics::TopicsFile::load(root().join("topics.yaml")).expect("topics");
    let docs = documents();
    let kt: Vec<KafkaTopic> = docs
        .iter()
        .filter(|d| d.1 == "KafkaTopic")
        .map(|d| typed(&d.2))
        .collect();
    assert_eq!(kt.len(), topics.topics.len());
    for t in &topics.topics {
        let k = kt
            .iter()
            .find(|k| k.spec.topic_name == t.name)
            .unwrap_or_else(|| panic!("no KafkaTopic {}", t.name));
        assert_eq!(k.spec.partitions, t.partitions);
        assert_eq!(k.spec.config["cleanup.policy"], t.cleanup_policy.as_kafka());
    }
    let kust = docs
        .iter()
        .find(|d| d.1 == "Kustomization")
        .expect("kustomization");
    let listed: Vec<&str> = kust.2["resources"]
        .as_sequence()
        .expect("resources")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    for path in deploy::generated_files(&root()).expect("files") {
        let rel = path
            .strip_prefix("k8s")
            .expect("under k8s")
            .display()
            .to_string();
        if rel == "kustomization.yaml"
            || rel.starts_with("alternatives/")
            || rel.starts_with("alerts/")
        {
            continue;
        }
        if rel.starts_with("dashboards/") {
            let files: Vec<&str> = kust.2["configMapGenerator"][0]["files"]
                .as_sequence()
                .expect("dashboards")
                .iter()
                .filter_map(|f| f.as_str())
                .collect();
            assert!(
                files.contains(&rel.as_str()),
                "the dashboards' ConfigMap misses {rel}"
            );
            continue;
        }
        assert!(listed.contains(&rel.as_str()), "kustomization misses {rel}");
    }
}

#[test]
fn a_new_service_crate_gets_manifests_by_regenerating() {
    let mut inputs = deploy::read_inputs(&root()).expect("inputs");
    inputs.crates.push("summarizer".into());
    let files = deploy::generate(&inputs).expect("generate");
    let text = files
        .get(Path::new("k8s/summarizer.yaml"))
        .expect("a file for the new service");
    assert!(
        text.contains("image: ghcr.io/docstream/summarizer:"),
        "{text}"
    );
    // and a typo in the settings is refused with its name
    inputs.settings.deployments[0].crate_name = "no-such-crate".into();
    let e = deploy::generate(&inputs).expect_err("unknown crate");
    assert!(e.to_string().contains("no-such-crate"), "{e}");
}

#[test]
fn services_that_read_pdfs_get_the_object_store_its_secret_and_nothing_else_does() {
    let settings = deploy::read_inputs(&root()).expect("inputs").settings;
    let store = settings.object_store.clone().expect("an object store");
    let docs = documents();
    let find = |kind: &str, name: &str| {
        docs.iter()
            .find(|d| d.1 == kind && d.2["metadata"]["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no {kind} {name}"))
            .2
            .clone()
    };
    for (name, reads) in [
        ("etd-ingest", true),
        ("search-api", true),
        ("etd-source", false),
    ] {
        let env = &find("ConfigMap", &format!("{name}-env"))["data"];
        let (_, template) = docs
            .iter()
            .filter(|d| d.2["metadata"]["name"].as_str() == Some(name))
            .find_map(|d| workload(&d.2))
            .unwrap_or_else(|| panic!("no workload {name}"));
        let secrets: Vec<String> = template.spec.expect("pod").containers[0]
            .env_from
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| e.secret_ref.map(|s| s.name))
            .collect();
        if reads {
            assert_eq!(
                env["DOCSTREAM_S3_ENDPOINT"].as_str(),
                Some(store.endpoint.as_str()),
                "{name}"
            );
            assert_eq!(
                env["DOCSTREAM_S3_BUCKET"].as_str(),
                Some(store.bucket.as_str()),
                "{name}"
            );
            assert!(secrets.contains(&store.secret), "{name}: {secrets:?}");
            // the keys never sit in a ConfigMap
            assert!(
                env.get("DOCSTREAM_S3_SECRET_ACCESS_KEY").is_none(),
                "{name}"
            );
        } else {
            assert!(env.get("DOCSTREAM_S3_ENDPOINT").is_none(), "{name}");
            assert!(!secrets.contains(&store.secret), "{name}: {secrets:?}");
        }
    }
    let np: NetworkPolicy = typed(&find("NetworkPolicy", "etd-ingest"));
    let to_store = np
        .spec
        .expect("spec")
        .egress
        .expect("egress")
        .into_iter()
        .flat_map(|r| r.to.unwrap_or_default())
        .any(|peer| {
            peer.pod_selector.and_then(|p| p.match_labels) == Some(store.pod_labels.clone())
                && peer
                    .namespace_selector
                    .and_then(|n| n.match_labels)
                    .is_some_and(|l| l.values().any(|v| v == &store.namespace))
        });
    assert!(
        to_store,
        "etd-ingest may reach the gateway's pods in their namespace"
    );
}

#[test]
fn every_alert_has_a_runbook_in_the_k8s_readme() {
    let readme = std::fs::read_to_string(root().join("k8s/README.md")).expect("k8s/README.md");
    let watched =
        deploy::watched(&deploy::read_inputs(&root()).expect("inputs")).expect("deployments");
    let rules = deploy::alerts::rules(&watched, &deploy::alerts::Timing::production());
    let mut seen = std::collections::BTreeSet::new();
    for r in rules.groups.iter().flat_map(|g| &g.rules) {
        let anchor = r.annotations["runbook"].trim_start_matches("k8s/README.md#");
        assert!(
            readme.contains(&format!("\n### {anchor}\n")),
            "{}: no runbook heading ### {anchor} in k8s/README.md",
            r.alert
        );
        seen.insert(r.alert.clone());
    }
    // every alert the generator knows is written for some deployment
    for (alert, _) in deploy::alerts::ALERTS {
        assert!(seen.contains(alert), "{alert} is never generated");
    }
}
