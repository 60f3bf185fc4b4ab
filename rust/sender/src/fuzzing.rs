//! The URL parsers and `NO_PROXY` rules as public functions, for the fuzz targets in `rust/fuzz`
//! only: compiled with the `fuzzing` feature, never part of the crate's API otherwise.

use crate::endpoint::{without_credentials as shown_url, Endpoint};
use crate::options::SenderError;
use crate::proxy::{no_proxy_matches as no_proxy_rule, proxy_from_env as env_proxy, Proxy};

/// What a base or proxy URL was parsed into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    pub https: bool,
    pub host: String,
    pub port: u16,
    pub host_header: String,
    pub authority: String,
    /// Whether the URL carried a `user[:password]@` part.
    pub has_userinfo: bool,
}

impl From<(Endpoint, Option<String>)> for ParsedUrl {
    fn from((endpoint, userinfo): (Endpoint, Option<String>)) -> Self {
        Self {
            https: endpoint.https,
            host: endpoint.host,
            port: endpoint.port,
            host_header: endpoint.host_header,
            authority: endpoint.authority,
            has_userinfo: userinfo.is_some(),
        }
    }
}

/// A URL as the sender parses a base URL or a proxy URL; errors name `what`.
pub fn parse_url(url: &str, what: &str) -> Result<ParsedUrl, SenderError> {
    Endpoint::parse(url, what).map(ParsedUrl::from)
}

/// A proxy URL (the scheme may be left out): its endpoint and its `Proxy-Authorization` value.
pub fn parse_proxy(url: &str) -> Result<(ParsedUrl, Option<String>), SenderError> {
    let proxy = Proxy::parse(url, "proxy URL")?;
    let endpoint = ParsedUrl {
        has_userinfo: proxy.authorization.is_some(),
        ..ParsedUrl::from((proxy.endpoint, None))
    };
    Ok((endpoint, proxy.authorization))
}

/// `url` as error messages show it, credentials masked.
pub fn without_credentials(url: &str) -> String {
    shown_url(url).into_owned()
}

/// Whether `no_proxy` exempts the base URL `target`; `None` when `target` does not parse.
pub fn no_proxy_matches(no_proxy: &str, target: &str) -> Option<bool> {
    let (endpoint, _) = Endpoint::parse(target, "base_url").ok()?;
    Some(no_proxy_rule(no_proxy, &endpoint))
}

/// The proxy URL and the variable naming it that `env` gives for the base URL `target`; `None`
/// when `target` does not parse.
pub fn proxy_from_env(
    target: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Option<(String, String)>> {
    let (endpoint, _) = Endpoint::parse(target, "base_url").ok()?;
    Some(env_proxy(&endpoint, env))
}
