//! Where events go: stdout (one JSON line each), `--exec` (one run per event, the event on
//! stdin) and `--webhook` (POSTed in order from a bounded queue kept in `state.db`, retried with
//! backoff; see [`super::outbox`] for what survives a crash).

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use rsspot::observe::Change;
use rsspot::services::Backoff;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::outbox::{Outbox, Queued};
use super::{CloudEvent, WatchArgs, WebhookFormat};

/// Longest wait between two tries of one webhook delivery.
const WEBHOOK_MAX_WAIT: Duration = Duration::from_secs(60);

/// The sinks of one `events watch`.
pub struct Sinks {
    stdout: bool,
    exec: Option<String>,
    webhook: Option<mpsc::Sender<Queued>>,
    format: WebhookFormat,
}

impl Sinks {
    /// The sinks `args` ask for; starts the webhook's delivery task, which posts `resend` (left
    /// by the last run) first.
    pub fn new(
        args: &WatchArgs,
        stdout: bool,
        outbox: &Outbox,
        resend: Vec<Queued>,
    ) -> Result<Sinks> {
        let webhook = match &args.webhook {
            Some(url) => {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(rsspot::Error::invalid(
                        "--webhook",
                        "give an http:// or https:// URL",
                    )
                    .into());
                }
                let (tx, rx) = mpsc::channel(args.queue as usize);
                let client = rsspot::cli_support::outbound_client(Duration::from_secs(30))?;
                let outbox = outbox.clone();
                let url = url.clone();
                tokio::spawn(deliver(client, url, args.format, outbox, resend, rx));
                Some(tx)
            }
            None => None,
        };
        Ok(Sinks {
            stdout,
            exec: args.exec.clone(),
            webhook,
            format: args.format,
        })
    }

    /// Whether events go to a webhook.
    pub fn has_webhook(&self) -> bool {
        self.webhook.is_some()
    }

    /// Prints and runs `--exec` for one event; returns the webhook's body of it (numbered
    /// `seq`), to be saved in the outbox and then [`queue`](Sinks::queue)d.
    pub async fn emit(
        &mut self,
        event: &CloudEvent,
        change: &Change,
        seq: u64,
    ) -> Result<Option<Queued>> {
        let json = serde_json::to_string(event)?;
        if self.stdout {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}")?;
            out.flush()?;
        }
        if let Some(cmd) = &self.exec {
            run_exec(cmd, &json).await;
        }
        if self.webhook.is_none() {
            return Ok(None);
        }
        let body = match self.format {
            WebhookFormat::Cloudevents => json,
            WebhookFormat::Slack => serde_json::to_string(&serde_json::json!({
                "text": format!("{} ({})", change.summary(), event.type_),
            }))?,
        };
        Ok(Some(Queued {
            seq,
            id: event.id.clone(),
            what: format!("{} {}", event.type_, event.subject),
            body,
        }))
    }

    /// Hands saved events to the delivery task (waits while its queue is full).
    pub async fn queue(&mut self, events: Vec<Queued>) -> Result<()> {
        if let Some(tx) = &self.webhook {
            for q in events {
                tx.send(q)
                    .await
                    .context("the webhook delivery task stopped")?;
            }
        }
        Ok(())
    }
}

async fn run_exec(cmd: &str, json: &str) {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("--exec could not start: {e}");
            eprintln!("warning: --exec could not start: {e}");
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is not an error.
        let _ = stdin.write_all(format!("{json}\n").as_bytes()).await;
    }
    match child.wait().await {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("warning: --exec command exited with {status}"),
        Err(e) => eprintln!("warning: --exec command failed: {e}"),
    }
}

/// Delivers `resend`, then queued bodies, one at a time, in order; each is retried until
/// accepted (2xx), marked in flight in the outbox before each try and delivered after.
async fn deliver(
    client: reqwest::Client,
    url: url::Url,
    format: WebhookFormat,
    outbox: Outbox,
    resend: Vec<Queued>,
    mut rx: mpsc::Receiver<Queued>,
) {
    let content_type = match format {
        WebhookFormat::Cloudevents => "application/cloudevents+json",
        WebhookFormat::Slack => "application/json",
    };
    let mut resend = resend.into_iter();
    loop {
        let next = match resend.next() {
            Some(q) => Some(q),
            None => rx.recv().await,
        };
        let Some(q) = next else { break };
        let mut backoff = Backoff::new(Duration::from_millis(200), WEBHOOK_MAX_WAIT);
        loop {
            // Never post what a crash could make us post again unknowingly.
            if let Err(e) = outbox.posting(q.seq).await {
                let wait = backoff.next(false);
                eprintln!("warning: webhook: cannot save the queue ({e:#}); retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                continue;
            }
            let sent = client
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(q.body.clone())
                .send()
                .await;
            let why = match sent {
                Ok(r) if r.status().is_success() => {
                    if let Err(e) = outbox.delivered(q.seq).await {
                        eprintln!(
                            "warning: webhook: cannot save the delivery of {} ({e:#})",
                            q.id
                        );
                    }
                    break;
                }
                Ok(r) => format!("answered {}", r.status()),
                Err(e) => format!("failed: {}", e.without_url()),
            };
            let wait = backoff.next(false);
            eprintln!("warning: webhook {why}; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }
}
