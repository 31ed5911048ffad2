//! Mojibake: UTF-8 text that was decoded as Windows-1252 (or Latin-1) somewhere on its
//! way, so `’` became `â€™` and `é` became `Ã©`. Repaired by encoding the text back
//! to Windows-1252 bytes and decoding them as UTF-8, only where that round trip is
//! clean and the result has fewer suspicious characters.

/// Windows-1252's characters at bytes 0x80..=0x9F (the rest of the range below 0x100
/// is Latin-1); `None` where the code page has a hole.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    None,
];

fn to_cp1252(c: char) -> Option<u8> {
    let n = u32::from(c);
    if n < 0x80 || (0xA0..=0xFF).contains(&n) {
        return u8::try_from(n).ok();
    }
    if (0x80..=0x9F).contains(&n) {
        // a C1 control that survived a Latin-1 decode
        return u8::try_from(n).ok();
    }
    CP1252_HIGH
        .iter()
        .position(|x| *x == Some(c))
        .and_then(|i| u8::try_from(0x80 + i).ok())
}

fn suspicious(s: &str) -> usize {
    s.chars()
        .filter(|c| matches!(c, 'Ã' | 'Â' | 'â' | '€' | '™' | '\u{80}'..='\u{9f}'))
        .count()
}

/// Repairs text that went through a wrong decode; leaves everything else as it is.
pub fn repair_mojibake(text: &str) -> std::borrow::Cow<'_, str> {
    // every suspicious character starts with one of these bytes in UTF-8
    if text.is_ascii()
        || !text.bytes().any(|b| matches!(b, 0xC2 | 0xC3 | 0xE2))
        || suspicious(text) == 0
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes: Option<Vec<u8>> = text.chars().map(to_cp1252).collect();
    if let Some(fixed) = bytes.and_then(|b| String::from_utf8(b).ok()) {
        if suspicious(&fixed) < suspicious(text) {
            return std::borrow::Cow::Owned(fixed);
        }
    }
    std::borrow::Cow::Borrowed(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_double_decoded_utf8() {
        assert_eq!(repair_mojibake("donâ€™t cafÃ©"), "don’t café");
        assert_eq!(repair_mojibake("â€œquotedâ€\u{9d}"), "“quoted”");
    }

    #[test]
    fn leaves_correct_text_alone() {
        for s in ["don’t café", "plain ascii", "Ãlvaro is a name", "€5"] {
            assert_eq!(repair_mojibake(s), s);
        }
    }
}
