//! The emulated cluster API: each Ready cloudspace answers as a (very small) Kubernetes API
//! server under `/k8s/<namespace>/<cloudspace>` on the emulator's own port, enough for
//! `kubectl get nodes` and `kubectl get namespaces` (discovery included).
//!
//! kubectl sends no bearer token to a plain-`http` server, so the port also speaks TLS: a
//! connection whose first byte is a TLS handshake record is served over TLS with a self-signed
//! certificate made once per process (the generated kubeconfigs say
//! `insecure-skip-tls-verify: true`, as the real ones do). Only an unexpired id token of the
//! cloudspace's organisation is accepted, on the emulator's clock; anything else gets 401.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::oauth;
use super::reply::Reply;
use super::store::{CLOUDSPACE_LABEL, Kind, Store, matches, parse_selector, stable_uuid};
use crate::request::{Ctx, Req};
use crate::{Error, Result};

/// The path prefix under which every cloudspace's cluster API is served.
pub(crate) const PREFIX: &str = "/k8s/";

/// The first byte of a TLS connection (a handshake record).
const TLS_HANDSHAKE: u8 = 0x16;

/// The TLS acceptor of every emulator in this process (a self-signed certificate for
/// `127.0.0.1` and `localhost`).
pub(crate) fn tls_acceptor() -> Result<TlsAcceptor> {
    static CONFIG: OnceLock<std::result::Result<Arc<rustls::ServerConfig>, String>> =
        OnceLock::new();
    CONFIG
        .get_or_init(|| server_config().map(Arc::new))
        .clone()
        .map(TlsAcceptor::from)
        .map_err(|message| Error::Tls { message })
}

fn server_config() -> std::result::Result<rustls::ServerConfig, String> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(|e| e.to_string())?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.key_pair.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Whether the client opened this connection with a TLS handshake.
pub(crate) async fn starts_with_tls(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0] == TLS_HANDSHAKE)
}

/// `APIServerEndpoint` of cloudspace `name` in `ns` when the emulator listens on `authority`
/// (`127.0.0.1:PORT`).
pub(crate) fn endpoint(authority: &str, ns: &str, name: &str) -> String {
    format!("{authority}{PREFIX}{ns}/{name}")
}

/// A Kubernetes `Status` answer.
fn status(code: u16, reason: &str, message: &str) -> Reply {
    Reply::json(
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}),
    )
}

/// Handles `rest` = `<namespace>/<cloudspace>/<kubernetes path>` (the part after [`PREFIX`]).
pub(crate) fn route(store: &Store, ctx: &Ctx<'_>, req: &Req<'_>, rest: &str) -> Reply {
    let mut segs = rest.splitn(3, '/');
    let (Some(ns), Some(cs_name)) = (segs.next(), segs.next()) else {
        return Reply::text(404, "404 page not found");
    };
    let path = segs.next().unwrap_or("");
    let ready = store
        .get(Kind::CloudSpace, ns, cs_name)
        .filter(|cs| {
            cs.pointer("/status/APIServerEndpoint")
                .and_then(Value::as_str)
                .is_some_and(|e| !e.is_empty())
        })
        .cloned();
    let Some(cs) = ready else {
        // No such cluster: a real client would not even reach a server.
        return Reply::text(404, "404 page not found: no Ready cloudspace there");
    };
    match oauth::authenticate(ctx, req) {
        Ok(org) if org.namespace() == ns => {}
        Ok(_) => return status(401, "Unauthorized", "Unauthorized"),
        Err(_) => return status(401, "Unauthorized", "Unauthorized"),
    }
    if req.method != http::Method::GET {
        return status(
            405,
            "MethodNotAllowed",
            "the emulated cluster API is read-only",
        );
    }
    let version = cs
        .pointer("/status/currentKubernetesVersion")
        .and_then(Value::as_str)
        .unwrap_or("1.31.1")
        .to_string();
    match path {
        "version" => version_info(&version),
        "api" => Reply::json(
            200,
            &json!({"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ctx.base_url.trim_start_matches("http://")}]}),
        ),
        "apis" => Reply::json(
            200,
            &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []}),
        ),
        "api/v1" => resources(),
        "api/v1/namespaces" => list(req, "Namespace", namespaces(&cs)),
        "api/v1/nodes" => list(req, "Node", nodes(store, ns, cs_name, &version, &cs)),
        other => {
            let found = if let Some(name) = other.strip_prefix("api/v1/nodes/") {
                nodes(store, ns, cs_name, &version, &cs)
                    .into_iter()
                    .find(|n| n.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
                    .ok_or(("nodes", name))
            } else if let Some(name) = other.strip_prefix("api/v1/namespaces/") {
                namespaces(&cs)
                    .into_iter()
                    .find(|n| n.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
                    .ok_or(("namespaces", name))
            } else {
                return Reply::text(404, "404 page not found");
            };
            match found {
                Ok(doc) => Reply::json(200, &doc),
                Err((plural, name)) => {
                    status(404, "NotFound", &format!("{plural} \"{name}\" not found"))
                }
            }
        }
    }
}

fn version_info(version: &str) -> Reply {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("0");
    Reply::json(
        200,
        &json!({"major": major, "minor": minor, "gitVersion": format!("v{version}"),
            "gitCommit": "emulator", "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z",
            "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64"}),
    )
}

/// `/api/v1`: the resources kubectl needs to resolve `nodes`/`no` and `namespaces`/`ns`.
fn resources() -> Reply {
    let verbs = json!(["get", "list"]);
    Reply::json(
        200,
        &json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "namespaces", "singularName": "namespace", "namespaced": false,
                "kind": "Namespace", "verbs": verbs, "shortNames": ["ns"]},
            {"name": "nodes", "singularName": "node", "namespaced": false, "kind": "Node",
                "verbs": verbs, "shortNames": ["no"]},
        ]}),
    )
}

