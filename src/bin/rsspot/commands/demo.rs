//! `rsspot demo`: a guided tour against an in-process emulator (no account needed).

use anyhow::Result;
use clap::Args;

use crate::ctx::Ctx;
use crate::help_layout::WithExamples;

#[cfg(not(feature = "emulator"))]
fn no_emulator() -> rsspot::Error {
    rsspot::Error::config("this rsspot was built without the `emulator` feature")
}

#[derive(Debug, Args)]
#[command(examples(&[
    ("The guided tour", "rsspot demo"),
    ("Without pauses", "rsspot demo --fast"),
]))]
pub struct DemoArgs {
    /// Instant lifecycle (no waiting; for tests and the impatient).
    #[arg(long)]
    pub fast: bool,
}

#[cfg(not(feature = "emulator"))]
pub async fn demo(_ctx: &Ctx, _a: DemoArgs) -> Result<()> {
    anyhow::bail!(no_emulator())
}

/// Runs the tour against an in-process emulator (the user's config and state are never touched).
#[cfg(feature = "emulator")]
pub async fn demo(ctx: &Ctx, a: DemoArgs) -> Result<()> {
    tour::run(ctx, a.fast).await
}

#[cfg(feature = "emulator")]
mod tour {
    use std::time::Duration;

    use anyhow::Result;
    use rsspot::SpotClient;
    use rsspot::emulator::{ClockMode, Emulator, EmulatorOptions, Lifecycle};
    use rsspot::pricing::advice::Risk;
    use rsspot::services::{CloudSpaceCreate, SpotPoolCreate, WaitOptions};

    use crate::commands::resources::money;
    use crate::ctx::Ctx;
    use crate::output::{Tabular, dash};

    const CLUSTER: &str = "demo-cluster";
    const PREFERRED_REGION: &str = "us-central-dfw-1";
    const KUBECONFIG_PREVIEW_LINES: usize = 12;

    /// Prints `$ rsspot ...` before each step's output.
    fn step(ctx: &Ctx, title: &str, command: &str) -> Result<()> {
        // Long commands break before a flag into shell continuation lines (80 columns).
        let command = crate::output::wrap_shell("$", &format!("rsspot {command}"), 80);
        if title.is_empty() {
            ctx.out.text(&command)
        } else {
            ctx.out.text(&format!("\n# {title}\n{command}"))
        }
    }

