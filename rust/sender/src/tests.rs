//! The sender over real sockets, against the scripted server of `test_server`.

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;

use crate::connect::{tcp_connect, Io};
use crate::proxy::{tunnel, Proxy};
use crate::test_server::{ok, status, Reply, TestServer};
use crate::{
    Completion, FailureKind, Options, ProxyChoice, Request, Sender, SenderError, MAX_LANES,
};

// -- Helpers. --------------------------------------------------------------------------------

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

fn post(id: u64, lane: usize, body: &str) -> Request {
    Request::new(
        id,
        lane,
        "POST",
        "/apps/1/events?auth_key=k",
        Bytes::from(body.to_owned()),
    )
    .unwrap()
}

/// Waits for `count` results (at most 10 s).
fn collect(sender: &Sender, count: usize) -> Vec<Completion> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut all = Vec::new();
    while all.len() < count && Instant::now() < deadline {
        all.extend(sender.wait_completed(Duration::from_millis(100)));
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
            max_queued: 0,
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
    let error = Request::new(1, 0, "PO ST", "/x", Bytes::new()).unwrap_err();
    assert!(matches!(error, SenderError::InvalidArgument(_)));
    let error = Request::new(1, 0, "POST", "apps", Bytes::new()).unwrap_err();
    assert!(matches!(error, SenderError::InvalidArgument(_)));
    let error = Request::new(1, 0, "POST", "/a b", Bytes::new()).unwrap_err();
    assert!(matches!(error, SenderError::InvalidArgument(_)));
    let sender = Sender::new("http://127.0.0.1:1", options(2)).unwrap();
    let error = sender.try_submit(post(1, 2, "")).unwrap_err();
    assert!(error.to_string().contains("out of range"), "{error}");
}

#[test]
fn credentials_in_the_base_url_are_refused() {
    let error = Sender::new("http://user:pw@example.com", Options::new()).unwrap_err();
    assert!(error.to_string().contains("credentials"), "{error}");
    assert!(!error.to_string().contains("pw"), "{error}");
}

#[test]
fn a_bad_proxy_variable_is_named() {
    let env = |name: &str| (name == "HTTPS_PROXY").then(|| "socks5://p:1".to_owned());
    let sender = Sender::with_env(
        "https://api-eu.pusher.com",
        Options {
            proxy: ProxyChoice::FromEnv,
            ..Options::new()
        },
        &env,
    );
    let error = sender.unwrap_err().to_string();
    assert!(
        error.contains("$HTTPS_PROXY") && error.contains("unsupported scheme"),
        "{error}"
    );
}

// -- Over the network. -----------------------------------------------------------------------

