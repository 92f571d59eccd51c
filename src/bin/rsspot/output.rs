//! All printing goes through here: table/wide/json/yaml/name rendering, stderr notes, errors and
//! exit codes. Writes to stdout are EPIPE-safe (`rsspot ... | head` exits quietly).

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::cli::OutputFormat;

/// Marker error: the user declined a confirmation (exit 2, message "cancelled").
#[derive(Debug)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// Marker error: Ctrl-C stopped a command, which undid what it had started (exit 130).
#[derive(Debug)]
pub struct Aborted(pub String);

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Aborted {}

/// A question that needed a yes, asked where nobody can answer (no terminal, no `--yes`).
#[derive(Debug)]
pub struct NotConfirmed(pub String);

impl std::fmt::Display for NotConfirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let question = self.0.trim_end_matches(['?', ' ']);
        write!(
            f,
            "not confirmed: {question}? (no terminal to ask; pass --yes to go ahead)"
        )
    }
}

impl std::error::Error for NotConfirmed {}

/// A usage error found after parsing (an unsupported `-o`, an unknown help topic): exit 2.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// An error with a hint the CLI found (e.g. "did you mean demo?"): displays as the error, keeps
/// it as its source (so exit codes stay its own), and `report_error` prints the hint.
#[derive(Debug)]
pub struct Hinted {
    error: anyhow::Error,
    hint: String,
}

impl Hinted {
    /// `error`, with `hint` printed after it.
    pub fn new(error: anyhow::Error, hint: String) -> Hinted {
        Hinted { error, hint }
    }
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for Hinted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref())
    }
}

/// Marker error: the user stopped a `--watch` or `--follow` with Ctrl-C (exit 130, no message).
#[derive(Debug)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped")
    }
}

impl std::error::Error for Stopped {}

/// Marker error: `rsspot diff` found the account differs from the file (exit 2, no message:
/// the plan printed says what differs).
#[derive(Debug)]
pub struct Drift;

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the account differs from the file")
    }
}

impl std::error::Error for Drift {}

/// Marker error: stdout was closed (a pipe reader went away); exit 0 silently.
#[derive(Debug)]
pub struct BrokenPipe;

impl std::fmt::Display for BrokenPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken pipe")
    }
}

impl std::error::Error for BrokenPipe {}

/// One row source for tables: a list of records that know their columns.
pub trait Tabular {
    /// Column headers (`wide` adds more).
    fn headers(wide: bool) -> Vec<&'static str>;
    /// Cells in header order.
    fn row(&self, wide: bool) -> Vec<String>;
    /// The name printed by `-o name`.
    fn name(&self) -> String;
    /// Headers of the columns the default table drops first when it is wider than the
    /// terminal (lowest value first); `-o wide` keeps them all.
    fn drop_order() -> &'static [&'static str] {
        &[]
    }
}

/// Renders values in the selected format.
pub struct Printer {
    pub format: OutputFormat,
    pub color: bool,
    pub quiet: bool,
    /// The width the default table is cut to (`None`: never cut; see [`crate::fit`]).
    pub width: Option<usize>,
    /// Piped with no `-o`: tables are tab-separated rows with no header, never cut, with ids in
    /// full and no colour (gh's behaviour, so `| grep`, `| cut -f1` and `| sort` just work).
    pub plain: bool,
}

impl Printer {
    pub fn new(format: OutputFormat, color: bool, quiet: bool) -> Printer {
        let width = match format {
            OutputFormat::Table => crate::fit::table_width(),
            _ => None,
        };
        Printer {
            format,
            color,
            quiet,
            width,
            plain: false,
        }
    }

    /// The printer for piped output without `-o`: tab-separated tables (see [`Printer::plain`]).
    pub fn piped(quiet: bool) -> Printer {
        Printer {
            format: OutputFormat::Table,
            color: false,
            quiet,
            width: None,
            plain: true,
        }
    }

    /// Whether the output is for humans (table/wide).
    pub fn is_table(&self) -> bool {
        matches!(self.format, OutputFormat::Table | OutputFormat::Wide)
    }

