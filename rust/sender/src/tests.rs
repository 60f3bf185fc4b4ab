//! The runtime-thread `Sender` (lanes and pools) over real sockets, against the scripted server of
//! `test_server`; the blocking call client is tested in `call_tests`.

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::connect::{tcp_connect, tunnel, Io};
use crate::proxy::Proxy;
use crate::test_server::{ok, status, Reply, TestServer};
use crate::{
    Completion, CompletionQueue, FailureKind, LaterRequest, Options, ProxyChoice, Sender,
    SenderError, MAX_LANES,
};

// -- Helpers. --------------------------------------------------------------------------------

pub(crate) const TARGET: &str = "/apps/1/events?auth_key=k";

fn options(lanes: usize) -> Options {
    Options {
        lanes,
        timeout: Duration::from_secs(5),
        headers: vec![("Content-Type".into(), "application/json".into())],
        backoff_base: 0.001,
        backoff_max: 0.05,
        ..Options::new()
    }
}

fn pool(lanes: usize) -> Options {
    Options {
        ordered: false,
        ..options(lanes)
    }
}

/// Submits `body` on `lane` of `sender`, its completion going to `queue`.
fn post(sender: &Sender, queue: &Arc<CompletionQueue>, id: u64, lane: Option<usize>, body: &str) {
    sender
        .submit(id, lane, "POST", TARGET, body.as_bytes(), queue)
        .unwrap();
}

/// Waits for `count` results (at most 10 s), sorted by id.
fn collect(queue: &CompletionQueue, count: usize) -> Vec<Completion> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut all = Vec::new();
    while all.len() < count && Instant::now() < deadline {
        all.extend(queue.wait(Duration::from_millis(100)));
    }
    all.sort_by_key(|completion| completion.id);
    all
}

