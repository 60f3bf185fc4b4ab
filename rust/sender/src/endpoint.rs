//! The target URL (or a proxy's): scheme, host and port, and the forms they are sent in.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use http::Uri;

use crate::options::{invalid, SenderError};

/// Where requests go, or a proxy: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) https: bool,
    /// The host as connected to and verified: no brackets around an IPv6 address.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `host[:port]` as sent in `Host` (the port only when not the scheme's default).
    pub(crate) host_header: String,
    /// `host:port` with brackets for IPv6, as sent in `CONNECT`.
    pub(crate) authority: String,
}

impl Endpoint {
    /// Parses `url` (`http://` or `https://`, host, optional port, no path or query) and returns
    /// it with its `user:password` part, if any; errors name `what` was parsed.
    pub(crate) fn parse(url: &str, what: &str) -> Result<(Self, Option<String>), SenderError> {
        let shown = without_credentials(url);
        let bad = |why: &str| invalid(format!("invalid {what} {shown:?}: {why}"));
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => return Err(bad(&format!("unsupported scheme {other:?}"))),
            None => return Err(bad("no scheme (expected http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let userinfo = authority
            .as_str()
            .rsplit_once('@')
            .map(|(userinfo, _)| userinfo.to_owned());
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("a path or query is not allowed"));
        }
        let raw_host = authority.host();
        // Hosts are case-insensitive; one case everywhere (IPv6 hex digits included) keeps the
        // `Host` header, the `CONNECT` authority and `NO_PROXY` matching consistent.
        let host = raw_host
            .strip_prefix('[')
            .and_then(|host| host.strip_suffix(']'))
            .unwrap_or(raw_host)
            .to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let default_port = if https { 443 } else { 80 };
        let host_and_port = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, host_and_port)| host_and_port);
        let port = match (host_and_port.get(raw_host.len()..), authority.port_u16()) {
            (_, Some(port)) => port,
            (Some(""), None) => default_port,
            _ => return Err(bad("invalid port")),
        };
        let bracketed = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let host_header = if port == default_port {
            bracketed.clone()
        } else {
            format!("{bracketed}:{port}")
        };
        Ok((
            Self {
                https,
                host,
                port,
                host_header,
                authority: format!("{bracketed}:{port}"),
            },
            userinfo,
        ))
    }
}

/// `url` as an error message may show it: a `user:password@` part becomes `***@`.
pub(crate) fn without_credentials(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |scheme_end| scheme_end + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |end| start + end);
    match url[start..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}***{}", &url[..start], &url[start + at..])),
        None => Cow::Borrowed(url),
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
pub(crate) fn split_host_port(text: &str) -> (&str, Option<u16>) {
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|port| port.parse().ok());
            return (host, port);
        }
    }
    if text.parse::<Ipv6Addr>().is_ok() {
        return (text, None);
    }
    match text.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => {
            (host, port.parse().ok())
        }
        _ => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_show_credentials() {
        for url in [
            "socks5://user:hunter2@proxy:1080",
            "http://user:hunter2@proxy:99999",
            "http://us@er:hunter2@proxy/path",
        ] {
            let error = Endpoint::parse(url, "proxy URL").unwrap_err().to_string();
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("***@proxy"), "{error}");
        }
        assert_eq!(
            without_credentials("http://a:b@h:1/x@y"),
            "http://***@h:1/x@y"
        );
        assert_eq!(without_credentials("a:b@h:1"), "***@h:1");
        assert_eq!(without_credentials("http://h/x@y"), "http://h/x@y");
    }

    #[test]
    fn base_urls_are_parsed_and_checked() {
        let (endpoint, _) = Endpoint::parse("https://api-eu.pusher.com", "base_url").unwrap();
        assert!(endpoint.https);
        assert_eq!(endpoint.port, 443);
        assert_eq!(endpoint.host_header, "api-eu.pusher.com");
        assert_eq!(endpoint.authority, "api-eu.pusher.com:443");
        let (endpoint, _) = Endpoint::parse("http://127.0.0.1:6001/", "base_url").unwrap();
        assert_eq!((endpoint.host.as_str(), endpoint.port), ("127.0.0.1", 6001));
        assert_eq!(endpoint.host_header, "127.0.0.1:6001");
        let (endpoint, _) = Endpoint::parse("http://[::1]:8080", "base_url").unwrap();
        assert_eq!(endpoint.host, "::1");
        assert_eq!(endpoint.host_header, "[::1]:8080");
        let (endpoint, _) = Endpoint::parse("http://Example.COM:80", "base_url").unwrap();
        assert_eq!(endpoint.host_header, "example.com");
        // Found by the sender_urls fuzz target: an IPv6 literal kept its case in the Host header.
        let (endpoint, _) = Endpoint::parse("http://[2001:DB8::A]:8080", "base_url").unwrap();
        assert_eq!(endpoint.host, "2001:db8::a");
        assert_eq!(endpoint.host_header, "[2001:db8::a]:8080");
        assert_eq!(endpoint.authority, "[2001:db8::a]:8080");
        for bad in [
            "",
            "api.pusher.com",
            "ftp://x",
            "http://",
            "http://x/apps",
            "http://x?a=1",
            "http://x:99999",
        ] {
            let error = Endpoint::parse(bad, "base_url").unwrap_err();
            assert!(
                matches!(error, SenderError::InvalidArgument(_)),
                "{bad:?}: {error:?}"
            );
        }
    }
}
