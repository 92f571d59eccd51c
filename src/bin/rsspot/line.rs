//! The line is the context: the `-p`, `--org` and `--config` typed on the command line, which
//! reappear in every command rsspot suggests. A leaf, so the error reporter can read it
//! without the per-invocation context.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::cli::GlobalArgs;

/// The context flags typed on the command line (`-p`, `--org`, `--config`): they win over the
/// environment and reappear in every command rsspot suggests, so a hint runs against the same
/// profile and organization as the line that produced it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// `-p/--profile NAME`, when typed (not when it came from `RSSPOT_PROFILE`).
    pub profile: Option<String>,
    /// `--org ORG`.
    pub org: Option<String>,
    /// `-c/--config FILE`.
    pub config: Option<PathBuf>,
}

impl Line {
    /// The context flags of `global` that were typed on the line. clap fills `profile` from
    /// `RSSPOT_PROFILE` too; a value equal to that variable counts as the environment's.
    pub fn of(global: &GlobalArgs) -> Line {
        let from_env = std::env::var("RSSPOT_PROFILE").ok();
        Line {
            profile: global
                .profile
                .clone()
                .filter(|p| from_env.as_deref() != Some(p.as_str())),
            org: global.org.clone(),
            config: global.config.clone(),
        }
    }

    /// The flags as they are typed, each followed by a space (`-p slow --org acme `).
    pub fn flags(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.profile {
            out.push_str(&format!("-p {} ", shell_word(p)));
        }
        if let Some(o) = &self.org {
            out.push_str(&format!("--org {} ", shell_word(o)));
        }
        if let Some(c) = &self.config {
            out.push_str(&format!(
                "--config {} ",
                shell_word(&c.display().to_string())
            ));
        }
        out
    }

    /// `rsspot FLAGS REST`: a command to suggest, run with the line's context.
    pub fn rsspot(&self, rest: &str) -> String {
        format!("rsspot {}{rest}", self.flags())
    }
}

/// The line of this process, set once by `Ctx::new` ([`set`]); hints built away from a `Ctx`
/// (the error reporter's) read it through [`rsspot`].
static LINE: OnceLock<Line> = OnceLock::new();

/// `rsspot FLAGS REST` with the `-p`/`--org`/`--config` typed on this process's line: the one
/// place every suggested command gets its context from.
pub fn rsspot(rest: &str) -> String {
    LINE.get().cloned().unwrap_or_default().rsspot(rest)
}

/// The `-p/--profile` typed on this process's line, if any.
pub fn line_profile() -> Option<String> {
    LINE.get().and_then(|l| l.profile.clone())
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,~".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Records the line of this process (the first call wins).
pub fn set(line: Line) {
    let _ = LINE.set(line);
}
