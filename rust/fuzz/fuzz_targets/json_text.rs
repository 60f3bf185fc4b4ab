//! JSON text writing: any Python string, in either escaping mode, is written exactly as CPython's
//! `json.dumps(text, ensure_ascii=...)` writes it (the oracle spells out Python's rules, lone
//! surrogates included), and `serde_json` reads the result back to the same string when it has no
//! lone surrogate; objects use Python's separators and parse back to the same members in order.
//! The core's reading of generalized UTF-8 (`Text::from_generalized_utf8`) accepts exactly the
//! fields the oracle's own decoder accepts, with the same code points.
//!
//! Fields: the strings to write (the first alone, the rest as alternating object keys and values),
//! each kept as it is when generalized UTF-8 (`\xed\xa0\x80` is U+D800), else lossy UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pusher_fast_core::json_text::{push_string, Escape, ObjectWriter};
use pusher_fast_core::text::{Text, TextBuf};
use pusher_fast_fuzz::{generalized_utf8, python_json, Fields, PyText, SEPARATOR};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    for field in data.split(|byte| *byte == SEPARATOR).take(64) {
        let core = Text::from_generalized_utf8(field);
        let oracle = generalized_utf8(field);
        assert_eq!(core.is_some(), oracle.is_some(), "{field:?}");
        if let (Some(core), Some(oracle)) = (core, oracle) {
            assert_eq!(core.code_points().collect::<Vec<u32>>(), oracle);
            assert_eq!(core.char_count(), oracle.len());
            assert_eq!(core.to_str(), std::str::from_utf8(field).ok());
        }
    }

    let mut texts = Fields::new(data).rest_py_text();
    texts.truncate(64);
    let all_utf8 = texts.iter().all(|text| text.as_str().is_some());
    for (escape, ascii) in [(Escape::Ascii, true), (Escape::Unicode, false)] {
        for text in &texts {
            let mut out = TextBuf::from("prefix");
            push_string(&mut out, text.text(), escape);
            let out = out.into_bytes();
            let written = out.strip_prefix(b"prefix").expect("appended");
            assert_eq!(written, python_json(text, ascii), "{text:?}");
            if ascii {
                assert!(written.iter().all(|byte| (0x20..0x7f).contains(byte)));
            }
            if let Some(text) = text.as_str() {
                let read: String = serde_json::from_slice(written).expect("valid JSON string");
                assert_eq!(read, text);
            }
        }

        let mut out = TextBuf::new();
        let mut object = ObjectWriter::open(&mut out);
        let mut members = Vec::new();
        let empty = PyText::from("");
        for pair in texts.chunks(2) {
            let value = pair.get(1).unwrap_or(&empty);
            push_string(object.key(pair[0].text(), escape), value.text(), escape);
            members
                .push([python_json(&pair[0], ascii), python_json(value, ascii)].join(&b": "[..]));
        }
        object.close();
        let out = out.into_bytes();
        assert_eq!(out, [&b"{"[..], &members.join(&b", "[..]), b"}"].concat());
        if !all_utf8 {
            continue;
        }
        let Value::Object(parsed) = serde_json::from_slice(&out).expect("valid JSON object") else {
            panic!("{out:?} is not an object");
        };
        // Later members win on a repeated key, as in Python's json.loads.
        for pair in texts.chunks(2) {
            let last = texts
                .chunks(2)
                .rev()
                .find(|other| other[0] == pair[0])
                .map(|other| other.get(1).map_or("", |value| value.as_str().unwrap()));
            assert_eq!(parsed[pair[0].as_str().unwrap()].as_str(), last);
        }
    }
});
