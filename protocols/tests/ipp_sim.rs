//! A simulated printer with SNMP switched off still answers IPP, with the
//! same identity and supplies as its SNMP agent would give.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::Ipv4Addr;
use std::time::Duration;

use asr_protocols::ipp::{IppClient, IppUrl, read_printer};
use asr_protocols::printer::{self, ReportSource};
use asr_protocols::sim::{FleetOptions, Misbehaviour, SimFleet, demo_fleet};
use asr_protocols::snmp::{self, PollOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_with_snmp_off_reads_the_same_over_ipp() {
    let opts = FleetOptions {
        ipp_port: Some(16_631),
        ..FleetOptions::default()
    };
    let fleet = SimFleet::start_with(
        demo_fleet(9),
        Ipv4Addr::new(127, 77, 9, 10),
        16_161,
        0.0,
        &opts,
    )
    .await
    .unwrap();
    fleet.advance(Duration::from_secs(40 * 86_400));
    let member = &fleet.members()[0];
    let creds = asr_protocols::snmp::Credentials::v2c("public");
    let over_snmp = snmp::fetch(
        member.addr(),
        &creds,
        &printer::fetch_plan(),
        &PollOptions::default(),
    )
    .await
    .map(|f| printer::interpret("snmp", &f.tree))
    .unwrap();

    member.agent.set_misbehaviour(Misbehaviour::Timeout);
    let quick = PollOptions {
        timeout: Duration::from_millis(200),
        retries: 0,
        ..PollOptions::default()
    };
    assert!(
        snmp::fetch(member.addr(), &creds, &printer::fetch_plan(), &quick)
            .await
            .is_err(),
        "SNMP is off"
    );

    let ipp = member.ipp.expect("served over IPP");
    let url = IppUrl::parse(&format!("ipp://{ipp}/ipp/print")).unwrap();
    let client = IppClient::new(Duration::from_secs(5)).unwrap();
    let (over_ipp, _) = read_printer(&client, &url, None).await.unwrap();
    assert_eq!(over_ipp.source, ReportSource::Ipp);
    assert_eq!(over_ipp.serial, over_snmp.serial);
    assert_eq!(over_ipp.identity_key(), over_snmp.identity_key());
    assert!(over_ipp.uuid.is_some());
    assert_eq!(over_ipp.supplies.len(), over_snmp.supplies.len());
    for (a, b) in over_ipp.supplies.iter().zip(&over_snmp.supplies) {
        assert_eq!(
            (a.index, &a.kind, a.class, &a.colorant, a.gauge),
            (b.index, &b.kind, b.class, &b.colorant, b.gauge),
        );
        assert_eq!(a.percent.map(|p| p.round()), b.percent.map(|p| p.round()));
    }
    fleet.shutdown().await;
}
