//! The create wizard: `cloudspaces create` with no name on a terminal walks through region,
//! name and spot pools (classes with their prices and an advised bid), as spotctl does, then
//! shows the exact command it is about to run and runs that command once confirmed. Without a
//! terminal on stdin and stderr it never asks: the usual usage error stands.

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
/// [--spot-nodepool serverclass=…,desired=…,bidprice=…]…`.
pub fn command_line(ctx: &Ctx, name: &str, region: &str, pools: &[PoolChoice]) -> Vec<String> {
    let mut words = vec!["rsspot".to_string()];
    words.extend(ctx.line.flags().split_whitespace().map(str::to_string));
    words.extend(
        ["cloudspaces", "create", name, "--region", region]
            .iter()
            .map(|s| s.to_string()),
    );
    for p in pools {
        words.push("--spot-nodepool".into());
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
pub async fn run(ctx: &Ctx, client: &SpotClient) -> Result<()> {
    eprintln!("Create a cloudspace (Ctrl-C or an empty input stream cancels).");
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
    let name = ask_until("Name", None, |a| crate::names::cloudspace(a))?;
    let classes = classes_of(client, &region).await?;
    let mut pools = Vec::new();
    if classes.is_empty() {
        eprintln!("No server class is available in {region}: the cloudspace gets no pool.");
    } else {
        while yes_no(
            if pools.is_empty() {
                "Add a spot pool?"
            } else {
                "Add another spot pool?"
            },
            pools.is_empty(),
        )? {
            pools.push(ask_pool(&classes)?);
        }
    }
    let words = command_line(ctx, &name, &region, &pools);
    eprintln!("\nAbout to run:\n  {}\n", words.join(" "));
    if !yes_no("Run it?", true)? {
        anyhow::bail!(Cancelled);
    }
    let matches = crate::cli::command().try_get_matches_from(&words)?;
    let cli = crate::cli::Cli::from_arg_matches(&matches)?;
    let crate::cli::Command::Cloudspaces(super::CloudspacesCmd::Create(args)) = cli.command else {
        anyhow::bail!("the wizard built another command than `cloudspaces create`");
    };
    let mut global = cli.global;
    // The flags of the line it came from (-o, -q, timeouts) stay; the wizard adds --region.
    global.output = ctx.global.output;
    global.quiet = ctx.global.quiet;
    global.verbose = ctx.global.verbose;
    global.no_cache = ctx.global.no_cache;
    global.request_timeout = ctx.global.request_timeout;
    global.connect_timeout = ctx.global.connect_timeout;
    let run_ctx = Ctx::new(global);
    let client = run_ctx.client().await?;
    Box::pin(super::create::create(&run_ctx, client, args)).await
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
