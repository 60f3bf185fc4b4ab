//! How the runtime sends: a request in attempts bounded by the deadline and retried as the policy
//! says, over a connection from an ordered lane (one connection, requests one after another) or
//! from the pool (any idle connection, most recently used first, at most `lanes` at once).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pusher_fast_core::retry::{backoff_delay, is_retryable_status};
use rustls::ClientConfig;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use crate::connect::{connect, exchange, Connection, ExchangeError};
use crate::failure::{Failure, FailureKind, Phase};
use crate::http1::Response;
use crate::queue::{Completion, CompletionQueue, Request};
use crate::route::Route;

/// A keep-alive connection idle longer than this is closed rather than reused (httpx's
/// `keepalive_expiry`): servers close idle connections too, and a request written just as the
/// server closes cannot be told apart from one the server received and then failed on.
const IDLE_LIMIT: Duration = Duration::from_secs(5);
/// A connection idle longer than this is checked for a close by the server before reuse.
const CHECK_AFTER: Duration = Duration::from_millis(250);

/// What every worker of a sender shares and never changes.
pub(crate) struct Settings {
    pub(crate) route: Route,
    pub(crate) tls: Option<Arc<ClientConfig>>,
    pub(crate) timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) retries: u32,
    pub(crate) backoff_base: f64,
    pub(crate) backoff_max: f64,
}

/// Requests cancelled by their caller before they were started.
#[derive(Default)]
pub(crate) struct Cancelled(Mutex<HashSet<u64>>);

impl Cancelled {
    pub(crate) fn add(&self, id: u64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
    }

    /// Whether `id` was cancelled (and forgets it).
    pub(crate) fn take(&self, id: u64) -> bool {
        let mut ids = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        !ids.is_empty() && ids.remove(&id)
    }
}

/// Where an attempt takes its connection from and gives it back to.
trait Connections {
    /// A connection to reuse, or `None` to make a new one; may wait for room (a pool's limit).
    async fn take(&mut self) -> Option<Connection>;
    /// The connection after the attempt, if it may carry another request; frees the room.
    fn give_back(&mut self, connection: Option<Connection>);
}

/// A request being sent, so that it completes as closed if the runtime goes away first.
pub(crate) struct InFlight {
    id: u64,
    attempts: u32,
    sink: Arc<CompletionQueue>,
    done: bool,
}

impl InFlight {
    pub(crate) fn new(request: &Request) -> Self {
        Self {
            id: request.id,
            attempts: 0,
            sink: Arc::clone(&request.sink),
            done: false,
        }
    }

    /// Completes nothing when dropped (the caller was told the request was refused).
    pub(crate) fn forget(&mut self) {
        self.done = true;
    }

    fn complete(&mut self, completion: Completion) {
        self.done = true;
        self.sink.push(completion);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // The runtime is going away (close or drop) before the request finished.
        if !self.done {
            self.sink
                .push(Completion::failed(self.id, self.attempts, closed_failure()));
        }
    }
}

pub(crate) fn closed_failure() -> Failure {
    Failure::new(
        FailureKind::Closed,
        "the client was closed before the request completed",
    )
}

// -- Ordered lanes. ---------------------------------------------------------------------------

/// One lane: a task with its queue and its keep-alive connection.
pub(crate) struct Lane {
    settings: Arc<Settings>,
    receiver: mpsc::UnboundedReceiver<Request>,
    connection: Option<Connection>,
    rng: u64,
}

impl Connections for Option<Connection> {
    async fn take(&mut self) -> Option<Connection> {
        Option::take(self)
    }

    fn give_back(&mut self, connection: Option<Connection>) {
        *self = connection;
    }
}

impl Lane {
    pub(crate) fn new(
        settings: Arc<Settings>,
        receiver: mpsc::UnboundedReceiver<Request>,
        seed: u64,
    ) -> Self {
        Self {
            settings,
            receiver,
            connection: None,
            rng: seed,
        }
    }

    pub(crate) async fn run(mut self) {
        while let Some(mut request) = self.receiver.recv().await {
            let mut in_flight = InFlight::new(&request);
            if let Err(failure) = request.make_ready(&self.settings.route) {
                in_flight.complete(Completion::failed(request.id, 0, failure));
                continue;
            }
            let settings = Arc::clone(&self.settings);
            let completion = execute(
                &settings,
                &request,
                &mut self.connection,
                &mut self.rng,
                &mut in_flight,
            )
            .await;
            in_flight.complete(completion);
        }
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        // The runtime is going away: what this lane has not started completes as closed.
        self.receiver.close();
        while let Ok(request) = self.receiver.try_recv() {
            drop(InFlight::new(&request));
        }
    }
}

// -- The pool. --------------------------------------------------------------------------------

/// Idle connections (most recently used on top) and room for at most `lanes` in use.
pub(crate) struct Pool {
    settings: Arc<Settings>,
    idle: Mutex<Vec<Connection>>,
    room: Arc<Semaphore>,
    cancelled: Arc<Cancelled>,
}

impl Pool {
    pub(crate) fn new(settings: Arc<Settings>, lanes: usize, cancelled: Arc<Cancelled>) -> Self {
        Self {
            settings,
            idle: Mutex::new(Vec::new()),
            room: Arc::new(Semaphore::new(lanes)),
            cancelled,
        }
    }

    /// Starts a task for every request of every batch submitted, until the sender goes away.
    pub(crate) async fn dispatch(
        self: Arc<Self>,
        mut batches: mpsc::UnboundedReceiver<Vec<(Request, InFlight)>>,
        seed: u64,
    ) {
        let mut seed = seed;
        while let Some(batch) = batches.recv().await {
            for (request, in_flight) in batch {
                seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                tokio::spawn(Arc::clone(&self).send(request, in_flight, seed));
            }
        }
    }

