//! How plans and apply reports are printed: a table on a terminal, the plan itself as data.

use anyhow::Result;
use rsspot::fleet::{Applied, ApplyReport, Outcome, Plan};

use crate::ctx::Ctx;

/// One progress line of an apply (stderr).
pub fn step(a: &Applied) -> String {
    let what = match a.outcome {
        Outcome::Created => "created",
        Outcome::Updated => "updated",
        Outcome::Deleted => "deleted",
        Outcome::AlreadyThere => "already there",
        Outcome::AlreadyGone => "already gone",
        Outcome::DryRun => "would apply (dry run; checked here, not by the service)",
        Outcome::Validated => "would apply (dry run; the service checked it)",
    };
    format!("{}: {what}", a.object)
}

/// The plan: one row per change, then cost and concerns; data formats get the plan as is.
pub fn plan(ctx: &Ctx, plan: &Plan) -> Result<()> {
    if !ctx.out.is_table() {
        return ctx.out.data(plan);
    }
    let mut rows = Vec::new();
    for c in &plan.creates {
        rows.push(vec!["create".into(), c.object.to_string(), String::new()]);
    }
    for c in &plan.updates {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|f| format!("{}: {} → {}", f.field, f.old, f.new))
            .collect();
        rows.push(vec![
            "update".into(),
            c.object.to_string(),
            fields.join("; "),
        ]);
    }
    for c in &plan.deletes {
        rows.push(vec!["delete".into(), c.object.to_string(), String::new()]);
    }
    if rows.is_empty() {
        ctx.out.text(&format!(
            "In sync: {} object(s) as the file says.\n",
            plan.unchanged.len()
        ))?;
    } else {
        ctx.out.table(&["ACTION", "OBJECT", "CHANGES"], rows)?;
    }
    let c = &plan.cost;
    ctx.out.text(&format!(
        "{} to create, {} to change, {} to delete, {} unchanged. Cost: ${}/h (${}/mo) now, ${}/h (${}/mo) after.\n",
        plan.creates.len(),
        plan.updates.len(),
        plan.deletes.len(),
        plan.unchanged.len(),
        c.hourly_before,
        c.monthly_before,
        c.hourly_after,
        c.monthly_after
    ))?;
    for concern in &plan.concerns {
        ctx.out
            .warn(&format!("{}: {}", concern.object, concern.message));
    }
    Ok(())
}

/// The summary of an apply.
pub fn report(ctx: &Ctx, report: &ApplyReport) -> Result<()> {
    if !ctx.out.is_table() {
        return ctx.out.data(report);
    }
    let n = |o| report.count(o);
    ctx.out.note(&format!(
        "{} created, {} updated, {} deleted, {} already done{}",
        n(Outcome::Created),
        n(Outcome::Updated),
        n(Outcome::Deleted),
        n(Outcome::AlreadyThere) + n(Outcome::AlreadyGone),
        if n(Outcome::DryRun) + n(Outcome::Validated) > 0 {
            format!(
                ", {} not applied (dry run: {} checked by the service, {} only here)",
                n(Outcome::DryRun) + n(Outcome::Validated),
                n(Outcome::Validated),
                n(Outcome::DryRun)
            )
        } else {
            String::new()
        }
    ));
    Ok(())
}
