//! Unit tests of the VM pool requests (user data, local checks, bodies).

use super::*;

#[test]
fn user_data_is_encoded_unless_already_base64() {
    let script = b"#!/bin/sh\necho hi\n";
    let wire = user_data_wire(script);
    let back = base64::engine::general_purpose::STANDARD
        .decode(&wire)
        .unwrap();
    assert_eq!(back, script);
    assert_eq!(user_data_wire(wire.as_bytes()), wire);
    // Binary data is encoded, not taken as text.
    let bin = [0xffu8, 0x00, 0x10];
    assert_eq!(user_data_wire(&bin), "/wAQ");
}

#[test]
fn requests_are_checked_locally() {
    let bid: Bid = "0.05".parse().unwrap();
    assert!(
        VmPoolCreate::spot("vm-lab", "gp.vs1.medium-dfw", 1, bid)
            .validate()
            .is_ok()
    );
    let mut no_bid = VmPoolCreate::spot("vm-lab", "c", 1, bid);
    no_bid.bid_price = None;
    assert!(
        no_bid
            .validate()
            .unwrap_err()
            .to_string()
            .contains("needs a bid")
    );
    // An on-demand pool takes a bid as the official CLI sends one, and sends it.
    let od = VmPoolCreate::on_demand("vm-lab", "c", 1);
    assert!(od.validate().is_ok() && !od.bid_is_ignored());
    let od = od.bid(bid);
    assert!(od.validate().is_ok() && od.bid_is_ignored());
    let body = od.to_body("n", "ns");
    assert_eq!(body.spec.bid_price, Some(bid));
    assert_eq!(body.spec.pool_type.as_deref(), Some("ondemand"));
    // The image defaults to spotctl's; a given one is kept.
    assert_eq!(body.spec.vm_image.as_deref(), Some(DEFAULT_VM_IMAGE));
    let body = od.image("debian12").to_body("n", "ns");
    assert_eq!(body.spec.vm_image.as_deref(), Some("debian12"));
    assert!(
        VmPoolCreate::spot("vm-lab", "c", 0, bid)
            .validate()
            .is_err()
    );
    assert!(
        VmPoolCreate::spot("VM_lab", "c", 1, bid)
            .validate()
            .is_err()
    );
    assert_eq!("OnDemand".parse::<PoolType>().unwrap(), PoolType::OnDemand);
    assert!("reserved".parse::<PoolType>().is_err());
    let body = VmPoolCreate::spot("vm-lab", "c", 2, bid).to_body("n", "ns");
    assert_eq!(
        body.metadata
            .labels
            .get(VMCLOUDSPACE_LABEL)
            .map(String::as_str),
        Some("vm-lab")
    );
    assert_eq!(body.spec.bid_price, Some(bid));
}
