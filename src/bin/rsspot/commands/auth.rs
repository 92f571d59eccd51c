//! `auth kube-token` (a client-go exec credential plugin) and `auth status`.
//!
//! kubectl runs `rsspot auth kube-token --profile P --org O` once per command, so the token comes
//! from the persisted token cache while it is fresh (no request at all) and from one exchange of
//! the profile's refresh token otherwise. Nothing but the credential goes to stdout; a failure is
//! one line on stderr and a non-zero exit, which kubectl shows as it is.

use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use rsspot::SpotClient;
use rsspot::cli_support::{EXPIRY_SKEW, decode_claims, namespace_for_org_id};
use rsspot::config::RefreshTokenOrigin;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::ctx::Ctx;

/// The ExecCredential version kubectl gets when it does not say which it wants.
const EXEC_V1: &str = "client.authentication.k8s.io/v1";
/// The older version some kubeconfigs (and older kubectls) ask for.
const EXEC_V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

/// Credentials subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCmd {
    /// Print a kubectl ExecCredential holding a valid id token (used by kubeconfigs that
    /// `cloudspaces kubeconfig` writes; never prompts).
    ///
    /// The whole command ends within 20s (or `--request-timeout`, when given), so kubectl never
    /// hangs on an unreachable token service; it then fails with exit code 5.
    KubeToken,
    /// Show the profile, organization, identity, token expiry and where the refresh token
    /// comes from.
    Status(StatusArgs),
}

/// `auth status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exchange the refresh token once, to prove it works (otherwise nothing is sent).
    #[arg(long)]
    pub verify: bool,
}

/// Runs an `auth` subcommand.
pub async fn run(ctx: &Ctx, cmd: AuthCmd) -> Result<()> {
    match cmd {
        AuthCmd::KubeToken => kube_token(ctx).await,
        AuthCmd::Status(a) => status(ctx, a).await,
    }
}

/// The apiVersion kubectl asks for in `KUBERNETES_EXEC_INFO` (v1 when it says nothing).
fn exec_api_version(exec_info: Option<&str>) -> &'static str {
    let asked = exec_info
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| {
            v.get("apiVersion")
                .and_then(|a| a.as_str())
                .map(String::from)
        });
    match asked.as_deref() {
        Some(EXEC_V1BETA1) => EXEC_V1BETA1,
        _ => EXEC_V1,
    }
}

/// The credential kubectl reads: the token and when kubectl must ask again (the token's expiry
/// minus the refresh skew, so it never sends a token rsspot itself would replace).
fn exec_credential(api_version: &str, token: &SecretString, exp: DateTime<Utc>) -> String {
    let skew = chrono::Duration::from_std(EXPIRY_SKEW).unwrap_or_default();
    let expires = (exp - skew).to_rfc3339_opts(SecondsFormat::Secs, true);
    json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": false},
        "status": {"expirationTimestamp": expires, "token": token.expose_secret()},
    })
    .to_string()
}

