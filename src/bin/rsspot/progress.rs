//! Waiting from the CLI: progress on stderr (an indicatif spinner on a
//! terminal, plain `phase: ...` lines otherwise) and Ctrl-C, which stops waiting without
//! touching the server-side operation.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rsspot::services::{WaitEvent, WaitOptions};

/// Kept for the commands that name the parser here (it lives in [`crate::args`]).
pub use crate::args::parse_duration;
use crate::errors::Interrupted;

/// `12s`, `2m05s`, `1h02m`.
pub fn format_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// One plain progress line: `phase: Provisioning (12s)` or `phase: Pending, 0/2 nodes (3s)`.
pub fn plain_line(e: &WaitEvent) -> String {
    let elapsed = format_elapsed(e.elapsed);
    if e.detail.is_empty() {
        format!("phase: {} ({elapsed})", e.phase)
    } else {
        format!("phase: {}, {} ({elapsed})", e.phase, e.detail)
    }
}

/// Shows waiter progress on stderr for one wait.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    last: Arc<Mutex<Option<WaitEvent>>>,
}

impl Progress {
    /// A spinner when stderr is a terminal (and not `--quiet`), plain lines otherwise.
    pub fn new(what: &str, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.set_message(format!("waiting for {what}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            quiet,
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// Wait options with `timeout` whose callback feeds this display.
    pub fn options(&self, timeout: Duration) -> WaitOptions {
        let bar = self.bar.clone();
        let quiet = self.quiet;
        let last = Arc::clone(&self.last);
        WaitOptions::with_timeout(timeout).on_progress(move |e: &WaitEvent| {
            if let Ok(mut l) = last.lock() {
                *l = Some(e.clone());
            }
            match &bar {
                Some(bar) => {
                    let detail = if e.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.detail)
                    };
                    bar.set_message(format!("{}: {}{detail}", e.what, e.phase));
                }
                None if !quiet => eprintln!("{}", plain_line(e)),
                None => {}
            }
        })
    }

    /// Clears the spinner (the plain lines stay).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// The last event seen, if any.
    pub fn last(&self) -> Option<WaitEvent> {
        self.last.lock().ok().and_then(|l| l.clone())
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// [`wait_with_progress`] on the profile's client: `wait` gets the client, the `--org` value
/// and the options, so each command only names the waiter it calls.
pub async fn wait_on<'c, T, F, Fut>(
    ctx: &'c crate::ctx::Ctx,
    what: &str,
    resume: &str,
    timeout: Duration,
    wait: F,
) -> anyhow::Result<T>
where
    F: FnOnce(rsspot::Org<'c>, WaitOptions) -> Fut,
    Fut: Future<Output = rsspot::Result<T>>,
{
    wait_on_showing(ctx, what, resume, timeout, |_| None, wait).await
}

/// [`wait_on`] whose closing `… is PHASE` line names the phase `shown` reads from the result
/// (the one its table row shows), not the waiter's name for "done".
pub async fn wait_on_showing<'c, T, S, F, Fut>(
    ctx: &'c crate::ctx::Ctx,
    what: &str,
    resume: &str,
    timeout: Duration,
    shown: S,
    wait: F,
) -> anyhow::Result<T>
where
    S: Fn(&T) -> Option<String>,
    F: FnOnce(rsspot::Org<'c>, WaitOptions) -> Fut,
    Fut: Future<Output = rsspot::Result<T>>,
{
    let client = ctx.client().await?;
    let org = client.org_or_default(ctx.org());
    // The resume command carries the line's `-p`/`--org`, so it waits on the same object.
    let resume = match resume.strip_prefix("rsspot ") {
        Some(rest) => ctx.rsspot(rest),
        None => resume.to_string(),
    };
    let result = wait_with_progress(what, &resume, timeout, ctx.global.quiet, |opts| {
        wait(org, opts)
    })
    .await;
    if let Ok((value, Some(last))) = &result
        && !ctx.global.quiet
    {
        let phase = shown(value)
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| last.phase.clone());
        eprintln!("{what} is {phase} ({})", format_elapsed(last.elapsed));
    }
    result.map(|(value, _)| value)
}

/// Runs a waiter with progress, stopping (not cancelling anything server-side) on Ctrl-C.
///
/// `wait` gets the options to pass to the SDK waiter; `resume` is the command that waits again.
/// Returns the waiter's result and the last progress event seen (for the closing line).
pub async fn wait_with_progress<T, F, Fut>(
    what: &str,
    resume: &str,
    timeout: Duration,
    quiet: bool,
    wait: F,
) -> anyhow::Result<(T, Option<WaitEvent>)>
where
    F: FnOnce(WaitOptions) -> Fut,
    Fut: Future<Output = rsspot::Result<T>>,
{
    let progress = Progress::new(what, quiet);
    let fut = wait(progress.options(timeout));
    // Biased, Ctrl-C first: its handler is installed (on first poll) before the waiter
    // prints a line, so a Ctrl-C right after the first progress line is never the default kill.
    let result = tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => Err(anyhow::Error::new(Interrupted {
            what: what.to_string(),
            resume: resume.to_string(),
        })),
        r = fut => r.map_err(anyhow::Error::new),
    };
    progress.finish();
    result.map(|value| (value, progress.last()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::MAX_DURATION;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 2m10s "), Ok(Duration::from_secs(130)));
        for bad in ["", "m", "10x", "1.5h", "-3", "h1", "10 m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        // Overflow is an error, never a panic later (`Instant + d`).
        for huge in [
            "18446744073709551615s",
            "18446744073709551616",
            "18446744073709551615",
            "99999999999999999999h",
            "5124095576030431h",
            "1000000001",
            "16666667m",
        ] {
            let err = parse_duration(huge).unwrap_err();
            assert!(err.contains("too long"), "{huge}: {err}");
        }
        assert_eq!(parse_duration("1000000000"), Ok(MAX_DURATION));
    }

    #[test]
    fn elapsed_and_lines() {
        assert_eq!(format_elapsed(Duration::from_secs(12)), "12s");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2m05s");
        assert_eq!(format_elapsed(Duration::from_secs(3720)), "1h02m");
        let e = WaitEvent {
            what: "cloudspace \"a\"".into(),
            phase: "Provisioning".into(),
            detail: String::new(),
            elapsed: Duration::from_secs(12),
        };
        assert_eq!(plain_line(&e), "phase: Provisioning (12s)");
        let e = WaitEvent {
            detail: "0/2 nodes".into(),
            phase: "Pending".into(),
            ..e
        };
        assert_eq!(plain_line(&e), "phase: Pending, 0/2 nodes (12s)");
    }

    #[test]
    fn interrupted_message_says_nothing_was_cancelled() {
        let msg = Interrupted {
            what: "cloudspace \"a\"".into(),
            resume: "rsspot cloudspaces wait a".into(),
        }
        .to_string();
        assert!(msg.contains("not cancelled"), "{msg}");
        assert!(msg.contains("rsspot cloudspaces wait a"), "{msg}");
    }

    #[tokio::test]
    async fn wait_passes_timeout_and_reports_progress() {
        let r = wait_with_progress("thing", "resume", Duration::from_secs(7), true, |opts| {
            let timeout = opts.timeout;
            let cb = opts.progress.clone();
            async move {
                if let Some(cb) = cb {
                    cb(&WaitEvent {
                        what: "thing".into(),
                        phase: "Ready".into(),
                        detail: String::new(),
                        elapsed: Duration::ZERO,
                    });
                }
                Ok::<_, rsspot::Error>(timeout)
            }
        })
        .await;
        let (timeout, last) = r.expect("waited");
        assert_eq!(timeout, Duration::from_secs(7));
        assert_eq!(last.map(|e| e.phase), Some("Ready".to_string()));
    }
}
