//! `api`, `completions`, `version` and `demo`: the commands that are not about one resource
//! family.

use std::io::Read;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ctx::Ctx;
/// The one duration parser, importable from here as before (e.g. `--request-timeout`).
pub use crate::progress::parse_duration;

#[cfg(not(feature = "emulator"))]
fn no_emulator() -> rsspot::Error {
    rsspot::Error::config("this rsspot was built without the `emulator` feature")
}

// ----- api ------------------------------------------------------------------------------------

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
    let text = if input == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the body from stdin")?;
        s
    } else {
        std::fs::read_to_string(input).map_err(|e| rsspot::Error::io(input, e))?
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
    if method == "DELETE" && is_collection(&path) {
        ctx.confirm(&format!(
            "DELETE {path} deletes every object of that collection; continue?"
        ))?;
    }
    let answer = if a.paginate {
        client.api_list_all(&path).await?
    } else {
        client.api_request(&method, &path, body.as_ref()).await?
    };
    if answer.is_null() {
        return Ok(());
    }
    ctx.out.data(&answer)
}

/// Whether a Kubernetes-style path names a collection (`…/namespaces/NS/PLURAL`,
/// `/apis/GROUP/VERSION/PLURAL`, `/api/v1/PLURAL`) rather than one object.
fn is_collection(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("", |j| &path[i + 3 + j..]),
        None => path,
    };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segs.as_slice() {
        ["apis", _group, _version, rest @ ..] => rest,
        ["api", _version, rest @ ..] => rest,
        _ => return false,
    };
    match rest {
        ["namespaces", _ns, _plural] => true,
        ["namespaces", ..] => false,
        [_plural] => true,
        _ => false,
    }
}

// ----- completions ----------------------------------------------------------------------------

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(ctx: &Ctx, a: CompletionsArgs) -> Result<()> {
    let mut cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    // Into a buffer first: clap_complete panics on write errors, our printer is EPIPE-safe.
    clap_complete::generate(a.shell, &mut cmd, "rsspot", &mut buf);
    ctx.out.text(&String::from_utf8_lossy(&buf))
}

// ----- version --------------------------------------------------------------------------------

const SPEC: &str = include_str!("../../../../openapi/spot.json");
const SPEC_METADATA: &str = include_str!("../../../../openapi/metadata.json");

/// What `rsspot version` prints.
#[derive(Debug, Serialize, PartialEq)]
pub struct VersionInfo {
    /// Crate version.
    pub version: &'static str,
    /// `info.version` of the vendored OpenAPI spec.
    pub api_version: String,
    /// sha256 of the upstream spec bytes (openapi/metadata.json).
    pub spec_sha256: String,
    /// Operations in the spec.
    pub operation_count: Option<u64>,
    /// Commit the binary was built from (`RSSPOT_GIT_COMMIT` at build time).
    pub git_commit: &'static str,
}

pub fn version_info() -> VersionInfo {
    #[derive(serde::Deserialize)]
    struct Spec {
        info: Info,
    }
    #[derive(serde::Deserialize)]
    struct Info {
        version: String,
    }
    let api_version = serde_json::from_str::<Spec>(SPEC)
        .map(|s| s.info.version)
        .unwrap_or_else(|_| "unknown".into());
    let meta: Value = serde_json::from_str(SPEC_METADATA).unwrap_or(Value::Null);
    VersionInfo {
        version: env!("CARGO_PKG_VERSION"),
        api_version,
        spec_sha256: meta["sha256"].as_str().unwrap_or("unknown").to_string(),
        operation_count: meta["operation_count"].as_u64(),
        git_commit: option_env!("RSSPOT_GIT_COMMIT")
            .filter(|c| !c.is_empty())
            .unwrap_or("unknown"),
    }
}

pub fn version(ctx: &Ctx) -> Result<()> {
    let v = version_info();
    if ctx.out.is_table() {
        return ctx.out.fields(&[
            ("rsspot", v.version.to_string()),
            ("API version", v.api_version.clone()),
            ("spec sha256", v.spec_sha256.clone()),
            (
                "operations",
                v.operation_count.map_or("-".into(), |n| n.to_string()),
            ),
            ("git commit", v.git_commit.to_string()),
        ]);
    }
    match ctx.out.format {
        crate::cli::OutputFormat::Name => ctx.out.text(v.version),
        _ => ctx.out.data(&v),
    }
}

