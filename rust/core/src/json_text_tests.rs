use super::*;

fn quoted(text: &Text, escape: Escape) -> Vec<u8> {
    let mut out = TextBuf::new();
    push_string(&mut out, text, escape);
    out.into_bytes()
}

fn quoted_str(text: &str, escape: Escape) -> String {
    String::from_utf8(quoted(Text::new(text), escape)).unwrap()
}

/// `"\ud800"` as Python's `"\ud800".encode("utf-8", "surrogatepass")`.
const LONE_HIGH: &[u8] = b"\xed\xa0\x80";
/// `"\udfff"`.
const LONE_LOW: &[u8] = b"\xed\xbf\xbf";

fn surrogate_text(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// Expected values are what CPython's json.dumps prints for the same input.
#[test]
fn ascii_escaping_matches_python() {
    assert_eq!(quoted_str("plain", Escape::Ascii), r#""plain""#);
    assert_eq!(quoted_str("é", Escape::Ascii), r#""\u00e9""#);
    assert_eq!(quoted_str("\u{7f}", Escape::Ascii), r#""\u007f""#);
    assert_eq!(quoted_str("😀", Escape::Ascii), r#""\ud83d\ude00""#);
    assert_eq!(
        quoted_str("\u{ffff}\u{10ffff}", Escape::Ascii),
        r#""\uffff\udbff\udfff""#
    );
    assert_eq!(
        quoted_str("\u{0}\u{1f}\u{8}\u{c}\n\r\t\"\\/", Escape::Ascii),
        r#""\u0000\u001f\b\f\n\r\t\"\\/""#
    );
}

#[test]
fn unicode_escaping_matches_python() {
    assert_eq!(quoted_str("é😀\u{7f}", Escape::Unicode), "\"é😀\u{7f}\"");
    assert_eq!(
        quoted_str("\u{0}\u{1f}\u{8}\u{c}\n\r\t\"\\/", Escape::Unicode),
        r#""\u0000\u001f\b\f\n\r\t\"\\/""#
    );
}

#[test]
fn lone_surrogates_are_written_as_python_writes_them() {
    // json.dumps("a\ud800b\udfff") == '"a\\ud800b\\udfff"'
    let bytes = surrogate_text(&[b"a", LONE_HIGH, b"b", LONE_LOW]);
    let text = Text::from_generalized_utf8(&bytes).unwrap();
    assert_eq!(quoted(text, Escape::Ascii), br#""a\ud800b\udfff""#);
    // ensure_ascii=False keeps the surrogates themselves.
    let expected = surrogate_text(&[b"\"a", LONE_HIGH, b"b", LONE_LOW, b"\""]);
    assert_eq!(quoted(text, Escape::Unicode), expected);
    // A surrogate pair written as two code points is escaped as two units, like the character.
    let pair = surrogate_text(&[b"\xed\xa0\xbd", b"\xed\xb8\x80"]);
    let pair = Text::from_generalized_utf8(&pair).unwrap();
    assert_eq!(quoted(pair, Escape::Ascii), br#""\ud83d\ude00""#);
}

#[test]
fn object_writer_uses_python_separators() {
    let mut out = TextBuf::new();
    let mut object = ObjectWriter::open(&mut out);
    object.string("name", Text::new("é"), Escape::Ascii);
    object.key(Text::new("n"), Escape::Ascii).push_str("1");
    object.close();
    assert_eq!(out.into_bytes(), br#"{"name": "\u00e9", "n": 1}"#);
    let mut empty = TextBuf::new();
    ObjectWriter::open(&mut empty).close();
    assert_eq!(empty.into_bytes(), b"{}");
}

/// The escaping rules one character at a time, as json.dumps states them.
fn reference(text: &str, escape: Escape) -> String {
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
            _ if ch < ' ' || (escape == Escape::Ascii && !(' '..='~').contains(&ch)) => {
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

#[test]
fn word_at_a_time_scanning_agrees_with_the_rules_everywhere() {
    let specials = [
        '"', '\\', '\u{0}', '\u{1f}', ' ', '~', '\u{7f}', '\u{80}', 'é', '\u{7ff}', '\u{800}', '€',
        '\u{ffff}', '😀',
    ];
    for escape in [Escape::Ascii, Escape::Unicode] {
        for special in specials {
            for position in 0..20 {
                let mut text: String = "abcdefghijklmnopqrstu".chars().take(position).collect();
                text.push(special);
                text.push_str("xyz0123456789");
                assert_eq!(
                    quoted_str(&text, escape),
                    reference(&text, escape),
                    "{text:?}"
                );
            }
        }
        let all: String = (0..0x2000u32).filter_map(char::from_u32).collect();
        assert_eq!(quoted_str(&all, escape), reference(&all, escape));
    }
}

#[test]
fn nested_strings_are_the_outer_escape_of_the_inner_one() {
    let samples = [
        "",
        "plain",
        "a\"b\\c/d",
        "\n\r\t\u{8}\u{c}\u{0}\u{1f}",
        "\u{7f}é€😀",
        "mixed \"quotes\" and é in a string longer than a word or two",
    ];
    let all: String = (0..0x900u32).filter_map(char::from_u32).collect();
    let surrogate = [b"x".as_slice(), b"\xed\xa0\x80", b"\"y"].concat();
    let texts: Vec<&Text> = samples
        .iter()
        .map(|text| Text::new(text))
        .chain([
            Text::new(&all),
            Text::from_generalized_utf8(&surrogate).unwrap(),
        ])
        .collect();
    for text in texts {
        let inner = quoted(text, Escape::Unicode);
        let inner = Text::from_generalized_utf8(&inner).unwrap();
        let outer = quoted(inner, Escape::Ascii);
        // Inside a literal, without the literal's own quotes.
        let expected = &outer[1..outer.len() - 1];
        let mut out = Vec::new();
        let len = push_nested_string(&mut out, text);
        assert_eq!(out, expected, "{text:?}");
        assert_eq!(len, inner.len(), "{text:?}");
    }
}

#[test]
fn a_literal_is_the_json_string_of_the_data() {
    // json.dumps({"data": json.dumps({"a": ["é", 1]}, ensure_ascii=False)})
    let mut writer = LiteralWriter::with_capacity(8);
    for (token, string) in [("{", ""), ("", "a"), (": [", ""), ("", "é"), (", 1]}", "")] {
        writer.token(token);
        if !string.is_empty() {
            writer.string(Text::new(string));
        }
    }
    let literal = writer.finish();
    assert_eq!(
        literal.literal().as_bytes(),
        br#""{\"a\": [\"\u00e9\", 1]}""#
    );
    assert_eq!(literal.len(), r#"{"a": ["é", 1]}"#.len());
}
