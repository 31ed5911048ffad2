//! Reading `DOCSTREAM_*` variables from a map: every settings type has a pure
//! `from_vars(&Vars)` constructor, and only `main` calls [`env_vars`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Configuration variables by name.
pub type Vars = BTreeMap<String, String>;

/// The process's `DOCSTREAM_*` variables, plus `HOSTNAME` (the default instance id:
/// a Kubernetes pod's name) and `HOME` (where the default cache, and the embedding
/// model in it, is), for the `from_vars` constructors.
pub fn env_vars() -> Vars {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("DOCSTREAM_") || k == "HOSTNAME" || k == "HOME")
        .collect()
}

/// Variables from pairs (tests and tools that set their own).
pub fn vars_of(pairs: &[(&str, &str)]) -> Vars {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A variable's value, trimmed; `None` when unset or empty.
pub fn var(vars: &Vars, key: &str) -> Option<String> {
    vars.get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A variable parsed, or `default` when unset or empty; the error names the variable
/// and its value. Every service's settings read numbers through this.
pub fn parse<T: FromStr>(vars: &Vars, key: &str, default: T) -> Result<T>
where
    T::Err: fmt::Display,
{
    match vars.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e: T::Err| Error::Invalid {
            key: key.to_owned(),
            value: v.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// `DOCSTREAM_HTTP_ADDR`, where a service serves `/metrics`, `/livez` and `/readyz`:
/// every interface on [`crate::facts::HTTP_PORT`] unless set.
pub fn http_addr(vars: &Vars) -> Result<std::net::SocketAddr> {
    parse(
        vars,
        "DOCSTREAM_HTTP_ADDR",
        std::net::SocketAddr::from(([0, 0, 0, 0], crate::facts::HTTP_PORT)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_and_empty_take_the_default_and_bad_values_name_the_variable() {
        let vars: Vars = [("A", " 7 "), ("B", ""), ("C", "lots")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(parse(&vars, "A", 1_u32).expect("a"), 7);
        assert_eq!(parse(&vars, "B", 1_u32).expect("b"), 1);
        assert_eq!(parse(&vars, "Z", 1_u32).expect("z"), 1);
        assert_eq!(var(&vars, "B"), None);
        let err = parse(&vars, "C", 1_u32).expect_err("c").to_string();
        assert!(err.starts_with("C=\"lots\": "), "{err}");
    }
}
