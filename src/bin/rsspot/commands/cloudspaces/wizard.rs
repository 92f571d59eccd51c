//! The create wizard: `cloudspaces create` (or `vm-cloudspaces create`) with no name on a
//! terminal walks through region, name, (for VMs the SSH key) and pools (classes with their
//! prices and an advised bid), as spotctl does, then shows the exact command it is about to
//! run and runs that command once confirmed. Without a terminal on stdin and stderr it never
//! asks: the usual usage error stands.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::FromArgMatches;
use rsspot::SpotClient;
use rsspot::pricing::advice::{Risk, advise};
use rsspot::pricing::view::PriceRow;

use crate::ctx::Ctx;
use crate::output::Cancelled;

/// How many classes the wizard offers (the cheapest available ones of the region).
const CLASSES_SHOWN: usize = 12;

/// Whether the wizard may ask: stdin and stderr are a terminal and `--yes` was not given.
pub fn may_ask(ctx: &Ctx) -> bool {
    !ctx.global.yes && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A prompt on stderr; the answer (trimmed), or `default` for an empty one. End of input
/// cancels.
fn ask(question: &str, default: Option<&str>) -> Result<String> {
    match default {
        Some(d) => eprint!("{question} [{d}]: "),
        None => eprint!("{question}: "),
    }
    std::io::stderr().flush()?;
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line)? == 0 {
        eprintln!();
        anyhow::bail!(Cancelled);
    }
    let answer = line.trim();
    Ok(match (answer.is_empty(), default) {
        (true, Some(d)) => d.to_string(),
        _ => answer.to_string(),
    })
}

/// Asks until `parse` accepts the answer, saying what was wrong each time.
fn ask_until<T>(
    question: &str,
    default: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T> {
    loop {
        let answer = ask(question, default)?;
        match parse(&answer) {
            Ok(v) => return Ok(v),
            Err(problem) => eprintln!("  {problem}"),
        }
    }
}

fn yes_no(question: &str, default_yes: bool) -> Result<bool> {
    let d = if default_yes { "Y/n" } else { "y/N" };
    ask_until(question, Some(d), |a| {
        match a.to_ascii_lowercase().as_str() {
            "y/n" => Ok(default_yes),
            "y" | "yes" => Ok(true),
            "n" | "no" => Ok(false),
            _ => Err("answer y or n".to_string()),
        }
    })
}

/// An answer that is a number of `items` (1-based) or one of their names.
fn pick(answer: &str, items: &[String]) -> Result<usize, String> {
    if let Ok(n) = answer.parse::<usize>()
        && (1..=items.len()).contains(&n)
    {
        return Ok(n - 1);
    }
    items.iter().position(|i| i == answer).ok_or_else(|| {
        format!(
            "give a number from 1 to {} or one of the names shown",
            items.len()
        )
    })
}

/// What the wizard creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A cloudspace (Kubernetes) with spot pools.
    Cloudspace,
    /// A VM cloudspace with VM pools (at least one) and an SSH key.
    VmCloudspace,
}

/// One spot pool the wizard put together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolChoice {
    /// Server class.
    pub class: String,
    /// Node count.
    pub desired: u32,
    /// Bid per hour, in the API's form.
    pub bid: String,
}

/// The command the wizard runs: `rsspot [line flags] cloudspaces create NAME --region R
/// [--spot-nodepool serverclass=…,desired=…,bidprice=…]…`, or for VMs `rsspot [line flags]
/// vm-cloudspaces create NAME --region R --vm-ssh-key-name KEY --vm-pool …`.
pub fn command_line(
    ctx: &Ctx,
    target: Target,
    name: &str,
    region: &str,
    ssh_key: Option<&str>,
    pools: &[PoolChoice],
) -> Vec<String> {
    let mut words = vec!["rsspot".to_string()];
    words.extend(ctx.line.flags().split_whitespace().map(str::to_string));
    let (group, pool_flag) = match target {
        Target::Cloudspace => ("cloudspaces", "--spot-nodepool"),
        Target::VmCloudspace => ("vm-cloudspaces", "--vm-pool"),
    };
    words.extend(
        [group, "create", name, "--region", region]
            .iter()
            .map(|s| s.to_string()),
    );
    if let Some(key) = ssh_key {
        words.push("--vm-ssh-key-name".into());
        words.push(key.to_string());
    }
    for p in pools {
        words.push(pool_flag.into());
        words.push(format!(
            "serverclass={},desired={},bidprice={}",
            p.class, p.desired, p.bid
        ));
    }
    words
}

