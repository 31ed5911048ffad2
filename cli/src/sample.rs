//! `docstream sample`: a generated sample collection loaded into the source
//! databases, as the library's own systems would hold it, for the demo and for trying
//! things out. Tobacco documents go into MariaDB's table in the UCSF shape the MySQL
//! source reads; ETDs into FerretDB/MongoDB as DSpace records with a generated thesis
//! PDF each, by `file://` path, as the MongoDB source reads them.

use anyhow::{Context, Result};
use serde_json::{json, Value};
use sqlx::mysql::MySqlPoolOptions;

const TYPES: &[&str] = &[
    "memo",
    "letter",
    "report",
    "deposition",
    "minutes",
    "advertisement",
];
const ORGS: &[&str] = &[
    "Philip Morris",
    "R.J. Reynolds",
    "Brown & Williamson",
    "Lorillard",
    "Tobacco Institute",
    "Federal Trade Commission",
    "American Cancer Society",
];
const TOPICS: &[&str] = &[
    "nicotine",
    "advertising",
    "youth smoking",
    "health research",
    "filters",
    "sales",
    "litigation",
    "public relations",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const CASES: &[&str] = &[
    "State of Minnesota v. Philip Morris",
    "United States v. Philip Morris",
];

/// The `i`th generated UCSF document: varied types, organizations, topics and dates,
/// and OCR'd pages with deposition line numbers and words hyphenated across lines.
pub fn tobacco_document(i: usize) -> Value {
    let pick = |list: &[&'static str], salt: usize| list[(i * 7 + salt * 13 + i / 3) % list.len()];
    let (kind, topic, org) = (pick(TYPES, 0), pick(TOPICS, 1), pick(ORGS, 2));
    let other = pick(ORGS, 5);
    let year = 1965 + (i * 11) % 35;
    let pages = 1 + i % 3;
    let text_content: Vec<Value> = (1..=pages)
        .map(|p| {
            let mut lines = vec![format!("{:05}", 1000 + i * 3 + p)];
            // deposition style: numbered lines, a word hyphenated across two of them
            for n in (1..=24).step_by(2) {
                lines.push(format!(
                    "{n}  The {kind} from {org} discusses {topic} and the re-\t{}  sponse of {other} in {year}, page {p}.",
                    n + 1
                ));
            }
            json!({ "page": p.to_string(), "content": lines.join("\t") })
        })
        .collect();
    json!({
        "Legacy_(LTDL2)_Tobacco_Id": format!("dmo{i:05}"),
        "Title": format!("{} {kind} on {topic}", capitalize(org)),
        "Document_Date": format!("{} {} {year}", 1 + i % 28, MONTHS[i % 12]),
        "Date_Added_UCSF": "2 February 2002",
        "Case": CASES[i % 2],
        "Description": format!("{} {kind} about {topic} involving {org} and {other}.", if kind.starts_with('a') { "An" } else { "A" }),
        "Document_Type": kind,
        "Organization_Mentioned": format!("{org}; {other}"),
        "Topic": format!("{topic}; {}", pick(TOPICS, 4)),
        "Bates_Number_prefix": "DMO",
        "Numeric_start_bates": format!("{}", 100_000 + i * 10),
        "Numeric_end_bates": format!("{}", 100_000 + i * 10 + pages - 1),
        "Page_Count": pages.to_string(),
        "availablility": "public",
        "text_content": text_content
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Inserts `count` generated documents into `table` (created when missing, in the
/// layout the MySQL source expects). Returns how many rows were written.
pub async fn load_tobacco(mysql_url: &str, table: &str, count: usize) -> Result<usize> {
    anyhow::ensure!(
        !table.is_empty() && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "table {table:?} is not a plain sql name"
    );
    let pool = MySqlPoolOptions::new()
        .max_connections(2)
        .connect(mysql_url)
        .await
        .context("connect to MariaDB/MySQL (DOCSTREAM_MYSQL_URL)")?;
    sqlx::query(&samples::mariadb::create_tobacco_table(table))
        .execute(&pool)
        .await
        .with_context(|| format!("create table {table}"))?;
    for chunk in (0..count).collect::<Vec<_>>().chunks(100) {
        let mut tx = pool.begin().await?;
        for &i in chunk {
            sqlx::query(&format!("INSERT INTO {table} (document) VALUES (?)"))
                .bind(tobacco_document(i).to_string())
                .execute(&mut *tx)
                .await
                .with_context(|| format!("insert into {table}"))?;
        }
        tx.commit().await?;
    }
    Ok(count)
}

const DEPARTMENTS: &[&str] = &[
    "Computer Science",
    "Mechanical Engineering",
    "Civil and Environmental Engineering",
    "Biological Sciences",
    "Economics",
];

/// The `i`th generated DSpace record.
pub fn etd_record(i: usize, title: &str) -> Value {
    let doctoral = !i.is_multiple_of(3);
    json!({
        "title-none": title,
        "contributor-author": format!("Author {i}, Sample"),
        "contributor-committeechair": "Advisor, Ada",
        "contributor-committeemember": ["Member, Max", "Member, Mia"],
        "contributor-department": DEPARTMENTS[i % DEPARTMENTS.len()],
        "date-issued": format!("{}-05-{:02}", 2010 + i % 12, 1 + i % 28),
        "degree-level": if doctoral { "doctoral" } else { "masters" },
        "degree-name": if doctoral { "PHD" } else { "MS" },
        "type-none": if doctoral { "Dissertation" } else { "Thesis" },
        "subject-none": ["sample", DEPARTMENTS[i % DEPARTMENTS.len()].to_lowercase()],
        "identifier-uri": format!("http://hdl.handle.net/10919/{}", 900_000 + i),
        "handle": format!("{}", 900_000 + i),
    })
}

/// A DSpace record for a real paper laid out as a thesis: its title, authors and
/// abstract; a department from its subject (speech: ECE; morphology, syntax, grammar:
/// English; else Computer Science); every third a master's thesis.
pub fn paper_record(i: usize, p: &crate::eval::Paper) -> Value {
    let mut r = etd_record(i, &p.title);
    let text = format!("{} {}", p.title, p.abstract_text).to_lowercase();
    let department = if ["speech", "acoustic", "spoken"]
        .iter()
        .any(|w| text.contains(w))
    {
        "Electrical and Computer Engineering"
    } else if ["morpholog", "syntax", "grammar", "linguistic theory"]
        .iter()
        .any(|w| text.contains(w))
    {
        "English"
    } else {
        "Computer Science"
    };
    r["contributor-department"] = json!(department);
    r["subject-none"] = json!(["computational linguistics", department.to_lowercase()]);
    r["description-abstract"] = json!(p.abstract_text);
    if let Some(a) = p.authors.first() {
        r["contributor-author"] = json!(a);
    }
    if p.authors.len() > 1 {
        r["contributor-committeechair"] = json!(p.authors[p.authors.len() - 1]);
    }
    if let Some(y) = p.year {
        r["date-issued"] = json!(format!("{y}-05-{:02}", 1 + i % 28));
    }
    r
}

/// Writes `count` theses as PDFs under `dir` and their records into the MongoDB
/// collection (with `updated_at` and `pdf`, as the source expects): generated ones, or,
/// with `papers` (the ACLSum folder), real papers laid out as theses (title, authors,
/// abstract, their sections as chapters).
pub async fn load_etds(
    mongo_url: &str,
    database: &str,
    collection: &str,
    dir: &std::path::Path,
    count: usize,
    papers: Option<&std::path::Path>,
    store: Option<&blobstore::Store>,
) -> Result<usize> {
    use mongodb::bson::{DateTime, Document};
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let client = mongodb::Client::with_uri_str(mongo_url)
        .await
        .context("connect to MongoDB/FerretDB (DOCSTREAM_MONGO_URL)")?;
    let etds = client.database(database).collection::<Document>(collection);
    let real = match papers {
        Some(p) => {
            let mut all = Vec::new();
            for split in ["test", "val", "train"] {
                all.extend(crate::eval::papers(p, split)?);
            }
            anyhow::ensure!(
                all.len() >= count,
                "{count} theses asked, {} papers in {}",
                all.len(),
                p.display()
            );
            all
        }
        None => Vec::new(),
    };
    let mut docs = Vec::new();
    for i in 0..count {
        let (g, record) = match real.get(i) {
            Some(p) => {
                let author = p.authors.first().cloned().unwrap_or_default();
                let g = samples::pdf::thesis_of(&p.title, &author, &p.abstract_text, &p.chapters);
                (g, paper_record(i, p))
            }
            None => {
                let g = samples::pdf::thesis(i as u64 + 1, 6 + i % 7);
                let title = g.pages[0].lines().next().unwrap_or("A thesis").to_owned();
                (g, etd_record(i, &title))
            }
        };
        let path = dir.join(format!("thesis-{i:04}.pdf"));
        std::fs::write(&path, &g.bytes).with_context(|| format!("write {}", path.display()))?;
        let mut d: Document = mongodb::bson::to_document(&record)?;
        let pdf = match store {
            // the claim-check in the bucket, as a producer with an object store writes it
            Some(store) => {
                let up = store
                    .upload_file(&path)
                    .await
                    .with_context(|| format!("upload {}", path.display()))?;
                format!("s3://{}/{}", up.bucket, up.key)
            }
            None => format!("file://{}", path.display()),
        };
        d.insert("pdf", pdf);
        d.insert("updated_at", DateTime::now());
        docs.push(d);
    }
    if !docs.is_empty() {
        etds.insert_many(docs).await.context("insert the records")?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_documents_are_valid_ucsf_records_and_vary() {
        let docs: Vec<contracts::UcsfDocument> = (0..50)
            .map(|i| serde_json::from_value(tobacco_document(i)).expect("a UCSF record"))
            .collect();
        for d in &docs {
            contracts::RawTobacco::new(d.clone()).expect("has an id");
        }
        let types: std::collections::BTreeSet<_> = docs
            .iter()
            .filter_map(|d| d.document_type.clone())
            .collect();
        assert!(types.len() >= 4, "{types:?}");
        let ids: std::collections::BTreeSet<_> =
            docs.iter().filter_map(|d| d.tobacco_id.clone()).collect();
        assert_eq!(ids.len(), 50);
    }

    #[test]
    fn generated_etd_records_are_dspace_records_with_a_handle() {
        for i in 0..10 {
            let r: contracts::DspaceRecord =
                serde_json::from_value(etd_record(i, "T")).expect("a DSpace record");
            assert_eq!(
                r.doc_id().expect("id").to_string(),
                format!("etd:10919/{}", 900_000 + i)
            );
        }
    }

    #[test]
    fn a_paper_becomes_a_dspace_record_with_its_metadata() {
        let p = crate::eval::Paper {
            id: "P01-1".into(),
            title: "Speech recognition for all".into(),
            abstract_text: "We recognise spoken words.".into(),
            body: String::new(),
            chapters: Vec::new(),
            authors: vec!["Lovelace, Ada".into(), "Babbage, Charles".into()],
            year: Some(2019),
        };
        let r: contracts::DspaceRecord =
            serde_json::from_value(paper_record(4, &p)).expect("a DSpace record");
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(
            json["contributor-department"],
            "Electrical and Computer Engineering"
        );
        assert_eq!(json["description-abstract"], "We recognise spoken words.");
        assert_eq!(json["contributor-author"], "Lovelace, Ada");
        assert!(json["date-issued"]
            .as_str()
            .is_some_and(|d| d.starts_with("2019-")));
    }

    #[test]
    fn generated_pages_clean_like_depositions() {
        let d: contracts::UcsfDocument =
            serde_json::from_value(tobacco_document(3)).expect("a UCSF record");
        let page = textclean::clean_page(&d.text_content[0].content);
        assert!(page.contains("the response of"), "{page}");
        assert!(
            !page.lines().any(|l| l.starts_with(char::is_numeric)),
            "{page}"
        );
    }
}
