//! The blocking call client (`CallClient`) over real sockets, against the scripted server of
//! `test_server`.

use std::time::{Duration, Instant};

use crate::test_server::{ok, Reply, TestServer};
use crate::tests::{closed_port, TARGET};
use crate::{CallClient, CallError, FailureKind, ProxyChoice};

fn call_client(url: &str, timeout: Duration) -> CallClient {
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    CallClient::new(
        url,
        &headers,
        &ProxyChoice::Direct,
        None,
        timeout,
        1 << 20,
        8,
    )
    .unwrap()
}

/// One blocking call; signals never interrupt it here.
fn call(client: &CallClient, body: &str) -> Result<crate::Response, crate::Failure> {
    let request = client
        .request_bytes("POST", TARGET, body.as_bytes())
        .unwrap();
    let mut carry_on = || Ok::<(), ()>(());
    client
        .call(&request, "POST", Instant::now(), &mut carry_on)
        .map_err(|error| match error {
            CallError::Failed(failure) => failure,
            CallError::Interrupted(()) => unreachable!("never interrupted"),
        })
}

#[test]
fn calls_reuse_one_warm_connection() {
    let server = TestServer::start(|_, _| ok());
    let client = call_client(&server.url(), Duration::from_secs(5));
    for _ in 0..10 {
        let response = call(&client, "x").unwrap();
        assert_eq!((response.status, &response.body[..]), (200, &b"{}"[..]));
    }
    let connections: std::collections::BTreeSet<_> =
        server.seen().iter().map(|s| s.connection).collect();
    assert_eq!(connections.len(), 1);
    // Threads share the pool; each call takes its own connection.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    assert_eq!(call(&client, "y").unwrap().status, 200);
                }
            });
        }
    });
    assert_eq!(server.seen().len(), 90);
}

#[test]
fn a_call_honours_its_deadline_against_a_dripping_server() {
    let server = TestServer::start(|_, _| Reply::Drip(Duration::from_millis(40)));
    let client = call_client(&server.url(), Duration::from_millis(300));
    let started = Instant::now();
    let failure = call(&client, "x").unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(failure.kind, FailureKind::Timeout, "{failure}");
    assert!(
        elapsed >= Duration::from_millis(290) && elapsed < Duration::from_millis(600),
        "{elapsed:?}"
    );
}

#[test]
fn a_call_reports_each_way_of_failing() {
    let refused = call_client(
        &format!("http://127.0.0.1:{}", closed_port()),
        Duration::from_secs(2),
    );
    assert_eq!(call(&refused, "x").unwrap_err().kind, FailureKind::Connect);
    let garbage = TestServer::start(|_, _| Reply::Raw(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()));
    let client = call_client(&garbage.url(), Duration::from_secs(2));
    assert_eq!(call(&client, "x").unwrap_err().kind, FailureKind::Protocol);
    let truncated = TestServer::start(|_, _| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}".to_vec())
    });
    let client = call_client(&truncated.url(), Duration::from_secs(2));
    let failure = call(&client, "x").unwrap_err();
    assert_eq!(failure.kind, FailureKind::Protocol);
    assert!(
        failure.message.contains("before the response was complete"),
        "{failure}"
    );
    let huge = TestServer::start(|_, _| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n".to_vec())
    });
    let client = call_client(&huge.url(), Duration::from_secs(2));
    let failure = call(&client, "x").unwrap_err();
    assert_eq!(
        (failure.kind, failure.status),
        (FailureKind::BodyTooLarge, 200)
    );
    let chunked = TestServer::start(|_, _| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
                .to_vec(),
        )
    });
    let client = call_client(&chunked.url(), Duration::from_secs(2));
    assert_eq!(call(&client, "x").unwrap().body, b"{}");
}

#[test]
fn a_call_through_a_forward_proxy() {
    let proxy = TestServer::start(|_, _| ok());
    let headers = [("X-Pusher-Library".to_owned(), "test".to_owned())];
    let client = CallClient::new(
        "http://example.invalid:8080",
        &headers,
        &ProxyChoice::Url(format!("http://user:pw@{}", proxy.addr)),
        None,
        Duration::from_secs(2),
        1024,
        4,
    )
    .unwrap();
    assert_eq!(call(&client, "x").unwrap().status, 200);
    let seen = proxy.seen();
    assert_eq!(
        seen[0].request_line,
        format!("POST http://example.invalid:8080{TARGET} HTTP/1.1")
    );
    assert!(seen[0].header("proxy-authorization").is_some());
}

#[test]
fn an_interrupt_can_stop_a_call() {
    let server = TestServer::start(|_, _| Reply::Hang);
    let client = call_client(&server.url(), Duration::from_secs(30));
    let request = client.request_bytes("POST", TARGET, b"x").unwrap();
    // SAFETY: installs a do-nothing SIGUSR1 handler without SA_RESTART, so blocking calls of
    // this thread return EINTR when the signal arrives.
    unsafe {
        extern "C" fn ignore(_: libc::c_int) {}
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
    }
    // SAFETY: pthread_self of the calling thread is always valid.
    let thread = unsafe { libc::pthread_self() } as usize;
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        // SAFETY: the test thread is blocked in the call until the signal arrives.
        unsafe { libc::pthread_kill(thread as libc::pthread_t, libc::SIGUSR1) };
    });
    let started = Instant::now();
    let mut stop = || Err::<(), &str>("interrupted");
    let outcome = client.call(&request, "POST", started, &mut stop);
    assert!(matches!(
        outcome,
        Err(CallError::Interrupted("interrupted"))
    ));
    assert!(started.elapsed() < Duration::from_secs(5));
}
