//! Text cleaning for search, shared by the ingest services. Pure functions, no IO.
//!
//! [`clean_page`] turns one page of OCR'd or extracted text into clean lines:
//! mojibake repaired, Unicode NFKC, control characters and runs of blanks folded,
//! deposition line numbers and lone page numbers dropped, words hyphenated across
//! line ends joined. [`clean_pages`] cleans and concatenates pages and keeps where each
//! starts and ends, so a search hit can point at its page.

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
///
/// One pass splits and folds every line into one buffer (line ranges kept aside), a
/// second looks for line numbers, a third joins: no string per line. ASCII, most OCR
/// text, skips the mojibake and normalisation checks.
pub fn clean_page(raw: &str) -> String {
    let mut out = String::new();
    clean_page_into(raw, &mut out);
    out
}

/// [`clean_page`], appended to `out`; returns how many chars it appended.
pub fn clean_page_into(raw: &str, out: &mut String) -> usize {
    clean_page_with(raw, out, &mut Scratch::default())
}

/// The buffers one page is folded in, kept from page to page (a document's pages
/// reuse them instead of allocating two per page).
#[derive(Debug, Default)]
struct Scratch {
    folded: String,
    lines: Vec<std::ops::Range<usize>>,
}

fn clean_page_with(raw: &str, out: &mut String, scratch: &mut Scratch) -> usize {
    let ascii = raw.is_ascii();
    // ASCII has no mojibake: skip that scan
    let repaired = if ascii {
        std::borrow::Cow::Borrowed(raw)
    } else {
        repair_mojibake(raw)
    };
    let ascii = ascii || repaired.is_ascii();
    // most OCR text is ASCII, already NFKC: the quick check skips the rewrite
    let text: std::borrow::Cow<'_, str> =
        if ascii || is_nfkc_quick(repaired.chars()) == IsNormalized::Yes {
            repaired
        } else {
            std::borrow::Cow::Owned(repaired.nfkc().collect())
        };
    let Scratch { folded, lines } = scratch;
    folded.clear();
    lines.clear();
    folded.reserve(text.len());
    fold_lines(&text, folded, lines);
    strip_line_numbers(folded, lines);
    let start = out.len();
    join_lines(folded, lines, out);
    // cleaning ASCII only ever writes ASCII
    if ascii {
        out.len() - start
    } else {
        out[start..].chars().count()
    }
}

/// What a byte or char is to [`fold_lines`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Ends a line: `\n`, `\r`, `\t`, vertical tab, form feed.
    Separator,
    /// Whitespace, a control character or U+FFFD: folds into one space.
    Blank,
    Kept,
}

fn class_of_ascii(b: u8) -> Class {
    match b {
        b'\n' | b'\r' | b'\t' | 0x0b | 0x0c => Class::Separator,
        0..=0x20 | 0x7f => Class::Blank,
        _ => Class::Kept,
    }
}

/// Whether 8 bytes that follow a kept character are all kept as they are: printable
/// ASCII and single spaces, the last not a space (what follows it decides). Eight
/// bytes per step instead of one, as words go (SWAR on a `u64`).
fn plain_words(chunk: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
        return false;
    };
    let x = u64::from_le_bytes(bytes);
    // a byte below 0x20, or above 0x7e: adding one to each sets the high bit of 0x7f
    // (and any byte with it set already)
    let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    let above = (x.wrapping_add(ONES) | x) & HIGH;
    if below | above != 0 {
        return false;
    }
    // exactly the bytes that are spaces: their high bit in `spaces`
    let y = x ^ (ONES * 0x20);
    let spaces = !(((y & !HIGH) + !HIGH) | y) & HIGH;
    spaces & (spaces >> 8) == 0 && spaces >> 56 == 0
}

