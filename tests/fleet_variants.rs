#![cfg(all(feature = "cli", feature = "emulator"))]
//! Declarative fleets under every emulator variant (`VariantSetting::all()`), through the SDK:
//! a fleet of every kind (VM SSH key, cloudspace with spot, on-demand and autopilot pools, VM
//! cloudspace with spot and on-demand VM pools, user data from a file) applied from nothing;
//! a second apply sends no write (counted in the emulator's journal); drift made by hand is
//! listed exactly; `prune` deletes, and only then; a saved plan is refused after a concurrent
//! change; `apply --dry-run` changes nothing, sent with `dryRun=All` where the service takes
//! it; `delete -f` leaves nothing. Every setting runs in its own emulator, all at once.

mod common;

use std::time::Duration;

use common::{Env, variant_options};
use rsspot::emulator::{DryRun, VariantSetting};
use rsspot::fleet::{self, ApplyOptions, Fleet, ObjectKind, Outcome, Plan, PlanOptions};
use rsspot::services::{SpotPoolCreate, SpotPoolUpdate, VmPoolUpdate};

type Check = Result<(), String>;

const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";

fn fleet_text() -> String {
    format!(
        r#"
vmSshKeys:
  - name: fv-key
    publicKey: "{SSH_KEY}"
cloudspaces:
  - name: fv-web
    region: us-central-dfw-1
    spotPools:
      - key: workers
        serverClass: gp.vs1.medium-dfw
        desired: 2
        bid: 0.02
        labels: {{tier: web}}
    onDemandPools:
      - key: base
        serverClass: gp.vs1.medium-dfw
        desired: 1
    autopilotPools:
      - key: elastic
        vcpu: 4
        budgetPerHour: 0.02
vmCloudspaces:
  - name: fv-vms
    region: us-central-dfw-1
    sshKey: fv-key
    vmPools:
      - key: spot
        serverClass: gp.vs1.medium-dfw
        desired: 1
        bid: 0.02
        userData: {{file: init.sh}}
      - key: steady
        serverClass: gp.vs1.medium-dfw
        desired: 1
        poolType: ondemand
"#
    )
}

