//! IPv4 CIDR parsing for the opt-in sweep, written out here so every bad
//! input gets its own clear message and the host count is known before a
//! single packet leaves.

use std::net::Ipv4Addr;

use super::error::DiscoveryError;

/// Largest network a sweep accepts.
pub const MIN_PREFIX: u8 = 16;

/// An IPv4 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    network: Ipv4Addr,
    prefix: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/len` (a bare address means `/32`). Host bits set
    /// in the address are refused: `10.0.0.5/24` is more likely a typo
    /// than a wish to scan `10.0.0.0/24`.
    ///
    /// # Errors
    /// [`DiscoveryError::Cidr`] naming what is wrong.
    pub fn parse(input: &str) -> Result<Self, DiscoveryError> {
        let bad = |reason: &str| DiscoveryError::Cidr {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let t = input.trim();
        if t.is_empty() {
            return Err(bad("empty; expected e.g. 192.168.1.0/24"));
        }
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => {
                let p = p.trim();
                if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) || p.len() > 2 {
                    return Err(bad("prefix length must be a number from 0 to 32"));
                }
                let p: u8 = p
                    .parse()
                    .map_err(|_| bad("prefix length must be a number from 0 to 32"))?;
                if p > 32 {
                    return Err(bad("prefix length must be a number from 0 to 32"));
                }
                (a.trim(), p)
            }
            None => (t, 32),
        };
        if addr.contains(':') {
            return Err(bad("only IPv4 networks can be swept"));
        }
        let ip: Ipv4Addr = addr
            .parse()
            .map_err(|_| bad("address must be four numbers 0-255 separated by dots"))?;
        let mask = mask(prefix);
        if u32::from(ip) & !mask != 0 {
            return Err(bad(&format!(
                "host bits are set; the network is {}/{prefix}",
                Ipv4Addr::from(u32::from(ip) & mask)
            )));
        }
        Ok(Self {
            network: ip,
            prefix,
        })
    }

    /// The network address.
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// How many hosts [`Self::hosts`] yields: all addresses for /31 and
    /// /32, else all but the network and broadcast addresses.
    pub fn host_count(&self) -> u64 {
        let size = 1u64 << (32 - u32::from(self.prefix));
        if self.prefix >= 31 { size } else { size - 2 }
    }

    /// The host addresses in ascending order.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> + use<> {
        let base = u64::from(u32::from(self.network));
        let size = 1u64 << (32 - u32::from(self.prefix));
        let (first, last) = if self.prefix >= 31 {
            (base, base + size - 1)
        } else {
            (base + 1, base + size - 2)
        };
        (first..=last).filter_map(|n| u32::try_from(n).ok().map(Ipv4Addr::from))
    }
}

impl std::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_networks_and_counts_hosts() {
        let c = Ipv4Cidr::parse("192.168.1.0/24").unwrap();
        assert_eq!(c.host_count(), 254);
        let hosts: Vec<_> = c.hosts().collect();
        assert_eq!(hosts.len(), 254);
        assert_eq!(hosts[0], Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(hosts[253], Ipv4Addr::new(192, 168, 1, 254));
        assert_eq!(c.to_string(), "192.168.1.0/24");
        let c = Ipv4Cidr::parse(" 10.0.0.7 ").unwrap();
        assert_eq!(
            c.hosts().collect::<Vec<_>>(),
            vec![Ipv4Addr::new(10, 0, 0, 7)]
        );
        assert_eq!(Ipv4Cidr::parse("10.0.0.6/31").unwrap().host_count(), 2);
        let top = Ipv4Cidr::parse("255.255.255.254/31").unwrap();
        assert_eq!(top.hosts().count(), 2);
        assert_eq!(
            Ipv4Cidr::parse("0.0.0.0/0").unwrap().host_count(),
            (1 << 32) - 2
        );
        assert_eq!(
            Ipv4Cidr::parse("127.88.0.0/28").unwrap().hosts().count(),
            14
        );
    }

    #[test]
    fn bad_input_gets_a_clear_error() {
        for (input, needle) in [
            ("", "empty"),
            ("10.0.0.0/", "prefix"),
            ("10.0.0.0/33", "prefix"),
            ("10.0.0.0/-1", "prefix"),
            ("10.0.0.0/24/1", "prefix"),
            ("10.0.0/24", "four numbers"),
            ("10.0.0.256/24", "four numbers"),
            ("fd00::/64", "IPv4"),
            ("10.0.0.5/24", "network is 10.0.0.0/24"),
            ("printers", "four numbers"),
        ] {
            let err = Ipv4Cidr::parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err}");
        }
    }
}
