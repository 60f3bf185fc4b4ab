//! Proxies: the proxy URL and its credentials, the environment variables httpx reads, the
//! `NO_PROXY` rules, and the `CONNECT` tunnel for HTTPS targets.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;

use crate::endpoint::{split_host_port, Endpoint};
use crate::failure::{Failure, FailureKind};
use crate::options::SenderError;

/// The largest proxy answer to `CONNECT` read before giving up.
pub(crate) const MAX_CONNECT_ANSWER: usize = 16 * 1024;

/// A proxy to go through.
#[derive(Clone)]
pub(crate) struct Proxy {
    pub(crate) endpoint: Endpoint,
    /// `Basic ...` for `Proxy-Authorization`, when the URL carried `user:password@`.
    pub(crate) authorization: Option<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The credentials stay out of any debug output.
        f.debug_struct("Proxy")
            .field("endpoint", &self.endpoint)
            .field("authorization", &self.authorization.as_ref().map(|_| "***"))
            .finish()
    }
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
                Some(format!("Basic {encoded}"))
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

/// The `CONNECT` request that opens a tunnel to `authority` through `proxy`.
pub(crate) fn connect_head(authority: &str, proxy: &Proxy) -> Vec<u8> {
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(authorization) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(authorization);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Reads the proxy's answer to `CONNECT` so far: `Ok(true)` once a complete 2xx head arrived
/// (the tunnel is open), `Ok(false)` while more is needed, a [`FailureKind::Proxy`] failure when
/// the proxy refused or did not answer in HTTP. The proxy sends nothing after its answer until
/// the TLS client hello, so a complete head is the whole of what was read.
pub(crate) fn connect_answer(answer: &[u8], authority: &str) -> Result<bool, Failure> {
    let refused = |message: String| Failure::new(FailureKind::Proxy, message);
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(answer) {
        Ok(httparse::Status::Complete(_)) => {
            let status = response.code.unwrap_or(0);
            if (200..300).contains(&status) {
                Ok(true)
            } else {
                Err(refused(format!(
                    "proxy refused CONNECT to {authority}: {status} {}",
                    response.reason.unwrap_or("")
                )))
            }
        }
        Ok(httparse::Status::Partial) if answer.len() <= MAX_CONNECT_ANSWER => Ok(false),
        Ok(httparse::Status::Partial) => Err(refused(format!(
            "proxy CONNECT to {authority}: answer too long"
        ))),
        Err(error) => Err(refused(format!(
            "proxy CONNECT to {authority}: not an HTTP answer ({error})"
        ))),
    }
}

#[cfg(test)]
mod tests;
