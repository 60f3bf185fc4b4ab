//! How one request is turned into bytes on a connection: the per-sender client settings, TCP and
//! TLS connecting (through a proxy if any), and the hyper request.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST, PROXY_AUTHORIZATION};
use hyper::http::uri::{Authority, Scheme};
use hyper::Uri;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::endpoint::{without_credentials, Endpoint};
use crate::failure::{describe, Failure, FailureKind};
use crate::lane::Phase;
use crate::options::{invalid, Options, ProxyChoice, SenderError};
use crate::proxy::{proxy_from_env, tunnel, Proxy};
use crate::queue::Request;
use crate::tls::tls_config;

pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

pub(crate) type Connection = http1::SendRequest<Full<Bytes>>;

/// Immutable per-sender settings shared by the lanes.
pub(crate) struct Client {
    target: Endpoint,
    proxy: Option<Proxy>,
    /// Plain HTTP through a proxy: absolute-form targets, no tunnel.
    forward: bool,
    target_authority: Authority,
    tls: Option<Arc<ClientConfig>>,
    /// `Host`, the caller's headers and, when forwarding, `Proxy-Authorization`.
    headers: HeaderMap,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) backoff_base: f64,
    pub(crate) backoff_max: f64,
}

impl Client {
    pub(crate) fn new(
        base_url: &str,
        options: &Options,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SenderError> {
        let (target, userinfo) = Endpoint::parse(base_url, "base_url")?;
        if userinfo.is_some() {
            return Err(invalid(format!(
                "invalid base_url {:?}: credentials are not allowed",
                without_credentials(base_url)
            )));
        }
        let proxy = match &options.proxy {
            ProxyChoice::Direct => None,
            ProxyChoice::Url(url) => Some(Proxy::parse(url, "proxy URL")?),
            ProxyChoice::FromEnv => match proxy_from_env(&target, env) {
                None => None,
                Some((url, variable)) => {
                    Some(Proxy::parse(&url, &format!("proxy URL in ${variable}"))?)
                }
            },
        };
        let forward = proxy.is_some() && !target.https;
        let needs_tls = target.https || proxy.as_ref().is_some_and(|p| p.endpoint.https);
        let tls = if needs_tls {
            Some(tls_config(options.verify, options.ca_file.as_deref())?)
        } else {
            None
        };
        let target_authority = Authority::try_from(target.authority.as_str())
            .map_err(|_| invalid(format!("invalid base_url {base_url:?}")))?;

        let mut headers = HeaderMap::with_capacity(options.headers.len() + 2);
        let host = HeaderValue::try_from(target.host_header.as_str())
            .map_err(|_| invalid(format!("invalid base_url {base_url:?}")))?;
        headers.insert(HOST, host);
        for (name, value) in &options.headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
            let header_value = HeaderValue::try_from(value.as_str())
                .map_err(|_| invalid(format!("invalid value for header {name:?}")))?;
            if header_name == HOST {
                headers.insert(header_name, header_value);
            } else {
                headers.append(header_name, header_value);
            }
        }
        if forward {
            if let Some(authorization) = proxy.as_ref().and_then(|p| p.authorization.clone()) {
                headers.insert(PROXY_AUTHORIZATION, authorization);
            }
        }
        Ok(Self {
            target,
            proxy,
            forward,
            target_authority,
            tls,
            headers,
            timeout: options.timeout,
            retries: options.retries,
            backoff_base: options.backoff_base,
            backoff_max: options.backoff_max,
        })
    }

    pub(crate) fn http_request(&self, request: &Request) -> hyper::Request<Full<Bytes>> {
        let uri = if self.forward {
            let mut parts = hyper::http::uri::Parts::default();
            parts.scheme = Some(Scheme::HTTP);
            parts.authority = Some(self.target_authority.clone());
            parts.path_and_query = Some(request.path.clone());
            Uri::from_parts(parts).unwrap_or_else(|_| Uri::from(request.path.clone()))
        } else {
            Uri::from(request.path.clone())
        };
        let mut http_request = hyper::Request::new(Full::new(request.body.clone()));
        *http_request.method_mut() = request.method.clone();
        *http_request.uri_mut() = uri;
        *http_request.headers_mut() = self.headers.clone();
        http_request
    }

    /// A new HTTP/1.1 connection to the target, through the proxy if any.
    pub(crate) async fn connect(&self, phase: &mut Phase) -> Result<Connection, Failure> {
        let io: Box<dyn Io> = match &self.proxy {
            None => {
                let tcp = tcp_connect(&self.target).await?;
                if self.target.https {
                    *phase = Phase::Tls;
                    self.tls_connect(tcp, &self.target).await?
                } else {
                    Box::new(tcp)
                }
            }
            Some(proxy) => {
                let tcp = tcp_connect(&proxy.endpoint).await.map_err(|failure| {
                    Failure::new(
                        FailureKind::Proxy,
                        format!("proxy {}: {failure}", proxy.endpoint.authority),
                    )
                })?;
                let mut io: Box<dyn Io> = if proxy.endpoint.https {
                    *phase = Phase::Tls;
                    self.tls_connect(tcp, &proxy.endpoint).await?
                } else {
                    Box::new(tcp)
                };
                if self.target.https {
                    *phase = Phase::Tunnel;
                    tunnel(&mut io, &self.target.authority, proxy).await?;
                    *phase = Phase::Tls;
                    self.tls_connect(io, &self.target).await?
                } else {
                    io
                }
            }
        };
        *phase = Phase::Handshake;
        let (connection, driver) = http1::Builder::new()
            .handshake(TokioIo::new(io))
            .await
            .map_err(|error| Failure::caused_by(FailureKind::Protocol, &error))?;
        tokio::spawn(async move {
            let _ = driver.await;
        });
        Ok(connection)
    }

    async fn tls_connect<S>(&self, io: S, endpoint: &Endpoint) -> Result<Box<dyn Io>, Failure>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let tls_failure = |message: String| Failure::new(FailureKind::Tls, message);
        let config = self
            .tls
            .as_ref()
            .ok_or_else(|| tls_failure("TLS is not configured".to_owned()))?;
        let name = ServerName::try_from(endpoint.host.clone())
            .map_err(|_| tls_failure(format!("invalid TLS server name {:?}", endpoint.host)))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::clone(config))
            .connect(name, io)
            .await
            .map_err(|error| {
                tls_failure(format!(
                    "TLS handshake with {} failed: {}",
                    endpoint.authority,
                    describe(&error)
                ))
            })?;
        Ok(Box::new(stream))
    }
}

pub(crate) async fn tcp_connect(endpoint: &Endpoint) -> Result<TcpStream, Failure> {
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|error| {
            let message = match error.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    format!("connection refused: {}", endpoint.authority)
                }
                _ => format!("cannot connect to {}: {error}", endpoint.authority),
            };
            Failure::new(FailureKind::Connect, message)
        })?;
    // Each request is written in one go; do not let Nagle hold it back.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}
