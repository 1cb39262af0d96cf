//! The client's address behind reverse proxies: `[server] trusted_proxies`,
//! `X-Forwarded-For` and RFC 7239 `Forwarded` (its `for=` parameters).
//!
//! Only a connection from a trusted proxy may say who the client is. Each proxy appends the
//! address it received the request from to the header, so the header is read from the
//! right: the client is the right-most address that is not itself a trusted proxy. Anything
//! to its left was written by the client and is ignored. A connection from any other peer is
//! its own client, whatever its headers say.
//!
//! A request that carries `X-Forwarded-For` is read from it, and `Forwarded` only when it
//! has none: a proxy that appends to one header passes the other through as the client
//! wrote it, and `X-Forwarded-For` is what this server has always read, so a proxy set up
//! for it stays safe. A proxy that writes only `Forwarded` must drop any `X-Forwarded-For`
//! the client sent. A `Forwarded` header that does not follow RFC 7239 names no one: the
//! client is then the peer. `for=unknown` and obfuscated nodes (`for=_hidden`) are not
//! addresses: the walk stops there, as at an unreadable `X-Forwarded-For` entry.
//!
//! # Examples
//!
//! ```
//! use std::net::IpAddr;
//! use tessera_server::proxy::TrustedProxies;
//!
//! let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse()?;
//! let peer: IpAddr = "10.1.2.3".parse()?;
//! let client = proxies.client_ip(peer, ["198.51.100.9, 203.0.113.5, 10.0.0.2"]);
//! assert_eq!(client, "203.0.113.5".parse::<IpAddr>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod forwarded;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::{HeaderMap, HeaderName, header};

