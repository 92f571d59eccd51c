//! The token service (refresh-token grant, optional rotation), bearer checks and
//! generate-kubeconfig: everything that takes a refresh token or checks an id token.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::jwt::{self, CLIENT_ID, Claims};
use super::reply::{self, Reply};
use super::seed::{SeedOrg, namespace_for};
use super::store::{Kind, Store};
use super::variants::{BadRefreshToken, KubeconfigUnknown, TokenRotation};
use crate::request::{Ctx, Req};

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn mint_for(ctx: &Ctx<'_>, org: &SeedOrg) -> String {
    let iat = ctx.now.timestamp();
    let lifetime = i64::try_from(ctx.token_lifetime.as_secs()).unwrap_or(i64::MAX / 2);
    jwt::mint(
        ctx.secret,
        &Claims {
            org_id: &org.id,
            org_name: &org.name,
            issuer: &format!("{}/", ctx.base_url),
            iat,
            exp: iat.saturating_add(lifetime),
        },
    )
}

pub(crate) fn token(store: &mut Store, ctx: &Ctx<'_>, req: &Req<'_>) -> Reply {
    let form: BTreeMap<String, String> = match serde_urlencoded::from_bytes(req.body) {
        Ok(f) => f,
        Err(_) => {
            return oauth_error(
                400,
                "invalid_request",
                "The request body must be form-encoded.",
            );
        }
    };
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return oauth_error(
            401,
            "access_denied",
            "Unauthorized: unsupported grant_type (expected refresh_token).",
        );
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return oauth_error(401, "access_denied", "Unauthorized: unknown client_id.");
    }
    let used = form.get("refresh_token").cloned().unwrap_or_default();
    let Some(org) = org_of_refresh_token(store, ctx, &used) else {
        return match ctx.variants.bad_refresh_token {
            BadRefreshToken::Auth0 => {
                oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.")
            }
            BadRefreshToken::Spec => oauth_error(401, "access_denied", "Unauthorized"),
        };
    };
    let access = uuid::Uuid::new_v4().simple().to_string();
    let mut body = json!({
        "access_token": access,
        "id_token": mint_for(ctx, org),
        "scope": "openid profile email offline_access",
        "expires_in": ctx.token_lifetime.as_secs(),
        "token_type": "Bearer",
    });
    if ctx.variants.token_rotation == TokenRotation::On {
        // Auth0 rotation: the used token is spent, the answer carries its successor.
        let next = format!("{}-rt-{}", org.name, uuid::Uuid::new_v4().simple());
        store.revoked.insert(used);
        store.issued.insert(next.clone(), org.id.clone());
        body["refresh_token"] = json!(next);
    }
    Reply::json(200, &body)
}

/// The organization a still-valid refresh token (seeded or issued by rotation) belongs to.
fn org_of_refresh_token<'a>(store: &Store, ctx: &Ctx<'a>, token: &str) -> Option<&'a SeedOrg> {
    if token.is_empty() || store.revoked.contains(token) {
        return None;
    }
    ctx.seed.org_by_token(token).or_else(|| {
        let id = store.issued.get(token)?;
        ctx.seed.orgs.iter().find(|o| &o.id == id)
    })
}

/// Checks the bearer and returns the organization it belongs to.
pub(crate) fn authenticate<'a>(ctx: &Ctx<'a>, req: &Req<'_>) -> Result<&'a SeedOrg, Reply> {
    let header = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(Reply::text(401, jwt::BearerError::Missing.text()));
    };
    let claims = jwt::verify(ctx.secret, token, ctx.now.timestamp())
        .map_err(|e| Reply::text(401, e.text()))?;
    let org_id = claims.get("org_id").and_then(Value::as_str).unwrap_or("");
    ctx.seed
        .orgs
        .iter()
        .find(|o| o.id == org_id)
        .ok_or_else(|| Reply::text(401, jwt::BearerError::BadSignature.text()))
}

pub(crate) fn kubeconfig(store: &Store, ctx: &Ctx<'_>, req: &Req<'_>) -> Reply {
    let body: Value = serde_json::from_slice(req.body).unwrap_or(Value::Null);
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let (Some(org_name), Some(cs_name), Some(token)) = (
        field("organization_name"),
        field("cloudspace_name"),
        field("refresh_token"),
    ) else {
        return oauth_error(
            400,
            "bad_request",
            "Missing or invalid organization_name, cloudspace_name or refresh_token.",
        );
    };
    let Some(org) = org_of_refresh_token(store, ctx, &token) else {
        return oauth_error(401, "access_denied", "Invalid or expired refresh token.");
    };
    if org.name != org_name {
        return oauth_error(
            401,
            "access_denied",
            "The refresh token does not belong to this organization.",
        );
    }
    let ns = namespace_for(&org.id);
    let Some(cs) = store.get(Kind::CloudSpace, &ns, &cs_name) else {
        return match ctx.variants.kubeconfig_unknown {
            KubeconfigUnknown::NotFound => reply::not_found("cloudspaces", &cs_name),
            KubeconfigUnknown::BadRequest => oauth_error(
                400,
                "bad_request",
                &format!("cloudspace {cs_name:?} not found in organization {org_name:?}"),
            ),
        };
    };
    let Some(endpoint) = cs
        .pointer("/status/APIServerEndpoint")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return reply::status(
            409,
            "Conflict",
            &format!("cloudspace \"{cs_name}\" is not ready yet: it has no API server endpoint"),
            Some(json!({"name": cs_name, "group": "ngpc.rxt.io", "kind": "cloudspaces"})),
        );
    };
    let ctx_name = format!("{}-{cs_name}", org.name);
    let yaml = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    insecure-skip-tls-verify: true\n    server: https://{endpoint}\n  name: {cs_name}\ncontexts:\n- context:\n    cluster: {cs_name}\n    namespace: default\n    user: ngpc-user\n  name: {ctx_name}\n- context:\n    cluster: {cs_name}\n    namespace: default\n    user: oidc\n  name: {ctx_name}-oidc\ncurrent-context: {ctx_name}\nkind: Config\npreferences: {{}}\nusers:\n- name: ngpc-user\n  user:\n    token: {token}\n- name: oidc\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubectl\n      args:\n        - oidc-login\n        - get-token\n        - --oidc-issuer-url={base}/\n        - --oidc-client-id={CLIENT_ID}\n        - --oidc-extra-scope=openid\n        - --oidc-extra-scope=profile\n        - --oidc-extra-scope=email\n        - --oidc-auth-request-extra-params=organization={org_id}\n        - --token-cache-dir=~/.kube/cache/oidc-login/{org_id}\n      provideClusterInfo: false\n      interactiveMode: IfAvailable\n",
        token = mint_for(ctx, org),
        base = ctx.base_url,
        org_id = org.id,
    );
    Reply::json(
        200,
        &json!({"data": {"kubeconfig": yaml}, "message": "kubeconfig generated successfully",
            "status_code": 200}),
    )
}
