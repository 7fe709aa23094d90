//! A test proxy between socform and moto: adds a fixed latency to every request and injects
//! faults at a given rate (throttling errors in each AWS protocol's own form, HTTP 503, and
//! dropped connections). HTTP/1.1 with keep-alive; one thread per connection. Loopback only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An error answered, instead of forwarding, to the first `times` requests whose head or
/// body contains `needle` (an operation name such as `CreateTrail`).
#[derive(Clone, Debug)]
pub struct Injection {
    pub needle: &'static str,
    pub times: u32,
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Probability that a request is answered with a throttling error.
    pub throttle: f64,
    /// Probability of an empty HTTP 503.
    pub unavailable: f64,
    /// Probability that the connection is closed without an answer.
    pub drop: f64,
    /// Probability that the request reaches the upstream, takes effect, and its answer is
    /// lost (the connection is closed instead): the fault that makes a retried create a
    /// duplicate.
    pub drop_after: f64,
}

/// Holds the first `times` requests containing `needle` for `delay`: with `before`
/// false, after the upstream answered (the call has taken effect, the client is still
/// waiting); with `before` true, before it is sent (the call has not reached AWS, and never
/// does if the client hangs up meanwhile: a killed run's call is dropped, not replayed).
/// What a test needs to land a signal at a chosen point of an apply.
#[derive(Clone, Debug)]
pub struct Hold {
    pub needle: &'static str,
    pub times: u32,
    pub delay: Duration,
    pub before: bool,
}

#[derive(Default)]
pub struct Stats {
    /// Answers being held right now, and held in all.
    pub holding: AtomicU64,
    pub held: AtomicU64,
    pub requests: AtomicU64,
    pub injected: AtomicU64,
    pub throttled: AtomicU64,
    pub unavailable: AtomicU64,
    pub dropped: AtomicU64,
    /// Answers lost after the upstream acted on the request.
    pub lost: AtomicU64,
    /// The requests answered by an injection: the request line and the body, so a test can
    /// check what was asked of a call the emulator lacks.
    pub answered: Mutex<Vec<String>>,
}

pub struct Proxy {
    pub port: u16,
    pub stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    injections: Arc<Mutex<Vec<Injection>>>,
    holds: Arc<Mutex<Vec<Hold>>>,
    spared: Arc<Mutex<Vec<&'static str>>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream_port`.
    pub fn start(upstream_port: u16, latency: Duration, faults: Faults, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(seed.max(1)));
        let injections: Arc<Mutex<Vec<Injection>>> = Arc::default();
        let holds: Arc<Mutex<Vec<Hold>>> = Arc::default();
        let spared: Arc<Mutex<Vec<&'static str>>> = Arc::default();
        let (s2, stop2, inj2, holds2, spared2) =
            (stats.clone(), stop.clone(), injections.clone(), holds.clone(), spared.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let shared = Shared {
                    stats: s2.clone(),
                    rng: rng.clone(),
                    injections: inj2.clone(),
                    holds: holds2.clone(),
                    spared: spared2.clone(),
                };
                std::thread::spawn(move || {
                    let _ = serve(client, upstream_port, latency, faults, &shared);
                });
            }
        });
        Proxy { port, stats, stop, injections, holds, spared }
    }

    /// Never injects a random fault into requests containing `needle`.
    pub fn spare(&self, needle: &'static str) {
        self.spared.lock().unwrap().push(needle);
    }

    /// Holds answers to matching requests (see [`Hold`]).
    pub fn hold(&self, h: Hold) {
        self.holds.lock().unwrap().push(h);
    }

    /// Adds an error to answer in place of matching requests.
    pub fn inject(&self, i: Injection) {
        self.injections.lock().unwrap().push(i);
    }

    /// Drops every injection not used up: the next phase of a test starts with its own.
    #[allow(dead_code)]
    pub fn clear(&self) {
        self.injections.lock().unwrap().clear();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// xorshift64*: a reproducible stream of faults for a seed.
fn next(rng: &Mutex<u64>) -> f64 {
    let mut x = rng.lock().unwrap();
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    let v = x.wrapping_mul(0x2545F4914F6CDD1D);
    (v >> 11) as f64 / (1u64 << 53) as f64
}

struct Message {
    head: String,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one HTTP message (request or response); `None` at a clean end of stream.
fn read_message(r: &mut BufReader<TcpStream>, is_response_to_head: bool) -> std::io::Result<Option<Message>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(if head.is_empty() { None } else { Some(Message { head, body: vec![] }) });
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut msg = Message { head, body: vec![] };
    if is_response_to_head {
        return Ok(Some(msg));
    }
    if let Some(n) = msg.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        msg.body = vec![0; n];
        r.read_exact(&mut msg.body)?;
    } else if msg.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        // Keep the chunked framing as it is; stop after the last chunk.
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            msg.body.extend_from_slice(size.as_bytes());
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            msg.body.extend_from_slice(&chunk);
            if n == 0 {
                break;
            }
        }
    } else if msg.head.starts_with("HTTP/")
        && !msg.head.starts_with("HTTP/1.1 204")
        && !msg.head.starts_with("HTTP/1.1 304")
    {
        // A response without a length runs to the end of the connection.
        r.read_to_end(&mut msg.body)?;
    }
    Ok(Some(msg))
}