/// An address block such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a block of
/// one.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct IpNet {
    base: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// True when `ip` is in the block (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => same_prefix(
                u32::from(base).into(),
                u32::from(ip).into(),
                self.prefix,
                32,
            ),
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                same_prefix(u128::from(base), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// True when the first `prefix` of `bits` bits of `a` and `b` agree.
fn same_prefix(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    let ignored = u32::from(bits - prefix.min(bits));
    a.checked_shr(ignored).unwrap_or(0) == b.checked_shr(ignored).unwrap_or(0)
}

/// Why a trusted proxy entry was refused.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct BadNet(String);

impl fmt::Display for BadNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadNet {}

impl FromStr for IpNet {
    type Err = BadNet;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let bad = || {
            BadNet(format!(
                "{text:?} is not an IP address or block; use for example 10.0.0.7, \
                 10.0.0.0/8 or fd00::/8"
            ))
        };
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let base: IpAddr = addr.parse().map_err(|_| bad())?;
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= bits)
                .ok_or_else(bad)?,
        };
        let canonical = base.to_canonical();
        // An IPv4-mapped block (::ffff:a.b.c.d/n) is kept as the IPv4 block it maps.
        let mapped = base.is_ipv6() && canonical.is_ipv4();
        Ok(Self {
            base: canonical,
            prefix: if mapped {
                prefix.saturating_sub(96)
            } else {
                prefix
            },
        })
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (default: none).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Proxies in these blocks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self { nets }
    }

    /// True when no proxy is trusted (`X-Forwarded-For` is then never read).
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// True when `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }

    /// The client's address for a connection from `peer` with these request headers: read
    /// from `X-Forwarded-For` when there is one, else from `Forwarded` (see the module
    /// documentation).
    pub fn client_ip_from_headers(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let values = |name: HeaderName| {
            headers
                .get_all(name)
                .iter()
                .map(|value| value.to_str().ok())
                .collect::<Vec<_>>()
        };
        let xff = values(X_FORWARDED_FOR);
        if !xff.is_empty() {
            return self.client_ip(peer, xff.into_iter().flatten());
        }
        let forwarded = values(header::FORWARDED);
        match forwarded.into_iter().collect::<Option<Vec<&str>>>() {
            Some(values) => self.client_ip_forwarded(peer, values),
            None => peer,
        }
    }

    /// The client's address for a connection from `peer` carrying these `X-Forwarded-For`
    /// header values (in order of appearance): `peer` itself unless it is trusted; else the
    /// right-most forwarded address that is not trusted. When every forwarded address is
    /// trusted, the left-most of them; when one cannot be read, the last readable one to
    /// its right.
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(parse_hop)
            .collect();
        self.walk(peer, &hops)
    }

    /// As [`TrustedProxies::client_ip`], from the values of RFC 7239 `Forwarded` headers;
    /// `peer` when they do not follow the RFC's grammar.
    pub fn client_ip_forwarded<'a>(
        &self,
        peer: IpAddr,
        forwarded: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        match forwarded::for_nodes(forwarded) {
            Ok(hops) => self.walk(peer, &hops),
            Err(forwarded::Malformed) => peer,
        }
    }

    /// Walks the hops from the right while they are trusted proxies.
    fn walk(&self, peer: IpAddr, hops: &[Option<IpAddr>]) -> IpAddr {
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = *hop else {
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// `X-Forwarded-For`.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

impl FromStr for TrustedProxies {
    type Err = BadNet;

    /// A comma-separated list, as `TESSERA_SERVER__TRUSTED_PROXIES` gives it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let nets = text
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<IpNet>, BadNet>>()?;
        Ok(Self::new(nets))
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`[v6]:port`, `v4:port`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn proxies(text: &str) -> TrustedProxies {
        text.parse().expect("proxies")
    }

    #[test]
    fn blocks_contain_their_addresses() {
        let net: IpNet = "10.0.0.0/8".parse().expect("net");
        assert!(net.contains(ip("10.255.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(!net.contains(ip("::1")));
        let one: IpNet = "192.0.2.7".parse().expect("net");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNet = "fd00::/8".parse().expect("net");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: IpNet = "0.0.0.0/0".parse().expect("net");
        assert!(all.contains(ip("203.0.113.1")));
        let mapped: IpNet = "::ffff:10.0.0.0/104".parse().expect("net");
        assert!(mapped.contains(ip("10.1.1.1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "ten", "10.0.0.0/", ""] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let trusted = proxies("10.0.0.0/8");
        let client = trusted.client_ip(ip("203.0.113.5"), ["198.51.100.1"]);
        assert_eq!(client, ip("203.0.113.5"));
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("10.0.0.1"), ["1.2.3.4"]), ip("10.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8, 192.0.2.7");
        let peer = ip("10.0.0.1");
        let values = ["6.6.6.6, 203.0.113.5", "192.0.2.7,10.0.0.9"];
        assert_eq!(trusted.client_ip(peer, values), ip("203.0.113.5"));
        assert_eq!(
            trusted.client_ip(peer, ["[2001:db8::1]:4711"]),
            ip("2001:db8::1")
        );
        assert_eq!(
            trusted.client_ip(peer, ["10.0.0.2, 10.0.0.3"]),
            ip("10.0.0.2")
        );
        assert_eq!(trusted.client_ip(peer, ["junk, 10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(trusted.client_ip(peer, std::iter::empty()), peer);
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("name");
            map.append(name, value.parse().expect("value"));
        }
        map
    }

    #[test]
    fn forwarded_is_read_from_the_right() {
        let trusted = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        let got = |values: &[&str]| trusted.client_ip_forwarded(peer, values.iter().copied());
        assert_eq!(
            got(&["for=6.6.6.6, for=203.0.113.5;proto=https, for=10.0.0.9"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            got(&[r#"for="[2001:db8::1]:4711""#, "for=10.0.0.9"]),
            ip("2001:db8::1")
        );
        assert_eq!(got(&[r#"for="203.0.113.7:80""#]), ip("203.0.113.7"));
        assert_eq!(got(&["for=10.0.0.2, for=10.0.0.3"]), ip("10.0.0.2"));
    }

    #[test]
    fn obfuscated_and_unknown_forwarded_nodes_stop_the_walk() {
        let trusted = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        let got = |value: &str| trusted.client_ip_forwarded(peer, [value]);
        assert_eq!(got("for=_hidden"), peer);
        assert_eq!(got("for=203.0.113.5, for=unknown"), peer);
        assert_eq!(
            got("for=203.0.113.5, for=_hidden, for=10.0.0.7"),
            ip("10.0.0.7")
        );
        assert_eq!(got("proto=https"), peer, "an element without for=");
    }

    #[test]
    fn malformed_forwarded_falls_back_to_the_peer() {
        let trusted = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        for bad in [
            "for=[2001:db8::1]:4711",
            "for=203.0.113.5;for=198.51.100.1",
            r#"for="203.0.113.5"#,
            "for=203.0.113.5 trailing",
            "for=not-an-address",
        ] {
            assert_eq!(trusted.client_ip_forwarded(peer, [bad]), peer, "{bad}");
        }
        let with_bad_bytes = headers(&[("forwarded", "for=203.0.113.5")]);
        let mut map = with_bad_bytes.clone();
        map.append(
            header::FORWARDED,
            axum::http::HeaderValue::from_bytes(b"for=\xff").expect("value"),
        );
        assert_eq!(
            trusted.client_ip_from_headers(peer, &with_bad_bytes),
            ip("203.0.113.5")
        );
        assert_eq!(trusted.client_ip_from_headers(peer, &map), peer);
    }

    #[test]
    fn headers_prefer_x_forwarded_for_and_only_a_trusted_peer_is_heard() {
        let trusted = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        let both = headers(&[
            ("forwarded", "for=198.51.100.1"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(
            trusted.client_ip_from_headers(peer, &both),
            ip("203.0.113.5")
        );
        let only_forwarded = headers(&[("forwarded", "for=198.51.100.1")]);
        assert_eq!(
            trusted.client_ip_from_headers(peer, &only_forwarded),
            ip("198.51.100.1")
        );
        assert_eq!(
            trusted.client_ip_from_headers(peer, &HeaderMap::new()),
            peer
        );
        let outsider = ip("203.0.113.9");
        assert_eq!(
            trusted.client_ip_from_headers(outsider, &only_forwarded),
            outsider
        );
    }
}