    /// Writes raw text to stdout.
    pub fn text(&self, text: &str) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        let r = out.write_all(text.as_bytes()).and_then(|_| {
            if text.ends_with('\n') || text.is_empty() {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        });
        r.and_then(|_| out.flush()).map_err(io_error)
    }

    /// `--dry-run`: says what `body` is (`shown`, e.g. "this is the request body") and that
    /// nothing was sent, then prints it as [`Output::data`] does.
    pub fn dry_run<T: Serialize + ?Sized>(&self, shown: &str, body: &T) -> anyhow::Result<()> {
        self.note(&format!("dry run: {shown}; nothing was sent"));
        self.data(body)
    }

    /// Serializes `value` as JSON or YAML (used for non-table formats).
    pub fn data<T: Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        match self.format {
            OutputFormat::Yaml => self.text(&serde_norway::to_string(value)?),
            _ => self.text(&serde_json::to_string_pretty(value)?),
        }
    }

    /// Prints a list: table/wide via [`Tabular`], `name` one per line, else JSON/YAML of `raw`.
    pub fn list<T: Tabular, R: Serialize + ?Sized>(
        &self,
        items: &[T],
        raw: &R,
    ) -> anyhow::Result<()> {
        match self.format {
            OutputFormat::Table | OutputFormat::Wide => {
                let wide = self.format == OutputFormat::Wide;
                if items.is_empty() {
                    self.note("No resources found.");
                    return Ok(());
                }
                self.table_fit(
                    &T::headers(wide),
                    items.iter().map(|i| i.row(wide)).collect(),
                    T::drop_order(),
                )
            }
            OutputFormat::Name => {
                let names: Vec<String> = items.iter().map(Tabular::name).collect();
                if names.is_empty() {
                    return Ok(());
                }
                self.text(&names.join("\n"))
            }
            _ => self.data(raw),
        }
    }

    /// Prints one object: a one-row table, its name, or JSON/YAML.
    pub fn one<T: Tabular, R: Serialize + ?Sized>(&self, item: &T, raw: &R) -> anyhow::Result<()> {
        self.list(std::slice::from_ref(item), raw)
    }

    /// Renders a table with the given headers and rows (cut to the width; see [`crate::fit`]).
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
        self.table_fit(headers, rows, &[])
    }

    /// Renders a table; when too wide for [`Printer::width`], the columns named in
    /// `drop_order` go first, then the widest cells are truncated.
    pub fn table_fit(
        &self,
        headers: &[&str],
        rows: Vec<Vec<String>>,
        drop_order: &[&str],
    ) -> anyhow::Result<()> {
        let text = self.render_table(headers, rows, drop_order);
        self.text(&text)
    }

    /// The text of a table as [`Printer::table_fit`] prints it.
    pub fn render_table(
        &self,
        headers: &[&str],
        rows: Vec<Vec<String>>,
        drop_order: &[&str],
    ) -> String {
        if self.plain {
            return rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|c| tsv_cell(c))
                        .collect::<Vec<_>>()
                        .join("\t")
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        // On the human table, UUIDs shrink to their shortest unique prefix (`-o wide`, data
        // formats and piped rows keep them whole).
        let rows = if self.format == OutputFormat::Table {
            shorten_ids(rows, headers.len())
        } else {
            rows
        };
        let (headers, rows) = match self.width {
            Some(limit) => crate::fit::fit(headers, rows, limit, drop_order),
            None => (headers.iter().map(|h| h.to_string()).collect(), rows),
        };
        let mut t = Table::new();
        t.load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(headers.iter().map(|h| {
                let cell = comfy_table::Cell::new(h);
                if self.color {
                    cell.add_attribute(comfy_table::Attribute::Bold)
                } else {
                    cell
                }
            }));
        if self.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        for r in rows {
            t.add_row(r);
        }
        // Two spaces between columns, none after the last: a padded last header would make
        // the header (its bold reset code after the padding) wider than the fitted rows.
        let last = headers.len().saturating_sub(1);
        for (i, col) in t.column_iter_mut().enumerate() {
            col.set_padding((0, if i == last { 0 } else { 2 }));
        }
        let text = t.trim_fmt();
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        lines.join("\n")
    }

    /// Key/value pairs for a detail view.
    pub fn fields(&self, pairs: &[(&str, String)]) -> anyhow::Result<()> {
        if self.plain {
            let text: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{k}\t{}", tsv_cell(v)))
                .collect();
            return self.text(&text.join("\n"));
        }
        let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let text: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k:<width$}  {v}"))
            .collect();
        self.text(&text.join("\n"))
    }

    /// A note on stderr (suppressed by --quiet).
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// A warning on stderr (suppressed by --quiet).
    pub fn warn(&self, msg: &str) {
        if !self.quiet {
            eprintln!("warning: {msg}");
        }
    }
}

