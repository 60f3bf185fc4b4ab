//! JSON text exactly as Python's `json.dumps` writes it: request bodies are signed, so every byte
//! must match what the official SDK sends for the same input.
//!
//! Strings are [`Text`], so a lone surrogate is written as `json.dumps` writes it: `\udXXX` with
//! `ensure_ascii=True`, the surrogate itself (generalized UTF-8) with `ensure_ascii=False`.

use crate::text::{decode, sequence_len, Text, TextBuf};

/// Which characters a JSON string escapes, as `json.dumps(..., ensure_ascii=...)` chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// `ensure_ascii=True`: everything outside printable ASCII becomes `\uXXXX`, DEL included.
    Ascii,
    /// `ensure_ascii=False`: only `"`, `\` and control characters below U+0020 are escaped.
    Unicode,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `word` that is zero. Only the lowest flagged byte is certain
/// (a borrow may flag bytes above it), which is all the scanner asks of it.
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGH_BITS
}

/// The high bit of the bytes of `word` (eight bytes, the first in the low bits) that `escape`
/// does not copy as they are; the lowest flagged byte is the first such byte.
fn special_bytes(word: u64, escape: Escape) -> u64 {
    // Bytes below 0x20: a borrow out of the byte, from one that had its high bit clear.
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH_BITS;
    let quote = zero_bytes(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_bytes(word ^ (ONES * u64::from(b'\\')));
    let special = control | quote | backslash;
    match escape {
        Escape::Unicode => special,
        // Everything from DEL up, so every byte of a multi-byte sequence.
        Escape::Ascii => special | (word & HIGH_BITS) | zero_bytes(word ^ (ONES * 0x7f)),
    }
}

/// Up to eight bytes from `bytes[at..]`, padded with a plain byte, and how many are real.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> ([u8; 8], usize) {
    match bytes.get(at..at + 8) {
        Some(word) => (word.try_into().expect("eight bytes"), 8),
        None => {
            let mut word = [b'a'; 8];
            let tail = &bytes[at..];
            word[..tail.len()].copy_from_slice(tail);
            (word, tail.len())
        }
    }
}

/// Appends the first `count` (at most eight) bytes of `word`: all eight are stored, which is one
/// store rather than a call to copy a few bytes, and the rest taken back.
#[inline(always)]
fn push_prefix(out: &mut Vec<u8>, word: &[u8; 8], count: usize) {
    out.extend_from_slice(word);
    out.truncate(out.len() - (8 - count));
}

fn push_u_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 0xf) as usize]);
    }
}

/// Appends the escape of the special character starting `bytes` and returns its length.
fn push_escape(out: &mut Vec<u8>, bytes: &[u8]) -> usize {
    let byte = bytes[0];
    match byte {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x00..=0x7f => push_u_escape(out, u32::from(byte)),
        _ => {
            let len = sequence_len(byte);
            let code_point = decode(&bytes[..len]);
            if code_point < 0x1_0000 {
                push_u_escape(out, code_point);
            } else {
                let offset = code_point - 0x1_0000;
                push_u_escape(out, 0xd800 | (offset >> 10));
                push_u_escape(out, 0xdc00 | (offset & 0x3ff));
            }
            return len;
        }
    }
    1
}

/// Appends `text` as a quoted JSON string.
///
/// The text is read eight bytes at a time: a word without special bytes is copied whole, and in
/// one with some, the plain bytes before the first are copied before it is escaped.
pub fn push_string(out: &mut TextBuf, text: &Text, escape: Escape) {
    let bytes = text.as_bytes();
    let out = &mut out.0;
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut at = 0;
    while at < bytes.len() {
        let (word, len) = word_at(bytes, at);
        let special = special_bytes(u64::from_le_bytes(word), escape);
        if special == 0 {
            push_prefix(out, &word, len);
            at += len;
            continue;
        }
        let plain = (special.trailing_zeros() / 8) as usize;
        push_prefix(out, &word, plain);
        at += plain;
        at += push_escape(out, &bytes[at..]);
    }
    out.push(b'"');
}

/// Appends `text` as the body's JSON string holding the JSON string of `text`: escaped first as
/// `json.dumps(..., ensure_ascii=False)` escapes it, then again as `ensure_ascii=True` does, in one
/// pass. Returns the length in bytes of the inner JSON string (what the API counts as data).
fn push_nested_string(out: &mut Vec<u8>, text: &Text) -> usize {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 4);
    // The inner string's quotes, escaped by the outer one.
    out.extend_from_slice(b"\\\"");
    let mut inner_len = 2;
    let mut at = 0;
    while at < bytes.len() {
        let (word, len) = word_at(bytes, at);
        let special = special_bytes(u64::from_le_bytes(word), Escape::Ascii);
        let plain = if special == 0 {
            len
        } else {
            (special.trailing_zeros() / 8) as usize
        };
        push_prefix(out, &word, plain);
        inner_len += plain;
        at += plain;
        if plain == len {
            continue;
        }
        let byte = bytes[at];
        let (inner, consumed) = match byte {
            // The inner escape's backslash, escaped, then the inner escape's letter.
            b'"' | b'\\' => {
                out.extend_from_slice(b"\\\\\\");
                out.push(byte);
                (2, 1)
            }
            b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => {
                out.extend_from_slice(b"\\\\");
                out.push(match byte {
                    b'\n' => b'n',
                    b'\r' => b'r',
                    b'\t' => b't',
                    0x08 => b'b',
                    _ => b'f',
                });
                (2, 1)
            }
            0x00..=0x1f => {
                out.extend_from_slice(b"\\");
                push_u_escape(out, u32::from(byte));
                (6, 1)
            }
            // DEL and everything beyond ASCII: left alone by the inner escape, `\u`-escaped by the
            // outer one.
            _ => {
                let consumed = push_escape(out, &bytes[at..]);
                (consumed, consumed)
            }
        };
        inner_len += inner;
        at += consumed;
    }
    out.extend_from_slice(b"\\\"");
    inner_len
}

