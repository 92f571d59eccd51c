//! Cloudspaces: managed Kubernetes clusters (namespaced by organization).
//!
//! [`teardown`] deletes a cloudspace together with its node pools; [`inline`] creates one
//! together with its pools (and rolls back when a pool fails).

pub mod inline;
pub mod teardown;
pub mod versions;

pub use inline::{
    CloudSpaceWithPools, CreateOutcome, CreatedCloudSpace, InlinePool, InlinePoolKind,
    PreparedCloudSpace, Rollback, RolledBackCreate, RolledBackObject,
};
pub use teardown::Teardown;

use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Serialize;

use super::{call, check_dns_label};
use crate::error::{Error, Result};
use crate::raw::types::{CloudSpace, CloudSpaceSpec, GenerateKubeconfigBody, ObjectMeta, Patch};
use crate::resource::{Api, Create};

/// Default wait for a cloudspace to become Ready.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Kubernetes version used when none is given (the console's default).
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.31.1";

/// CNIs the service offers.
pub const CNIS: &[&str] = &["calico", "cilium", "byocni"];

/// A cloudspace to create. Validated locally before anything is sent.
///
/// ```
/// let req = rsspot::services::CloudSpaceCreate::new("demo-dfw")
///     .region("us-central-dfw-1")
///     .kubernetes_version("1.31.1")
///     .cni("cilium");
/// assert!(req.validate().is_ok());
/// assert!(rsspot::services::CloudSpaceCreate::new("Bad_Name").region("r").validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CloudSpaceCreate {
    /// Name (RFC 1123 label).
    pub name: String,
    /// Region; the client's default region when `None`.
    pub region: Option<String>,
    /// Kubernetes version.
    pub kubernetes_version: String,
    /// CNI (`calico`, `cilium`, `byocni`).
    pub cni: String,
    /// Paid highly-available control plane.
    pub ha_control_plane: bool,
    /// Preemption notification webhook URL.
    pub webhook: Option<String>,
    /// GPU cloudspace.
    pub gpu_enabled: bool,
}

impl CloudSpaceCreate {
    /// A request with defaults (Kubernetes 1.31.1, calico, no HA).
    pub fn new(name: impl Into<String>) -> Self {
        CloudSpaceCreate {
            name: name.into(),
            region: None,
            kubernetes_version: DEFAULT_KUBERNETES_VERSION.into(),
            cni: "calico".into(),
            ha_control_plane: false,
            webhook: None,
            gpu_enabled: false,
        }
    }
    /// Sets the region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// Sets the Kubernetes version.
    pub fn kubernetes_version(mut self, v: impl Into<String>) -> Self {
        self.kubernetes_version = v.into();
        self
    }
    /// Sets the CNI.
    pub fn cni(mut self, cni: impl Into<String>) -> Self {
        self.cni = cni.into();
        self
    }
    /// Enables the HA control plane.
    pub fn ha_control_plane(mut self, on: bool) -> Self {
        self.ha_control_plane = on;
        self
    }
    /// Sets the preemption webhook.
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.webhook = Some(url.into());
        self
    }
    /// Marks the cloudspace as GPU-enabled.
    pub fn gpu_enabled(mut self, on: bool) -> Self {
        self.gpu_enabled = on;
        self
    }

    /// Checks everything that can be checked without the server.
    pub fn validate(&self) -> Result<()> {
        check_dns_label("name", &self.name, "cloudspace name")?;
        if self.region.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid(
                "region",
                "a region is required: set it on the request or in the profile",
            ));
        }
        if !CNIS.contains(&self.cni.as_str()) {
            return Err(Error::invalid(
                "cni",
                format!("{:?} is not one of {}", self.cni, CNIS.join(", ")),
            ));
        }
        if self.kubernetes_version.trim().is_empty() {
            return Err(Error::invalid(
                "kubernetesVersion",
                "a Kubernetes version is required",
            ));
        }
        if let Some(w) = &self.webhook {
            validate_webhook(w)?;
        }
        Ok(())
    }

    /// The exact body that [`Api::create`](crate::Api) sends.
    pub fn to_body(&self, namespace: &str) -> Result<CloudSpace> {
        self.validate()?;
        // `apiVersion`, `kind` and `spec.cloud` are the schema's defaults.
        Ok(CloudSpace {
            metadata: ObjectMeta {
                name: self.name.clone(),
                namespace: Some(namespace.to_string()),
                ..ObjectMeta::default()
            },
            spec: CloudSpaceSpec {
                region: self.region.clone().unwrap_or_default(),
                kubernetes_version: Some(self.kubernetes_version.clone()),
                cni: Some(self.cni.clone()),
                ha_control_plane: self.ha_control_plane,
                deployment_type: Some("gen2".into()),
                webhook: Some(self.webhook.clone().unwrap_or_default()),
                gpu_enabled: Some(self.gpu_enabled),
                ..CloudSpaceSpec::default()
            },
            ..CloudSpace::default()
        })
    }
}

fn validate_webhook(url: &str) -> Result<()> {
    if url.is_empty()
        || url.len() > 255
        || !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Error::invalid(
            "webhook",
            "the webhook must be an http(s) URL of at most 255 characters",
        ));
    }
    Ok(())
}

/// Changes to a cloudspace; only the fields set are sent (JSON merge patch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudSpaceUpdate {
    /// New preemption webhook (`Some("")` removes it).
    pub webhook: Option<String>,
    /// Turn the HA control plane on or off.
    pub ha_control_plane: Option<bool>,
    /// Upgrade Kubernetes to this version.
    pub kubernetes_version: Option<String>,
}

