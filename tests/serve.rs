//! `orglearn serve` at the HTTP level: the real binary on a free port,
//! spoken to over plain TCP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
    token: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let rest = url.trim_start_matches("http://");
    let (addr, tail) = rest.split_once('/').unwrap();
    let token = tail.strip_prefix("?token=").map(String::from);
    Server {
        child,
        addr: addr.to_string(),
        token,
    }
}

/// Send raw request text; returns (status, body).
fn raw(addr: &str, req: &[u8]) -> (u16, String) {
    let addr = addr.replace("0.0.0.0", "127.0.0.1");
    let mut s = TcpStream::connect(&addr).expect("connects");
    s.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn request(srv: &Server, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = srv.addr.replace("0.0.0.0", "127.0.0.1");
    let auth = srv
        .token
        .as_ref()
        .map(|t| format!("X-Orglearn-Token: {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw(&srv.addr, req.as_bytes())
}

const SMALL: &str = r#""replicates=4","years=3","schools.schools=30""#;

#[test]
fn the_page_and_its_script_are_served() {
    let srv = start(&["--port", "0", "--threads", "2"]);
    let (st, body) = request(&srv, "GET", "/", "");
    assert_eq!(st, 200);
    assert!(body.contains("<script src=\"app.js\">"));
    let (st, body) = request(&srv, "GET", "/app.js", "");
    assert_eq!(st, 200);
    assert!(body.contains("/api/run"));
    let (st, body) = request(&srv, "GET", "/api/levers", "");
    assert_eq!(st, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["strategies"].as_array().unwrap().len(), 6);
}

#[test]
fn a_bad_lever_value_gets_the_scenario_error_text() {
    let srv = start(&["--port", "0"]);
    let (st, body) = request(&srv, "POST", "/api/run", r#"{"set":["landscape.k=99"]}"#);
    assert_eq!(st, 422, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let p = &v["problems"][0];
    assert_eq!(p["key"], "landscape.k");
    // The same words as `orglearn run --set`.
    let out = Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .args(["check", "--set", "landscape.k=99"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let cli = String::from_utf8_lossy(&out.stderr);
    assert!(cli.contains(p["text"].as_str().unwrap()), "{cli}\nvs\n{p}");
    // File paths cannot be set from the page.
    let (st, body) = request(
        &srv,
        "POST",
        "/api/run",
        r#"{"set":["schools.file=/etc/passwd"]}"#,
    );
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("cannot be set from the page"), "{body}");
}

#[test]
fn oversized_bodies_and_path_traversal_are_refused() {
    let srv = start(&["--port", "0"]);
    let big = format!(r#"{{"set":["{}"]}}"#, "x".repeat(100_000));
    let (st, _) = request(&srv, "POST", "/api/run", &big);
    assert_eq!(st, 413);
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/a/../../etc/passwd",
    ] {
        let (st, body) = request(&srv, "GET", path, "");
        assert_eq!(st, 400, "{path}: {body}");
    }
    let (st, _) = request(&srv, "GET", "/Cargo.toml", "");
    assert_eq!(st, 404);
}

#[test]
fn a_non_loopback_listen_needs_the_token() {
    // Without --listen only loopback is bound.
    let (addr, token) = orglearn::serve::bind_address(8080, None).unwrap();
    assert!(addr.ip().is_loopback() && !token);
    let (_, token) = orglearn::serve::bind_address(8080, Some("0.0.0.0")).unwrap();
    assert!(token);
    let srv = start(&["--listen", "0.0.0.0:0"]);
    let token = srv.token.clone().expect("a token is printed");
    assert!(token.len() >= 32);
    let no = Server {
        child: Command::new("true").spawn().unwrap(),
        addr: srv.addr.clone(),
        token: None,
    };
    let (st, _) = request(&no, "GET", "/", "");
    assert_eq!(st, 403);
    let (st, _) = request(&no, "GET", &format!("/?token={token}x"), "");
    assert_eq!(st, 403);
    let (st, _) = request(&no, "GET", &format!("/?token={token}"), "");
    assert_eq!(st, 200);
    let (st, _) = request(&srv, "GET", "/api/levers", "");
    assert_eq!(st, 200);
}

/// The `done` event's table.
fn done_rows(stream: &str) -> Vec<Vec<String>> {
    let data = stream
        .split("\n\n")
        .find(|b| b.starts_with("event: done"))
        .unwrap_or_else(|| panic!("no done event in {stream}"));
    let json = data.split_once("data: ").unwrap().1;
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    serde_json::from_value(v["rows"].clone()).unwrap()
}

#[test]
fn an_exported_scenario_reproduces_the_numbers_shown() {
    let srv = start(&["--port", "0", "--threads", "2"]);
    let cfg = format!(r#"{{"set":[{SMALL},"strategy.cascade.pressure=0.4"],"off":["tri-level"]}}"#);
    let (st, stream) = request(&srv, "POST", "/api/run", &cfg);
    assert_eq!(st, 200);
    assert_eq!(stream.matches("event: replicate").count(), 4);
    let rows = done_rows(&stream);
    assert_eq!(rows.len(), 5);
    let (st, toml) = request(&srv, "POST", "/api/export", &cfg);
    assert_eq!(st, 200, "{toml}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--no-charts")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    for r in &rows {
        let line = printed
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", r[0])))
            .unwrap_or_else(|| panic!("no row {} in\n{printed}", r[0]));
        for cell in &r[1..] {
            assert!(line.contains(cell.as_str()), "{cell} not in {line}");
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn fifty_rapid_changes_leave_the_server_responsive_with_memory_flat() {
    let srv = start(&["--port", "0", "--threads", "2"]);
    let body = |i: usize| {
        format!(
            r#"{{"client":"c1","set":["replicates=20","levers.cpd_hours={}"]}}"#,
            20 + i
        )
    };
    let (st, s) = request(&srv, "POST", "/api/run", &body(0));
    assert_eq!(st, 200);
    done_rows(&s);
    let before = rss_kib(srv.child.id());
    let host = srv.addr.clone();
    for i in 0..50 {
        // Start a run and leave it: the next request cancels it.
        let b = body(i);
        let mut s = TcpStream::connect(&host).unwrap();
        let _ = write!(
            s,
            "POST /api/run HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        drop(s);
    }
    let (st, s) = request(&srv, "POST", "/api/run", &body(99));
    assert_eq!(st, 200);
    assert_eq!(done_rows(&s).len(), 6);
    let after = rss_kib(srv.child.id());
    if before > 0 {
        assert!(
            after < before * 2 + 20_000,
            "memory grew from {before} KiB to {after} KiB"
        );
    }
}
