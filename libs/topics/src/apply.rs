//! Reading topic state from a broker and carrying out a [`Plan`] with the admin API.
//!
//! Kafka's AlterConfigs replaces a topic's whole dynamic config, so a change keeps
//! every other dynamic config the topic already has (an operator's `min.insync.replicas`
//! survives a retention change).

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, NewPartitions, NewTopic, ResourceSpecifier,
    TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::types::RDKafkaErrorCode;

use crate::{plan, Action, Error, ExistingTopic, Plan, Result, TopicsFile};

const TIMEOUT: Duration = Duration::from_secs(30);

/// What `apply` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub plan: Plan,
}

impl Applied {
    /// True when the broker already matched and nothing was changed.
    pub fn changed_nothing(&self) -> bool {
        self.plan.is_empty()
    }
}

fn admin(config: &ClientConfig) -> Result<AdminClient<DefaultClientContext>> {
    Ok(config.create()?)
}

fn options() -> AdminOptions {
    AdminOptions::new()
        .operation_timeout(Some(TIMEOUT))
        .request_timeout(Some(TIMEOUT))
}

/// The broker's view of the topics named in `file` that exist.
pub async fn current_state(
    config: &ClientConfig,
    file: &TopicsFile,
) -> Result<BTreeMap<String, ExistingTopic>> {
    let admin = admin(config)?;
    current_state_with(&admin, file).await
}

async fn current_state_with(
    admin: &AdminClient<DefaultClientContext>,
    file: &TopicsFile,
) -> Result<BTreeMap<String, ExistingTopic>> {
    let metadata = admin.inner().fetch_metadata(None, TIMEOUT)?;
    let mut out = BTreeMap::new();
    for t in metadata.topics() {
        if file.get(t.name()).is_none() || t.partitions().is_empty() {
            continue;
        }
        let replication_factor = t
            .partitions()
            .iter()
            .map(|p| p.replicas().len())
            .max()
            .unwrap_or(0);
        out.insert(
            t.name().to_owned(),
            ExistingTopic {
                partitions: i32::try_from(t.partitions().len()).unwrap_or(i32::MAX),
                replication_factor: i32::try_from(replication_factor).unwrap_or(i32::MAX),
                configs: BTreeMap::new(),
            },
        );
    }
    let names: Vec<String> = out.keys().cloned().collect();
    for (name, configs) in names.iter().zip(dynamic_configs(admin, &names).await?) {
        if let Some(t) = out.get_mut(name) {
            t.configs = configs;
        }
    }
    Ok(out)
}

/// Each topic's configs that were set on the topic (not broker defaults).
async fn dynamic_configs(
    admin: &AdminClient<DefaultClientContext>,
    names: &[String],
) -> Result<Vec<BTreeMap<String, String>>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let specs: Vec<_> = names.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
    let results = admin.describe_configs(&specs, &options()).await?;
    results
        .into_iter()
        .zip(names)
        .map(|(r, name)| {
            let resource = r.map_err(|code| refused("describe configs", name, code))?;
            Ok(resource
                .entries
                .into_iter()
                .filter(|e| matches!(e.source, rdkafka::admin::ConfigSource::DynamicTopic))
                .filter_map(|e| e.value.map(|v| (e.name, v)))
                .collect())
        })
        .collect()
}

fn refused(action: &'static str, topic: &str, code: RDKafkaErrorCode) -> Error {
    Error::Refused {
        action,
        topic: topic.to_owned(),
        reason: code.to_string(),
    }
}

/// Makes the broker match `file`: creates missing topics, raises partition counts and
/// sets configs. Refuses, changing nothing, when the file asks what Kafka cannot do.
pub async fn apply(config: &ClientConfig, file: &TopicsFile) -> Result<Applied> {
    let admin = admin(config)?;
    let existing = current_state_with(&admin, file).await?;
    let plan = plan(file, &existing);
    if !plan.refusals.is_empty() {
        return Err(Error::Impossible(plan.refusals));
    }
    for action in &plan.actions {
        tracing::info!(%action, "applying");
        match action {
            Action::Create {
                name,
                partitions,
                replication_factor,
                configs,
            } => {
                let mut topic = NewTopic::new(
                    name,
                    *partitions,
                    TopicReplication::Fixed(*replication_factor),
                );
                for (k, v) in configs {
                    topic = topic.set(k, v);
                }
                for r in admin.create_topics([&topic], &options()).await? {
                    match r {
                        Ok(_) => {}
                        // another apply created it between our read and this call
                        Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((_, code)) => return Err(refused("create", name, code)),
                    }
                }
            }
            Action::AddPartitions { name, to, .. } => {
                let to = usize::try_from(*to).unwrap_or(usize::MAX);
                let p = NewPartitions::new(name, to);
                for r in admin.create_partitions([&p], &options()).await? {
                    r.map_err(|(_, code)| refused("add partitions", name, code))?;
                }
            }
            Action::AlterConfigs { name, changes } => {
                // keep the topic's other dynamic configs: AlterConfigs replaces them all
                let mut all = existing
                    .get(name)
                    .map(|t| t.configs.clone())
                    .unwrap_or_default();
                for (k, (_, v)) in changes {
                    all.insert(k.clone(), v.clone());
                }
                let mut alter = AlterConfig::new(ResourceSpecifier::Topic(name));
                for (k, v) in &all {
                    alter = alter.set(k, v);
                }
                for r in admin.alter_configs([&alter], &options()).await? {
                    r.map_err(|(_, code)| refused("alter configs", name, code))?;
                }
            }
        }
    }
    Ok(Applied { plan })
}