fn created_at(cs: &Value) -> Value {
    cs.pointer("/status/firstReadyTimestamp")
        .or_else(|| cs.pointer("/metadata/creationTimestamp"))
        .cloned()
        .unwrap_or(Value::Null)
}

fn namespaces(cs: &Value) -> Vec<Value> {
    ["default", "kube-node-lease", "kube-public", "kube-system"]
        .iter()
        .map(|name| {
            json!({"kind": "Namespace", "apiVersion": "v1",
                "metadata": {"name": name, "uid": stable_uuid(&format!("ns/{name}")),
                    "creationTimestamp": created_at(cs),
                    "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        })
        .collect()
}

/// One Ready node per won (spot) or reserved (on-demand) server of the cloudspace's pools.
fn nodes(store: &Store, ns: &str, cs_name: &str, version: &str, cs: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for (kind, count_at) in [
        (Kind::SpotNodePool, "/status/wonCount"),
        (Kind::OnDemandNodePool, "/status/reservedCount"),
    ] {
        let pools = store.list(kind, ns, &[]);
        for pool in pools
            .iter()
            .filter(|p| p.pointer("/spec/cloudSpace").and_then(Value::as_str) == Some(cs_name))
        {
            let name = pool
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("pool");
            let class = pool
                .pointer("/spec/serverClass")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            let count = pool.pointer(count_at).and_then(Value::as_i64).unwrap_or(0);
            let short: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect();
            for i in 0..count {
                let node = format!("{class}-{short}-{i}").replace('.', "-");
                out.push(json!({"kind": "Node", "apiVersion": "v1",
                    "metadata": {"name": node, "uid": stable_uuid(&format!("node/{ns}/{node}")),
                        "creationTimestamp": created_at(cs),
                        "labels": {
                            "kubernetes.io/hostname": node,
                            "kubernetes.io/os": "linux",
                            "node.kubernetes.io/instance-type": class,
                            "ngpc.rxt.io/nodepool": name,
                            "ngpc.rxt.io/serverclass": class,
                            CLOUDSPACE_LABEL: cs_name,
                        }},
                    "spec": {},
                    "status": {
                        "conditions": [{"type": "Ready", "status": "True",
                            "reason": "KubeletReady", "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": created_at(cs), "lastTransitionTime": created_at(cs)}],
                        "nodeInfo": {"kubeletVersion": format!("v{version}"), "osImage": "Ubuntu 22.04 LTS",
                            "architecture": "amd64", "operatingSystem": "linux",
                            "containerRuntimeVersion": "containerd://1.7.0"}}}));
            }
        }
    }
    out
}

/// A list answer, filtered by `labelSelector`, as a `Table` when kubectl asks for one.
fn list(req: &Req<'_>, kind: &str, items: Vec<Value>) -> Reply {
    let sel = match req.query_param("labelSelector") {
        Some(s) => match parse_selector(&s) {
            Ok(sel) => sel,
            Err(e) => return status(400, "BadRequest", &e),
        },
        None => Vec::new(),
    };
    let items: Vec<Value> = items.into_iter().filter(|d| matches(d, &sel)).collect();
    let wants_table = req
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"));
    if !wants_table {
        return Reply::json(
            200,
            &json!({"kind": format!("{kind}List"), "apiVersion": "v1",
                "metadata": {"resourceVersion": "1"}, "items": items}),
        );
    }
    let column = |name: &str| {
        json!({"name": name, "type": "string", "format": if name == "Name" { "name" } else { "" },
            "description": "", "priority": 0})
    };
    let (columns, rows): (Vec<&str>, Vec<Value>) = if kind == "Node" {
        let rows = items
            .iter()
            .map(|n| {
                row(
                    n,
                    vec![
                        json!("Ready"),
                        json!("<none>"),
                        json!(n.pointer("/status/nodeInfo/kubeletVersion")),
                    ],
                )
            })
            .collect();
        (vec!["Name", "Status", "Roles", "Version"], rows)
    } else {
        let rows = items
            .iter()
            .map(|n| row(n, vec![json!("Active")]))
            .collect();
        (vec!["Name", "Status"], rows)
    };
    Reply::json(
        200,
        &json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": "1"},
            "columnDefinitions": columns.iter().map(|c| column(c)).collect::<Vec<_>>(),
            "rows": rows}),
    )
}

fn row(doc: &Value, rest: Vec<Value>) -> Value {
    let mut cells = vec![doc.pointer("/metadata/name").cloned().unwrap_or_default()];
    cells.extend(rest);
    json!({"cells": cells, "object": {"kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1", "metadata": doc.get("metadata")}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_puts_the_cluster_under_the_prefix() {
        assert_eq!(
            endpoint("127.0.0.1:8080", "org-x", "demo"),
            "127.0.0.1:8080/k8s/org-x/demo"
        );
    }

    #[test]
    fn a_certificate_is_made_once() {
        let a = tls_acceptor().map(|a| Arc::as_ptr(a.config()));
        let b = tls_acceptor().map(|a| Arc::as_ptr(a.config()));
        assert_eq!(a.unwrap(), b.unwrap());
    }

    #[test]
    fn version_splits_major_and_minor() {
        let r = version_info("1.31.1");
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["major"], "1");
        assert_eq!(v["minor"], "31");
        assert_eq!(v["gitVersion"], "v1.31.1");
    }
}