fn throttle_response(req: &Message) -> Vec<u8> {
    let ctype = req.header("content-type").unwrap_or("");
    let body_text = String::from_utf8_lossy(&req.body);
    let (status, ctype_out, body) = if ctype.contains("x-amz-json") {
        (
            "400 Bad Request",
            "application/x-amz-json-1.1",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        )
    } else if body_text.contains("Version=2016-11-15") {
        (
            "503 Service Unavailable",
            "text/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>".to_string(),
        )
    } else if ctype.contains("x-www-form-urlencoded") {
        (
            "400 Bad Request",
            "text/xml",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>".to_string(),
        )
    } else {
        (
            "503 Slow Down",
            "application/xml",
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".to_string(),
        )
    };
    format!("HTTP/1.1 {status}\r\nContent-Type: {ctype_out}\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .into_bytes()
}

/// What every connection of one proxy shares.
struct Shared {
    stats: Arc<Stats>,
    rng: Arc<Mutex<u64>>,
    injections: Arc<Mutex<Vec<Injection>>>,
    holds: Arc<Mutex<Vec<Hold>>>,
    spared: Arc<Mutex<Vec<&'static str>>>,
}

fn serve(
    client: TcpStream,
    upstream_port: u16,
    latency: Duration,
    faults: Faults,
    shared: &Shared,
) -> std::io::Result<()> {
    let (stats, rng, injections, holds) = (&*shared.stats, &*shared.rng, &*shared.injections, &*shared.holds);
    let mut client_w = client.try_clone()?;
    let mut client_r = BufReader::new(client);
    let upstream = TcpStream::connect(("127.0.0.1", upstream_port))?;
    let mut up_w = upstream.try_clone()?;
    let mut up_r = BufReader::new(upstream);
    while let Some(req) = read_message(&mut client_r, false)? {
        stats.requests.fetch_add(1, Ordering::SeqCst);
        let injected = {
            let mut list = injections.lock().unwrap();
            let body = String::from_utf8_lossy(&req.body);
            list.iter_mut().find(|i| i.times > 0 && mentions(&req, &body, i.needle)).map(|i| {
                i.times -= 1;
                let line = req.head.lines().next().unwrap_or_default();
                stats.answered.lock().unwrap().push(format!("{line}\n{body}"));
                format!(
                    "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{}",
                    i.status,
                    i.content_type,
                    i.body.len(),
                    i.body
                )
            })
        };
        if let Some(resp) = injected {
            stats.injected.fetch_add(1, Ordering::SeqCst);
            client_w.write_all(resp.as_bytes())?;
            continue;
        }
        let spared = shared.spared.lock().unwrap().iter().any(|n| req.head.contains(n));
        let faults = if spared { Faults::default() } else { faults };
        let roll = next(rng);
        if roll < faults.drop {
            stats.dropped.fetch_add(1, Ordering::SeqCst);
            let _ = client_w.shutdown(Shutdown::Both);
            return Ok(());
        }
        if roll < faults.drop + faults.unavailable {
            stats.unavailable.fetch_add(1, Ordering::SeqCst);
            client_w.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        if roll < faults.drop + faults.unavailable + faults.throttle {
            stats.throttled.fetch_add(1, Ordering::SeqCst);
            client_w.write_all(&throttle_response(&req))?;
            continue;
        }
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        if let Some(delay) = take_hold(holds, &req, true) {
            if !hold_request(client_r.get_ref(), delay, stats)? {
                return Ok(());
            }
        }
        up_w.write_all(req.head.as_bytes())?;
        up_w.write_all(&req.body)?;
        let head_only = req.head.starts_with("HEAD ");
        let Some(resp) = read_message(&mut up_r, head_only)? else { return Ok(()) };
        if next(rng) < faults.drop_after {
            stats.lost.fetch_add(1, Ordering::SeqCst);
            let _ = client_w.shutdown(Shutdown::Both);
            return Ok(());
        }
        if let Some(delay) = take_hold(holds, &req, false) {
            stats.holding.fetch_add(1, Ordering::SeqCst);
            stats.held.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            stats.holding.fetch_sub(1, Ordering::SeqCst);
        }
        client_w.write_all(resp.head.as_bytes())?;
        client_w.write_all(&resp.body)?;
        if resp.header("content-length").is_none() && resp.header("transfer-encoding").is_none() && !head_only {
            let _ = client_w.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
    Ok(())
}

/// Whether a request's head or body (given decoded) contains `needle`: how injections and
/// holds pick their requests.
/// A `*` in `needle` stands for any text within the head's first line (a path's id:
/// `GET /detector/*/admin HTTP`).
fn mentions(req: &Message, body: &str, needle: &str) -> bool {
    if let Some((before, after)) = needle.split_once('*') {
        let line = req.head.lines().next().unwrap_or_default();
        return line.find(before).is_some_and(|i| line[i + before.len()..].contains(after));
    }
    req.head.contains(needle) || body.contains(needle)
}

/// The delay of the first hold left for this request at this point (before or after the
/// upstream), used up by one.
fn take_hold(holds: &Mutex<Vec<Hold>>, req: &Message, before: bool) -> Option<Duration> {
    let mut list = holds.lock().unwrap();
    let body = String::from_utf8_lossy(&req.body);
    list.iter_mut().find(|h| h.times > 0 && h.before == before && mentions(req, &body, h.needle)).map(|h| {
        h.times -= 1;
        h.delay
    })
}

/// Holds a request that has not been sent for `delay`, watching the client: false when it
/// hung up meanwhile (the request is then dropped, never sent).
fn hold_request(client: &TcpStream, delay: Duration, stats: &Stats) -> std::io::Result<bool> {
    stats.holding.fetch_add(1, Ordering::SeqCst);
    stats.held.fetch_add(1, Ordering::SeqCst);
    let until = std::time::Instant::now() + delay;
    client.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut byte = [0u8; 1];
    let mut alive = true;
    while std::time::Instant::now() < until {
        match client.peek(&mut byte) {
            Ok(0) => {
                alive = false;
                break;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => {
                alive = false;
                break;
            }
        }
    }
    client.set_read_timeout(None)?;
    stats.holding.fetch_sub(1, Ordering::SeqCst);
    Ok(alive)
}
