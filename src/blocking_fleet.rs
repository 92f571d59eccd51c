//! The blocking twins of [`crate::fleet`]: plan, apply, verify, export and delete on the
//! blocking client's runtime. Wired as `rsspot::blocking::fleet`.

use super::SpotClient;
use crate::error::Result;
use crate::fleet::{ApplyOptions, ApplyReport, Fleet, Plan, PlanOptions};

/// [`crate::fleet::plan`] in `org` (`None`: the default org).
pub fn plan(
    client: &SpotClient,
    org: Option<&str>,
    fleet: &Fleet,
    opts: &PlanOptions,
) -> Result<Plan> {
    let org = client.as_async().org_or_default(org);
    client.block(crate::fleet::plan(&org, fleet, opts))
}

/// [`crate::fleet::apply`] in `org`.
pub fn apply(
    client: &SpotClient,
    org: Option<&str>,
    plan: &Plan,
    opts: &ApplyOptions,
) -> Result<ApplyReport> {
    let org = client.as_async().org_or_default(org);
    client.block(crate::fleet::apply(&org, plan, opts))
}

/// [`crate::fleet::verify`] in `org`.
pub fn verify(client: &SpotClient, org: Option<&str>, plan: &Plan) -> Result<()> {
    let org = client.as_async().org_or_default(org);
    client.block(crate::fleet::verify(&org, plan))
}

/// [`crate::fleet::export`] of `org`.
pub fn export(client: &SpotClient, org: Option<&str>, cloudspace: Option<&str>) -> Result<Fleet> {
    let org = client.as_async().org_or_default(org);
    client.block(crate::fleet::export(&org, cloudspace))
}

/// [`crate::fleet::delete`] in `org`.
pub fn delete(
    client: &SpotClient,
    org: Option<&str>,
    fleet: &Fleet,
    opts: &ApplyOptions,
) -> Result<ApplyReport> {
    let org = client.as_async().org_or_default(org);
    client.block(crate::fleet::delete(&org, fleet, opts))
}
