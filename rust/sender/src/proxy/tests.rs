use base64::Engine as _;

use super::{no_proxy_matches, proxy_from_env, Proxy};
use crate::endpoint::Endpoint;

fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

fn endpoint(url: &str) -> Endpoint {
    Endpoint::parse(url, "base_url").unwrap().0
}

#[test]
fn proxy_comes_from_the_environment_like_httpx() {
    let https = endpoint("https://api-eu.pusher.com");
    let http = endpoint("http://api-eu.pusher.com");
    let env = env_of(&[
        ("HTTPS_PROXY", "proxy:3128"),
        ("HTTP_PROXY", "http://plain:8080"),
    ]);
    assert_eq!(proxy_from_env(&https, &env).unwrap().0, "proxy:3128");
    assert_eq!(proxy_from_env(&http, &env).unwrap().0, "http://plain:8080");
    let env = env_of(&[
        ("https_proxy", "http://lower:1"),
        ("HTTPS_PROXY", "http://upper:1"),
    ]);
    assert_eq!(
        proxy_from_env(&https, &env).unwrap(),
        ("http://lower:1".into(), "https_proxy".into())
    );
    let env = env_of(&[("ALL_PROXY", "http://all:1")]);
    assert_eq!(proxy_from_env(&https, &env).unwrap().0, "http://all:1");
    let env = env_of(&[("HTTP_PROXY", "http://cgi:1"), ("REQUEST_METHOD", "GET")]);
    assert_eq!(proxy_from_env(&http, &env), None);
    let env = env_of(&[
        ("HTTPS_PROXY", "http://p:1"),
        ("NO_PROXY", "localhost, pusher.com"),
    ]);
    assert_eq!(proxy_from_env(&https, &env), None);
    assert!(proxy_from_env(&endpoint("https://pusher.community"), &env).is_some());
    assert_eq!(proxy_from_env(&https, &env_of(&[])), None);
}

#[test]
fn no_proxy_follows_httpx_rules() {
    let target = endpoint("https://api-eu.pusher.com");
    for yes in [
        "*",
        "pusher.com",
        ".pusher.com",
        "*.pusher.com",
        "api-eu.pusher.com",
        "API-EU.PUSHER.COM",
        "other, pusher.com",
        "pusher.com:443",
        "https://pusher.com",
        "all://api-eu.pusher.com",
    ] {
        assert!(no_proxy_matches(yes, &target), "{yes:?}");
    }
    for no in [
        "",
        "other.com",
        "sher.com",
        "eu.pusher.com.evil",
        "pusher.com:80",
        "http://pusher.com",
        "127.0.0.1",
    ] {
        assert!(!no_proxy_matches(no, &target), "{no:?}");
    }
    let exact = endpoint("https://pusher.com");
    assert!(no_proxy_matches("pusher.com", &exact));
    assert!(!no_proxy_matches(".pusher.com", &exact));
    let local = endpoint("http://127.0.0.1:6001");
    assert!(no_proxy_matches("127.0.0.1", &local));
    assert!(no_proxy_matches("127.0.0.1:6001", &local));
    assert!(!no_proxy_matches("127.0.0.2", &local));
    let v6 = endpoint("http://[::1]:6001");
    assert!(no_proxy_matches("::1", &v6));
    assert!(no_proxy_matches("[::1]:6001", &v6));
    assert!(no_proxy_matches(
        "localhost",
        &endpoint("http://localhost:1")
    ));
}

#[test]
fn proxy_credentials_become_basic_auth() {
    let proxy = Proxy::parse("http://us%40er:p%3Ass@proxy.internal:3128", "proxy URL").unwrap();
    assert_eq!(proxy.endpoint.authority, "proxy.internal:3128");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("us@er:p:ss")
    );
    assert_eq!(proxy.authorization.unwrap(), expected);
    let proxy = Proxy::parse("proxy.internal:3128", "proxy URL").unwrap();
    assert!(!proxy.endpoint.https && proxy.authorization.is_none());
    assert_eq!(
        Proxy::parse("https://p", "proxy URL")
            .unwrap()
            .endpoint
            .port,
        443
    );
}
