//! The four file formats: parsing into `serde_json::Value` with located errors, and rendering.
//!
//! The format follows the extension (`.yml`/`.yaml`, `.toml`, `.json`); a file without a known
//! extension (the legacy `~/.spot_config`) is detected from its content. Rendering is
//! canonical, so parse → render is a fixed point and saving an unchanged file is byte-stable.

use std::path::Path;

use serde_json::Value;

use super::fields::one_line;
use crate::error::{Error, Result};

/// A config file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (`.yml`, `.yaml`); the default for new files.
    Yaml,
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The format implied by `path`'s extension, if it is one of the four known ones.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yml" | "yaml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Human name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
            Format::Json => "JSON",
        }
    }

    /// Parses `text`; an empty document is an empty mapping. Errors are one line naming the
    /// file, line and column.
    pub(crate) fn parse(self, text: &str, path: &Path) -> Result<Value> {
        let located = |line: usize, col: usize, msg: &str| {
            Error::config(format!(
                "{}: invalid {} at line {line}, column {col}: {}",
                path.display(),
                self.name(),
                one_line(msg)
            ))
        };
        let value = match self {
            Format::Yaml => {
                if is_blank_yaml(text) {
                    return Ok(Value::Object(Default::default()));
                }
                serde_norway::from_str::<Value>(text).map_err(|e| {
                    let msg = e.to_string();
                    // The message repeats the location; keep only the description.
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    match e.location() {
                        Some(loc) => located(loc.line(), loc.column(), &msg),
                        None => Error::config(format!(
                            "{}: invalid YAML: {}",
                            path.display(),
                            one_line(&msg)
                        )),
                    }
                })?
            }
            Format::Toml => toml::from_str::<Value>(text).map_err(|e| {
                let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
                located(line, col, e.message())
            })?,
            Format::Json => {
                if text.trim().is_empty() {
                    return Ok(Value::Object(Default::default()));
                }
                serde_json::from_str::<Value>(text).map_err(|e| {
                    let msg = e.to_string();
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    located(e.line(), e.column(), &msg)
                })?
            }
        };
        match value {
            Value::Object(_) => Ok(value),
            Value::Null => Ok(Value::Object(Default::default())),
            _ => Err(Error::config(format!(
                "{}: the top level must be a mapping of keys to values",
                path.display()
            ))),
        }
    }

    /// Renders a document (a JSON object) in this format.
    pub(crate) fn render(self, value: &Value, path: &Path) -> Result<String> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::config(format!(
                "{}: cannot write as {}: {}",
                path.display(),
                self.name(),
                one_line(&e.to_string())
            ))
        };
        match self {
            Format::Yaml => serde_norway::to_string(value).map_err(|e| fail(&e)),
            Format::Toml => toml::to_string(value).map_err(|e| fail(&e)),
            Format::Json => serde_json::to_string_pretty(value)
                .map(|s| s + "\n")
                .map_err(|e| fail(&e)),
        }
    }
}

/// Parses a file whose format is not given by its extension: JSON if it looks like JSON, else
/// TOML, else YAML (the legacy `~/.spot_config` is YAML). The YAML error is reported.
pub(crate) fn detect_and_parse(text: &str, path: &Path) -> Result<(Format, Value)> {
    if text.trim_start().starts_with('{')
        && let Ok(v) = Format::Json.parse(text, path)
    {
        return Ok((Format::Json, v));
    }
    if !is_blank_yaml(text)
        && let Ok(v) = Format::Toml.parse(text, path)
    {
        return Ok((Format::Toml, v));
    }
    Format::Yaml.parse(text, path).map(|v| (Format::Yaml, v))
}

/// Reads and parses a config file, choosing the format from the extension or the content.
pub(crate) fn read(path: &Path) -> Result<(Format, Value, String)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::config(format!(
            "{}: not valid UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    let (format, value) = match Format::from_extension(path) {
        Some(f) => (f, f.parse(&text, path)?),
        None => detect_and_parse(&text, path)?,
    };
    Ok((format, value, text))
}

/// True for a YAML document with nothing but whitespace and comments.
fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    })
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_column() {
        let p = Path::new("/x/config.yml");
        let e = Format::Yaml
            .parse("a: 1\nb: [1, 2\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/x/config.yml: invalid YAML at line "), "{e}");
        assert!(!e.contains('\n'));
        let e = Format::Toml
            .parse("a = 1\nb = = 2\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml: invalid TOML at line 2, column "),
            "{e}"
        );
        assert!(!e.contains('\n'));
        let e = Format::Json
            .parse("{\n  \"a\": 1,\n  oops\n}", Path::new("c.json"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.json: invalid JSON at line 3, column "),
            "{e}"
        );
        let e = Format::Yaml.parse("- a\n- b\n", p).unwrap_err().to_string();
        assert!(e.contains("top level must be a mapping"), "{e}");
    }

    #[test]
    fn empty_documents_are_empty_mappings() {
        let p = Path::new("c");
        assert_eq!(
            Format::Yaml.parse("# nothing\n\n", p).unwrap(),
            serde_json::json!({})
        );
        assert_eq!(Format::Json.parse("", p).unwrap(), serde_json::json!({}));
        assert_eq!(Format::Toml.parse("", p).unwrap(), serde_json::json!({}));
    }

    #[test]
    fn detection_prefers_json_then_toml_then_yaml() {
        let p = Path::new(".spot_config");
        assert_eq!(detect_and_parse("{\"a\": 1}", p).unwrap().0, Format::Json);
        assert_eq!(detect_and_parse("a = 1\n", p).unwrap().0, Format::Toml);
        assert_eq!(detect_and_parse("a: 1\n", p).unwrap().0, Format::Yaml);
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
