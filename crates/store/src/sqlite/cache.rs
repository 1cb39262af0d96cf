//! Records the hot read paths ask for on every request (a client at each token request, a
//! user at each refresh and `/userinfo`, a `jti`'s revocation and a session at each
//! `/userinfo` and introspection), kept in memory so that those reads skip the database
//! thread.
//!
//! Only the database thread fills the cache, from committed reads, and every write of this
//! store drops what it changes in the same call, so in one process the cache is never
//! behind the database. Commits by other processes (the `tessera` admin commands on the
//! same file) clear it: the thread looks for them before each round of calls and every
//! 100 ms when idle, so they are seen within about 100 ms.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tessera_core::model::{Client, Session, User};

/// The most entries a map holds; a full map starts over (the hot set refills it at once).
const CAPACITY: usize = 4096;

/// Clients, users and sessions by id, and revocation answers by `jti`.
#[derive(Debug, Default)]
pub(super) struct Cache {
    clients: Map<Client>,
    users: Map<User>,
    sessions: Map<Session>,
    revoked: Map<bool>,
}

impl Cache {
    /// The client with this id, if cached.
    pub(super) fn client(&self, id: &str) -> Option<Client> {
        self.clients.get(id)
    }

    /// The user with this id, if cached.
    pub(super) fn user(&self, id: &str) -> Option<User> {
        self.users.get(id)
    }

    /// The session with this id, if cached.
    pub(super) fn session(&self, id: &str) -> Option<Session> {
        self.sessions.get(id)
    }

    /// Whether the `jti` is revoked, if cached.
    pub(super) fn revoked(&self, jti: &str) -> Option<bool> {
        self.revoked.get(jti)
    }

    /// Remembers a client read from the database.
    pub(super) fn put_client(&self, client: &Client) {
        self.clients.put(client.id.as_str(), client.clone());
    }

    /// Remembers a user read from the database.
    pub(super) fn put_user(&self, user: &User) {
        self.users.put(user.id.as_str(), user.clone());
    }

    /// Remembers a session read from the database.
    pub(super) fn put_session(&self, session: &Session) {
        self.sessions.put(session.id.as_str(), session.clone());
    }

    /// Remembers a revocation answer read from (or just written to) the database.
    pub(super) fn put_revoked(&self, jti: &str, revoked: bool) {
        self.revoked.put(jti, revoked);
    }

    /// Drops a client that is being changed or deleted.
    pub(super) fn forget_client(&self, id: &str) {
        self.clients.remove(id);
    }

    /// Drops a user that is being changed or deleted.
    pub(super) fn forget_user(&self, id: &str) {
        self.users.remove(id);
    }

    /// Drops a session that is being changed.
    pub(super) fn forget_session(&self, id: &str) {
        self.sessions.remove(id);
    }

    /// Drops every session (a write that ends or deletes many of them).
    pub(super) fn forget_sessions(&self) {
        self.sessions.clear();
    }

    /// Drops the revocation answer for a `jti` that is being revoked.
    pub(super) fn forget_revocation(&self, jti: &str) {
        self.revoked.remove(jti);
    }

    /// Drops every revocation answer (after a purge).
    pub(super) fn forget_revocations(&self) {
        self.revoked.clear();
    }

    /// Drops everything.
    pub(super) fn clear(&self) {
        self.clients.clear();
        self.users.clear();
        self.sessions.clear();
        self.revoked.clear();
    }
}

/// One map behind its lock.
#[derive(Debug)]
struct Map<V>(Mutex<HashMap<String, V>>);

impl<V> Default for Map<V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<V: Clone> Map<V> {
    fn get<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<V>
    where
        String: std::borrow::Borrow<Q>,
    {
        self.lock().get(key).cloned()
    }

    fn put(&self, key: &str, value: V) {
        let mut map = self.lock();
        if map.len() >= CAPACITY && !map.contains_key(key) {
            map.clear();
        }
        map.insert(key.to_owned(), value);
    }

    fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    fn clear(&self) {
        self.lock().clear();
    }

    /// The map; a panic while it was held cannot leave it half-changed (each change is
    /// one `HashMap` call), so a poisoned lock is taken as it is.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, V>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_starts_over() {
        let map = Map::<u32>::default();
        for i in 0..CAPACITY {
            map.put(&i.to_string(), 1);
        }
        assert_eq!(map.get("0"), Some(1));
        map.put("new", 2);
        assert_eq!(map.get("0"), None);
        assert_eq!(map.get("new"), Some(2));
    }
}
