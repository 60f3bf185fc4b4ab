//! Text as Python strings hold it: Unicode code points, where a surrogate (U+D800 to U+DFFF) may
//! stand on its own.
//!
//! Such text is carried as *generalized UTF-8*: UTF-8 extended to the surrogate code points, each
//! written as its own three-byte sequence (`ED A0..BF 80..BF`), exactly what Python's
//! `str.encode("utf-8", "surrogatepass")` writes. Text without surrogates is plain UTF-8, so every
//! `&str` is a [`Text`] at no cost, and the common case never copies or converts anything.
//!
//! The official SDK sends such text (`json.dumps` escapes a lone surrogate as `\ud800`), so event
//! names, event data and auth payloads are read as [`Text`]; only what must become UTF-8 bytes of
//! its own (encrypted data) refuses it.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A borrowed run of generalized UTF-8 (see the module documentation).
#[repr(transparent)]
#[derive(PartialEq, Eq, Hash)]
pub struct Text([u8]);

/// Owned [`Text`].
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct TextBuf(pub(crate) Vec<u8>);

/// The replacement character shown for a surrogate where text is displayed.
const REPLACEMENT: char = '\u{fffd}';

impl Text {
    /// The text of a Rust string.
    pub fn new(text: &str) -> &Self {
        // SAFETY: `Text` is a transparent wrapper of `[u8]`, and UTF-8 is generalized UTF-8.
        unsafe { Self::from_bytes_unchecked(text.as_bytes()) }
    }

    /// `bytes` as text, when they are generalized UTF-8.
    pub fn from_generalized_utf8(bytes: &[u8]) -> Option<&Self> {
        let mut index = 0;
        while index < bytes.len() {
            index += sequence_len_checked(&bytes[index..])?;
        }
        // SAFETY: every sequence was checked above.
        Some(unsafe { Self::from_bytes_unchecked(bytes) })
    }

    /// `bytes` as text, without a check.
    ///
    /// # Safety
    ///
    /// `bytes` must be generalized UTF-8 (what `surrogatepass` encoding writes, or UTF-8).
    pub unsafe fn from_bytes_unchecked(bytes: &[u8]) -> &Self {
        // SAFETY: `Text` is `#[repr(transparent)]` over `[u8]`; the caller vouches for the bytes.
        unsafe { &*(std::ptr::from_ref::<[u8]>(bytes) as *const Self) }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// The text as a `str`, or `None` when it holds a surrogate (which has no UTF-8 form).
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Its length in code points, as Python's `len()` counts it.
    pub fn char_count(&self) -> usize {
        // Every code point has exactly one byte that is not a continuation byte.
        self.0
            .iter()
            .filter(|byte| !is_continuation(**byte))
            .count()
    }

    /// The code points, surrogates included.
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints { rest: &self.0 }
    }

    /// The first `count` code points (all of them when there are fewer).
    pub fn prefix(&self, count: usize) -> &Self {
        let end = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, byte)| !is_continuation(**byte))
            .nth(count)
            .map_or(self.0.len(), |(index, _)| index);
        // SAFETY: `end` is the start of a sequence (or the end), so the prefix is whole sequences.
        unsafe { Self::from_bytes_unchecked(&self.0[..end]) }
    }

    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix.as_bytes())
    }

    /// The text after `prefix`, when it starts with it.
    pub fn strip_prefix(&self, prefix: &str) -> Option<&Self> {
        let rest = self.0.strip_prefix(prefix.as_bytes())?;
        // SAFETY: `prefix` is whole UTF-8 sequences, so what follows it starts a sequence.
        Some(unsafe { Self::from_bytes_unchecked(rest) })
    }

    pub fn to_text_buf(&self) -> TextBuf {
        TextBuf(self.0.to_vec())
    }
}

impl fmt::Display for Text {
    /// Surrogates are shown as U+FFFD; everything else as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.to_str() {
            return f.write_str(text);
        }
        for code_point in self.code_points() {
            let ch = char::from_u32(code_point).unwrap_or(REPLACEMENT);
            fmt::Write::write_char(f, ch)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({:?})", self.to_string())
    }
}

impl AsRef<Text> for Text {
    fn as_ref(&self) -> &Text {
        self
    }
}

impl AsRef<Text> for str {
    fn as_ref(&self) -> &Text {
        Text::new(self)
    }
}

impl AsRef<Text> for String {
    fn as_ref(&self) -> &Text {
        Text::new(self)
    }
}

impl AsRef<Text> for TextBuf {
    fn as_ref(&self) -> &Text {
        self
    }
}

