use super::*;

#[derive(Debug, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(Vec<u8>),
    Array(Vec<Value>),
    Object(Vec<(Value, Value)>),
}

struct Values;

impl Builder for Values {
    type Value = Value;
    type Error = ();

    fn null(&mut self) -> Result<Value, ()> {
        Ok(Value::Null)
    }
    fn boolean(&mut self, value: bool) -> Result<Value, ()> {
        Ok(Value::Bool(value))
    }
    fn integer(&mut self, digits: &str) -> Result<Value, ()> {
        Ok(Value::Int(digits.to_owned()))
    }
    fn float(&mut self, value: f64) -> Result<Value, ()> {
        Ok(Value::Float(value))
    }
    fn string(&mut self, text: &Text) -> Result<Value, ()> {
        Ok(Value::Str(text.as_bytes().to_vec()))
    }
    fn array(&mut self, items: Vec<Value>) -> Result<Value, ()> {
        Ok(Value::Array(items))
    }
    fn object(&mut self, members: Vec<(Value, Value)>) -> Result<Value, ()> {
        Ok(Value::Object(members))
    }
}

fn parsed(json: &[u8]) -> Result<Value, ReadError<()>> {
    read(json, &mut Values)
}

fn str(text: &str) -> Value {
    Value::Str(text.as_bytes().to_vec())
}

// Expected values are what json.loads gives for the same text.
#[test]
fn numbers_are_ints_or_floats_as_json_loads_makes_them() {
    let int = |digits: &str| Ok(Value::Int(digits.to_owned()));
    assert_eq!(parsed(b"0"), int("0"));
    assert_eq!(parsed(b"-0"), int("-0"));
    assert_eq!(
        parsed(b"1180591620717411303424"),
        int("1180591620717411303424")
    );
    assert_eq!(parsed(b"-0.0"), Ok(Value::Float(-0.0)));
    assert_eq!(parsed(b"1.5e3"), Ok(Value::Float(1500.0)));
    assert_eq!(parsed(b"1E+2"), Ok(Value::Float(100.0)));
    assert_eq!(parsed(b"1e400"), Ok(Value::Float(f64::INFINITY)));
    assert_eq!(parsed(b"-1e400"), Ok(Value::Float(f64::NEG_INFINITY)));
    assert_eq!(parsed(b"1e-400"), Ok(Value::Float(0.0)));
    // Correctly rounded: the nearest double to this decimal is 0.1 + 2**-56 ulp away, not 0.1.
    assert_eq!(
        parsed(b"0.1000000000000000055511151231257827021181583404541015625"),
        Ok(Value::Float(0.1))
    );
    assert_eq!(
        parsed(b"NaN").map(|v| matches!(v, Value::Float(f) if f.is_nan())),
        Ok(true)
    );
    assert_eq!(parsed(b"Infinity"), Ok(Value::Float(f64::INFINITY)));
    assert_eq!(parsed(b"-Infinity"), Ok(Value::Float(f64::NEG_INFINITY)));
    for bad in [
        &b"01"[..],
        b"1.",
        b".5",
        b"-",
        b"+1",
        b"1e",
        b"1e+",
        b"--1",
        b"0x10",
        b"-NaN",
        b"infinity",
    ] {
        assert_eq!(
            parsed(bad),
            Err(ReadError::Invalid),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn strings_unescape_as_json_loads_does() {
    assert_eq!(
        parsed(br#""a\"\\\/\b\f\n\r\t\u00e9""#),
        Ok(str("a\"\\/\u{8}\u{c}\n\r\té"))
    );
    assert_eq!(parsed(br#""\ud83d\ude00""#), Ok(str("😀")));
    // Lone surrogates stay lone; a high one followed by another escape is not joined with it.
    assert_eq!(
        parsed(br#""\ud800""#),
        Ok(Value::Str(b"\xed\xa0\x80".to_vec()))
    );
    assert_eq!(
        parsed(br#""\ud800\u0041""#),
        Ok(Value::Str(b"\xed\xa0\x80A".to_vec()))
    );
    assert_eq!(
        parsed(br#""\udc00\ud800""#),
        Ok(Value::Str(b"\xed\xb0\x80\xed\xa0\x80".to_vec()))
    );
    // Raw encoded surrogates are what bytes decoded with surrogatepass hold.
    assert_eq!(
        parsed(b"\"\xed\xa0\x80\""),
        Ok(Value::Str(b"\xed\xa0\x80".to_vec()))
    );
    assert_eq!(parsed("\"\u{7f}é\"".as_bytes()), Ok(str("\u{7f}é")));
    for bad in [
        &b"\"\x01\""[..],
        b"\"\n\"",
        b"\"\\x\"",
        b"\"\\u12\"",
        b"\"\\ud800\\uzzzz\"",
        b"\"abc",
        b"\"\xff\"",
        b"'a'",
    ] {
        assert_eq!(
            parsed(bad),
            Err(ReadError::Invalid),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn containers_whitespace_and_trailing_text() {
    assert_eq!(
        parsed(b" \t\r\n{\"a\" : [1, true, null, {}], \"a\": []} \n"),
        Ok(Value::Object(vec![
            (
                str("a"),
                Value::Array(vec![
                    Value::Int("1".to_owned()),
                    Value::Bool(true),
                    Value::Null,
                    Value::Object(vec![])
                ])
            ),
            (str("a"), Value::Array(vec![])),
        ]))
    );
    for bad in [
        &b""[..],
        b" ",
        b"[1,]",
        b"{\"a\":1,}",
        b"{1: 2}",
        b"[1] x",
        b"{} {}",
        b"\xef\xbb\xbf{}",
        b"[\x0c1]",
    ] {
        assert_eq!(
            parsed(bad),
            Err(ReadError::Invalid),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = |depth: usize| [b"[".repeat(depth), b"]".repeat(depth)].concat();
    assert!(parsed(&deep(MAX_DEPTH)).is_ok());
    assert_eq!(parsed(&deep(MAX_DEPTH + 1)), Err(ReadError::TooDeep));
    assert_eq!(parsed(&deep(100_000)), Err(ReadError::TooDeep));
    let objects = [
        b"{\"a\":".repeat(MAX_DEPTH + 1),
        b"1".to_vec(),
        b"}".repeat(MAX_DEPTH + 1),
    ]
    .concat();
    assert_eq!(parsed(&objects), Err(ReadError::TooDeep));
}
