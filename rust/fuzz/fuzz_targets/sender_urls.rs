//! The sender's URL parsing: base URLs, proxy URLs (with credentials), `NO_PROXY` and the proxy
//! variables. Never panics; a parsed URL is consistent (lower-case host, default ports, the
//! `Host` header and `CONNECT` authority); no error message shows a URL's password; a proxy's
//! `Proxy-Authorization` is the percent-decoded `user:password`; `NO_PROXY` matching obeys
//! `*`, exact hosts, parent domains, entry order and monotonicity; the proxy variables are
//! chosen as httpx chooses them.
//!
//! Fields: scheme (`0` or empty http, `1` https, `2` none, else the field's text), user, password, host, port,
//! path, a raw URL, NO_PROXY entries, then the values of the proxy variables (absent when
//! `\xfe`).
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use pusher_fast_fuzz::Fields;
use pusher_fast_sender::fuzzing::{
    no_proxy_matches, parse_proxy, parse_url, proxy_from_env, without_credentials, ParsedUrl,
};

const VARIABLES: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

/// The `user` and `password` of `url` by RFC 3986: the authority follows `scheme://` (or starts
/// the text when there is no scheme) and ends at `/`, `?` or `#`; the userinfo is what precedes
/// its last `@`. `None` for a malformed scheme.
fn userinfo(url: &str) -> Option<(&str, Option<&str>)> {
    let rest = match url.split_once("://") {
        Some((scheme, rest)) => {
            let mut chars = scheme.chars();
            let valid = chars.next().is_some_and(|ch| ch.is_ascii_alphabetic())
                && chars.all(|ch| ch.is_ascii_alphanumeric() || "+-.".contains(ch));
            if !valid {
                return None;
            }
            rest
        }
        None => url,
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (info, _) = authority.rsplit_once('@')?;
    Some(match info.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (info, None),
    })
}

/// What error messages may show of `url` if they show it whole: everything but the userinfo.
fn masked(url: &str, info: &str) -> String {
    url.replacen(&format!("{info}@"), "***@", 1)
}

fn check_no_secret(url: &str, text: &str) {
    let Some((user, Some(password))) = userinfo(url) else {
        return;
    };
    let info = if password.is_empty() {
        user.to_owned()
    } else {
        format!("{user}:{password}")
    };
    // What marks the password: its runs of 6 or more ASCII letters and digits with a digit in
    // them (the messages' own words have no digits) and its non-ASCII characters (the messages
    // and their escapes are ASCII), unless the URL as it may be shown (userinfo masked, plain or
    // quoted once or twice) holds them too. None of them may be in the text.
    let shown = masked(url, &info);
    let quoted = format!("{shown:?}");
    let forms = [format!("{quoted:?}"), quoted, shown];
    let elsewhere = |mark: &str| forms.iter().any(|form| form.contains(mark));
    let runs = password
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|run| run.len() >= 6 && run.bytes().any(|byte| byte.is_ascii_digit()));
    let wide = password.matches(|ch: char| !ch.is_ascii());
    for mark in runs.chain(wide).filter(|mark| !elsewhere(mark)) {
        assert!(
            !text.contains(mark),
            "{text:?} shows {mark:?} of the password of {url:?}"
        );
    }
}

fn check_parsed(parsed: &ParsedUrl) {
    assert!(!parsed.host.is_empty());
    assert_eq!(parsed.host, parsed.host.to_ascii_lowercase());
    let bracketed = if parsed.host.contains(':') {
        format!("[{}]", parsed.host)
    } else {
        parsed.host.clone()
    };
    assert_eq!(parsed.authority, format!("{bracketed}:{}", parsed.port));
    let default_port = if parsed.https { 443 } else { 80 };
    if parsed.port == default_port {
        assert_eq!(parsed.host_header, bracketed);
    } else {
        assert_eq!(parsed.host_header, format!("{bracketed}:{}", parsed.port));
    }
}