/// Splits `text` into lines and appends each to `out` with control characters
/// replaced by spaces and runs of blanks folded into one space (none at either end);
/// pushes each line's range in `out`.
fn fold_lines(text: &str, out: &mut String, lines: &mut Vec<std::ops::Range<usize>>) {
    let bytes = text.as_bytes();
    let mut line_start = out.len();
    let mut space = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (class, len) = if b < 0x80 {
            (class_of_ascii(b), 1)
        } else {
            let c = text[i..].chars().next().unwrap_or('\u{fffd}');
            let blank = c.is_whitespace() || c.is_control() || c == '\u{fffd}';
            (if blank { Class::Blank } else { Class::Kept }, c.len_utf8())
        };
        match class {
            Class::Separator => {
                lines.push(line_start..out.len());
                line_start = out.len();
                space = false;
                i += 1;
            }
            Class::Blank => {
                space = true;
                i += len;
            }
            Class::Kept => {
                // the whole run of kept characters at once, single spaces between
                // them included (already folded): one copy per stretch, not per word
                let start = i;
                i += len;
                while i < bytes.len() {
                    if let Some(chunk) = bytes.get(i..i + 8) {
                        if plain_words(chunk) {
                            i += 8;
                            continue;
                        }
                    }
                    let b = bytes[i];
                    if b < 0x80 {
                        if class_of_ascii(b) == Class::Kept {
                            i += 1;
                        } else if b == b' '
                            && bytes
                                .get(i + 1)
                                .is_some_and(|&n| n < 0x80 && class_of_ascii(n) == Class::Kept)
                        {
                            i += 2;
                        } else {
                            break;
                        }
                    } else {
                        let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                        if c.is_whitespace() || c.is_control() || c == '\u{fffd}' {
                            break;
                        }
                        i += c.len_utf8();
                    }
                }
                if space && out.len() > line_start {
                    out.push(' ');
                }
                space = false;
                out.push_str(&text[start..i]);
            }
        }
    }
    lines.push(line_start..out.len());
}

/// A line that is only a page number or a transcript page counter (`00002`, `- 3 -`).
fn is_page_number(line: &str) -> bool {
    if !line
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b' ' | b'.'))
    {
        return false;
    }
    let t = line.trim_matches(|c: char| c == '-' || c == ' ' || c == '.');
    !t.is_empty() && t.len() <= 6 && t.chars().all(|c| c.is_ascii_digit())
}

/// The leading number of a line and the rest, if it starts with one.
fn leading_number(line: &str) -> Option<(u32, &str)> {
    let b = line.as_bytes();
    let digits = b.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let n = b[..digits]
        .iter()
        .fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let rest = &line[digits..];
    // lines are folded: at most one space, and no other blank, follows the number
    match rest.strip_prefix(' ') {
        Some(rest) => Some((n, rest)),
        None => rest.is_empty().then_some((n, rest)),
    }
}

/// Drops deposition line numbers (1, 2, … 25 at the start of lines) when most lines of
/// the page carry them in sequence; leaves numbers in ordinary text alone.
fn strip_line_numbers(text: &str, lines: &mut [std::ops::Range<usize>]) {
    let non_empty = lines.iter().filter(|l| !l.is_empty()).count();
    let mut expected = 1;
    let mut in_sequence = 0;
    for l in lines.iter() {
        if let Some((n, _)) = leading_number(&text[l.clone()]) {
            if n == expected || n == 1 {
                in_sequence += 1;
                expected = n + 1;
            }
        }
    }
    if non_empty < 3 || in_sequence * 10 < non_empty * 6 {
        return;
    }
    let mut expected = 1;
    for l in lines {
        if let Some((n, rest)) = leading_number(&text[l.clone()]) {
            if n == expected || n == 1 {
                expected = n + 1;
                l.start = l.end - rest.len();
            }
        }
    }
}

/// Joins the lines that are not empty or page numbers with newlines, mending a word
/// split by a hyphen at a line end (`infor-` + `mation` → `information`); a capitalised
/// or numeric next word keeps the hyphen (`Winston-` + `Salem`).
fn join_lines(text: &str, lines: &[std::ops::Range<usize>], out: &mut String) {
    let base = out.len();
    out.reserve(text.len());
    for l in lines {
        let line = &text[l.clone()];
        if line.is_empty() || is_page_number(line) {
            continue;
        }
        if out.len() == base {
            out.push_str(line);
            continue;
        }
        let prev_letter = out[base..]
            .strip_suffix('-')
            .and_then(|s| s.chars().next_back())
            .is_some_and(char::is_alphabetic);
        let next_lower = line.chars().next().is_some_and(char::is_lowercase);
        if prev_letter && next_lower {
            out.pop();
        } else {
            out.push('\n');
        }
        out.push_str(line);
    }
}

