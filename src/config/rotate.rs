//! Persisting a rotated refresh token: when the token service answers an exchange with a new
//! refresh token (and revokes the old one), the new one must reach the file the old one came
//! from, or the next run is locked out.
//!
//! The update is a compare-and-swap under the config file's lock: the file is changed only when
//! it still holds the old token, so when several processes rotate at once exactly one new token
//! is stored and no process overwrites a newer token with an older one.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::Settings;
use super::document::ConfigDocument;
use super::secret::Secret;
use crate::error::Result;

/// Where [`Settings::refresh_token`] came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshTokenOrigin {
    /// No refresh token.
    #[default]
    None,
    /// [`super::Overrides::refresh_token`] (a CLI flag or the SDK builder).
    Override,
    /// An environment variable (`RSSPOT_REFRESH_TOKEN`, `RSSPOT_REFRESH_TOKEN_FILE`, …).
    Env {
        /// The variable.
        var: String,
    },
    /// A config given in code ([`super::LoadOptions::runtime`]).
    Runtime,
    /// A profile of rsspot's own config file.
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
    },
    /// spotctl's config file, which rsspot never writes.
    Legacy {
        /// `~/.spot_config` or `~/.spotctl/config.yaml`.
        path: PathBuf,
    },
}

/// The outcome of [`store_rotated_refresh_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenStore {
    /// The new token replaced the old one in this file.
    Stored(PathBuf),
    /// The file no longer holds the old token (another process rotated it first, or the user
    /// changed it); it was left as it was.
    Superseded(PathBuf),
    /// The token did not come from rsspot's config file, so there is nowhere to store the new
    /// one; the caller should tell the user to update it there.
    NotPersistable {
        /// Where the old token came from.
        origin: RefreshTokenOrigin,
    },
}

/// Replaces `old` with `new` as the refresh token of the settings' profile in rsspot's config
/// file, when that is where the token came from ([`Settings::refresh_token_origin`]). Under the
/// file's lock, atomically, keeping everything else (comments too in TOML), and only if the file
/// still holds `old`.
pub fn store_rotated_refresh_token(
    settings: &Settings,
    old: &SecretString,
    new: &SecretString,
) -> Result<TokenStore> {
    let RefreshTokenOrigin::ConfigFile { path, profile } = &settings.refresh_token_origin else {
        return Ok(TokenStore::NotPersistable {
            origin: settings.refresh_token_origin.clone(),
        });
    };
    let (outcome, _) = ConfigDocument::update(path, |doc| {
        let current = doc
            .profile(profile)
            .and_then(|p| p.refresh_token.as_ref())
            .map(Secret::expose);
        if current == Some(new.expose_secret()) {
            return Ok(TokenStore::Stored(path.clone()));
        }
        if current != Some(old.expose_secret()) {
            return Ok(TokenStore::Superseded(path.clone()));
        }
        doc.replace_refresh_token(profile, new)?;
        Ok(TokenStore::Stored(path.clone()))
    })?;
    Ok(outcome)
}

/// The [`crate::RefreshTokenStore`] of a profile whose token lives in rsspot's config file: a
/// token the service rotates is written back there, and one another process wrote is picked up.
pub(crate) struct ConfigTokenStore {
    settings: Settings,
}

impl ConfigTokenStore {
    /// A store for the settings' profile, when its token came from rsspot's config file.
    pub(crate) fn for_settings(settings: &Settings) -> Option<ConfigTokenStore> {
        matches!(
            settings.refresh_token_origin,
            RefreshTokenOrigin::ConfigFile { .. }
        )
        .then(|| ConfigTokenStore {
            settings: settings.clone(),
        })
    }
}

impl crate::RefreshTokenStore for ConfigTokenStore {
    fn rotated(&self, old: &SecretString, new: &SecretString) -> Result<()> {
        match store_rotated_refresh_token(&self.settings, old, new)? {
            TokenStore::Stored(path) => {
                tracing::info!("stored the rotated refresh token in {}", path.display())
            }
            TokenStore::Superseded(path) => tracing::info!(
                "{} already holds a newer refresh token; left as it is",
                path.display()
            ),
            TokenStore::NotPersistable { .. } => {}
        }
        Ok(())
    }

    fn current(&self) -> Option<SecretString> {
        let RefreshTokenOrigin::ConfigFile { path, profile } = &self.settings.refresh_token_origin
        else {
            return None;
        };
        let doc = ConfigDocument::open(path).ok()?;
        let token = doc.profile(profile)?.refresh_token.as_ref()?;
        Some(SecretString::from(token.expose().to_string()))
    }
}
