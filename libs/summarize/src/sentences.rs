//! Sentences out of cleaned OCR and PDF text: paragraphs split at blank lines, lines
//! joined within a paragraph (a line that is a heading stands alone), sentences cut
//! after `.`, `!` or `?` before a capital, digit or quote unless the word is an
//! abbreviation or an initial; deposition turns (`Q.`, `A.`) start a sentence and are
//! dropped from it. What is not prose is left out: headings (short or in capitals),
//! exhibit stamps, Bates numbers, lines of numbers.

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "co", "corp", "ltd", "no", "nos",
    "vs", "v", "etc", "e.g", "i.e", "al", "fig", "figs", "eq", "eqs", "sec", "ch", "vol", "pp",
    "p", "approx", "dept", "univ", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "ref", "refs", "cf", "u.s", "esq", "tab",
];

/// Every sentence of `text` that reads as prose, in order.
pub fn split(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for para in paragraphs(text) {
        for piece in sentences_of(&para) {
            let cleaned = strip_turn(piece);
            if is_prose(cleaned) {
                out.push(cleaned.to_owned());
            }
        }
    }
    out
}

/// Paragraphs: lines joined by spaces; a blank line, a heading line or a deposition
/// turn ends one.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        let breaks = t.is_empty() || is_heading(t) || starts_turn(t);
        if breaks {
            if let Some(p) = current.take() {
                out.push(p);
            }
            if !t.is_empty() && !is_heading(t) {
                current = Some(t.to_owned());
            }
            continue;
        }
        match &mut current {
            Some(p) => {
                // a word hyphenated across lines is joined (tobacco-ingest joins most)
                if p.ends_with('-') && t.starts_with(|c: char| c.is_lowercase()) {
                    p.pop();
                } else {
                    p.push(' ');
                }
                p.push_str(t);
            }
            None => current = Some(t.to_owned()),
        }
    }
    if let Some(p) = current {
        out.push(p);
    }
    out
}

fn starts_turn(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 2
        && (b[0] == b'Q' || b[0] == b'A')
        && b[1] == b'.'
        && b.get(2).is_none_or(|c| *c == b' ')
}

/// `Q. Did you` -> `Did you`.
fn strip_turn(s: &str) -> &str {
    if starts_turn(s) {
        s[2..].trim_start()
    } else {
        s
    }
}

/// A line that titles what follows: in capitals, or short, without a sentence's end,
/// and in title case (`3.2 Related Work`) or of three words at most.
fn is_heading(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().collect();
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    let capitals = letters.len() >= 4 && upper * 10 >= letters.len() * 8;
    let ends = t.ends_with(['.', '?', '!', ':', ';', ',', '"', '\'', ')', '-']);
    let worded: Vec<&&str> = words
        .iter()
        .filter(|w| w.starts_with(char::is_alphabetic))
        .collect();
    let titled = worded
        .iter()
        .filter(|w| w.starts_with(char::is_uppercase))
        .count()
        * 2
        >= worded.len();
    capitals || (words.len() <= 8 && !ends && (titled || words.len() <= 3))
}

/// The sentences of one paragraph.
fn sentences_of(p: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = p.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        // the end: after closing quotes and brackets
        let mut j = i + 1;
        while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | ']' | '”' | '’') {
            j += 1;
        }
        if j >= chars.len() || !chars[j].1.is_whitespace() {
            continue;
        }
        let mut k = j;
        while k < chars.len() && chars[k].1.is_whitespace() {
            k += 1;
        }
        let Some(&(next_at, next)) = chars.get(k) else {
            break;
        };
        if !(next.is_uppercase() || next.is_ascii_digit() || matches!(next, '"' | '“' | '(' | '\''))
        {
            continue;
        }
        if c == '.' && is_abbreviation(&p[start..at]) {
            continue;
        }
        let end = chars.get(j).map_or(p.len(), |&(e, _)| e);
        let s = p[start..end].trim();
        if !s.is_empty() {
            out.push(s);
        }
        start = next_at;
    }
    let s = p[start..].trim();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// Whether the word before a period is an abbreviation or an initial (`J.`).
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| c == '"' || c == '\'');
    let lower = word.to_lowercase();
    let single = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
    // dotted initials: `R.J`, `U.S`, `e.g`
    let dotted = word.contains('.')
        && word
            .split('.')
            .all(|p| (1..=2).contains(&p.chars().count()) && p.chars().all(char::is_alphabetic));
    single || dotted || ABBREVIATIONS.contains(&lower.as_str())
}

/// Whether a sentence is prose worth summarising: at least 6 words, most of them
/// words of letters, not in capitals, not a stamp or a Bates number.
pub fn is_prose(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() < 6 {
        return false;
    }
    let alphabetic = words
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() * 2 > w.chars().count())
        .count();
    if alphabetic * 10 < words.len() * 6 {
        return false;
    }
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if upper * 10 >= letters.len() * 7 {
        return false;
    }
    // a `?` inside a sentence is a symbol the extraction could not map (formulas)
    let inner = s.trim_end_matches(|c: char| !c.is_alphanumeric());
    if inner.contains('?') {
        return false;
    }
    let lower = s.to_lowercase();
    !(lower.contains("exhibit") && words.len() < 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        split(text)
    }

    #[test]
    fn sentences_end_at_stops_but_not_at_abbreviations_or_initials() {
        let t = "Mr. Brown asked about sales at R. J. Reynolds in the U.S. market today. \
                 R.J. Reynolds discusses nicotine with the Federal Trade Commission. \
                 The witness said sales fell by 5 percent in 1998. Did they fall further after that year?";
        assert_eq!(
            texts(t),
            [
                "Mr. Brown asked about sales at R. J. Reynolds in the U.S. market today.",
                "R.J. Reynolds discusses nicotine with the Federal Trade Commission.",
                "The witness said sales fell by 5 percent in 1998.",
                "Did they fall further after that year?"
            ]
        );
    }

    #[test]
    fn lines_join_and_headings_stamps_and_numbers_are_not_sentences() {
        let t = "INTRODUCTION\nThe company reported that its profits\nfell sharply after the settle-\nment was signed in 1998.\n\n\
                 PLAINTIFF'S EXHIBIT 12\n2023456789 2023456790 2023456791 2023456792 2023456793 2023456794\n\
                 A P P E A R A N C E S\nQ. Did you review the sales figures for the year?\nA. Yes, I reviewed all of them with the controller.\n";
        assert!(!is_prose(
            "The loss ?i = argmax y?Y p of the model (1) where G is a delay."
        ));
        assert_eq!(
            texts(t),
            [
                "The company reported that its profits fell sharply after the settlement was signed in 1998.",
                "Did you review the sales figures for the year?",
                "Yes, I reviewed all of them with the controller."
            ]
        );
    }
}
