//! The listener's limits on a real socket on 127.0.0.1: a client that sends its request
//! head slowly (slowloris) or stays idle is disconnected after `header_read_timeout` while
//! other clients are served; beyond `max_connections` a new connection waits without
//! harming those in progress; one address holds at most `max_streams_per_address`
//! revocation streams.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::Router;
use tessera_server::connections::{ConnectionLimits, Handle, serve_plain};
use tessera_server::http::app;

use crate::helpers::TestApp;

/// The header read timeout of these tests; every wait below allows several times it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Serves `router` on 127.0.0.1 under `limits`; the address and the handle that stops it.
async fn listen(router: Router, limits: ConnectionLimits) -> (SocketAddr, Handle<SocketAddr>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let address = listener.local_addr().expect("address");
    let handle = Handle::new();
    let serving = handle.clone();
    tokio::spawn(async move { serve_plain(listener, router, &limits, serving).await });
    (address, handle)
}

fn limits(max_connections: usize) -> ConnectionLimits {
    let mut limits = ConnectionLimits::default();
    limits.header_read_timeout = TIMEOUT;
    limits.max_connections = max_connections;
    limits
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    stream
}

/// Sends one whole request on `stream` and reads the status line's code.
fn request(stream: &mut TcpStream, path: &str) -> u16 {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("write");
    status(stream)
}

/// Reads a response head from `stream` (and its body when it has a length) and returns
/// its status code.
fn status(stream: &mut TcpStream) -> u16 {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read a response");
        assert_eq!(
            n,
            1,
            "closed before a response: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = text
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok());
    if let Some(length) = length {
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).expect("the body");
    }
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line")
}

/// Reads until the server closes `stream` (or the read timeout); how long it took.
fn until_closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

/// A complete request on a new connection, answered.
fn fetch(address: SocketAddr, path: &str) -> u16 {
    request(&mut connect(address), path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_disconnected_while_others_are_served() {
    let app = TestApp::new().await;
    let (address, handle) = listen(app.router.clone(), limits(64)).await;
    let outcome = tokio::task::spawn_blocking(move || {
        // Twenty clients that send half a request line, then a byte of header every 200 ms.
        let mut slow: Vec<TcpStream> = (0..20)
            .map(|_| {
                let mut stream = connect(address);
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: l")
                    .expect("write");
                stream
            })
            .collect();
        let started = Instant::now();
        let mut served = 0;
        while started.elapsed() < TIMEOUT * 3 / 2 {
            for stream in &mut slow {
                // A closed connection refuses the write: that is what the test waits for.
                let _ = stream.write_all(b"o");
            }
            assert_eq!(
                fetch(address, "/healthz"),
                200,
                "others are served meanwhile"
            );
            served += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
        let waited: Vec<Duration> = slow.iter_mut().map(until_closed).collect();
        (served, started.elapsed(), waited)
    })
    .await
    .expect("client thread");
    let (served, elapsed, _) = &outcome;
    assert!(*served >= 3, "{outcome:?}");
    // Each slow client is closed within twice the timeout (plus scheduling slack), long
    // before the 20 s read timeout would end the loop.
    assert!(
        *elapsed < TIMEOUT * 2 + Duration::from_secs(2),
        "{outcome:?}"
    );
    handle.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let app = TestApp::new().await;
    let (address, handle) = listen(app.router.clone(), limits(64)).await;
    let (first, second, idle) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(address);
        let first = request(&mut stream, "/healthz");
        // Answered, and the connection kept alive for a next request.
        let second = request(&mut stream, "/healthz");
        (first, second, until_closed(&mut stream))
    })
    .await
    .expect("client thread");
    assert_eq!((first, second), (200, 200));
    assert!(idle < TIMEOUT * 2 + Duration::from_secs(2), "{idle:?}");
    handle.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_cap_a_connection_waits_and_those_in_progress_go_on() {
    let app = TestApp::new().await;
    let mut limits = limits(2);
    limits.header_read_timeout = Duration::from_secs(30);
    let (address, handle) = listen(app.router.clone(), limits).await;
    let (held, waited, third) = tokio::task::spawn_blocking(move || {
        let mut first = connect(address);
        let second = connect(address);
        assert_eq!(request(&mut first, "/healthz"), 200, "in progress");
        // Both slots are taken: a third connection's request is not answered yet.
        let mut third = connect(address);
        third
            .set_read_timeout(Some(Duration::from_millis(700)))
            .expect("timeout");
        write!(third, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("write");
        let mut byte = [0u8; 1];
        let waited = third.read(&mut byte).is_err();
        // The connections in progress are still served.
        let held = request(&mut first, "/healthz");
        // One leaves: the third is accepted and answered.
        drop(second);
        third
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        (held, waited, status(&mut third))
    })
    .await
    .expect("client thread");
    assert_eq!(held, 200);
    assert!(waited, "the third connection waited for a slot");
    assert_eq!(third, 200);
    handle.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_a_bounded_number_of_revocation_streams() {
    let test_app = TestApp::new().await;
    let mut limits = limits(64);
    limits.max_streams_per_address = 2;
    let router = app(test_app.state.clone().with_limits(limits.request_limits()));
    let (address, handle) = listen(router, limits).await;
    let codes = tokio::task::spawn_blocking(move || {
        let mut open: Vec<TcpStream> = Vec::new();
        let mut codes = Vec::new();
        for _ in 0..3 {
            let mut stream = connect(address);
            codes.push(request(&mut stream, "/revocations/stream"));
            open.push(stream);
        }
        // A stream that ends gives its slot back.
        drop(open.remove(0));
        let started = Instant::now();
        loop {
            let code = fetch_stream(address);
            if code == 200 || started.elapsed() > Duration::from_secs(10) {
                codes.push(code);
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        codes
    })
    .await
    .expect("client thread");
    assert_eq!(codes, [200, 200, 429, 200]);
    handle.shutdown();
}

/// Opens a revocation stream on a new connection; the status, the connection dropped.
fn fetch_stream(address: SocketAddr) -> u16 {
    let mut stream = connect(address);
    request(&mut stream, "/revocations/stream")
}
