//! [`Sender`]: starts the runtime thread and its lanes, queues requests, hands back results and
//! shuts everything down.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::connect::Client;
use crate::lane::Lane;
use crate::options::{invalid, Options, SenderError};
use crate::queue::{Completion, Request, Shared, State};

/// A pooled keep-alive HTTP/1.1 client sending submitted requests on its own runtime thread.
pub struct Sender {
    shared: Arc<Shared>,
    lanes: usize,
    max_queued: usize,
    stop: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("lanes", &self.lanes)
            .field("max_queued", &self.max_queued)
            .field("pending", &self.pending())
            .finish()
    }
}

impl Sender {
    /// Validates everything, starts the runtime thread and its lanes. Reads proxy variables from
    /// the environment for [`ProxyChoice::FromEnv`].
    pub fn new(base_url: &str, options: Options) -> Result<Self, SenderError> {
        Self::with_env(base_url, options, &|name| std::env::var(name).ok())
    }

    pub(crate) fn with_env(
        base_url: &str,
        options: Options,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SenderError> {
        options.check()?;
        let client = Arc::new(Client::new(base_url, &options, env)?);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|error| SenderError::Runtime(format!("cannot start the runtime: {error}")))?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                closed: false,
                queues: Vec::with_capacity(options.lanes),
                outstanding: 0,
                done: Vec::new(),
                waiting_for_room: 0,
                waiting_for_ready: 0,
            }),
            room: Condvar::new(),
            ready: Condvar::new(),
        });
        let seed = RandomState::new().hash_one(Instant::now());
        let mut queues = Vec::with_capacity(options.lanes);
        for index in 0..options.lanes {
            let (queue, receiver) = mpsc::unbounded_channel();
            queues.push(queue);
            let lane = Lane::new(
                Arc::clone(&shared),
                Arc::clone(&client),
                receiver,
                seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            runtime.spawn(lane.run());
        }
        shared.lock().queues = queues;

        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pusher-fast-sender".into())
            .spawn(move || {
                // Ends on `close` or when the sender is dropped (the oneshot sender goes away).
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // Drops every lane now (each completes its unfinished requests as cancelled)
                // without waiting for a blocking DNS lookup that may still run.
                runtime.shutdown_background();
            })
            .map_err(|error| {
                SenderError::Runtime(format!("cannot start the sender thread: {error}"))
            })?;
        Ok(Self {
            shared,
            lanes: options.lanes,
            max_queued: options.max_queued,
            stop: Mutex::new(Some((stop, thread))),
        })
    }

    /// The number of lanes.
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Queues `request` if fewer than `max_queued` are outstanding; otherwise hands it back.
    pub fn try_submit(&self, request: Request) -> Result<Option<Request>, SenderError> {
        self.submit_timeout(request, Duration::ZERO)
    }

    /// Queues `request`, waiting up to `wait` for room; hands it back if there is still none.
    pub fn submit_timeout(
        &self,
        request: Request,
        wait: Duration,
    ) -> Result<Option<Request>, SenderError> {
        if request.lane >= self.lanes {
            return Err(invalid(format!(
                "lane {} is out of range: the sender has {} lanes",
                request.lane, self.lanes
            )));
        }
        let deadline = Instant::now().checked_add(wait);
        let mut state = self.shared.lock();
        loop {
            if state.closed {
                return Err(SenderError::Closed);
            }
            if state.outstanding < self.max_queued {
                break;
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                return Ok(Some(request));
            }
            state.waiting_for_room += 1;
            state = match self.shared.room.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
            state.waiting_for_room -= 1;
        }
        let lane = request.lane;
        if state.queues[lane].send(request).is_err() {
            return Err(SenderError::Runtime(format!(
                "lane {lane} of the sender stopped unexpectedly"
            )));
        }
        state.outstanding += 1;
        Ok(None)
    }

    /// Queues `request`, waiting as long as it takes for room.
    pub fn submit(&self, request: Request) -> Result<(), SenderError> {
        let mut request = request;
        loop {
            match self.submit_timeout(request, Duration::from_secs(3600))? {
                None => return Ok(()),
                Some(back) => request = back,
            }
        }
    }

    /// Every finished request not yet returned, in completion order; frees their room.
    pub fn take_completed(&self) -> Vec<Completion> {
        let mut state = self.shared.lock();
        Self::take_locked(&self.shared, &mut state)
    }

    fn take_locked(shared: &Shared, state: &mut State) -> Vec<Completion> {
        let done = std::mem::take(&mut state.done);
        state.outstanding = state.outstanding.saturating_sub(done.len());
        if !done.is_empty() && state.waiting_for_room > 0 {
            shared.room.notify_all();
        }
        done
    }

    /// Like [`take_completed`](Self::take_completed), but first waits up to `wait` for a result
    /// when none is ready and some request is outstanding (not when closed).
    pub fn wait_completed(&self, wait: Duration) -> Vec<Completion> {
        let deadline = Instant::now().checked_add(wait);
        let mut state = self.shared.lock();
        while state.done.is_empty() && state.outstanding > 0 && !state.closed {
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                break;
            }
            state.waiting_for_ready += 1;
            state = match self.shared.ready.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
            state.waiting_for_ready -= 1;
        }
        Self::take_locked(&self.shared, &mut state)
    }

    /// Requests submitted and not yet returned by `take_completed`/`wait_completed`.
    pub fn pending(&self) -> usize {
        self.shared.lock().outstanding
    }

    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// Stops taking requests and stops the runtime without waiting for the network. Every
    /// unfinished request completes as cancelled (status 0, a `"connection:"` error) before this
    /// returns, so `pending()` then equals the number of results left to collect. Idempotent.
    pub fn close(&self) {
        {
            let mut state = self.shared.lock();
            state.closed = true;
            state.queues.clear();
            self.shared.room.notify_all();
            self.shared.ready.notify_all();
        }
        let stop = self
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((stop, thread)) = stop {
            let _ = stop.send(());
            // Quick: the runtime only has to drop its tasks and sockets.
            let _ = thread.join();
        }
        // Wake anybody who started waiting while the runtime was shutting down.
        let _state = self.shared.lock();
        self.shared.ready.notify_all();
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.close();
    }
}