/// Cleans pages into one text, a blank line between them, and returns each page's
/// span in it.
pub fn clean_pages<'a>(pages: impl IntoIterator<Item = (u32, &'a str)>) -> (String, Vec<Span>) {
    let pages: Vec<(u32, &str)> = pages.into_iter().collect();
    // cleaning never lengthens a page (NFKC aside): one allocation for the whole text
    let total: usize = pages.iter().map(|(_, b)| b.len() + 2).sum();
    let mut text = String::with_capacity(total);
    let mut spans = Vec::with_capacity(pages.len());
    let mut scratch = Scratch::default();
    let mut chars = 0;
    for (page, body) in pages {
        if !text.is_empty() {
            text.push_str("\n\n");
            chars += 2;
        }
        let start = chars;
        chars += clean_page_with(body, &mut text, &mut scratch);
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
    fn eight_plain_bytes_are_recognised() {
        assert!(plain_words(b"word wor"));
        assert!(plain_words(b"abcdefgh"));
        assert!(plain_words(b" a b c d"));
        assert!(!plain_words(b"word  wo"), "two spaces");
        assert!(!plain_words(b"a word w "), "nine bytes");
        assert!(!plain_words(b"a words "), "ends in a space");
        assert!(!plain_words(b"word\two"), "a tab");
        assert!(!plain_words(b"word\x7fwo"), "DEL");
        assert!(!plain_words("wörd wo".as_bytes()), "not ASCII");
        assert!(!plain_words(b"abc"), "short");
        for b in 0..=255u8 {
            let chunk = [b'a', b'b', b'c', b, b'd', b'e', b'f', b'g'];
            assert_eq!(
                plain_words(&chunk),
                (0x20..=0x7e).contains(&b),
                "byte {b:#x}"
            );
        }
    }

    #[test]
    fn page_spans_point_at_their_text() {
        let (text, spans) = clean_pages([(1, "première page"), (2, "second")]);
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

    /// The first, line-by-line implementation (a `String` per line): the one-pass
    /// version must give the same text for every input.
    mod reference {
        use super::super::{is_page_number, leading_number, repair_mojibake};
        use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

        /// Cleans one page. Lines are separated by newlines or, as in the UCSF OCR text, by
        /// tabs between numbered lines.
        pub(super) fn clean_page(raw: &str) -> String {
            let repaired = repair_mojibake(raw);
            // most OCR text is ASCII, already NFKC: the quick check skips the rewrite
            let text: std::borrow::Cow<'_, str> =
                if is_nfkc_quick(repaired.chars()) == IsNormalized::Yes {
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

        /// The lines, laid end to end, joined by the one joiner there is.
        fn join_hyphenated(lines: &[String]) -> String {
            let mut text = String::new();
            let mut ranges = Vec::new();
            for l in lines {
                ranges.push(text.len()..text.len() + l.len());
                text.push_str(l);
            }
            let mut out = String::new();
            super::super::join_lines(&text, &ranges, &mut out);
            out
        }
    }

    proptest! {
        #[test]
        fn the_one_pass_cleaner_matches_the_line_by_line_one(
            s in "[0-9a-z A-Z\\t\\n\\r\\x0b\\x0c\\x00\\x07\\x7f.-é’Ãâ€™\u{a0}\u{3000}\u{fffd}\u{fb01}\u{85}]{0,300}"
        ) {
            prop_assert_eq!(clean_page(&s), reference::clean_page(&s));
        }

        #[test]
        fn the_one_pass_cleaner_matches_on_any_text(s in "\\PC{0,200}|.{0,200}") {
            prop_assert_eq!(clean_page(&s), reference::clean_page(&s));
        }

        #[test]
        fn the_one_pass_cleaner_matches_on_numbered_lines(
            lines in proptest::collection::vec(("[0-9]{0,3}", "[ \\t]{0,2}", "[a-zA-Z -]{0,12}"), 0..30),
            sep in "[\\t\\n]"
        ) {
            let s: Vec<String> = lines.iter().map(|(n, b, t)| format!("{n}{b}{t}")).collect();
            let s = s.join(&sep);
            prop_assert_eq!(clean_page(&s), reference::clean_page(&s));
        }

        #[test]
        fn cleaning_is_idempotent_and_never_panics(s in "\\PC{0,200}") {
            let once = clean_page(&s);
            prop_assert_eq!(clean_page(&once), once.clone());
            prop_assert!(!once.chars().any(|c| c.is_control() && c != '\n'));
        }

        #[test]
        fn spans_cover_every_page(pages in proptest::collection::vec("\\PC{0,40}|[a-z\\t\\n -]{0,40}", 0..8)) {
            let (text, spans) = clean_pages(pages.iter().enumerate().map(|(i, p)| (i as u32, p.as_str())));
            let chars: Vec<char> = text.chars().collect();
            prop_assert_eq!(spans.len(), pages.len());
            for (span, page) in spans.iter().zip(&pages) {
                let got: String = chars[span.start..span.end].iter().collect();
                prop_assert_eq!(got, clean_page(page));
            }
        }
    }
}
