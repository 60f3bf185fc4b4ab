//! A tiny blocking HTTP/1.1 server for the tests: one thread per connection, scripted answers,
//! every request recorded. It also plays the proxy in the proxy tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) connection: usize,
    pub(crate) request_line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) at: Instant,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub(crate) enum Reply {
    Respond {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
        delay: Duration,
    },
    /// Read the request, never answer (for 5 s, then close).
    Hang,
    /// Answer with `Connection: close`, then close.
    RespondAndClose(u16),
    /// Answer, then close the connection 50 ms later without having said so.
    RespondThenDropIdle(u16),
    /// Write these bytes as they are, then close.
    Raw(Vec<u8>),
    /// A 200 `{}` answer written one byte at a time, `every` apart.
    Drip(Duration),
}

pub(crate) fn ok() -> Reply {
    status(200)
}

pub(crate) fn status(code: u16) -> Reply {
    Reply::Respond {
        status: code,
        headers: Vec::new(),
        body: "{}".into(),
        delay: Duration::ZERO,
    }
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    pub(crate) max_active: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl TestServer {
    /// `handler` gets the 0-based number of the request and the request.
    pub(crate) fn start(handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let active = Arc::new(AtomicUsize::new(0));
        let max_active = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        let server = Self {
            addr,
            seen: Arc::clone(&seen),
            max_active: Arc::clone(&max_active),
            stop: Arc::clone(&stop),
        };
        std::thread::spawn(move || {
            for (connection, stream) in listener.incoming().enumerate() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (seen, active, max_active, handler, counter) = (
                    Arc::clone(&seen),
                    Arc::clone(&active),
                    Arc::clone(&max_active),
                    Arc::clone(&handler),
                    Arc::clone(&counter),
                );
                std::thread::spawn(move || {
                    serve(
                        stream,
                        connection,
                        &seen,
                        &active,
                        &max_active,
                        &*handler,
                        &counter,
                    )
                });
            }
        });
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
    }
}

fn serve(
    stream: std::net::TcpStream,
    connection: usize,
    seen: &Mutex<Vec<Seen>>,
    active: &AtomicUsize,
    max_active: &AtomicUsize,
    handler: &Handler,
    counter: &AtomicUsize,
) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, value)| value.parse().unwrap());
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Seen {
            connection,
            request_line: request_line.trim_end().to_owned(),
            headers,
            body,
            at: Instant::now(),
        };
        let now_active = active.fetch_add(1, Ordering::SeqCst) + 1;
        max_active.fetch_max(now_active, Ordering::SeqCst);
        let number = counter.fetch_add(1, Ordering::SeqCst);
        seen.lock().unwrap().push(request.clone());
        let reply = handler(number, &request);
        let (code, extra, body, delay, close) = match reply {
            Reply::Respond {
                status,
                headers,
                body,
                delay,
            } => (status, headers, body, delay, false),
            Reply::RespondAndClose(status) => (
                status,
                vec![("Connection", "close".to_owned())],
                "{}".into(),
                Duration::ZERO,
                true,
            ),
            Reply::RespondThenDropIdle(status) => {
                (status, Vec::new(), "{}".into(), Duration::ZERO, true)
            }
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(5));
                active.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            Reply::Raw(bytes) => {
                let _ = writer.write_all(&bytes);
                active.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            Reply::Drip(every) => {
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" {
                    std::thread::sleep(every);
                    if writer.write_all(&[*byte]).is_err() {
                        break;
                    }
                }
                active.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
        };
        std::thread::sleep(delay);
        active.fetch_sub(1, Ordering::SeqCst);
        let mut head = format!("HTTP/1.1 {code} X\r\nContent-Length: {}\r\n", body.len());
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        if close {
            std::thread::sleep(Duration::from_millis(50));
            return;
        }
    }
}
