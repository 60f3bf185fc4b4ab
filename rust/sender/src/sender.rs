//! [`Sender`]: starts the runtime thread, hands requests to its lanes or its pool, and shuts
//! everything down. Completions go to the [`CompletionQueue`] each request names.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::lane::{Cancelled, InFlight, Lane, Pool, Settings};
use crate::options::{invalid, Options, SenderError};
use crate::queue::{CompletionQueue, LaterRequest, Request, Wire};
use crate::route::Route;

/// A keep-alive HTTP/1.1 client sending submitted requests on its own runtime thread.
pub struct Sender {
    /// Left alone in a child process (see `Drop`).
    inner: ManuallyDrop<Inner>,
    owner_pid: u32,
}

/// Where submitted requests go.
enum Dispatch {
    /// Ordered: one queue per lane (emptied on close).
    Lanes(Mutex<Vec<mpsc::UnboundedSender<Request>>>),
    /// Pooled: batches go to one dispatcher task, which starts a task per request on the runtime (one
    /// wake-up of the runtime thread per batch, not per request).
    Pool(mpsc::UnboundedSender<Vec<(Request, InFlight)>>),
}

struct Inner {
    settings: Arc<Settings>,
    dispatch: Dispatch,
    lanes: usize,
    closed: AtomicBool,
    cancelled: Arc<Cancelled>,
    stop: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("lanes", &self.inner.lanes)
            .field(
                "ordered",
                &matches!(self.inner.dispatch, Dispatch::Lanes(_)),
            )
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Sender {
    /// Validates everything and starts the runtime thread; connections are made by the first
    /// requests that need them. Reads proxy variables from the environment for
    /// [`ProxyChoice::FromEnv`](crate::ProxyChoice::FromEnv).
    pub fn new(base_url: &str, options: Options) -> Result<Self, SenderError> {
        Self::with_env(base_url, options, &|name| std::env::var(name).ok())
    }

    pub(crate) fn with_env(
        base_url: &str,
        options: Options,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SenderError> {
        options.check()?;
        let route = Route::new(base_url, &options.headers, &options.proxy, env)?;
        if route.needs_tls() && options.tls.is_none() {
            return Err(invalid(
                "an https:// target or proxy needs a TLS configuration",
            ));
        }
        let settings = Arc::new(Settings {
            route,
            tls: options.tls,
            timeout: options.timeout,
            max_body: options.max_body,
            retries: options.retries,
            backoff_base: options.backoff_base,
            backoff_max: options.backoff_max,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            // Name lookups run on blocking threads; let them go soon after.
            .max_blocking_threads(4)
            .thread_keep_alive(Duration::from_secs(1))
            .build()
            .map_err(|error| SenderError::Runtime(format!("cannot start the runtime: {error}")))?;
        let seed = RandomState::new().hash_one(Instant::now());
        let cancelled = Arc::new(Cancelled::default());
        let dispatch = if options.ordered {
            let mut queues = Vec::with_capacity(options.lanes);
            for index in 0..options.lanes {
                let (queue, receiver) = mpsc::unbounded_channel();
                queues.push(queue);
                let lane = Lane::new(Arc::clone(&settings), receiver, spread(seed, index as u64));
                runtime.spawn(lane.run());
            }
            Dispatch::Lanes(Mutex::new(queues))
        } else {
            let pool = Arc::new(Pool::new(
                Arc::clone(&settings),
                options.lanes,
                Arc::clone(&cancelled),
            ));
            let (batches, receiver) = mpsc::unbounded_channel();
            runtime.spawn(pool.dispatch(receiver, seed));
            Dispatch::Pool(batches)
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pusher-fast-sender".into())
            .spawn(move || {
                // Ends on `close` or when the sender is dropped (the oneshot sender goes away).
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // Drops every task now (each completes its request as closed) without waiting
                // for a name lookup that may still run.
                runtime.shutdown_background();
            })
            .map_err(|error| {
                SenderError::Runtime(format!("cannot start the sender thread: {error}"))
            })?;
        Ok(Self {
            inner: ManuallyDrop::new(Inner {
                settings,
                dispatch,
                lanes: options.lanes,
                closed: AtomicBool::new(false),
                cancelled,
                stop: Mutex::new(Some((stop, thread))),
            }),
            owner_pid: std::process::id(),
        })
    }

    /// The number of lanes, or of connections a pool may use at once.
    pub fn lanes(&self) -> usize {
        self.inner.lanes
    }

    /// Queues `method target` with `body`; its completion goes to `sink`. An ordered sender
    /// needs the `lane`; a pool takes none. In a pool the deadline of the first attempt starts
    /// now (time waiting for a connection counts); in a lane, when the lane takes the request.
    pub fn submit(
        &self,
        id: u64,
        lane: Option<usize>,
        method: &str,
        target: &str,
        body: &[u8],
        sink: &Arc<CompletionQueue>,
    ) -> Result<(), SenderError> {
        let bytes = self
            .inner
            .settings
            .route
            .request_bytes(method, target, body)?;
        self.enqueue(id, lane, Wire::Ready(bytes), method == "GET", sink)
    }

    /// Queues a `method` request on an ordered sender's `lane` whose target and body `later`
    /// makes on the runtime thread when the lane takes it; its completion goes to `sink`. A
    /// target the route refuses then fails the request ([`FailureKind::Protocol`](crate::FailureKind::Protocol)).
    pub fn submit_later(
        &self,
        id: u64,
        lane: usize,
        method: &'static str,
        later: Box<dyn LaterRequest>,
        sink: &Arc<CompletionQueue>,
    ) -> Result<(), SenderError> {
        let idempotent = method == "GET";
        self.enqueue(id, Some(lane), Wire::Later(method, later), idempotent, sink)
    }

    fn enqueue(
        &self,
        id: u64,
        lane: Option<usize>,
        wire: Wire,
        idempotent: bool,
        sink: &Arc<CompletionQueue>,
    ) -> Result<(), SenderError> {
        let inner = &*self.inner;
        let request = |deadline: Option<Instant>| Request {
            id,
            wire,
            idempotent,
            deadline,
            sink: Arc::clone(sink),
        };
        match (&inner.dispatch, lane) {
            (Dispatch::Lanes(queues), Some(lane)) => {
                let queues = queues.lock().unwrap_or_else(PoisonError::into_inner);
                if inner.closed.load(Ordering::Acquire) {
                    return Err(SenderError::Closed);
                }
                let queue = queues.get(lane).ok_or_else(|| {
                    invalid(format!(
                        "lane {lane} is out of range: the sender has {} lanes",
                        inner.lanes
                    ))
                })?;
                queue.send(request(None)).map_err(|_| {
                    SenderError::Runtime("the sender's runtime stopped unexpectedly".to_owned())
                })
            }
            (Dispatch::Lanes(_), None) => {
                Err(invalid("an ordered sender needs a lane for each request"))
            }
            // Only `submit` names no lane, so a pool only ever gets ready requests.
            (Dispatch::Pool(batches), None) => {
                let request = request(Some(Instant::now() + inner.settings.timeout));
                let in_flight = InFlight::new(&request);
                Self::send_batch(inner, batches, vec![(request, in_flight)])
            }
            (Dispatch::Pool(_), Some(_)) => Err(invalid("a pooled sender takes no lane")),
        }
    }

    /// Queues several requests at once on a pool (one wake-up of the runtime thread for all):
    /// `(id, method, target, body)` each, their completions going to `sink`.
    pub fn submit_many<'a>(
        &self,
        requests: impl IntoIterator<Item = (u64, &'a str, &'a str, &'a [u8])>,
        sink: &Arc<CompletionQueue>,
    ) -> Result<(), SenderError> {
        let inner = &*self.inner;
        let Dispatch::Pool(batches) = &inner.dispatch else {
            return Err(invalid("an ordered sender needs a lane for each request"));
        };
        let deadline = Instant::now() + inner.settings.timeout;
        let mut batch = Vec::new();
        for (id, method, target, body) in requests {
            let request = Request {
                id,
                wire: Wire::Ready(inner.settings.route.request_bytes(method, target, body)?),
                idempotent: method == "GET",
                deadline: Some(deadline),
                sink: Arc::clone(sink),
            };
            let in_flight = InFlight::new(&request);
            batch.push((request, in_flight));
        }
        Self::send_batch(inner, batches, batch)
    }

    fn send_batch(
        inner: &Inner,
        batches: &mpsc::UnboundedSender<Vec<(Request, InFlight)>>,
        batch: Vec<(Request, InFlight)>,
    ) -> Result<(), SenderError> {
        if inner.closed.load(Ordering::Acquire) {
            // The guards complete nothing: the caller learns of the refusal from the error.
            for (_, mut in_flight) in batch {
                in_flight.forget();
            }
            return Err(SenderError::Closed);
        }
        // Refused only once the runtime is gone: the batch is dropped and its guards complete it
        // as closed.
        let _ = batches.send(batch);
        Ok(())
    }

    /// Drops a submitted request that has not started yet: it will not be sent and gets no
    /// completion. A request already being sent completes as usual.
    pub fn cancel(&self, id: u64) {
        self.inner.cancelled.add(id);
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Stops taking requests and stops the runtime without waiting for the network. Every request
    /// not finished by then completes with a [`FailureKind::Closed`](crate::FailureKind::Closed)
    /// failure before this returns. Idempotent.
    pub fn close(&self) {
        let inner = &*self.inner;
        inner.closed.store(true, Ordering::Release);
        if let Dispatch::Lanes(queues) = &inner.dispatch {
            queues
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
        let stop = inner
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((stop, thread)) = stop {
            let _ = stop.send(());
            // Quick: the runtime only has to drop its tasks and sockets.
            let _ = thread.join();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        // In a child process the runtime thread does not exist and a lock may be held by a thread
        // of the parent: everything is left as it is instead of waited for.
        if self.owner_pid == std::process::id() {
            self.close();
            // SAFETY: dropped exactly once, here, and never used after.
            unsafe { ManuallyDrop::drop(&mut self.inner) };
        }
    }
}

/// A distinct jitter seed for each lane.
fn spread(seed: u64, index: u64) -> u64 {
    seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
