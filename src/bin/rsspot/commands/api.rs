//! `rsspot api`: an authenticated request to any API path, like `gh api`. Bodies from `-f`
//! fields or a file; a DELETE on a whole collection asks first.

use anyhow::Result;
use clap::Args;
use serde_json::{Map, Value};

use crate::ctx::Ctx;

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// HTTP method (GET, POST, PUT, PATCH, DELETE). With a single argument it is the PATH, and
    /// the method is GET (POST when a body is given, unless --paginate).
    #[arg(value_name = "METHOD")]
    pub method: String,
    /// Path under the API base URL, e.g. /apis/ngpc.rxt.io/v1/regions, or a full URL.
    /// `{namespace}` is replaced by the organization's namespace.
    #[arg(value_name = "PATH")]
    pub path: Option<String>,
    /// Body field: `key=value` (numbers, true/false and null stay typed), `key:=JSON` (raw JSON),
    /// `a[b]=v` nests, `a[]=v` appends. With GET (or --input) the fields are query parameters.
    #[arg(short = 'f', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// Request body (JSON) from FILE, or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub input: Option<String>,
    /// For a GET of a list: follow `metadata.continue` and print all pages as one list.
    #[arg(long)]
    pub paginate: bool,
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// One `-f` field, parsed.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    /// `a[b][]` → `["a", "b", ""]` (an empty segment appends to an array).
    path: Vec<String>,
    /// The raw text after `=` / `:=`.
    raw: String,
    /// The typed value for a JSON body.
    value: Value,
}

fn parse_field(s: &str) -> Result<Field, rsspot::Error> {
    let bad = |why: &str| rsspot::Error::invalid("--field", format!("{s:?}: {why}"));
    let eq = s.find('=').ok_or_else(|| bad("expected key=value"))?;
    let (lhs, raw) = (&s[..eq], &s[eq + 1..]);
    let (key, value) = match lhs.strip_suffix(':') {
        Some(k) => (
            k,
            serde_json::from_str(raw).map_err(|e| bad(&format!("not JSON after := ({e})")))?,
        ),
        None => (lhs, typed(raw)),
    };
    Ok(Field {
        path: parse_key(key).ok_or_else(|| bad("malformed key (use name, a[b] or a[])"))?,
        raw: raw.to_string(),
        value,
    })
}

/// Numbers, booleans and null stay typed; everything else is a string.
fn typed(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
        _ => Value::String(raw.to_string()),
    }
}

fn parse_key(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut path = vec![head.to_string()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        path.push(inner[..close].to_string());
        rest = &inner[close + 1..];
    }
    // Only the last segment may append.
    if path[..path.len() - 1].iter().any(String::is_empty) {
        return None;
    }
    Some(path)
}

