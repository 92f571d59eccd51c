//! VM SSH keys (`vmsshkeys`): the public keys VM cloudspaces install on their VMs.
//!
//! A key is checked locally before it is sent (an OpenSSH public key line whose blob names the
//! same algorithm), and its fingerprint is computed the way `ssh-keygen -l` prints it.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::check_dns_label;
use crate::error::{Error, Result};
use crate::raw::types::{ObjectMeta, VmSshKey, VmSshKeySpec};
use crate::resource::{Api, Create};

/// Key algorithms the service accepts.
const ALGORITHMS: [&str; 6] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
];

/// The `SHA256:…` fingerprint of an OpenSSH public key line (`type base64 [comment]`), or why
/// the line is not one.
///
/// ```
/// let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";
/// assert!(rsspot::services::vm_ssh_keys::fingerprint(line).unwrap().starts_with("SHA256:"));
/// assert!(rsspot::services::vm_ssh_keys::fingerprint("not a key").is_err());
/// ```
pub fn fingerprint(public_key: &str) -> std::result::Result<String, String> {
    let mut parts = public_key.split_whitespace();
    let (Some(algo), Some(b64)) = (parts.next(), parts.next()) else {
        return Err("expected an OpenSSH public key line: \"<type> <base64> [comment]\"".into());
    };
    if !ALGORITHMS.contains(&algo) {
        return Err(format!(
            "key type {algo:?} is not supported (use one of {})",
            ALGORITHMS.join(", ")
        ));
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| "the key data is not valid base64".to_string())?;
    let declared = blob
        .get(..4)
        .and_then(|l| <[u8; 4]>::try_from(l).ok())
        .map(|l| u32::from_be_bytes(l) as usize)
        .and_then(|len| blob.get(4..4 + len));
    if declared != Some(algo.as_bytes()) {
        return Err(format!("the key data is not a {algo} key"));
    }
    let digest = Sha256::digest(&blob);
    Ok(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    ))
}

/// What `vm_ssh_keys().create` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmSshKeyCreate {
    /// Object name (an RFC 1123 label).
    pub name: String,
    /// The OpenSSH public key line.
    pub public_key: String,
    /// Free text.
    pub description: Option<String>,
}

impl VmSshKeyCreate {
    /// A key named `name` holding `public_key`.
    pub fn new(name: impl Into<String>, public_key: impl Into<String>) -> Self {
        VmSshKeyCreate {
            name: name.into(),
            public_key: public_key.into().trim().to_string(),
            description: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Checks the name and the key locally; returns the key's fingerprint.
    pub fn validate(&self) -> Result<String> {
        check_dns_label("name", &self.name, "key name")?;
        fingerprint(&self.public_key).map_err(|e| Error::invalid("publicKey", e))
    }

    /// The body a create sends.
    pub fn to_body(&self, namespace: &str) -> VmSshKey {
        VmSshKey {
            api_version: Some("ngpc.rxt.io/v1".into()),
            kind: Some("VMSSHKey".into()),
            metadata: ObjectMeta {
                name: self.name.clone(),
                namespace: Some(namespace.to_string()),
                ..ObjectMeta::default()
            },
            spec: VmSshKeySpec {
                description: self.description.clone(),
                public_key: Some(self.public_key.clone()),
                extra: Default::default(),
            },
            ..VmSshKey::default()
        }
    }
}

/// VM SSH keys: [`Api`] over [`VmSshKey`] (`client.vm_ssh_keys()`, `org.vm_ssh_keys()`).
pub type VmSshKeys<'a> = Api<'a, VmSshKey>;

impl Api<'_, VmSshKey> {
    /// Creates an SSH key after checking it locally.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::VmSshKeyCreate;
    /// let line = std::fs::read_to_string("/home/me/.ssh/id_ed25519.pub").map_err(|e| rsspot::Error::io("/home/me/.ssh/id_ed25519.pub", e))?;
    /// let key = client.vm_ssh_keys().create(&VmSshKeyCreate::new("laptop", line)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, req: &VmSshKeyCreate) -> Result<VmSshKey> {
        req.validate()?;
        let ns = self.namespace().await?;
        VmSshKey::send_create(self.client(), &ns, req.to_body(&ns)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";

    #[test]
    fn fingerprints_match_ssh_keygen_layout() {
        let fp = fingerprint(ED25519).unwrap();
        assert!(fp.starts_with("SHA256:"));
        assert_eq!(fp.len(), "SHA256:".len() + 43);
        // Whitespace and comment do not change the fingerprint.
        let bare = ED25519.trim_end_matches(" me@host");
        assert_eq!(fingerprint(&format!("  {bare}\n")).unwrap(), fp);
    }

    #[test]
    fn bad_keys_are_refused_with_a_reason() {
        assert!(
            fingerprint("")
                .unwrap_err()
                .contains("OpenSSH public key line")
        );
        assert!(
            fingerprint("ssh-dss AAAA")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            fingerprint("ssh-ed25519 !!!")
                .unwrap_err()
                .contains("base64")
        );
        // An rsa-labelled line carrying an ed25519 blob.
        let swapped = ED25519.replacen("ssh-ed25519", "ssh-rsa", 1);
        assert!(
            fingerprint(&swapped)
                .unwrap_err()
                .contains("not a ssh-rsa key")
        );
        let req = VmSshKeyCreate::new("Bad_Name", ED25519);
        assert!(req.validate().is_err());
        assert!(VmSshKeyCreate::new("laptop", ED25519).validate().is_ok());
    }
}
