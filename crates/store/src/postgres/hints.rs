//! Revocation hints across instances: `revoke_jti` sends a PostgreSQL `NOTIFY` on commit, and
//! each store that is asked for hints LISTENs on one connection of its own. A hint only makes
//! the server read its revocation feed sooner; polling stays, so a lost notification (the
//! listener reconnecting, the database restarting) costs at most one poll interval.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

/// The channel every instance listens on; the payload is the schema, so that deployments
/// (or tests) sharing one database in separate schemas do not wake each other.
pub(super) const CHANNEL: &str = "tessera_revocations";

/// How long the listener waits before it connects again after a failure.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// How often an idle listener checks that its store still exists.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// The wake-up shared by a store and its listener task, which starts on first use (so that
/// admin commands, which never wait for hints, open no listening connection).
#[derive(Clone, Debug, Default)]
pub(super) struct RevocationHints {
    notify: Arc<Notify>,
    listening: Arc<OnceLock<()>>,
}

impl RevocationHints {
    /// Resolves at the next notification for this schema (or at once if one came since the
    /// last wait).
    pub(super) async fn wait(&self, pool: &PgPool) {
        self.listening.get_or_init(|| {
            tokio::spawn(listen(pool.clone(), Arc::downgrade(&self.notify)));
        });
        self.notify.notified().await;
    }
}

/// Listens until the store is dropped, reconnecting after failures.
async fn listen(pool: PgPool, notify: Weak<Notify>) {
    while notify.strong_count() > 0 {
        if listen_once(&pool, &notify).await.is_err() {
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    }
}

/// One listening connection: wakes the store for each notification about its schema.
async fn listen_once(pool: &PgPool, notify: &Weak<Notify>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&mut listener)
        .await?;
    listener.listen(CHANNEL).await?;
    loop {
        let Ok(next) = tokio::time::timeout(IDLE_CHECK, listener.try_recv()).await else {
            if notify.strong_count() == 0 {
                return Ok(());
            }
            continue;
        };
        // `None`: the connection was lost; the caller reconnects, and the poll covers the gap.
        let Some(message) = next? else {
            return Err(sqlx::Error::Protocol("listening connection lost".into()));
        };
        if message.payload() != schema {
            continue;
        }
        let Some(notify) = notify.upgrade() else {
            return Ok(());
        };
        notify.notify_one();
    }
}
