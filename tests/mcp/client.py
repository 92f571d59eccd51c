"""Drives `rsspot mcp` with the Python `mcp` package's stdio client (tests/mcp.rs runs it).

Usage: client.py SETUP.json. SETUP holds the rsspot binary, its environment (emulator URLs,
credentials, an isolated HOME) and a few names from the emulator's seed. The script runs two
sessions — a read-only server and one started with --allow-writes; with "mode": "fleet" in
SETUP, those of the `apply_fleet` steps — and prints one JSON report
on stdout: every tool result as the client received it, plus what the session saw (tools,
server name). tests/mcp.rs makes the assertions; this script fails only when the client
itself cannot run.
"""

import asyncio
import json
import sys

# Node pool names are lowercase UUIDs.
POOL = "0e8f9c3a-1b2c-4d5e-8f90-123456789abc"

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def field(obj, snake, camel):
    """A field by its Python name (mcp 2.x) or its wire name (mcp 1.x)."""
    return getattr(obj, snake, None) if hasattr(obj, snake) else getattr(obj, camel, None)


def as_report(result):
    """A tool result as plain JSON: its text, its structured content and whether it failed."""
    texts = [c.text for c in result.content if getattr(c, "type", "") == "text"]
    return {
        "is_error": bool(field(result, "is_error", "isError")),
        "text": "\n".join(texts),
        "structured": field(result, "structured_content", "structuredContent"),
    }


async def session(setup, extra_args, steps):
    params = StdioServerParameters(
        command=setup["binary"],
        args=["mcp", *extra_args],
        env=setup["env"],
    )
    report = {"calls": []}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            init = await s.initialize()
            report["server_name"] = field(init, "server_info", "serverInfo").name
            report["protocol_version"] = field(init, "protocol_version", "protocolVersion")
            tools = await s.list_tools()
            report["tools"] = sorted(t.name for t in tools.tools)
            report["schemas"] = {t.name: field(t, "input_schema", "inputSchema") for t in tools.tools}
            await steps(s, report)
    return report


async def call(s, report, label, name, args):
    result = await s.call_tool(name, args)
    entry = {"label": label, "tool": name, "args": args, **as_report(result)}
    report["calls"].append(entry)
    return entry


async def reads(setup):
    cls = setup["class"]

    async def steps(s, report):
        await call(s, report, "organizations", "organizations", {})
        await call(s, report, "regions", "regions", {})
        await call(s, report, "server_classes", "server_classes", {"region": setup["region"]})
        await call(s, report, "prices", "prices", {"server_class": cls})
        await call(s, report, "price_history", "price_history", {"server_class": cls})
        await call(s, report, "bid_advice", "bid_advice", {"server_class": cls, "risk": "low"})
        await call(s, report, "list_cloudspaces", "list", {"kind": "cloudspace"})
        await call(s, report, "list_spot_pools", "list", {"kind": "spot_pool", "parent": setup["cloudspace"]})
        await call(s, report, "list_vm_pools", "list", {"kind": "vm_pool"})
        await call(s, report, "get_cloudspace", "get", {"kind": "cloudspace", "name": setup["cloudspace"]})
        await call(s, report, "get_missing", "get", {"kind": "spot_pool", "name": "no-such-pool"})
        await call(
            s,
            report,
            "autopilot_preview",
            "autopilot_preview",
            {"cloudspace": setup["cloudspace"], "vcpu_total": 8, "budget_per_hour": "0.5"},
        )
        fleet = "cloudspaces:\n  - name: planned\n    region: " + setup["region"] + "\n"
        await call(s, report, "fleet_diff", "fleet_diff", {"fleet": fleet})
        # The write tools are not listed here; calling one anyway is a tool error.
        await call(
            s,
            report,
            "write_refused",
            "delete_cloudspace",
            {"name": setup["cloudspace"]},
        )

    return await session(setup, [], steps)