// ----- demo -----------------------------------------------------------------------------------

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Instant lifecycle (no waiting; for tests and the impatient).
    #[arg(long)]
    pub fast: bool,
}

#[cfg(not(feature = "emulator"))]
pub async fn demo(_ctx: &Ctx, _a: DemoArgs) -> Result<()> {
    anyhow::bail!(no_emulator())
}

/// Runs the tour against an in-process emulator (the user's config and state are never touched).
#[cfg(feature = "emulator")]
pub async fn demo(ctx: &Ctx, a: DemoArgs) -> Result<()> {
    demo::run(ctx, a.fast).await
}

#[cfg(feature = "emulator")]
mod demo {
    use std::time::Duration;

    use anyhow::Result;
    use rsspot::SpotClient;
    use rsspot::emulator::{ClockMode, Emulator, EmulatorOptions, Lifecycle};
    use rsspot::pricing::advice::Risk;
    use rsspot::services::{CloudSpaceCreate, SpotPoolCreate, WaitOptions};

    use crate::commands::resources::money;
    use crate::ctx::Ctx;
    use crate::output::{Tabular, dash};

    const CLUSTER: &str = "demo-cluster";
    const PREFERRED_REGION: &str = "us-central-dfw-1";
    const KUBECONFIG_PREVIEW_LINES: usize = 12;

    /// Prints `$ rsspot ...` before each step's output.
    fn step(ctx: &Ctx, title: &str, command: &str) -> Result<()> {
        if title.is_empty() {
            ctx.out.text(&format!("$ rsspot {command}"))
        } else {
            ctx.out.text(&format!("\n# {title}\n$ rsspot {command}"))
        }
    }

