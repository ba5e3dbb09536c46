//! A DNS responder on 127.0.0.1 for `cargo xtask bench --resolve`: it answers every question
//! at once, so the bench measures what `--resolve` itself costs (the client, the memo, the
//! evidence), not the internet. MX `<name>` is `10 mx.<name>`, A is 192.0.2.1, PTR is
//! NXDOMAIN and any other type has no records. DNS messages are built by hand (RFC 1035
//! section 4): the xtask keeps its dependencies few.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;

const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const TYPE_MX: u16 = 15;

/// The running responder; [`Responder::stop`] ends it.
pub(crate) struct Responder {
    pub(crate) address: SocketAddr,
    pub(crate) queries: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    pub(crate) fn start() -> Result<Responder> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(Duration::from_millis(50)))?;
        let address = socket.local_addr()?;
        let queries = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (queries, stop) = (queries.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buffer = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, peer)) = socket.recv_from(&mut buffer) else { continue };
                    if let Some(reply) = answer(&buffer[..len]) {
                        queries.fetch_add(1, Ordering::Relaxed);
                        let _ = socket.send_to(&reply, peer);
                    }
                }
            })
        };
        Ok(Responder { address, queries, stop, thread: Some(thread) })
    }

    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The response to one query, or none when it is not one.
fn answer(query: &[u8]) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 || u16::from_be_bytes([query[4], query[5]]) != 1 {
        return None;
    }
    // The question: labels up to the root, then type and class.
    let mut at = 12;
    while *query.get(at)? != 0 {
        at += usize::from(query[at]) + 1;
    }
    let question_end = at + 5;
    let qtype = u16::from_be_bytes([*query.get(at + 1)?, *query.get(at + 2)?]);
    let question = query.get(12..question_end)?;
    let rd = query[2] & 0x01;
    let mut reply = Vec::with_capacity(question.len() + 64);
    reply.extend_from_slice(&query[..2]);
    let rcode = if qtype == TYPE_PTR { 3 } else { 0 };
    reply.extend_from_slice(&[0x84 | rd, 0x80 | rcode]);
    let answers: u16 = u16::from(matches!(qtype, TYPE_A | TYPE_MX));
    reply.extend_from_slice(&[0, 1]);
    reply.extend_from_slice(&answers.to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]);
    reply.extend_from_slice(question);
    if answers == 1 {
        // The owner is the question's name (a pointer to offset 12), class IN, TTL 3600.
        reply.extend_from_slice(&[0xc0, 12]);
        reply.extend_from_slice(&qtype.to_be_bytes());
        reply.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
        if qtype == TYPE_MX {
            // Preference 10, exchange `mx.` + the question's name.
            reply.extend_from_slice(&[0, 7, 0, 10, 2, b'm', b'x', 0xc0, 12]);
        } else {
            reply.extend_from_slice(&[0, 4, 192, 0, 2, 1]);
        }
    }
    Some(reply)
}
