//! Async connections for the runtime's workers: TCP, the proxy tunnel, TLS, and one request and
//! its answer over a kept-alive connection, with the same HTTP/1.1 engine (`http1`) as the
//! blocking client. The caller bounds every step with its deadline.

use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::endpoint::Endpoint;
use crate::failure::{describe, Failure, FailureKind, Phase};
use crate::http1::{ParseError, Response, ResponseParser};
use crate::proxy::{connect_answer, connect_head, Proxy};
use crate::route::Route;

/// How much one read asks for.
const READ_CHUNK: usize = 16 * 1024;

pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A kept-alive connection of one worker.
pub(crate) struct Connection {
    io: Box<dyn Io>,
    /// The TCP socket underneath, to check an idle connection is still open.
    #[cfg(unix)]
    fd: std::os::fd::RawFd,
    buf: Vec<u8>,
    pub(crate) last_used: Instant,
}

impl Connection {
    /// Whether the server seems to have kept it open: nothing to read, no end of stream.
    pub(crate) fn still_open(&self) -> bool {
        #[cfg(unix)]
        {
            crate::call::still_open_fd(self.fd)
        }
        #[cfg(not(unix))]
        {
            true
        }
    }
}

/// How one exchange failed.
pub(crate) enum ExchangeError {
    /// The connection closed before any byte of an answer (a reused connection the server had
    /// closed).
    ClosedUnanswered,
    Failed(Failure),
}

/// A new connection to the route's target, through its proxy if any; `phase` follows along for
/// timeout messages.
pub(crate) async fn connect(
    route: &Route,
    tls: Option<&Arc<ClientConfig>>,
    phase: &mut Phase,
) -> Result<Connection, Failure> {
    *phase = Phase::Connect;
    let (io, tcp_fd): (Box<dyn Io>, _) = match &route.proxy {
        None => {
            let tcp = tcp_connect(&route.target).await?;
            let fd = raw_fd(&tcp);
            if route.target.https {
                *phase = Phase::Tls;
                (tls_connect(tcp, tls, &route.target).await?, fd)
            } else {
                (Box::new(tcp), fd)
            }
        }
        Some(proxy) => {
            let tcp = tcp_connect(&proxy.endpoint).await.map_err(|failure| {
                Failure::new(
                    FailureKind::Proxy,
                    format!("proxy {}: {failure}", proxy.endpoint.authority),
                )
            })?;
            let fd = raw_fd(&tcp);
            let mut io: Box<dyn Io> = if proxy.endpoint.https {
                *phase = Phase::Tls;
                tls_connect(tcp, tls, &proxy.endpoint).await?
            } else {
                Box::new(tcp)
            };
            if route.target.https {
                *phase = Phase::Tunnel;
                tunnel(&mut io, &route.target.authority, proxy).await?;
                *phase = Phase::Tls;
                (tls_connect(io, tls, &route.target).await?, fd)
            } else {
                (io, fd)
            }
        }
    };
    #[cfg(not(unix))]
    let _ = tcp_fd;
    Ok(Connection {
        io,
        #[cfg(unix)]
        fd: tcp_fd,
        buf: Vec::new(),
        last_used: Instant::now(),
    })
}

#[cfg(unix)]
fn raw_fd(tcp: &TcpStream) -> std::os::fd::RawFd {
    use std::os::fd::AsRawFd;
    tcp.as_raw_fd()
}

#[cfg(not(unix))]
fn raw_fd(_tcp: &TcpStream) {}

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

async fn tls_connect<S>(
    io: S,
    tls: Option<&Arc<ClientConfig>>,
    endpoint: &Endpoint,
) -> Result<Box<dyn Io>, Failure>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let tls_failure = |message: String| Failure::new(FailureKind::Tls, message);
    let config = tls.ok_or_else(|| tls_failure("TLS is not configured".to_owned()))?;
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

/// Opens a `CONNECT` tunnel to `authority` through the proxy connection `io`.
pub(crate) async fn tunnel(
    io: &mut Box<dyn Io>,
    authority: &str,
    proxy: &Proxy,
) -> Result<(), Failure> {
    let failed = |error: std::io::Error| {
        Failure::new(
            FailureKind::Proxy,
            format!("proxy CONNECT to {authority} failed: {error}"),
        )
    };
    io.write_all(&connect_head(authority, proxy))
        .await
        .map_err(failed)?;
    io.flush().await.map_err(failed)?;
    let mut answer = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    loop {
        let read = io.read(&mut chunk).await.map_err(failed)?;
        if read == 0 {
            return Err(Failure::new(
                FailureKind::Proxy,
                format!("proxy CONNECT to {authority}: the proxy closed the connection"),
            ));
        }
        answer.extend_from_slice(&chunk[..read]);
        if connect_answer(&answer, authority)? {
            return Ok(());
        }
    }
}

/// Writes `request` (head and body, serialized) and reads the complete answer.
pub(crate) async fn exchange(
    connection: &mut Connection,
    request: &[u8],
    max_body: usize,
    authority: &str,
    phase: &mut Phase,
) -> Result<Response, ExchangeError> {
    let io_failure = |error: std::io::Error| {
        ExchangeError::Failed(Failure::new(
            FailureKind::Protocol,
            format!("the connection to {authority} failed: {error}"),
        ))
    };
    *phase = Phase::Send;
    connection.io.write_all(request).await.map_err(io_failure)?;
    connection.io.flush().await.map_err(io_failure)?;
    *phase = Phase::Response;
    let mut parser = ResponseParser::new(max_body, request.starts_with(b"HEAD "));
    connection.buf.resize(READ_CHUNK, 0);
    loop {
        let read = connection
            .io
            .read(&mut connection.buf)
            .await
            .map_err(io_failure)?;
        if read == 0 {
            if !parser.started() {
                return Err(ExchangeError::ClosedUnanswered);
            }
            return parser.finish_at_eof().map_err(parse_failure);
        }
        if let Some(response) = parser
            .feed(&connection.buf[..read])
            .map_err(parse_failure)?
        {
            connection.last_used = Instant::now();
            return Ok(response);
        }
    }
}

fn parse_failure(error: ParseError) -> ExchangeError {
    ExchangeError::Failed(Failure::unreadable(&error))
}
