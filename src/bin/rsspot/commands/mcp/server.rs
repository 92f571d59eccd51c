//! The MCP handler: the table of tools, the dispatch, and how a result or an error becomes a
//! tool result (structured content plus a short text; errors as `isError` in the CLI's words).

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::ServerHandler;
use rmcp::handler::server::common::schema_for_input;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rsspot::SpotClient;
use rsspot::pricing::guard::SpendLimits;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::confirm::Tokens;
use super::{fleet, reads, writes};

/// What a tool answers: data for programs and one line for people.
pub struct Answer {
    /// The structured content (an object).
    pub data: Value,
    /// A short summary.
    pub text: String,
}

impl Answer {
    /// `data` (wrapped as `{"items": [...]}` when it is not an object) and `text`.
    pub fn new(data: impl serde::Serialize, text: impl Into<String>) -> anyhow::Result<Answer> {
        let data = match serde_json::to_value(data)? {
            Value::Object(o) => Value::Object(o),
            Value::Array(items) => serde_json::json!({ "count": items.len(), "items": items }),
            other => serde_json::json!({ "value": other }),
        };
        Ok(Answer {
            data,
            text: text.into(),
        })
    }
}

/// The server's state: the client of the profile, the organization asked for, the limits.
pub struct SpotTools {
    /// The API client of the profile.
    pub client: SpotClient,
    /// `--org`, when given.
    pub org: Option<String>,
    /// The profile's spending limits.
    pub limits: SpendLimits,
    /// Whether the write tools are offered.
    allow_writes: bool,
    /// Confirmation tokens handed out by plans.
    pub tokens: Tokens,
    /// Fleet plans waiting for their token (`apply_fleet`).
    pub fleet_plans: fleet::PlannedFleets,
    /// Credentials of the profile: no result may contain them.
    secrets: Vec<SecretString>,
}

/// One tool of the table.
pub(super) struct Spec {
    name: &'static str,
    description: &'static str,
    schema: fn() -> Result<Arc<JsonObject>, String>,
    write: bool,
}

fn spec<A: schemars::JsonSchema + 'static>(
    name: &'static str,
    description: &'static str,
    write: bool,
) -> Spec {
    Spec {
        name,
        description,
        schema: schema_for_input::<A>,
        write,
    }
}

/// Every tool: the reads, then the writes (offered only with `--allow-writes`).
fn table() -> Vec<Spec> {
    let mut all = reads::specs();
    all.extend(writes::specs());
    all.extend(fleet::specs());
    all
}

/// A read tool's entry (used by [`reads::specs`]).
pub(super) fn read_tool<A: schemars::JsonSchema + 'static>(
    name: &'static str,
    description: &'static str,
) -> Spec {
    spec::<A>(name, description, false)
}

/// A write tool's entry (used by [`writes::specs`]).
pub(super) fn write_tool<A: schemars::JsonSchema + 'static>(
    name: &'static str,
    description: &'static str,
) -> Spec {
    spec::<A>(name, description, true)
}

impl SpotTools {
    /// The server of one profile.
    pub fn new(
        client: SpotClient,
        org: Option<String>,
        limits: SpendLimits,
        allow_writes: bool,
        secrets: Vec<SecretString>,
    ) -> SpotTools {
        SpotTools {
            client,
            org,
            limits,
            allow_writes,
            tokens: Tokens::default(),
            fleet_plans: fleet::PlannedFleets::default(),
            secrets,
        }
    }

    /// The organization handle of every call.
    pub fn org(&self) -> rsspot::Org<'_> {
        self.client.org_or_default(self.org.as_deref())
    }

    fn offered(&self) -> Vec<Tool> {
        table()
            .into_iter()
            .filter(|s| self.allow_writes || !s.write)
            .filter_map(|s| {
                let schema = match (s.schema)() {
                    Ok(schema) => schema,
                    Err(e) => {
                        tracing::warn!("tool {} left out: its input schema: {e}", s.name);
                        return None;
                    }
                };
                let annotations = ToolAnnotations::new()
                    .read_only(!s.write)
                    .destructive(s.write);
                Some(
                    Tool::new(Cow::Borrowed(s.name), Cow::Borrowed(s.description), schema)
                        .annotate(annotations),
                )
            })
            .collect()
    }

    async fn dispatch(&self, name: &str, args: JsonObject) -> anyhow::Result<Answer> {
        if !self.allow_writes && writes::is_write(name) {
            anyhow::bail!(
                "tool {name:?} changes things; this server is read-only (start it with `rsspot mcp --allow-writes`)"
            );
        }
        if let Some(answer) = reads::call(self, name, &args).await {
            return answer;
        }
        if let Some(answer) = writes::call(self, name, &args).await {
            return answer;
        }
        if let Some(answer) = fleet::call(self, name, &args).await {
            return answer;
        }
        anyhow::bail!("unknown tool {name:?}; list the tools to see what this server offers")
    }

    /// An answer or an error as the tool result the client sees, scrubbed of secrets.
    fn result(&self, outcome: anyhow::Result<Answer>) -> CallToolResult {
        match outcome {
            Ok(mut answer) => {
                scrub(&mut answer.data, &self.secrets);
                let mut text = Value::String(answer.text);
                scrub(&mut text, &self.secrets);
                let text = text.as_str().unwrap_or_default().to_string();
                let mut r = CallToolResult::structured(answer.data);
                r.content = vec![ContentBlock::text(text)];
                r
            }
            Err(e) => {
                let mut text = Value::String(error_text(&e));
                scrub(&mut text, &self.secrets);
                CallToolResult::error(vec![ContentBlock::text(
                    text.as_str().unwrap_or_default().to_string(),
                )])
            }
        }
    }
}

