//! The `apply_fleet` write tool (only with `--allow-writes`): the first call plans a fleet
//! document against the organization — the changes, the cost before and after, the guardrail
//! concerns — and keeps that plan under a confirmation token; the second call with the token
//! applies exactly that plan, after checking that the account is still as the plan saw it (the
//! saved-plan path of `rsspot apply PLAN.json`, which names the object that changed). A plan
//! with a cost over `max_monthly_usd` is refused and gets no token — the planner's concerns,
//! and the worst cases the pool and cloudspace write tools also check (a pool's autoscaling
//! maximum, the HA control plane's price).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;
use rmcp::model::JsonObject;
use rsspot::fleet::{self, ApplyOptions, Fleet, Plan, PlanOptions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::confirm::{self, TOKEN_LIFETIME};
use super::server::{Answer, Spec, SpotTools, parse, write_tool};

/// The name of the tool.
pub const APPLY_FLEET: &str = "apply_fleet";

/// `apply_fleet`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyFleetArgs {
    /// The fleet document's text (YAML, or JSON starting with `{`), as `rsspot apply -f` reads
    /// it. Required for the plan; with `confirm` it may be left out (the token names the
    /// plan) and, when given, must be the document that was planned.
    #[serde(default)]
    pub fleet: Option<String>,
    /// Also delete what the account holds and the document does not.
    #[serde(default)]
    pub prune: bool,
    /// Re-resolve `{advice: …}` bids of existing pools.
    #[serde(default)]
    pub rebid: bool,
    /// The token of the plan to apply; leave it out to get the plan.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// Plans waiting for their token: token → (the request's fingerprint, the plan, when made).
#[derive(Default)]
pub struct PlannedFleets {
    pending: Mutex<HashMap<String, (String, Plan, Instant)>>,
}

impl PlannedFleets {
    fn keep(&self, token: String, fingerprint: String, plan: Plan) {
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, _, at)| now.duration_since(*at) < TOKEN_LIFETIME);
        pending.insert(token, (fingerprint, plan, now));
    }

    /// Takes the plan of `token` (gone whatever happens next) and its request's fingerprint.
    fn take(&self, token: &str) -> Option<(String, Plan)> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.remove(token).map(|(f, p, _)| (f, p))
    }
}

/// The tool's entry.
pub(super) fn specs() -> Vec<Spec> {
    vec![write_tool::<ApplyFleetArgs>(
        APPLY_FLEET,
        "Make the organization look like a fleet document (cloudspaces and their pools). Two \
         steps: the plan (changes, cost before and after, concerns, token), then a call with \
         `confirm` applies exactly that plan — refused if the account changed since.",
    )]
}

/// Runs `apply_fleet`; `None` for another tool.
pub(super) async fn call(
    tools: &SpotTools,
    name: &str,
    args: &JsonObject,
) -> Option<Result<Answer>> {
    if name != APPLY_FLEET {
        return None;
    }
    Some(match parse::<ApplyFleetArgs>(name, args) {
        Ok(a) => apply_fleet(tools, a).await,
        Err(e) => Err(e),
    })
}

/// A fleet document given as text: JSON when it starts with `{`, else YAML.
pub(super) fn parse_fleet(text: &str) -> Result<Fleet> {
    let origin = if text.trim_start().starts_with('{') {
        "fleet.json"
    } else {
        "fleet.yaml"
    };
    Ok(Fleet::parse(origin, text)?)
}

/// One line of a plan's counts.
pub(super) fn summary(plan: &Plan) -> String {
    format!(
        "{} to create, {} to change, {} to delete, {} unchanged; {} concern(s)",
        plan.creates.len(),
        plan.updates.len(),
        plan.deletes.len(),
        plan.unchanged.len(),
        plan.concerns.len()
    )
}

fn fingerprint(tools: &SpotTools, fleet: &str, a: &ApplyFleetArgs) -> String {
    confirm::fingerprint(
        APPLY_FLEET,
        tools.org.as_deref(),
        &(fleet, a.prune, a.rebid),
    )
}

async fn apply_fleet(tools: &SpotTools, a: ApplyFleetArgs) -> Result<Answer> {
    match a.confirm.clone() {
        Some(token) => apply_planned(tools, &a, &token).await,
        None => plan_step(tools, &a).await,
    }
}

