//! A small HTTP/1.1 reader and writer over `std::net`, enough for the page
//! and its API: one request per connection, a bounded header and body, and
//! Server-Sent Events for streamed results.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The largest request head (request line and headers) read.
pub const MAX_HEAD: usize = 16 * 1024;
/// The largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// One request.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query's `key=value` pairs, percent-decoded.
    pub query: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of query key `k`.
    pub fn query(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(a, _)| a == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read: the status to answer and a message.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

/// Decode `%XX` escapes and `+` (as a space, in queries).
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Read one request from `stream`, refusing heads over [`MAX_HEAD`] and
/// bodies over [`MAX_BODY`] (the body is then not read).
pub fn read_request(stream: &TcpStream) -> Result<Request, Refusal> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| refuse(400, e.to_string()))?;
    let mut r = BufReader::new(stream.take((MAX_HEAD + MAX_BODY + 1) as u64));
    let mut head_len = 0usize;
    let mut line = String::new();
    let mut lines = Vec::new();
    loop {
        line.clear();
        let n = r
            .read_line(&mut line)
            .map_err(|e| refuse(400, format!("cannot read the request: {e}")))?;
        head_len += n;
        if head_len > MAX_HEAD {
            return Err(refuse(431, "request head too large"));
        }
        if n == 0 {
            return Err(refuse(400, "the request ended early"));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        lines.push(l.to_string());
    }
    let mut first = lines
        .first()
        .map(|l| l.split(' '))
        .ok_or_else(|| refuse(400, "empty request"))?;
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    if method.is_empty() || !target.starts_with('/') {
        return Err(refuse(400, "malformed request line"));
    }
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((&target, ""));
    let query = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect();
    let mut req = Request {
        method,
        path: percent_decode(raw_path, false),
        query,
        headers,
        body: Vec::new(),
    };
    if req.header("transfer-encoding").is_some() {
        return Err(refuse(411, "send the body with a Content-Length"));
    }
    let len = match req.header("content-length") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| refuse(400, "bad Content-Length"))?,
    };
    if len > MAX_BODY {
        return Err(refuse(
            413,
            format!("request body too large: {len} bytes (at most {MAX_BODY})"),
        ));
    }
    req.body.resize(len, 0);
    r.read_exact(&mut req.body)
        .map_err(|e| refuse(400, format!("cannot read the request body: {e}")))?;
    Ok(req)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "",
    }
}

/// Write a whole response and close.
pub fn respond(
    mut stream: &TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// A JSON response.
pub fn respond_json(stream: &TcpStream, status: u16, v: &serde_json::Value) -> std::io::Result<()> {
    respond(
        stream,
        status,
        "application/json",
        &[],
        v.to_string().as_bytes(),
    )
}

/// A plain-text error response.
pub fn respond_error(stream: &TcpStream, status: u16, message: &str) -> std::io::Result<()> {
    respond(
        stream,
        status,
        "text/plain; charset=utf-8",
        &[],
        format!("{message}\n").as_bytes(),
    )
}

/// Start a Server-Sent Events stream.
pub fn start_events(mut stream: &TcpStream) -> std::io::Result<()> {
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n",
    )?;
    stream.flush()
}

/// Send one event (`data` is one line of JSON).
pub fn send_event(
    mut stream: &TcpStream,
    event: &str,
    data: &serde_json::Value,
) -> std::io::Result<()> {
    stream.write_all(format!("event: {event}\ndata: {data}\n\n").as_bytes())?;
    stream.flush()
}
