//! The clap command tree. Global flags are `global = true`, so they work anywhere on the line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::help_layout::WithExamples;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  API or runtime error
  2  usage or configuration error
  3  not found
  4  authentication failed (run `rsspot configure`)
  5  timed out waiting
  130 interrupted while waiting (the operation goes on server-side)

Environment variables: `rsspot help environment`. Manual pages: `rsspot man`.";

/// The clap tree as users see it: [`Cli`] (each command with its examples) and the compact
/// help of command groups ([`crate::help_layout`]).
pub fn command() -> clap::Command {
    crate::help_layout::compact_groups(<Cli as clap::CommandFactory>::command())
}

/// The heading global flags are listed under in every command's help, after its own flags.
pub const GLOBAL_HEADING: &str = "Global options";

/// rsspot: Rackspace Spot from the shell — cloudspaces, node pools, prices and more.
#[derive(Debug, Parser)]
#[command(
    name = "rsspot",
    version,
    about,
    after_help = EXIT_CODES,
    examples(&[
        ("Try everything against a built-in emulator", "rsspot demo"),
        ("Store a refresh token in a profile", "rsspot configure"),
        ("List cloudspaces as a table", "rsspot cloudspaces list"),
        ("Use another profile for one command", "rsspot -p work cs list"),
    ]),
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human table (the default; piped without -o: tab-separated rows, no header).
    Table,
    /// Table with more columns.
    Wide,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// One name per line, for scripting.
    Name,
    /// Comma-separated values (time series: `pricing history`).
    Csv,
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        f.write_str(&name)
    }
}

/// Flags accepted by every command, anywhere on the line.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = GLOBAL_HEADING)]
pub struct GlobalArgs {
    /// Profile to use (default: the active profile).
    #[arg(
        short = 'p',
        long,
        global = true,
        env = "RSSPOT_PROFILE",
        hide_env = true,
        value_name = "NAME"
    )]
    pub profile: Option<String>,
    /// Config file to read instead of the default location.
    #[arg(short = 'c', long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format (default: a table; piped, tab-separated rows without a header).
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,
    /// Organization (name, org_… id or org-… namespace).
    #[arg(long, global = true, value_name = "ORG", value_parser = crate::names::org)]
    pub org: Option<String>,
    /// Region (e.g. us-central-dfw-1; `rsspot regions list` shows them).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Bypass the HTTP cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// More logging on stderr (-v, -vv, -vvv).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// No colors (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Answer yes to confirmations.
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    /// Give up on one API call after this long, retries included (e.g. 10s, 2m; default 30s or
    /// the profile's `request_timeout_seconds`).
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::args::parse_duration)]
    pub request_timeout: Option<std::time::Duration>,
    /// Give up on making one connection after this long (default 10s).
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::args::parse_duration)]
    pub connect_timeout: Option<std::time::Duration>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store credentials and defaults in a profile.
    Configure(commands::config::ConfigureArgs),
    /// Manage profiles.
    #[command(subcommand)]
    Profiles(commands::config::ProfilesCmd),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(commands::config::ConfigCmd),
    /// Credentials: `auth status`, and `auth kube-token` for kubectl.
    #[command(subcommand)]
    Auth(commands::auth::AuthCmd),
    /// Organizations you belong to.
    #[command(subcommand, visible_alias = "orgs")]
    Organizations(commands::resources::OrganizationsCmd),
    /// Regions.
    #[command(subcommand)]
    Regions(commands::resources::RegionsCmd),
    /// Server classes (sizes, prices, availability).
    #[command(subcommand, visible_aliases = ["sc", "serverclasses", "serverclass"])]
    ServerClasses(commands::resources::ServerClassesCmd),
    /// Cloudspaces (Kubernetes clusters).
    #[command(subcommand, visible_aliases = ["cs", "cloudspace"])]
    Cloudspaces(commands::cloudspaces::CloudspacesCmd),
    /// Spot and on-demand node pools.
    #[command(subcommand, visible_aliases = ["np", "nodepool"])]
    Nodepools(commands::nodepools::NodepoolsCmd),
    /// Prices, bid advice and the cluster cost planner.
    #[command(subcommand)]
    Pricing(commands::pricing::PricingCmd),
    /// SSH keys for VMs (spotctl: vmsshkeys).
    #[command(subcommand, visible_aliases = ["vmsshkeys", "vmsshkey", "vmsk"])]
    VmSshKeys(commands::vm_ssh_keys::VmSshKeysCmd),
    /// VM cloudspaces: plain VMs sharing a region and an SSH key (spotctl: vmcloudspaces).
    #[command(subcommand, visible_aliases = ["vmcloudspaces", "vmcloudspace", "vmcs"])]
    VmCloudspaces(commands::vm_cloudspaces::VmCloudspacesCmd),
    /// VM pools: bids or reservations for VMs (spotctl: vmpools).
    #[command(subcommand, visible_aliases = ["vmpools", "vmpool", "vmp"])]
    VmPools(commands::vm_pools::VmPoolsCmd),
    /// VM inventory and organization events.
    #[command(subcommand)]
    Inventory(commands::inventory::InventoryCmd),
    /// A stream of what changes in the fleet (pre-emptions, outbid risk, phases), as CloudEvents.
    #[command(subcommand)]
    Events(commands::events::EventsCmd),
    /// Prometheus metrics of the fleet: prices, pools, cloudspaces, autopilot, spend.
    #[command(subcommand)]
    Metrics(commands::metrics::MetricsCmd),
    /// The VM registration ledger for external orchestrators.
    Registrations(commands::registrations::RegistrationsArgs),
    /// Recent rsspot invocations (redacted).
    History(commands::state::HistoryArgs),
    /// The local state database.
    #[command(subcommand)]
    State(commands::state::StateCmd),
    /// The HTTP response cache.
    #[command(subcommand)]
    Cache(commands::state::CacheCmd),
    /// Run the Spot API emulator locally.
    #[command(subcommand)]
    Emulator(commands::emulator::EmulatorCmd),
    /// What applying a fleet file would change (exit 0 in sync, 2 drift, 1 error).
    Diff(commands::fleet::DiffArgs),
    /// Make the account as a fleet file (or a reviewed plan) says.
    Apply(commands::fleet::ApplyArgs),
    /// Write the organization (or one cloudspace) as a fleet file.
    Export(commands::fleet::ExportArgs),
    /// Delete everything a fleet file describes (pools first).
    Delete(commands::fleet::DeleteArgs),
    /// Fleet files: `fleet schema`.
    #[command(subcommand)]
    Fleet(commands::fleet::FleetCmd),
    /// Authenticated request to any API path (like `gh api`).
    Api(commands::api::ApiArgs),
    /// Shell completions. Static script; for live names (cloudspaces, pools, profiles, regions,
    /// classes) use the hook instead: `source <(COMPLETE=bash rsspot)` (zsh, fish: the same).
    Completions(commands::completions::CompletionsArgs),
    /// Help for a command, or a topic: `rsspot help environment`.
    Help(commands::help::HelpArgs),
    /// Manual pages: print rsspot(1), or write one page per command with --dir.
    Man(commands::man::ManArgs),
    /// Version of rsspot and of the API spec it was built from.
    Version,
    /// A guided tour against a built-in emulator (no account needed).
    Demo(commands::demo::DemoArgs),
    /// MCP server on stdio for agents and editors (read-only unless --allow-writes).
    Mcp(commands::mcp::McpArgs),
}
