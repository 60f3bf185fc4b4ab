use super::*;

/// `"\ud800"` as Python's `"\ud800".encode("utf-8", "surrogatepass")` writes it.
const HIGH: &[u8] = b"\xed\xa0\x80";

#[test]
fn str_is_text() {
    let text = Text::new("é😀");
    assert_eq!(text.to_str(), Some("é😀"));
    assert_eq!(text.char_count(), 2);
    assert_eq!(text.code_points().collect::<Vec<_>>(), [0xe9, 0x1f600]);
}

#[test]
fn surrogates_are_accepted_and_counted_as_python_counts_them() {
    let bytes = [b"a".as_slice(), HIGH, b"b"].concat();
    let text = Text::from_generalized_utf8(&bytes).unwrap();
    assert_eq!(text.to_str(), None);
    assert_eq!(text.char_count(), 3);
    assert_eq!(text.code_points().collect::<Vec<_>>(), [0x61, 0xd800, 0x62]);
    assert_eq!(text.to_string(), "a\u{fffd}b");
    assert_eq!(text.prefix(2).as_bytes(), [b"a".as_slice(), HIGH].concat());
}

#[test]
fn anything_else_that_is_not_utf8_is_refused() {
    for bad in [
        b"\xff".as_slice(),
        b"\xc0\x80",         // overlong
        b"\xe0\x80\x80",     // overlong
        b"\xed\xa0",         // truncated
        b"\xf4\x90\x80\x80", // above U+10FFFF
        b"\x80",
    ] {
        assert_eq!(Text::from_generalized_utf8(bad), None, "{bad:?}");
    }
}

#[test]
fn code_points_are_encoded_as_surrogatepass_encodes_them() {
    let mut out = TextBuf::new();
    for code_point in [0x24, 0xa2, 0x20ac, 0xd800, 0xdfff, 0x1_0348] {
        out.push_code_point(code_point);
    }
    // "$¢€\ud800\udfff𐍈".encode("utf-8", "surrogatepass")
    assert_eq!(
        out.as_bytes(),
        b"$\xc2\xa2\xe2\x82\xac\xed\xa0\x80\xed\xbf\xbf\xf0\x90\x8d\x88"
    );
    assert!(Text::from_generalized_utf8(out.as_bytes()).is_some());
    assert_eq!(out.clone().into_string(), Err(out));
    assert_eq!(TextBuf::from("x").into_string(), Ok("x".to_owned()));
}
