//! The `rsspot` binary: parse once, run one command, map errors to documented exit codes.

mod args;
mod cli;
mod commands;
mod ctx;
mod errors;
mod filters;
mod fit;
mod help_layout;
mod kinds;
mod kubeconfig;
mod line;
mod listing;
mod names;
mod output;
mod prefix;
mod progress;
mod shape;
mod view;
mod watch;

use std::process::ExitCode;
use std::time::Instant;

use clap::FromArgMatches;

use crate::shape::Shaped;

fn main() -> ExitCode {
    // `COMPLETE=<shell> rsspot ...` is the shell asking for completions: answer and exit.
    commands::complete::hook();
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let argv: Vec<String> = std::env::args().collect();
    let matches = match cli::command().try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => return usage_exit(&e),
    };
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return usage_exit(&e),
    };
    // The command path by canonical names (aliases resolved), for the `-o` check.
    let mut path = Vec::new();
    let mut level = &matches;
    while let Some((name, sub)) = level.subcommand() {
        path.push(name);
        level = sub;
    }
    let stderr_color = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && !cli.global.no_color
        && std::env::var_os("NO_COLOR").is_none();
    output::init_tracing(cli.global.verbose, cli.global.quiet, stderr_color);
    // kubectl runs `auth kube-token` before every call: one thread, no worker hand-offs, for a
    // command that reads one row and prints it.
    let kube_token = matches!(
        cli.command,
        cli::Command::Auth(commands::auth::AuthCmd::KubeToken)
    );
    // The observers (`events watch`, `metrics serve`) run for days and poll once per interval:
    // one thread, and one malloc arena, keep their memory small (issue 28: ≤ 30 MiB with 1,000
    // pools; each extra arena holds a few MiB of a refresh's freed lists).
    let observer = matches!(
        cli.command,
        cli::Command::Events(_) | cli::Command::Metrics(_)
    );
    if observer {
        single_malloc_arena();
    }
    let mut builder = if kube_token || observer {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // Each command declares its formats and whether it is recorded (see `shape`).
    let shape = cli.command.shape();
    let ctx = ctx::Ctx::for_command(cli.global.clone(), shape);
    let record = shape.history;
    let result = match shape.check(&path, cli.global.output) {
        Ok(()) => runtime.block_on(commands::run(&ctx, cli.command)),
        Err(refused) => Err(anyhow::Error::new(refused)),
    };
    let code = output::exit_code(&result);
    if let Err(e) = &result {
        output::report_error(e, ctx.global.quiet || kube_token);
    }
    if record {
        runtime.block_on(ctx.record_history(&argv, started_at, started.elapsed(), code));
    }
    // Leave without tearing down the runtime and the state pool: closing sqlite's last
    // connection checkpoints the WAL into the database file (two fsyncs, 1-2 ms) on every run.
    // Everything is committed and flushed by now; the WAL is valid as it stands and sqlite
    // checkpoints it by itself as it grows (`wal_autocheckpoint`).
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(i32::from(code))
}

/// clap's help/version go to stdout (exit 0); anything else is one error line plus clap's tip as
/// the hint (exit 2), like every other error.
fn usage_exit(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(2);
    }
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().skip_while(|l| l.trim().is_empty());
    let mut first = lines
        .next()
        .unwrap_or("error: invalid usage")
        .trim_end()
        .to_string();
    if first.ends_with(':') {
        // "the following required arguments were not provided:" lists them below.
        let items: Vec<&str> = lines
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        first = format!("{first} {}", items.join(", "));
    }
    eprintln!("{first}");
    let tip = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .map(str::to_string)
        .unwrap_or_else(|| "see `rsspot --help` (or `rsspot <command> --help`)".into());
    eprintln!("hint: {tip}");
    ExitCode::from(2)
}

/// Makes glibc's malloc use one arena (what `MALLOC_ARENA_MAX=1` does): a process with a few
/// threads that frees large lists every interval otherwise keeps several arenas' worth of
/// freed memory resident.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn single_malloc_arena() {
    // SAFETY: `mallopt` only sets an allocator parameter; it is called before any other thread
    // exists, and an unknown or refused setting is reported by its return value, which is
    // ignored (the default is then kept).
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn single_malloc_arena() {}
