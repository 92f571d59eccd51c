//! What a command says about itself: the `-o` formats it honours and whether a run is recorded
//! in the history. Each command family declares this beside its clap type (`impl Shaped`), and
//! the enums delegate down the clap tree, so a new subcommand without a declaration does not
//! compile (the matches are exhaustive) instead of silently falling into a central default.

use crate::cli::OutputFormat;
use crate::output::Usage;

/// The output formats and history behaviour of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The `-o` values honoured; the first one that is not a table is the piped default of a
    /// command without a table.
    pub formats: &'static [OutputFormat],
    /// Whether a run is recorded in `rsspot history`.
    pub history: bool,
}

impl Shape {
    /// Resource commands (lists and single objects): every format, a name for `-o name`.
    pub const RESOURCE: Shape = Shape::of(&[
        OutputFormat::Table,
        OutputFormat::Wide,
        OutputFormat::Json,
        OutputFormat::Yaml,
        OutputFormat::Name,
    ]);
    /// Reports and summaries: no single name to print.
    pub const REPORT: Shape = Shape::of(&[
        OutputFormat::Table,
        OutputFormat::Wide,
        OutputFormat::Json,
        OutputFormat::Yaml,
    ]);
    /// Text on a terminal (a document, a status line) or the same as data.
    pub const TEXT_OR_DATA: Shape =
        Shape::of(&[OutputFormat::Table, OutputFormat::Json, OutputFormat::Yaml]);
    /// Answers that are data by nature (`api`, the JSON schema): JSON unless YAML is asked.
    pub const DATA: Shape = Shape::of(&[OutputFormat::Json, OutputFormat::Yaml]);
    /// kubectl's ExecCredential: JSON by contract.
    pub const JSON_ONLY: Shape = Shape::of(&[OutputFormat::Json]);
    /// Plain text only (scripts, manual pages, help, the demo, a server).
    pub const TEXT: Shape = Shape::of(&[OutputFormat::Table]);
    /// A time series: a chart on a terminal, or the points as data.
    pub const SERIES: Shape = Shape::of(&[
        OutputFormat::Table,
        OutputFormat::Json,
        OutputFormat::Yaml,
        OutputFormat::Csv,
    ]);

    const fn of(formats: &'static [OutputFormat]) -> Shape {
        Shape {
            formats,
            history: true,
        }
    }

    /// The same formats; the run leaves no line in the history (local helpers, the demo, the
    /// credential plugin kubectl runs before every call).
    pub const fn unrecorded(self) -> Shape {
        Shape {
            formats: self.formats,
            history: false,
        }
    }

    /// The format used when no `-o` is given: the table (a tab-separated one when piped, see
    /// [`crate::output::Printer`]) if the command has one, else its first format.
    pub fn default_format(&self) -> OutputFormat {
        if self.formats.contains(&OutputFormat::Table) {
            OutputFormat::Table
        } else {
            self.formats.first().copied().unwrap_or(OutputFormat::Json)
        }
    }

    /// Whether its tables are data (it also prints JSON): piped without `-o`, they become
    /// tab-separated rows. Text-only commands (the demo, help) keep their layout when piped.
    pub fn rows_when_piped(&self) -> bool {
        self.formats.contains(&OutputFormat::Json)
    }

    /// Refuses an explicit `-o` the command does not honour (exit 2, naming the ones it does).
    /// The default format is never refused.
    pub fn check(&self, path: &[&str], requested: Option<OutputFormat>) -> Result<(), Usage> {
        let Some(requested) = requested else {
            return Ok(());
        };
        if self.formats.contains(&requested) {
            return Ok(());
        }
        let names: Vec<String> = self.formats.iter().map(|f| f.to_string()).collect();
        let command = if path.is_empty() {
            "rsspot".to_string()
        } else {
            format!("rsspot {}", path.join(" "))
        };
        Err(Usage(format!(
            "`{command}` cannot print -o {requested}; it supports -o {}",
            names.join(", ")
        )))
    }
}

/// A parsed command (or group of commands) that knows its [`Shape`].
pub trait Shaped {
    /// The shape of the command that was parsed.
    fn shape(&self) -> Shape;
}

impl Shaped for crate::cli::Command {
    fn shape(&self) -> Shape {
        use crate::cli::Command as C;
        match self {
            C::Configure(a) => a.shape(),
            C::Profiles(c) => c.shape(),
            C::Config(c) => c.shape(),
            C::Auth(c) => c.shape(),
            C::Organizations(c) => c.shape(),
            C::Regions(c) => c.shape(),
            C::ServerClasses(c) => c.shape(),
            C::Cloudspaces(c) => c.shape(),
            C::Nodepools(c) => c.shape(),
            C::Pricing(c) => c.shape(),
            C::VmSshKeys(c) => c.shape(),
            C::VmCloudspaces(c) => c.shape(),
            C::VmPools(c) => c.shape(),
            C::Inventory(c) => c.shape(),
            C::Registrations(a) => a.shape(),
            C::History(a) => a.shape(),
            C::State(c) => c.shape(),
            C::Cache(c) => c.shape(),
            C::Emulator(c) => c.shape(),
            C::Diff(a) => a.shape(),
            C::Apply(a) => a.shape(),
            C::Export(a) => a.shape(),
            C::Delete(a) => a.shape(),
            C::Fleet(c) => c.shape(),
            C::Api(a) => a.shape(),
            C::Completions(a) => a.shape(),
            C::Help(a) => a.shape(),
            C::Man(a) => a.shape(),
            // `rsspot version`: one line of text, nothing to record.
            C::Version => Shape::RESOURCE.unrecorded(),
            C::Demo(a) => a.shape(),
            C::Mcp(a) => a.shape(),
            C::Events(c) => c.shape(),
            C::Metrics(c) => c.shape(),
        }
    }
}
