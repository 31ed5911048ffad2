//! DSpace exports a repeatable field as a string when it has one value and as a list
//! when it has several; [`OneOrMany`] reads both and always hands out a list.

use serde::{Deserialize, Serialize};

/// A field that is a single value in one record and a list in the next.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<T: Clone> OneOrMany<T> {
    /// All values, in order.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            Self::One(v) => vec![v.clone()],
            Self::Many(v) => v.clone(),
        }
    }

    /// The first value.
    pub fn first(&self) -> Option<&T> {
        match self {
            Self::One(v) => Some(v),
            Self::Many(v) => v.first(),
        }
    }
}