fn check_url(url: &str) {
    check_no_secret(url, &without_credentials(url));
    match parse_url(url, "base_url") {
        Ok(parsed) => check_parsed(&parsed),
        Err(error) => {
            check_no_secret(url, &error.to_string());
            check_no_secret(url, &format!("{error:?}"));
        }
    }
    let proxy_url = if url.trim().contains("://") {
        url.trim().to_owned()
    } else {
        format!("http://{}", url.trim())
    };
    match parse_proxy(url) {
        Ok((parsed, authorization)) => {
            check_parsed(&parsed);
            let Some(authorization) = authorization else {
                return;
            };
            let (user, password) = userinfo(&proxy_url).expect("credentials were given");
            let decode = |part: &str| {
                percent_encoding::percent_decode_str(part)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let expected = format!("{}:{}", decode(user), decode(password.unwrap_or("")));
            let encoded = authorization
                .strip_prefix("Basic ")
                .expect("Basic credentials");
            assert_eq!(STANDARD.decode(encoded).unwrap(), expected.as_bytes());
        }
        Err(error) => {
            check_no_secret(&proxy_url, &error.to_string());
            check_no_secret(&proxy_url, &format!("{error:?}"));
        }
    }
}

fn check_no_proxy(entries: &str, target: &str) {
    let Some(matched) = no_proxy_matches(entries, target) else {
        return;
    };
    let either = |list: &str| no_proxy_matches(list, target).expect("target parses");
    assert!(either(&format!("{entries},*")));
    assert!(either(" * "));
    assert!(!either(""));
    for extra in ["localhost", ".example.com", "10.0.0.1", "[::1]:8080"] {
        if matched {
            assert!(either(&format!("{entries},{extra}")));
        }
        assert_eq!(
            either(&format!("{entries},{extra}")),
            either(&format!("{extra},{entries}"))
        );
    }
    let host = parse_url(target, "base_url").expect("target parses").host;
    let plain = |text: &str| {
        !text.is_empty()
            && !text.starts_with(['*', '.'])
            && !text.contains([',', '/', '[', ']'])
            && !text.chars().any(char::is_whitespace)
    };
    if plain(&host) {
        let entry = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        assert!(either(&entry), "{entry:?} does not exempt {target:?}");
        assert!(!either(&format!(".{host}")), ".{host} exempts {target:?}");
        if !host.contains(':') {
            assert!(!either(&format!("{host}x")), "{host}x exempts {target:?}");
            if let Some((_, parent)) = host.split_once('.') {
                let ip_like = parent.parse::<std::net::IpAddr>().is_ok()
                    || host.parse::<std::net::IpAddr>().is_ok();
                if plain(parent) && !ip_like && parent != "localhost" {
                    assert!(either(parent), "{parent:?} does not exempt {target:?}");
                }
            }
        }
    }
}

fn check_environment(target: &str, values: &[Option<String>]) {
    let env = |name: &str| {
        VARIABLES
            .iter()
            .position(|variable| *variable == name)
            .and_then(|index| values.get(index).cloned().flatten())
    };
    let Some(chosen) = proxy_from_env(target, &env) else {
        return;
    };
    let https = parse_url(target, "base_url").expect("target parses").https;
    let scheme = if https { "https" } else { "http" };
    let pick = |scheme: &str| {
        let lower = format!("{scheme}_proxy");
        let blank = |value: &String| value.trim().is_empty();
        if let Some(value) = env(&lower).filter(|value| !blank(value)) {
            return Some((value, lower));
        }
        if scheme == "http" && env("REQUEST_METHOD").is_some() {
            return None;
        }
        let upper = lower.to_ascii_uppercase();
        env(&upper)
            .filter(|value| !blank(value))
            .map(|value| (value, upper))
    };
    let no_proxy = env("no_proxy")
        .filter(|value| !value.is_empty())
        .or_else(|| env("NO_PROXY"))
        .unwrap_or_default();
    let exempt = no_proxy_matches(&no_proxy, target).expect("target parses");
    let expected = pick(scheme).or_else(|| pick("all")).filter(|_| !exempt);
    assert_eq!(chosen, expected);
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let scheme_field = fields.bytes();
    let user = fields.text();
    let password = fields.text();
    let host = fields.text();
    let port = fields.text();
    let path = fields.text();
    let raw = fields.text();
    let no_proxy = fields.text();
    let values: Vec<Option<String>> = (0..VARIABLES.len())
        .map(|_| fields.optional_text().map(|value| value.into_owned()))
        .collect();

    let scheme = match scheme_field {
        b"" | b"0" => "http://".to_owned(),
        b"1" => "https://".to_owned(),
        b"2" => String::new(),
        other => String::from_utf8_lossy(other).into_owned(),
    };
    let credentials = match (user.is_empty(), password.is_empty()) {
        (true, true) => String::new(),
        (_, true) => format!("{user}@"),
        _ => format!("{user}:{password}@"),
    };
    let port = if port.is_empty() {
        String::new()
    } else {
        format!(":{port}")
    };
    let built = format!("{scheme}{credentials}{host}{port}{path}");
    let target = format!("{scheme}{host}{port}");

    check_url(&built);
    check_url(&raw);
    check_no_proxy(&no_proxy, &target);
    check_no_proxy(&no_proxy, &raw);
    check_environment(&target, &values);
});