    fn wait_options(ctx: &Ctx, fast: bool) -> WaitOptions {
        let quiet = ctx.global.quiet;
        let mut opts = WaitOptions::with_timeout(Duration::from_secs(60)).on_progress(move |ev| {
            if !quiet {
                let detail = if ev.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ev.detail)
                };
                eprintln!(
                    "  {} is {}{detail} [{:.1}s]",
                    ev.what,
                    ev.phase,
                    ev.elapsed.as_secs_f64()
                );
            }
        });
        // Short polls: the emulator's lifecycle takes seconds, not the real service's minutes.
        let poll = if fast {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(500)
        };
        opts.interval = poll;
        opts.max_interval = poll * 2;
        opts
    }

    pub async fn run(ctx: &Ctx, fast: bool) -> Result<()> {
        let opts = EmulatorOptions {
            clock: ClockMode::Wall,
            lifecycle: if fast {
                Lifecycle::instant()
            } else {
                Lifecycle::short()
            },
            ..EmulatorOptions::default()
        };
        let emu = Emulator::start_with(opts).await?;
        ctx.out.text(&format!(
            "rsspot demo: a tour against a Spot API emulator started at {} (org \"demo\").\n\
             Nothing here touches your account, config or state; each step shows the command to run.",
            emu.base_url()
        ))?;
        // Its own in-memory state and no config: the user's profile, cache and history stay
        // untouched.
        let client = SpotClient::builder()
            .all_urls(emu.base_url())
            .refresh_token("demo-token")
            .in_memory_state()
            .build()
            .await?;
        let waits = wait_options(ctx, fast);

        step(ctx, "Where can I run?", "regions list")?;
        let regions = client.regions().list().await?;
        ctx.out.table(
            &<rsspot::raw::types::Region as Tabular>::headers(false),
            regions.iter().map(|r| r.row(false)).collect(),
        )?;
        let region = regions
            .iter()
            .map(Tabular::name)
            .find(|n| n == PREFERRED_REGION)
            .or_else(|| regions.first().map(Tabular::name))
            .ok_or_else(|| anyhow::anyhow!("the emulator has no regions"))?;

        step(
            ctx,
            "What does a server cost there?",
            &format!("pricing list --region {region}"),
        )?;
        let mut rows: Vec<_> = client
            .pricing()
            .rows(1)
            .await?
            .into_iter()
            .filter(|r| r.region == region && r.floor.is_some())
            .filter(|r| r.availability.as_deref() != Some("deprecated"))
            .collect();
        rows.sort_by(|a, b| (a.floor, a.market, &a.name).cmp(&(b.floor, b.market, &b.name)));
        rows.truncate(5);
        let price = |d: Option<rust_decimal::Decimal>| dash(d.map(|d| money(&d.to_string())));
        ctx.out.table(
            &[
                "CLASS",
                "CPU",
                "MEMORY GB",
                "MARKET $/H",
                "FLOOR",
                "P50",
                "ON-DEMAND $/H",
            ],
            rows.iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        dash(r.vcpu),
                        dash(r.memory_gb),
                        price(r.market),
                        price(r.floor),
                        price(r.p50),
                        price(r.on_demand),
                    ]
                })
                .collect(),
        )?;
        let class = rows
            .first()
            .map(|r| r.name.clone())
            .ok_or_else(|| anyhow::anyhow!("no server class with a price in {region}"))?;

        step(
            ctx,
            "Create a cluster and wait until it is Ready",
            &format!("cloudspaces create {CLUSTER} --region {region} --wait"),
        )?;
        client
            .cloudspaces()
            .create(&CloudSpaceCreate::new(CLUSTER).region(&region), None)
            .await?;
        let cs = client
            .cloudspaces()
            .wait_until_ready(CLUSTER, None, &waits)
            .await?;
        let status = cs.status.clone().unwrap_or_default();
        ctx.out.table(
            &["NAME", "REGION", "PHASE", "HEALTH", "K8S", "ENDPOINT"],
            vec![vec![
                CLUSTER.to_string(),
                region.clone(),
                dash(status.phase.as_ref()),
                dash(status.health.as_ref()),
                dash(
                    status
                        .current_kubernetes_version
                        .as_ref()
                        .or(cs.spec.as_ref().and_then(|s| s.kubernetes_version.as_ref())),
                ),
                dash(status.api_server_endpoint.as_ref()),
            ]],
        )?;

        step(
            ctx,
            "What should I bid?",
            &format!("pricing bid {class} --risk med"),
        )?;
        let advice = client.pricing().advise(&class, Risk::Med).await?;
        let mut lines = vec![format!(
            "bid {} $/h for {class} (based on {}; floor {})",
            advice.bid,
            advice.basis,
            money(&advice.floor.to_string())
        )];
        lines.extend(advice.reasoning.iter().map(|r| format!("  - {r}")));
        ctx.out.text(&lines.join("\n"))?;

        step(
            ctx,
            "Add two spot nodes at that bid and wait until they are won",
            &format!(
                "nodepools spot create --cloudspace {CLUSTER} --server-class {class} --desired 2 --bid-price {} --wait",
                advice.bid
            ),
        )?;
        let pool = client
            .spot_pools()
            .create(&SpotPoolCreate::new(CLUSTER, &class, 2, advice.bid), None)
            .await?;
        let pool_name = Tabular::name(&PoolName(&pool));
        let pool = client
            .spot_pools()
            .wait_until_fulfilled(&pool_name, None, &waits)
            .await?;
        let spec = pool.spec.clone().unwrap_or_default();
        let st = pool.status.clone().unwrap_or_default();
        ctx.out.table(
            &["NAME", "CLASS", "BID", "DESIRED", "WON", "STATUS"],
            vec![vec![
                pool_name.clone(),
                dash(spec.server_class.as_ref()),
                dash(spec.bid_price.as_ref()),
                dash(spec.desired),
                dash(st.won_count),
                dash(st.bid_status.as_ref()),
            ]],
        )?;

        step(
            ctx,
            "Get a kubeconfig (--file PATH writes it, --merge adds it to ~/.kube/config)",
            &format!("cloudspaces kubeconfig {CLUSTER}"),
        )?;
        let kubeconfig = client.cloudspaces().kubeconfig(CLUSTER, None).await?;
        // Only the cluster part: the users section further down carries a token.
        let preview: Vec<&str> = kubeconfig
            .lines()
            .take_while(|l| !l.starts_with("contexts:") && !l.starts_with("users:"))
            .take(KUBECONFIG_PREVIEW_LINES)
            .collect();
        let context = kubeconfig
            .lines()
            .find_map(|l| l.strip_prefix("current-context: "))
            .unwrap_or("-");
        ctx.out.text(&format!(
            "{}\n... ({} lines in all; current-context: {context})",
            preview.join("\n"),
            kubeconfig.lines().count()
        ))?;

        step(
            ctx,
            "Clean up",
            &format!("nodepools spot delete {pool_name} --yes"),
        )?;
        client.spot_pools().delete(&pool_name, None).await?;
        ctx.out.text(&format!("spot pool {pool_name} deleted"))?;
        step(ctx, "", &format!("cloudspaces delete {CLUSTER} --yes"))?;
        client
            .cloudspaces()
            .delete_with_pools(CLUSTER, None)
            .await?;
        wait_gone(&client, &waits).await?;
        ctx.out.text(&format!(
            "cloudspace {CLUSTER} deleted (with its node pools)"
        ))?;

        ctx.out.text(
            "\nNext steps:\n  \
             rsspot configure                  store your Rackspace Spot refresh token\n  \
             rsspot emulator serve             run this emulator yourself and script against it\n  \
             rsspot --help                     every command",
        )?;
        emu.shutdown().await;
        Ok(())
    }

    /// Polls (uncached) until the cloudspace is gone.
    async fn wait_gone(client: &SpotClient, waits: &WaitOptions) -> Result<()> {
        let client = client.without_cache();
        let started = std::time::Instant::now();
        loop {
            match client.cloudspaces().get(CLUSTER, None).await {
                Err(rsspot::Error::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(_) if started.elapsed() > waits.timeout => {
                    anyhow::bail!(rsspot::Error::Timeout {
                        what: format!("cloudspace {CLUSTER:?} to be deleted"),
                        elapsed: started.elapsed(),
                        last_seen: Some("Deleting".into()),
                    })
                }
                Ok(_) => tokio::time::sleep(waits.interval).await,
            }
        }
    }

    /// The name of a created pool (the SDK generated it).
    struct PoolName<'a>(&'a rsspot::raw::types::SpotNodePool);

    impl Tabular for PoolName<'_> {
        fn headers(_: bool) -> Vec<&'static str> {
            vec!["NAME"]
        }
        fn row(&self, _: bool) -> Vec<String> {
            vec![self.name()]
        }
        fn name(&self) -> String {
            self.0
                .metadata
                .as_ref()
                .and_then(|m| m.name.clone())
                .unwrap_or_default()
        }
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

    #[test]
    fn collections_are_recognised() {
        for p in [
            "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/cloudspaces",
            "apis/ngpc.rxt.io/v1/namespaces/org-x/spotnodepools?labelSelector=a",
            "/apis/ngpc.rxt.io/v1/regions",
            "https://spot.rackspace.com/apis/ngpc.rxt.io/v1/namespaces/org-x/cloudspaces/",
            "/api/v1/nodes",
        ] {
            assert!(is_collection(p), "{p}");
        }
        for p in [
            "/apis/ngpc.rxt.io/v1/namespaces/org-x/cloudspaces/demo",
            "/apis/ngpc.rxt.io/v1/namespaces/org-x",
            "/apis/ngpc.rxt.io/v1/regions/uk-lon-1",
            "/oauth/token",
        ] {
            assert!(!is_collection(p), "{p}");
        }
    }

    #[test]
    fn version_info_comes_from_the_vendored_spec() {
        let v = version_info();
        assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
        let spec: Value = serde_json::from_str(SPEC).unwrap();
        assert_eq!(v.api_version, spec["info"]["version"].as_str().unwrap());
        assert_eq!(v.spec_sha256.len(), 64);
        assert!(v.spec_sha256.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(v.operation_count, Some(28));
    }
}