/// The region's cheapest available classes with their prices.
async fn classes_of(client: &SpotClient, region: &str) -> Result<Vec<PriceRow>> {
    let mut rows: Vec<PriceRow> = client
        .pricing()
        .rows(1)
        .await?
        .into_iter()
        .filter(|r| r.region == region && r.availability.as_deref() != Some("deprecated"))
        .collect();
    rows.sort_by(|a, b| a.market.cmp(&b.market).then(a.name.cmp(&b.name)));
    rows.truncate(CLASSES_SHOWN);
    Ok(rows)
}

fn money(v: Option<rust_decimal::Decimal>) -> String {
    v.map(|d| format!("${}", d.normalize()))
        .unwrap_or_else(|| "-".into())
}

/// Asks for one spot pool among `classes`.
fn ask_pool(classes: &[PriceRow]) -> Result<PoolChoice> {
    eprintln!(
        "  {:>2}  {:<22} {:>5} {:>7} {:>9} {:>9}",
        "#", "CLASS", "VCPU", "MEM GB", "MARKET/H", "BID/H"
    );
    let advised: Vec<String> = classes
        .iter()
        .map(|r| advise(r, Risk::Med).bid.to_string())
        .collect();
    for (i, (r, bid)) in classes.iter().zip(&advised).enumerate() {
        eprintln!(
            "  {:>2}  {:<22} {:>5} {:>7} {:>9} {:>9}",
            i + 1,
            r.name,
            r.vcpu.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
            r.memory_gb
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into()),
            money(r.market),
            format!("${bid}"),
        );
    }
    eprintln!("  (BID/H: the advised bid, from the median of recent prices)");
    let names: Vec<String> = classes.iter().map(|r| r.name.clone()).collect();
    let i = ask_until("Server class", Some("1"), |a| pick(a, &names))?;
    let desired = ask_until("Nodes", Some("1"), |a| {
        a.parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| "give a whole number of nodes, 1 or more".to_string())
    })?;
    let bid = ask_until("Bid per node-hour (USD)", Some(&advised[i]), |a| {
        a.trim_start_matches('$')
            .parse::<rust_decimal::Decimal>()
            .ok()
            .and_then(|d| rsspot::pricing::Bid::new(d).ok())
            .map(|b| b.to_string())
            .ok_or_else(|| "give a price such as 0.05 (at most three decimals)".to_string())
    })?;
    Ok(PoolChoice {
        class: names[i].clone(),
        desired,
        bid,
    })
}

