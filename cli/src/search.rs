//! `docstream search` and `docstream index`: what got indexed, as a person sees it,
//! and the alias swap that finishes a rebuild.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use searchindex::query::{self, Found, Search};
use searchindex::{Collection, EngineSettings, Layout};

/// Parses `FIELD=VALUE`.
pub fn parse_filter(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((f, v)) if !f.trim().is_empty() => Ok((f.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("expected FIELD=VALUE, got {s:?}")),
    }
}

pub fn parse_sort(s: &str) -> Result<query::Sort, String> {
    query::Sort::parse(s).ok_or_else(|| format!("expected relevance, newest or oldest, got {s:?}"))
}

pub fn parse_collection(s: &str) -> Result<Collection, String> {
    Collection::parse(s).ok_or_else(|| format!("expected etds or tobacco, got {s:?}"))
}

/// How long a printed PDF link works.
pub const PDF_LINK_EXPIRY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Runs a search and prints hits with snippets, then the facet counts; a hit's PDF in
/// the object store is linked by a presigned URL that works for
/// [`PDF_LINK_EXPIRY`] (`store` is `None` when no S3 store is configured: then the
/// `s3://` reference itself is printed).
pub async fn run(
    engine: &EngineSettings,
    mut s: Search,
    store: Option<&blobstore::Store>,
) -> Result<()> {
    let tty = std::io::stdout().is_terminal();
    s.highlight_tags = if tty {
        ("\x1b[1m".into(), "\x1b[0m".into())
    } else {
        ("**".into(), "**".into())
    };
    let es = engine.client()?;
    engine.check_access(&es).await?;
    let layout = Layout::new(engine);
    let mut found = query::search(&es, &layout, &s)
        .await
        .with_context(|| format!("search {}", engine.url))?;
    if let Some(store) = store {
        for h in &mut found.hits {
            let Some(contracts::PdfRef::S3 { bucket, key, .. }) = h
                .pdf_url
                .as_deref()
                .and_then(|u| contracts::PdfRef::parse(u).ok())
            else {
                continue;
            };
            match store.presign(&bucket, &key, PDF_LINK_EXPIRY).await {
                Ok(url) => h.pdf_url = Some(url),
                Err(e) => eprintln!("no link to the pdf of {}: {e}", h.id),
            }
        }
    }
    print!("{}", render(&s, &found));
    Ok(())
}

/// The text printed for a search.
pub fn render(s: &Search, found: &Found) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let scope = s.collection.map_or("both collections", Collection::name);
    let _ = writeln!(
        out,
        "{} hit(s) for {:?} in {scope}{}",
        found.total,
        s.query,
        if found.hits.len() < usize::try_from(found.total).unwrap_or(usize::MAX) {
            format!(", showing {}", found.hits.len())
        } else {
            String::new()
        }
    );
    for (i, h) in found.hits.iter().enumerate() {
        let year = h.year.map(|y| format!(" ({y})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{:>2}. {}{year}  [{} {}, score {:.2}]",
            i + 1,
            h.title.as_deref().unwrap_or("(untitled)"),
            h.collection,
            h.id,
            h.score
        );
        for snippet in h.snippets.iter().take(3) {
            let _ = writeln!(out, "    … {snippet} …");
        }
        if let Some(cluster) = &h.cluster {
            let _ = writeln!(out, "    cluster: {cluster}");
        }
        if let Some(summary) = &h.summary {
            let _ = writeln!(out, "    summary: {summary}");
        }
        if let Some(pdf) = &h.pdf_url {
            let _ = writeln!(out, "    pdf: {pdf}");
        }
        for (title, summary) in h.sections.iter().take(4) {
            let _ = writeln!(out, "    {title}: {summary}");
        }
        if h.sections.len() > 4 {
            let _ = writeln!(out, "    ({} more chapters)", h.sections.len() - 4);
        }
    }
    for f in &found.facets {
        let _ = writeln!(out, "\n{}:", f.field);
        if f.counts.is_empty() {
            let _ = writeln!(out, "  (no values)");
        }
        for (value, n) in &f.counts {
            let _ = writeln!(out, "  {n:>7}  {value}");
        }
    }
    out
}

/// Points a collection's alias at another index in one step.
pub async fn swap(engine: &EngineSettings, collection: Collection, index: &str) -> Result<()> {
    let es = engine.client()?;
    engine.check_access(&es).await?;
    let layout = Layout::new(engine);
    layout
        .swap(&es, collection, index)
        .await
        .with_context(|| format!("swap {} to {index}", layout.alias(collection)))?;
    println!("{} now points at {index}", layout.alias(collection));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use searchindex::query::{Facet, Hit};

    #[test]
    fn filters_and_collections_parse() {
        assert_eq!(
            parse_filter("degree.level = doctoral"),
            Ok(("degree.level".into(), "doctoral".into()))
        );
        assert!(parse_filter("nope").is_err());
        assert_eq!(parse_collection("tobacco"), Ok(Collection::Tobacco));
        assert!(parse_collection("books").is_err());
    }

    #[test]
    fn output_shows_hits_snippets_and_facets() {
        let s = Search {
            query: "nicotine".into(),
            ..Search::default()
        };
        let f = Found {
            total: 3,
            hits: vec![Hit {
                id: "tobacco:ab1".into(),
                collection: "tobacco".into(),
                title: Some("A memo".into()),
                year: Some(1999),
                score: 1.5,
                snippets: vec!["the **nicotine** level".into()],
                summary: Some("The memo sets nicotine targets.".into()),
                sections: vec![("Results".into(), "Levels fell.".into())],
                cluster: Some("nicotine · levels".into()),
                pdf_url: Some("s3://etds/pdfs/ab.pdf".into()),
            }],
            facets: vec![Facet {
                field: "document_type".into(),
                counts: vec![("memo".into(), 2)],
            }],
        };
        let text = render(&s, &f);
        assert!(
            text.starts_with("3 hit(s) for \"nicotine\" in both collections, showing 1"),
            "{text}"
        );
        assert!(
            text.contains(" 1. A memo (1999)  [tobacco tobacco:ab1, score 1.50]"),
            "{text}"
        );
        assert!(text.contains("… the **nicotine** level …"), "{text}");
        assert!(text.contains("    pdf: s3://etds/pdfs/ab.pdf\n"), "{text}");
        assert!(
            text.contains(
                "    cluster: nicotine · levels\n    summary: The memo sets nicotine targets.\n"
            ),
            "{text}"
        );
        assert!(text.contains("    Results: Levels fell.\n"), "{text}");
        assert!(text.contains("document_type:\n        2  memo"), "{text}");
    }
}