    /// Sends one request: a task of its own, spawned when the request is submitted. The
    /// `in_flight` guard is made before the task, so that a task dropped before it first ran
    /// still completes its request as closed.
    pub(crate) async fn send(
        self: Arc<Self>,
        request: Request,
        mut in_flight: InFlight,
        seed: u64,
    ) {
        if self.cancelled.take(request.id) {
            in_flight.done = true;
            return;
        }
        let mut rng = seed;
        let mut connections = PoolConnections {
            pool: &self,
            permit: None,
        };
        let completion = execute(
            &self.settings,
            &request,
            &mut connections,
            &mut rng,
            &mut in_flight,
        )
        .await;
        in_flight.complete(completion);
    }
}

struct PoolConnections<'a> {
    pool: &'a Pool,
    permit: Option<OwnedSemaphorePermit>,
}

impl Connections for PoolConnections<'_> {
    async fn take(&mut self) -> Option<Connection> {
        if self.permit.is_none() {
            // The semaphore is never closed, so acquiring only waits.
            self.permit = Arc::clone(&self.pool.room).acquire_owned().await.ok();
        }
        self.pool
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn give_back(&mut self, connection: Option<Connection>) {
        if let Some(connection) = connection {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
        self.permit = None;
    }
}

// -- Attempts and retries, for both. ----------------------------------------------------------

async fn execute(
    settings: &Settings,
    request: &Request,
    connections: &mut impl Connections,
    rng: &mut u64,
    in_flight: &mut InFlight,
) -> Completion {
    let mut attempts = 0u32;
    let mut deadline = request
        .deadline
        .unwrap_or_else(|| Instant::now() + settings.timeout);
    loop {
        attempts += 1;
        in_flight.attempts = attempts;
        let outcome = attempt(settings, request, connections, deadline).await;
        let (retryable, retry_after) = match &outcome {
            Ok(response) => (is_retryable_status(response.status), response.retry_after),
            Err(failure) if failure.kind == FailureKind::BodyTooLarge => {
                (is_retryable_status(failure.status), None)
            }
            Err(_) => (true, None),
        };
        if !retryable || attempts > settings.retries {
            return match outcome {
                Ok(response) => Completion::response(
                    request.id,
                    attempts,
                    response.status,
                    response.body,
                    response.retry_after,
                ),
                Err(failure) => {
                    let status = failure.status;
                    let mut completion = Completion::failed(request.id, attempts, failure);
                    completion.status = status;
                    completion
                }
            };
        }
        let delay = backoff_delay(
            settings.backoff_base,
            settings.backoff_max,
            attempts - 1,
            retry_after,
            next_unit(rng),
        );
        let delay = Duration::try_from_secs_f64(delay).unwrap_or(Duration::MAX);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // A retry gets a fresh timeout after its backoff.
        deadline = Instant::now() + settings.timeout;
    }
}

/// One attempt, over by `deadline` (waiting for room in a pool included); a failed or timed-out
/// attempt drops its connection.
async fn attempt(
    settings: &Settings,
    request: &Request,
    connections: &mut impl Connections,
    deadline: Instant,
) -> Result<Response, Failure> {
    if Instant::now() >= deadline {
        return Err(Failure::timed_out(Phase::Queued, settings.timeout));
    }
    let mut phase = Phase::Queued;
    let outcome = tokio::time::timeout_at(deadline.into(), async {
        let connection = connections.take().await;
        let (result, connection) = send_on(connection, settings, request, &mut phase).await;
        connections.give_back(connection);
        result
    })
    .await;
    outcome.unwrap_or_else(|_| {
        connections.give_back(None);
        Err(Failure::timed_out(phase, settings.timeout))
    })
}

/// Sends `request` on `connection` (or a new one) and reads the answer; hands back the
/// connection when it may carry another request.
async fn send_on(
    mut connection: Option<Connection>,
    settings: &Settings,
    request: &Request,
    phase: &mut Phase,
) -> (Result<Response, Failure>, Option<Connection>) {
    let authority = &settings.route.target.authority;
    let mut resent = false;
    loop {
        let reused = connection.as_ref().is_some_and(is_fresh);
        let mut current = match connection.take() {
            Some(kept) if reused => kept,
            _ => match connect(&settings.route, settings.tls.as_ref(), phase).await {
                Ok(made) => made,
                Err(failure) => return (Err(failure), None),
            },
        };
        match exchange(
            &mut current,
            request.bytes(),
            settings.max_body,
            authority,
            phase,
        )
        .await
        {
            Ok(response) => {
                let kept = response.reusable.then_some(current);
                return (Ok(response), kept);
            }
            Err(ExchangeError::ClosedUnanswered) if reused && !resent && request.idempotent => {
                resent = true;
            }
            Err(ExchangeError::ClosedUnanswered) => {
                let failure = Failure::new(
                    FailureKind::Protocol,
                    format!("{authority} closed the connection without answering"),
                );
                return (Err(failure), None);
            }
            Err(ExchangeError::Failed(failure)) => return (Err(failure), None),
        }
    }
}

/// Whether a kept connection may carry another request: not idle too long, and (after a pause)
/// still open.
fn is_fresh(connection: &Connection) -> bool {
    let idle = connection.last_used.elapsed();
    idle <= IDLE_LIMIT && (idle <= CHECK_AFTER || connection.still_open())
}

/// splitmix64 step: a uniform float in [0, 1).
fn next_unit(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::next_unit;

    #[test]
    fn jitter_units_are_in_the_unit_interval() {
        let mut rng = 42;
        for _ in 0..10_000 {
            let unit = next_unit(&mut rng);
            assert!((0.0..1.0).contains(&unit));
        }
    }
}
