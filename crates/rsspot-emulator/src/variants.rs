//! Variants: the emulator's answers to questions about the real service that nobody has verified.
//!
//! Each open question of API-NOTES section 8 (and each behaviour a client could wrongly assume)
//! is one field of [`Variants`], a small enum whose values are the plausible answers. A client
//! that is correct must work under every value; the variant matrix in `tests/variant_matrix.rs`
//! runs the CLI flows under each one.

use std::fmt;
use std::str::FromStr;

/// Declares a variant enum with its spellings (`--variant NAME=VALUE`) and default.
macro_rules! variant {
    (
        $(#[$doc:meta])*
        $ty:ident, $name:literal, default $default:ident,
        { $( $(#[$vdoc:meta])* $variant:ident => $spelling:literal ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $ty {
            $( $(#[$vdoc])* $variant ),+
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty::$default
            }
        }

        impl $ty {
            /// The variant's name on the command line (`--variant NAME=...`).
            pub const NAME: &'static str = $name;
            /// Every value, in documentation order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The value's spelling on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $ty::$variant => $spelling ),+
                }
            }

            fn parse(s: &str) -> Option<$ty> {
                $ty::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

variant! {
    /// Whether deleting a cloudspace deletes its spot and on-demand pools (API-NOTES §8.3).
    CascadeDelete, "cascade-delete", default No, {
        /// The pools stay, `Fulfilled` and billed (the safe guess).
        No => "no",
        /// The pools go with the cloudspace.
        Yes => "yes",
    }
}

variant! {
    /// What a successful DELETE answers (API-NOTES §8.3, §7.11).
    DeleteReturns, "delete-returns", default Status, {
        /// A Kubernetes `Status` (`kind: Status`, `status: Success`, `details`).
        Status => "status",
        /// The deleted object, with `metadata.deletionTimestamp` set.
        Object => "object",
    }
}

variant! {
    /// Whether the gateway passes `labelSelector` to the API server (API-NOTES §8.2).
    LabelSelector, "label-selector", default Honoured, {
        /// Lists (and collection deletes) are filtered by the selector.
        Honoured => "honoured",
        /// The parameter is dropped: every object of the kind comes back (or is deleted).
        Ignored => "ignored",
    }
}

variant! {
    /// Whether the gateway passes `limit`/`continue` to the API server (API-NOTES §8.2).
    Paging, "paging", default Honoured, {
        /// Kubernetes list chunking: `limit` pages, `metadata.continue` follows.
        Honoured => "honoured",
        /// Whole lists, never a continue token (also ignores `EmulatorOptions::page_size`).
        Ignored => "ignored",
    }
}

variant! {
    /// Whether `dryRun` reaches the API server (API-NOTES §8.2).
    DryRun, "dry-run", default Supported, {
        /// `dryRun=All` validates and answers as if written, but changes nothing.
        Supported => "supported",
        /// Any `dryRun` parameter is answered with 400 `BadRequest`.
        Rejected => "rejected",
        /// `dryRun=All` is taken for the kinds of the published spec (cloudspaces, spot and
        /// on-demand pools) and answered with 400 `BadRequest` for the others (VM kinds,
        /// autopilot pools), whose gateway route is newer.
        CoreOnly => "core-only",
    }
}

variant! {
    /// How the token endpoint answers an unknown or revoked refresh token (API-NOTES §8.4, §1.2).
    BadRefreshToken, "bad-refresh-token", default Auth0, {
        /// 403 `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}` (Auth0).
        Auth0 => "403",
        /// 401 `{"error":"access_denied","error_description":"Unauthorized"}` (the spec).
        Spec => "401",
    }
}

variant! {
    /// Whether the token endpoint rotates refresh tokens (API-NOTES §8.4, §1.2).
    TokenRotation, "token-rotation", default Off, {
        /// The same refresh token works forever.
        Off => "off",
        /// Each exchange answers a new `refresh_token` and revokes the one used.
        On => "on",
    }
}

variant! {
    /// The HTTP code of admission-webhook denials (API-NOTES §8.4, §2.3).
    WebhookDenial, "webhook-denial", default Forbidden, {
        /// 403 `Status`, reason `Forbidden` (controller-runtime's default).
        Forbidden => "403",
        /// 400 `Status`, reason `BadRequest`.
        BadRequest => "400",
    }
}

variant! {
    /// Which bid rule the webhook enforces (API-NOTES §8.6).
    BidRules, "bid-rules", default Ladder, {
        /// The 2026 bid ladder, the floor and at most 3 decimals.
        Ladder => "ladder",
        /// Only at most 3 decimals and the floor: off-ladder bids are accepted.
        Decimals => "decimals",
    }
}

variant! {
    /// Which `status.phase` values a cloudspace goes through (API-NOTES §8.1).
    Phases, "phases", default Extended, {
        /// `Provisioning`, `Upgrading` after a version change, `NoWinningBids` when every spot
        /// bid is below the market, `Error` ([`crate::Emulator::break_cloudspace`]),
        /// `Deleting` (visible with `deletionTimestamp` for `Lifecycle::delete_after`).
        Extended => "extended",
        /// No phase until `Ready`; upgrades and deletes are instant; failures show only in
        /// `health`.
        Basic => "basic",
    }
}

variant! {
    /// How generate-kubeconfig answers a cloudspace that does not exist (issue 13).
    KubeconfigUnknown, "kubeconfig-unknown", default NotFound, {
        /// 404 Kubernetes `Status`, reason `NotFound`.
        NotFound => "404",
        /// 400 `{"error":"bad_request","error_description":"cloudspace ... not found"}`.
        BadRequest => "400",
    }
}

variant! {
    /// How the spot pools an autopilot pool makes from its vCPU budget point back to it
    /// (API-NOTES §3.10 says only that "the service turns the budget into pools").
    AutopilotOwner, "autopilot-owner", default Label, {
        /// The label `ngpc.rxt.io/autopilotnodepool: <name>` (next to the cloudspace label).
        Label => "label",
        /// A controller `ownerReference` (kind `AutopilotNodePool`, name, uid) and no label.
        OwnerReference => "owner-reference",
    }
}

variant! {
    /// Which `status.phase` values an autopilot pool shows while its vCPU target is being
    /// fulfilled and once it is (API-NOTES §9.4: "the values are not published"). Clients must
    /// track `managedVCPUs` against `targetVCPUs`, never a phase name.
    AutopilotPhases, "autopilot-phases", default Ready, {
        /// `Pending`, then `Ready`.
        Ready => "ready",
        /// `Allocating`, then `Allocated`.
        Allocated => "allocated",
        /// `Provisioning`, then `Running`.
        Running => "running",
    }
}

impl AutopilotPhases {
    /// The phase while the target is not (or no longer) fulfilled, and once it is.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            AutopilotPhases::Ready => ("Pending", "Ready"),
            AutopilotPhases::Allocated => ("Allocating", "Allocated"),
            AutopilotPhases::Running => ("Provisioning", "Running"),
        }
    }
}

variant! {
    /// What the service does with `spec.bidPrice` on an on-demand VM pool (API-NOTES §9.4: the
    /// official SDK always sends it, the official CLI always asks for it).
    VmOnDemandBid, "vm-ondemand-bid", default Ignored, {
        /// Accepted (any well-formed bid, or none) and ignored: on-demand VMs are reserved.
        Ignored => "ignored",
        /// Required: a 422 `spec.bidPrice: Required value` when absent.
        Required => "required",
        /// Refused: a 422 on `spec.bidPrice` when present.
        Refused => "refused",
    }
}

variant! {
    /// Whether a VM pool needs `spec.vmImage` (API-NOTES §9.4: optional in the SDK's body; the
    /// official CLI defaults it to `ubuntu24.04`).
    VmImage, "vm-image", default Optional, {
        /// Optional: a pool without one gets `ubuntu24.04`.
        Optional => "optional",
        /// Required: a 422 `spec.vmImage: Required value` when absent.
        Required => "required",
    }
}

/// Declares [`Variants`] (one field per variant), [`VariantSetting`] (one case per variant) and
/// the code that enumerates them, from one list: adding a variant is one line here.
macro_rules! variants {
    ($(#[$doc:meta])* $( $field:ident: $ty:ident ),+ $(,)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct Variants {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                pub $field: $ty,
            )+
        }

        /// One `NAME=VALUE` setting of a variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum VariantSetting {
            $(
                #[doc = concat!("A value of [`", stringify!($ty), "`].")]
                $ty($ty),
            )+
        }

        /// `(name, values)` of every variant, for messages and tables.
        fn catalogue() -> Vec<(&'static str, Vec<&'static str>)> {
            vec![$( ($ty::NAME, $ty::ALL.iter().map(|v| v.as_str()).collect()) ),+]
        }

        impl VariantSetting {
            fn parse(name: &str, value: &str) -> Option<VariantSetting> {
                $(
                    if name == $ty::NAME {
                        return $ty::parse(value).map(VariantSetting::$ty);
                    }
                )+
                None
            }

            fn parts(self) -> (&'static str, &'static str) {
                match self {
                    $( VariantSetting::$ty(v) => ($ty::NAME, v.as_str()), )+
                }
            }
        }

        impl Variants {
            /// Applies one setting.
            pub fn set(&mut self, setting: VariantSetting) {
                match setting {
                    $( VariantSetting::$ty(v) => self.$field = v, )+
                }
            }

            /// Every setting, as `NAME=VALUE` (what `--variant` takes).
            pub fn settings(&self) -> Vec<VariantSetting> {
                vec![$( VariantSetting::$ty(self.$field) ),+]
            }
        }
    };
}

variants! {
/// The emulator's answers to the open questions about the real service.
///
/// | name | values (**default** first) | what it models | API-NOTES |
/// | --- | --- | --- | --- |
/// | `cascade-delete` | **`no`**, `yes` | deleting a cloudspace leaves its spot/on-demand pools (`Fulfilled`, still billed) or deletes them | §8.3 |
/// | `delete-returns` | **`status`**, `object` | a DELETE answers a `Status` (`status: Success`, `details`) or the object with `deletionTimestamp` | §8.3, §7.11 |
/// | `label-selector` | **`honoured`**, `ignored` | the gateway applies `labelSelector` or drops it (lists, and collection deletes, cover everything) | §8.2 |
/// | `paging` | **`honoured`**, `ignored` | `limit`/`continue` page lists as Kubernetes does, or are dropped (whole list, no continue token) | §8.2 |
/// | `dry-run` | **`supported`**, `rejected`, `core-only` | `dryRun=All` validates without writing, or any `dryRun` is a 400, or only the spec's kinds (cloudspaces, spot and on-demand pools) take it | §8.2 |
/// | `bad-refresh-token` | **`403`**, `401` | a bad refresh token gets Auth0's 403 `invalid_grant` or the spec's 401 `access_denied` | §8.4, §1.2 |
/// | `token-rotation` | **`off`**, `on` | each token exchange answers a new `refresh_token` and revokes the one used | §8.4, §1.2 |
/// | `webhook-denial` | **`403`**, `400` | admission denials (bid below floor or off the ladder, unknown class or region, class in another region, cloudspace missing or deleting, second autoscaling pool) are a 403 or a 400 `Status`; schema errors stay 422 | §8.4, §2.3 |
/// | `bid-rules` | **`ladder`**, `decimals` | the 2026 bid ladder is enforced, or only "≤ 3 decimals and ≥ floor" | §8.6 |
/// | `phases` | **`extended`**, `basic` | cloudspaces pass through `Provisioning`, `Upgrading`, `NoWinningBids`, `Error`, `Deleting`; or show no phase until `Ready`, upgrade and delete at once | §8.1 |
/// | `kubeconfig-unknown` | **`404`**, `400` | generate-kubeconfig for an unknown cloudspace answers a 404 `Status` or a 400 `bad_request` | §2.4 |
/// | `autopilot-owner` | **`label`**, `owner-reference` | the spot pools an autopilot pool makes from its budget carry the label `ngpc.rxt.io/autopilotnodepool: <name>`, or a controller `ownerReference` to it (kind `AutopilotNodePool`, name, uid) | §3.10 |
/// | `autopilot-phases` | **`ready`**, `allocated`, `running` | an autopilot pool's phase is `Pending` then `Ready`, `Allocating` then `Allocated`, or `Provisioning` then `Running` (fulfilment is `managedVCPUs` = `targetVCPUs`) | §9.4 |
/// | `vm-ondemand-bid` | **`ignored`**, `required`, `refused` | `spec.bidPrice` on an on-demand VM pool is ignored, required (422 when absent) or refused (422 when present) | §9.4 |
/// | `vm-image` | **`optional`**, `required` | a VM pool without `spec.vmImage` gets `ubuntu24.04`, or is a 422 `spec.vmImage: Required value` | §9.4 |
///
/// Parse one setting with `"name=value".parse::<VariantSetting>()` and apply it with
/// [`Variants::set`].
    cascade_delete: CascadeDelete,
    delete_returns: DeleteReturns,
    label_selector: LabelSelector,
    paging: Paging,
    dry_run: DryRun,
    bad_refresh_token: BadRefreshToken,
    token_rotation: TokenRotation,
    webhook_denial: WebhookDenial,
    bid_rules: BidRules,
    phases: Phases,
    kubeconfig_unknown: KubeconfigUnknown,
    autopilot_owner: AutopilotOwner,
    autopilot_phases: AutopilotPhases,
    vm_ondemand_bid: VmOnDemandBid,
    vm_image: VmImage,
}

impl VariantSetting {
    /// Every setting of every variant (defaults included), in table order.
    pub fn all() -> Vec<VariantSetting> {
        catalogue()
            .into_iter()
            .flat_map(|(name, values)| {
                values
                    .into_iter()
                    .filter_map(move |v| VariantSetting::parse(name, v))
            })
            .collect()
    }

    /// The variant's name (`cascade-delete`).
    pub fn name(self) -> &'static str {
        self.parts().0
    }

    /// The value's spelling (`no`).
    pub fn value(self) -> &'static str {
        self.parts().1
    }
}