#[test]
fn options_are_checked() {
    let bad = [
        Options {
            lanes: 0,
            ..Options::new()
        },
        Options {
            lanes: MAX_LANES + 1,
            ..Options::new()
        },
        Options {
            timeout: Duration::ZERO,
            ..Options::new()
        },
        Options {
            backoff_base: f64::NAN,
            ..Options::new()
        },
        Options {
            backoff_max: -1.0,
            ..Options::new()
        },
        Options {
            headers: vec![("bad name".into(), "x".into())],
            ..Options::new()
        },
        Options {
            headers: vec![("X-Ok".into(), "line\nbreak".into())],
            ..Options::new()
        },
        Options {
            proxy: ProxyChoice::Url("socks5://proxy:1080".into()),
            ..Options::new()
        },
        Options {
            proxy: ProxyChoice::Url("http://".into()),
            ..Options::new()
        },
    ];
    for options in bad {
        let described = format!("{options:?}");
        let error = Sender::new("http://127.0.0.1:1", options).unwrap_err();
        assert!(
            matches!(error, SenderError::InvalidArgument(_)),
            "{described}: {error:?}"
        );
    }
    // https without a TLS configuration.
    let error = Sender::new("https://127.0.0.1:1", Options::new()).unwrap_err();
    assert!(error.to_string().contains("TLS"), "{error}");
    let sender = Sender::new("http://127.0.0.1:1", options(2)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    for (method, target) in [("PO ST", "/x"), ("POST", "apps"), ("POST", "/a b")] {
        let error = sender
            .submit(1, Some(0), method, target, b"", &queue)
            .unwrap_err();
        assert!(matches!(error, SenderError::InvalidArgument(_)), "{error}");
    }
    let error = sender
        .submit(1, Some(2), "POST", "/x", b"", &queue)
        .unwrap_err();
    assert!(error.to_string().contains("out of range"), "{error}");
    let error = sender
        .submit(1, None, "POST", "/x", b"", &queue)
        .unwrap_err();
    assert!(error.to_string().contains("needs a lane"), "{error}");
    let pooled = Sender::new("http://127.0.0.1:1", pool(2)).unwrap();
    let error = pooled
        .submit(1, Some(0), "POST", "/x", b"", &queue)
        .unwrap_err();
    assert!(error.to_string().contains("takes no lane"), "{error}");
}

#[test]
fn credentials_in_the_base_url_are_refused() {
    let error = Sender::new("http://user:pw@example.com", Options::new()).unwrap_err();
    assert!(error.to_string().contains("credentials"), "{error}");
    assert!(!error.to_string().contains("pw"), "{error}");
}

#[test]
fn a_bad_proxy_variable_is_named() {
    let env = |name: &str| (name == "HTTP_PROXY").then(|| "socks5://p:1".to_owned());
    let sender = Sender::with_env(
        "http://api-eu.pusher.com",
        Options {
            proxy: ProxyChoice::FromEnv,
            ..Options::new()
        },
        &env,
    );
    let error = sender.unwrap_err().to_string();
    assert!(
        error.contains("$HTTP_PROXY") && error.contains("unsupported scheme"),
        "{error}"
    );
}

// -- The sender, over the network. -----------------------------------------------------------

#[test]
fn delivers_and_keeps_one_connection_per_lane() {
    let server = TestServer::start(|_, _| Reply::Respond {
        status: 200,
        headers: vec![("Retry-After", "1".into())],
        body: "{\"ok\":1}".into(),
        delay: Duration::ZERO,
    });
    let sender = Sender::new(&server.url(), options(2)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    for id in 0..20 {
        post(
            &sender,
            &queue,
            id,
            Some((id % 2) as usize),
            &format!("body-{id}"),
        );
    }
    let done = collect(&queue, 20);
    assert_eq!(done.len(), 20);
    for completion in &done {
        assert_eq!(completion.status, 200);
        assert_eq!(&completion.body[..], b"{\"ok\":1}");
        assert_eq!((&completion.failure, completion.attempts), (&None, 1));
        // The final response's Retry-After travels with the result.
        assert_eq!(completion.retry_after, Some(1.0));
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 20);
    let connections: std::collections::BTreeSet<_> = seen.iter().map(|s| s.connection).collect();
    assert_eq!(connections.len(), 2, "one keep-alive connection per lane");
    let first = &seen[0];
    assert_eq!(first.request_line, format!("POST {TARGET} HTTP/1.1"));
    assert_eq!(first.header("host"), Some(server.addr.to_string().as_str()));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(first.body.starts_with(b"body-"));
}

/// A request made later: its target names the thread that made it.
struct MadeOnRuntime {
    target: &'static str,
    body: Vec<u8>,
}

impl LaterRequest for MadeOnRuntime {
    fn target(&self) -> String {
        let thread = std::thread::current().name().unwrap_or_default().to_owned();
        format!("{}{thread}", self.target)
    }

    fn body(&self) -> &[u8] {
        &self.body
    }
}

#[test]
fn later_requests_are_made_on_the_runtime_thread_in_lane_order() {
    let server = TestServer::start(|_, _| ok());
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    let later = |target: &'static str, body: &str| {
        Box::new(MadeOnRuntime {
            target,
            body: body.as_bytes().to_vec(),
        })
    };
    post(&sender, &queue, 0, Some(0), "ready-0");
    sender
        .submit_later(1, 0, "POST", later("/made?by=", "later-1"), &queue)
        .unwrap();
    post(&sender, &queue, 2, Some(0), "ready-2");
    // A made target the route refuses fails that request alone.
    sender
        .submit_later(3, 0, "POST", later("no-slash?by=", "later-3"), &queue)
        .unwrap();
    post(&sender, &queue, 4, Some(0), "ready-4");
    let done = collect(&queue, 5);
    let statuses: Vec<u16> = done.iter().map(|completion| completion.status).collect();
    assert_eq!(statuses, [200, 200, 200, 0, 200]);
    let failure = done[3].failure.as_ref().unwrap();
    assert_eq!((failure.kind, done[3].attempts), (FailureKind::Protocol, 0));
    assert!(
        failure.message.contains("must start with '/'"),
        "{failure:?}"
    );
    let seen = server.seen();
    let bodies: Vec<&[u8]> = seen.iter().map(|request| &request.body[..]).collect();
    assert_eq!(
        bodies,
        [&b"ready-0"[..], b"later-1", b"ready-2", b"ready-4"]
    );
    assert_eq!(
        seen[1].request_line,
        "POST /made?by=pusher-fast-sender HTTP/1.1"
    );

    let pooled = Sender::new(&server.url(), pool(1)).unwrap();
    let refused = pooled.submit_later(5, 0, "POST", later("/x", ""), &queue);
    assert!(
        matches!(refused, Err(SenderError::InvalidArgument(_))),
        "{refused:?}"
    );
}

#[test]
fn keeps_order_within_a_lane_and_runs_lanes_concurrently() {
    let server = TestServer::start(|number, _| Reply::Respond {
        status: 200,
        headers: Vec::new(),
        body: "{}".into(),
        delay: Duration::from_millis((number % 3) as u64 * 2),
    });
    let lanes = 4;
    let sender = Sender::new(&server.url(), options(lanes)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    for id in 0..100u64 {
        let lane = (id % lanes as u64) as usize;
        post(&sender, &queue, id, Some(lane), &format!("{lane}:{id}"));
    }
    assert_eq!(collect(&queue, 100).len(), 100);
    let seen = server.seen();
    for lane in 0..lanes {
        let ids: Vec<u64> = seen
            .iter()
            .map(|s| String::from_utf8(s.body.clone()).unwrap())
            .filter(|body| body.starts_with(&format!("{lane}:")))
            .map(|body| body.split(':').nth(1).unwrap().parse().unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "lane {lane} out of order");
        assert_eq!(ids.len(), 25);
    }
    assert!(server.max_active.load(Ordering::SeqCst) >= 2);

    // Slow answers: 8 lanes overlap, one lane does not.
    let server = TestServer::start(|_, _| Reply::Respond {
        status: 200,
        headers: Vec::new(),
        body: "{}".into(),
        delay: Duration::from_millis(300),
    });
    let sender = Sender::new(&server.url(), options(8)).unwrap();
    let started = Instant::now();
    for id in 0..8 {
        post(&sender, &queue, id, Some(id as usize), "x");
    }
    assert_eq!(collect(&queue, 8).len(), 8);
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.max_active.load(Ordering::SeqCst), 8);
    let started = Instant::now();
    for id in 0..3 {
        post(&sender, &queue, id, Some(0), "x");
    }
    assert_eq!(collect(&queue, 3).len(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_pool_uses_any_free_worker_and_counts_queueing_against_the_deadline() {
    // Two workers, six slow requests: three rounds, and the last ones time out while queued.
    let server = TestServer::start(|_, _| Reply::Respond {
        status: 200,
        headers: Vec::new(),
        body: "{}".into(),
        delay: Duration::from_millis(250),
    });
    let sender = Sender::new(
        &server.url(),
        Options {
            timeout: Duration::from_millis(600),
            ..pool(2)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    let started = Instant::now();
    for id in 0..6 {
        post(&sender, &queue, id, None, "x");
    }
    let done = collect(&queue, 6);
    let ok = done.iter().filter(|c| c.status == 200).count();
    let timed_out: Vec<_> = done
        .iter()
        .filter_map(|c| c.failure.as_ref())
        .filter(|f| f.kind == FailureKind::Timeout)
        .collect();
    assert_eq!((ok, timed_out.len()), (4, 2), "{done:?}");
    assert!(
        timed_out[0].message.contains("queued") || timed_out[0].message.contains("waiting"),
        "{}",
        timed_out[0]
    );
    // Nobody waited past the deadline (plus scheduling slack).
    assert!(
        started.elapsed() < Duration::from_millis(1100),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cancelled_requests_are_not_sent() {
    let server = TestServer::start(|_, _| Reply::Respond {
        status: 200,
        headers: Vec::new(),
        body: "{}".into(),
        delay: Duration::from_millis(100),
    });
    let sender = Sender::new(&server.url(), pool(1)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, None, "first");
    post(&sender, &queue, 2, None, "second");
    sender.cancel(2);
    post(&sender, &queue, 3, None, "third");
    let done = collect(&queue, 2);
    assert_eq!(done.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 3]);
    assert!(queue.wait(Duration::from_millis(200)).is_empty());
    let bodies: Vec<_> = server.seen().iter().map(|s| s.body.clone()).collect();
    assert_eq!(bodies, [&b"first"[..], b"third"]);
}

#[test]
fn retries_5xx_then_succeeds_in_order() {
    let server = TestServer::start(|number, _| if number < 2 { status(503) } else { ok() });
    let sender = Sender::new(
        &server.url(),
        Options {
            retries: 3,
            ..options(1)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, Some(0), "first");
    post(&sender, &queue, 2, Some(0), "second");
    let done = collect(&queue, 2);
    assert_eq!((done[0].status, done[0].attempts), (200, 3));
    assert_eq!((done[1].status, done[1].attempts), (200, 1));
    let bodies: Vec<_> = server.seen().iter().map(|s| s.body.clone()).collect();
    assert_eq!(bodies, [&b"first"[..], b"first", b"first", b"second"]);
}

#[test]
fn gives_up_after_the_last_retry_and_never_retries_4xx() {
    let server = TestServer::start(|_, seen| {
        if seen.body == b"bad" {
            status(400)
        } else {
            status(500)
        }
    });
    let sender = Sender::new(
        &server.url(),
        Options {
            retries: 2,
            ..options(2)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, Some(0), "bad");
    post(&sender, &queue, 2, Some(1), "boom");
    let done = collect(&queue, 2);
    assert_eq!((done[0].status, done[0].attempts), (400, 1));
    assert_eq!((done[1].status, done[1].attempts), (500, 3));
    assert_eq!(&done[1].body[..], b"{}");
    // Without retries nothing is repeated.
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    post(&sender, &queue, 3, Some(0), "boom");
    assert_eq!(collect(&queue, 1)[0].attempts, 1);
}

#[test]
fn retry_after_of_any_retryable_status_is_honoured() {
    for status in [429, 500] {
        let server = TestServer::start(move |number, _| {
            if number == 0 {
                Reply::Respond {
                    status,
                    headers: vec![("Retry-After", "0.3".into())],
                    body: "slow down".into(),
                    delay: Duration::ZERO,
                }
            } else {
                ok()
            }
        });
        let sender = Sender::new(
            &server.url(),
            Options {
                retries: 1,
                backoff_max: 1.0,
                ..options(1)
            },
        )
        .unwrap();
        let queue = Arc::new(CompletionQueue::new());
        post(&sender, &queue, 1, Some(0), "x");
        let done = collect(&queue, 1);
        assert_eq!((done[0].status, done[0].attempts), (200, 2), "{status}");
        let seen = server.seen();
        let gap = seen[1].at - seen[0].at;
        assert!(gap >= Duration::from_millis(290), "{status}: {gap:?}");
    }
}

#[test]
fn a_2xx_over_the_body_cap_is_neither_kept_nor_retried() {
    let big = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    let server = TestServer::start(move |_, _| Reply::Raw(big.clone().into_bytes()));
    let sender = Sender::new(
        &server.url(),
        Options {
            retries: 3,
            max_body: 1024 * 1024,
            ..options(1)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, Some(0), "x");
    let done = collect(&queue, 1);
    let failure = done[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, FailureKind::BodyTooLarge, "{failure}");
    assert_eq!((done[0].status, done[0].attempts), (200, 1));
    assert!(done[0].body.is_empty());
    assert_eq!(server.seen().len(), 1, "a 2xx is never sent again");
}

#[test]
fn refused_connections_report_status_0() {
    let sender = Sender::new(
        &format!("http://127.0.0.1:{}", closed_port()),
        Options {
            retries: 2,
            ..options(1)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 7, Some(0), "x");
    let done = collect(&queue, 1);
    assert_eq!((done[0].id, done[0].status, done[0].attempts), (7, 0, 3));
    let failure = done[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, FailureKind::Connect);
    assert!(
        failure.message.starts_with("connection refused"),
        "{failure}"
    );
}

/// A port nothing listens on.
pub(crate) fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn failures_say_what_went_wrong() {
    // A peer that does not speak HTTP.
    let server = TestServer::start(|_, _| Reply::Raw(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()));
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, Some(0), "x");
    let failure = collect(&queue, 1)[0].failure.clone().unwrap();
    assert_eq!(failure.kind, FailureKind::Protocol, "{failure}");

    // A proxy nobody answers at: its address is named, its credentials are not.
    let sender = Sender::new(
        "http://example.invalid",
        Options {
            proxy: ProxyChoice::Url(format!("http://user:hunter2@127.0.0.1:{}", closed_port())),
            ..options(1)
        },
    )
    .unwrap();
    post(&sender, &queue, 2, Some(0), "x");
    let failure = collect(&queue, 1)[0].failure.clone().unwrap();
    assert_eq!(failure.kind, FailureKind::Proxy, "{failure}");
    assert!(failure.message.starts_with("proxy 127.0.0.1:"), "{failure}");
    assert!(!failure.message.contains("hunter2"), "{failure}");
}

#[test]
fn an_unanswered_request_times_out_and_the_lane_moves_on() {
    let server = TestServer::start(|number, _| if number == 0 { Reply::Hang } else { ok() });
    let sender = Sender::new(
        &server.url(),
        Options {
            timeout: Duration::from_millis(200),
            ..options(1)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    let started = Instant::now();
    post(&sender, &queue, 1, Some(0), "x");
    post(&sender, &queue, 2, Some(0), "y");
    let done = collect(&queue, 2);
    let failure = done[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert!(
        failure
            .message
            .starts_with("timed out waiting for the response"),
        "{failure}"
    );
    assert_eq!(done[0].status, 0);
    // The lane's clock starts when it takes a request: the second one gets its own timeout, on
    // a new connection.
    assert_eq!(done[1].status, 200);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(190) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    let seen = server.seen();
    assert_ne!(seen[0].connection, seen[1].connection);
}

#[test]
fn reconnects_after_the_server_closes() {
    // Announced with `Connection: close`: back to back requests each get a new connection.
    let server = TestServer::start(|_, _| Reply::RespondAndClose(200));
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    for id in 0..5 {
        post(&sender, &queue, id, Some(0), "x");
    }
    let done = collect(&queue, 5);
    assert!(
        done.iter().all(|c| (c.status, c.attempts) == (200, 1)),
        "{done:?}"
    );
    let seen = server.seen();
    assert_eq!(
        seen.iter()
            .map(|s| s.connection)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        5
    );
    // Unannounced, on an idle connection: noticed before the next request goes out.
    let server = TestServer::start(|_, _| Reply::RespondThenDropIdle(200));
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    for id in 0..3 {
        post(&sender, &queue, id, Some(0), "x");
        let done = collect(&queue, 1);
        assert_eq!((done[0].status, done[0].attempts), (200, 1), "{done:?}");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn close_cancels_what_is_unfinished_and_refuses_more() {
    let server = TestServer::start(|_, _| Reply::Hang);
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    for id in 0..3 {
        post(&sender, &queue, id, Some(0), "x");
    }
    while server.seen().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    sender.close();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(sender.is_closed());
    let mut done = queue.take();
    done.sort_by_key(|completion| completion.id);
    let attempts: Vec<_> = done.iter().map(|c| (c.id, c.status, c.attempts)).collect();
    assert_eq!(attempts, [(0, 0, 1), (1, 0, 0), (2, 0, 0)]);
    for completion in &done {
        let failure = completion.failure.as_ref().unwrap();
        assert_eq!(failure.kind, FailureKind::Closed);
        assert!(failure.message.contains("closed"), "{failure}");
    }
    assert_eq!(
        sender
            .submit(9, Some(0), "POST", TARGET, b"x", &queue)
            .unwrap_err(),
        SenderError::Closed
    );
    sender.close();
    assert!(queue.wait(Duration::from_millis(100)).is_empty());
}

#[test]
fn dropping_without_close_stops_the_thread() {
    let server = TestServer::start(|_, _| Reply::Hang);
    let sender = Sender::new(&server.url(), options(4)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, Some(0), "x");
    let started = Instant::now();
    drop(sender);
    assert!(started.elapsed() < Duration::from_secs(1));
    let done = queue.take();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].failure.as_ref().unwrap().kind, FailureKind::Closed);
}

#[cfg(unix)]
#[test]
fn the_wake_descriptor_is_readable_exactly_while_completions_wait() {
    use std::os::fd::RawFd;
    fn readable(fd: RawFd) -> bool {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: polls one valid pollfd without waiting.
        unsafe { libc::poll(&mut poll, 1, 0) == 1 }
    }
    let server = TestServer::start(|_, _| ok());
    let sender = Sender::new(&server.url(), pool(2)).unwrap();
    let queue = Arc::new(CompletionQueue::new());
    let fd = queue.wake_fd().unwrap();
    assert!(!readable(fd));
    post(&sender, &queue, 1, None, "x");
    let started = Instant::now();
    while !readable(fd) && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(readable(fd));
    assert_eq!(queue.take().len(), 1);
    assert!(!readable(fd), "taking drains the wake-up");
    // Completions that arrived before anybody asked for the descriptor still wake.
    let late = Arc::new(CompletionQueue::new());
    post(&sender, &late, 2, None, "x");
    while late.wait(Duration::from_millis(10)).is_empty() {}
    post(&sender, &late, 3, None, "x");
    std::thread::sleep(Duration::from_millis(200));
    assert!(readable(late.wake_fd().unwrap()));
}

#[test]
fn a_forward_proxy_gets_absolute_targets_and_credentials() {
    let proxy = TestServer::start(|_, _| ok());
    let sender = Sender::new(
        "http://example.invalid:8080",
        Options {
            proxy: ProxyChoice::Url(format!("http://user:pw@{}", proxy.addr)),
            ..options(1)
        },
    )
    .unwrap();
    let queue = Arc::new(CompletionQueue::new());
    post(&sender, &queue, 1, Some(0), "x");
    assert_eq!(collect(&queue, 1)[0].status, 200);
    let seen = proxy.seen();
    assert_eq!(
        seen[0].request_line,
        format!("POST http://example.invalid:8080{TARGET} HTTP/1.1")
    );
    assert_eq!(seen[0].header("host"), Some("example.invalid:8080"));
    let credentials = base64::engine::general_purpose::STANDARD.encode("user:pw");
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some(format!("Basic {credentials}").as_str())
    );
}

#[test]
fn connect_tunnels_are_opened_and_refusals_reported() {
    let proxy = TestServer::start(|_, seen| {
        if seen.request_line.contains("good") {
            ok()
        } else {
            status(407)
        }
    });
    let parsed = Proxy::parse(&format!("http://u:p@{}", proxy.addr), "proxy URL").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tcp = tcp_connect(&parsed.endpoint).await.unwrap();
        let mut io: Box<dyn Io> = Box::new(tcp);
        tunnel(&mut io, "good.example:443", &parsed).await.unwrap();
        let tcp = tcp_connect(&parsed.endpoint).await.unwrap();
        let mut io: Box<dyn Io> = Box::new(tcp);
        let failure = tunnel(&mut io, "bad.example:443", &parsed)
            .await
            .unwrap_err();
        assert_eq!(failure.kind, FailureKind::Proxy);
        let message = &failure.message;
        assert!(
            message.contains("proxy refused CONNECT to bad.example:443") && message.contains("407"),
            "{message}"
        );
        assert!(!message.contains("Basic"), "{message}");
    });
    let seen = proxy.seen();
    assert_eq!(seen[0].request_line, "CONNECT good.example:443 HTTP/1.1");
    assert_eq!(seen[0].header("host"), Some("good.example:443"));
    assert!(seen[0]
        .header("proxy-authorization")
        .unwrap()
        .starts_with("Basic "));
}
