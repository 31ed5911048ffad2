//! Text made safe for HTML, and the engine's highlight marks made `<mark>` elements:
//! snippets come back from the engine with [`MARK`] around each matched term (control
//! characters no document text keeps), so the text is escaped first and only the
//! marks become markup.

/// What the engine puts around a highlighted term.
pub const MARK: (&str, &str) = ("\u{2}", "\u{3}");

/// `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A snippet as HTML: escaped, its marked terms in `<mark>`.
pub fn marked(snippet: &str) -> String {
    escape(snippet)
        .replace(MARK.0, "<mark>")
        .replace(MARK.1, "</mark>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_marks_become_markup() {
        let s = format!("a <b> & {}term{} \"q\"", MARK.0, MARK.1);
        assert_eq!(
            marked(&s),
            "a &lt;b&gt; &amp; <mark>term</mark> &quot;q&quot;"
        );
        assert_eq!(escape("<script>'"), "&lt;script&gt;&#39;");
    }
}
