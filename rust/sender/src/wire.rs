//! Blocking sockets with a deadline: name resolution, TCP connect, TLS, proxy tunnels, and reads and writes that
//! never wait past the deadline of the call they serve.
//!
//! Every wait is bounded by the socket timeouts, lowered to the time left before each blocking call whenever what is
//! set would let it overrun, so a server that drips one byte at a time cannot hold a call past its deadline.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::failure::{Failure, FailureKind, Phase};

/// Socket timeouts are only lowered when the time left is shorter than what is set by more than this: a read that
/// starts just after a write would otherwise cost one extra system call per request.
const TIMEOUT_SLACK: Duration = Duration::from_millis(2);

/// The moment a call must be over by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(pub(crate) Instant);

impl Deadline {
    /// The time left, or a timeout failure naming `phase` when there is none.
    pub fn left(&self, phase: Phase, timeout: Duration) -> Result<Duration, Failure> {
        let left = self.0.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::timed_out(phase, timeout));
        }
        Ok(left)
    }
}

/// A byte stream to the server: plain TCP, or TLS over a stream (which may itself be TLS, to an HTTPS proxy).
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, Transport>>),
}

impl Transport {
    /// The TCP socket underneath, whose timeouts bound every wait.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(tcp) => tcp,
            Self::Tls(tls) => tls.sock.tcp(),
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => tcp.read(buf),
            Self::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => tcp.write(buf),
            Self::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(tcp) => tcp.flush(),
            Self::Tls(tls) => tls.flush(),
        }
    }
}

/// A transport with the socket timeouts it has set, so they are only changed when needed.
pub(crate) struct Timed {
    pub transport: Transport,
    read_timeout: Duration,
    write_timeout: Duration,
}

/// What a blocking call is told when a system call was interrupted by a signal: go on, or give up with `E`.
pub type OnInterrupt<'a, E> = &'a mut dyn FnMut() -> Result<(), E>;

/// An I/O failure, or the caller's reason to stop after a signal.
pub enum CallError<E> {
    Failed(Failure),
    Interrupted(E),
}

impl<E> From<Failure> for CallError<E> {
    fn from(failure: Failure) -> Self {
        Self::Failed(failure)
    }
}

impl Timed {
    pub fn new(transport: Transport, timeout: Duration) -> io::Result<Self> {
        let tcp = transport.tcp();
        tcp.set_read_timeout(Some(timeout))?;
        tcp.set_write_timeout(Some(timeout))?;
        Ok(Self {
            transport,
            read_timeout: timeout,
            write_timeout: timeout,
        })
    }

    /// Sets both timeouts back to `timeout` before the next call starts (a no-op when they are there already).
    pub fn reset(&mut self, timeout: Duration) -> io::Result<()> {
        if self.read_timeout != timeout {
            self.transport.tcp().set_read_timeout(Some(timeout))?;
            self.read_timeout = timeout;
        }
        if self.write_timeout != timeout {
            self.transport.tcp().set_write_timeout(Some(timeout))?;
            self.write_timeout = timeout;
        }
        Ok(())
    }

    fn bound_reads(&mut self, left: Duration) -> io::Result<()> {
        if left + TIMEOUT_SLACK < self.read_timeout {
            self.transport.tcp().set_read_timeout(Some(left))?;
            self.read_timeout = left;
        }
        Ok(())
    }

    fn bound_writes(&mut self, left: Duration) -> io::Result<()> {
        if left + TIMEOUT_SLACK < self.write_timeout {
            self.transport.tcp().set_write_timeout(Some(left))?;
            self.write_timeout = left;
        }
        Ok(())
    }

    /// Writes all of `bytes` before the deadline.
    pub fn write_all<E>(
        &mut self,
        mut bytes: &[u8],
        deadline: Deadline,
        timeout: Duration,
        on_interrupt: OnInterrupt<'_, E>,
        describe: impl Fn(&io::Error) -> Failure,
    ) -> Result<(), CallError<E>> {
        while !bytes.is_empty() {
            let left = deadline.left(Phase::Send, timeout)?;
            self.bound_writes(left).map_err(|error| describe(&error))?;
            match self.transport.write(bytes) {
                Ok(0) => return Err(describe(&io::ErrorKind::WriteZero.into()).into()),
                Ok(written) => bytes = &bytes[written..],
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                    on_interrupt().map_err(CallError::Interrupted)?;
                }
                Err(error) if is_timeout(&error) => {
                    return Err(Failure::timed_out(Phase::Send, timeout).into());
                }
                Err(error) => return Err(describe(&error).into()),
            }
        }
        match self.transport.flush() {
            Ok(()) => Ok(()),
            Err(error) if is_timeout(&error) => {
                Err(Failure::timed_out(Phase::Send, timeout).into())
            }
            Err(error) => Err(describe(&error).into()),
        }
    }

    /// One read before the deadline: the number of bytes read (0 at end of stream).
    pub fn read<E>(
        &mut self,
        buf: &mut [u8],
        deadline: Deadline,
        timeout: Duration,
        phase: Phase,
        on_interrupt: OnInterrupt<'_, E>,
        describe: impl Fn(&io::Error) -> Failure,
    ) -> Result<usize, CallError<E>> {
        loop {
            let left = deadline.left(phase, timeout)?;
            self.bound_reads(left).map_err(|error| describe(&error))?;
            match self.transport.read(buf) {
                Ok(read) => return Ok(read),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                    on_interrupt().map_err(CallError::Interrupted)?;
                }
                Err(error) if is_timeout(&error) => {
                    return Err(Failure::timed_out(phase, timeout).into())
                }
                Err(error) => return Err(describe(&error).into()),
            }
        }
    }
}

