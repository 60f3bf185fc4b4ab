//! The single error type of the pyo3-free modules.

use std::fmt;

use crate::text::{Text, TextBuf};

/// Why a signing, authentication or encryption input was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The HTTP method is empty.
    EmptyMethod,
    /// The request path is empty.
    EmptyPath,
    /// The request path does not start with `/`.
    RelativePath(String),
    /// A query parameter has an empty key.
    EmptyParamKey,
    /// Two query parameters share a key once lower-cased.
    DuplicateParamKey(String),
    /// A caller-supplied parameter uses a key the signature itself adds.
    ReservedParamKey(String),
    /// A secretbox nonce is not 24 bytes long.
    InvalidNonceLength(usize),
    /// A field of an encrypted envelope is not valid standard base64.
    InvalidBase64(&'static str),
    /// The ciphertext does not authenticate under the channel's shared secret.
    DecryptionFailed,
    /// An argument breaks one of the API's rules; the message names the rule and the value.
    InvalidInput(String),
    /// A `filter_by_prefix` with a character outside the channel-name alphabet and `#`.
    InvalidPrefixFilter(TextBuf),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyMethod => f.write_str("HTTP method must not be empty"),
            Self::EmptyPath => f.write_str("request path must not be empty"),
            Self::RelativePath(path) => write!(f, "request path {path:?} must start with '/'"),
            Self::EmptyParamKey => f.write_str("query parameter key must not be empty"),
            Self::DuplicateParamKey(key) => write!(
                f,
                "query parameter {key:?} is given more than once (keys are case-insensitive)"
            ),
            Self::ReservedParamKey(key) => write!(
                f,
                "query parameter {key:?} is reserved: it is added by the request signature"
            ),
            Self::InvalidNonceLength(len) => {
                write!(f, "nonce must be 24 bytes, got {len}")
            }
            Self::InvalidBase64(field) => write!(f, "{field} is not valid base64"),
            Self::DecryptionFailed => f.write_str(
                "ciphertext failed to authenticate (wrong master key or channel, or tampered data)",
            ),
            Self::InvalidInput(message) => f.write_str(message),
            Self::InvalidPrefixFilter(prefix) => write!(
                f,
                "Invalid prefix_filter: {} (channel-name characters only)",
                python_repr(prefix)
            ),
        }
    }
}

impl std::error::Error for Error {}

/// `text` quoted as Python's `repr(str)` quotes it, so that messages read as they always have.
///
/// Rust's `escape_debug` leaves exactly the characters Python calls printable (everything but the
/// Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the space); it is asked about
/// each character after an `a` so that combining marks are judged on their own, as Python does.
fn python_repr(text: &Text) -> String {
    let has = |byte: u8| text.as_bytes().contains(&byte);
    let quote = if has(b'\'') && !has(b'"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for code_point in text.code_points() {
        // A lone surrogate has no `char`; Python shows it as a `\u` escape.
        let Some(ch) = char::from_u32(code_point) else {
            out.push_str(&format!("\\u{code_point:04x}"));
            continue;
        };
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if ch == quote => {
                out.push('\\');
                out.push(ch);
            }
            ' '..='~' => out.push(ch),
            _ if !ch.is_ascii() && is_printable(ch) => out.push(ch),
            _ => {
                let code = u32::from(ch);
                let escaped = match code {
                    0..=0xff => format!("\\x{code:02x}"),
                    0x100..=0xffff => format!("\\u{code:04x}"),
                    _ => format!("\\U{code:08x}"),
                };
                out.push_str(&escaped);
            }
        }
    }
    out.push(quote);
    out
}

fn is_printable(ch: char) -> bool {
    let probe: String = ['a', ch].into_iter().collect();
    probe.escape_debug().eq(probe.chars())
}

#[cfg(test)]
mod tests {
    use super::python_repr;
    use crate::text::Text;

    fn repr(text: &str) -> String {
        python_repr(Text::new(text))
    }

    // Expected values are what CPython's repr() prints for the same input.
    #[test]
    fn quoted_like_python() {
        assert_eq!(repr("a b"), "'a b'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(repr("\n\t\r\u{1}\u{7f}\\"), "'\\n\\t\\r\\x01\\x7f\\\\'");
        assert_eq!(repr("é😀x\u{301}\u{301}"), "'é😀x\u{301}\u{301}'");
        assert_eq!(
            repr("\u{ad}\u{85}\u{a0}\u{200b}\u{e000}\u{3000}\u{f0000}"),
            "'\\xad\\x85\\xa0\\u200b\\ue000\\u3000\\U000f0000'"
        );
    }

    #[test]
    fn lone_surrogates_are_escaped_like_python() {
        // repr("a\ud800'") == '"a\\ud800\'"'
        let text = Text::from_generalized_utf8(b"a\xed\xa0\x80'").unwrap();
        assert_eq!(python_repr(text), "\"a\\ud800'\"");
    }
}
