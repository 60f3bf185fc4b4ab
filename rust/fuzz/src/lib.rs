//! What the fuzz targets share: the input format and the oracles, each written from the rule it
//! checks (the API's documentation, Python's `json.dumps`, RFC 3986) rather than from the code
//! under test.
//!
//! # Input format
//!
//! An input is a list of fields separated by the byte `0xFF`, which never occurs in UTF-8, so
//! seeds are readable (`printf 'secret\xffbody\xffsignature'`) and the fuzzer can still reach
//! every string. A missing field is empty. A text field is decoded as lossy UTF-8; a Python-text
//! field ([`PyText`]) keeps its bytes when they are generalized UTF-8 (so `\xed\xa0\x80` is the
//! lone surrogate U+D800) and is lossy UTF-8 otherwise; a number field is decimal text when it
//! parses as such, otherwise its bytes little-endian.

use std::borrow::Cow;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use pusher_fast_core::text::Text;
use sha2::Sha256;

/// The byte between two fields of an input.
pub const SEPARATOR: u8 = 0xFF;

/// The fields of one input, read in order.
pub struct Fields<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: Some(data) }
    }

    /// The next field's bytes (empty once the input is used up).
    pub fn bytes(&mut self) -> &'a [u8] {
        let Some(rest) = self.rest else {
            return &[];
        };
        match rest.iter().position(|&byte| byte == SEPARATOR) {
            Some(end) => {
                self.rest = Some(&rest[end + 1..]);
                &rest[..end]
            }
            None => {
                self.rest = None;
                rest
            }
        }
    }

    /// The next field as text.
    pub fn text(&mut self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.bytes())
    }

    /// The next field as optional bytes: absent when the field is the single byte `0xFE`.
    pub fn optional_bytes(&mut self) -> Option<&'a [u8]> {
        match self.bytes() {
            [0xFE] => None,
            bytes => Some(bytes),
        }
    }

    /// The next field as an optional text: absent when the field is the single byte `0xFE`.
    pub fn optional_text(&mut self) -> Option<Cow<'a, str>> {
        self.optional_bytes().map(String::from_utf8_lossy)
    }

    /// The next field as a number: its text when that parses as `T`, else `from_bits` of up to 8
    /// bytes little-endian.
    fn number<T: FromStr>(&mut self, from_bits: impl FnOnce(u64) -> T) -> T {
        let bytes = self.bytes();
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| from_bits(little_endian(bytes)))
    }

    /// The next field as 64 bits: decimal text, or up to 8 bytes little-endian.
    pub fn u64(&mut self) -> u64 {
        self.number(|bits| bits)
    }

    /// The next field as an `i64`: decimal text (sign allowed), or 8 bytes little-endian.
    pub fn i64(&mut self) -> i64 {
        self.number(|bits| i64::from_le_bytes(bits.to_le_bytes()))
    }

    /// The next field as an `f64`: decimal text (`inf`, `NaN` included), or the bits of up to 8
    /// bytes little-endian.
    pub fn f64(&mut self) -> f64 {
        self.number(f64::from_bits)
    }

    /// The next field's first byte, 0 when empty.
    pub fn byte(&mut self) -> u8 {
        self.bytes().first().copied().unwrap_or(0)
    }

    /// The remaining fields as text.
    pub fn rest_text(&mut self) -> Vec<Cow<'a, str>> {
        let mut out = Vec::new();
        while self.rest.is_some() {
            out.push(self.text());
        }
        out
    }

    /// The next field as Python text: its bytes when they are generalized UTF-8, else lossy UTF-8.
    pub fn py_text(&mut self) -> PyText {
        PyText::from_field(self.bytes())
    }

    /// The next field as optional Python text: absent when the field is the single byte `0xFE`.
    pub fn optional_py_text(&mut self) -> Option<PyText> {
        self.optional_bytes().map(PyText::from_field)
    }

    /// The remaining fields as Python text.
    pub fn rest_py_text(&mut self) -> Vec<PyText> {
        let mut out = Vec::new();
        while self.rest.is_some() {
            out.push(self.py_text());
        }
        out
    }
}

