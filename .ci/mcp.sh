#!/usr/bin/env bash
# The MCP client tests/mcp.rs drives `rsspot mcp` with (issue 28): the Python `mcp` package,
# installed into a virtual environment under the target dir. Source it (`.ci/run` does); it
# exports RSSPOT_TEST_MCP_PYTHON, the venv's python. It FAILS when the client cannot be
# installed: the MCP test never silently skips.
mcp_fail() {
    echo "error: $1" >&2
    return 1 2>/dev/null || exit 1
}
mcp_venv="${CARGO_TARGET_DIR:-target}/mcp-venv"
if ! "$mcp_venv/bin/python" -c 'import mcp' >/dev/null 2>&1; then
    if ! python3 -m venv "$mcp_venv" >/dev/null 2>&1; then
        # Debian ships venv separately.
        apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv "$mcp_venv" \
            || mcp_fail "cannot create a Python virtual environment in $mcp_venv"
    fi
    "$mcp_venv/bin/python" -m pip install --quiet --disable-pip-version-check mcp \
        && "$mcp_venv/bin/python" -c 'import mcp' \
        || mcp_fail "the Python mcp package did not install into $mcp_venv"
fi
RSSPOT_TEST_MCP_PYTHON="$(cd "$mcp_venv/bin" && pwd)/python"
export RSSPOT_TEST_MCP_PYTHON
