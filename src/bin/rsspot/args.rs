//! The arguments many commands share (a prelude): an object's name, `--wait`/`--timeout`, and
//! the one parser of durations they take.
//! Commands import them from here, not from one another.

use std::time::Duration;

use anyhow::Result;
use clap::Args;

/// The longest duration any flag takes: as long as the config file's bound on
/// `*_timeout_seconds` (about 31 years), so a deadline computed from it never overflows.
pub const MAX_DURATION: Duration = Duration::from_secs(1_000_000_000);

/// Parses `90s`, `20m`, `1h`, `1h30m`, `500ms` or a plain number of seconds, up to
/// [`MAX_DURATION`]: the one parser of every duration flag (`--request-timeout`, `--timeout`, …).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration: use e.g. 90s, 20m, 1h or a number of seconds".into());
    }
    let too_long = || {
        format!(
            "{s:?} is too long: a duration is at most {}s (about 31 years)",
            MAX_DURATION.as_secs()
        )
    };
    let checked = |d: Option<Duration>| d.filter(|d| *d <= MAX_DURATION).ok_or_else(too_long);
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return checked(s.parse::<u64>().ok().map(Duration::from_secs));
    }
    let bad = || format!("{s:?} is not a duration: use e.g. 90s, 20m, 1h or a number of seconds");
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        // All digits: a number past u64 is too long, not malformed.
        let n: u64 = rest[..digits].parse().map_err(|_| too_long())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Some(Duration::from_millis(n)),
            "s" | "sec" | "secs" => Some(Duration::from_secs(n)),
            "m" | "min" | "mins" => n.checked_mul(60).map(Duration::from_secs),
            "h" | "hr" | "hrs" => n.checked_mul(3600).map(Duration::from_secs),
            _ => return Err(bad()),
        };
        total = checked(unit.and_then(|u| total.checked_add(u)))?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// A resource name, positional or `--name`.
#[derive(Debug, Clone, Args)]
pub struct NameArgs {
    /// Name.
    #[arg(value_parser = crate::names::object)]
    pub name: Option<String>,
    /// Same as the positional NAME.
    #[arg(long = "name", conflicts_with = "name", value_name = "NAME", value_parser = crate::names::object)]
    pub name_flag: Option<String>,
}

impl NameArgs {
    /// The name given either way (usage error when neither).
    pub fn get(self, what: &str) -> Result<String> {
        name_arg(self.name, self.name_flag, what)
    }
}

/// `--wait` / `--timeout` for create and update.
#[derive(Debug, Clone, Args)]
pub struct WaitFlags {
    /// Wait until the operation completes, showing progress on stderr (Ctrl-C stops waiting
    /// only; the operation goes on).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits: 90s, 20m, 1h or seconds (default 20m for cloudspaces, 30m for pools).
    #[arg(long, requires = "wait", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// Picks the positional name or `--name`, with a usage error when neither is given.
pub fn name_arg(positional: Option<String>, flag: Option<String>, what: &str) -> Result<String> {
    positional.or(flag).ok_or_else(|| {
        anyhow::Error::new(rsspot::Error::invalid(
            "NAME",
            format!("give the {what} name (positional or --name)"),
        ))
    })
}
