//! The plan: what to change on a broker so it matches `topics.yaml`. Pure, no IO.
//!
//! Kafka can create topics, add partitions and change topic configs in place. It
//! cannot remove partitions or change a replication factor without a reassignment,
//! so those are refusals, and a plan with refusals is not applied at all.

use std::collections::BTreeMap;
use std::fmt;

use crate::{TopicSpec, TopicsFile};

/// A topic as the broker has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingTopic {
    pub partitions: i32,
    pub replication_factor: i32,
    /// The managed configs with their current values.
    pub configs: BTreeMap<String, String>,
}

/// One change to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        name: String,
        partitions: i32,
        replication_factor: i32,
        configs: BTreeMap<String, String>,
    },
    AddPartitions {
        name: String,
        from: i32,
        to: i32,
    },
    AlterConfigs {
        name: String,
        /// key -> (current, wanted)
        changes: BTreeMap<String, (Option<String>, String)>,
    },
}

/// Something topics.yaml asks that Kafka cannot do in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ShrinkPartitions { name: String, from: i32, to: i32 },
    ChangeReplicationFactor { name: String, from: i32, to: i32 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShrinkPartitions { name, from, to } => write!(
                f,
                "{name}: partitions cannot shrink ({from} -> {to}); create a new topic and migrate"
            ),
            Self::ChangeReplicationFactor { name, from, to } => write!(
                f,
                "{name}: replication factor cannot change in place ({from} -> {to}); use kafka-reassign-partitions"
            ),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create {
                name,
                partitions,
                replication_factor,
                ..
            } => write!(
                f,
                "create {name} ({partitions} partitions, replication {replication_factor})"
            ),
            Self::AddPartitions { name, from, to } => {
                write!(f, "raise {name} partitions {from} -> {to}")
            }
            Self::AlterConfigs { name, changes } => {
                write!(f, "set {name}")?;
                for (k, (old, new)) in changes {
                    write!(
                        f,
                        " {k}: {} -> {new}",
                        old.as_deref().unwrap_or("(default)")
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// All the changes, and what cannot be done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub refusals: Vec<Refusal>,
}

impl Plan {
    /// True when the broker already matches.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.refusals.is_empty()
    }
}

/// Compares the wanted topics with what exists (by name) and lists the changes.
pub fn plan(file: &TopicsFile, existing: &BTreeMap<String, ExistingTopic>) -> Plan {
    let mut out = Plan::default();
    for spec in &file.topics {
        let rf = file.replication_factor(spec);
        let wanted = wanted_configs(spec);
        let Some(have) = existing.get(&spec.name) else {
            out.actions.push(Action::Create {
                name: spec.name.clone(),
                partitions: spec.partitions,
                replication_factor: rf,
                configs: wanted,
            });
            continue;
        };
        if have.replication_factor != rf {
            out.refusals.push(Refusal::ChangeReplicationFactor {
                name: spec.name.clone(),
                from: have.replication_factor,
                to: rf,
            });
        }
        if have.partitions > spec.partitions {
            out.refusals.push(Refusal::ShrinkPartitions {
                name: spec.name.clone(),
                from: have.partitions,
                to: spec.partitions,
            });
        } else if have.partitions < spec.partitions {
            out.actions.push(Action::AddPartitions {
                name: spec.name.clone(),
                from: have.partitions,
                to: spec.partitions,
            });
        }
        let changes: BTreeMap<_, _> = wanted
            .into_iter()
            .filter_map(|(k, v)| {
                let current = have.configs.get(&k).cloned();
                (current.as_deref() != Some(v.as_str())).then_some((k, (current, v)))
            })
            .collect();
        if !changes.is_empty() {
            out.actions.push(Action::AlterConfigs {
                name: spec.name.clone(),
                changes,
            });
        }
    }
    out
}

fn wanted_configs(spec: &TopicSpec) -> BTreeMap<String, String> {
    TopicsFile::configs(spec)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(partitions: i32, rf: i32) -> TopicsFile {
        TopicsFile::parse(&format!(
            "topics:\n  - {{name: t, partitions: {partitions}, replication_factor: {rf}, retention_ms: 1000, cleanup_policy: delete, key: k, message_type: T, producers: [], consumers: []}}\n"
        ))
        .expect("valid")
    }

    fn have(partitions: i32, rf: i32, retention: &str) -> BTreeMap<String, ExistingTopic> {
        BTreeMap::from([(
            "t".to_owned(),
            ExistingTopic {
                partitions,
                replication_factor: rf,
                configs: BTreeMap::from([
                    ("cleanup.policy".to_owned(), "delete".to_owned()),
                    ("retention.ms".to_owned(), retention.to_owned()),
                ]),
            },
        )])
    }

    #[test]
    fn missing_topic_is_created_with_its_configs() {
        let p = plan(&file(3, 1), &BTreeMap::new());
        assert!(p.refusals.is_empty());
        match &p.actions[..] {
            [Action::Create {
                partitions: 3,
                replication_factor: 1,
                configs,
                ..
            }] => assert_eq!(configs["retention.ms"], "1000"),
            other => panic!("unexpected plan {other:?}"),
        }
    }

    #[test]
    fn matching_topic_gives_an_empty_plan() {
        assert!(plan(&file(3, 1), &have(3, 1, "1000")).is_empty());
    }

    #[test]
    fn more_partitions_and_changed_config_are_actions() {
        let p = plan(&file(5, 1), &have(3, 1, "42"));
        assert_eq!(p.actions.len(), 2, "{p:?}");
        assert!(p.actions.contains(&Action::AddPartitions {
            name: "t".into(),
            from: 3,
            to: 5
        }));
        assert!(p.actions[1]
            .to_string()
            .contains("retention.ms: 42 -> 1000"));
    }

    #[test]
    fn shrinking_and_replication_changes_are_refused() {
        let p = plan(&file(2, 3), &have(4, 1, "1000"));
        assert!(p.actions.is_empty());
        assert_eq!(p.refusals.len(), 2);
        assert!(p
            .refusals
            .iter()
            .any(|r| r.to_string().contains("cannot shrink (4 -> 2)")));
    }
}