    fn wait_options(ctx: &Ctx, fast: bool) -> WaitOptions {
        let quiet = ctx.global.quiet;
        let mut opts = WaitOptions::with_timeout(Duration::from_secs(60)).on_progress(move |ev| {
            if !quiet {
                let detail = if ev.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ev.detail)
                };
                eprintln!(
                    "  {} is {}{detail} [{:.1}s]",
                    ev.what,
                    ev.phase,
                    ev.elapsed.as_secs_f64()
                );
            }
        });
        // Short polls: the emulator's lifecycle takes seconds, not the real service's minutes.
        let poll = if fast {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(500)
        };
        opts.interval = poll;
        opts.max_interval = poll * 2;
        opts
    }

    pub async fn run(ctx: &Ctx, fast: bool) -> Result<()> {
        let opts = EmulatorOptions {
            clock: ClockMode::Wall,
            lifecycle: if fast {
                Lifecycle::instant()
            } else {
                Lifecycle::short()
            },
            ..EmulatorOptions::default()
        };
        let emu = Emulator::start_with(opts)
            .await
            .map_err(rsspot::Error::from)?;
        ctx.out.text(&format!(
            "rsspot demo: a tour against a Spot API emulator (org \"demo\")\nat {}.\n\
             Nothing here touches your account, config or state;\n\
             each step shows the command to run.",
            emu.base_url()
        ))?;
        // Its own in-memory state and no config: the user's profile, cache and history stay
        // untouched.
        let client = SpotClient::builder()
            .all_urls(emu.base_url())
            .refresh_token("demo-token")
            .in_memory_state()
            .build()
            .await?;
        let waits = wait_options(ctx, fast);

        step(ctx, "Where can I run?", "regions list")?;
        let regions = client.regions().list().await?;
        ctx.out.table(
            &<rsspot::raw::types::Region as Tabular>::headers(false),
            regions.iter().map(|r| r.row(false)).collect(),
        )?;
        let region = regions
            .iter()
            .map(Tabular::name)
            .find(|n| n == PREFERRED_REGION)
            .or_else(|| regions.first().map(Tabular::name))
            .ok_or_else(|| anyhow::anyhow!("the emulator has no regions"))?;

        step(
            ctx,
            "What does a server cost there?",
            &format!("pricing list --region {region}"),
        )?;
        let mut rows: Vec<_> = client
            .pricing()
            .rows(1)
            .await?
            .into_iter()
            .filter(|r| r.region == region && r.floor.is_some())
            .filter(|r| r.availability.as_deref() != Some("deprecated"))
            .collect();
        rows.sort_by(|a, b| (a.floor, a.market, &a.name).cmp(&(b.floor, b.market, &b.name)));
        rows.truncate(5);
        let price = |d: Option<rust_decimal::Decimal>| dash(d.map(|d| money(&d.to_string())));
        ctx.out.table(
            &[
                "CLASS",
                "CPU",
                "MEMORY GB",
                "MARKET $/H",
                "FLOOR",
                "P50",
                "ON-DEMAND $/H",
            ],
            rows.iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        dash(r.vcpu),
                        dash(r.memory_gb),
                        price(r.market),
                        price(r.floor),
                        price(r.p50),
                        price(r.on_demand),
                    ]
                })
                .collect(),
        )?;
        let class = rows
            .first()
            .map(|r| r.name.clone())
            .ok_or_else(|| anyhow::anyhow!("no server class with a price in {region}"))?;

        step(
            ctx,
            "Create a cluster and wait until it is Ready",
            &format!("cloudspaces create {CLUSTER} --region {region} --wait"),
        )?;
        client
            .cloudspaces()
            .create(&CloudSpaceCreate::new(CLUSTER).region(&region))
            .await?;
        let cs = client.cloudspaces().wait_ready(CLUSTER, &waits).await?;
        let status = cs.status.clone().unwrap_or_default();
        ctx.out.table(
            &["NAME", "REGION", "PHASE", "HEALTH", "K8S", "ENDPOINT"],
            vec![vec![
                CLUSTER.to_string(),
                region.clone(),
                dash(status.phase.as_ref()),
                dash(status.health.as_ref()),
                dash(
                    status
                        .current_kubernetes_version
                        .as_ref()
                        .or(cs.spec.kubernetes_version.as_ref()),
                ),
                dash(status.api_server_endpoint.as_ref()),
            ]],
        )?;

        step(
            ctx,
            "What should I bid?",
            &format!("pricing bid {class} --risk med"),
        )?;
        let advice = client.pricing().advise(&class, Risk::Med).await?;
        let mut lines = vec![format!(
            "bid {} $/h for {class} (based on {}; floor {})",
            advice.bid,
            advice.basis,
            money(&advice.floor.to_string())
        )];
        lines.extend(advice.reasoning.iter().map(|r| format!("  - {r}")));
        ctx.out.text(&lines.join("\n"))?;

        step(
            ctx,
            "Add two spot nodes at that bid and wait until they are won",
            &format!(
                "nodepools spot create --cloudspace {CLUSTER} --server-class {class} --desired 2 --bid-price {} --wait",
                advice.bid
            ),
        )?;
        let pool = client
            .spot_pools()
            .create(&SpotPoolCreate::new(CLUSTER, &class, 2, advice.bid))
            .await?;
        let pool_name = Tabular::name(&PoolName(&pool));
        let pool = client.spot_pools().wait_ready(&pool_name, &waits).await?;
        let spec = pool.spec.clone();
        let st = pool.status.clone().unwrap_or_default();
        ctx.out.table(
            &["NAME", "CLASS", "BID", "DESIRED", "WON", "STATUS"],
            vec![vec![
                pool_name.clone(),
                spec.server_class.clone(),
                dash(spec.bid_price),
                dash(spec.desired),
                dash(st.won_count),
                dash(st.bid_status.as_ref()),
            ]],
        )?;

        step(
            ctx,
            "Get a kubeconfig (--file PATH writes it, --merge adds it to ~/.kube/config)",
            &format!("cloudspaces kubeconfig {CLUSTER}"),
        )?;
        let kubeconfig = client.cloudspaces().kubeconfig(CLUSTER).await?;
        // Only the cluster part: the users section further down carries a token.
        let preview: Vec<&str> = kubeconfig
            .lines()
            .take_while(|l| !l.starts_with("contexts:") && !l.starts_with("users:"))
            .take(KUBECONFIG_PREVIEW_LINES)
            .collect();
        let context = kubeconfig
            .lines()
            .find_map(|l| l.strip_prefix("current-context: "))
            .unwrap_or("-");
        ctx.out.text(&format!(
            "{}\n... ({} lines in all; current-context: {context})",
            preview.join("\n"),
            kubeconfig.lines().count()
        ))?;

        step(
            ctx,
            "Clean up",
            &format!("nodepools spot delete {pool_name} --yes"),
        )?;
        client.spot_pools().delete(&pool_name).await?;
        ctx.out.text(&format!("spot pool {pool_name} deleted"))?;
        step(ctx, "", &format!("cloudspaces delete {CLUSTER} --yes"))?;
        client.cloudspaces().delete_with_pools(CLUSTER).await?;
        wait_gone(&client, &waits).await?;
        ctx.out.text(&format!(
            "cloudspace {CLUSTER} deleted (with its node pools)"
        ))?;

        ctx.out.text(
            "\nNext steps:\n  \
             rsspot configure                  store your Rackspace Spot refresh token\n  \
             rsspot emulator serve             run this emulator and script against it\n  \
             rsspot --help                     every command",
        )?;
        emu.shutdown().await;
        Ok(())
    }

    /// Polls (uncached) until the cloudspace is gone.
    async fn wait_gone(client: &SpotClient, waits: &WaitOptions) -> Result<()> {
        let client = client.without_cache();
        let started = std::time::Instant::now();
        loop {
            match client.cloudspaces().get(CLUSTER).await {
                Err(rsspot::Error::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(_) if started.elapsed() > waits.timeout => {
                    anyhow::bail!(rsspot::Error::Timeout {
                        what: format!("cloudspace {CLUSTER:?} to be deleted"),
                        elapsed: started.elapsed(),
                        last_seen: Some("Deleting".into()),
                    })
                }
                Ok(_) => tokio::time::sleep(waits.interval).await,
            }
        }
    }

    /// The name of a created pool (the SDK generated it).
    struct PoolName<'a>(&'a rsspot::raw::types::SpotNodePool);

    impl Tabular for PoolName<'_> {
        fn headers(_: bool) -> Vec<&'static str> {
            vec!["NAME"]
        }
        fn row(&self, _: bool) -> Vec<String> {
            vec![self.name()]
        }
        fn name(&self) -> String {
            self.0.metadata.name.clone()
        }
    }
}

impl crate::shape::Shaped for DemoArgs {
    /// A guided tour in text; it leaves no trace in the user's state.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT.unrecorded()
    }
}
