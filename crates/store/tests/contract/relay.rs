//! A TCP relay between a store and the PostgreSQL server, which a test can cut and restore
//! to play a database that goes away and comes back.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Relays connections from a local port to `upstream` until cut.
pub struct Relay {
    addr: SocketAddr,
    upstream: String,
    tasks: Option<JoinSet<()>>,
}

impl Relay {
    /// Starts relaying from a free local port to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut relay = Self {
            addr,
            upstream: upstream.to_owned(),
            tasks: None,
        };
        relay.serve(listener);
        relay
    }

    /// The local `host:port` to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the port and every relayed connection, as a stopped server would.
    pub fn cut(&mut self) {
        // Dropping the set aborts the accept loop and every connection's task, which
        // closes their sockets.
        self.tasks = None;
    }

    /// Listens again on the same port.
    pub async fn restore(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        self.tasks = Some(tasks);
    }
}
