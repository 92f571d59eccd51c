//! One module per command family; `run` dispatches.

pub mod api;
pub mod auth;
pub mod cloudspaces;
pub mod complete;
pub mod completions;
pub mod config;
pub mod demo;
pub mod emulator;
pub mod events;
pub mod fleet;
pub mod help;
pub mod inventory;
pub mod kubeconfig_cmd;
pub mod man;
pub mod mcp;
pub mod metrics;
pub mod nodepools;
pub mod pricing;
pub mod registrations;
pub mod resources;
pub mod state;
pub mod version;
pub mod vm_cloudspaces;
pub mod vm_fields;
pub mod vm_pools;
pub mod vm_ssh_keys;
pub mod vm_view;

use anyhow::Result;

use crate::filters;

use crate::cli::Command;
use crate::ctx::Ctx;

/// Runs a command; a "not found" for the organization gets the names the token can see.
pub async fn run(ctx: &Ctx, command: Command) -> Result<()> {
    match dispatch(ctx, command).await {
        Err(e) => Err(filters::with_known_orgs(ctx, e).await),
        ok => ok,
    }
}

async fn dispatch(ctx: &Ctx, command: Command) -> Result<()> {
    match command {
        Command::Configure(a) => config::configure(ctx, a).await,
        Command::Profiles(c) => config::profiles(ctx, c).await,
        Command::Config(c) => config::config(ctx, c).await,
        Command::Auth(c) => auth::run(ctx, c).await,
        Command::Organizations(c) => resources::organizations(ctx, c).await,
        Command::Regions(c) => resources::regions(ctx, c).await,
        Command::ServerClasses(c) => resources::server_classes(ctx, c).await,
        Command::Cloudspaces(c) => cloudspaces::run(ctx, c).await,
        Command::Nodepools(c) => nodepools::run(ctx, c).await,
        Command::Pricing(c) => pricing::run(ctx, c).await,
        Command::Inventory(c) => inventory::run(ctx, c).await,
        Command::Events(c) => events::run(ctx, c).await,
        Command::Metrics(c) => metrics::run(ctx, c).await,
        Command::VmSshKeys(c) => vm_ssh_keys::run(ctx, c).await,
        Command::VmCloudspaces(c) => vm_cloudspaces::run(ctx, c).await,
        Command::VmPools(c) => vm_pools::run(ctx, c).await,
        Command::Registrations(c) => registrations::run(ctx, c).await,
        Command::History(a) => state::history(ctx, a).await,
        Command::State(c) => state::state(ctx, c).await,
        Command::Cache(c) => state::cache(ctx, c).await,
        Command::Emulator(c) => emulator::emulator(ctx, c).await,
        Command::Diff(a) => fleet::diff(ctx, a).await,
        Command::Apply(a) => fleet::apply(ctx, a).await,
        Command::Export(a) => fleet::export(ctx, a).await,
        Command::Delete(a) => fleet::delete(ctx, a).await,
        Command::Fleet(c) => fleet::run(ctx, c).await,
        Command::Api(a) => api::api(ctx, a).await,
        Command::Completions(a) => completions::completions(ctx, a),
        Command::Help(a) => help::help(ctx, a),
        Command::Man(a) => man::man(ctx, a),
        Command::Version => version::version(ctx),
        Command::Demo(a) => demo::demo(ctx, a).await,
        Command::Mcp(a) => mcp::mcp(ctx, a).await,
    }
}