/// Runs the wizard; on confirmation runs the command it shows.
pub async fn run(ctx: &Ctx, client: &SpotClient, target: Target) -> Result<()> {
    let what = match target {
        Target::Cloudspace => "cloudspace",
        Target::VmCloudspace => "VM cloudspace",
    };
    eprintln!("Create a {what} (Ctrl-C or the end of input cancels).");
    let regions: Vec<String> = {
        let mut names: Vec<String> = client
            .regions()
            .list()
            .await?
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .filter_map(|v| v.pointer("/metadata/name")?.as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    };
    for (i, r) in regions.iter().enumerate() {
        eprintln!("  {:>2}  {r}", i + 1);
    }
    let default_region = match &ctx.global.region {
        Some(r) => Some(r.clone()),
        None => ctx.resolved().await?.settings.region.clone(),
    }
    .filter(|r| regions.contains(r))
    .or_else(|| regions.first().cloned());
    let region =
        regions[ask_until("Region", default_region.as_deref(), |a| pick(a, &regions))?].clone();
    let name = ask_until("Name", None, crate::names::cloudspace)?;
    let ssh_key = match target {
        Target::Cloudspace => None,
        Target::VmCloudspace => Some(ask_ssh_key(ctx, client).await?),
    };
    let classes = classes_of(client, &region).await?;
    let mut pools = Vec::new();
    let kind = match target {
        Target::Cloudspace => "spot pool",
        Target::VmCloudspace => "VM pool",
    };
    if classes.is_empty() {
        if target == Target::VmCloudspace {
            anyhow::bail!(rsspot::Error::invalid(
                "--region",
                format!("no server class is available in {region}; pick another region")
            ));
        }
        eprintln!("No server class is available in {region}: the cloudspace gets no pool.");
    } else {
        // A VM cloudspace needs one pool at least: the first is not asked about.
        let must = target == Target::VmCloudspace;
        loop {
            let question = if pools.is_empty() {
                format!("Add a {kind}?")
            } else {
                format!("Add another {kind}?")
            };
            let first_of_many = must && pools.is_empty();
            if !first_of_many && !yes_no(&question, pools.is_empty())? {
                break;
            }
            pools.push(ask_pool(&classes)?);
        }
    }
    let words = command_line(ctx, target, &name, &region, ssh_key.as_deref(), &pools);
    eprintln!("\nAbout to run:\n  {}\n", words.join(" "));
    if !yes_no("Run it?", true)? {
        anyhow::bail!(Cancelled);
    }
    let matches = crate::cli::command().try_get_matches_from(&words)?;
    let cli = crate::cli::Cli::from_arg_matches(&matches)?;
    let mut global = cli.global;
    // The flags of the line it came from (-o, -q, timeouts) stay; the wizard adds --region.
    global.output = ctx.global.output;
    global.quiet = ctx.global.quiet;
    global.verbose = ctx.global.verbose;
    global.no_cache = ctx.global.no_cache;
    global.request_timeout = ctx.global.request_timeout;
    global.connect_timeout = ctx.global.connect_timeout;
    let run_ctx = Ctx::new(global);
    match cli.command {
        crate::cli::Command::Cloudspaces(super::CloudspacesCmd::Create(args)) => {
            let client = run_ctx.client().await?;
            Box::pin(super::create::create(&run_ctx, client, args)).await
        }
        crate::cli::Command::VmCloudspaces(cmd) => {
            Box::pin(crate::commands::vm_cloudspaces::run(&run_ctx, cmd)).await
        }
        _ => anyhow::bail!("the wizard built another command than the create it shows"),
    }
}

/// Asks for the VM cloudspace's SSH key among the organization's (typed when it has none).
async fn ask_ssh_key(ctx: &Ctx, client: &SpotClient) -> Result<String> {
    let mut keys: Vec<String> = client
        .org_or_default(ctx.org())
        .vm_ssh_keys()
        .list()
        .await?
        .iter()
        .filter_map(|k| serde_json::to_value(k).ok())
        .filter_map(|v| v.pointer("/metadata/name")?.as_str().map(str::to_string))
        .collect();
    keys.sort();
    if keys.is_empty() {
        eprintln!("No VM SSH key yet (`rsspot vm-ssh-keys create` makes one).");
        return ask_until("SSH key name", None, crate::names::object);
    }
    for (i, k) in keys.iter().enumerate() {
        eprintln!("  {:>2}  {k}", i + 1);
    }
    let i = ask_until("SSH key", Some("1"), |a| pick(a, &keys))?;
    Ok(keys[i].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_number_or_name() {
        let items = vec!["a".to_string(), "b".to_string()];
        assert_eq!(pick("2", &items), Ok(1));
        assert_eq!(pick("a", &items), Ok(0));
        assert!(pick("3", &items).is_err());
        assert!(pick("c", &items).is_err());
    }
}
