//! Lanes: one task per lane with its queue and its keep-alive connection, sending its requests one
//! after another, each in attempts bounded by the timeout and retried as the policy says.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::RETRY_AFTER;
use pusher_fast_core::retry::{backoff_delay, is_retryable_status, parse_retry_after};
use tokio::sync::mpsc;

use crate::connect::{Client, Connection};
use crate::failure::{Failure, FailureKind};
use crate::queue::{Completion, Request, Shared};

/// The largest response body kept; a bigger one fails the attempt (Pusher answers a few bytes).
const MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;
/// A keep-alive connection idle longer than this is closed rather than reused (httpx's
/// `keepalive_expiry`): servers close idle connections too, and a request written just as the
/// server closes cannot be told apart from one the server received and then failed on.
const IDLE_LIMIT: Duration = Duration::from_secs(5);

/// What an attempt was doing, for timeout messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Connect,
    Tunnel,
    Tls,
    Handshake,
    Response,
    Body,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "while connecting",
            Self::Tunnel => "while opening the proxy tunnel",
            Self::Tls => "during the TLS handshake",
            Self::Handshake => "while setting up the connection",
            Self::Response => "waiting for the response",
            Self::Body => "while reading the response body",
        })
    }
}

/// How one attempt ended.
enum Outcome {
    Response {
        status: u16,
        body: Bytes,
        retry_after: Option<f64>,
    },
    Failed(Failure),
}

/// One lane: a task with its queue and its keep-alive connection.
pub(crate) struct Lane {
    shared: Arc<Shared>,
    client: Arc<Client>,
    receiver: mpsc::UnboundedReceiver<Request>,
    connection: Option<Connection>,
    /// When the connection last finished a request.
    last_used: Instant,
    /// The request being sent and its attempts so far, for cancellation on drop.
    current: Option<(u64, u32)>,
    rng: u64,
}

impl Lane {
    pub(crate) fn new(
        shared: Arc<Shared>,
        client: Arc<Client>,
        receiver: mpsc::UnboundedReceiver<Request>,
        seed: u64,
    ) -> Self {
        Self {
            shared,
            client,
            receiver,
            connection: None,
            last_used: Instant::now(),
            current: None,
            rng: seed,
        }
    }

    pub(crate) async fn run(mut self) {
        while let Some(request) = self.receiver.recv().await {
            self.current = Some((request.id, 0));
            let completion = self.execute(request).await;
            self.current = None;
            self.shared.finish(completion);
        }
    }

    async fn execute(&mut self, request: Request) -> Completion {
        let client = Arc::clone(&self.client);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            self.current = Some((request.id, attempts));
            let outcome = self.attempt(&client, &request).await;
            let (retryable, retry_after) = match &outcome {
                Outcome::Failed(_) => (true, None),
                Outcome::Response {
                    status,
                    retry_after,
                    ..
                } => (is_retryable_status(*status), *retry_after),
            };
            if !retryable || attempts > client.retries {
                return match outcome {
                    Outcome::Response {
                        status,
                        body,
                        retry_after,
                    } => Completion::response(request.id, attempts, status, body, retry_after),
                    Outcome::Failed(failure) => Completion::failed(request.id, attempts, failure),
                };
            }
            let delay = backoff_delay(
                client.backoff_base,
                client.backoff_max,
                attempts - 1,
                retry_after,
                next_unit(&mut self.rng),
            );
            let delay = Duration::try_from_secs_f64(delay).unwrap_or(Duration::MAX);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
    }

    /// One attempt, bounded by the timeout; a failed or timed-out attempt drops the connection.
    async fn attempt(&mut self, client: &Client, request: &Request) -> Outcome {
        let mut phase = Phase::Connect;
        if self.last_used.elapsed() > IDLE_LIMIT {
            self.connection = None;
        }
        let result = tokio::time::timeout(
            client.timeout,
            send_once(&mut self.connection, client, request, &mut phase),
        )
        .await;
        match result {
            Ok(Ok(outcome)) => {
                self.last_used = Instant::now();
                outcome
            }
            Ok(Err(failure)) => {
                self.connection = None;
                Outcome::Failed(failure)
            }
            Err(_) => {
                self.connection = None;
                Outcome::Failed(Failure::new(
                    FailureKind::Timeout,
                    format!(
                        "timed out {phase} (timeout {}s)",
                        client.timeout.as_secs_f64()
                    ),
                ))
            }
        }
    }
}

/// Sends `request` once on the lane's connection (made first if needed), and reads the answer.
async fn send_once(
    connection: &mut Option<Connection>,
    client: &Client,
    request: &Request,
    phase: &mut Phase,
) -> Result<Outcome, Failure> {
    let mut resent = false;
    loop {
        let reused = matches!(connection, Some(sender) if !sender.is_closed());
        let sender = match connection {
            Some(sender) if reused => sender,
            _ => {
                *phase = Phase::Connect;
                connection.insert(client.connect(phase).await?)
            }
        };
        *phase = Phase::Response;
        if let Err(error) = sender.ready().await {
            *connection = None;
            if reused && !resent {
                resent = true;
                continue;
            }
            return Err(Failure::caused_by(FailureKind::Protocol, &error));
        }
        match sender.try_send_request(client.http_request(request)).await {
            Ok(response) => {
                *phase = Phase::Body;
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|value| parse_retry_after(value.as_bytes()));
                let body = Limited::new(response.into_body(), MAX_RESPONSE_BODY)
                    .collect()
                    .await
                    .map_err(|error| {
                        Failure::new(
                            FailureKind::Protocol,
                            format!("reading the response body failed: {}", &*error),
                        )
                    })?
                    .to_bytes();
                return Ok(Outcome::Response {
                    status,
                    body,
                    retry_after,
                });
            }
            Err(mut error) => {
                *connection = None;
                // Handed back: it never left, so a fresh connection may carry it.
                if reused && !resent && error.take_message().is_some() {
                    resent = true;
                    continue;
                }
                return Err(Failure::caused_by(
                    FailureKind::Protocol,
                    &error.into_error(),
                ));
            }
        }
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        // The runtime is going away (close or drop): whatever this lane still holds is cancelled.
        let closed = || {
            Failure::new(
                FailureKind::Closed,
                "sender closed before the request completed",
            )
        };
        let mut cancelled = Vec::new();
        if let Some((id, attempts)) = self.current.take() {
            cancelled.push(Completion::failed(id, attempts, closed()));
        }
        self.receiver.close();
        while let Ok(request) = self.receiver.try_recv() {
            cancelled.push(Completion::failed(request.id, 0, closed()));
        }
        self.shared.finish_all(cancelled);
    }
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