fn bid(text: &str) -> Result<rsspot::pricing::Bid, String> {
    text.parse().map_err(|e: rsspot::Error| e.to_string())
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Check {
    if ok { Ok(()) } else { Err(what()) }
}

fn name_of(plan: &Plan, key: &str) -> Result<String, String> {
    plan.unchanged
        .iter()
        .map(|u| &u.object)
        .chain(plan.creates.iter().map(|c| &c.object))
        .find(|o| o.key.as_deref() == Some(key))
        .map(|o| o.name.clone())
        .ok_or_else(|| format!("no object of key {key} in the plan"))
}

/// What `apply --dry-run` should report for `kind` under `setting`.
fn dry_outcome(setting: VariantSetting, kind: ObjectKind) -> Outcome {
    let core = matches!(
        kind,
        ObjectKind::CloudSpace | ObjectKind::SpotPool | ObjectKind::OnDemandPool
    );
    match setting {
        VariantSetting::DryRun(DryRun::Rejected) => Outcome::DryRun,
        VariantSetting::DryRun(DryRun::CoreOnly) if !core => Outcome::DryRun,
        _ => Outcome::Validated,
    }
}

async fn flows(setting: VariantSetting) -> Check {
    let env = Env::start_with(variant_options(setting)).await;
    let dir = env.home().join("repo");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("init.sh"), "#!/bin/sh\necho hello\n").map_err(|e| e.to_string())?;
    let path = dir.join("fleet.yaml");
    std::fs::write(&path, fleet_text()).map_err(|e| e.to_string())?;
    let wanted = Fleet::load(&path).map_err(|e| format!("load: {e}"))?;
    let client = env.client().await;
    let org = client.default_org();
    let plan_of = |f: Fleet, prune: bool| {
        let org = org.clone();
        async move {
            let opts = PlanOptions {
                prune,
                ..PlanOptions::default()
            };
            fleet::plan(&org, &f, &opts)
                .await
                .map_err(|e| format!("plan: {e}"))
        }
    };
    let apply = |p: Plan, opts: ApplyOptions| {
        let org = org.clone();
        async move { fleet::apply(&org, &p, &opts).await }
    };

    // What the seed holds already: a pruning plan of an empty fleet deletes exactly that.
    let seeded: std::collections::BTreeSet<String> = plan_of(Fleet::default(), true)
        .await?
        .deletes
        .iter()
        .map(|c| c.object.name.clone())
        .collect();

    // Apply from nothing.
    let first = plan_of(wanted.clone(), false).await?;
    ensure(first.creates.len() == 8, || {
        format!("8 creates, got {:?}", first.creates)
    })?;
    let report = apply(first.clone(), ApplyOptions::default())
        .await
        .map_err(|e| format!("first apply: {e}"))?;
    ensure(report.count(Outcome::Created) == 8, || {
        format!("{report:?}")
    })?;
    let vm_pools = org
        .vm_pools()
        .within("fv-vms")
        .list()
        .await
        .map_err(|e| e.to_string())?;
    ensure(
        vm_pools.iter().any(|p| p.spec.vm_user_data.is_some()),
        || "the user data from the file was not sent".into(),
    )?;

    // A second apply sends no write.
    env.emu.clear_journal();
    let second = plan_of(wanted.clone(), false).await?;
    ensure(second.in_sync(), || {
        format!("second plan not in sync: {second:?}")
    })?;
    ensure(second.unchanged.len() == 8, || {
        format!("{:?}", second.unchanged)
    })?;
    apply(second.clone(), ApplyOptions::default())
        .await
        .map_err(|e| format!("second apply: {e}"))?;
    ensure(env.writes() == 0, || {
        format!("{} writes on a no-op apply", env.writes())
    })?;

    // Drift by hand, listed exactly.
    let workers = name_of(&second, "workers")?;
    let vm_spot = name_of(&second, "spot")?;
    let upd = SpotPoolUpdate {
        common: rsspot::services::PoolUpdate {
            desired: Some(3),
            ..Default::default()
        },
        bid_price: None,
    };
    org.spot_pools()
        .update(&workers, &upd)
        .await
        .map_err(|e| format!("drift: {e}"))?;
    let vm_upd = VmPoolUpdate {
        desired: Some(2),
        bid_price: None,
    };
    org.vm_pools()
        .update(&vm_spot, &vm_upd)
        .await
        .map_err(|e| format!("drift: {e}"))?;
    let extra = SpotPoolCreate::new("fv-web", "gp.vs1.medium-dfw", 1, bid("0.02")?);
    let extra = org
        .spot_pools()
        .create(&extra)
        .await
        .map_err(|e| format!("extra: {e}"))?;
    let extra = rsspot::ResourceExt::name(&extra).to_string();
    let drift = plan_of(wanted.clone(), false).await?;
    let mut changed: Vec<(String, String, String, String)> = drift
        .updates
        .iter()
        .flat_map(|c| {
            c.fields.iter().map(|f| {
                (
                    c.object.name.clone(),
                    f.field.clone(),
                    f.old.clone(),
                    f.new.clone(),
                )
            })
        })
        .collect();
    changed.sort();
    let mut want = vec![
        (workers.clone(), "desired".into(), "3".into(), "2".into()),
        (vm_spot.clone(), "desired".into(), "2".into(), "1".into()),
    ];
    want.sort();
    ensure(changed == want, || {
        format!("drift listed as {changed:?}, want {want:?}")
    })?;
    ensure(drift.creates.is_empty() && drift.deletes.is_empty(), || {
        format!("no create or delete without prune: {drift:?}")
    })?;

    // Prune deletes the extra pool, and only with prune.
    let pruned = plan_of(wanted.clone(), true).await?;
    let deleted: std::collections::BTreeSet<String> = pruned
        .deletes
        .iter()
        .map(|c| c.object.name.clone())
        .collect();
    let mut want_deleted = seeded.clone();
    want_deleted.insert(extra.clone());
    ensure(deleted == want_deleted, || {
        format!("prune deletes {deleted:?}, want the seed's objects and {extra}: {want_deleted:?}")
    })?;
    apply(pruned, ApplyOptions::default())
        .await
        .map_err(|e| format!("pruned apply: {e}"))?;
    let after = plan_of(wanted.clone(), true).await?;
    ensure(after.in_sync(), || {
        format!("not in sync after the pruned apply: {after:?}")
    })?;

    // A saved plan is refused after a concurrent change, naming the object; nothing is sent.
    let mut more = wanted.clone();
    more.cloudspaces[0].spot_pools[0].desired = 4;
    let saved = plan_of(more.clone(), false).await?;
    org.spot_pools()
        .update(&workers, &upd)
        .await
        .map_err(|e| format!("concurrent: {e}"))?;
    env.emu.clear_journal();
    let verify = ApplyOptions {
        verify: true,
        ..ApplyOptions::default()
    };
    match apply(saved, verify).await {
        Err(e) if e.to_string().contains(&workers) => {}
        other => {
            return Err(format!(
                "a stale plan was not refused naming {workers}: {other:?}"
            ));
        }
    }
    ensure(env.writes() == 0, || "a refused plan sent a write".into())?;

    // apply --dry-run: nothing changes; dryRun=All where the service takes it.
    let mut dry_file = more.clone();
    dry_file.vm_cloudspaces[0].vm_pools[1].desired = 2;
    let dry_plan = plan_of(dry_file.clone(), false).await?;
    let dry = ApplyOptions {
        dry_run: true,
        ..ApplyOptions::default()
    };
    let report = apply(dry_plan.clone(), dry)
        .await
        .map_err(|e| format!("dry run: {e}"))?;
    for a in &report.applied {
        let want = dry_outcome(setting, a.object.kind);
        ensure(a.outcome == want, || {
            format!("dry run of {}: {:?}, want {want:?}", a.object, a.outcome)
        })?;
    }
    let again = plan_of(dry_file, false).await?;
    ensure(
        again.updates.len() == dry_plan.updates.len() && !again.updates.is_empty(),
        || format!("the dry run changed something: {again:?}"),
    )?;

    // delete -f: nothing of the file is left.
    fleet::delete(&org, &wanted, &ApplyOptions::default())
        .await
        .map_err(|e| format!("delete: {e}"))?;
    // Deletes finish on the emulator's clock (300 ms here): wait for them, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let gone = plan_of(wanted.clone(), false).await?;
        let left: Vec<String> = gone
            .unchanged
            .iter()
            .map(|u| u.object.to_string())
            .chain(gone.updates.iter().map(|c| c.object.to_string()))
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("objects left after delete -f: {left:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fleet_flows_work_under_every_variant() {
    let settings = VariantSetting::all();
    let mut tasks = tokio::task::JoinSet::new();
    for setting in settings.iter().copied() {
        tasks.spawn(async move { (setting, flows(setting).await) });
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    while let Some(r) = tasks.join_next().await {
        let (setting, result) = r.expect("a flow panicked");
        ran += 1;
        if let Err(e) = result {
            failures.push(format!("[{setting}] {e}"));
        }
    }
    failures.sort();
    eprintln!(
        "fleet variants: {ran} settings, {} failures",
        failures.len()
    );
    assert_eq!(ran, settings.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
