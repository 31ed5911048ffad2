//! Text cleaning for search, shared by the ingest services. Pure functions, no IO.
//!
//! [`clean_page`] turns one page of OCR'd or extracted text into clean lines:
//! mojibake repaired, Unicode NFKC, control characters and runs of blanks folded,
//! deposition line numbers and lone page numbers dropped, words hyphenated across
//! line ends joined. [`join_pages`] concatenates pages and keeps where each starts and
//! ends, so a search hit can point at its page.

mod mojibake;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

pub use mojibake::repair_mojibake;

/// Where a page sits in the joined text, in chars (Elasticsearch's offsets are chars
/// too). `end` is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub page: u32,
    pub start: usize,
    pub end: usize,
}

/// Cleans one page. Lines are separated by newlines or, as in the UCSF OCR text, by
/// tabs between numbered lines.
pub fn clean_page(raw: &str) -> String {
    let repaired = repair_mojibake(raw);
    // most OCR text is ASCII, already NFKC: the quick check skips the rewrite
    let text: std::borrow::Cow<'_, str> = if is_nfkc_quick(repaired.chars()) == IsNormalized::Yes {
        repaired
    } else {
        std::borrow::Cow::Owned(repaired.nfkc().collect())
    };
    let lines: Vec<String> = text
        .split(['\n', '\r', '\t', '\u{b}', '\u{c}'])
        .map(fold_blanks)
        .collect();
    let lines = strip_line_numbers(lines);
    let lines: Vec<String> = lines
        .into_iter()
        .filter(|l| !l.is_empty() && !is_page_number(l))
        .collect();
    join_hyphenated(&lines)
}

/// Replaces control characters by spaces and folds runs of blanks into one space.
fn fold_blanks(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut blank = false;
    for c in line.chars() {
        if c.is_whitespace() || c.is_control() || c == '\u{fffd}' {
            blank = true;
        } else {
            if blank && !out.is_empty() {
                out.push(' ');
            }
            blank = false;
            out.push(c);
        }
    }
    out
}

/// A line that is only a page number or a transcript page counter (`00002`, `- 3 -`).
fn is_page_number(line: &str) -> bool {
    let t = line.trim_matches(|c: char| c == '-' || c == ' ' || c == '.');
    !t.is_empty() && t.len() <= 6 && t.chars().all(|c| c.is_ascii_digit())
}

/// The leading number of a line and the rest, if it starts with one.
fn leading_number(line: &str) -> Option<(u32, &str)> {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 2 {
        return None;
    }
    let n = line[..digits].parse().ok()?;
    let rest = &line[digits..];
    (rest.is_empty() || rest.starts_with(' ')).then(|| (n, rest.trim_start()))
}

/// Drops deposition line numbers (1, 2, … 25 at the start of lines) when most lines of
/// the page carry them in sequence; leaves numbers in ordinary text alone.
fn strip_line_numbers(lines: Vec<String>) -> Vec<String> {
    let non_empty = lines.iter().filter(|l| !l.is_empty()).count();
    let mut expected = 1;
    let mut in_sequence = 0;
    for l in &lines {
        if let Some((n, _)) = leading_number(l) {
            if n == expected || n == 1 {
                in_sequence += 1;
                expected = n + 1;
            }
        }
    }
    if non_empty < 3 || in_sequence * 10 < non_empty * 6 {
        return lines;
    }
    let mut expected = 1;
    lines
        .into_iter()
        .map(|l| match leading_number(&l) {
            Some((n, rest)) if n == expected || n == 1 => {
                expected = n + 1;
                rest.to_owned()
            }
            _ => l,
        })
        .collect()
}

/// Joins lines with newlines, mending a word split by a hyphen at a line end
/// (`infor-` + `mation` → `information`); a capitalised or numeric next word keeps the
/// hyphen (`Winston-` + `Salem`).
fn join_hyphenated(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        if out.is_empty() {
            out.push_str(line);
            continue;
        }
        let prev_letter = out
            .strip_suffix('-')
            .and_then(|s| s.chars().last())
            .is_some_and(char::is_alphabetic);
        let next_lower = line.chars().next().is_some_and(char::is_lowercase);
        if prev_letter && next_lower {
            out.pop();
        } else {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// Joins cleaned pages with a blank line between them and returns each page's span.
pub fn join_pages<'a>(pages: impl IntoIterator<Item = (u32, &'a str)>) -> (String, Vec<Span>) {
    let mut text = String::new();
    let mut spans = Vec::new();
    let mut chars = 0;
    for (page, body) in pages {
        if !text.is_empty() {
            text.push_str("\n\n");
            chars += 2;
        }
        let start = chars;
        text.push_str(body);
        chars += body.chars().count();
        spans.push(Span {
            page,
            start,
            end: chars,
        });
    }
    (text, spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deposition_line_numbers_and_page_counters_go() {
        let raw = "00002\t1   I N D E X\t2\t3  DEPOSITION OF THOMAS RICHARD ADAMS\t4\t5  EXAMINATION BY:      PAGE\t6\t7       MR. BROWN     4\t";
        assert_eq!(
            clean_page(raw),
            "I N D E X\nDEPOSITION OF THOMAS RICHARD ADAMS\nEXAMINATION BY: PAGE\nMR. BROWN 4"
        );
    }

    #[test]
    fn numbers_in_ordinary_text_stay() {
        let raw = "The plant made 12 tons.\nIn 1998 sales fell.\n3 reasons were given.";
        assert_eq!(clean_page(raw), raw);
    }

    #[test]
    fn hyphenated_words_join_but_compounds_keep_their_hyphen() {
        assert_eq!(clean_page("the infor-\nmation was"), "the information was");
        assert_eq!(
            clean_page("Winston-\nSalem, North"),
            "Winston-\nSalem, North"
        );
    }

    #[test]
    fn control_characters_ligatures_and_blank_runs_fold() {
        assert_eq!(clean_page("a\u{0}b   c\u{7}\u{fb01}le"), "a b c file");
    }

    #[test]
    fn page_spans_point_at_their_text() {
        let (text, spans) = join_pages([(1, "première page"), (2, "second")]);
        assert_eq!(text, "première page\n\nsecond");
        let chars: Vec<char> = text.chars().collect();
        let page2: String = chars[spans[1].start..spans[1].end].iter().collect();
        assert_eq!(page2, "second");
        assert_eq!(
            spans[0],
            Span {
                page: 1,
                start: 0,
                end: 13
            }
        );
    }

    proptest! {
        #[test]
        fn cleaning_is_idempotent_and_never_panics(s in "\\PC{0,200}") {
            let once = clean_page(&s);
            prop_assert_eq!(clean_page(&once), once.clone());
            prop_assert!(!once.chars().any(|c| c.is_control() && c != '\n'));
        }

        #[test]
        fn spans_cover_every_page(pages in proptest::collection::vec("\\PC{0,40}", 0..8)) {
            let (text, spans) = join_pages(pages.iter().enumerate().map(|(i, p)| (i as u32, p.as_str())));
            let chars: Vec<char> = text.chars().collect();
            for (span, page) in spans.iter().zip(&pages) {
                let got: String = chars[span.start..span.end].iter().collect();
                prop_assert_eq!(&got, page);
            }
        }
    }
}