async def writes(setup):
    cls = setup["class"]
    cs = setup["cloudspace"]

    async def steps(s, report):
        create = {
            "kind": "spot",
            "cloudspace": cs,
            "server_class": cls,
            "desired": 1,
            "bid_price": "0.02",
            "name": POOL,
        }
        plan = await call(s, report, "create_plan", "create_pool", create)
        token = (plan["structured"] or {}).get("confirm")
        # A token is bound to its request: other arguments are refused (and spend it).
        await call(s, report, "create_other_args", "create_pool", {**create, "desired": 2, "confirm": token})
        plan = await call(s, report, "create_plan_again", "create_pool", create)
        token = (plan["structured"] or {}).get("confirm")
        await call(s, report, "create_confirmed", "create_pool", {**create, "confirm": token})
        await call(s, report, "create_replayed", "create_pool", {**create, "confirm": token})
        # Guardrail: 40 nodes at $0.02/h is $584/month, above the profile's max_monthly_usd.
        await call(s, report, "scale_over_limit", "scale_pool", {"kind": "spot", "name": POOL, "desired": 40})
        plan = await call(s, report, "scale_plan", "scale_pool", {"kind": "spot", "name": POOL, "desired": 2})
        token = (plan["structured"] or {}).get("confirm")
        await call(
            s,
            report,
            "scale_confirmed",
            "scale_pool",
            {"kind": "spot", "name": POOL, "desired": 2, "confirm": token},
        )
        await call(s, report, "get_pool", "get", {"kind": "spot_pool", "name": POOL})
        plan = await call(s, report, "delete_plan", "delete_pool", {"kind": "spot", "name": POOL})
        token = (plan["structured"] or {}).get("confirm")
        await call(
            s,
            report,
            "delete_confirmed",
            "delete_pool",
            {"kind": "spot", "name": POOL, "confirm": token},
        )
        await call(s, report, "bogus_token", "delete_cloudspace", {"name": cs, "confirm": "confirm-forged"})

    return await session(setup, ["--allow-writes"], steps)


def fleet_doc(setup, desired):
    """A fleet of one cloudspace with one spot pool of `desired` nodes (YAML text)."""
    return (
        "cloudspaces:\n"
        "  - name: " + setup["fleet_cloudspace"] + "\n"
        "    region: " + setup["region"] + "\n"
        "    spotPools:\n"
        "      - name: " + setup["fleet_pool"] + "\n"
        "        serverClass: " + setup["class"] + "\n"
        "        desired: " + str(desired) + "\n"
        "        bid: \"0.02\"\n"
    )


async def fleet_read_only(setup):
    async def steps(s, report):
        await call(s, report, "apply_fleet_refused", "apply_fleet", {"fleet": fleet_doc(setup, 1)})

    return await session(setup, [], steps)


async def fleet_writes(setup):
    pool = setup["fleet_pool"]

    async def steps(s, report):
        doc = fleet_doc(setup, 1)
        plan = await call(s, report, "fleet_plan", "apply_fleet", {"fleet": doc})
        token = (plan["structured"] or {}).get("confirm")
        await call(s, report, "fleet_applied", "apply_fleet", {"confirm": token})
        await call(s, report, "fleet_replayed", "apply_fleet", {"confirm": token})
        # The same document again: the account is as it says, nothing to confirm.
        await call(s, report, "fleet_again", "apply_fleet", {"fleet": doc})
        await call(s, report, "fleet_diff_again", "fleet_diff", {"fleet": doc})
        # Guardrail: 40 nodes at $0.02/h is $584/month, above the profile's max_monthly_usd.
        await call(s, report, "fleet_over_limit", "apply_fleet", {"fleet": fleet_doc(setup, 40)})
        # The worst case counts too: autoscaling up to 40 nodes would pass the limit.
        scaling = doc + "        autoscaling: {min: 1, max: 40}\n"
        await call(s, report, "fleet_autoscaling_over_limit", "apply_fleet", {"fleet": scaling})
        # A paid option under the limit is a concern to confirm, shown with the plan.
        ha = doc + "  - name: " + setup["fleet_cloudspace"] + "-ha\n    region: " + setup["region"] + "\n    haControlPlane: true\n"
        await call(s, report, "fleet_ha_plan", "apply_fleet", {"fleet": ha})
        # A plan, then someone else changes the pool, then the token: refused.
        bigger = fleet_doc(setup, 2)
        plan = await call(s, report, "fleet_plan_stale", "apply_fleet", {"fleet": bigger})
        stale = (plan["structured"] or {}).get("confirm")
        scale = {"kind": "spot", "name": pool, "desired": 3}
        other = await call(s, report, "concurrent_scale_plan", "scale_pool", scale)
        other_token = (other["structured"] or {}).get("confirm")
        await call(s, report, "concurrent_scale", "scale_pool", {**scale, "confirm": other_token})
        await call(s, report, "fleet_stale", "apply_fleet", {"fleet": bigger, "confirm": stale})
        # A token is bound to its document.
        plan = await call(s, report, "fleet_plan_other", "apply_fleet", {"fleet": bigger})
        token = (plan["structured"] or {}).get("confirm")
        await call(s, report, "fleet_other_doc", "apply_fleet", {"fleet": doc, "confirm": token})
        await call(s, report, "get_fleet_pool", "get", {"kind": "spot_pool", "name": pool})

    return await session(setup, ["--allow-writes"], steps)


async def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        setup = json.load(f)
    if setup.get("mode") == "fleet":
        report = {"read_only": await fleet_read_only(setup), "writes": await fleet_writes(setup)}
    else:
        report = {"read_only": await reads(setup), "writes": await writes(setup)}
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
