//! What the fuzz targets share: the input format and the oracles, each written from the rule it
//! checks (the API's documentation, Python's `json.dumps`, RFC 3986) rather than from the code
//! under test.
//!
//! # Input format
//!
//! An input is a list of fields separated by the byte `0xFF`, which never occurs in UTF-8, so
//! seeds are readable (`printf 'secret\xffbody\xffsignature'`) and the fuzzer can still reach
//! every string. A missing field is empty. A text field is decoded as lossy UTF-8; a number field
//! is decimal text when it parses as such, otherwise its bytes little-endian.

use std::borrow::Cow;
use std::str::FromStr;

use hmac::{Hmac, Mac};
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
/// `ensure_ascii` also DEL and everything beyond ASCII as `\uXXXX` (UTF-16, lower-case hex).
pub fn python_json_string(text: &str, ascii: bool) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            _ if u32::from(ch) < 0x20 || (ascii && u32::from(ch) > 0x7e) => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
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
    secret: &str,
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
        Some(hmac_hex(secret.as_bytes(), message.as_bytes()).as_str()),
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
    fn queries_decode() {
        assert_eq!(
            decode_query("a=%C3%A9&b~=1"),
            [("a".into(), "é".into()), ("b~".into(), "1".into())]
        );
    }
}