/// Text as a Python `str` holds it: code points, where a surrogate may stand alone, with its
/// generalized UTF-8 (what `str.encode("utf-8", "surrogatepass")` writes). Both forms are worked
/// out here, independently of the core's `text` module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyText {
    bytes: Vec<u8>,
    code_points: Vec<u32>,
}

/// The text of a Rust string (no surrogates).
impl From<&str> for PyText {
    fn from(text: &str) -> Self {
        Self {
            bytes: text.as_bytes().to_vec(),
            code_points: text.chars().map(u32::from).collect(),
        }
    }
}

impl PyText {
    /// Text from its code points (each at most U+10FFFF; surrogates allowed).
    pub fn from_code_points(code_points: Vec<u32>) -> Self {
        let mut bytes = Vec::new();
        for &code_point in &code_points {
            push_code_point(&mut bytes, code_point);
        }
        Self { bytes, code_points }
    }

    fn from_field(bytes: &[u8]) -> Self {
        match generalized_utf8(bytes) {
            Some(code_points) => Self {
                bytes: bytes.to_vec(),
                code_points,
            },
            None => Self::from(&*String::from_utf8_lossy(bytes)),
        }
    }

    /// The generalized UTF-8.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn code_points(&self) -> &[u32] {
        &self.code_points
    }

    /// The text as the core reads it (its check of generalized UTF-8 must accept it).
    pub fn text(&self) -> &Text {
        Text::from_generalized_utf8(&self.bytes)
            .unwrap_or_else(|| panic!("the core refuses generalized UTF-8 {:?}", self.bytes))
    }

    /// The text as a `str`, when it holds no surrogate.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }

    pub fn has_surrogate(&self) -> bool {
        self.code_points
            .iter()
            .any(|code_point| is_surrogate(*code_point))
    }

    /// Its length as Python's `len()` counts it: code points.
    pub fn char_count(&self) -> usize {
        self.code_points.len()
    }

    /// The size of its UTF-8 as the API counts it, a lone surrogate three bytes.
    pub fn utf8_size(&self) -> usize {
        self.code_points
            .iter()
            .map(|&code_point| match code_point {
                0..=0x7f => 1,
                0x80..=0x7ff => 2,
                0x800..=0xffff => 3,
                _ => 4,
            })
            .sum()
    }

    pub fn starts_with(&self, prefix: &str) -> bool {
        self.bytes.starts_with(prefix.as_bytes())
    }

    /// Python's `str.strip()` as Rust's `str::trim` does it (Unicode `White_Space` at both ends;
    /// a surrogate is never white space), as text.
    pub fn trim(&self) -> Self {
        let blank =
            |code_point: &&u32| char::from_u32(**code_point).is_some_and(char::is_whitespace);
        let start = self.code_points.iter().take_while(blank).count();
        let end = self.code_points.len() - self.code_points.iter().rev().take_while(blank).count();
        Self::from_code_points(self.code_points[start..end.max(start)].to_vec())
    }
}

fn is_surrogate(code_point: u32) -> bool {
    (0xd800..=0xdfff).contains(&code_point)
}

/// Appends the generalized UTF-8 of one code point.
fn push_code_point(out: &mut Vec<u8>, code_point: u32) {
    if is_surrogate(code_point) {
        out.extend_from_slice(&[
            0xed,
            0x80 | ((code_point >> 6) & 0x3f) as u8,
            0x80 | (code_point & 0x3f) as u8,
        ]);
    } else {
        let ch = char::from_u32(code_point).expect("a code point");
        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// The code points of `bytes` when they are generalized UTF-8: runs of UTF-8 (as the standard
/// library reads it) between three-byte surrogate sequences `ED A0..BF 80..BF`. (`ED` never
/// continues a sequence, so each such triple starts one.)
pub fn generalized_utf8(bytes: &[u8]) -> Option<Vec<u32>> {
    fn run(out: &mut Vec<u32>, bytes: &[u8]) -> Option<()> {
        out.extend(std::str::from_utf8(bytes).ok()?.chars().map(u32::from));
        Some(())
    }
    let mut out = Vec::new();
    let (mut start, mut index) = (0, 0);
    while index < bytes.len() {
        if let [0xed, second @ 0xa0..=0xbf, third @ 0x80..=0xbf, ..] = bytes[index..] {
            run(&mut out, &bytes[start..index])?;
            out.push(0xd000 | (u32::from(second & 0x3f) << 6) | u32::from(third & 0x3f));
            index += 3;
            start = index;
        } else {
            index += 1;
        }
    }
    run(&mut out, &bytes[start..])?;
    Some(out)
}

fn little_endian(bytes: &[u8]) -> u64 {
    let mut buffer = [0u8; 8];
    let used = bytes.len().min(8);
    buffer[..used].copy_from_slice(&bytes[..used]);
    u64::from_le_bytes(buffer)
}

/// The channel-name alphabet as the API documents it: ASCII letters and digits and `-_=@,.;`.
pub fn is_channel_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '=' | '@' | ',' | '.' | ';')
}

