//! Per-invocation context: resolved settings, the client, the state store, the printer.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::config::{self, Env, LoadOptions, Overrides, Resolved, env as env_names};
use rsspot::state::{HistoryEntry, StateStore};
use tokio::sync::OnceCell;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::line::Line;
use crate::output::Printer;

/// The variables that carry a token: an explicit `-p/--profile` whose profile has a token of its
/// own wins over them (as the AWS CLI's `--profile` wins over `AWS_ACCESS_KEY_ID`).
fn token_vars() -> impl Iterator<Item = &'static str> {
    env_names::REFRESH_TOKEN_VARS
        .iter()
        .chain(env_names::REFRESH_TOKEN_FILE_VARS)
        .chain(env_names::OTHER_TOOLS_REFRESH_TOKEN_VARS)
        .chain(env_names::ACCESS_TOKEN_VARS)
        .copied()
}

/// Everything a command needs; built once in `main`.
pub struct Ctx {
    pub global: GlobalArgs,
    pub out: Printer,
    /// The context flags typed on the line.
    pub line: Line,
    resolved: OnceCell<Resolved>,
    client: OnceCell<SpotClient>,
    state: OnceCell<(StateStore, Option<String>)>,
}

impl Ctx {
    pub fn new(global: GlobalArgs) -> Ctx {
        Ctx::for_command(global, crate::shape::Shape::RESOURCE)
    }

    /// The context of a command of this `shape`: without `-o`, its
    /// [`crate::shape::Shape::default_format`]; a data table piped without `-o` is tab-separated.
    pub fn for_command(global: GlobalArgs, shape: crate::shape::Shape) -> Ctx {
        let stdout_tty = std::io::stdout().is_terminal();
        let format = global.output.unwrap_or(shape.default_format());
        let color = stdout_tty && !global.no_color && std::env::var_os("NO_COLOR").is_none();
        let piped_rows = global.output.is_none() && !stdout_tty && shape.rows_when_piped();
        let out = if piped_rows && format == OutputFormat::Table {
            Printer::piped(global.quiet)
        } else {
            Printer::new(format, color, global.quiet)
        };
        let line = Line::of(&global);
        // The first context of the process is the line's (completion builds its own later).
        crate::line::set(line.clone());
        Ctx {
            out,
            line,
            global,
            resolved: OnceCell::new(),
            client: OnceCell::new(),
            state: OnceCell::new(),
        }
    }

    /// The options `config::load` gets from flags and the process environment.
    pub fn load_options(&self) -> LoadOptions {
        let mut overrides = Overrides {
            org: self.global.org.clone(),
            region: self.global.region.clone(),
            ..Default::default()
        };
        if self.global.no_cache {
            overrides.cache = Some(config::CachePatch {
                enabled: Some(false),
                ..Default::default()
            });
        }
        LoadOptions {
            config_path: self.global.config.clone(),
            profile: self.global.profile.clone(),
            overrides,
            env: Env::from_process(),
            import_legacy: true,
            ..Default::default()
        }
    }

    /// `rsspot FLAGS REST` with this line's `-p`/`--org`/`--config`: a command to suggest.
    pub fn rsspot(&self, rest: &str) -> String {
        self.line.rsspot(rest)
    }

    /// Loads the configuration. With `-p/--profile` typed on the line, token variables are
    /// left out first; when that profile has a token of its own it wins and each variable left
    /// out is named once on stderr (and in `config explain`); when it has none, the variables
    /// are used as before.
    fn load(&self) -> Result<Resolved, rsspot::Error> {
        let opts = self.load_options();
        let Some(profile) = self.line.profile.clone() else {
            return config::load(&opts);
        };
        let ignored: Vec<&'static str> =
            token_vars().filter(|v| opts.env.get(v).is_some()).collect();
        if ignored.is_empty() {
            return config::load(&opts);
        }
        let without = LoadOptions {
            env: Env::from_pairs(
                std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                    .filter(|(k, _)| !ignored.iter().any(|i| i.eq_ignore_ascii_case(k))),
            ),
            ..opts.clone()
        };
        let mut r = config::load(&without)?;
        if r.settings.refresh_token.is_none() && r.settings.access_token.is_none() {
            return config::load(&opts);
        }
        let names = ignored.join(", ");
        // Not from `auth kube-token` run by kubectl (it sets KUBERNETES_EXEC_INFO): kubectl
        // shows a plugin's stderr on every call, and the choice was made when the context was.
        if std::env::var_os("KUBERNETES_EXEC_INFO").is_none() {
            self.out.note(&format!(
                "note: {names} ignored: --profile {profile} was given and has its own token"
            ));
        }
        for p in r
            .provenance
            .iter_mut()
            .filter(|p| p.key == "refresh_token" || p.key == "access_token")
        {
            p.source = format!("{} ({names} ignored: --profile given)", p.source);
        }
        Ok(r)
    }