/// Checks that the token belongs to the organization the kubeconfig names.
async fn check_org(client: &SpotClient, org: Option<&str>, token: &SecretString) -> Result<()> {
    let Some(org) = org else { return Ok(()) };
    let want = client.namespace(Some(org)).await?;
    let have = decode_claims(token.expose_secret())
        .and_then(|c| c.org_id)
        .map(|id| namespace_for_org_id(&id));
    match have {
        Some(have) if have != want => Err(rsspot::Error::invalid(
            "--org",
            format!(
                "the profile's refresh token belongs to {have}, not {want}: pass the profile of that organization"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// The bound on a whole `auth kube-token` run when `--request-timeout` does not set one: kubectl
/// runs the plugin in the foreground of an interactive command, and waits as long as it takes.
pub const KUBE_TOKEN_DEADLINE: Duration = Duration::from_secs(20);

async fn kube_token(ctx: &Ctx) -> Result<()> {
    let started = Instant::now();
    let bound = ctx.global.request_timeout.unwrap_or(KUBE_TOKEN_DEADLINE);
    // Counted from the start: loading the configuration and state is part of the run.
    let client = ctx.client().await?.with_deadline(started + bound);
    let (token, exp) = client.id_token().await?;
    check_org(&client, ctx.org(), &token).await?;
    let info = std::env::var("KUBERNETES_EXEC_INFO").ok();
    let credential = exec_credential(exec_api_version(info.as_deref()), &token, exp);
    // Straight to stdout whatever `-o` says: kubectl parses this and nothing else.
    ctx.out.text(&credential)
}

/// Where the refresh token comes from, in words (never the token).
fn origin_text(origin: &RefreshTokenOrigin) -> String {
    match origin {
        RefreshTokenOrigin::None => "none (run `rsspot configure`)".into(),
        RefreshTokenOrigin::Override => "a command-line or SDK override".into(),
        RefreshTokenOrigin::Env { var } => format!("environment variable {var}"),
        RefreshTokenOrigin::Runtime => "configuration given in code".into(),
        RefreshTokenOrigin::ConfigFile { path, profile } => {
            format!("config file {} (profile {profile})", path.display())
        }
        RefreshTokenOrigin::Legacy { path } => format!("spotctl's config {}", path.display()),
        other => format!("{other:?}"),
    }
}

async fn status(ctx: &Ctx, a: StatusArgs) -> Result<()> {
    let resolved = ctx.resolved().await?;
    let s = &resolved.settings;
    let identity = s
        .refresh_token
        .as_ref()
        .map(rsspot::cli_support::identity_of)
        .unwrap_or_else(|| "-".into());
    let cached = match (ctx.state().await, s.refresh_token.as_ref()) {
        (Ok((state, _)), Some(_)) => state
            .token_get(&s.profile, &identity)
            .await
            .ok()
            .flatten()
            .map(|t| t.expires_at),
        _ => None,
    };
    let mut token_line = match cached {
        Some(exp) if exp > Utc::now() => format!(
            "cached, expires {}",
            exp.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        Some(_) => "cached token expired (the next command exchanges a new one)".into(),
        None => "none cached (the next command exchanges one)".into(),
    };
    let mut org = s.org.clone().or_else(|| ctx.org().map(String::from));
    if a.verify {
        // A client without the token cache: this exchange proves the refresh token works. It
        // ends by `--request-timeout` (or the profile's), like any call.
        let mut builder = SpotClient::builder()
            .settings(s)
            .in_memory_state()
            .token_cache(false);
        if let Some(t) = ctx.global.request_timeout {
            builder = builder.timeout(t);
        }
        let client = builder.build().await?;
        let (token, exp) = client.id_token().await?;
        token_line = format!(
            "verified now: a new id token expires {}",
            exp.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        if let Some(id) = decode_claims(token.expose_secret()).and_then(|c| c.org_id) {
            org = Some(format!(
                "{} ({id}, namespace {})",
                org.unwrap_or_else(|| "-".into()),
                namespace_for_org_id(&id)
            ));
        }
    }
    let pairs = [
        ("profile", s.profile.clone()),
        ("organization", org.unwrap_or_else(|| "-".into())),
        ("identity", identity),
        ("token", token_line),
        ("refresh token", origin_text(&s.refresh_token_origin)),
    ];
    if ctx.out.is_table() {
        ctx.out.fields(&pairs)
    } else {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| (k.replace(' ', "_"), json!(v)))
            .collect();
        ctx.out.data(&map)
    }
}

impl crate::shape::Shaped for AuthCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            // kubectl runs it before every call: JSON by contract, no history line.
            AuthCmd::KubeToken => Shape::JSON_ONLY.unrecorded(),
            AuthCmd::Status(_) => Shape::REPORT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_info_picks_the_version() {
        assert_eq!(exec_api_version(None), EXEC_V1);
        assert_eq!(exec_api_version(Some("not json")), EXEC_V1);
        let beta = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#;
        assert_eq!(exec_api_version(Some(beta)), EXEC_V1BETA1);
        let v1 = r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
        assert_eq!(exec_api_version(Some(v1)), EXEC_V1);
    }

    #[test]
    fn credential_expires_a_skew_before_the_token() {
        let exp = DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = exec_credential(EXEC_V1, &SecretString::from("T".to_string()), exp);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["kind"], "ExecCredential");
        assert_eq!(v["apiVersion"], EXEC_V1);
        assert_eq!(v["status"]["token"], "T");
        assert_eq!(v["status"]["expirationTimestamp"], "2030-01-02T03:03:05Z");
        assert!(!text.contains('\n'));
    }
}