/// The first step: the plan and its token (none when in sync; refused over a hard limit).
async fn plan_step(tools: &SpotTools, a: &ApplyFleetArgs) -> Result<Answer> {
    let Some(text) = a.fleet.as_deref() else {
        anyhow::bail!(rsspot::Error::invalid(
            "fleet",
            "give the fleet document's text (YAML or JSON) to plan; `confirm` applies a plan \
             made before"
        ));
    };
    let doc = parse_fleet(text)?;
    let opts = PlanOptions {
        prune: a.prune,
        rebid: a.rebid,
        limits: tools.limits,
    };
    let plan = fleet::plan(&tools.org(), &doc, &opts).await?;
    let over: Vec<String> = plan
        .concerns
        .iter()
        .filter(|c| c.over_limit)
        .map(|c| format!("{}: {}", c.object, c.message))
        .collect();
    if !over.is_empty() {
        anyhow::bail!(
            "apply fleet refused: {}; through MCP a spending limit is never crossed (raise \
             max_monthly_usd in the profile to allow it)",
            over.join("; ")
        );
    }
    if plan.in_sync() {
        let text = format!(
            "nothing to do: the account is as the fleet says ({} unchanged)",
            plan.unchanged.len()
        );
        return Answer::new(serde_json::json!({ "in_sync": true, "plan": plan }), text);
    }
    let token = tools.tokens.issue(fingerprint(tools, text, a));
    let to_confirm: Vec<String> = plan
        .concerns
        .iter()
        .filter(|c| c.needs_confirmation)
        .map(|c| format!("{}: {}", c.object, c.message))
        .collect();
    let mut text_out = format!("plan: {}; nothing sent yet.", summary(&plan));
    if !to_confirm.is_empty() {
        text_out.push_str(&format!(" Concerns to confirm: {}.", to_confirm.join("; ")));
    }
    if !plan.deletes.is_empty() {
        text_out.push_str(&format!(
            " {} object(s) will be deleted.",
            plan.deletes.len()
        ));
    }
    text_out.push_str(&format!(
        " To go ahead, call {APPLY_FLEET} with confirm={token:?} (valid {} s, once).",
        TOKEN_LIFETIME.as_secs()
    ));
    let data = serde_json::json!({
        "in_sync": false,
        "plan": plan,
        "cost": plan.cost,
        "concerns": plan.concerns,
        "confirm": token,
        "expires_in_seconds": TOKEN_LIFETIME.as_secs(),
    });
    tools
        .fleet_plans
        .keep(token, fingerprint(tools, text, a), plan);
    Answer::new(data, text_out)
}

/// The second step: the plan of `token`, applied exactly if the account is as it saw it.
async fn apply_planned(tools: &SpotTools, a: &ApplyFleetArgs, token: &str) -> Result<Answer> {
    let refused = |why: confirm::Rejected| {
        anyhow::anyhow!(
            "apply fleet: not done: {why}; call {APPLY_FLEET} without `confirm` for a new plan"
        )
    };
    let kept = tools.fleet_plans.take(token);
    let fingerprint = match (&a.fleet, &kept) {
        (Some(text), _) => fingerprint(tools, text, a),
        (None, Some((f, _))) => f.clone(),
        (None, None) => String::new(),
    };
    tools.tokens.redeem(token, &fingerprint).map_err(refused)?;
    let Some((_, plan)) = kept else {
        return Err(refused(confirm::Rejected::Unknown));
    };
    let org = tools.org();
    // The saved-plan check of `rsspot apply PLAN.json`: the error names the object that
    // changed, and nothing is sent.
    fleet::verify(&org, &plan).await.map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "apply fleet: not done; call {APPLY_FLEET} without `confirm` for a new plan"
        ))
    })?;
    let report = fleet::apply(&org, &plan, &ApplyOptions::default()).await?;
    let done = |o: fleet::Outcome| report.count(o);
    let text = format!(
        "fleet applied: {} created, {} changed, {} deleted ({} already there, {} already gone)",
        done(fleet::Outcome::Created),
        done(fleet::Outcome::Updated),
        done(fleet::Outcome::Deleted),
        done(fleet::Outcome::AlreadyThere),
        done(fleet::Outcome::AlreadyGone),
    );
    Answer::new(
        serde_json::json!({ "applied": report.applied, "cost": plan.cost }),
        text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_plan_is_taken_once() {
        let plans = PlannedFleets::default();
        let plan = Plan {
            version: fleet::PLAN_VERSION,
            namespace: "org-demo".into(),
            prune: false,
            creates: Vec::new(),
            updates: Vec::new(),
            deletes: Vec::new(),
            unchanged: Vec::new(),
            cost: fleet::Cost::default(),
            concerns: Vec::new(),
        };
        plans.keep("t".into(), "f".into(), plan.clone());
        assert_eq!(plans.take("t"), Some(("f".to_string(), plan)));
        assert_eq!(plans.take("t"), None);
    }
}