impl fmt::Display for VariantSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name(), self.value())
    }
}

impl FromStr for VariantSetting {
    type Err = String;

    /// Parses `NAME=VALUE`; the error is one line naming the valid names or values.
    fn from_str(s: &str) -> Result<VariantSetting, String> {
        let cat = catalogue();
        let Some((name, value)) = s.split_once('=') else {
            let names: Vec<&str> = cat.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "{s:?} is not NAME=VALUE; variants: {}",
                names.join(", ")
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        let Some((_, values)) = cat.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = cat.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown variant {name:?}; valid variants: {}",
                names.join(", ")
            ));
        };
        VariantSetting::parse(name, value).ok_or_else(|| {
            format!(
                "unknown value {value:?} for variant {name}; valid values: {}",
                values.join(", ")
            )
        })
    }
}

impl Variants {
    /// The defaults with one setting changed.
    pub fn with(mut self, setting: VariantSetting) -> Variants {
        self.set(setting);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_round_trips_through_its_spelling() {
        let all = VariantSetting::all();
        assert_eq!(all.len(), 33);
        for s in all {
            assert_eq!(s.to_string().parse::<VariantSetting>(), Ok(s));
            let v = Variants::default().with(s);
            assert!(v.settings().contains(&s), "{s}");
        }
    }

    #[test]
    fn defaults_are_the_first_values() {
        for (s, d) in catalogue().iter().zip(Variants::default().settings()) {
            assert_eq!(s.1[0], d.value(), "{}", s.0);
        }
        assert_eq!(Variants::default().cascade_delete, CascadeDelete::No);
    }

    #[test]
    fn bad_settings_name_the_valid_ones_on_one_line() {
        let e = "nope=1".parse::<VariantSetting>().unwrap_err();
        assert!(
            e.contains("cascade-delete") && e.contains("kubeconfig-unknown"),
            "{e}"
        );
        let e = "paging=maybe".parse::<VariantSetting>().unwrap_err();
        assert_eq!(
            e,
            "unknown value \"maybe\" for variant paging; valid values: honoured, ignored"
        );
        let e = "paging".parse::<VariantSetting>().unwrap_err();
        assert!(e.contains("NAME=VALUE") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn the_readme_carries_the_same_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"));
        let src = include_str!("variants.rs");
        let rows: Vec<&str> = src
            .lines()
            .filter_map(|l| l.strip_prefix("/// | "))
            .collect();
        assert!(rows.len() >= 13, "header, rule and one row per variant");
        for row in rows {
            assert!(
                readme.lines().any(|l| l.strip_prefix("| ") == Some(row)),
                "README's emulator section lacks the row: | {row}"
            );
        }
    }

    #[test]
    fn the_rustdoc_table_lists_every_variant_and_value() {
        let src = include_str!("variants.rs");
        for (name, values) in catalogue() {
            let row = src
                .lines()
                .find(|l| l.starts_with(&format!("/// | `{name}` |")))
                .unwrap_or_else(|| panic!("no table row for {name}"));
            for (i, v) in values.iter().enumerate() {
                let cell = if i == 0 {
                    format!("**`{v}`**")
                } else {
                    format!("`{v}`")
                };
                assert!(row.contains(&cell), "{name}: {v} missing from {row}");
            }
        }
    }
}