/// `command` after `lead` and a space, broken before its flags into shell continuation lines
/// (`\\`, then six spaces) when wider than `width`, so it still pastes as one command.
pub fn wrap_shell(lead: &str, command: &str, width: usize) -> String {
    let mut lines = vec![lead.to_string()];
    for (i, word) in command.split(" --").enumerate() {
        let word = if i == 0 {
            word.to_string()
        } else {
            format!("--{word}")
        };
        let Some(line) = lines.last_mut() else {
            break;
        };
        // Room for " word" and a trailing " \\".
        if i == 0 || line.chars().count() + 1 + word.chars().count() + 2 <= width {
            line.push(' ');
            line.push_str(&word);
        } else {
            line.push_str(" \\");
            lines.push(format!("      {word}"));
        }
    }
    lines.join("\n")
}

/// `rows` with each column of UUIDs cut to the shortest unique prefixes ([`crate::prefix`]).
fn shorten_ids(mut rows: Vec<Vec<String>>, columns: usize) -> Vec<Vec<String>> {
    for col in 0..columns {
        let cells: Vec<&str> = rows
            .iter()
            .map(|r| r.get(col).map_or("", String::as_str))
            .collect();
        let Some(short) = crate::prefix::shorten_column(&cells) else {
            continue;
        };
        for (row, cell) in rows.iter_mut().zip(short) {
            if let Some(slot) = row.get_mut(col) {
                *slot = cell;
            }
        }
    }
    rows
}

/// A cell of a tab-separated row: tabs and line breaks inside it become spaces, so a row stays
/// one line of the same number of fields.
fn tsv_cell(cell: &str) -> String {
    cell.replace(['\t', '\n', '\r'], " ")
}

fn io_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(BrokenPipe)
    } else {
        anyhow::Error::new(e)
    }
}

/// Installs tracing on stderr: warnings by default, more with -v; RUST_LOG wins. From `-vvv`
/// on, each line starts with the time since start-up, to see where a slow run spends it.
pub fn init_tracing(verbose: u8, quiet: bool, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error,rustls_platform_verifier=off",
        // The TLS verifier logs each rejected certificate; the error line says it once.
        (false, 0) => "warn,rustls_platform_verifier=off",
        (false, 1) => "rsspot=info,warn",
        (false, 2) => "rsspot=debug,info",
        _ => "rsspot=trace,debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false);
    let _ = if verbose >= 3 && !quiet {
        fmt.with_timer(tracing_subscriber::fmt::time::Uptime::default())
            .try_init()
    } else {
        fmt.without_time().try_init()
    };
}

/// The documented exit code of a command's result.
pub fn exit_code(result: &anyhow::Result<()>) -> u8 {
    let Err(e) = result else { return 0 };
    if e.downcast_ref::<BrokenPipe>().is_some() {
        return 0;
    }
    if e.downcast_ref::<Cancelled>().is_some()
        || e.downcast_ref::<NotConfirmed>().is_some()
        || e.downcast_ref::<Usage>().is_some()
        || e.downcast_ref::<Drift>().is_some()
    {
        return 2;
    }
    if e.downcast_ref::<crate::errors::Interrupted>().is_some()
        || e.downcast_ref::<Stopped>().is_some()
        || e.downcast_ref::<Aborted>().is_some()
    {
        return 130;
    }
    match e.chain().find_map(|c| c.downcast_ref::<rsspot::Error>()) {
        Some(err) => crate::errors::exit_code(err),
        None => 1,
    }
}

