//! What callers hand the sender and get back: [`Request`]s, and [`Completion`]s delivered to the
//! [`CompletionQueue`] each request names.
//!
//! A completion queue can be waited on by a blocked thread (a condition variable) and watched by
//! an event loop: its wake descriptor becomes readable when completions are waiting, so an
//! asyncio loop collects them on its own thread without a helper thread and without the runtime
//! thread ever touching Python.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::failure::{Failure, FailureKind};
use crate::route::Route;

/// A request whose target and body the runtime thread makes when a lane takes it, so that work
/// such as signing the body stays off the thread that submits it.
pub trait LaterRequest: Send + Sync + 'static {
    /// The request target: `/path?query`, printable ASCII.
    fn target(&self) -> String;
    fn body(&self) -> &[u8];
}

/// What a request sends.
pub(crate) enum Wire {
    /// The complete request: head and body.
    Ready(Vec<u8>),
    /// `method` and what a [`LaterRequest`] makes, put together when a lane takes the request.
    Later(&'static str, Box<dyn LaterRequest>),
}

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready(bytes) => write!(f, "Ready({} bytes)", bytes.len()),
            Self::Later(method, _) => write!(f, "Later({method})"),
        }
    }
}

/// One request to send: its bytes (or how to make them), where its answer goes, and its
/// deadline.
#[derive(Debug)]
pub struct Request {
    pub id: u64,
    pub(crate) wire: Wire,
    /// A GET may be sent once more when a reused connection closed without answering.
    pub(crate) idempotent: bool,
    /// When the first attempt must be over: set at submission for a pool (time queued counts,
    /// as the caller is waiting), or `None` to start the clock when an ordered lane takes it
    /// (its channel's earlier requests go first by design).
    pub(crate) deadline: Option<Instant>,
    pub(crate) sink: Arc<CompletionQueue>,
}

impl Request {
    /// Makes the bytes of a [`Wire::Later`] request; a made target the route refuses fails the
    /// request.
    pub(crate) fn make_ready(&mut self, route: &Route) -> Result<(), Failure> {
        if let Wire::Later(method, later) = &self.wire {
            let bytes = route
                .request_bytes(method, &later.target(), later.body())
                .map_err(|error| {
                    Failure::new(FailureKind::Protocol, format!("cannot send it: {error}"))
                })?;
            self.wire = Wire::Ready(bytes);
        }
        Ok(())
    }

    /// The complete request; empty until [`Self::make_ready`] for a [`Wire::Later`] one (lanes
    /// make every request ready before sending it, and pools only take ready ones).
    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.wire {
            Wire::Ready(bytes) => bytes,
            Wire::Later(..) => &[],
        }
    }
}

/// A finished request.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub id: u64,
    /// The final HTTP status; 0 when the last attempt got no response.
    pub status: u16,
    /// The final response body (empty without a response, or when it was over the cap).
    pub body: Vec<u8>,
    /// Why there is no usable response; `None` with a status and its body.
    pub failure: Option<Failure>,
    /// How many attempts were made (0 when closed before the first).
    pub attempts: u32,
    /// The final response's `Retry-After`, in seconds.
    pub retry_after: Option<f64>,
}

impl Completion {
    pub(crate) fn response(
        id: u64,
        attempts: u32,
        status: u16,
        body: Vec<u8>,
        retry_after: Option<f64>,
    ) -> Self {
        Self {
            id,
            status,
            body,
            failure: None,
            attempts,
            retry_after,
        }
    }

    pub(crate) fn failed(id: u64, attempts: u32, failure: Failure) -> Self {
        Self {
            id,
            status: 0,
            body: Vec::new(),
            failure: Some(failure),
            attempts,
            retry_after: None,
        }
    }
}

/// Where completions are delivered: waited on by a thread, or watched by an event loop through
/// [`wake_fd`](Self::wake_fd).
#[derive(Debug)]
pub struct CompletionQueue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Debug, Default)]
struct QueueState {
    done: Vec<Completion>,
    waiting: usize,
    wake: Option<WakePipe>,
    /// A byte is in the wake pipe and not yet drained.
    signalled: bool,
}

impl Default for CompletionQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl CompletionQueue {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(QueueState::default()),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, completion: Completion) {
        let mut state = self.lock();
        state.done.push(completion);
        Self::announce(&self.ready, &mut state);
    }

    fn announce(ready: &Condvar, state: &mut QueueState) {
        if state.waiting > 0 {
            ready.notify_all();
        }
        if !state.signalled {
            if let Some(wake) = &state.wake {
                wake.signal();
                state.signalled = true;
            }
        }
    }

    /// Every completion delivered so far, at once, without waiting.
    pub fn take(&self) -> Vec<Completion> {
        let mut state = self.lock();
        Self::take_locked(&mut state)
    }

    fn take_locked(state: &mut QueueState) -> Vec<Completion> {
        if state.signalled {
            if let Some(wake) = &state.wake {
                wake.drain();
            }
            state.signalled = false;
        }
        std::mem::take(&mut state.done)
    }

    /// Like [`take`](Self::take), but first waits up to `wait` for a completion when none is
    /// there.
    pub fn wait(&self, wait: Duration) -> Vec<Completion> {
        let deadline = Instant::now().checked_add(wait);
        let mut state = self.lock();
        while state.done.is_empty() {
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                break;
            }
            state.waiting += 1;
            state = match self.ready.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
            state.waiting -= 1;
        }
        Self::take_locked(&mut state)
    }

    /// A descriptor that is readable while completions are waiting (made on first use); reading
    /// it is [`take`](Self::take)'s job.
    #[cfg(unix)]
    pub fn wake_fd(&self) -> std::io::Result<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        let mut state = self.lock();
        if state.wake.is_none() {
            state.wake = Some(WakePipe::new()?);
        }
        let wake = state.wake.as_ref().expect("made above");
        let fd = wake.read.as_raw_fd();
        if !state.done.is_empty() && !state.signalled {
            wake.signal();
            state.signalled = true;
        }
        Ok(fd)
    }
}

/// A non-blocking pipe: one byte in it means "completions are waiting".
#[cfg(unix)]
#[derive(Debug)]
struct WakePipe {
    read: std::os::fd::OwnedFd,
    write: std::os::fd::OwnedFd,
}

#[cfg(unix)]
impl WakePipe {
    fn new() -> std::io::Result<Self> {
        use std::os::fd::FromRawFd;
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid out-array of two descriptors.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `pipe` returned two descriptors this process now owns.
        let (read, write) = unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        for fd in [&read, &write] {
            set_flags(fd)?;
        }
        Ok(Self { read, write })
    }

    fn signal(&self) {
        use std::os::fd::AsRawFd;
        let byte = 1u8;
        // SAFETY: writes one byte from a valid buffer to a descriptor this pipe owns; a full pipe
        // (EAGAIN) already signals, so the result does not matter.
        unsafe { libc::write(self.write.as_raw_fd(), std::ptr::addr_of!(byte).cast(), 1) };
    }

    fn drain(&self) {
        use std::os::fd::AsRawFd;
        let mut buf = [0u8; 64];
        // SAFETY: reads into a valid buffer from a non-blocking descriptor this pipe owns.
        while unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {
        }
    }
}

#[cfg(unix)]
fn set_flags(fd: &std::os::fd::OwnedFd) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = fd.as_raw_fd();
    // SAFETY: plain fcntl calls on a descriptor this process owns.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(not(unix))]
#[derive(Debug)]
struct WakePipe;

#[cfg(not(unix))]
impl WakePipe {
    fn signal(&self) {}
    fn drain(&self) {}
}
