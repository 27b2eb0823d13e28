//! Just enough HTTP/1.1 for the sample services, on std only (the sample must build without a
//! crates registry): one thread per connection, Content-Length bodies, Connection: close.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

pub struct Request {
    pub method: String,
    /// The path without its query string: the sample routes on paths only.
    pub path: String,
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    pub fn json(body: String) -> Self {
        Response {
            status: 200,
            content_type: "application/json",
            body,
        }
    }
    pub fn text(status: u16, body: &str) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_string(),
        }
    }
}

pub type Handler = fn(&Request) -> Response;

/// Serves `handler` until the process is told to stop, on PORT (default `default_port`) of
/// BIND_ADDRESS (default 0.0.0.0, as a container needs; 127.0.0.1 keeps a local run private).
pub fn run(name: &'static str, default_port: u16, handler: Handler) -> ! {
    exit_on_sigterm();
    let address = std::env::var("BIND_ADDRESS").unwrap_or_else(|_| "0.0.0.0".into());
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default_port);
    let listener = match TcpListener::bind((address.as_str(), port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("{name}: cannot listen on {address}:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{name} listening on {address}:{port}");
    serve_on(listener, name, handler)
}

/// Accepts on `listener` forever (tests pass a listener on an ephemeral loopback port).
pub fn serve_on(listener: TcpListener, name: &'static str, handler: Handler) -> ! {
    for stream in listener.incoming() {
        // A failed accept (the peer reset before we got to it) must not stop the server.
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            if let Err(e) = handle(name, stream, handler) {
                eprintln!("{name}: connection error: {e}");
            }
        });
    }
    unreachable!("TcpListener::incoming never ends")
}

fn handle(name: &str, stream: TcpStream, handler: Handler) -> std::io::Result<()> {
    let started = Instant::now();
    // A client that connects and says nothing (a probe, a port scan) must not pin a thread forever.
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    // Headers are read and dropped: no route of the sample takes a request body.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    let request = Request { method, path };
    let response = if request.method == "GET" || request.method == "HEAD" {
        handler(&request)
    } else {
        Response::text(405, "method not allowed")
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    )?;
    if request.method != "HEAD" {
        stream.write_all(response.body.as_bytes())?;
    }
    stream.flush()?;
    // One line per request, on stdout, so `kubectl logs` and Watch-DevLog show the traffic.
    println!(
        "{name}: {} {} -> {} ({} ms)",
        request.method,
        request.path,
        response.status,
        started.elapsed().as_millis()
    );
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// GET http://host:port/path; returns (status, body).
pub fn get(host: &str, port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let timeout = Duration::from_secs(5);
    let address = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?
        .next()
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no address for {host}"),
            )
        })?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Connection: close means the body ends at EOF; Content-Length only trims a sloppy peer.
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    let body = match length {
        Some(n) if n <= body.len() => &body[..n],
        _ => body,
    };
    Ok((status, body.to_string()))
}

/// Where another service lives: an explicit NAME_URL (http://host:port) wins, else the
/// NAME_SERVICE_HOST/NAME_SERVICE_PORT variables Kubernetes injects (the test cluster has no DNS).
pub fn locate(service: &str) -> Option<(String, u16)> {
    locate_in(service, |name| std::env::var(name).ok())
}

fn locate_in(service: &str, env: impl Fn(&str) -> Option<String>) -> Option<(String, u16)> {
    let upper = service.to_uppercase().replace('-', "_");
    if let Some(url) = env(&format!("{upper}_URL")).filter(|u| !u.is_empty()) {
        let rest = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or("");
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "80"));
        return Some((host.to_string(), port.parse().ok()?));
    }
    let host = env(&format!("{upper}_SERVICE_HOST"))?;
    let port = env(&format!("{upper}_SERVICE_PORT"))?.parse().ok()?;
    Some((host, port))
}

/// As PID 1 of a container, a process without a SIGTERM handler ignores SIGTERM, and the pod
/// then waits out its whole grace period on every rollout and dev-mode switch. Nothing needs
/// draining here (every connection is Connection: close), so exiting at once is the clean stop.
#[cfg(unix)]
fn exit_on_sigterm() {
    // std links libc anyway; declaring the two calls avoids a dependency on the libc crate.
    extern "C" {
        fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
        fn _exit(status: i32) -> !;
    }
    extern "C" fn on_term(_: i32) {
        // _exit is async-signal-safe; std::process::exit is not.
        unsafe { _exit(0) }
    }
    const SIGTERM: i32 = 15;
    unsafe {
        signal(SIGTERM, on_term);
    }
}

#[cfg(not(unix))]
fn exit_on_sigterm() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn locate_prefers_the_explicit_url() {
        let vars = [
            ("CATALOG_URL", "http://127.0.0.1:9000/"),
            ("CATALOG_SERVICE_HOST", "10.0.0.7"),
            ("CATALOG_SERVICE_PORT", "80"),
        ];
        assert_eq!(
            locate_in("catalog", env(&vars)),
            Some(("127.0.0.1".into(), 9000))
        );
    }

    #[test]
    fn locate_falls_back_to_the_injected_service_variables() {
        let vars = [
            ("MY_API_SERVICE_HOST", "10.0.0.7"),
            ("MY_API_SERVICE_PORT", "80"),
        ];
        assert_eq!(
            locate_in("my-api", env(&vars)),
            Some(("10.0.0.7".into(), 80))
        );
        assert_eq!(locate_in("catalog", env(&vars)), None);
    }

    #[test]
    fn serves_and_fetches_over_loopback() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        fn handler(r: &Request) -> Response {
            match r.path.as_str() {
                "/hello" => Response::text(200, "héllo"),
                _ => Response::text(404, "not found"),
            }
        }
        std::thread::spawn(move || serve_on(listener, "test", handler));
        assert_eq!(
            get("127.0.0.1", port, "/hello?x=1").unwrap(),
            (200, "héllo".to_string())
        );
        assert_eq!(get("127.0.0.1", port, "/nope").unwrap().0, 404);
    }
}
