//! Scratch: v3 against a running snmpsimd (temporary).
use std::net::SocketAddr;
use std::time::Duration;
use asr_protocols::mib::Oid;
use asr_protocols::snmp::*;

#[tokio::test]
#[ignore]
async fn scratch_v3() {
    let addr: SocketAddr = "127.0.0.88:16161".parse().unwrap();
    let mut v3 = V3Credentials::auth_priv("poller", AuthProtocol::Sha1, "authpass-123", PrivProtocol::Aes128, "privpass-456");
    v3.context = "printer".into();
    let creds = Credentials::V3(v3);
    let plan = FetchPlan { scalars: vec![Oid::parse("1.3.6.1.2.1.1.1.0").unwrap()], subtrees: vec![] };
    let opts = PollOptions { timeout: Duration::from_millis(1500), retries: 0, ..PollOptions::default() };
    let r = fetch(addr, &creds, &plan, &opts).await;
    println!("{r:?}");
}