    /// Resolved configuration (loaded once).
    pub async fn resolved(&self) -> Result<&Resolved> {
        Ok(self
            .resolved
            .get_or_try_init(|| async {
                let r = self.load()?;
                if let Some(m) = &r.migrated {
                    self.out.note(&format!("{m}"));
                }
                for w in r.warnings() {
                    self.out.warn(&w.to_string());
                }
                Ok::<_, rsspot::Error>(r)
            })
            .await?)
    }

    /// The API client for the selected profile.
    pub async fn client(&self) -> Result<&SpotClient> {
        self.client
            .get_or_try_init(|| async {
                let resolved = self.resolved().await?;
                let (state, _) = self.state().await?;
                let mut b = SpotClient::builder()
                    .settings(&resolved.settings)
                    .state(state.clone());
                if self.global.no_cache {
                    b = b.cache(false);
                }
                if let Some(t) = self.global.request_timeout {
                    b = b.timeout(t);
                }
                if let Some(t) = self.global.connect_timeout {
                    b = b.connect_timeout(t);
                }
                Ok::<_, anyhow::Error>(b.build().await?)
            })
            .await
    }

    /// The state store (degrades to memory with a warning when state.db is unusable).
    pub async fn state(&self) -> Result<(&StateStore, Option<&str>)> {
        let (store, warning) = self
            .state
            .get_or_try_init(|| async {
                let path = match self.resolved().await {
                    Ok(r) => r.settings.state_path.clone(),
                    Err(e) => return Err(e),
                };
                let (store, warning) = StateStore::open_or_degrade(&path).await;
                if let Some(w) = &warning {
                    self.out.note(w);
                }
                Ok::<_, anyhow::Error>((store, warning))
            })
            .await?;
        Ok((store, warning.as_deref()))
    }

    /// The organization argument to pass to services (`--org` wins).
    pub fn org(&self) -> Option<&str> {
        self.global.org.as_deref()
    }

    /// Asks for confirmation on a TTY; without a TTY, `--yes` is required.
    pub fn confirm(&self, question: &str) -> Result<()> {
        if self.global.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            anyhow::bail!(crate::output::NotConfirmed(question.to_string()));
        }
        eprint!("{question} [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            Ok(())
        } else {
            anyhow::bail!(crate::output::Cancelled)
        }
    }

    /// Records the invocation in the redacted history (never fails the command).
    pub async fn record_history(
        &self,
        argv: &[String],
        started_at: chrono::DateTime<chrono::Utc>,
        elapsed: Duration,
        code: u8,
    ) {
        if std::env::var_os("_RSSPOT_COMPLETE").is_some() || std::env::var_os("COMPLETE").is_some()
        {
            return;
        }
        let Ok(resolved) = self.resolved().await else {
            return;
        };
        if !resolved.settings.history.enabled {
            return;
        }
        let Ok((state, _)) = self.state().await else {
            return;
        };
        let entry = HistoryEntry {
            started_at,
            argv: argv.iter().skip(1).cloned().collect(),
            profile: Some(resolved.settings.profile.clone()),
            org: self
                .global
                .org
                .clone()
                .or_else(|| resolved.settings.org.clone()),
            exit_code: i32::from(code),
            duration_ms: elapsed.as_millis() as u64,
        };
        if let Err(e) = state
            .history_add(&entry, resolved.settings.history.max_entries)
            .await
        {
            tracing::debug!("history not recorded: {e}");
        }
    }
}