/// Writes JSON text token by token: what a writer of values (the bindings' writer of Python
/// values) writes into, so that one writer serves both forms of data.
pub trait JsonWrite {
    /// A token that no string escape changes: punctuation, a number, `null`, `true`, `NaN`...
    fn token(&mut self, token: &str);
    /// A string (a key or a value), quoted and escaped.
    fn string(&mut self, text: &Text);
}

/// JSON text in `out`, strings escaped as `escape` says.
pub struct JsonText<'a> {
    pub out: &'a mut TextBuf,
    pub escape: Escape,
}

impl JsonWrite for JsonText<'_> {
    fn token(&mut self, token: &str) {
        self.out.push_str(token);
    }

    fn string(&mut self, text: &Text) {
        push_string(self.out, text, self.escape);
    }
}

/// Event data in the form the request body holds it: the JSON string of the data's JSON text
/// (as `json.dumps(value, ensure_ascii=False)` writes it), written directly, in one pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonLiteral {
    literal: TextBuf,
    len: usize,
}

impl JsonLiteral {
    /// The quoted string, ready to go into a body (ASCII).
    pub fn literal(&self) -> &Text {
        &self.literal
    }

    /// The length in bytes of the data it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its buffer, for another writer to reuse.
    pub fn into_buffer(self) -> TextBuf {
        self.literal
    }
}

/// Writes a [`JsonLiteral`]; [`JsonWrite`] takes the data's tokens.
pub struct LiteralWriter(JsonLiteral);

impl LiteralWriter {
    pub fn with_capacity(capacity: usize) -> Self {
        Self::reusing(TextBuf::with_capacity(capacity))
    }

    /// A writer into `buffer`'s memory (its text is dropped).
    pub fn reusing(mut buffer: TextBuf) -> Self {
        buffer.clear();
        buffer.push_ascii(b'"');
        Self(JsonLiteral {
            literal: buffer,
            len: 0,
        })
    }

    pub fn finish(mut self) -> JsonLiteral {
        self.0.literal.push_ascii(b'"');
        self.0
    }
}

impl JsonWrite for LiteralWriter {
    fn token(&mut self, token: &str) {
        debug_assert!(!token
            .bytes()
            .any(|byte| matches!(byte, b'"' | b'\\') || byte < 0x20));
        self.0.literal.push_str(token);
        self.0.len += token.len();
    }

    fn string(&mut self, text: &Text) {
        self.0.len += push_nested_string(&mut self.0.literal.0, text);
    }
}

/// A JSON object written member by member with Python's default separators `", "` and `": "`.
pub struct ObjectWriter<'a> {
    out: &'a mut TextBuf,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn open(out: &'a mut TextBuf) -> Self {
        out.push_ascii(b'{');
        Self { out, empty: true }
    }

    /// Writes `"key": ` and returns the buffer for the caller to write the value into.
    pub fn key(&mut self, key: &Text, escape: Escape) -> &mut TextBuf {
        if !self.empty {
            self.out.push_str(", ");
        }
        self.empty = false;
        push_string(self.out, key, escape);
        self.out.push_str(": ");
        self.out
    }

    /// Writes `"key": ` for one of the API's field names (plain ASCII, never escaped).
    #[inline(always)]
    fn member(&mut self, key: &'static str) -> &mut Vec<u8> {
        debug_assert!(key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_'));
        let out = &mut self.out.0;
        if !self.empty {
            out.extend_from_slice(b", ");
        }
        self.empty = false;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\": ");
        out
    }

    /// Writes a member named by one of the API's field names whose value is a string.
    #[inline(always)]
    pub fn string(&mut self, key: &'static str, value: &Text, escape: Escape) {
        self.member(key);
        push_string(self.out, value, escape);
    }

    /// Writes a member named by one of the API's field names whose value is already JSON text.
    #[inline(always)]
    pub fn raw(&mut self, key: &'static str, value: &Text) {
        self.member(key).extend_from_slice(value.as_bytes());
    }

    pub fn close(self) {
        self.out.push_ascii(b'}');
    }
}

#[cfg(test)]
#[path = "json_text_tests.rs"]
mod tests;
