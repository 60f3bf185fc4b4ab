//! HTTP/1.1 on the wire without I/O: the bytes of a request, and an incremental response parser.
//!
//! The parser follows RFC 9112's message framing (section 6.3): interim 1xx responses are skipped; a response to HEAD,
//! a 204 or a 304 has no body; `Transfer-Encoding: chunked` wins over `Content-Length`; conflicting lengths are an
//! error; without either the body runs until the connection closes. It keeps only what a client of the Pusher API
//! needs from the head (status, `Retry-After`, whether the connection may be reused) and refuses a body over a cap
//! instead of buffering it.

use std::fmt;

/// The most header bytes accepted before the head is complete.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most header lines in one response head.
const MAX_HEADERS: usize = 64;

/// Why a response could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not an HTTP/1.x response: garbage, a bad header, a bad chunk.
    Malformed(String),
    /// The head is longer than [`MAX_HEAD_BYTES`].
    HeadTooLarge,
    /// The body is longer than the parser's cap; the status is known.
    BodyTooLarge { status: u16, limit: usize },
    /// The connection closed before the response was complete.
    Truncated,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "the server's answer is not valid HTTP/1.1: {why}"),
            Self::HeadTooLarge => write!(f, "the response head is over {MAX_HEAD_BYTES} bytes"),
            Self::BodyTooLarge { status, limit } => {
                write!(f, "the body of the {status} response is over {limit} bytes")
            }
            Self::Truncated => {
                f.write_str("the server closed the connection before the response was complete")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// A complete response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// `Retry-After` in seconds, when the server sent the delay form.
    pub retry_after: Option<f64>,
    /// Whether the connection may carry another request.
    pub reusable: bool,
}

