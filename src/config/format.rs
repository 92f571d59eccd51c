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

/// Renders `value` as TOML over `original`: keys whose value is unchanged keep their text,
/// comments and position; changed values are replaced in place (keeping the comments around
/// them); new keys are appended; removed keys go away with their own comments.
pub(crate) fn render_toml_over(original: &str, value: &Value, path: &Path) -> Result<String> {
    let fresh_text = Format::Toml.render(value, path)?;
    let parse = |text: &str| text.parse::<toml_edit::DocumentMut>();
    match (parse(original), parse(&fresh_text)) {
        (Ok(mut old), Ok(fresh)) => {
            merge_toml_table(old.as_table_mut(), fresh.as_table());
            Ok(old.to_string())
        }
        // The original parsed before (or we would not be here); be safe and render afresh.
        _ => Ok(fresh_text),
    }
}

/// The text of a value without its surrounding whitespace and comments.
fn bare(v: &toml_edit::Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    v.to_string()
}

fn merge_toml_table(old: &mut toml_edit::Table, fresh: &toml_edit::Table) {
    use toml_edit::Item;
    let gone: Vec<String> = old
        .iter()
        .filter(|(k, _)| !fresh.contains_key(k))
        .map(|(k, _)| k.to_string())
        .collect();
    for k in gone {
        old.remove(&k);
    }
    for (k, new_item) in fresh.iter() {
        let Some(old_item) = old.get_mut(k) else {
            old.insert(k, new_item.clone());
            continue;
        };
        match (old_item, new_item) {
            (Item::Table(o), Item::Table(n)) => merge_toml_table(o, n),
            (Item::Value(o), Item::Value(n)) if bare(o) == bare(n) => {}
            (Item::Value(o), Item::Value(n)) => {
                let decor = o.decor().clone();
                *o = n.clone();
                *o.decor_mut() = decor;
            }
            (slot, n) => *slot = n.clone(),
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
    let bytes = crate::fsutil::read_bounded(path, crate::fsutil::DOCUMENT_MAX, "a config file")?;
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
    fn toml_rendering_keeps_comments_of_unchanged_and_changed_keys() {
        let original = "# my settings\nversion = \"2\"\n\n[profiles.a]\n# the org\norg = \"acme\" # inline\nregion = \"us\"\n\n[profiles.old]\norg = \"x\"\n";
        let value = serde_json::json!({"version": "2", "profiles": {
            "a": {"org": "acme", "region": "eu", "refresh_token": "rt"},
            "b": {"org": "new"}}});
        let out = render_toml_over(original, &value, Path::new("c.toml")).unwrap();
        assert!(out.starts_with("# my settings\n"), "{out}");
        assert!(
            out.contains("# the org\norg = \"acme\" # inline\n"),
            "{out}"
        );
        assert!(out.contains("region = \"eu\""), "{out}");
        assert!(!out.contains("profiles.old"), "{out}");
        let back = Format::Toml.parse(&out, Path::new("c.toml")).unwrap();
        assert_eq!(back, value);
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
