//! How to reach the object store, from `DOCSTREAM_S3_*` variables: a pure
//! constructor, the secret key never printed.

use std::time::Duration;

use settings::{parse, var, Secret, Vars};

/// Where PDFs are kept and how to reach them.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Settings {
    /// `DOCSTREAM_S3_ENDPOINT`: the server's URL (Ceph RGW, versitygw, MinIO); unset
    /// for AWS itself, whose endpoint follows from the region.
    pub endpoint: Option<String>,
    /// `DOCSTREAM_S3_REGION` (default `us-east-1`; Ceph RGW takes any, usually that).
    pub region: String,
    /// `DOCSTREAM_S3_BUCKET`: where uploads go. Reads take the bucket of each
    /// reference, with these credentials.
    pub bucket: Option<String>,
    /// `DOCSTREAM_S3_ACCESS_KEY_ID`, `DOCSTREAM_S3_SECRET_ACCESS_KEY`; both unset: the
    /// AWS default chain (instance or pod identity, `AWS_*` variables).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// `DOCSTREAM_S3_PATH_STYLE`: `http://host/bucket/key` (true, the default when an
    /// endpoint is set: Ceph RGW and versitygw serve it without wildcard DNS) or
    /// `http://bucket.host/key` (false, the default for AWS).
    pub path_style: bool,
    /// `DOCSTREAM_S3_PREFIX`: where uploaded PDFs go in the bucket (default `pdfs/`).
    pub prefix: String,
    /// `DOCSTREAM_S3_TIMEOUT_SECS`: one request, body included (default 120).
    pub timeout: Duration,
    /// `DOCSTREAM_S3_RETRIES`: the client's own retries of a failed request (default
    /// 2, quick); a service's retries and dead letters come on top.
    pub retries: usize,
}

impl S3Settings {
    /// Reads the `DOCSTREAM_S3_*` variables of `vars`.
    pub fn from_vars(vars: &Vars) -> settings::Result<Self> {
        let endpoint =
            var(vars, "DOCSTREAM_S3_ENDPOINT").map(|e| e.trim_end_matches('/').to_owned());
        let path_style = parse(vars, "DOCSTREAM_S3_PATH_STYLE", endpoint.is_some())?;
        let mut prefix = var(vars, "DOCSTREAM_S3_PREFIX").unwrap_or_else(|| "pdfs/".into());
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(Self {
            endpoint,
            region: var(vars, "DOCSTREAM_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            bucket: var(vars, "DOCSTREAM_S3_BUCKET"),
            access_key_id: var(vars, "DOCSTREAM_S3_ACCESS_KEY_ID"),
            secret_access_key: var(vars, "DOCSTREAM_S3_SECRET_ACCESS_KEY").map(Secret::new),
            path_style,
            prefix: prefix.trim_start_matches('/').to_owned(),
            timeout: Duration::from_secs(parse(vars, "DOCSTREAM_S3_TIMEOUT_SECS", 120)?),
            retries: parse(vars, "DOCSTREAM_S3_RETRIES", 2)?,
        })
    }

    /// True when an upload bucket is set: producers then put PDFs there.
    pub fn configured(&self) -> bool {
        self.bucket.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_means_path_style_and_the_secret_never_prints() {
        let s = S3Settings::from_vars(&settings::vars_of(&[
            ("DOCSTREAM_S3_ENDPOINT", "http://127.0.0.1:7070/"),
            ("DOCSTREAM_S3_BUCKET", "docstream"),
            ("DOCSTREAM_S3_ACCESS_KEY_ID", "id"),
            ("DOCSTREAM_S3_SECRET_ACCESS_KEY", "hunter2"),
            ("DOCSTREAM_S3_PREFIX", "theses"),
        ]))
        .expect("settings");
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:7070"));
        assert!(s.path_style && s.configured());
        assert_eq!(s.prefix, "theses/");
        assert!(!format!("{s:?}").contains("hunter2"));
        let aws = S3Settings::from_vars(&settings::vars_of(&[])).expect("defaults");
        assert!(!aws.path_style && !aws.configured());
        assert_eq!(aws.region, "us-east-1");
        let err = S3Settings::from_vars(&settings::vars_of(&[("DOCSTREAM_S3_RETRIES", "x")]))
            .expect_err("bad number");
        assert!(
            err.to_string().starts_with("DOCSTREAM_S3_RETRIES="),
            "{err}"
        );
    }
}
