//! `events watch`: what changed in the fleet, as CloudEvents JSON lines (issue 28).
//!
//! A [`Poller`] takes one snapshot per interval (one list per kind); the first one is a baseline
//! unless `state.db` holds the last snapshot this profile and org saw, in which case the first
//! poll is compared with that one: a restart neither replays nor misses a change. The snapshot
//! is saved after the poll's events went to stdout and `--exec` and were saved in the webhook's
//! outbox ([`outbox`]: at most once, never silently lost, across a crash).

mod cloudevent;
mod outbox;
mod sinks;

use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use outbox::{Outbox, Saved};
use rsspot::SpotClient;
use rsspot::observe::{Poller, diff};
use rsspot::services::Backoff;
use url::Url;

use crate::ctx::Ctx;

pub use cloudevent::CloudEvent;

/// `events ...`
#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// Stream what changes (pre-emptions, bid status, outbid risk, phases, VM servers, the
    /// org's events feed) as CloudEvents JSON lines, until Ctrl-C.
    Watch(WatchArgs),
}

/// The body a webhook gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WebhookFormat {
    /// The CloudEvent itself (JSON, `application/cloudevents+json`).
    Cloudevents,
    /// A Slack-compatible `{"text": ...}` message.
    Slack,
}

/// `events watch` flags.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Time between polls (one list per kind each); it grows while the API fails.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = crate::progress::parse_duration)]
    pub interval: Duration,
    /// Run this shell command once per event, the event (JSON) on its standard input.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// POST every event to this URL, in order, retried with backoff until it is accepted.
    /// The queue is kept in state.db: after a crash or kill, a restart posts what was left, in
    /// order. At most once: an event that was being posted when the watch died is not posted
    /// again (the receiver may have it); a warning names its id. (stdout and --exec can see the
    /// last poll's events again after a kill.)
    #[arg(long, value_name = "URL")]
    pub webhook: Option<Url>,
    /// The webhook's body.
    #[arg(long, value_enum, default_value_t = WebhookFormat::Cloudevents)]
    pub format: WebhookFormat,
    /// Events the webhook queue holds before polling waits for it.
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub queue: u32,
    /// Do not print events on stdout (only the --exec/--webhook sinks get them).
    #[arg(long)]
    pub no_stdout: bool,
    /// Forget the saved state first: the first poll is a baseline again.
    #[arg(long)]
    pub reset: bool,
}

/// A client for polling: no HTTP cache (a cached server class list would hide price moves).
pub async fn observer_client(ctx: &Ctx) -> Result<SpotClient> {
    let resolved = ctx.resolved().await?;
    let (state, _) = ctx.state().await?;
    let mut b = SpotClient::builder()
        .settings(&resolved.settings)
        .state(state.clone())
        .cache(false);
    if let Some(t) = ctx.global.request_timeout {
        b = b.timeout(t);
    }
    if let Some(t) = ctx.global.connect_timeout {
        b = b.connect_timeout(t);
    }
    Ok(b.build().await?)
}

/// Runs `events ...`.
pub async fn run(ctx: &Ctx, cmd: EventsCmd) -> Result<()> {
    match cmd {
        EventsCmd::Watch(args) => crate::watch::until_ctrl_c(watch(ctx, args)).await,
    }
}

async fn watch(ctx: &Ctx, args: WatchArgs) -> Result<()> {
    let client = observer_client(ctx).await?;
    let org_name = client.org_or_default(ctx.org()).name().await?;
    let settings = &ctx.resolved().await?.settings;
    let key = format!(
        "events:{}:{}:{org_name}",
        settings.profile, settings.base_url
    );
    let (state, _) = ctx.state().await?;
    let (mut prev, mut seq) = match state.watch_state_get(&key).await? {
        Some(json) => serde_json::from_str::<Saved>(&json)
            .map(Saved::into_parts)
            .unwrap_or_else(|e| {
                ctx.out.warn(&format!(
                    "the saved events state is unreadable ({e}); starting from a baseline"
                ));
                (None, 0)
            }),
        None => (None, 0),
    };
    if args.reset {
        // Forget the snapshot, not the numbering of events still queued for the webhook.
        prev = None;
        let json = serde_json::to_string(&Saved::Numbered {
            seq,
            snapshot: None,
        })?;
        state.watch_state_set(&key, &json).await?;
    }
    let outbox = Outbox::new(state.clone(), &key);
    let recovered = outbox.recover(seq).await?;
    seq = seq.max(recovered.sent_through);
    if let Some(q) = &recovered.in_flight {
        ctx.out.warn(&format!(
            "webhook: event {} ({}) was being posted when the last run stopped; the receiver may \
             or may not have it, and it is not posted again",
            q.id, q.what
        ));
    }
    let mut pending = recovered.resend.clone();
    if args.webhook.is_none() && !pending.is_empty() {
        ctx.out.warn(&format!(
            "{} webhook events queued by the last run stay queued: run with --webhook to \
             deliver them",
            pending.len()
        ));
    }
    let resend = if args.webhook.is_some() {
        recovered.resend
    } else {
        Vec::new()
    };
    let mut sinks = sinks::Sinks::new(&args, !args.no_stdout, &outbox, resend)?;
    let source = format!("/organizations/{org_name}");
    let mut poller = Poller::new(client, Some(org_name.clone()));
    let cap = (args.interval * 16).max(Duration::from_secs(300));
    let mut backoff = Backoff::new(args.interval, cap);
    let mut batch = Vec::new();
    loop {
        let wait = match poller.poll().await {
            Ok(report) => {
                let next = report.snapshot;
                match &prev {
                    None => ctx.out.note(&format!(
                        "events watch: baseline of {} pools, {} cloudspaces, {} autopilot pools; \
                         watching {org_name} every {:?}",
                        next.pools.len(),
                        next.cloudspaces.len(),
                        next.autopilot.len(),
                        args.interval,
                    )),
                    Some(before) => {
                        let time = next.taken_at.unwrap_or_else(chrono::Utc::now);
                        for change in diff(before, &next) {
                            let event = CloudEvent::new(&source, time, &change)?;
                            if let Some(q) = sinks.emit(&event, &change, seq + 1).await? {
                                seq += 1;
                                batch.push(q);
                            }
                        }
                    }
                }
                // The outbox first, then the snapshot that numbers its events, then delivery.
                if sinks.has_webhook() && !batch.is_empty() {
                    pending.extend(batch.iter().cloned());
                    outbox.save(&mut pending).await?;
                }
                let saved = Saved::Numbered {
                    seq,
                    snapshot: Some(next),
                };
                let json = serde_json::to_string(&saved).context("encoding the snapshot")?;
                state.watch_state_set(&key, &json).await?;
                sinks.queue(std::mem::take(&mut batch)).await?;
                prev = saved.into_parts().0;
                backoff.next(true)
            }
            Err(e) => {
                let wait = backoff.next(false);
                ctx.out.warn(&format!(
                    "events watch: poll failed ({e}); next try in {wait:?}"
                ));
                wait
            }
        };
        tokio::time::sleep(wait).await;
    }
}

impl crate::shape::Shaped for EventsCmd {
    /// CloudEvents JSON lines, one per change (or sent to a sink).
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT
    }
}
