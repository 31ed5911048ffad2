//! The documents a reader opened lately, kept in the reader's own browser: the
//! `docstream_recent` cookie (HttpOnly, 30 minutes after the last page, as a session's
//! idle gap), which the library neither logs nor stores. A document's page ranks its
//! related documents with the visit in view (`recommend::session`): its own list
//! first, the lists of the documents opened before it after.

use axum::http::{header, HeaderMap, HeaderValue};
use contracts::DocId;

pub const COOKIE: &str = "docstream_recent";

/// Seconds the cookie lives after the last page.
const MAX_AGE_SECS: u32 = 1800;

/// The documents the request's cookie names, most recent first (ids that do not parse
/// are left out), at most `keep`.
pub fn read(headers: &HeaderMap, keep: usize) -> Vec<DocId> {
    cookies(headers, COOKIE)
        .next()
        .map(|v| {
            v.split('|')
                .filter_map(|id| id.parse().ok())
                .take(keep)
                .collect()
        })
        .unwrap_or_default()
}

/// The values the request sends for cookie `name`, in order.
pub fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(move |(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The list once `id` is opened: it first, the others after it without it, at most
/// `keep`.
pub fn opened(recent: &[DocId], id: &DocId, keep: usize) -> Vec<DocId> {
    std::iter::once(id)
        .chain(recent.iter().filter(|r| *r != id))
        .take(keep)
        .cloned()
        .collect()
}

/// The `Set-Cookie` value that keeps `recent` (a document id's characters are all
/// allowed in a cookie; `|` separates them).
pub fn set_cookie(recent: &[DocId]) -> Option<HeaderValue> {
    let ids: Vec<String> = recent.iter().map(ToString::to_string).collect();
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax",
        ids.join("|")
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DocId {
        s.parse().expect("an id")
    }

    #[test]
    fn the_cookie_keeps_the_latest_documents_first_and_reads_back() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static(
                "docstream_session=abc; docstream_recent=tobacco:b|nonsense|etd:10919/5",
            ),
        );
        let recent = read(&h, 10);
        assert_eq!(recent, [id("tobacco:b"), id("etd:10919/5")]);
        assert_eq!(read(&h, 1), [id("tobacco:b")]);
        assert!(read(&HeaderMap::new(), 10).is_empty());
        let now = opened(&recent, &id("etd:10919/5"), 10);
        assert_eq!(
            now,
            [id("etd:10919/5"), id("tobacco:b")],
            "moved first, once"
        );
        assert_eq!(
            opened(&now, &id("tobacco:c"), 2),
            [id("tobacco:c"), id("etd:10919/5")]
        );
        let c = set_cookie(&now).expect("a header");
        let c = c.to_str().expect("ascii");
        assert!(
            c.starts_with("docstream_recent=etd:10919/5|tobacco:b;") && c.contains("HttpOnly"),
            "{c}"
        );
    }
}
