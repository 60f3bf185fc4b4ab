//! [`CallClient`]: the calling thread sends one request and reads its answer itself, over a
//! pooled keep-alive connection, before a deadline. Used by the synchronous `Pusher`, whose
//! callers block anyway: there is no hand-off to another thread, so a call costs about what the
//! network does.
//!
//! Connections are kept in a small LIFO pool (most recently used first, so a sequential caller
//! always reuses the same warm connection) and are safe to share between threads: each call
//! takes one out and puts it back.
//!
//! A pooled connection idle for long enough that the server may have closed it is checked before
//! reuse (a non-blocking peek: a closed or readable idle connection is dropped); one idle for more
//! than [`IDLE_LIMIT`] is not reused at all, like httpx's `keepalive_expiry`. A request that may
//! have left is never resent here: POST is not idempotent (retries are the caller's policy). Only
//! a GET whose reused connection closed without answering is sent once more on a fresh
//! connection.

use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use crate::failure::{Failure, FailureKind, Phase};
use crate::http1::{ParseError, Response, ResponseParser};
use crate::options::{ProxyChoice, SenderError};
use crate::proxy::{connect_answer, connect_head, Proxy};
use crate::route::Route;
use crate::wire::{self, CallError, Deadline, OnInterrupt, Timed, Transport};

/// A connection idle longer than this is closed rather than reused.
pub const IDLE_LIMIT: Duration = Duration::from_secs(5);
/// A connection idle longer than this is checked for a close by the server before reuse.
const CHECK_AFTER: Duration = Duration::from_millis(250);
/// How much one read asks for.
const READ_CHUNK: usize = 16 * 1024;

struct Connection {
    io: Timed,
    last_used: Instant,
    buf: Vec<u8>,
}

/// A keep-alive connection pool whose calls run on the calling thread.
pub struct CallClient {
    route: Route,
    tls: Option<Arc<ClientConfig>>,
    timeout: Duration,
    max_body: usize,
    max_idle: usize,
    /// Not dropped in a child process whose parent held it locked at the fork (see `Drop`).
    idle: ManuallyDrop<Mutex<Vec<Connection>>>,
    /// The sockets of the calls in progress, so that `close` can end them at once.
    active: ManuallyDrop<Mutex<HashMap<u64, Socket>>>,
    next_call: AtomicU64,
    closed: AtomicBool,
    owner_pid: u32,
}

#[cfg(unix)]
type Socket = std::os::fd::RawFd;
#[cfg(not(unix))]
type Socket = ();

