//! Just enough HTTP/1.1 for the sample services, on std only (no crates registry here):
//! one thread per connection, Content-Length bodies, Connection: close.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

pub struct Request {
    pub method: String,
    pub path: String,
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    pub fn json(body: String) -> Self {
        Response { status: 200, content_type: "application/json", body }
    }
    pub fn text(status: u16, body: &str) -> Self {
        Response { status, content_type: "text/plain", body: body.to_string() }
    }
}

/// Serves `handler` on 0.0.0.0:`port` forever, logging one line per request to stdout.
pub fn serve(name: &str, port: u16, handler: fn(&Request) -> Response) -> std::io::Result<()> {
    let listener = TcpListener::bind(("0.0.0.0", port))?;
    println!("{name} listening on :{port}");
    for stream in listener.incoming().flatten() {
        let name = name.to_string();
        std::thread::spawn(move || {
            if let Err(e) = handle(&name, stream, handler) {
                eprintln!("{name}: connection error: {e}");
            }
        });
    }
    Ok(())
}

fn handle(name: &str, stream: TcpStream, handler: fn(&Request) -> Response) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let request = Request {
        method: parts.next().unwrap_or("").to_string(),
        path: parts.next().unwrap_or("/").to_string(),
    };
    // Headers are read and ignored: the sample's requests carry no body.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let response = handler(&request);
    println!("{name}: {} {} -> {}", request.method, request.path, response.status);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        response.status,
        if response.status == 200 { "OK" } else { "Error" },
        response.content_type,
        response.body.len(),
        response.body
    )?;
    stream.flush()
}

/// GET http://host:port/path; returns (status, body).
pub fn get(host: &str, port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect((host, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let status = raw.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Where another service lives: an explicit URL variable (NAME_URL=http://host:port) wins, else
/// the NAME_SERVICE_HOST/PORT variables Kubernetes injects (the test cluster has no DNS).
pub fn locate(service: &str) -> Option<(String, u16)> {
    let upper = service.to_uppercase().replace('-', "_");
    if let Ok(url) = std::env::var(format!("{upper}_URL")) {
        let rest = url.trim_start_matches("http://").trim_end_matches('/');
        let (host, port) = rest.split_once(':').unwrap_or((rest, "80"));
        return Some((host.to_string(), port.parse().ok()?));
    }
    let host = std::env::var(format!("{upper}_SERVICE_HOST")).ok()?;
    let port = std::env::var(format!("{upper}_SERVICE_PORT")).ok()?.parse().ok()?;
    Some((host, port))
}

pub fn port_from_env(default: u16) -> u16 {
    std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(default)
}
