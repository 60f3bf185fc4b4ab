//! JSON text exactly as Python's `json.dumps` writes it: request bodies are signed, so every byte
//! must match what the official SDK sends for the same input.

/// Which characters a JSON string escapes, as `json.dumps(..., ensure_ascii=...)` chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// `ensure_ascii=True`: everything outside printable ASCII becomes `\uXXXX`, DEL included.
    Ascii,
    /// `ensure_ascii=False`: only `"`, `\` and control characters below U+0020 are escaped.
    Unicode,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_u_escape(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

/// Appends `text` as a quoted JSON string.
pub fn push_string(out: &mut String, text: &str, escape: Escape) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut start = 0;
    for (index, ch) in text.char_indices() {
        let plain = match escape {
            Escape::Ascii => (' '..='~').contains(&ch) && ch != '"' && ch != '\\',
            Escape::Unicode => ch >= ' ' && ch != '"' && ch != '\\',
        };
        if plain {
            continue;
        }
        out.push_str(&text[start..index]);
        start = index + ch.len_utf8();
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            _ => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    push_u_escape(out, *unit);
                }
            }
        }
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// A JSON object written member by member with Python's default separators `", "` and `": "`.
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn open(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, empty: true }
    }

    /// Writes `"key": ` and returns the buffer for the caller to write the value into.
    pub fn key(&mut self, key: &str, escape: Escape) -> &mut String {
        if !self.empty {
            self.out.push_str(", ");
        }
        self.empty = false;
        push_string(self.out, key, escape);
        self.out.push_str(": ");
        self.out
    }

    /// Writes a member whose value is a string.
    pub fn string(&mut self, key: &str, value: &str, escape: Escape) {
        let out = self.key(key, escape);
        push_string(out, value, escape);
    }

    pub fn close(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str, escape: Escape) -> String {
        let mut out = String::new();
        push_string(&mut out, text, escape);
        out
    }

    // Expected values are what CPython's json.dumps prints for the same input.
    #[test]
    fn ascii_escaping_matches_python() {
        assert_eq!(quoted("plain", Escape::Ascii), r#""plain""#);
        assert_eq!(quoted("é", Escape::Ascii), r#""\u00e9""#);
        assert_eq!(quoted("\u{7f}", Escape::Ascii), r#""\u007f""#);
        assert_eq!(quoted("😀", Escape::Ascii), r#""\ud83d\ude00""#);
        assert_eq!(
            quoted("\u{0}\u{1f}\u{8}\u{c}\n\r\t\"\\/", Escape::Ascii),
            r#""\u0000\u001f\b\f\n\r\t\"\\/""#
        );
    }

    #[test]
    fn unicode_escaping_matches_python() {
        assert_eq!(quoted("é😀\u{7f}", Escape::Unicode), "\"é😀\u{7f}\"");
        assert_eq!(
            quoted("\u{0}\u{1f}\u{8}\u{c}\n\r\t\"\\/", Escape::Unicode),
            r#""\u0000\u001f\b\f\n\r\t\"\\/""#
        );
    }

    #[test]
    fn object_writer_uses_python_separators() {
        let mut out = String::new();
        let mut object = ObjectWriter::open(&mut out);
        object.string("name", "é", Escape::Ascii);
        object.key("n", Escape::Ascii).push('1');
        object.close();
        assert_eq!(out, r#"{"name": "\u00e9", "n": 1}"#);
        let mut empty = String::new();
        ObjectWriter::open(&mut empty).close();
        assert_eq!(empty, "{}");
    }
}
