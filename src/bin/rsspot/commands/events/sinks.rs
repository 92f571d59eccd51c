//! Where events go: stdout (one JSON line each), `--exec` (one run per event, the event on
//! stdin) and `--webhook` (POSTed in order from a bounded queue, retried with backoff).

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use rsspot::observe::Change;
use rsspot::services::Backoff;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::{CloudEvent, WatchArgs, WebhookFormat};

/// Longest wait between two tries of one webhook delivery.
const WEBHOOK_MAX_WAIT: Duration = Duration::from_secs(60);

/// The sinks of one `events watch`.
pub struct Sinks {
    stdout: bool,
    exec: Option<String>,
    webhook: Option<mpsc::Sender<Vec<u8>>>,
    format: WebhookFormat,
}

impl Sinks {
    /// The sinks `args` ask for; starts the webhook's delivery task.
    pub fn new(args: &WatchArgs, stdout: bool) -> Result<Sinks> {
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
                tokio::spawn(deliver(client, url.clone(), args.format, rx));
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

    /// Sends one event to every sink (waits while the webhook queue is full).
    pub async fn emit(&mut self, event: &CloudEvent, change: &Change) -> Result<()> {
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
        if let Some(tx) = &self.webhook {
            let body = match self.format {
                WebhookFormat::Cloudevents => json.into_bytes(),
                WebhookFormat::Slack => serde_json::to_vec(&serde_json::json!({
                    "text": format!("{} ({})", change.summary(), event.type_),
                }))?,
            };
            tx.send(body)
                .await
                .context("the webhook delivery task stopped")?;
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

/// Delivers queued bodies one at a time, in order; each is retried until accepted (2xx).
async fn deliver(
    client: reqwest::Client,
    url: url::Url,
    format: WebhookFormat,
    mut rx: mpsc::Receiver<Vec<u8>>,
) {
    let content_type = match format {
        WebhookFormat::Cloudevents => "application/cloudevents+json",
        WebhookFormat::Slack => "application/json",
    };
    while let Some(body) = rx.recv().await {
        let mut backoff = Backoff::new(Duration::from_millis(200), WEBHOOK_MAX_WAIT);
        loop {
            let sent = client
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.clone())
                .send()
                .await;
            let why = match sent {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => format!("answered {}", r.status()),
                Err(e) => format!("failed: {}", e.without_url()),
            };
            let wait = backoff.next(false);
            eprintln!("warning: webhook {why}; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }
}