/// 1 to `max` characters (code points) of the channel alphabet.
pub fn is_name_of(text: &str, max: usize) -> bool {
    let count = text.chars().count();
    (1..=max).contains(&count) && text.chars().all(is_channel_char)
}

/// A channel name: 1 to 200 characters of the alphabet, or (when `server_to_user`) also
/// `#server-to-user-` followed by at least one character of the alphabet, 200 in all.
pub fn is_channel_name(name: &str, server_to_user: bool) -> bool {
    match name.strip_prefix("#server-to-user-") {
        Some(user) if server_to_user => name.chars().count() <= 200 && is_name_of(user, usize::MAX),
        Some(_) => false,
        None => is_name_of(name, 200),
    }
}

/// `<digits>.<digits>`, ASCII digits only.
pub fn is_socket_id(text: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    let mut parts = text.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(left), Some(right), None) if digits(left) && digits(right)
    )
}

/// Lower-case hex HMAC-SHA256, from the `hmac` and `sha2` crates directly.
pub fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// A JSON string exactly as CPython's `json.dumps(text, ensure_ascii=ascii)` writes it: `"` and
/// `\` escaped, the five short escapes, other characters below U+0020 as `\u00XX`; with
/// `ensure_ascii` also DEL and everything beyond ASCII as `\uXXXX` (UTF-16, lower-case hex, a lone
/// surrogate as itself); without it a lone surrogate is written as it is (generalized UTF-8).
pub fn python_json(text: &PyText, ascii: bool) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &code_point in text.code_points() {
        match code_point {
            0x22 => out.extend_from_slice(b"\\\""),
            0x5c => out.extend_from_slice(b"\\\\"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ if code_point < 0x20 || (ascii && code_point > 0x7e) => {
                let units = match code_point.checked_sub(0x1_0000) {
                    None => vec![code_point],
                    Some(offset) => vec![0xd800 | (offset >> 10), 0xdc00 | (offset & 0x3ff)],
                };
                for unit in units {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
            _ => push_code_point(&mut out, code_point),
        }
    }
    out.push(b'"');
    out
}

/// [`python_json`] of a Rust string.
pub fn python_json_string(text: &str, ascii: bool) -> String {
    String::from_utf8(python_json(&PyText::from(text), ascii)).expect("UTF-8 in, UTF-8 out")
}

/// Splits a query string into percent-decoded `(key, value)` pairs, checking that it is made of
/// RFC 3986 unreserved characters and `%XX` escapes (upper-case hex) only.
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    let unreserved =
        |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
    let decode = |part: &str| -> String {
        let bytes = part.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while index < bytes.len() {
            let byte = bytes[index];
            if byte == b'%' {
                let digits = &part[index + 1..index + 3];
                assert!(
                    digits
                        .bytes()
                        .all(|d| d.is_ascii_digit() || (b'A'..=b'F').contains(&d)),
                    "bad escape in {query:?}"
                );
                out.push(u8::from_str_radix(digits, 16).expect("hex escape"));
                index += 3;
            } else {
                assert!(unreserved(byte), "reserved byte {byte:#x} in {query:?}");
                out.push(byte);
                index += 1;
            }
        }
        String::from_utf8(out).expect("a decoded query part is UTF-8")
    };
    query
        .split('&')
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("every pair has '='");
            (decode(key), decode(value))
        })
        .collect()
}

