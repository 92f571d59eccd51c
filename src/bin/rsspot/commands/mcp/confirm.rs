//! Confirmation tokens of the two-step writes: random, single use, bound to the exact request
//! (tool, organization and arguments) and expiring.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// How long a plan's token stays good.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// Why a token was not accepted (the request is then refused, nothing is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Not issued by this server, or already used.
    Unknown,
    /// Issued for another request.
    OtherRequest,
    /// Issued more than [`TOKEN_LIFETIME`] ago.
    Expired,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rejected::Unknown => "the confirmation token is unknown or was already used",
            Rejected::OtherRequest => {
                "the confirmation token was issued for a different request (the arguments changed)"
            }
            Rejected::Expired => "the confirmation token has expired",
        })
    }
}

/// The tokens handed out and not used yet.
#[derive(Default)]
pub struct Tokens {
    pending: Mutex<HashMap<String, (String, Instant)>>,
}

/// What a token is bound to: the tool, the organization and the arguments (typed, so their
/// order on the wire does not matter), hashed.
pub fn fingerprint(tool: &str, org: Option<&str>, args: &impl serde::Serialize) -> String {
    let mut h = Sha256::new();
    h.update(tool.as_bytes());
    h.update([0]);
    h.update(org.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(args).unwrap_or_default());
    hex::encode(h.finalize())
}

impl Tokens {
    /// A new token for the request with `fingerprint`.
    pub fn issue(&self, fingerprint: String) -> String {
        let token = format!("confirm-{}", uuid::Uuid::new_v4().simple());
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, at)| now.duration_since(*at) < TOKEN_LIFETIME);
        pending.insert(token.clone(), (fingerprint, now));
        token
    }

    /// Takes `token` (it is spent whatever the answer) and checks it was issued for
    /// `fingerprint`, less than [`TOKEN_LIFETIME`] ago.
    pub fn redeem(&self, token: &str, fingerprint: &str) -> Result<(), Rejected> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let Some((bound, at)) = pending.remove(token) else {
            return Err(Rejected::Unknown);
        };
        if at.elapsed() >= TOKEN_LIFETIME {
            return Err(Rejected::Expired);
        }
        if bound != fingerprint {
            return Err(Rejected::OtherRequest);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_single_use_and_bound_to_its_request() {
        let tokens = Tokens::default();
        let a = fingerprint("delete_pool", None, &("spot", "p1"));
        let b = fingerprint("delete_pool", None, &("spot", "p2"));
        let t = tokens.issue(a.clone());
        assert_eq!(tokens.redeem(&t, &b), Err(Rejected::OtherRequest));
        // Spent by the failed attempt.
        assert_eq!(tokens.redeem(&t, &a), Err(Rejected::Unknown));
        let t = tokens.issue(a.clone());
        assert_eq!(tokens.redeem(&t, &a), Ok(()));
        assert_eq!(tokens.redeem(&t, &a), Err(Rejected::Unknown));
        assert_ne!(tokens.issue(a.clone()), tokens.issue(a));
    }

    #[test]
    fn the_organization_is_part_of_the_request() {
        assert_ne!(
            fingerprint("delete_cloudspace", Some("a"), &"x"),
            fingerprint("delete_cloudspace", Some("b"), &"x")
        );
    }
}