/// Appends a request: request line, `headers` (complete `Name: value\r\n` lines), `Content-Length` when there is a
/// body or the method is POST/PUT/PATCH, the blank line. The body is written separately (vectored).
pub fn write_head(out: &mut Vec<u8>, method: &str, target: &str, headers: &[u8], body_len: usize) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    out.extend_from_slice(headers);
    if body_len > 0 || matches!(method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(b"Content-Length: ");
        out.extend_from_slice(itoa_usize(body_len).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn itoa_usize(value: usize) -> String {
    value.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes left.
    Data(usize),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
}

#[derive(Debug)]
enum State {
    Head,
    Body { framing: Framing, chunk: Chunk },
    Done,
}

/// Reads one response from bytes as they arrive.
#[derive(Debug)]
pub struct ResponseParser {
    state: State,
    status: u16,
    retry_after: Option<f64>,
    reusable: bool,
    body: Vec<u8>,
    max_body: usize,
    no_body: bool,
    /// Bytes of an incomplete head or chunk line, kept until the rest arrives.
    pending: Vec<u8>,
}

impl ResponseParser {
    /// A parser for the answer to a request; `head_request` says the request was a HEAD (no body follows).
    pub fn new(max_body: usize, head_request: bool) -> Self {
        Self {
            state: State::Head,
            status: 0,
            retry_after: None,
            reusable: false,
            body: Vec::new(),
            max_body,
            no_body: head_request,
            pending: Vec::new(),
        }
    }

    /// Whether any byte of a response has been consumed (a final status line parsed).
    pub fn started(&self) -> bool {
        self.status != 0
    }

    /// Consumes `input`. Returns the response once it is complete; bytes after it make the connection not
    /// reusable (nothing was pipelined, so they can only be garbage).
    pub fn feed(&mut self, input: &[u8]) -> Result<Option<Response>, ParseError> {
        if self.pending.is_empty() {
            let mut rest = input;
            let done = self.feed_slice(&mut rest)?;
            return Ok(self.settle(done, rest));
        }
        let mut joined = std::mem::take(&mut self.pending);
        joined.extend_from_slice(input);
        let mut rest = &joined[..];
        let done = self.feed_slice(&mut rest)?;
        let response = self.settle(done, rest);
        Ok(response)
    }

    /// Keeps what could not be parsed yet, or marks a response followed by stray bytes as not reusable.
    fn settle(&mut self, done: Option<Response>, rest: &[u8]) -> Option<Response> {
        match done {
            Some(mut response) => {
                if !rest.is_empty() {
                    response.reusable = false;
                }
                Some(response)
            }
            None => {
                self.pending.extend_from_slice(rest);
                None
            }
        }
    }

    fn feed_slice(&mut self, input: &mut &[u8]) -> Result<Option<Response>, ParseError> {
        loop {
            match self.state {
                State::Head => {
                    if !self.parse_head(input)? {
                        return Ok(None);
                    }
                }
                State::Body { framing, chunk } => {
                    if !self.parse_body(input, framing, chunk)? {
                        return Ok(None);
                    }
                }
                State::Done => return Ok(Some(self.take())),
            }
        }
    }

    /// The connection closed: completes a body that runs until close, or reports truncation.
    pub fn finish_at_eof(&mut self) -> Result<Response, ParseError> {
        match self.state {
            State::Body {
                framing: Framing::UntilClose,
                ..
            } => {
                self.reusable = false;
                Ok(self.take())
            }
            State::Done => Ok(self.take()),
            _ => Err(ParseError::Truncated),
        }
    }

    fn take(&mut self) -> Response {
        self.state = State::Done;
        Response {
            status: self.status,
            body: std::mem::take(&mut self.body),
            retry_after: self.retry_after,
            reusable: self.reusable,
        }
    }

    /// Parses a head from the front of `input`; false when more bytes are needed.
    fn parse_head(&mut self, input: &mut &[u8]) -> Result<bool, ParseError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let consumed = match response.parse(input) {
            Ok(httparse::Status::Complete(consumed)) => consumed,
            Ok(httparse::Status::Partial) => {
                if input.len() > MAX_HEAD_BYTES {
                    return Err(ParseError::HeadTooLarge);
                }
                return Ok(false);
            }
            Err(error) => return Err(ParseError::Malformed(error.to_string())),
        };
        let status = response.code.unwrap_or(0);
        let version = response.version.unwrap_or(1);
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut transfer_encoding = false;
        let mut close = version == 0;
        let mut retry_after = None;
        for header in response.headers.iter() {
            let value = header.value;
            if header.name.eq_ignore_ascii_case("content-length") {
                let parsed = parse_length(value).ok_or_else(|| {
                    ParseError::Malformed(format!(
                        "bad Content-Length {:?}",
                        String::from_utf8_lossy(value)
                    ))
                })?;
                if length.is_some_and(|known| known != parsed) {
                    return Err(ParseError::Malformed(
                        "conflicting Content-Length values".into(),
                    ));
                }
                length = Some(parsed);
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                transfer_encoding = true;
                chunked =
                    last_token(value).is_some_and(|token| token.eq_ignore_ascii_case(b"chunked"));
            } else if header.name.eq_ignore_ascii_case("connection") {
                for token in value.split(|&byte| byte == b',') {
                    let token = token.trim_ascii();
                    if token.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") && version == 0 {
                        close = false;
                    }
                }
            } else if header.name.eq_ignore_ascii_case("retry-after") {
                retry_after = std::str::from_utf8(value)
                    .ok()
                    .and_then(|text| text.trim().parse::<f64>().ok())
                    .filter(|seconds| seconds.is_finite() && *seconds >= 0.0);
            }
        }
        *input = &input[consumed..];
        if (100..200).contains(&status) {
            // An interim response (100 Continue, 103 Early Hints): the final one follows.
            return Ok(true);
        }
        self.status = status;
        self.retry_after = retry_after;
        let framing = if self.no_body || status == 204 || status == 304 {
            Framing::Length(0)
        } else if transfer_encoding {
            if chunked {
                Framing::Chunked
            } else {
                Framing::UntilClose
            }
        } else {
            length.map_or(Framing::UntilClose, Framing::Length)
        };
        self.reusable = !close && framing != Framing::UntilClose;
        if let Framing::Length(length) = framing {
            if length > self.max_body {
                return Err(self.too_large());
            }
            self.body.reserve_exact(length);
        }
        self.state = State::Body {
            framing,
            chunk: Chunk::Size,
        };
        Ok(true)
    }

    fn too_large(&self) -> ParseError {
        ParseError::BodyTooLarge {
            status: self.status,
            limit: self.max_body,
        }
    }

    fn push_body(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.body.len() + bytes.len() > self.max_body {
            return Err(self.too_large());
        }
        self.body.extend_from_slice(bytes);
        Ok(())
    }

    /// Consumes body bytes; true when the response is complete.
    fn parse_body(
        &mut self,
        input: &mut &[u8],
        framing: Framing,
        mut chunk: Chunk,
    ) -> Result<bool, ParseError> {
        match framing {
            Framing::Length(length) => {
                let wanted = length - self.body.len();
                let take = wanted.min(input.len());
                self.body.extend_from_slice(&input[..take]);
                *input = &input[take..];
                if self.body.len() == length {
                    self.state = State::Done;
                    return Ok(true);
                }
                Ok(false)
            }
            Framing::UntilClose => {
                let bytes = std::mem::take(input);
                self.push_body(bytes)?;
                Ok(false)
            }
            Framing::Chunked => loop {
                match chunk {
                    Chunk::Size => match httparse::parse_chunk_size(input) {
                        Ok(httparse::Status::Complete((consumed, size))) => {
                            *input = &input[consumed..];
                            let size = usize::try_from(size).map_err(|_| self.too_large())?;
                            chunk = if size == 0 {
                                Chunk::Trailers
                            } else {
                                Chunk::Data(size)
                            };
                        }
                        Ok(httparse::Status::Partial) => {
                            break self.pause(framing, chunk, input.len())
                        }
                        Err(_) => return Err(ParseError::Malformed("bad chunk size".into())),
                    },
                    Chunk::Data(left) => {
                        if input.is_empty() {
                            break self.pause(framing, chunk, 0);
                        }
                        let take = left.min(input.len());
                        let (data, rest) = input.split_at(take);
                        self.push_body(data)?;
                        *input = rest;
                        chunk = if take == left {
                            Chunk::DataEnd
                        } else {
                            Chunk::Data(left - take)
                        };
                    }
                    Chunk::DataEnd => {
                        if input.len() < 2 {
                            break self.pause(framing, chunk, input.len());
                        }
                        if &input[..2] != b"\r\n" {
                            return Err(ParseError::Malformed(
                                "chunk data not followed by CRLF".into(),
                            ));
                        }
                        *input = &input[2..];
                        chunk = Chunk::Size;
                    }
                    Chunk::Trailers => match input.iter().position(|&byte| byte == b'\n') {
                        Some(end) => {
                            let line = &input[..end];
                            *input = &input[end + 1..];
                            if line == b"" || line == b"\r" {
                                self.state = State::Done;
                                return Ok(true);
                            }
                        }
                        None => break self.pause(framing, chunk, input.len()),
                    },
                }
            },
        }
    }

    fn pause(
        &mut self,
        framing: Framing,
        chunk: Chunk,
        buffered: usize,
    ) -> Result<bool, ParseError> {
        if buffered > MAX_HEAD_BYTES {
            return Err(ParseError::Malformed("a chunk line is too long".into()));
        }
        self.state = State::Body { framing, chunk };
        Ok(false)
    }
}

