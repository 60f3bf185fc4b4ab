//! Reading JSON as Python's `json.loads` reads it, for webhook bodies.
//!
//! The grammar is the `json` module's: RFC 8259 plus `NaN`, `Infinity` and `-Infinity`; numbers
//! with a fraction or an exponent are floats (correctly rounded, `1e400` is infinite), others are
//! integers of any size; `\uXXXX` escapes of a high and a low surrogate make one character, any
//! other surrogate escape stays a lone surrogate; raw text may hold encoded surrogates (`json.loads`
//! decodes bytes with `surrogatepass`). The reader builds values through a [`Builder`], so the
//! same rules make Python objects in the bindings and plain values in the tests.
//!
//! It only ever succeeds where `json.loads` succeeds with the same value. What it does not read
//! (other encodings than UTF-8, nesting deeper than [`MAX_DEPTH`]) is left to the caller, which
//! hands those bodies to `json.loads` itself.

use crate::text::{Text, TextBuf};

/// Arrays and objects nested deeper than this are not read here.
pub const MAX_DEPTH: usize = 128;

/// Why a text was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError<E> {
    /// Not JSON as the `json` module reads it, or not UTF-8.
    Invalid,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The builder failed.
    Build(E),
}

/// Makes values of what the reader finds.
pub trait Builder {
    type Value;
    type Error;

    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    fn boolean(&mut self, value: bool) -> Result<Self::Value, Self::Error>;
    /// An integer: `-?[0-9]+`, without leading zeros, of any length.
    fn integer(&mut self, digits: &str) -> Result<Self::Value, Self::Error>;
    fn float(&mut self, value: f64) -> Result<Self::Value, Self::Error>;
    fn string(&mut self, text: &Text) -> Result<Self::Value, Self::Error>;
    fn array(&mut self, items: Vec<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// An object's members in order; a repeated key keeps the first position and the last value,
    /// as a `dict` does.
    fn object(
        &mut self,
        members: Vec<(Self::Value, Self::Value)>,
    ) -> Result<Self::Value, Self::Error>;
}

/// Reads `bytes`, which must hold one JSON value and nothing but whitespace around it.
pub fn read<B: Builder>(bytes: &[u8], builder: &mut B) -> Result<B::Value, ReadError<B::Error>> {
    let text = Text::from_generalized_utf8(bytes).ok_or(ReadError::Invalid)?;
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
        builder,
        scratch: TextBuf::new(),
    };
    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at != reader.bytes.len() {
        return Err(ReadError::Invalid);
    }
    Ok(value)
}

struct Reader<'a, B> {
    bytes: &'a [u8],
    at: usize,
    builder: &'a mut B,
    /// Where escaped strings are unescaped.
    scratch: TextBuf,
}

/// Where a string's text is.
enum Scanned {
    /// In the input, between these offsets.
    Raw(usize, usize),
    /// In the reader's scratch buffer.
    Unescaped,
}

type Read<B> = Result<<B as Builder>::Value, ReadError<<B as Builder>::Error>>;

