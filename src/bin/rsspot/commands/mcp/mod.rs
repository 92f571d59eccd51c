//! `rsspot mcp`: a Model Context Protocol server over stdio (on the official SDK, `rmcp`), so
//! agents and editors use Spot through the profile rsspot already has.
//!
//! Read-only by default: every read of the CLI is a tool ([`reads`]); the write tools
//! ([`writes`]) exist only with `--allow-writes`, and each acts in two steps — a plan with a
//! single-use confirmation token ([`confirm`]), then the same call with that token. The
//! spending guardrails are the CLI's ([`crate::commands::nodepools::spend`]), except that
//! nothing crosses `max_monthly_usd` and no `--yes` applies. Results are scrubbed of anything
//! secret ([`server::scrub`]); errors are tool errors in the CLI's wording.

mod confirm;
mod fleet;
mod reads;
mod server;
mod writes;

use anyhow::Result;
use clap::Args;
use rmcp::ServiceExt;

use crate::ctx::Ctx;

/// The tools, as `rsspot mcp --help` lists them (a unit test keeps it in step with the table).
pub const TOOLS_HELP: &str = "Read tools: organizations, regions, server_classes, prices, \
    price_history, bid_advice, autopilot_preview, list, get, fleet_diff.\n\
    Write tools (only with --allow-writes; each in two steps, a plan with a confirmation token \
    and then the call with `confirm`): create_pool, scale_pool, delete_pool, create_cloudspace, \
    delete_cloudspace, apply_fleet.";

/// `rsspot mcp`.
#[derive(Debug, Args)]
#[command(after_help = TOOLS_HELP)]
pub struct McpArgs {
    /// Offer the write tools (create/scale/delete pools, create/delete cloudspaces, apply a
    /// fleet); each write still needs a plan and a confirmation token, and never passes `max_monthly_usd`.
    #[arg(long)]
    pub allow_writes: bool,
    /// Print the JSON an MCP client's configuration needs to start this server, and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Runs the server on stdin/stdout until the client closes it (or prints its configuration).
pub async fn mcp(ctx: &Ctx, args: McpArgs) -> Result<()> {
    if args.print_config {
        return print_config(ctx, &args);
    }
    let client = ctx.client().await?.clone();
    let limits = crate::commands::nodepools::spend::limits(ctx).await?;
    let settings = &ctx.resolved().await?.settings;
    let secrets = [&settings.refresh_token, &settings.access_token]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let org = ctx.org().map(str::to_string);
    let handler = server::SpotTools::new(client, org, limits, args.allow_writes, secrets);
    let running = handler
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("the MCP session did not start: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| anyhow::anyhow!("the MCP session ended with an error: {e}"))?;
    Ok(())
}

/// The `mcpServers` entry of a client's configuration (Claude Desktop, Cursor, VS Code, …):
/// this binary, with the profile (and organization, configuration file) of this invocation.
fn print_config(ctx: &Ctx, args: &McpArgs) -> Result<()> {
    let command = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "rsspot".into());
    let mut argv = vec!["mcp".to_string()];
    if args.allow_writes {
        argv.push("--allow-writes".into());
    }
    let global = &ctx.global;
    if let Some(config) = &global.config {
        argv.push("--config".into());
        argv.push(config.display().to_string());
    }
    // The profile named, else the one in use now: the client then keeps talking to the same
    // account when the active profile changes.
    let profile = global.profile.clone().or_else(|| {
        rsspot::config::load(&ctx.load_options())
            .ok()
            .map(|r| r.settings.profile.clone())
    });
    if let Some(profile) = profile {
        argv.push("--profile".into());
        argv.push(profile);
    }
    if let Some(org) = &global.org {
        argv.push("--org".into());
        argv.push(org.clone());
    }
    let snippet = serde_json::json!({
        "mcpServers": {
            "rsspot": { "command": command, "args": argv }
        }
    });
    ctx.out.text(&serde_json::to_string_pretty(&snippet)?)
}

impl crate::shape::Shaped for McpArgs {
    /// A server on stdio (or the client snippet as text).
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT
    }
}
