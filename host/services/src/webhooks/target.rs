//! Where a webhook may be sent. Endpoints are checked when registered (the
//! URL's form) and again at every attempt (where its name resolves), and the
//! connection goes to the addresses that were checked, so a name that
//! resolves elsewhere a second later (DNS rebinding) cannot redirect it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

const MAX_URL_CHARS: usize = 2000;

/// Check an endpoint URL as typed; returns it parsed, or why not, in words.
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Give the endpoint's URL.".into());
    }
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!("The URL may be at most {MAX_URL_CHARS} characters."));
    }
    let url = Url::parse(text).map_err(|_| format!("“{text}” is not a URL."))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err("Use an https:// URL: events carry your clients' details.".into()),
        other => return Err(format!("Use an https:// URL, not {other}:.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Leave the user name and password out of the URL; Portico signs each request instead.".into());
    }
    if url.fragment().is_some() {
        return Err("A URL with a #fragment cannot receive requests; leave it out.".into());
    }
    match url.host() {
        None => return Err(format!("“{text}” names no host.")),
        Some(_) if allow_private => {}
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal") || name.ends_with(".local") || !name.contains('.') {
                return Err(format!("{name} is not a public address; Portico only calls servers on the internet."));
            }
        }
        Some(Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => return Err(private(IpAddr::V4(ip))),
        Some(Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => return Err(private(IpAddr::V6(ip))),
        Some(_) => {}
    }
    Ok(url)
}

fn private(ip: IpAddr) -> String {
    format!("{ip} is not a public address; Portico only calls servers on the internet.")
}

/// Where to connect for `url`: its host's addresses, each checked.
pub async fn addresses(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the URL names no host")?;
    let port = url.port_or_known_default().ok_or("the URL names no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await.map_err(|e| format!("could not resolve {host}: {e}"))?.collect();
    if found.is_empty() {
        return Err(format!("{host} has no address"));
    }
    if !allow_private && let Some(bad) = found.iter().find(|a| !is_public(a.ip())) {
        return Err(format!("{host} resolves to {}, which is not a public address", bad.ip()));
    }
    Ok(found)
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared, documentation, multicast or otherwise reserved.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        // 100.64.0.0/10, carrier-grade NAT; 198.18.0.0/15, benchmarking.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        // 192.0.0.0/24, protocol assignments.
        || ip.octets()[..3] == [192, 0, 0])
}

/// IPv6 is public only if it is global unicast and embeds no IPv4 address
/// that is not: the IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
/// 6to4 `2002::/16` and Teredo `2001::/32` forms all lead to an IPv4 host,
/// which must be public itself.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let first = segments[0];
    let v4 = |high: u16, low: u16| Ipv4Addr::from(((high as u32) << 16) | low as u32);
    let reserved = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated),
        // 2001:db8::/32 documentation, 100::/64 discard.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || (first == 0x2001 && segments[1] == 0x0db8)
        || (first == 0x0100 && segments[1..4] == [0, 0, 0]);
    if reserved {
        return false;
    }
    // ::a.b.c.d (IPv4-compatible, deprecated) and anything else in ::/96.
    if segments[..6] == [0; 6] {
        return is_public_v4(v4(segments[6], segments[7]));
    }
    // 64:ff9b::/96 (NAT64) and 64:ff9b:1::/48 (local-use NAT64).
    if first == 0x0064 && segments[1] == 0xff9b {
        return segments[2] != 1 && is_public_v4(v4(segments[6], segments[7]));
    }
    // 2002::/16: 6to4, the IPv4 address in the next 32 bits.
    if first == 0x2002 {
        return is_public_v4(v4(segments[1], segments[2]));
    }
    // 2001::/32: Teredo, whose client's IPv4 address is the last 32 bits inverted.
    if first == 0x2001 && segments[1] == 0 {
        return is_public_v4(v4(!segments[6], !segments[7])) && is_public_v4(v4(segments[2], segments[3]));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_urls_are_taken() {
        assert!(check_url("https://hooks.example.com/portico", false).is_ok());
        for (url, why) in [
            ("", "Give"),
            ("hooks.example.com", "is not a URL"),
            ("http://hooks.example.com/x", "https://"),
            ("ftp://hooks.example.com/x", "not ftp:"),
            ("https://user:pw@hooks.example.com/", "user name"),
            ("https://localhost/x", "localhost is not a public address"),
            ("https://intranet/x", "not a public address"),
            ("https://127.0.0.1/x", "127.0.0.1 is not a public address"),
            ("https://10.1.2.3/x", "not a public address"),
            ("https://169.254.169.254/latest/meta-data", "not a public address"),
            ("https://100.64.0.1/", "not a public address"),
            ("https://[::1]/", "not a public address"),
            ("https://[fd00::1]/", "not a public address"),
            ("https://[::ffff:192.168.0.1]/", "not a public address"),
            ("https://[::127.0.0.1]/", "not a public address"),
            ("https://[64:ff9b::127.0.0.1]/", "not a public address"),
            ("https://[64:ff9b::a9fe:a9fe]/", "not a public address"),
            ("https://[2002:7f00:1::]/", "not a public address"),
            ("https://[2002:a00:1::1]/", "not a public address"),
            ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "not a public address"),
            ("https://[fec0::1]/", "not a public address"),
        ] {
            let refused = check_url(url, false).expect_err(url);
            assert!(refused.contains(why), "{url}: {refused}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok(), "allowed for the demo and tests");
        assert!(is_public("93.184.216.34".parse().unwrap()) && is_public("2606:2800:220:1::1".parse().unwrap()));
        assert!(is_public("64:ff9b::5db8:d822".parse().unwrap()), "NAT64 of a public IPv4 address");
        assert!(is_public("2002:5db8:d822::1".parse().unwrap()), "6to4 of a public IPv4 address");
    }
}