impl<B: Builder> Reader<'_, B> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        let found = self.bytes[self.at..].starts_with(literal);
        if found {
            self.at += literal.len();
        }
        found
    }

    fn built(result: Result<B::Value, B::Error>) -> Read<B> {
        result.map_err(ReadError::Build)
    }

    fn value(&mut self, depth: usize) -> Read<B> {
        match self.peek().ok_or(ReadError::Invalid)? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string_value(),
            b'-' | b'0'..=b'9' => self.number(),
            _ if self.eat(b"null") => Self::built(self.builder.null()),
            _ if self.eat(b"true") => Self::built(self.builder.boolean(true)),
            _ if self.eat(b"false") => Self::built(self.builder.boolean(false)),
            _ if self.eat(b"NaN") => Self::built(self.builder.float(f64::NAN)),
            _ if self.eat(b"Infinity") => Self::built(self.builder.float(f64::INFINITY)),
            _ => Err(ReadError::Invalid),
        }
    }

    fn array(&mut self, depth: usize) -> Read<B> {
        if depth > MAX_DEPTH {
            return Err(ReadError::TooDeep);
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b"]") {
            return Self::built(self.builder.array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            if self.eat(b"]") {
                return Self::built(self.builder.array(items));
            }
            if !self.eat(b",") {
                return Err(ReadError::Invalid);
            }
        }
    }

    fn object(&mut self, depth: usize) -> Read<B> {
        if depth > MAX_DEPTH {
            return Err(ReadError::TooDeep);
        }
        self.at += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.eat(b"}") {
            return Self::built(self.builder.object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(ReadError::Invalid);
            }
            let key = self.string_value()?;
            self.skip_whitespace();
            if !self.eat(b":") {
                return Err(ReadError::Invalid);
            }
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_whitespace();
            if self.eat(b"}") {
                return Self::built(self.builder.object(members));
            }
            if !self.eat(b",") {
                return Err(ReadError::Invalid);
            }
        }
    }

    /// `-Infinity`, or a number as the `json` module's `NUMBER_RE` matches it:
    /// `(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?`.
    fn number(&mut self) -> Read<B> {
        let start = self.at;
        if self.eat(b"-Infinity") {
            return Self::built(self.builder.float(f64::NEG_INFINITY));
        }
        self.eat(b"-");
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(ReadError::Invalid),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') && self.digit_at(self.at + 1) {
            self.at += 1;
            self.skip_digits();
            is_float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            // An exponent without digits is not part of the number (the regex backtracks).
            let sign = usize::from(matches!(self.bytes.get(self.at + 1), Some(b'+' | b'-')));
            if self.digit_at(self.at + 1 + sign) {
                self.at += 1 + sign;
                self.skip_digits();
                is_float = true;
            }
        }
        // ASCII digits and signs only.
        let number =
            std::str::from_utf8(&self.bytes[start..self.at]).map_err(|_| ReadError::Invalid)?;
        if is_float {
            // Rust's parser is correctly rounded, as Python's float() is; overflow gives infinity.
            let value: f64 = number.parse().map_err(|_| ReadError::Invalid)?;
            Self::built(self.builder.float(value))
        } else {
            Self::built(self.builder.integer(number))
        }
    }

    fn digit_at(&self, index: usize) -> bool {
        self.bytes.get(index).is_some_and(u8::is_ascii_digit)
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// A string, the reader on its opening quote.
    fn string_value(&mut self) -> Read<B> {
        let bytes = self.bytes;
        let text = match self.scan_string()? {
            // SAFETY: the input is generalized UTF-8 and the range lies between two ASCII quotes.
            Scanned::Raw(start, end) => unsafe { Text::from_bytes_unchecked(&bytes[start..end]) },
            Scanned::Unescaped => &*self.scratch,
        };
        Self::built(self.builder.string(text))
    }

    /// Reads a string up to its closing quote: where its text is in the input when it has no
    /// escapes, or in `scratch`, unescaped.
    fn scan_string(&mut self) -> Result<Scanned, ReadError<B::Error>> {
        self.at += 1;
        let start = self.at;
        loop {
            match self.peek().ok_or(ReadError::Invalid)? {
                b'"' => {
                    self.at += 1;
                    return Ok(Scanned::Raw(start, self.at - 1));
                }
                b'\\' => break,
                // Control characters are not allowed inside strings (`strict=True`).
                0x00..=0x1f => return Err(ReadError::Invalid),
                _ => self.at += 1,
            }
        }
        self.scratch.clear();
        self.scratch.push_bytes(&self.bytes[start..self.at]);
        loop {
            match self.peek().ok_or(ReadError::Invalid)? {
                b'"' => {
                    self.at += 1;
                    return Ok(Scanned::Unescaped);
                }
                b'\\' => self.escape()?,
                0x00..=0x1f => return Err(ReadError::Invalid),
                byte => {
                    self.scratch.push_bytes(&[byte]);
                    self.at += 1;
                }
            }
        }
    }

    /// One escape sequence, the reader on its backslash.
    fn escape(&mut self) -> Result<(), ReadError<B::Error>> {
        let simple = match self.bytes.get(self.at + 1).ok_or(ReadError::Invalid)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                self.at += 2;
                let mut code_point = self.hex4()?;
                // A high surrogate escape followed by a low one is one character; json's scanner
                // reads the second escape only to join it, and reads it again otherwise.
                if (0xd800..=0xdbff).contains(&code_point)
                    && self.bytes[self.at..].starts_with(b"\\u")
                {
                    let after = self.at;
                    self.at += 2;
                    let low = self.hex4()?;
                    if (0xdc00..=0xdfff).contains(&low) {
                        code_point = 0x1_0000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
                    } else {
                        self.at = after;
                    }
                }
                self.scratch.push_code_point(code_point);
                return Ok(());
            }
            _ => return Err(ReadError::Invalid),
        };
        self.scratch.push_bytes(&[simple]);
        self.at += 2;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ReadError<B::Error>> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .ok_or(ReadError::Invalid)?;
        let mut value = 0;
        for digit in digits {
            let nibble = char::from(*digit).to_digit(16).ok_or(ReadError::Invalid)?;
            value = (value << 4) | nibble;
        }
        self.at += 4;
        Ok(value)
    }
}

#[cfg(test)]
#[path = "json_read_tests.rs"]
mod tests;