impl CloudSpaceUpdate {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &CloudSpaceUpdate::default()
    }

    /// The merge-patch body that [`Api::update`](crate::Api) sends (only the fields given).
    pub fn to_patch(&self) -> Result<CloudSpacePatch> {
        if self.is_empty() {
            return Err(Error::invalid(
                "update",
                "nothing to change: give at least one field",
            ));
        }
        if let Some(w) = self.webhook.as_deref().filter(|w| !w.is_empty()) {
            validate_webhook(w)?;
        }
        Ok(CloudSpacePatch {
            spec: CloudSpaceSpecPatch {
                webhook: self.webhook.clone(),
                ha_control_plane: self.ha_control_plane,
                kubernetes_version: self.kubernetes_version.clone(),
            },
        })
    }
}

/// A merge-patch body for a cloudspace: `{"spec": {...}}` with only the changed fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CloudSpacePatch {
    /// The changed spec fields.
    pub spec: CloudSpaceSpecPatch,
}

/// The spec part of a [`CloudSpacePatch`]; `None` fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CloudSpaceSpecPatch {
    /// New webhook (`""` removes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// HA control plane on or off.
    #[serde(rename = "HAControlPlane", skip_serializing_if = "Option::is_none")]
    pub ha_control_plane: Option<bool>,
    /// Kubernetes version to upgrade to.
    #[serde(rename = "kubernetesVersion", skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
}

impl CloudSpacePatch {
    /// The body as the generated `Patch` type takes it.
    pub fn to_raw(&self) -> Result<Patch> {
        crate::services::node_pools::merge_patch(self)
    }
}

/// Cloudspaces (Kubernetes clusters): [`Api`] over [`CloudSpace`] (`client.cloudspaces()`,
/// `org.cloudspaces()`).
pub type CloudSpaces<'a> = Api<'a, CloudSpace>;

impl Api<'_, CloudSpace> {
    /// Validates `req` (name, region exists) and returns the namespace and body it would send.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::CloudSpaceCreate;
    /// let (namespace, body) = client.cloudspaces().prepare_create(&CloudSpaceCreate::new("demo").region("us-east-iad-1")).await?;
    /// println!("{namespace}: {}", serde_json::to_string(&body).unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(&self, req: &CloudSpaceCreate) -> Result<(String, CloudSpace)> {
        let mut req = req.clone();
        if req.region.is_none() {
            req.region = self.client().default_region().map(str::to_string);
        }
        req.validate()?;
        let region = req.region.clone().unwrap_or_default();
        let regions = self.client().regions().list().await?;
        if !regions.iter().any(|r| r.metadata.name.as_str() == region) {
            let known: Vec<&str> = regions.iter().map(|r| r.metadata.name.as_str()).collect();
            return Err(Error::invalid(
                "region",
                format!(
                    "unknown region {region:?}; known regions: {}",
                    known.join(", ")
                ),
            ));
        }
        let ns = self.namespace().await?;
        let body = req.to_body(&ns)?;
        Ok((ns, body))
    }

    /// Creates a cloudspace (returns immediately; see [`Api::wait_ready`]).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::CloudSpaceCreate;
    /// let cs = client.cloudspaces().create(&CloudSpaceCreate::new("demo").region("us-east-iad-1")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, req: &CloudSpaceCreate) -> Result<CloudSpace> {
        let (ns, body) = self.prepare_create(req).await?;
        CloudSpace::send_create(self.client(), &ns, body).await
    }

    /// Applies `update` (webhook, HA control plane, Kubernetes upgrade) as a merge patch.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::CloudSpaceUpdate;
    /// let upgrade = CloudSpaceUpdate { kubernetes_version: Some("1.31.1".into()), ..Default::default() };
    /// client.cloudspaces().update("demo", &upgrade).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, name: &str, update: &CloudSpaceUpdate) -> Result<CloudSpace> {
        self.patch(name, &update.to_patch()?).await
    }

    /// Generates a kubeconfig for the cloudspace (YAML text). The cloudspace must be Ready.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let yaml = client.cloudspaces().kubeconfig("demo").await?;
    /// std::fs::write("demo.kubeconfig", yaml).ok();
    /// # Ok(()) }
    /// ```
    pub async fn kubeconfig(&self, name: &str) -> Result<String> {
        let token = self
            .client()
            .refresh_token()
            .await
            .ok_or_else(|| Error::NoCredentials {
                profile: self.client().pipeline().profile.clone(),
            })?;
        let org_name = self.org.name().await?;
        let body = GenerateKubeconfigBody {
            cloudspace_name: name.to_string(),
            organization_name: org_name,
            refresh_token: token.expose_secret().to_string(),
        };
        let resp = match call(
            self.client().raw.generate_kubeconfig().body(body).send(),
            "cloudspace",
            name,
        )
        .await
        {
            // The service may answer an unknown cloudspace with a 400 `bad_request` (its spec
            // documents no 404): ask the API whether the cloudspace exists before saying so.
            Err(e @ Error::Invalid { .. }) => {
                return Err(
                    match self
                        .org
                        .on(&self.client().without_cache())
                        .cloudspaces()
                        .get(name)
                        .await
                    {
                        Err(not_found @ Error::NotFound { .. }) => not_found,
                        _ => e,
                    },
                );
            }
            other => other?,
        };
        resp.data
            .and_then(|d| d.kubeconfig)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                Error::decode("generate-kubeconfig", "the response carries no kubeconfig")
            })
    }
}

/// A cloudspace's spec, defaulted (convenience for display code).
pub fn spec_of(cs: &CloudSpace) -> CloudSpaceSpec {
    cs.spec.clone()
}
