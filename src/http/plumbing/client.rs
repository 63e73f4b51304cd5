//! Who the client is: the peer address of the connection, or, when that peer is one of the
//! configured reverse proxies (`--trusted-proxy`), the right-most address in
//! `X-Forwarded-For` that is not itself a trusted proxy.
//!
//! Why right-most: each proxy appends the address it received the request from, so entries
//! left of the last one a trusted proxy wrote were supplied by the client and prove nothing.
//! A peer that is not a trusted proxy never has its `X-Forwarded-For` read, so a client
//! cannot pick the address it is counted under.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The forwarded-for header proxies append the client address to.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`); a bare address
/// is the network of that one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    /// Parses `ADDR` or `ADDR/PREFIX`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("'{s}' is not an IP address or network (such as 10.0.0.5, 10.0.0.0/8 or fd00::/8)");
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack socket reports an IPv4
/// peer) as the IPv4 address; anything else unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address for `headers` received from `peer` (see the module). Entries that
/// do not parse as an IP address end the walk: the last trusted hop is the client then.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = canonical(peer);
    if !is_trusted(client) {
        return client;
    }
    // Several X-Forwarded-For lines are one comma-separated list, in order.
    let hops: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = canonical(ip),
            Err(_) => break,
        }
        if !is_trusted(client) {
            break;
        }
    }
    client
}

/// The key a client is counted under: its IPv4 address, or the /64 network of an IPv6
/// address (one host usually owns a whole /64, so single addresses would let it rotate).
/// Without connection info (a router called in-process) every caller shares one key.
pub fn client_key(parts: &Parts, trusted: &[IpNet]) -> IpAddr {
    let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
        return IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    };
    match client_addr(peer.ip(), &parts.headers, trusted) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn networks_parse_and_contain_their_addresses() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "an IPv4-mapped peer is IPv4");
        let host: IpNet = "192.0.2.7".parse().unwrap();
        assert!(host.contains(ip("192.0.2.7")) && !host.contains(ip("192.0.2.8")));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        assert!("0.0.0.0/0".parse::<IpNet>().unwrap().contains(ip("203.0.113.1")));
        for bad in ["", "10.0.0.0/33", "::/129", "example.org", "10.0.0/8", "10.0.0.0/x"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(client_addr(ip("198.51.100.1"), &headers, &[]), ip("198.51.100.1"));
        assert_eq!(client_addr(ip("198.51.100.1"), &headers, &nets(&["10.0.0.0/8"])), ip("198.51.100.1"));
        assert_eq!(client_addr(ip("10.0.0.2"), &headers, &nets(&["10.0.0.0/8"])), ip("203.0.113.9"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client_whatever_the_client_prepends() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1"]);
        // The client claims 1.2.3.4; the edge proxy (10.0.0.3) appended the real address.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9", "10.0.0.3"]);
        assert_eq!(client_addr(ip("127.0.0.1"), &headers, &trusted), ip("203.0.113.9"));
        // Every hop trusted: the left-most is as far as the chain goes.
        assert_eq!(client_addr(ip("127.0.0.1"), &forwarded(&["10.0.0.4"]), &trusted), ip("10.0.0.4"));
        // A garbage entry ends the walk at the last trusted hop.
        assert_eq!(client_addr(ip("127.0.0.1"), &forwarded(&["nonsense"]), &trusted), ip("127.0.0.1"));
        // A trusted proxy that sent no header is the client.
        assert_eq!(client_addr(ip("127.0.0.1"), &HeaderMap::new(), &trusted), ip("127.0.0.1"));
    }
}
