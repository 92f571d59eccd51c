//! Pool names are UUIDs: every command that takes one accepts a unique prefix (resolved by one
//! list); an ambiguous prefix exits 2 naming the candidates; no match exits 3 with "did you
//! mean" when a name is close.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use common::Env;

const A: &str = "8e4a1b2c-0000-4000-8000-00000000000a";
const B: &str = "8e4a1b2c-0000-4000-8000-00000000000b";
const C: &str = "1234abcd-0000-4000-8000-00000000000c";

async fn pools() -> Env {
    let env = Env::instant().await;
    env.ok(&["cs", "create", "pfx-dfw", "--region", "us-central-dfw-1"]);
    for name in [A, B, C] {
        env.ok(&[
            "np",
            "spot",
            "create",
            "--name",
            name,
            "--cloudspace",
            "pfx-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
            "--yes",
        ]);
    }
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unique_prefix_names_the_pool_for_get_update_wait_and_delete() {
    let env = pools().await;
    let got = env.ok_json(&["np", "spot", "get", "1234"]);
    assert_eq!(got["metadata"]["name"], C, "{got}");
    let got = env.ok_json(&["np", "spot", "get", B]);
    assert_eq!(got["metadata"]["name"], B, "{got}");
    let (names, _) = env.ok(&["np", "spot", "wait", "1234abcd", "-o", "name"]);
    assert_eq!(names.trim(), C);
    let updated = env.ok_json(&["np", "spot", "update", "1234", "--desired", "2", "--yes"]);
    assert_eq!(updated["metadata"]["name"], C, "{updated}");
    assert_eq!(updated["spec"]["desired"], 2, "{updated}");
    let (_, err) = env.ok(&["np", "spot", "delete", "1234", "--yes"]);
    assert!(err.contains(C), "the full name is said: {err}");
    let left = env.ok_json(&["np", "spot", "list"]);
    assert_eq!(left.as_array().map(Vec::len), Some(2), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_prefix_exits_2_listing_the_candidates() {
    let env = pools().await;
    for args in [
        &["np", "spot", "get", "8e4a"][..],
        &["np", "spot", "delete", "8e4a", "--yes"],
        &["np", "spot", "update", "8e4a", "--desired", "3", "--yes"],
        &["np", "spot", "wait", "8e4a"],
    ] {
        let (code, err) = env.fails(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("ambiguous") && err.contains(A) && err.contains(B),
            "{err}"
        );
        assert!(!err.contains(C), "{err}");
    }
    // Nothing was deleted or changed.
    assert_eq!(env.api_requests("DELETE", "spotnodepools"), 0);
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_match_is_not_found_with_did_you_mean() {
    let env = pools().await;
    let (code, err) = env.fails(&["np", "spot", "get", "ffff"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("not found"), "{err}");
    let (code, err) = env.fails(&["np", "spot", "delete", "1234abce", "--yes"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains(&format!("did you mean {C}")), "{err}");
    // A name that is not a UUID is only ever matched whole.
    let (code, _) = env.fails(&["cs", "get", "pfx"]);
    assert_eq!(code, Some(3));
}