impl<'a> From<&'a str> for &'a Text {
    fn from(text: &'a str) -> Self {
        Text::new(text)
    }
}

impl TextBuf {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }

    pub fn push_str(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    pub fn push_text(&mut self, text: &Text) {
        self.0.extend_from_slice(text.as_bytes());
    }

    pub fn push_ascii(&mut self, byte: u8) {
        debug_assert!(byte.is_ascii());
        self.0.push(byte);
    }

    /// Appends one code point, a surrogate included (as its own three-byte sequence).
    pub fn push_code_point(&mut self, code_point: u32) {
        match code_point {
            0..=0x7f => self.0.push(code_point as u8),
            0x80..=0x7ff => self
                .0
                .extend_from_slice(&[0xc0 | (code_point >> 6) as u8, continuation(code_point, 0)]),
            0x800..=0xffff => self.0.extend_from_slice(&[
                0xe0 | (code_point >> 12) as u8,
                continuation(code_point, 6),
                continuation(code_point, 0),
            ]),
            _ => self.0.extend_from_slice(&[
                0xf0 | (code_point >> 18) as u8,
                continuation(code_point, 12),
                continuation(code_point, 6),
                continuation(code_point, 0),
            ]),
        }
    }

    /// Appends bytes that are whole generalized UTF-8 sequences (the caller's promise).
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    pub fn reserve(&mut self, additional: usize) {
        self.0.reserve(additional);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The text as a `String`, or the text back when it holds a surrogate.
    pub fn into_string(self) -> Result<String, Self> {
        String::from_utf8(self.0).map_err(|error| Self(error.into_bytes()))
    }
}

impl From<String> for TextBuf {
    fn from(text: String) -> Self {
        Self(text.into_bytes())
    }
}

impl From<&str> for TextBuf {
    fn from(text: &str) -> Self {
        Self(text.as_bytes().to_vec())
    }
}

impl Deref for TextBuf {
    type Target = Text;

    fn deref(&self) -> &Text {
        // SAFETY: a `TextBuf` only ever holds whole generalized UTF-8 sequences.
        unsafe { Text::from_bytes_unchecked(&self.0) }
    }
}

impl fmt::Display for TextBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for TextBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl ToOwned for Text {
    type Owned = TextBuf;

    fn to_owned(&self) -> TextBuf {
        self.to_text_buf()
    }
}

impl Borrow<Text> for TextBuf {
    fn borrow(&self) -> &Text {
        self
    }
}

/// Iterator over the code points of a [`Text`].
pub struct CodePoints<'a> {
    rest: &'a [u8],
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (&lead, _) = self.rest.split_first()?;
        let len = sequence_len(lead);
        let code_point = decode(&self.rest[..len]);
        self.rest = &self.rest[len..];
        Some(code_point)
    }
}

/// The continuation byte of `code_point` holding its bits from `shift` up.
fn continuation(code_point: u32, shift: u32) -> u8 {
    0x80 | ((code_point >> shift) & 0x3f) as u8
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

/// The length of the sequence a valid lead byte starts.
pub(crate) fn sequence_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The code point of one valid sequence.
pub(crate) fn decode(sequence: &[u8]) -> u32 {
    let tail = |bytes: &[u8]| {
        bytes
            .iter()
            .fold(0u32, |code, byte| (code << 6) | u32::from(byte & 0x3f))
    };
    match sequence.len() {
        1 => u32::from(sequence[0]),
        2 => (u32::from(sequence[0] & 0x1f) << 6) | tail(&sequence[1..]),
        3 => (u32::from(sequence[0] & 0x0f) << 12) | tail(&sequence[1..]),
        _ => (u32::from(sequence[0] & 0x07) << 18) | tail(&sequence[1..]),
    }
}

/// The length of the sequence `bytes` starts with, when it is generalized UTF-8: UTF-8's rules
/// (shortest form, at most U+10FFFF) with the surrogate range allowed.
fn sequence_len_checked(bytes: &[u8]) -> Option<usize> {
    let lead = bytes[0];
    let (len, min) = match lead {
        0x00..=0x7f => return Some(1),
        0xc2..=0xdf => (2, 0x80),
        0xe0..=0xef => (3, 0x800),
        0xf0..=0xf4 => (4, 0x1_0000),
        _ => return None,
    };
    let sequence = bytes.get(..len)?;
    if !sequence[1..].iter().all(|byte| is_continuation(*byte)) {
        return None;
    }
    let code_point = decode(sequence);
    (min..=0x10_ffff).contains(&code_point).then_some(len)
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
