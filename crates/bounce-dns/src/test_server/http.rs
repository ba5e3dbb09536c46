//! A small HTTP/1.1 server for tests (feature `test-server`): on 127.0.0.1, it answers `GET`
//! requests from a table of paths, counts the requests and logs their paths. Made for RDAP
//! answers (`application/rdap+json`); a path not in the table answers 404.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{Running, Traffic};

/// What the server answers for one path.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: String,
}

/// A running HTTP test server; stops when dropped.
#[derive(Debug)]
pub struct HttpServer {
    address: SocketAddr,
    running: Running,
}

impl HttpServer {
    /// Starts a server answering each `(path, status, body)` of `routes`. A 3xx status
    /// answers with the body as its `Location` (a path starting with `/` is on this server);
    /// status 0 never answers (a timeout).
    ///
    /// # Panics
    /// When no port can be bound (tests only).
    #[must_use]
    pub fn start(routes: &[(&str, u16, &str)]) -> HttpServer {
        let routes: HashMap<String, Reply> = routes
            .iter()
            .map(|(path, status, body)| {
                ((*path).to_owned(), Reply { status: *status, body: (*body).to_owned() })
            })
            .collect();
        let routes = Arc::new(routes);
        let listener = TcpListener::bind("127.0.0.1:0").expect("tcp bind");
        let address = listener.local_addr().expect("bound");
        listener.set_nonblocking(true).expect("nonblocking");
        let mut running = Running::default();
        let thread = {
            let (traffic, stop) = (running.traffic.clone(), running.stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok((stream, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    let (routes, traffic) = (routes.clone(), traffic.clone());
                    std::thread::spawn(move || serve(stream, address, &routes, &traffic));
                }
            })
        };
        running.threads.push(thread);
        HttpServer { address, running }
    }

    /// The server's base URL, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Requests received so far.
    #[must_use]
    pub fn requests(&self) -> usize {
        self.running.traffic.count()
    }

    /// The paths requested so far, in order.
    #[must_use]
    pub fn log(&self) -> Vec<String> {
        self.running.traffic.log()
    }
}

/// Answers the requests of one connection (keep-alive until the client closes).
fn serve(
    mut stream: TcpStream,
    address: SocketAddr,
    routes: &HashMap<String, Reply>,
    traffic: &Traffic,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    loop {
        let Some(path) = read_request(&mut stream) else { return };
        traffic.record(Some(path.clone()));
        let reply = routes.get(&path).cloned().unwrap_or(Reply {
            status: 404,
            body: r#"{"errorCode": 404, "title": "Not Found"}"#.to_owned(),
        });
        let head = match reply.status {
            0 => {
                std::thread::sleep(Duration::from_secs(3));
                return;
            }
            300..=399 => {
                let location = if reply.body.starts_with('/') {
                    format!("http://{address}{}", reply.body)
                } else {
                    reply.body.clone()
                };
                format!(
                    "HTTP/1.1 {} Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n",
                    reply.status
                )
            }
            status => format!(
                "HTTP/1.1 {status} Answer\r\nContent-Type: application/rdap+json\r\nContent-Length: {}\r\n\r\n",
                reply.body.len()
            ),
        };
        let body = if (300..=399).contains(&reply.status) { "" } else { reply.body.as_str() };
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}

/// The path of the next request on the connection; none when it closed or is not HTTP.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut first = head.lines().next()?.split_whitespace();
    let (_method, path) = (first.next()?, first.next()?);
    Some(path.to_owned())
}
