//! The client's address for logs: the TCP peer, unless the peer is one of
//! `server.trusted_proxies` — then the nearest address in `X-Forwarded-For` that is not a
//! trusted proxy (read from the right, since the left part is whatever the client claimed),
//! else `X-Real-IP`. Forwarding headers from anyone else are ignored: they are free to forge.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    resolve(
        peer,
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
        req.headers().get("x-real-ip").and_then(|v| v.to_str().ok()),
        trusted,
    )
    .to_string()
}

fn resolve(peer: IpAddr, xff: Option<&str>, real: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    if let Some(xff) = xff {
        for part in xff.rsplit(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) if is_trusted(&ip) => continue,
                Ok(ip) => return ip,
                Err(_) => break, // garbage: stop believing the chain
            }
        }
    }
    real.and_then(|r| r.trim().parse().ok()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let xff = Some("6.6.6.6, 1.2.3.4, 10.0.0.2");
        assert_eq!(resolve(ip("8.8.8.8"), xff, None, &trusted), ip("8.8.8.8"));
        assert_eq!(resolve(ip("10.0.0.1"), xff, None, &trusted), ip("1.2.3.4"));
        assert_eq!(
            resolve(ip("10.0.0.1"), None, Some("5.5.5.5"), &trusted),
            ip("5.5.5.5")
        );
        assert_eq!(resolve(ip("10.0.0.1"), xff, None, &[]), ip("10.0.0.1"));
        assert_eq!(
            resolve(ip("10.0.0.1"), Some("junk"), None, &trusted),
            ip("10.0.0.1")
        );
    }
}