fn parse_length(value: &[u8]) -> Option<usize> {
    // A repeated value in one header ("2, 2") is allowed when every item is the same.
    let mut found: Option<usize> = None;
    for item in value.split(|&byte| byte == b',') {
        let item = item.trim_ascii();
        if item.is_empty() || !item.iter().all(u8::is_ascii_digit) || item.len() > 18 {
            return None;
        }
        let parsed: usize = std::str::from_utf8(item).ok()?.parse().ok()?;
        if found.is_some_and(|known| known != parsed) {
            return None;
        }
        found = Some(parsed);
    }
    found
}

fn last_token(value: &[u8]) -> Option<&[u8]> {
    value
        .rsplit(|&byte| byte == b',')
        .next()
        .map(<[u8]>::trim_ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` whole, then again one byte at a time; both must give the same outcome.
    fn parse(bytes: &[u8], max_body: usize, head: bool) -> Result<Option<Response>, ParseError> {
        let whole = ResponseParser::new(max_body, head).feed(bytes);
        let mut parser = ResponseParser::new(max_body, head);
        let mut outcome = Ok(None);
        for (index, byte) in bytes.iter().enumerate() {
            match parser.feed(std::slice::from_ref(byte)) {
                Ok(Some(mut response)) => {
                    if index + 1 < bytes.len() {
                        response.reusable = false;
                    }
                    outcome = Ok(Some(response));
                    break;
                }
                Ok(None) => {}
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            }
        }
        assert_eq!(
            whole,
            outcome,
            "byte-at-a-time differs for {:?}",
            String::from_utf8_lossy(bytes)
        );
        whole
    }

    fn ok(bytes: &[u8]) -> Response {
        parse(bytes, 1 << 20, false).unwrap().unwrap()
    }

    #[test]
    fn content_length_body() {
        let response = ok(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\n{}");
        assert_eq!(
            response,
            Response {
                status: 200,
                body: b"{}".to_vec(),
                retry_after: None,
                reusable: true
            }
        );
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let response = ok(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nTrailer: v\r\n\r\n");
        assert_eq!(response.body, b"{\"a\":1}");
        assert!(response.reusable);
    }

    #[test]
    fn chunked_wins_over_content_length() {
        let response = ok(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        assert_eq!(response.body, b"{}");
    }

    #[test]
    fn interim_responses_are_skipped() {
        let response = ok(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(response.status, 201);
        assert!(response.body.is_empty());
    }

    #[test]
    fn no_body_statuses_and_head() {
        assert_eq!(
            ok(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n").body,
            b""
        );
        assert_eq!(ok(b"HTTP/1.1 304 Not Modified\r\n\r\n").body, b"");
        let response = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 100, true)
            .unwrap()
            .unwrap();
        assert!(response.body.is_empty() && response.reusable);
    }

    #[test]
    fn connection_reuse_rules() {
        assert!(!ok(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").reusable);
        assert!(!ok(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").reusable);
        assert!(
            ok(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").reusable
        );
        assert!(
            !ok(b"HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n")
                .reusable
        );
    }

    #[test]
    fn body_until_close() {
        let mut parser = ResponseParser::new(100, false);
        assert_eq!(parser.feed(b"HTTP/1.1 200 OK\r\n\r\n{\"a\""), Ok(None));
        assert_eq!(parser.feed(b":1}"), Ok(None));
        let response = parser.finish_at_eof().unwrap();
        assert_eq!(response.body, b"{\"a\":1}");
        assert!(!response.reusable);
    }

    #[test]
    fn truncation_is_reported() {
        let mut parser = ResponseParser::new(100, false);
        assert_eq!(
            parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"),
            Ok(None)
        );
        assert_eq!(parser.finish_at_eof(), Err(ParseError::Truncated));
        let mut parser = ResponseParser::new(100, false);
        assert!(!parser.started());
        assert_eq!(parser.finish_at_eof(), Err(ParseError::Truncated));
    }

    #[test]
    fn oversized_bodies_are_refused_with_their_status() {
        let too_large = Err(ParseError::BodyTooLarge {
            status: 200,
            limit: 4,
        });
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 4, false).map(|_| ()),
            too_large
        );
        assert_eq!(
            parse(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n",
                4,
                false
            )
            .map(|_| ()),
            too_large
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\n\r\nabcdef", 4, false).map(|_| ()),
            too_large
        );
    }

    #[test]
    fn malformed_answers_are_errors() {
        for bytes in [
            &b"garbage\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX",
        ] {
            assert!(
                matches!(parse(bytes, 100, false), Err(ParseError::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(
            ok(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n{}").body,
            b"{}"
        );
    }

    #[test]
    fn head_size_is_bounded() {
        let mut bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
        while bytes.len() <= MAX_HEAD_BYTES {
            bytes.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert!(matches!(
            ResponseParser::new(100, false).feed(&bytes),
            Err(ParseError::HeadTooLarge | ParseError::Malformed(_))
        ));
    }

    #[test]
    fn stray_bytes_after_an_answer_make_the_connection_unusable() {
        let response = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP",
            100,
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(response.body, b"{}");
        assert!(!response.reusable);
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(
            ok(b"HTTP/1.1 429 Slow\r\nRetry-After: 1.5\r\nContent-Length: 0\r\n\r\n").retry_after,
            Some(1.5)
        );
        assert_eq!(
            ok(b"HTTP/1.1 503 X\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n").retry_after,
            None
        );
    }

    #[test]
    fn request_heads() {
        let mut out = Vec::new();
        write_head(&mut out, "POST", "/apps/1/events?x=1", b"Host: h\r\n", 2);
        assert_eq!(
            out,
            b"POST /apps/1/events?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
        );
        out.clear();
        write_head(&mut out, "GET", "/apps/1/channels", b"Host: h\r\n", 0);
        assert_eq!(out, b"GET /apps/1/channels HTTP/1.1\r\nHost: h\r\n\r\n");
    }
}