/// Builds the JSON object body from plain (non-appending) fields; later fields win.
fn fields_body(fields: &[Field]) -> Result<Value, rsspot::Error> {
    let mut root = Value::Object(Map::new());
    for f in fields {
        let Some((last, parents)) = f.path.split_last() else {
            continue;
        };
        let mut node = &mut root;
        for seg in parents {
            let obj = node.as_object_mut().ok_or_else(|| conflict(f))?;
            node = obj
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        let obj = node.as_object_mut().ok_or_else(|| conflict(f))?;
        obj.insert(last.clone(), f.value.clone());
    }
    Ok(root)
}

fn conflict(f: &Field) -> rsspot::Error {
    rsspot::Error::invalid(
        "--field",
        format!("{} conflicts with another field", f.path.join(".")),
    )
}

/// Rewrites `a[]` fields into arrays: `[a, ""]` → value pushed onto `a`.
fn body_from_fields(fields: &[Field]) -> Result<Value, rsspot::Error> {
    let mut plain = Vec::new();
    let mut pushes: Vec<(Vec<String>, Value)> = Vec::new();
    for f in fields {
        if f.path.last().is_some_and(String::is_empty) {
            pushes.push((f.path[..f.path.len() - 1].to_vec(), f.value.clone()));
        } else {
            plain.push(f.clone());
        }
    }
    let mut body = fields_body(&plain)?;
    for (path, value) in pushes {
        let mut node = &mut body;
        for seg in &path {
            let obj = node
                .as_object_mut()
                .ok_or_else(|| rsspot::Error::invalid("--field", format!("{seg}[] conflicts")))?;
            node = obj.entry(seg.clone()).or_insert(Value::Array(Vec::new()));
        }
        match node {
            Value::Array(a) => a.push(value),
            _ => {
                return Err(rsspot::Error::invalid(
                    "--field",
                    format!("{}[] conflicts with a non-array field", path.join(".")),
                ));
            }
        }
    }
    Ok(body)
}

/// Appends `fields` to `path` as query parameters (raw text values).
fn with_query(path: &str, fields: &[Field]) -> String {
    if fields.is_empty() {
        return path.to_string();
    }
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for f in fields {
        let key = match f.path.split_first() {
            Some((head, rest)) if !rest.is_empty() => format!("{head}[{}]", rest.join("][")),
            _ => f.path.join(""),
        };
        q.append_pair(&key, &f.raw);
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{}", q.finish())
}

fn read_input(input: &str) -> Result<Value> {
    use rsspot::cli_support::DOCUMENT_MAX;
    let text = if input == "-" {
        rsspot::cli_support::read_stdin_text(DOCUMENT_MAX, "a request body")?
    } else {
        rsspot::cli_support::read_bounded_text(
            std::path::Path::new(input),
            DOCUMENT_MAX,
            "a request body",
        )?
    };
    Ok(serde_json::from_str(&text).map_err(|e| {
        rsspot::Error::invalid("--input", format!("{input}: the body is not JSON: {e}"))
    })?)
}

pub async fn api(ctx: &Ctx, a: ApiArgs) -> Result<()> {
    let fields = a
        .fields
        .iter()
        .map(|f| parse_field(f))
        .collect::<Result<Vec<_>, _>>()?;
    let has_body = a.input.is_some() || !fields.is_empty();
    let (method, path) = match a.path {
        Some(p) => (a.method.to_ascii_uppercase(), p),
        // `--paginate` reads a list: fields are then query parameters, as with GET.
        None if has_body && !a.paginate => ("POST".to_string(), a.method),
        None => ("GET".to_string(), a.method),
    };
    if !METHODS.contains(&method.as_str()) {
        anyhow::bail!(rsspot::Error::invalid(
            "METHOD",
            format!("{method:?} is not one of {}", METHODS.join(", "))
        ));
    }
    let client = ctx.client().await?;
    let mut path = path;
    if path.contains("{namespace}") {
        let ns = client.namespace(ctx.org()).await?;
        path = path.replace("{namespace}", &ns);
    }
    let (path, body) = match (&a.input, method.as_str()) {
        (Some(input), _) => (with_query(&path, &fields), Some(read_input(input)?)),
        (None, "GET" | "HEAD" | "DELETE" | "OPTIONS") => (with_query(&path, &fields), None),
        (None, _) if fields.is_empty() => (path, None),
        (None, _) => (path, Some(body_from_fields(&fields)?)),
    };
    if a.paginate && method != "GET" {
        anyhow::bail!(rsspot::Error::invalid(
            "--paginate",
            format!("follows list pages of a GET, not of a {method}")
        ));
    }
    let scope =
        if matches!(method.as_str(), "DELETE" | "PATCH") && rsspot::names::is_collection(&path) {
            let verb = if method == "DELETE" {
                "deletes"
            } else {
                "patches"
            };
            ctx.confirm(&format!(
                "{method} {path} {verb} every object of that collection; continue?"
            ))?;
            rsspot::ApiScope::Collection
        } else {
            rsspot::ApiScope::Object
        };
    let answer = if a.paginate {
        client.api_list_all(&path).await?
    } else {
        client
            .api_request_scoped(&method, &path, body.as_ref(), scope)
            .await?
    };
    if answer.is_null() {
        return Ok(());
    }
    ctx.out.data(&answer)
}

impl crate::shape::Shaped for ApiArgs {
    /// The answer of an arbitrary path is data: JSON unless YAML is asked.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::DATA
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(fields: &[&str]) -> Result<Value, rsspot::Error> {
        let parsed = fields
            .iter()
            .map(|f| parse_field(f))
            .collect::<Result<Vec<_>, _>>()?;
        body_from_fields(&parsed)
    }

    #[test]
    fn fields_are_typed_nested_and_raw() {
        let b = body(&[
            "metadata[name]=web",
            "spec[region]=us-east-iad-1",
            "spec[desired]=3",
            "spec[ha]=true",
            "spec[webhook]=null",
            "spec[bid]=0.010",
            "spec[version]:=\"1.31\"",
            "spec[labels]:={\"a\":\"b\"}",
            "tags[]=x",
            "tags[]=2",
        ])
        .unwrap();
        assert_eq!(
            b,
            json!({
                "metadata": {"name": "web"},
                "spec": {"region": "us-east-iad-1", "desired": 3, "ha": true, "webhook": null,
                         "bid": 0.010, "version": "1.31", "labels": {"a": "b"}},
                "tags": ["x", 2],
            })
        );
    }

    #[test]
    fn bad_fields_are_usage_errors() {
        for f in ["novalue", "=x", "a[b=1", "a[]x=1", "a:={", "a[][b]=1"] {
            let e = body(&[f]).unwrap_err();
            assert!(matches!(e, rsspot::Error::Invalid { .. }), "{f}: {e}");
        }
        let e = body(&["a=1", "a[b]=2"]).unwrap_err();
        assert!(e.to_string().contains("conflicts"), "{e}");
        let e = body(&["a=1", "a[]=2"]).unwrap_err();
        assert!(e.to_string().contains("conflicts"), "{e}");
    }

    #[test]
    fn query_strings_use_raw_values() {
        let fields: Vec<Field> = ["labelSelector=ngpc.rxt.io/cloudspace=web", "limit=5"]
            .iter()
            .map(|f| parse_field(f).unwrap())
            .collect();
        assert_eq!(
            with_query("/apis/x", &fields),
            "/apis/x?labelSelector=ngpc.rxt.io%2Fcloudspace%3Dweb&limit=5"
        );
        assert_eq!(with_query("/a?b=1", &fields[1..]), "/a?b=1&limit=5");
        assert_eq!(with_query("/a", &[]), "/a");
    }
}
