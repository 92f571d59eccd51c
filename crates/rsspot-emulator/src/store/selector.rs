//! Label selectors (`a=b,c!=d,e,!f`), parsed and matched as the API server does.

use serde_json::Value;

/// One label-selector requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requirement {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    NotExists(String),
}

/// Parses `a=b,c!=d,e,!f` (also `==`).
pub(crate) fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if let Some((k, v)) = p.split_once("!=") {
                Ok(Requirement::Ne(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Ok(Requirement::Eq(k.trim().into(), v.trim().into()))
            } else if let Some(k) = p.strip_prefix('!') {
                Ok(Requirement::NotExists(k.trim().into()))
            } else if p.contains(' ') {
                Err(format!("unable to parse requirement: {p:?}"))
            } else {
                Ok(Requirement::Exists(p.into()))
            }
        })
        .collect()
}

/// Whether a document's labels satisfy every requirement.
pub(crate) fn matches(doc: &Value, reqs: &[Requirement]) -> bool {
    let label = |k: &str| {
        doc.pointer("/metadata/labels")
            .and_then(|l| l.get(k)?.as_str())
    };
    reqs.iter().all(|r| match r {
        Requirement::Eq(k, v) => label(k) == Some(v.as_str()),
        Requirement::Ne(k, v) => label(k) != Some(v.as_str()),
        Requirement::Exists(k) => label(k).is_some(),
        Requirement::NotExists(k) => label(k).is_none(),
    })
}
