//! Synthetic printers over real UDP: supplies drain, cartridges get replaced,
//! the page counter only grows, and a fleet's clock moves simulated time.

use std::net::Ipv4Addr;
use std::time::Duration;

use asr_protocols::mib::{MibTree, Value};
use asr_protocols::sim::fleet::FleetOptions;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_protocols::snmp::{Credentials, FetchPlan, PollOptions, fetch};

const LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9];
const LIFE_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1];

fn life_count(tree: &MibTree) -> u32 {
    match tree.get_arcs(LIFE_COUNT, &[]) {
        Some(Value::Counter32(c)) => *c,
        other => panic!("no life count: {other:?}"),
    }
}

fn levels(tree: &MibTree) -> Vec<i32> {
    tree.column(LEVEL)
        .map(|(_, v)| match v {
            Value::Integer(l) => *l,
            other => panic!("level {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn sixty_simulated_days_drain_and_replace_cartridges_over_snmp() {
    let fleet = SimFleet::start_with(
        demo_fleet(11),
        Ipv4Addr::new(127, 77, 3, 10),
        16161,
        0.0,
        &FleetOptions::default(),
    )
    .await
    .unwrap();
    let plan = FetchPlan::printer_baseline();
    let opts = PollOptions::default();
    let creds = Credentials::v2c("public");
    let n = fleet.members().len();
    let mut last: Vec<(u32, Vec<i32>)> = Vec::new();
    for m in fleet.members() {
        let t = fetch(m.addr(), &creds, &plan, &opts).await.unwrap().tree;
        last.push((life_count(&t), levels(&t)));
    }
    let (mut drops, mut refills) = (0, 0);
    for _day in 0..60 {
        fleet.advance(Duration::from_secs(86_400));
        for (i, m) in fleet.members().iter().enumerate() {
            let t = fetch(m.addr(), &creds, &plan, &opts).await.unwrap().tree;
            let (count, lv) = (life_count(&t), levels(&t));
            assert!(count >= last[i].0, "{}: page counter went back", m.name);
            assert_eq!(lv.len(), last[i].1.len());
            for (now, before) in lv.iter().zip(&last[i].1) {
                if now < before {
                    drops += 1;
                } else if now > before {
                    refills += 1;
                }
            }
            last[i] = (count, lv);
        }
    }
    assert!(fleet.simulated_elapsed() >= Duration::from_secs(60 * 86_400));
    assert!(drops > 100, "levels dropped {drops} times");
    assert!(
        refills >= 5,
        "only {refills} cartridges replaced in 60 days over {n} printers"
    );
    let replaced: u32 = fleet
        .members()
        .iter()
        .filter_map(|m| m.printer.as_ref())
        .map(|p| {
            let p = p.lock().unwrap();
            (0..p.spec().supplies.len())
                .map(|i| p.replacements(i))
                .sum::<u32>()
        })
        .sum();
    assert_eq!(replaced, refills, "every jump up is a replacement");
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_fleet_clock_runs_simulated_time_fast() {
    let opts = FleetOptions {
        tick: Duration::from_millis(50),
        ..FleetOptions::default()
    };
    // One simulated day per real 100 ms.
    let fleet = SimFleet::start_with(
        demo_fleet(3),
        Ipv4Addr::new(127, 77, 3, 40),
        16161,
        864_000.0,
        &opts,
    )
    .await
    .unwrap();
    let m = &fleet.members()[4];
    let plan = FetchPlan::printer_baseline();
    let before = fetch(
        m.addr(),
        &Credentials::v2c("public"),
        &plan,
        &PollOptions::default(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let after = fetch(
        m.addr(),
        &Credentials::v2c("public"),
        &plan,
        &PollOptions::default(),
    )
    .await
    .unwrap();
    let simulated = fleet.simulated_elapsed();
    assert!(
        simulated >= Duration::from_secs(4 * 86_400),
        "{simulated:?}"
    );
    assert!(life_count(&after.tree) > life_count(&before.tree));
    let sys_name = after.tree.get_arcs(&[1, 3, 6, 1, 2, 1, 1, 5, 0], &[]);
    assert!(matches!(sys_name, Some(Value::OctetString(_))));
    fleet.shutdown().await;
}