#[test]
fn delivers_and_keeps_one_connection_per_lane() {
    let server = TestServer::start(|_, _| Reply::Respond {
        status: 200,
        headers: vec![("Retry-After", "1".into())],
        body: "{\"ok\":1}".into(),
        delay: Duration::ZERO,
    });
    let sender = Sender::new(&server.url(), options(2)).unwrap();
    for id in 0..20 {
        sender
            .submit(post(id, (id % 2) as usize, &format!("body-{id}")))
            .unwrap();
    }
    let done = collect(&sender, 20);
    assert_eq!(done.len(), 20);
    for completion in &done {
        assert_eq!(completion.status, 200);
        assert_eq!(&completion.body[..], b"{\"ok\":1}");
        assert_eq!((&completion.failure, completion.attempts), (&None, 1));
        // The final response's Retry-After travels with the result.
        assert_eq!(completion.retry_after, Some(1.0));
    }
    assert_eq!(sender.pending(), 0);
    let seen = server.seen();
    assert_eq!(seen.len(), 20);
    let connections: std::collections::BTreeSet<_> = seen.iter().map(|s| s.connection).collect();
    assert_eq!(connections.len(), 2, "one keep-alive connection per lane");
    let first = &seen[0];
    assert_eq!(
        first.request_line,
        "POST /apps/1/events?auth_key=k HTTP/1.1"
    );
    assert_eq!(first.header("host"), Some(server.addr.to_string().as_str()));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(first.body.starts_with(b"body-"));
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
    for id in 0..100u64 {
        let lane = (id % lanes as u64) as usize;
        sender
            .submit(post(id, lane, &format!("{lane}:{id}")))
            .unwrap();
    }
    assert_eq!(collect(&sender, 100).len(), 100);
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
        sender.submit(post(id, id as usize, "x")).unwrap();
    }
    assert_eq!(collect(&sender, 8).len(), 8);
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.max_active.load(Ordering::SeqCst), 8);
    let started = Instant::now();
    for id in 0..3 {
        sender.submit(post(id, 0, "x")).unwrap();
    }
    assert_eq!(collect(&sender, 3).len(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
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
    sender.submit(post(1, 0, "first")).unwrap();
    sender.submit(post(2, 0, "second")).unwrap();
    let done = collect(&sender, 2);
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
    sender.submit(post(1, 0, "bad")).unwrap();
    sender.submit(post(2, 1, "boom")).unwrap();
    let done = collect(&sender, 2);
    assert_eq!((done[0].status, done[0].attempts), (400, 1));
    assert_eq!((done[1].status, done[1].attempts), (500, 3));
    assert_eq!(&done[1].body[..], b"{}");
    // Without retries nothing is repeated.
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    sender.submit(post(3, 0, "boom")).unwrap();
    assert_eq!(collect(&sender, 1)[0].attempts, 1);
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
        sender.submit(post(1, 0, "x")).unwrap();
        let done = collect(&sender, 1);
        assert_eq!((done[0].status, done[0].attempts), (200, 2), "{status}");
        let seen = server.seen();
        let gap = seen[1].at - seen[0].at;
        assert!(gap >= Duration::from_millis(290), "{status}: {gap:?}");
    }
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
    sender.submit(post(7, 0, "x")).unwrap();
    let done = collect(&sender, 1);
    assert_eq!((done[0].id, done[0].status, done[0].attempts), (7, 0, 3));
    let failure = done[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, FailureKind::Connect);
    assert!(
        failure.message.starts_with("connection refused"),
        "{failure}"
    );
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn failures_say_what_went_wrong() {
    // A peer that does not speak HTTP.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = std::io::Write::write_all(&mut stream, b"SSH-2.0-OpenSSH\r\n\r\n");
        }
    });
    let sender = Sender::new(&format!("http://{address}"), options(1)).unwrap();
    sender.submit(post(1, 0, "x")).unwrap();
    let failure = collect(&sender, 1)[0].failure.clone().unwrap();
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
    sender.submit(post(2, 0, "x")).unwrap();
    let failure = collect(&sender, 1)[0].failure.clone().unwrap();
    assert_eq!(failure.kind, FailureKind::Proxy, "{failure}");
    assert!(failure.message.starts_with("proxy 127.0.0.1:"), "{failure}");
    assert!(!failure.message.contains("hunter2"), "{failure}");
}

#[test]
fn an_unanswered_request_times_out() {
    let server = TestServer::start(|number, _| if number == 0 { Reply::Hang } else { ok() });
    let sender = Sender::new(
        &server.url(),
        Options {
            timeout: Duration::from_millis(200),
            ..options(1)
        },
    )
    .unwrap();
    let started = Instant::now();
    sender.submit(post(1, 0, "x")).unwrap();
    sender.submit(post(2, 0, "y")).unwrap();
    let done = collect(&sender, 2);
    let failure = done[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert!(
        failure
            .message
            .starts_with("timed out waiting for the response"),
        "{failure}"
    );
    assert_eq!(done[0].status, 0);
    // The lane moves on, on a new connection.
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
    for id in 0..5 {
        sender.submit(post(id, 0, "x")).unwrap();
    }
    let done = collect(&sender, 5);
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
        sender.submit(post(id, 0, "x")).unwrap();
        let done = collect(&sender, 1);
        assert_eq!((done[0].status, done[0].attempts), (200, 1), "{done:?}");
        std::thread::sleep(Duration::from_millis(150));
    }
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn submit_hands_back_when_full_until_results_are_collected() {
    let server = TestServer::start(|_, _| Reply::Respond {
        status: 200,
        headers: Vec::new(),
        body: "{}".into(),
        delay: Duration::from_millis(50),
    });
    let sender = Sender::new(
        &server.url(),
        Options {
            max_queued: 2,
            ..options(2)
        },
    )
    .unwrap();
    assert!(sender.try_submit(post(1, 0, "x")).unwrap().is_none());
    assert!(sender.try_submit(post(2, 1, "x")).unwrap().is_none());
    let back = sender.try_submit(post(3, 0, "x")).unwrap().unwrap();
    assert_eq!(back.id, 3);
    // Finished but not collected still counts.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sender.pending(), 2);
    let back = sender
        .submit_timeout(back, Duration::from_millis(20))
        .unwrap()
        .unwrap();
    // Collecting from another thread makes room for a blocked submit.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(sender.take_completed().len(), 2);
        });
        sender.submit(back).unwrap();
    });
    assert_eq!(collect(&sender, 1)[0].id, 3);
    assert_eq!(sender.pending(), 0);
    assert!(
        sender.wait_completed(Duration::from_secs(5)).is_empty(),
        "nothing pending: no wait"
    );
}

