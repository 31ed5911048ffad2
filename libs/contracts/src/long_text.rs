//! Long text fields (a document's full text) written as JSON eight bytes per step.
//!
//! serde_json escapes a string one byte at a time; for the text of a document that was
//! about a sixth of tobacco-ingest's processing (`loadtest tobacco`, BENCHMARKS.md).
//! Here runs of eight bytes that need no escape are skipped at once (SWAR on a `u64`),
//! and the escaped string goes out as a [`RawValue`]. The JSON is byte for byte what
//! serde_json writes (a property test holds it to that). Wire format is JSON only, so
//! the serializer is always serde_json's.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes is a control character, `"` or `\`.
fn needs_escape(x: u64) -> bool {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    control | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\'))) != 0
}

/// `text` as a JSON string literal, quotes included, escaped as serde_json does.
pub fn to_json_string(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 16 + 2);
    out.push('"');
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if !needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if b < 0x20 || b == b'"' || b == b'\\' {
            out.push_str(&text[start..i]);
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                _ => {
                    out.push_str("\\u00");
                    out.push(char::from(HEX[usize::from(b >> 4)]));
                    out.push(char::from(HEX[usize::from(b & 0xf)]));
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
    out
}

/// `#[serde(serialize_with = "long_text::serialize")]` for a long `String` field.
pub fn serialize<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(to_json_string(text)).map_err(serde::ser::Error::custom)?;
    raw.serialize(s)
}

/// The same for an optional one.
#[allow(clippy::ref_option)] // serde hands serialize_with a reference to the field
pub fn serialize_option<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(t) => serialize(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "",
            "plain",
            "line one\nline two\ttab \"quoted\" back\\slash",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f} control",
            "eight by eight by eight by\n",
            "première “page” — 頁",
        ] {
            assert_eq!(
                to_json_string(s),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn every_byte_in_every_position_of_a_word() {
        for b in 0..0x80u8 {
            for pos in 0..8 {
                let mut s = *b"abcdefghij";
                s[pos] = b;
                let s = std::str::from_utf8(&s).unwrap();
                assert_eq!(
                    to_json_string(s),
                    serde_json::to_string(s).unwrap(),
                    "{s:?}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(s in "(.|\\n|\\t|[\\x00-\\x1f\"\\\\])*") {
            prop_assert_eq!(to_json_string(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
