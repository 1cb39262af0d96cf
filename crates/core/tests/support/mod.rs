//! Test support: an in-memory store, a clock that tests move, a minimal executor, and a
//! harness that starts an authority over them.

#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use serde_json::{Map, Value};
use tessera_core::model::Actor;
use tessera_core::model::{Client, Grant, User};
use tessera_core::{
    Authority, Clock, Config, MasterKey, PasswordPolicy, SecurityEvent, TokenResponse,
};
use tessera_jose::{Algorithm, danger};

pub(crate) use tessera_core::error::chain;

pub(crate) use tessera_store::MemoryStore;

/// The start of every test's time.
pub(crate) const T0: i64 = 1_750_000_000;
/// The issuer of the test authority.
pub(crate) const ISSUER: &str = "https://auth.example.test";
/// The password of test users.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Runs a future to completion on this thread. The store's futures are always ready, so
/// no runtime is needed.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
pub(crate) struct TestClock(AtomicI64);

impl TestClock {
    /// A clock at `now`.
    pub(crate) fn at(now: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(now)))
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A cheap password policy: Argon2 is slow in debug builds.
pub(crate) fn cheap_passwords() -> PasswordPolicy {
    PasswordPolicy::new(256, 1, 1)
}

/// The test configuration: ES256 keys (fast to make) and cheap password hashing.
pub(crate) fn config() -> Config {
    let mut config = Config::new(ISSUER);
    config.passwords = cheap_passwords();
    config.rotation.algorithm = Algorithm::ES256;
    config
}

/// An authority over a fresh in-memory store, with its clock and the events it emitted.
pub(crate) struct Harness {
    pub(crate) auth: Authority<Arc<MemoryStore>>,
    store: Arc<MemoryStore>,
    pub(crate) clock: Arc<TestClock>,
    events: Arc<Mutex<Vec<SecurityEvent>>>,
    master_text: String,
}

impl Harness {
    /// With the test configuration.
    pub(crate) fn new() -> Self {
        Self::with_config(config())
    }

    /// With another configuration.
    pub(crate) fn with_config(config: Config) -> Self {
        let master = MasterKey::generate().expect("random");
        Self::with_store(
            config,
            Arc::new(MemoryStore::new()),
            &master.to_base64(),
            T0,
        )
    }

    /// With a fresh store and this master key (base64).
    pub(crate) fn with_master(config: Config, master_text: &str) -> Self {
        Self::with_store(config, Arc::new(MemoryStore::new()), master_text, T0)
    }

    /// The master key, as base64.
    pub(crate) fn master_text(&self) -> &str {
        &self.master_text
    }

    /// Over an existing store, master key and time (to restart with another configuration).
    pub(crate) fn with_store(
        config: Config,
        store: Arc<MemoryStore>,
        master_text: &str,
        now: i64,
    ) -> Self {
        let master = MasterKey::parse(master_text).expect("master key");
        let clock = TestClock::at(now);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let auth = block_on(Authority::start(
            config,
            Arc::clone(&store),
            master,
            clock.clone(),
        ))
        .expect("authority starts")
        .with_events(Arc::new(move |event| {
            sink.lock().expect("events lock").push(event);
        }));
        Self {
            auth,
            store,
            clock,
            events,
            master_text: master_text.to_owned(),
        }
    }

    /// Stops this authority and starts another over the same store, key and time.
    pub(crate) fn restart(self, config: Config) -> Self {
        let now = self.clock.now();
        let master_text = self.master_text;
        Self::with_store(config, self.store, &master_text, now)
    }

    /// The store.
    pub(crate) fn store(&self) -> &Arc<MemoryStore> {
        &self.store
    }

    /// The events so far.
    pub(crate) fn events(&self) -> Vec<SecurityEvent> {
        self.events.lock().expect("events lock").clone()
    }

    /// Creates a user with [`PASSWORD`], an email and the role `staff`.
    pub(crate) fn user(&self, username: &str) -> User {
        block_on(self.auth.create_user(
            username,
            PASSWORD,
            Some(&format!("{username}@example.test")),
            &["staff".to_owned()],
            &Actor::Operator,
        ))
        .expect("user created")
    }

    /// Creates a client and returns it with its secret.
    pub(crate) fn client(
        &self,
        grants: &[Grant],
        scopes: &[&str],
        public: bool,
    ) -> (Client, Option<String>) {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        block_on(self.auth.create_client(
            "test app",
            grants,
            &scopes,
            &["orders".to_owned()],
            public,
            &Actor::Operator,
        ))
        .expect("client created")
    }

    /// A confidential client with the password and refresh grants and two scopes.
    pub(crate) fn app(&self) -> Client {
        self.client(
            &[Grant::Password, Grant::RefreshToken],
            &["orders:read", "orders:write"],
            false,
        )
        .0
    }

    /// Logs `username` in through `client` with [`PASSWORD`].
    pub(crate) fn login(
        &self,
        client: &Client,
        username: &str,
        scope: Option<&str>,
    ) -> TokenResponse {
        block_on(self.auth.password_grant(client, username, PASSWORD, scope)).expect("login")
    }
}

/// The header and claims of a token, unverified.
pub(crate) fn decode(token: &str) -> (Map<String, Value>, Map<String, Value>) {
    let parts = danger::decode_unverified(token, 16 * 1024).expect("decodes");
    let claims: Map<String, Value> = serde_json::from_slice(&parts.payload).expect("json claims");
    (parts.header, claims)
}