#[test]
fn close_cancels_what_is_unfinished_and_refuses_more() {
    let server = TestServer::start(|_, _| Reply::Hang);
    let sender = Sender::new(&server.url(), options(1)).unwrap();
    for id in 0..3 {
        sender.submit(post(id, 0, "x")).unwrap();
    }
    while server.seen().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    sender.close();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(sender.is_closed());
    assert_eq!(sender.pending(), 3);
    let mut done = sender.take_completed();
    done.sort_by_key(|completion| completion.id);
    let attempts: Vec<_> = done.iter().map(|c| (c.id, c.status, c.attempts)).collect();
    assert_eq!(attempts, [(0, 0, 1), (1, 0, 0), (2, 0, 0)]);
    for completion in &done {
        let failure = completion.failure.as_ref().unwrap();
        assert_eq!(failure.kind, FailureKind::Closed);
        assert!(failure.message.starts_with("sender closed"), "{failure}");
    }
    assert_eq!(sender.pending(), 0);
    assert_eq!(
        sender.try_submit(post(9, 0, "x")).unwrap_err(),
        SenderError::Closed
    );
    sender.close();
    assert!(sender.wait_completed(Duration::from_secs(5)).is_empty());
}

#[test]
fn dropping_without_close_stops_the_thread() {
    let server = TestServer::start(|_, _| Reply::Hang);
    let sender = Sender::new(&server.url(), options(4)).unwrap();
    sender.submit(post(1, 0, "x")).unwrap();
    let started = Instant::now();
    drop(sender);
    assert!(started.elapsed() < Duration::from_secs(1));
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
    sender.submit(post(1, 0, "x")).unwrap();
    assert_eq!(collect(&sender, 1)[0].status, 200);
    let seen = proxy.seen();
    assert_eq!(
        seen[0].request_line,
        "POST http://example.invalid:8080/apps/1/events?auth_key=k HTTP/1.1"
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

/// Not a test of behaviour: `cargo test --release -- --ignored --nocapture throughput` prints
/// requests/s and CPU per request against `SENDER_BENCH_URL` (e.g. a local nginx).
#[test]
#[ignore = "measurement; needs SENDER_BENCH_URL"]
fn throughput() {
    let Ok(url) = std::env::var("SENDER_BENCH_URL") else {
        return;
    };
    let count: u64 = std::env::var("SENDER_BENCH_COUNT").map_or(100_000, |n| n.parse().unwrap());
    for lanes in [1, 4, 16, 64] {
        let sender = Sender::new(
            &url,
            Options {
                max_queued: 4096,
                ..options(lanes)
            },
        )
        .unwrap();
        let body = Bytes::from_static(br#"{"name":"my-event","channels":["my-channel"],"data":"{\"message\":\"hello world\"}"}"#);
        let (process_before, _) = cpu_seconds();
        let started = Instant::now();
        let mut received = 0u64;
        for id in 0..count {
            let request = Request {
                body: body.clone(),
                ..post(id, (id % lanes as u64) as usize, "")
            };
            let mut request = request;
            while let Some(back) = sender.try_submit(request).unwrap() {
                request = back;
                received += sender.wait_completed(Duration::from_secs(1)).len() as u64;
            }
        }
        while received < count {
            received += sender.wait_completed(Duration::from_secs(1)).len() as u64;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let (process_after, sender_thread) = cpu_seconds();
        let per_request = |seconds: f64| seconds / count as f64 * 1e6;
        println!(
            "lanes={lanes:3} {:8.0} req/s  CPU per request: sender thread {:.1} us, whole process {:.1} us",
            count as f64 / elapsed,
            per_request(sender_thread),
            per_request(process_after - process_before),
        );
        drop(sender);
    }
}

/// CPU seconds (user + system) of this process and of its `pusher-fast-sender` threads.
fn cpu_seconds() -> (f64, f64) {
    let ticks = |stat: &str| -> f64 {
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let field = |index: usize| {
            fields
                .get(index)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (field(11) + field(12)) / 100.0
    };
    let process = ticks(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
    let mut sender = 0.0;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        if stat.contains("(pusher-fast-sen") {
            sender += ticks(&stat);
        }
    }
    (process, sender)
}
