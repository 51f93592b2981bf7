//! `asr-gateway sim`: serve simulated printers over SNMP until Ctrl-C, for
//! trying `poll`, another gateway, or net-snmp tools against them; with
//! `--mdns`, also announce them over mDNS so `discover` finds them.
//!
//! Advertising is refused unless the interfaces are named: simulated
//! printers multicast onto a real LAN would show up in every print dialog.

use std::process::ExitCode;

use asr_protocols::sim::{
    AdvertiseError, AdvertisedPrinter, Advertiser, FleetOptions, Misbehaviour, SimFleet,
    synthetic_fleet,
};

use super::CommandError;
use crate::cli::SimArgs;

/// Why `--mdns` alone is refused.
const MDNS_NEEDS_INTERFACE: &str = "--mdns needs at least one --mdns-interface IFACE \
     (e.g. --mdns-interface lo): simulated printers are never advertised on an interface \
     you did not name";

/// Starts the fleet, lists addresses, waits for a signal.
pub async fn run(args: SimArgs) -> Result<ExitCode, CommandError> {
    let interfaces: Vec<String> = args
        .mdns_interfaces
        .iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect();
    if args.mdns && interfaces.is_empty() {
        return Err(CommandError::Usage(MDNS_NEEDS_INTERFACE.into()));
    }
    let options = FleetOptions {
        ipp_port: args.ipp_port,
        ..FleetOptions::default()
    };
    let fleet = match &args.recordings {
        Some(dir) => SimFleet::from_recordings_with(dir, args.base_ip, args.port, &options).await,
        None => {
            let specs =
                synthetic_fleet(args.seed, args.printers.clamp(1, super::demo::MAX_PRINTERS));
            SimFleet::start_with(specs, args.base_ip, args.port, args.speed, &options).await
        }
    }
    .map_err(|e| CommandError::Runtime(e.to_string()))?;
    for (i, m) in fleet.members().iter().enumerate() {
        let snmp_off = i < args.snmp_off;
        if snmp_off {
            m.agent.set_misbehaviour(Misbehaviour::Timeout);
        }
        let snmp = if snmp_off {
            "SNMP off".to_string()
        } else {
            m.addr().to_string()
        };
        match m.ipp {
            Some(ipp) => println!("{:<24} {snmp:<22} ipp://{ipp}/ipp/print", m.name),
            None => println!("{:<24} {snmp}", m.name),
        }
    }
    let advertiser = if args.mdns {
        let printers: Vec<AdvertisedPrinter> = fleet
            .members()
            .iter()
            .map(AdvertisedPrinter::from_member)
            .collect();
        match Advertiser::start(&printers, Some(interfaces.clone())) {
            Ok(a) => {
                println!(
                    "advertising {} printers over mDNS (_ipp._tcp, _printer._tcp) on {}",
                    printers.len(),
                    interfaces.join(", ")
                );
                Some(a)
            }
            Err(e) => {
                fleet.shutdown().await;
                let msg = format!("--mdns: {e}");
                return Err(match e {
                    AdvertiseError::NoInterface(_) | AdvertiseError::UnknownInterface(_) => {
                        CommandError::Usage(msg)
                    }
                    _ => CommandError::Runtime(msg),
                });
            }
        }
    } else {
        None
    };
    println!(
        "{} simulated printers (community \"public\" for synthetic ones, the file name for recordings); Ctrl-C stops.",
        fleet.members().len()
    );
    super::signal::wait_for_stop().await;
    if let Some(a) = advertiser {
        a.shutdown().await;
    }
    fleet.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(mdns: bool, interfaces: &[&str]) -> SimArgs {
        SimArgs {
            recordings: None,
            printers: 1,
            base_ip: std::net::Ipv4Addr::new(127, 0, 0, 1),
            port: 0,
            speed: 0.0,
            seed: 1,
            mdns,
            mdns_interfaces: interfaces.iter().map(|s| (*s).to_string()).collect(),
            ipp_port: None,
            snmp_off: 0,
        }
    }

    #[tokio::test]
    async fn mdns_without_a_named_interface_is_a_usage_error() {
        for ifaces in [&[][..], &[" "][..]] {
            let err = run(args(true, ifaces)).await.unwrap_err();
            assert_eq!(err.exit_status(), 2, "{err}");
            assert!(err.to_string().contains("--mdns-interface"), "{err}");
        }
        let err = run(args(true, &["no-such-if0"])).await.unwrap_err();
        assert_eq!(err.exit_status(), 2, "{err}");
        assert!(err.to_string().contains("no-such-if0"), "{err}");
    }

    #[test]
    fn mdns_interface_requires_mdns_and_is_off_by_default() {
        use clap::Parser;
        let parse = |v: &[&str]| crate::cli::Cli::try_parse_from(v);
        assert!(parse(&["asr-gateway", "sim", "--mdns-interface", "lo"]).is_err());
        let cli = parse(&["asr-gateway", "sim"]).unwrap();
        let crate::cli::Command::Sim(a) = cli.command else {
            panic!("not sim")
        };
        assert!(!a.mdns && a.mdns_interfaces.is_empty());
        let cli = parse(&["asr-gateway", "sim", "--mdns", "--mdns-interface", "lo"]).unwrap();
        let crate::cli::Command::Sim(a) = cli.command else {
            panic!("not sim")
        };
        assert!(a.mdns && a.mdns_interfaces == ["lo"]);
    }
}
