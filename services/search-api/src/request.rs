//! A search request from its query string, pure: `q`, `collection` (`etds`,
//! `tobacco`), `facet` and `filter` (`field:value`), both repeatable, `page`, `size`,
//! `sort` (`relevance`, `newest`, `oldest`), `year_from` and `year_to` (a range, either
//! end open; empty is open), `mode` (`lexical`, `semantic`, `hybrid`; the server's
//! default when absent). What is wrong is said, for a 400. The web pages' forms send
//! the same parameters, so a page's URL is its search.

use searchindex::query::{facet_field, Mode, Search, Sort};
use searchindex::Collection;

/// Bounds on what one request may ask, and the ranking it gets when it names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_query_chars: usize,
    pub max_size: usize,
    /// `page × size` at most: deep paging is bounded.
    pub max_results: usize,
    /// `DOCSTREAM_SEARCH_MODE` (default `hybrid`, `Mode::default()`).
    pub default_mode: Mode,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_query_chars: 500,
            max_size: 50,
            max_results: 1000,
            default_mode: Mode::default(),
        }
    }
}

/// The facets a search page shows when the request names none.
pub const DEFAULT_FACETS: &[&str] = &["collection", "year", "cluster.label"];

/// The search a query string asks for.
pub fn parse(query: Option<&str>, limits: Limits) -> Result<(Search, usize), String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| format!("the query string does not parse: {e}"))?;
    let mut s = Search {
        size: 10,
        highlight_tags: (crate::html::MARK.0.into(), crate::html::MARK.1.into()),
        mode: limits.default_mode,
        ..Search::default()
    };
    let mut page = 1usize;
    let (mut low, mut high) = (None, None);
    for (k, v) in pairs {
        match k.as_str() {
            "q" => {
                if v.chars().count() > limits.max_query_chars {
                    return Err(format!(
                        "q is longer than {} characters",
                        limits.max_query_chars
                    ));
                }
                s.query = v;
            }
            "collection" if v.is_empty() => {}
            "collection" => {
                s.collection = Some(
                    Collection::parse(&v)
                        .ok_or_else(|| format!("collection {v:?}: etds or tobacco"))?,
                );
            }
            "facet" => {
                facet_field(&v).map_err(|e| e.to_string())?;
                s.facets.push(v);
            }
            "filter" => {
                let (field, value) = v
                    .split_once(':')
                    .ok_or_else(|| format!("filter {v:?}: expected field:value"))?;
                facet_field(field).map_err(|e| e.to_string())?;
                s.filters.push((field.to_owned(), value.to_owned()));
            }
            "year_from" | "year_to" if v.trim().is_empty() => {}
            "year_from" => low = Some(year(&k, &v)?),
            "year_to" => high = Some(year(&k, &v)?),
            "page" => page = number(&k, &v)?.max(1),
            "size" => s.size = number(&k, &v)?,
            "mode" if v.is_empty() => {}
            "mode" => {
                s.mode = Mode::parse(&v)
                    .ok_or_else(|| format!("mode {v:?}: lexical, semantic or hybrid"))?;
            }
            "sort" => {
                s.sort = Sort::parse(&v)
                    .ok_or_else(|| format!("sort {v:?}: relevance, newest or oldest"))?;
            }
            other => return Err(format!("unknown parameter {other:?}")),
        }
    }
    if s.size == 0 || s.size > limits.max_size {
        return Err(format!("size must be 1 to {}", limits.max_size));
    }
    if page.saturating_mul(s.size) > limits.max_results {
        return Err(format!(
            "page {page} of {} is past the first {} results",
            s.size, limits.max_results
        ));
    }
    if low.is_some() || high.is_some() {
        s.ranges.push(("year".into(), low, high));
    }
    if s.facets.is_empty() {
        s.facets = DEFAULT_FACETS.iter().map(|f| (*f).to_owned()).collect();
    }
    s.from = (page - 1) * s.size;
    Ok((s, page))
}

fn year(key: &str, v: &str) -> Result<i64, String> {
    v.trim()
        .parse()
        .ok()
        .filter(|y| (0..=9999).contains(y))
        .ok_or_else(|| format!("{key} {v:?} is not a year"))
}

fn number(key: &str, v: &str) -> Result<usize, String> {
    v.parse()
        .map_err(|_| format!("{key} {v:?} is not a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_request_parses() {
        let (s, page) = parse(
            Some("q=youth+smoking&collection=tobacco&facet=document_type&facet=year&filter=year:1999&page=3&size=20&sort=newest"),
            Limits::default(),
        )
        .expect("valid");
        assert_eq!(s.query, "youth smoking");
        assert_eq!(s.collection, Some(Collection::Tobacco));
        assert_eq!(s.facets, ["document_type", "year"]);
        assert_eq!(s.filters, [("year".to_owned(), "1999".to_owned())]);
        assert_eq!((page, s.size, s.from), (3, 20, 40));
        assert_eq!(s.sort, Sort::Newest);
        assert_eq!(s.mode, Mode::Hybrid, "the default");
        let lexical = Limits {
            default_mode: Mode::Lexical,
            ..Limits::default()
        };
        let (m, _) = parse(Some("q=x&mode=semantic"), lexical).expect("mode");
        assert_eq!(m.mode, Mode::Semantic);
        assert_eq!(
            parse(Some("q=x"), lexical).expect("mode").0.mode,
            Mode::Lexical
        );
        let (r, _) = parse(Some("year_from=1990&year_to="), Limits::default()).expect("range");
        assert_eq!(r.ranges, [("year".to_owned(), Some(1990), None)]);
        let (d, page) = parse(None, Limits::default()).expect("empty");
        assert_eq!((page, d.size, d.from), (1, 10, 0));
        assert_eq!(d.facets, DEFAULT_FACETS);
    }

    #[test]
    fn what_is_wrong_is_said() {
        let e = |q: &str| parse(Some(q), Limits::default()).expect_err(q);
        assert!(e("size=0").contains("size must be 1 to 50"));
        assert!(e("size=500").contains("size must be"));
        assert!(e("page=200&size=10").contains("past the first 1000"));
        assert!(e("page=x").contains("not a whole number"));
        assert!(e("collection=films").contains("etds or tobacco"));
        assert!(
            e("facet=fulltext").contains("department"),
            "names the facets"
        );
        assert!(e("filter=year").contains("field:value"));
        assert!(e("sort=random").contains("relevance"));
        assert!(e("mode=neural").contains("lexical, semantic or hybrid"));
        assert!(e("color=red").contains("unknown parameter"));
        assert!(e("year_from=19x").contains("not a year"));
        assert!(e(&format!("q={}", "a".repeat(501))).contains("longer than 500"));
    }
}
