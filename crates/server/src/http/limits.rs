//! Per-request limits that the HTTP layer enforces beside the body cap: the size of a
//! request's header section (431 in the JSON error shape, before any route runs) and the
//! number of revocation streams (`/revocations/stream`) one client address may hold open;
//! and who may read `/metrics` ([`MetricsAccess`]).
//! The connection-level limits (timeouts, the connection cap) are in [`crate::serve`]'s
//! listener; see SECURITY.md for all of them and their configuration keys.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::HeaderMap;

use super::metrics_access::MetricsAccess;

/// The largest header section accepted by default, in bytes (names, values and line
/// framing; an access token is at most 16 KiB).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// How many revocation streams one client address may hold open by default.
pub const MAX_STREAMS_PER_ADDRESS: usize = 8;
/// How many distinct addresses may hold streams at once (a bound on the table itself).
const MAX_STREAM_ADDRESSES: usize = 16 * 1024;

/// The limits, shared by every request.
#[derive(Debug)]
pub struct Limits {
    max_header_bytes: usize,
    streams: Arc<StreamSlots>,
    metrics: MetricsAccess,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(MAX_HEADER_BYTES, MAX_STREAMS_PER_ADDRESS)
    }
}

impl Limits {
    /// Limits of `max_header_bytes` per request head (at least 1 KiB) and `streams_per_address`
    /// revocation streams per client address (at least 1).
    pub fn new(max_header_bytes: usize, streams_per_address: usize) -> Self {
        Self {
            max_header_bytes: max_header_bytes.max(1024),
            streams: Arc::new(StreamSlots {
                per_address: streams_per_address.max(1),
                open: Mutex::default(),
            }),
            metrics: MetricsAccess::default(),
        }
    }

    /// These limits with `access` deciding who reads `/metrics`.
    pub fn with_metrics(mut self, access: MetricsAccess) -> Self {
        self.metrics = access;
        self
    }

    /// Who may read `/metrics`.
    pub fn metrics(&self) -> &MetricsAccess {
        &self.metrics
    }

    /// The largest header section accepted, in bytes.
    pub fn max_header_bytes(&self) -> usize {
        self.max_header_bytes
    }

    /// True when `headers` are larger than [`Self::max_header_bytes`] as sent on the wire.
    pub fn headers_too_large(&self, headers: &HeaderMap) -> bool {
        let mut total = 0usize;
        for (name, value) in headers {
            total += name.as_str().len() + value.len() + 4;
            if total > self.max_header_bytes {
                return true;
            }
        }
        false
    }

    /// A slot for one more revocation stream from `address` (`None` when unknown: router
    /// tests), or `None` when that address already holds its share.
    pub fn stream_slot(&self, address: Option<IpAddr>) -> Option<StreamSlot> {
        let Some(address) = address else {
            return Some(StreamSlot { table: None });
        };
        let mut open = self
            .streams
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if open.len() >= MAX_STREAM_ADDRESSES && !open.contains_key(&address) {
            return None;
        }
        let count = open.entry(address).or_insert(0);
        if *count >= self.streams.per_address {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            table: Some((Arc::clone(&self.streams), address)),
        })
    }
}

/// The open streams per address.
#[derive(Debug)]
struct StreamSlots {
    per_address: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open revocation stream; its address's count goes down when it is dropped.
#[derive(Debug)]
pub struct StreamSlot {
    table: Option<(Arc<StreamSlots>, IpAddr)>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let Some((slots, address)) = self.table.take() else {
            return;
        };
        let mut open = slots.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_counted_per_address_and_given_back() {
        let limits = Limits::new(1024, 2);
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        let b = Some(IpAddr::from([192, 0, 2, 2]));
        let first = limits.stream_slot(a).expect("first");
        let second = limits.stream_slot(a).expect("second");
        assert!(limits.stream_slot(a).is_none(), "a third from one address");
        assert!(limits.stream_slot(b).is_some(), "another address");
        drop(first);
        assert!(limits.stream_slot(a).is_some(), "a slot freed");
        drop(second);
        assert!(limits.streams.open.lock().expect("lock").len() <= 1);
    }

    #[test]
    fn header_sections_are_measured() {
        let limits = Limits::new(1024, 1);
        let mut headers = HeaderMap::new();
        headers.insert("x-small", "1".parse().expect("value"));
        assert!(!limits.headers_too_large(&headers));
        headers.insert("x-big", "a".repeat(2000).parse().expect("value"));
        assert!(limits.headers_too_large(&headers));
    }
}
