//! Throw-away PostgreSQL schemas for tests, on the server TESSERA_TEST_DATABASE_URL names.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// The variable that names the test server, for example
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const URL_VAR: &str = "TESSERA_TEST_DATABASE_URL";

/// The test server's URL, if one is configured.
pub fn server_url() -> Option<String> {
    std::env::var(URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A schema of its own for one test, dropped with everything in it when this is dropped.
pub struct Schema {
    server: String,
    name: String,
}

impl Schema {
    /// Creates a uniquely named schema on `server`.
    pub async fn create(server: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "tessera_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect(server).await.unwrap();
        let sql = format!("CREATE SCHEMA {name}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Self {
            server: server.to_owned(),
            name,
        }
    }

    /// The server URL with this schema as the `search_path` (and the connections' name).
    pub fn url(&self) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{name}&application_name={name}",
            self.server,
            name = self.name
        )
    }

    /// [`Self::url`] with `addr` in place of the server's host and port.
    pub fn url_through(&self, addr: SocketAddr) -> String {
        let (scheme, rest) = self
            .url()
            .split_once("://")
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .unwrap();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let userinfo = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"));
        format!("{scheme}://{}{addr}{tail}", userinfo.unwrap_or_default())
    }

    /// The server's `host:port`.
    pub fn server_addr(&self) -> String {
        let options = PgConnectOptions::from_str(&self.server).unwrap();
        format!("{}:{}", options.get_host(), options.get_port())
    }

    /// A plain connection to the server, with this schema as the `search_path`.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url()).await.unwrap()
    }
}

impl Drop for Schema {
    /// Drops the schema from a thread of its own, since `Drop` cannot await on the test's
    /// runtime.
    fn drop(&mut self) {
        let server = self.server.clone();
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&server).await?;
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}", self.name);
        }
    }
}
