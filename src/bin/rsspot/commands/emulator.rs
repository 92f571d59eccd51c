//! `emulator serve`: the Spot API emulator as a local server, with its variants.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};

pub use crate::args::parse_duration;
use crate::ctx::Ctx;

/// `emulator` subcommands.
#[derive(Debug, Subcommand)]
pub enum EmulatorCmd {
    /// Serve the Spot API emulator on 127.0.0.1 until Ctrl-C (or SIGTERM).
    ///
    /// The first stdout line is the base URL alone; the next lines are `export` lines to paste
    /// into another shell so that rsspot talks to the emulator. The built-in seed has the org
    /// `demo` with refresh token `demo-token`.
    ///
    /// Where the real service's behaviour is unknown, `--variant NAME=VALUE` picks one of the
    /// plausible answers (defaults first): cascade-delete=no|yes, delete-returns=status|object,
    /// label-selector=honoured|ignored, paging=honoured|ignored, dry-run=supported|rejected,
    /// bad-refresh-token=403|401, token-rotation=off|on, webhook-denial=403|400,
    /// bid-rules=ladder|decimals, phases=extended|basic, kubeconfig-unknown=404|400.
    Serve(ServeArgs),
}

/// `emulator serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed file (JSON or YAML: orgs, regions, server classes, price history).
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// How long a new cloudspace stays Provisioning (default 5s; `0`, `500ms`, `90s`, `2m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub ready_after: Option<Duration>,
    /// How long a new node pool waits before it is fulfilled (default 3s).
    #[arg(long, alias = "fulfill-after", value_name = "DURATION", value_parser = parse_duration)]
    pub fulfil_after: Option<Duration>,
    /// Answer lists at most N items at a time, the rest through `metadata.continue` (to test
    /// that a client follows paged lists).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: Option<u32>,
    /// Answer an open question about the service one way (repeatable), e.g.
    /// `--variant cascade-delete=yes --variant token-rotation=on`.
    #[arg(long = "variant", value_name = "NAME=VALUE", value_parser = parse_variant)]
    pub variants: Vec<Setting>,
}

#[cfg(feature = "emulator")]
type Setting = rsspot::emulator::VariantSetting;
#[cfg(not(feature = "emulator"))]
type Setting = String;

/// `NAME=VALUE`; a bad name or value is a usage error listing the valid ones.
fn parse_variant(s: &str) -> std::result::Result<Setting, String> {
    #[cfg(feature = "emulator")]
    return s.parse();
    #[cfg(not(feature = "emulator"))]
    return Ok(s.to_string());
}

/// Runs an `emulator` subcommand.
pub async fn emulator(ctx: &Ctx, cmd: EmulatorCmd) -> Result<()> {
    match cmd {
        EmulatorCmd::Serve(a) => serve(ctx, a).await,
    }
}

#[cfg(feature = "emulator")]
async fn serve(ctx: &Ctx, a: ServeArgs) -> Result<()> {
    use rsspot::emulator::{EmulatorOptions, Seed};
    let mut opts = EmulatorOptions::for_serve();
    opts.port = a.port;
    if let Some(path) = &a.seed {
        opts.seed = Seed::from_file(path).map_err(rsspot::Error::from)?;
    }
    if let Some(d) = a.ready_after {
        opts.lifecycle.cloudspace_ready_after = d;
    }
    if let Some(d) = a.fulfil_after {
        opts.lifecycle.pool_fulfilled_after = d;
    }
    opts.page_size = a.page_size.map(|n| n as usize);
    for setting in a.variants {
        opts.variants.set(setting);
    }
    // `serve` prints the URL and the export lines itself and returns on Ctrl-C; SIGTERM (what
    // `kill`, systemd and docker send) must stop it cleanly too.
    tokio::select! {
        r = rsspot::emulator::serve(opts) => r.map_err(rsspot::Error::from)?,
        () = terminated() => {}
    }
    ctx.out.note("emulator stopped");
    Ok(())
}

#[cfg(not(feature = "emulator"))]
async fn serve(_ctx: &Ctx, _a: ServeArgs) -> Result<()> {
    anyhow::bail!(rsspot::Error::config(
        "this rsspot was built without the `emulator` feature"
    ))
}

/// Resolves on SIGTERM; never on platforms without it.
#[cfg(feature = "emulator")]
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut s) = signal(SignalKind::terminate()) {
            s.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await;
}

#[cfg(all(test, feature = "emulator"))]
mod tests {
    use super::*;

    #[test]
    fn variants_parse_or_name_the_valid_ones() {
        assert_eq!(
            parse_variant("cascade-delete=yes").map(|s| s.to_string()),
            Ok("cascade-delete=yes".to_string())
        );
        let e = parse_variant("cascade-delete=maybe").unwrap_err();
        assert!(e.contains("valid values: no, yes"), "{e}");
        let e = parse_variant("colour=red").unwrap_err();
        assert!(e.contains("cascade-delete"), "{e}");
    }
}

impl crate::shape::Shaped for EmulatorCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            // A server: its log lines are text.
            EmulatorCmd::Serve(_) => crate::shape::Shape::TEXT,
        }
    }
}