/// Arguments as the tool's typed input (a refusal in words when they do not fit).
pub fn parse<A: DeserializeOwned>(tool: &str, args: &JsonObject) -> anyhow::Result<A> {
    serde_json::from_value(Value::Object(args.clone()))
        .map_err(|e| anyhow::anyhow!("invalid arguments for {tool}: {e}"))
}

/// The CLI's wording of an error: its `error:` line, and its hint on a second line.
pub fn error_text(e: &anyhow::Error) -> String {
    let (line, hint) = crate::output::error_lines(e);
    match hint {
        Some(hint) => format!("{line}\nhint: {hint}"),
        None => line,
    }
}

/// Keys whose values are credentials wherever they appear.
const SECRET_KEYS: &[&str] = &[
    "token",
    "refresh_token",
    "refreshToken",
    "access_token",
    "accessToken",
    "id_token",
    "password",
    "client-key-data",
    "client-certificate-data",
    "kubeconfig",
];

/// Replaces credentials in `value`: the profile's tokens wherever they occur, anything shaped
/// like a JWT, and the values of credential keys.
pub fn scrub(value: &mut Value, secrets: &[SecretString]) {
    match value {
        Value::String(s) => {
            let leaks = secrets
                .iter()
                .map(|t| t.expose_secret())
                .any(|t| !t.is_empty() && s.contains(t));
            if leaks || looks_like_jwt(s) {
                *s = "<redacted>".into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, secrets)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s)) && !v.is_null() {
                    *v = Value::String("<redacted>".into());
                } else {
                    scrub(v, secrets);
                }
            }
        }
        _ => {}
    }
}

/// `eyJ…` (a base64url JSON header) followed by two more dot-separated parts.
fn looks_like_jwt(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        let w = w.trim_start_matches("Bearer");
        w.contains("eyJ") && w.split('.').filter(|p| !p.is_empty()).count() >= 3
    })
}

impl ServerHandler for SpotTools {
    fn get_info(&self) -> ServerConfig {
        let mode = if self.allow_writes {
            "Writes are two steps: call a write tool without `confirm` to get the plan (body, \
             cost, concerns) and a confirmation token, then call it again with the same \
             arguments and `confirm` set to that token (apply_fleet needs only the token)."
        } else {
            "Read-only: the write tools exist only when the server is started with --allow-writes."
        };
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("rsspot", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Rackspace Spot through rsspot's profile: organizations, regions, server \
                 classes, prices, bid advice, and every kind of resource. {mode}"
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.offered()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let outcome = self.dispatch(&request.name, args).await;
        Ok(self.result(outcome).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_tokens_jwts_and_credential_keys() {
        let secrets = vec![SecretString::from("demo-token".to_string())];
        let mut v = serde_json::json!({
            "a": "x demo-token y",
            "b": ["eyJhbGciOi.eyJzdWIi.sig"],
            "token": "anything",
            "name": "pool-1",
            "n": 3
        });
        scrub(&mut v, &secrets);
        assert_eq!(v["a"], "<redacted>");
        assert_eq!(v["b"][0], "<redacted>");
        assert_eq!(v["token"], "<redacted>");
        assert_eq!(v["name"], "pool-1");
        assert_eq!(v["n"], 3);
    }

    #[test]
    fn every_tool_has_a_valid_input_schema_and_a_unique_name() {
        let all = table();
        let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for s in &all {
            assert!((s.schema)().is_ok(), "{}", s.name);
            assert_eq!(s.write, writes::is_write(s.name), "{}", s.name);
        }
    }

    #[test]
    fn the_help_lists_every_tool() {
        for s in table() {
            assert!(
                super::super::TOOLS_HELP.contains(s.name),
                "{} is not in `rsspot mcp --help`",
                s.name
            );
        }
    }
}