/// Checks a signed query: keys strictly sorted, the signature an HMAC of `METHOD\nPATH\n` and the
/// other pairs joined raw, keyed with `secret`. Returns the decoded pairs.
pub fn check_signed_query(
    query: &str,
    secret: &[u8],
    method: &str,
    path: &str,
) -> Vec<(String, String)> {
    let pairs = decode_query(query);
    assert!(
        pairs.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "keys not sorted or repeated: {query:?}"
    );
    let signed: Vec<String> = pairs
        .iter()
        .filter(|(key, _)| key != "auth_signature")
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let message = format!("{method}\n{path}\n{}", signed.join("&"));
    let signature = pairs
        .iter()
        .find(|(key, _)| key == "auth_signature")
        .map(|(_, value)| value.as_str());
    assert_eq!(
        signature,
        Some(hmac_hex(secret, message.as_bytes()).as_str()),
        "signature of {query:?}"
    );
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_on_the_separator() {
        let mut fields = Fields::new(b"a\xffb\xc3\xa9\xff\xfe\xff42\xff\x01\x02");
        assert_eq!(fields.text(), "a");
        assert_eq!(fields.text(), "b\u{e9}");
        assert_eq!(fields.optional_text(), None);
        assert_eq!(fields.u64(), 42);
        assert_eq!(fields.u64(), 0x0201);
        assert_eq!(fields.text(), "");
    }

    #[test]
    fn python_json_strings() {
        // What CPython's json.dumps prints.
        assert_eq!(
            python_json_string("é😀\u{7f}", true),
            r#""\u00e9\ud83d\ude00\u007f""#
        );
        assert_eq!(
            python_json_string("é\u{7f}\u{1}", false),
            "\"é\u{7f}\\u0001\""
        );
    }

    #[test]
    fn python_json_of_lone_surrogates() {
        // json.dumps("\ud800x\udfff") and json.dumps(..., ensure_ascii=False).
        let text = PyText::from_code_points(vec![0xd800, 0x78, 0xdfff]);
        assert_eq!(text.bytes(), b"\xed\xa0\x80x\xed\xbf\xbf");
        assert_eq!(python_json(&text, true), br#""\ud800x\udfff""#);
        assert_eq!(python_json(&text, false), b"\"\xed\xa0\x80x\xed\xbf\xbf\"");
        assert_eq!(text.utf8_size(), 7);
        assert_eq!(text.char_count(), 3);
    }

    #[test]
    fn generalized_utf8_is_utf8_with_surrogates() {
        assert_eq!(
            generalized_utf8(b"a\xed\xa0\x80\xc3\xa9\xed\xbf\xbf"),
            Some(vec![0x61, 0xd800, 0xe9, 0xdfff])
        );
        // A surrogate pair stays two code points, as surrogatepass writes it.
        assert_eq!(
            generalized_utf8(b"\xed\xa0\xbd\xed\xb8\x80"),
            Some(vec![0xd83d, 0xde00])
        );
        for bad in [
            &b"\xed\xa0"[..],
            b"\xe1\xed\xa0\x80",
            b"\xc0\x80",
            b"\xf4\x90\x80\x80",
            b"\x80",
            b"\xff",
        ] {
            assert_eq!(generalized_utf8(bad), None, "{bad:?}");
        }
        let mut fields = Fields::new(b"\xed\xa0\x80\xff\xed\xa0");
        assert!(fields.py_text().has_surrogate());
        // Not generalized UTF-8 (a cut surrogate): lossy, like a text field.
        assert_eq!(fields.py_text().as_str(), Some("\u{fffd}\u{fffd}"));
    }

    #[test]
    fn trim_drops_white_space_but_not_surrogates() {
        let text = PyText::from_code_points(vec![0x20, 0xd800, 0x3000, 0x0a]);
        assert_eq!(text.trim().code_points(), [0xd800]);
        assert_eq!(PyText::from(" \t ").trim().char_count(), 0);
    }

    #[test]
    fn queries_decode() {
        assert_eq!(
            decode_query("a=%C3%A9&b~=1"),
            [("a".into(), "é".into()), ("b~".into(), "1".into())]
        );
    }
}
