//! Throttling sign-in by client address, in front of the per-account back-off: a per-account
//! lock alone lets anyone lock every account they can name, and lets one address try many
//! accounts. Each client address (an IPv6 client by its /64, which one host usually has
//! whole) gets a token bucket of failed attempts; a sign-in takes one before its password is
//! checked and gives it back if it succeeds. In memory, per process, bounded in size.
//!
//! The client address is the socket's peer, unless that peer is a trusted proxy
//! (`--trusted-proxy`): then it is the right-most `X-Forwarded-For` entry that is not itself a
//! trusted proxy. Entries to the left of it are the client's own say and are never read, so
//! a forged header gains nothing; without a trusted proxy the header is ignored.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderMap;
pub use ipnet::IpNet;

/// How many failed sign-ins an address may make, and how fast it may make more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressLimit {
    /// Failed attempts an address may make in a burst.
    pub attempts: u32,
    /// ... and the time it takes to earn all of them back (a steady `attempts` per `per`).
    pub per: jiff::SignedDuration,
}

impl Default for AddressLimit {
    fn default() -> Self {
        AddressLimit {
            attempts: 20,
            per: jiff::SignedDuration::from_mins(10),
        }
    }
}

/// Addresses kept at most; past it, idle ones go first, then the longest untouched.
const MAX_ADDRESSES: usize = 10_000;

/// Whose attempts are counted together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6([u8; 8]),
    /// No address known (a request that did not come over a socket).
    Unknown,
}

impl ClientKey {
    pub fn of(address: Option<IpAddr>) -> ClientKey {
        match address.map(|a| a.to_canonical()) {
            Some(IpAddr::V4(v4)) => ClientKey::V4(v4.octets()),
            Some(IpAddr::V6(v6)) => {
                let mut prefix = [0u8; 8];
                prefix.copy_from_slice(&v6.octets()[..8]);
                ClientKey::V6(prefix)
            }
            None => ClientKey::Unknown,
        }
    }
}

/// The client's address: the peer, or behind trusted proxies the right-most untrusted entry
/// of `X-Forwarded-For` (every such header, in order, as one list).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| {
        let ip = ip.to_canonical();
        trusted.iter().any(|net| net.contains(&ip))
    };
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut nearest = peer;
    for entry in entries.iter().rev() {
        let Some(ip) = parse_entry(entry) else {
            // Not an address: the hop that wrote it is as far as can be trusted.
            return Some(nearest);
        };
        if !is_trusted(&ip) {
            return Some(ip);
        }
        nearest = ip;
    }
    Some(nearest)
}

/// An `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:567`, `2001:db8::1` or `[2001:db8::1]:567`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

/// A trusted proxy as `--trusted-proxy` takes it: an address or a network (`10.0.0.0/8`).
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("\"{s}\" is neither an IP address nor a network like 10.0.0.0/8"))
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at_us: i64,
}

/// The sign-in guard every process keeps: the buckets, and a count of password checks (which
/// tests use to see that every answer did the same work).
#[derive(Debug)]
pub struct SignInGuard {
    limit: AddressLimit,
    buckets: Mutex<HashMap<ClientKey, Bucket>>,
    checks: AtomicU64,
}

impl SignInGuard {
    pub fn new(limit: AddressLimit) -> SignInGuard {
        SignInGuard {
            limit,
            buckets: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        }
    }

    fn capacity(&self) -> f64 {
        f64::from(self.limit.attempts.max(1))
    }

    fn per_us(&self) -> f64 {
        let us = self.limit.per.as_micros().max(1) as f64;
        self.capacity() / us
    }

    fn refilled(&self, b: Bucket, now_us: i64) -> Bucket {
        let earned = (now_us - b.at_us).max(0) as f64 * self.per_us();
        Bucket {
            tokens: (b.tokens + earned).min(self.capacity()),
            at_us: now_us.max(b.at_us),
        }
    }

    /// Takes an attempt for `key`: `false` when the address has none left (then nothing is
    /// taken and the password must not be checked).
    pub fn take(&self, key: ClientKey, now_us: i64) -> bool {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(&key) && buckets.len() >= MAX_ADDRESSES {
            self.make_room(&mut buckets, now_us);
        }
        let full = Bucket {
            tokens: self.capacity(),
            at_us: now_us,
        };
        let b = self.refilled(*buckets.get(&key).unwrap_or(&full), now_us);
        if b.tokens < 1.0 {
            buckets.insert(key, b);
            return false;
        }
        buckets.insert(
            key,
            Bucket {
                tokens: b.tokens - 1.0,
                ..b
            },
        );
        true
    }

