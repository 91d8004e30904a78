//! What the sandbox counts as loopback, in one place: the clients the admin endpoints answer,
//! the `Host` they must be addressed to, and the URLs webhooks are delivered to.

use std::net::IpAddr;

/// 127.0.0.0/8, `::1`, and IPv4-mapped 127/8 (`::ffff:127.0.0.1`).
///
/// ```
/// assert!(credits_sandbox::is_loopback_ip("::ffff:127.0.0.1".parse().unwrap()));
/// assert!(!credits_sandbox::is_loopback_ip("0.0.0.0".parse().unwrap()));
/// ```
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(v6.is_loopback(), |v4| v4.is_loopback()),
        ip => ip.is_loopback(),
    }
}

/// A host as a URL or a `Host` header writes it (no port): a loopback address
/// ([`is_loopback_ip`], IPv6 in brackets or not), `localhost` or a name under `.localhost`
/// (case-insensitive, a trailing dot allowed).
///
/// ```
/// assert!(credits_sandbox::is_loopback_host("[::1]"));
/// assert!(credits_sandbox::is_loopback_host("app.localhost."));
/// assert!(!credits_sandbox::is_loopback_host("localhost.evil.example"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return is_loopback_ip(ip);
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_and_names_count() {
        for allowed in ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback_ip(allowed.parse().unwrap()), "{allowed}");
        }
        for refused in ["10.0.0.1", "192.168.1.5", "0.0.0.0", "::ffff:10.0.0.1", "fe80::1", "2001:db8::1"] {
            assert!(!is_loopback_ip(refused.parse().unwrap()), "{refused}");
        }
        for allowed in ["localhost", "LOCALHOST", "localhost.", "app.localhost", "127.0.0.1", "[::1]", "::1"] {
            assert!(is_loopback_host(allowed), "{allowed}");
        }
        for refused in ["evil.example", "localhost.evil.example", "mylocalhost", "10.0.0.1", "[fe80::1]", ""] {
            assert!(!is_loopback_host(refused), "{refused}");
        }
    }
}