/// A socket timeout shows as `WouldBlock` on Unix and `TimedOut` on Windows.
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The addresses of `host`, without waiting past the deadline: a literal address at once, a name on a short-lived
/// thread (the system resolver cannot be cancelled; a late answer is dropped).
pub(crate) fn resolve(
    host: &str,
    port: u16,
    deadline: Deadline,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, Failure> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = deadline.left(Phase::Resolve, timeout)?;
    let (sender, receiver) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("pusher-fast-resolve".into())
        .spawn(move || {
            let _ = sender.send(
                (name.as_str(), port)
                    .to_socket_addrs()
                    .map(Iterator::collect::<Vec<_>>),
            );
        })
        .map_err(|error| {
            Failure::new(
                FailureKind::Connect,
                format!("cannot resolve {host}: {error}"),
            )
        })?;
    match receiver.recv_timeout(left) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(Ok(_)) => Err(Failure::new(
            FailureKind::Connect,
            format!("{host} has no address"),
        )),
        Ok(Err(error)) => Err(Failure::new(
            FailureKind::Connect,
            format!("cannot resolve {host}: {error}"),
        )),
        Err(_) => Err(Failure::timed_out(Phase::Resolve, timeout)),
    }
}

/// A TCP connection to one of `addresses` (tried in order), before the deadline.
pub(crate) fn tcp_connect(
    addresses: &[SocketAddr],
    authority: &str,
    deadline: Deadline,
    timeout: Duration,
) -> Result<TcpStream, Failure> {
    let mut last_error = None;
    for address in addresses {
        let left = deadline.left(Phase::Connect, timeout)?;
        match TcpStream::connect_timeout(address, left) {
            Ok(stream) => {
                // Each request is written in one go; do not let Nagle hold it back.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) if is_timeout(&error) => {
                return Err(Failure::timed_out(Phase::Connect, timeout))
            }
            Err(error) => last_error = Some(error),
        }
    }
    let error = last_error.map_or_else(
        || "no address".to_owned(),
        |error| connect_message(&error, authority),
    );
    Err(Failure::new(FailureKind::Connect, error))
}

pub(crate) fn connect_message(error: &io::Error, authority: &str) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => format!("connection refused: {authority}"),
        _ => format!("cannot connect to {authority}: {error}"),
    }
}

/// Runs the TLS handshake over `inner` before the deadline.
pub(crate) fn tls_handshake(
    inner: Transport,
    config: &Arc<ClientConfig>,
    host: &str,
    authority: &str,
    deadline: Deadline,
    timeout: Duration,
) -> Result<Transport, Failure> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| {
        Failure::new(
            FailureKind::Tls,
            format!("invalid TLS server name {host:?}"),
        )
    })?;
    let connection = ClientConnection::new(Arc::clone(config), name)
        .map_err(|error| Failure::new(FailureKind::Tls, format!("TLS setup failed: {error}")))?;
    let mut stream = StreamOwned::new(connection, inner);
    while stream.conn.is_handshaking() {
        let left = deadline.left(Phase::Tls, timeout)?;
        let tcp = stream.sock.tcp();
        tcp.set_read_timeout(Some(left))
            .and_then(|()| tcp.set_write_timeout(Some(left)))
            .map_err(|error| {
                Failure::new(
                    FailureKind::Tls,
                    format!("TLS handshake with {authority} failed: {error}"),
                )
            })?;
        match stream.conn.complete_io(&mut stream.sock) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if is_timeout(&error) => {
                return Err(Failure::timed_out(Phase::Tls, timeout))
            }
            Err(error) => {
                return Err(Failure::new(
                    FailureKind::Tls,
                    format!("TLS handshake with {authority} failed: {error}"),
                ))
            }
        }
    }
    Ok(Transport::Tls(Box::new(stream)))
}
