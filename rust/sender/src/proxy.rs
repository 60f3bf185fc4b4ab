//! Proxies: the proxy URL and its credentials, the environment variables httpx reads, the
//! `NO_PROXY` rules, and the `CONNECT` tunnel for HTTPS targets.

use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use hyper::header::HeaderValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::connect::Io;
use crate::endpoint::{split_host_port, Endpoint};
use crate::failure::{Failure, FailureKind};
use crate::options::{invalid, SenderError};

/// The largest proxy answer to `CONNECT` read before giving up.
const MAX_PROXY_RESPONSE_HEAD: usize = 16 * 1024;

/// A proxy to go through.
#[derive(Debug, Clone)]
pub(crate) struct Proxy {
    pub(crate) endpoint: Endpoint,
    pub(crate) authorization: Option<HeaderValue>,
}

impl Proxy {
    pub(crate) fn parse(url: &str, what: &str) -> Result<Self, SenderError> {
        let url = url.trim();
        let with_scheme;
        let url = if url.contains("://") {
            url
        } else {
            with_scheme = format!("http://{url}");
            &with_scheme
        };
        let (endpoint, userinfo) = Endpoint::parse(url, what)?;
        let authorization = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((&userinfo, ""));
                let decode = |part: &str| {
                    percent_encoding::percent_decode_str(part)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                let credentials = format!("{}:{}", decode(user), decode(password));
                let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
                let mut value = HeaderValue::try_from(format!("Basic {encoded}"))
                    .map_err(|_| invalid(format!("invalid {what}: bad credentials")))?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(Self {
            endpoint,
            authorization,
        })
    }
}

/// The proxy URL that httpx would use for `target` from these environment variables, and the
/// variable it came from: `https_proxy`/`http_proxy` by the target's scheme, else `all_proxy`;
/// lower case wins over upper case; `HTTP_PROXY` is ignored under CGI (`REQUEST_METHOD` set); a
/// match in `no_proxy` means none.
pub(crate) fn proxy_from_env(
    target: &Endpoint,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let lookup = |scheme: &str| -> Option<(String, String)> {
        let lower = format!("{scheme}_proxy");
        if let Some(value) = env(&lower).filter(|value| !value.trim().is_empty()) {
            return Some((value, lower));
        }
        if scheme == "http" && env("REQUEST_METHOD").is_some() {
            return None;
        }
        let upper = lower.to_ascii_uppercase();
        env(&upper)
            .filter(|value| !value.trim().is_empty())
            .map(|value| (value, upper))
    };
    let scheme = if target.https { "https" } else { "http" };
    let found = lookup(scheme).or_else(|| lookup("all"))?;
    let no_proxy = env("no_proxy")
        .filter(|value| !value.is_empty())
        .or_else(|| env("NO_PROXY"))
        .unwrap_or_default();
    if no_proxy_matches(&no_proxy, target) {
        return None;
    }
    Some(found)
}

/// Whether a `NO_PROXY` list exempts `target`, by httpx's rules: `*` matches everything; an IP
/// address or `localhost` matches exactly; `example.com` matches it and its subdomains;
/// `.example.com` only subdomains; an entry may carry `scheme://` and `:port` to narrow it.
pub(crate) fn no_proxy_matches(no_proxy: &str, target: &Endpoint) -> bool {
    let target_scheme = if target.https { "https" } else { "http" };
    no_proxy.split(',').map(str::trim).any(|entry| {
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        let (scheme, rest) = match entry.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, entry),
        };
        if scheme.is_some_and(|scheme| scheme != target_scheme && scheme != "all") {
            return false;
        }
        let rest = rest.trim_end_matches('/');
        let (host, port) = split_host_port(rest);
        if port.is_some_and(|port| port != target.port) {
            return false;
        }
        let host = host.to_ascii_lowercase();
        if host.is_empty() {
            return false;
        }
        if host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok() {
            return host.parse::<std::net::IpAddr>().ok()
                == target.host.parse::<std::net::IpAddr>().ok();
        }
        if host == "localhost" {
            return target.host == "localhost";
        }
        if let Some(domain) = host.strip_prefix("*.").or_else(|| host.strip_prefix('.')) {
            return target.host.len() > domain.len() + 1
                && target.host.ends_with(domain)
                && target.host.as_bytes()[target.host.len() - domain.len() - 1] == b'.';
        }
        let domain = host.strip_prefix('*').unwrap_or(&host);
        target.host == domain
            || (target.host.ends_with(domain)
                && target.host.len() > domain.len()
                && target.host.as_bytes()[target.host.len() - domain.len() - 1] == b'.')
    })
}

/// Opens a `CONNECT` tunnel to `authority` through the proxy connection `io`.
pub(crate) async fn tunnel(
    io: &mut Box<dyn Io>,
    authority: &str,
    proxy: &Proxy,
) -> Result<(), Failure> {
    let refused = |message: String| Failure::new(FailureKind::Proxy, message);
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(authorization) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(authorization.to_str().unwrap_or_default());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let failed =
        |error: std::io::Error| refused(format!("proxy CONNECT to {authority} failed: {error}"));
    io.write_all(head.as_bytes()).await.map_err(failed)?;
    io.flush().await.map_err(failed)?;
    // The proxy sends nothing after its answer until the TLS client hello, so reading in chunks
    // cannot swallow tunnel bytes.
    let mut response = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    while !response.windows(4).any(|window| window == b"\r\n\r\n") {
        if response.len() > MAX_PROXY_RESPONSE_HEAD {
            return Err(refused(format!(
                "proxy CONNECT to {authority}: answer too long"
            )));
        }
        let read = io.read(&mut chunk).await.map_err(failed)?;
        if read == 0 {
            return Err(refused(format!(
                "proxy CONNECT to {authority}: the proxy closed the connection"
            )));
        }
        response.extend_from_slice(&chunk[..read]);
    }
    let status_line = response
        .split(|&byte| byte == b'\n')
        .next()
        .map(|line| String::from_utf8_lossy(line).trim().to_owned())
        .unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status_line.starts_with("HTTP/1.") && status.len() == 3 && status.starts_with('2') {
        Ok(())
    } else {
        Err(refused(format!(
            "proxy refused CONNECT to {authority}: {status_line:?}"
        )))
    }
}

#[cfg(test)]
mod tests;
