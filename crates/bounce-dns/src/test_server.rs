//! A small authoritative DNS server for tests (feature `test-server`): real DNS messages over
//! UDP and TCP on 127.0.0.1, built on hickory-proto, serving an in-memory zone written one
//! record a line:
//!
//! ```text
//! example.com        MX    10 mx1.example.com
//! mx1.example.com    A     192.0.2.10
//! 192.0.2.99         PTR   out.sender.example      (an IP as name: its in-addr.arpa name)
//! broken.example     SERVFAIL                      (every question answered SERVFAIL)
//! slow.example       SILENT                        (never answered: a timeout)
//! ```
//!
//! A name with records of other types answers NOERROR without records; a name not in the zone
//! answers NXDOMAIN. The server counts the questions it received.
//!
//! [`HttpServer`] serves RDAP answers over HTTP the same way.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, MX, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

mod http;

pub use http::HttpServer;

/// What a test server was asked, shared with the threads that answer: how many questions or
/// requests, and a line for each in the log.
#[derive(Debug, Clone, Default)]
struct Traffic {
    count: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Traffic {
    /// Counts one question or request, logged as `line` when it has one.
    fn record(&self, line: Option<String>) {
        self.count.fetch_add(1, Ordering::SeqCst);
        if let (Some(line), Ok(mut log)) = (line, self.log.lock()) {
            log.push(line);
        }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// A running test server's threads and what they were asked; dropping it stops and joins the
/// threads.
#[derive(Debug, Default)]
struct Running {
    traffic: Traffic,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The zone a [`TestServer`] serves.
#[derive(Debug, Default, Clone)]
struct Zone {
    records: HashMap<(String, RecordType), Vec<RData>>,
    names: HashSet<String>,
    servfail: HashSet<String>,
    silent: HashSet<String>,
}

fn key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn parse_name(text: &str) -> Name {
    Name::from_ascii(format!("{}.", key(text))).unwrap_or_else(|_| Name::root())
}

impl Zone {
    fn parse(text: &str) -> Zone {
        let mut zone = Zone::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut fields = line.split_whitespace();
            let (Some(name), Some(kind)) = (fields.next(), fields.next()) else { continue };
            let rest: Vec<&str> = fields.collect();
            let owner = match (kind, name.parse::<IpAddr>()) {
                ("PTR", Ok(ip)) => key(&Name::from(ip).to_ascii()),
                _ => key(name),
            };
            let data = match kind {
                "SERVFAIL" => {
                    zone.servfail.insert(owner);
                    continue;
                }
                "SILENT" => {
                    zone.silent.insert(owner);
                    continue;
                }
                "MX" => RData::MX(MX::new(
                    rest.first().and_then(|p| p.parse().ok()).unwrap_or(0),
                    rest.get(1).map_or_else(Name::root, |h| {
                        if *h == "." {
                            Name::root()
                        } else {
                            parse_name(h)
                        }
                    }),
                )),
                "A" => RData::A(A(rest.first().and_then(|a| a.parse().ok()).expect("A address"))),
                "AAAA" => RData::AAAA(AAAA(
                    rest.first().and_then(|a| a.parse().ok()).expect("AAAA address"),
                )),
                "PTR" => RData::PTR(PTR(parse_name(rest.first().expect("PTR name")))),
                "TXT" => RData::TXT(TXT::new(vec![rest.join(" ").trim_matches('"').to_owned()])),
                other => panic!("test zone: unknown type {other}"),
            };
            let record_type = RecordType::from_str(kind).expect("record type");
            zone.names.insert(owner.clone());
            zone.records.entry((owner, record_type)).or_default().push(data);
        }
        zone
    }

    /// The response to one request, or none (a silent name).
    fn answer(&self, request: &Message) -> Option<Message> {
        let query = request.queries.first()?;
        let owner = key(&query.name().to_ascii());
        if self.silent.contains(&owner) {
            return None;
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.message_type = MessageType::Response;
        response.metadata.authoritative = true;
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.add_query(query.clone());
        if self.servfail.contains(&owner) {
            response.metadata.response_code = ResponseCode::ServFail;
            return Some(response);
        }
        match self.records.get(&(owner.clone(), query.query_type())) {
            Some(records) => {
                for data in records {
                    response.add_answer(Record::from_rdata(
                        query.name().clone(),
                        300,
                        data.clone(),
                    ));
                }
            }
            None if self.names.contains(&owner) => {}
            None => response.metadata.response_code = ResponseCode::NXDomain,
        }
        Some(response)
    }
}

/// A running test server; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    address: SocketAddr,
    running: Running,
}

impl TestServer {
    /// Starts a server for `zone` on 127.0.0.1 at a free port (UDP and TCP on the same port).
    ///
    /// # Panics
    /// When no port can be bound (tests only).
    #[must_use]
    pub fn start(zone: &str) -> TestServer {
        let zone = Arc::new(Zone::parse(zone));
        let (udp, tcp) = bind_pair();
        let address = udp.local_addr().expect("bound");
        udp.set_read_timeout(Some(Duration::from_millis(50))).expect("timeout");
        tcp.set_nonblocking(true).expect("nonblocking");
        let mut running = Running::default();
        let stop = running.stop.clone();
        let serve = {
            let (zone, traffic) = (zone.clone(), running.traffic.clone());
            move |bytes: &[u8]| -> Option<Vec<u8>> {
                let request = Message::from_vec(bytes).ok()?;
                let question = request.queries.first();
                traffic.record(
                    question.map(|q| format!("{} {}", q.query_type(), key(&q.name().to_ascii()))),
                );
                zone.answer(&request)?.to_vec().ok()
            }
        };
        let serve = Arc::new(serve);
        let udp_thread = {
            let (serve, stop) = (serve.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    let Ok((len, peer)) = udp.recv_from(&mut buffer) else { continue };
                    if let Some(reply) = serve(&buffer[..len]) {
                        let _ = udp.send_to(&reply, peer);
                    }
                }
            })
        };
        let tcp_thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok((mut stream, _)) = tcp.accept() else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                    let mut length = [0u8; 2];
                    while stream.read_exact(&mut length).is_ok() {
                        let mut request = vec![0u8; usize::from(u16::from_be_bytes(length))];
                        if stream.read_exact(&mut request).is_err() {
                            break;
                        }
                        let Some(reply) = serve(&request) else { continue };
                        let Ok(len) = u16::try_from(reply.len()) else { break };
                        let _ = stream.write_all(&len.to_be_bytes());
                        let _ = stream.write_all(&reply);
                    }
                }
            })
        };
        running.threads = vec![udp_thread, tcp_thread];
        TestServer { address, running }
    }

    /// The address to pass as `--dns-server`.
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Questions received so far.
    #[must_use]
    pub fn queries(&self) -> usize {
        self.running.traffic.count()
    }

    /// The questions received so far, as `TYPE name`.
    #[must_use]
    pub fn log(&self) -> Vec<String> {
        self.running.traffic.log()
    }
}

/// A UDP socket and a TCP listener on the same free port of 127.0.0.1.
fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("udp bind");
        let port = udp.local_addr().expect("bound").port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
            return (udp, tcp);
        }
    }
    panic!("no free port for the test DNS server");
}
