//! The `rsspot` binary: parse once, run one command, map errors to documented exit codes.

mod cli;
mod commands;
mod ctx;
mod errors;
mod output;
mod progress;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

fn main() -> ExitCode {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let argv: Vec<String> = std::env::args().collect();
    let cli = match cli::Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return ExitCode::from(2);
            }
            // One line, like every other error, plus clap's tip as the hint.
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
            return ExitCode::from(2);
        }
    };
    let stderr_color = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && !cli.global.no_color
        && std::env::var_os("NO_COLOR").is_none();
    output::init_tracing(cli.global.verbose, cli.global.quiet, stderr_color);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let ctx = ctx::Ctx::new(cli.global.clone());
    // The demo and pure-local helpers leave no trace in the user's state.
    let record = !matches!(
        cli.command,
        cli::Command::Demo(_)
            | cli::Command::Completions(_)
            | cli::Command::Version
            | cli::Command::Help(_)
            | cli::Command::Man(_)
    );
    let result = runtime.block_on(commands::run(&ctx, cli.command));
    let code = output::exit_code(&result);
    if let Err(e) = &result {
        output::report_error(e, ctx.global.quiet);
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
