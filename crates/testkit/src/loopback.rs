//! Hand-made servers on loopback, for the tests that need an "API" no sandbox can be: raw
//! bytes, proxies, TLS in front of a sandbox, a listener that only counts. Each of them
//! had its own accept loop and its own request-head reader.

use std::future::Future;
use std::net::SocketAddr;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// Listens on `127.0.0.1:0` and runs `serve` on every connection, each in its own task,
/// for as long as the test's runtime lives; returns the address listened on.
pub async fn serve<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind on loopback");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    address
}

/// Reads a request's head off `stream`, up to and including its blank line (and whatever
/// of the body came with it); `None` when the connection ends or fails first.
pub async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    Some(head)
}

/// The request line of a head (`GET /api/v1/monitor HTTP/1.1`).
pub fn request_line(head: &[u8]) -> String {
    String::from_utf8_lossy(head)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// The request target of a head (`/api/v1/monitor?page=0`, or `host:443` for a
/// `CONNECT`); empty when the head has none.
pub fn request_target(head: &[u8]) -> String {
    request_line(head)
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string()
}