    /// Gives back the attempt of a sign-in that succeeded.
    pub fn give_back(&self, key: ClientKey, now_us: i64) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(b) = buckets.get(&key).copied() {
            let b = self.refilled(b, now_us);
            buckets.insert(
                key,
                Bucket {
                    tokens: (b.tokens + 1.0).min(self.capacity()),
                    ..b
                },
            );
        }
    }

    /// Drops the buckets that have filled up again (nothing to remember); failing that, the
    /// one untouched longest.
    fn make_room(&self, buckets: &mut HashMap<ClientKey, Bucket>, now_us: i64) {
        buckets.retain(|_, b| self.refilled(*b, now_us).tokens < self.capacity());
        if buckets.len() >= MAX_ADDRESSES
            && let Some(oldest) = buckets.iter().min_by_key(|(_, b)| b.at_us).map(|(k, _)| *k)
        {
            buckets.remove(&oldest);
        }
    }

    /// Addresses currently remembered.
    pub fn remembered(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Checks a password against a PHC hash off the async threads, counting the check.
    pub async fn verify(&self, password: String, hash: String) -> bool {
        self.checks.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok())
            .await
            .unwrap_or(false)
    }

    /// Password checks made so far.
    pub fn password_checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let proxies = [
            parse_proxy("10.0.0.0/8").unwrap(),
            parse_proxy("192.0.2.7").unwrap(),
        ];
        let none: [IpNet; 0] = [];
        // (peer, headers, trusted proxies, client)
        let cases: &[(&str, &[&str], &[IpNet], &str)] = &[
            // No trusted proxy: the header is ignored, forged or not.
            ("203.0.113.9", &["1.1.1.1"], &none, "203.0.113.9"),
            ("203.0.113.9", &["10.0.0.1, 1.1.1.1"], &none, "203.0.113.9"),
            ("10.0.0.1", &["1.1.1.1"], &none, "10.0.0.1"),
            // A peer that is not a trusted proxy: its header is its own say.
            ("203.0.113.9", &["1.1.1.1"], &proxies, "203.0.113.9"),
            // Behind a trusted proxy: the entry it added.
            ("10.0.0.1", &["198.51.100.4"], &proxies, "198.51.100.4"),
            // The client's forged entries (left) are never read.
            (
                "10.0.0.1",
                &["1.1.1.1, 2.2.2.2, 198.51.100.4"],
                &proxies,
                "198.51.100.4",
            ),
            (
                "10.0.0.1",
                &["1.1.1.1", "198.51.100.4"],
                &proxies,
                "198.51.100.4",
            ),
            // Several trusted hops are skipped.
            (
                "10.0.0.1",
                &["198.51.100.4, 10.1.2.3, 192.0.2.7"],
                &proxies,
                "198.51.100.4",
            ),
            // Only trusted hops: the furthest of them.
            ("10.0.0.1", &["10.9.9.9, 10.1.2.3"], &proxies, "10.9.9.9"),
            ("10.0.0.1", &[], &proxies, "10.0.0.1"),
            // Garbage stops the walk at the last trusted hop.
            ("10.0.0.1", &["1.1.1.1, not-an-ip"], &proxies, "10.0.0.1"),
            (
                "10.0.0.1",
                &["1.1.1.1, unknown, 10.2.2.2"],
                &proxies,
                "10.2.2.2",
            ),
            // Ports and brackets.
            ("10.0.0.1", &["198.51.100.4:5555"], &proxies, "198.51.100.4"),
            ("10.0.0.1", &["[2001:db8::1]:443"], &proxies, "2001:db8::1"),
            ("10.0.0.1", &["2001:db8::1"], &proxies, "2001:db8::1"),
            // An IPv4-mapped IPv6 peer is the IPv4 proxy.
            (
                "::ffff:10.0.0.1",
                &["198.51.100.4"],
                &proxies,
                "198.51.100.4",
            ),
        ];
        for (peer, headers, trusted, client) in cases {
            assert_eq!(
                client_address(Some(ip(peer)), &xff(headers), trusted),
                Some(ip(client)),
                "{peer} {headers:?}"
            );
        }
        assert_eq!(client_address(None, &xff(&["1.1.1.1"]), &proxies), None);
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert!(parse_proxy("127.0.0.1").is_ok());
        assert!(parse_proxy("::1").is_ok());
        assert!(parse_proxy("10.0.0.0/8").is_ok());
        for bad in ["", "proxy.example", "10.0.0.0/33", "1.2.3"] {
            assert!(parse_proxy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64() {
        assert_eq!(
            ClientKey::of(Some(ip("2001:db8:1:2::1"))),
            ClientKey::of(Some(ip("2001:db8:1:2:ffff::9")))
        );
        assert_ne!(
            ClientKey::of(Some(ip("2001:db8:1:2::1"))),
            ClientKey::of(Some(ip("2001:db8:1:3::1")))
        );
        assert_eq!(
            ClientKey::of(Some(ip("::ffff:1.2.3.4"))),
            ClientKey::of(Some(ip("1.2.3.4")))
        );
    }

    #[test]
    fn buckets_empty_refill_and_stay_bounded() {
        let guard = SignInGuard::new(AddressLimit {
            attempts: 3,
            per: jiff::SignedDuration::from_mins(3),
        });
        let a = ClientKey::of(Some(ip("198.51.100.1")));
        let b = ClientKey::of(Some(ip("198.51.100.2")));
        assert!(guard.take(a, 0) && guard.take(a, 0) && guard.take(a, 0));
        assert!(!guard.take(a, 0), "a fourth attempt at once");
        assert!(guard.take(b, 0), "another address is not held up");
        // One attempt a minute comes back.
        assert!(!guard.take(a, 59_000_000));
        assert!(guard.take(a, 61_000_000));
        assert!(!guard.take(a, 61_000_000));
        // A success gives its attempt back.
        guard.give_back(a, 61_000_000);
        assert!(guard.take(a, 61_000_000));
        // Bounded: a flood of addresses never grows it past the bound, and the busy address
        // keeps its state while the flood's addresses are idle.
        for n in 0..(MAX_ADDRESSES as u32 + 500) {
            let key = ClientKey::V4(n.to_be_bytes());
            guard.take(key, 100_000_000 + i64::from(n));
        }
        assert!(guard.remembered() <= MAX_ADDRESSES);
    }
}
