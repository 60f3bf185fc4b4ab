//! Where requests go and how they are written: the target, the proxy (explicit, from the
//! environment, or none), and the header lines every request carries. Shared by the blocking
//! client and the async sender, which differ only in how they move the bytes.

use crate::endpoint::{without_credentials, Endpoint};
use crate::http1;
use crate::options::{invalid, ProxyChoice, SenderError};
use crate::proxy::{proxy_from_env, Proxy};

/// A parsed base URL, proxy and header block.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) target: Endpoint,
    pub(crate) proxy: Option<Proxy>,
    /// `Host`, the caller's headers and, when forwarding through a proxy, `Proxy-Authorization`,
    /// as complete `Name: value\r\n` lines.
    headers: Vec<u8>,
}

impl Route {
    /// Checks the base URL (no credentials, no path), the proxy URL and the headers.
    pub(crate) fn new(
        base_url: &str,
        headers: &[(String, String)],
        proxy: &ProxyChoice,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SenderError> {
        let (target, userinfo) = Endpoint::parse(base_url, "base_url")?;
        if userinfo.is_some() {
            return Err(invalid(format!(
                "invalid base_url {:?}: credentials are not allowed",
                without_credentials(base_url)
            )));
        }
        let proxy = match proxy {
            ProxyChoice::Direct => None,
            ProxyChoice::Url(url) => Some(Proxy::parse(url, "proxy URL")?),
            ProxyChoice::FromEnv => match proxy_from_env(&target, env) {
                None => None,
                Some((url, variable)) => {
                    Some(Proxy::parse(&url, &format!("proxy URL in ${variable}"))?)
                }
            },
        };
        let mut block = Vec::with_capacity(128);
        let mut host_given = false;
        for (name, value) in headers {
            if !is_token(name) {
                return Err(invalid(format!("invalid header name {name:?}")));
            }
            if !value
                .bytes()
                .all(|byte| byte == b'\t' || (b' '..=b'~').contains(&byte))
            {
                return Err(invalid(format!("invalid value for header {name:?}")));
            }
            host_given |= name.eq_ignore_ascii_case("host");
            push_header(&mut block, name, value);
        }
        if !host_given {
            let mut with_host = Vec::with_capacity(block.len() + 64);
            push_header(&mut with_host, "Host", &target.host_header);
            with_host.extend_from_slice(&block);
            block = with_host;
        }
        let route = Self {
            target,
            proxy,
            headers: block,
        };
        if route.forwards() {
            if let Some(authorization) = route.proxy.as_ref().and_then(|p| p.authorization.clone())
            {
                let mut route = route;
                push_header(&mut route.headers, "Proxy-Authorization", &authorization);
                return Ok(route);
            }
        }
        Ok(route)
    }

    /// Plain HTTP through a proxy: requests carry absolute targets and go to the proxy as they
    /// are, without a tunnel.
    pub(crate) fn forwards(&self) -> bool {
        self.proxy.is_some() && !self.target.https
    }

    /// Whether a connection needs TLS: to the target, or to an `https://` proxy.
    pub(crate) fn needs_tls(&self) -> bool {
        self.target.https
            || self
                .proxy
                .as_ref()
                .is_some_and(|proxy| proxy.endpoint.https)
    }

    /// The complete request (head and body) for `method target`, where `target` is the
    /// origin-form `/path?query`.
    pub(crate) fn request_bytes(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, SenderError> {
        if !is_token(method) {
            return Err(invalid(format!("invalid HTTP method {method:?}")));
        }
        if !target.starts_with('/') {
            return Err(invalid(format!(
                "request target {target:?} must start with '/'"
            )));
        }
        if !target.bytes().all(|byte| (b'!'..=b'~').contains(&byte)) {
            return Err(invalid(format!(
                "request target {target:?} must be printable ASCII without spaces"
            )));
        }
        let mut out = Vec::with_capacity(128 + self.headers.len() + target.len() + body.len());
        if self.forwards() {
            let mut absolute =
                String::with_capacity(8 + self.target.authority.len() + target.len());
            absolute.push_str("http://");
            absolute.push_str(&self.target.authority);
            absolute.push_str(target);
            http1::write_head(&mut out, method, &absolute, &self.headers, body.len());
        } else {
            http1::write_head(&mut out, method, target, &self.headers, body.len());
        }
        out.extend_from_slice(body);
        Ok(out)
    }
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// An HTTP token (RFC 9110 §5.6.2): a method or a header name.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(base_url: &str, proxy: ProxyChoice) -> Route {
        let headers = [("X-Pusher-Library".to_owned(), "pusher-fast 1".to_owned())];
        Route::new(base_url, &headers, &proxy, &|_| None).unwrap()
    }

    #[test]
    fn requests_carry_host_and_the_callers_headers() {
        let bytes = route("http://127.0.0.1:6001", ProxyChoice::Direct)
            .request_bytes("POST", "/apps/1/events?a=1", b"{}")
            .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /apps/1/events?a=1 HTTP/1.1\r\nHost: 127.0.0.1:6001\r\n\
             X-Pusher-Library: pusher-fast 1\r\nContent-Length: 2\r\n\r\n{}"
        );
    }

    #[test]
    fn forwarding_uses_absolute_targets_and_proxy_credentials() {
        let route = route(
            "http://api.example",
            ProxyChoice::Url("http://u:p%40ss@proxy:3128".into()),
        );
        assert!(route.forwards());
        let text = String::from_utf8(route.request_bytes("GET", "/x", b"").unwrap()).unwrap();
        assert!(
            text.starts_with("GET http://api.example:80/x HTTP/1.1\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Proxy-Authorization: Basic dTpwQHNz\r\n"),
            "{text}"
        );
        let tunnelled = super::tests::route(
            "https://api.example",
            ProxyChoice::Url("http://u:p@proxy".into()),
        );
        assert!(!tunnelled.forwards());
        let text = String::from_utf8(tunnelled.request_bytes("GET", "/x", b"").unwrap()).unwrap();
        assert!(!text.contains("Proxy-Authorization"), "{text}");
    }

    #[test]
    fn bad_methods_targets_and_headers_are_refused() {
        let route = route("http://h", ProxyChoice::Direct);
        for (method, target) in [
            ("PO ST", "/x"),
            ("", "/x"),
            ("GET", "x"),
            ("GET", "/a b"),
            ("GET", "/\u{e9}"),
        ] {
            assert!(
                route.request_bytes(method, target, b"").is_err(),
                "{method:?} {target:?}"
            );
        }
        for headers in [
            vec![("bad name".to_owned(), "x".to_owned())],
            vec![("X".to_owned(), "a\r\nInjected: 1".to_owned())],
        ] {
            assert!(Route::new("http://h", &headers, &ProxyChoice::Direct, &|_| None).is_err());
        }
    }
}
