//! The client's address behind reverse proxies: `[server] trusted_proxies` and
//! `X-Forwarded-For`.
//!
//! Only a connection from a trusted proxy may say who the client is. Each proxy appends the
//! address it received the request from to `X-Forwarded-For`, so the header is read from the
//! right: the client is the right-most address that is not itself a trusted proxy. Anything
//! to its left was written by the client and is ignored. A connection from any other peer is
//! its own client, whatever its headers say.
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

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

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
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
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
}
