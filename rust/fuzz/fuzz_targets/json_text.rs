//! JSON text writing: any string, in either escaping mode, is written exactly as CPython's
//! `json.dumps(text, ensure_ascii=...)` writes it (the oracle spells out Python's rules), and
//! `serde_json` reads the result back to the same string; objects use Python's separators and
//! parse back to the same members in order.
//!
//! Fields: the strings to write (the first alone, the rest as alternating object keys and values).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pusher_fast_core::json_text::{push_string, Escape, ObjectWriter};
use pusher_fast_core::text::{Text, TextBuf};
use pusher_fast_fuzz::{python_json_string, Fields};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let mut texts = Fields::new(data).rest_text();
    texts.truncate(64);
    for (escape, ascii) in [(Escape::Ascii, true), (Escape::Unicode, false)] {
        for text in &texts {
            let mut out = TextBuf::from("prefix");
            push_string(&mut out, Text::new(text), escape);
            let out = out.into_string().expect("UTF-8 in, UTF-8 out");
            let written = out.strip_prefix("prefix").expect("appended");
            assert_eq!(written, python_json_string(text, ascii));
            if ascii {
                assert!(written.bytes().all(|byte| (0x20..0x7f).contains(&byte)));
            }
            let read: String = serde_json::from_str(written).expect("valid JSON string");
            assert_eq!(&read, text);
        }

        let mut out = TextBuf::new();
        let mut object = ObjectWriter::open(&mut out);
        let mut members = Vec::new();
        for pair in texts.chunks(2) {
            let value = pair.get(1).map_or("", |value| value.as_ref());
            push_string(object.key(Text::new(&pair[0]), escape), Text::new(value), escape);
            members.push(format!(
                "{}: {}",
                python_json_string(&pair[0], ascii),
                python_json_string(value, ascii)
            ));
        }
        object.close();
        let out = out.into_string().expect("UTF-8 in, UTF-8 out");
        assert_eq!(out, format!("{{{}}}", members.join(", ")));
        let Value::Object(parsed) = serde_json::from_str(&out).expect("valid JSON object") else {
            panic!("{out:?} is not an object");
        };
        // Later members win on a repeated key, as in Python's json.loads.
        for pair in texts.chunks(2) {
            let last = texts
                .chunks(2)
                .rev()
                .find(|other| other[0] == pair[0])
                .map(|other| other.get(1).map_or("", |value| value.as_ref()));
            assert_eq!(parsed[pair[0].as_ref()].as_str(), last);
        }
    }
});
