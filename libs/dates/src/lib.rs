//! Dates as the collections write them (UCSF: `15 March 2000`, `March 2000`, `2000`,
//! `03/15/2000`; DSpace: `2017-01-05`, `2017-01-06T13:34:06Z`) into ISO 8601 at the
//! precision they have.

use chrono::NaiveDate;

/// An ISO 8601 date (`2000-03-15`, `2000-03` or `2000`) and its year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoDate {
    pub iso: String,
    pub year: i32,
}

/// Parses the date formats of the collection; `None` when it is none of them.
pub fn parse_date(s: &str) -> Option<IsoDate> {
    let s = s.trim().trim_end_matches('.');
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        use chrono::Datelike;
        let utc = t.with_timezone(&chrono::Utc);
        return Some(IsoDate {
            iso: utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            year: utc.year(),
        });
    }
    let full = |d: NaiveDate| {
        use chrono::Datelike;
        // written out, not through chrono's strftime parser: this runs per document
        Some(IsoDate {
            iso: format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            year: d.year(),
        })
    };
    for fmt in [
        "%d %B %Y",
        "%Y-%m-%d",
        "%B %d, %Y",
        "%m/%d/%Y",
        "%d %b %Y",
        "%b %d, %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return full(d);
        }
    }
    // month and year only
    for fmt in ["%d %B %Y", "%d %b %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(&format!("1 {s}"), fmt) {
            use chrono::Datelike;
            return Some(IsoDate {
                iso: d.format("%Y-%m").to_string(),
                year: d.year(),
            });
        }
    }
    if s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()) {
        let year: i32 = s.parse().ok()?;
        return (1000..=2999).contains(&year).then(|| IsoDate {
            iso: s.to_owned(),
            year,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_of_the_collection() {
        let iso = |s: &str| parse_date(s).map(|d| d.iso);
        assert_eq!(iso("15 March 2000").as_deref(), Some("2000-03-15"));
        assert_eq!(iso("2004-09-15").as_deref(), Some("2004-09-15"));
        assert_eq!(iso("March 15, 2000").as_deref(), Some("2000-03-15"));
        assert_eq!(iso("03/15/2000").as_deref(), Some("2000-03-15"));
        assert_eq!(iso("March 2000").as_deref(), Some("2000-03"));
        assert_eq!(iso("1998").as_deref(), Some("1998"));
        assert_eq!(
            iso("2017-01-06T13:34:06Z").as_deref(),
            Some("2017-01-06T13:34:06Z")
        );
        assert_eq!(parse_date("15 March 2000").map(|d| d.year), Some(2000));
        assert_eq!(iso("sometime"), None);
        assert_eq!(iso("31 February 2000"), None);
    }
}