impl CallClient {
    /// Checks the base URL, headers and proxy; opens nothing. `tls` is required when the target
    /// or the proxy speaks HTTPS. Answers whose body is over `max_body` bytes are refused.
    pub fn new(
        base_url: &str,
        headers: &[(String, String)],
        proxy: &ProxyChoice,
        tls: Option<Arc<ClientConfig>>,
        timeout: Duration,
        max_body: usize,
        max_idle: usize,
    ) -> Result<Self, SenderError> {
        Self::with_env(
            base_url,
            headers,
            proxy,
            tls,
            timeout,
            max_body,
            max_idle,
            &|name| std::env::var(name).ok(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_env(
        base_url: &str,
        headers: &[(String, String)],
        proxy: &ProxyChoice,
        tls: Option<Arc<ClientConfig>>,
        timeout: Duration,
        max_body: usize,
        max_idle: usize,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SenderError> {
        let route = Route::new(base_url, headers, proxy, env)?;
        if route.needs_tls() && tls.is_none() {
            return Err(SenderError::InvalidArgument(
                "an https:// target or proxy needs a TLS configuration".to_owned(),
            ));
        }
        if timeout.is_zero() {
            return Err(SenderError::InvalidArgument(
                "timeout must be greater than 0".to_owned(),
            ));
        }
        Ok(Self {
            route,
            tls,
            timeout,
            max_body,
            max_idle,
            idle: ManuallyDrop::new(Mutex::new(Vec::new())),
            active: ManuallyDrop::new(Mutex::new(HashMap::new())),
            next_call: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            owner_pid: std::process::id(),
        })
    }

    /// The complete request bytes of `method target` with `body`, checked.
    pub fn request_bytes(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, SenderError> {
        self.route.request_bytes(method, target, body)
    }

    /// Sends `request` (from [`request_bytes`](Self::request_bytes)) and reads the answer, all
    /// before `started + timeout`. `on_interrupt` is called when a system call was interrupted by
    /// a signal: `Err` stops the call (and drops its connection).
    pub fn call<E>(
        &self,
        request: &[u8],
        method: &str,
        started: Instant,
        on_interrupt: OnInterrupt<'_, E>,
    ) -> Result<Response, CallError<E>> {
        let deadline = Deadline(started + self.timeout);
        let mut resent = false;
        loop {
            let (mut connection, reused) = match self.take_idle() {
                Some(connection) => (connection, true),
                None => (self.connect(deadline)?, false),
            };
            connection
                .io
                .reset(self.timeout)
                .map_err(|error| self.io_failure(&error))?;
            let call = self.next_call.fetch_add(1, Ordering::Relaxed);
            self.track(call, &connection);
            let exchanged = self.exchange(&mut connection, request, method, deadline, on_interrupt);
            self.untrack(call);
            if self.closed.load(Ordering::Acquire) {
                return Err(CallError::Failed(Failure::new(
                    FailureKind::Closed,
                    "the client was closed while the request was in flight",
                )));
            }
            match exchanged {
                Ok(response) => {
                    if response.reusable {
                        self.put_idle(connection);
                    }
                    return Ok(response);
                }
                Err(Exchange::ClosedUnanswered) if reused && !resent && method == "GET" => {
                    resent = true;
                }
                Err(Exchange::ClosedUnanswered) => {
                    return Err(CallError::Failed(Failure::new(
                        FailureKind::Protocol,
                        format!(
                            "{} closed the connection without answering",
                            self.route.target.authority
                        ),
                    )))
                }
                Err(Exchange::Stopped(stop)) => return Err(stop),
            }
        }
    }

    fn exchange<E>(
        &self,
        connection: &mut Connection,
        request: &[u8],
        method: &str,
        deadline: Deadline,
        on_interrupt: OnInterrupt<'_, E>,
    ) -> Result<Response, Exchange<E>> {
        connection
            .io
            .write_all(request, deadline, self.timeout, on_interrupt, |error| {
                self.io_failure(error)
            })
            .map_err(Exchange::Stopped)?;
        let mut parser = ResponseParser::new(self.max_body, method == "HEAD");
        connection.buf.resize(READ_CHUNK, 0);
        loop {
            let read = connection
                .io
                .read(
                    &mut connection.buf,
                    deadline,
                    self.timeout,
                    Phase::Response,
                    on_interrupt,
                    |error| self.io_failure(error),
                )
                .map_err(Exchange::Stopped)?;
            if read == 0 {
                if !parser.started() {
                    return Err(Exchange::ClosedUnanswered);
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

    fn io_failure(&self, error: &std::io::Error) -> Failure {
        Failure::new(
            FailureKind::Protocol,
            format!(
                "the connection to {} failed: {error}",
                self.route.target.authority
            ),
        )
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(connection) = idle.pop() {
            let idle_for = connection.last_used.elapsed();
            if idle_for > IDLE_LIMIT {
                continue;
            }
            if idle_for > CHECK_AFTER && !still_open(connection.io.transport.tcp()) {
                continue;
            }
            return Some(connection);
        }
        None
    }

    fn put_idle(&self, connection: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(connection);
        }
    }

    /// A new connection to the target, through the proxy if there is one.
    fn connect<E>(&self, deadline: Deadline) -> Result<Connection, CallError<E>> {
        let route = &self.route;
        let timeout = self.timeout;
        let transport = match &route.proxy {
            None => {
                let target = &route.target;
                let addresses = wire::resolve(&target.host, target.port, deadline, timeout)?;
                let tcp = wire::tcp_connect(&addresses, &target.authority, deadline, timeout)?;
                if target.https {
                    wire::tls_handshake(
                        Transport::Plain(tcp),
                        self.tls_config()?,
                        &target.host,
                        &target.authority,
                        deadline,
                        timeout,
                    )?
                } else {
                    Transport::Plain(tcp)
                }
            }
            Some(proxy) => {
                let endpoint = &proxy.endpoint;
                let through_proxy = |mut failure: Failure| {
                    if failure.kind == FailureKind::Connect {
                        failure.kind = FailureKind::Proxy;
                        failure.message =
                            format!("proxy {}: {}", endpoint.authority, failure.message);
                    }
                    failure
                };
                let addresses = wire::resolve(&endpoint.host, endpoint.port, deadline, timeout)
                    .map_err(through_proxy)?;
                let tcp = wire::tcp_connect(&addresses, &endpoint.authority, deadline, timeout)
                    .map_err(through_proxy)?;
                let mut transport = Transport::Plain(tcp);
                if endpoint.https {
                    transport = wire::tls_handshake(
                        transport,
                        self.tls_config()?,
                        &endpoint.host,
                        &endpoint.authority,
                        deadline,
                        timeout,
                    )?;
                }
                if route.target.https {
                    let tunnel = self.tunnel(transport, proxy, deadline)?;
                    wire::tls_handshake(
                        tunnel,
                        self.tls_config()?,
                        &route.target.host,
                        &route.target.authority,
                        deadline,
                        timeout,
                    )?
                } else {
                    transport
                }
            }
        };
        let io = Timed::new(transport, timeout).map_err(|error| self.io_failure(&error))?;
        Ok(Connection {
            io,
            last_used: Instant::now(),
            buf: Vec::new(),
        })
    }

    fn tls_config(&self) -> Result<&Arc<ClientConfig>, Failure> {
        self.tls
            .as_ref()
            .ok_or_else(|| Failure::new(FailureKind::Tls, "TLS is not configured"))
    }

    /// Opens a `CONNECT` tunnel to the target through the proxy connection `transport`.
    fn tunnel(
        &self,
        transport: Transport,
        proxy: &Proxy,
        deadline: Deadline,
    ) -> Result<Transport, Failure> {
        let authority = &self.route.target.authority;
        let failed = |error: &std::io::Error| {
            Failure::new(
                FailureKind::Proxy,
                format!("proxy CONNECT to {authority} failed: {error}"),
            )
        };
        let mut io = Timed::new(transport, self.timeout).map_err(|error| failed(&error))?;
        // Signals are not acted on while the tunnel opens: it is bounded by the deadline anyway.
        let mut carry_on = || Ok::<(), std::convert::Infallible>(());
        let never_interrupted = |stop: CallError<std::convert::Infallible>| match stop {
            CallError::Failed(failure) => failure,
            CallError::Interrupted(never) => match never {},
        };
        io.write_all(
            &connect_head(authority, proxy),
            deadline,
            self.timeout,
            &mut carry_on,
            failed,
        )
        .map_err(never_interrupted)?;
        let mut answer = Vec::with_capacity(256);
        let mut chunk = [0u8; 1024];
        loop {
            let read = io
                .read(
                    &mut chunk,
                    deadline,
                    self.timeout,
                    Phase::Tunnel,
                    &mut carry_on,
                    failed,
                )
                .map_err(never_interrupted)?;
            if read == 0 {
                return Err(Failure::new(
                    FailureKind::Proxy,
                    format!("proxy CONNECT to {authority}: the proxy closed the connection"),
                ));
            }
            answer.extend_from_slice(&chunk[..read]);
            if connect_answer(&answer, authority)? {
                return Ok(io.transport);
            }
        }
    }

    fn track(&self, call: u64, connection: &Connection) {
        #[cfg(unix)]
        let socket = {
            use std::os::fd::AsRawFd;
            connection.io.transport.tcp().as_raw_fd()
        };
        #[cfg(not(unix))]
        let socket = {
            let _ = connection;
        };
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        active.insert(call, socket);
        if self.closed.load(Ordering::Acquire) {
            shut(socket);
        }
    }

    fn untrack(&self, call: u64) {
        // Before the connection can be dropped: `close` never shuts a descriptor a new socket reuses.
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&call);
    }

    /// Drops every pooled connection and ends the calls in progress: their sockets are shut down, so
    /// they fail at once with a [`FailureKind::Closed`] failure instead of waiting for the server.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for socket in self
            .active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
        {
            shut(*socket);
        }
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Drop for CallClient {
    fn drop(&mut self) {
        // In a child process a thread of the parent may have held the pool's lock at the fork;
        // that thread does not exist here, so the pool is left alone rather than waited for.
        let safe = self.owner_pid == std::process::id()
            || (self.idle.try_lock().is_ok() && self.active.try_lock().is_ok());
        if safe {
            // SAFETY: both are dropped exactly once, here, and never used after.
            unsafe {
                ManuallyDrop::drop(&mut self.idle);
                ManuallyDrop::drop(&mut self.active);
            }
        }
    }
}

enum Exchange<E> {
    /// A connection closed before any byte of an answer (a reused one the server had closed).
    ClosedUnanswered,
    Stopped(CallError<E>),
}

fn parse_failure<E>(error: ParseError) -> Exchange<E> {
    Exchange::Stopped(CallError::Failed(Failure::unreadable(&error)))
}

/// Shuts a socket down both ways: a blocked read or write on it returns at once.
#[cfg(unix)]
fn shut(socket: Socket) {
    // SAFETY: `socket` is the descriptor of a live connection (callers hold the lock that keeps it
    // registered only while its connection exists); shutdown does not free it.
    unsafe { libc::shutdown(socket, libc::SHUT_RDWR) };
}

#[cfg(not(unix))]
fn shut(_socket: Socket) {}

/// Whether an idle connection still looks open: nothing to read, and no end of stream.
#[cfg(unix)]
pub(crate) fn still_open(tcp: &std::net::TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    still_open_fd(tcp.as_raw_fd())
}

#[cfg(unix)]
pub(crate) fn still_open_fd(fd: std::os::fd::RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: a one-byte peek into a valid buffer on a socket this process owns; MSG_DONTWAIT
    // never blocks.
    let read = unsafe {
        libc::recv(
            fd,
            std::ptr::addr_of_mut!(byte).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    read < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock
}

#[cfg(not(unix))]
pub(crate) fn still_open(tcp: &std::net::TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if tcp.set_nonblocking(true).is_err() {
        return false;
    }
    let open =
        matches!(tcp.peek(&mut byte), Err(error) if error.kind() == std::io::ErrorKind::WouldBlock);
    tcp.set_nonblocking(false).is_ok() && open
}