/// Prints `error: <what>` (one line) and a hint where one helps (a declined prompt: just
/// `cancelled`).
///
/// The chain is printed down to the first library error, whose message already names its cause
/// (its `source()`s would repeat it in reqwest's words, URL and all).
pub fn report_error(e: &anyhow::Error, quiet: bool) {
    if e.downcast_ref::<BrokenPipe>().is_some()
        || e.downcast_ref::<Stopped>().is_some()
        || e.downcast_ref::<Drift>().is_some()
    {
        return;
    }
    // The user's own "no" is not an error: say what happened, no `error:` (exit 2, as gh).
    if e.downcast_ref::<Cancelled>().is_some() {
        eprintln!("{e}");
        return;
    }
    let (line, hint) = error_lines(e);
    eprintln!("error: {line}");
    if quiet {
        return;
    }
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}

/// The one line `report_error` prints after `error: `, and its hint (also the wording of
/// `rsspot mcp`'s tool errors).
pub fn error_lines(e: &anyhow::Error) -> (String, Option<String>) {
    let mut parts = Vec::new();
    let mut library = None;
    for cause in e.chain() {
        let text = cause.to_string();
        // A wrapper that already quotes the library error's text (and adds to it) says it all.
        if !parts.last().is_some_and(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        if let Some(err) = cause.downcast_ref::<rsspot::Error>() {
            library = Some(err);
            break;
        }
    }
    let msg = parts.join(": ").replace('\n', " ");
    let hint = match e.chain().find_map(|c| c.downcast_ref::<Hinted>()) {
        Some(hinted) => Some(hinted.hint.clone()),
        None => library.and_then(crate::errors::hint),
    };
    (msg, hint)
}

/// "3m", "2h", "5d" since an RFC 3339 time.
pub fn age(ts: Option<&chrono::DateTime<chrono::Utc>>) -> String {
    let Some(ts) = ts else { return "-".into() };
    let secs = (chrono::Utc::now() - *ts).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A span of `secs` seconds as a person says it: `40 s`, `42 min`, `3 h`, `5 days`.
pub fn span(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 90 => format!("{s} s"),
        s if s < 90 * 60 => format!("{} min", (s + 30) / 60),
        s if s < 48 * 3600 => format!("{} h", (s + 1800) / 3600),
        s => format!("{} days", (s + 43_200) / 86_400),
    }
}

/// `-` for empty values.
pub fn dash(v: Option<impl ToString>) -> String {
    v.map(|x| x.to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The visible width of a line (ANSI escapes not counted).
    fn visible(line: &str) -> usize {
        let mut n = 0;
        let mut escape = false;
        for c in line.chars() {
            match (escape, c) {
                (false, '\u{1b}') => escape = true,
                (true, 'm') => escape = false,
                (true, _) => {}
                (false, _) => n += 1,
            }
        }
        n
    }

    #[test]
    fn the_header_is_no_wider_than_the_rows() {
        for color in [false, true] {
            let mut printer = Printer::new(OutputFormat::Table, color, false);
            printer.width = Some(30);
            let rows = vec![
                vec!["demo".into(), "Ready".into(), "a-long-reason".into()],
                vec!["x".into(), "Pending".into(), "-".into()],
            ];
            let text = printer.render_table(&["NAME", "PHASE", "REASON"], rows, &[]);
            let widths: Vec<usize> = text.lines().map(visible).collect();
            let widest_row = widths[1..].iter().copied().max().unwrap_or(0);
            assert!(widths[0] <= widest_row, "color {color}: {text:?}");
            assert!(widths.iter().all(|w| *w <= 30), "color {color}: {text:?}");
            assert!(!text.lines().any(|l| l.ends_with(' ')), "{text:?}");
        }
    }
}
