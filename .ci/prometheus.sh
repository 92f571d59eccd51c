#!/usr/bin/env bash
# Prometheus and promtool for tests/metrics.rs (issue 28): Debian's `prometheus` package gives both.
# Installs it when either binary is absent; FAILS (never skips) when it cannot, so the metrics
# suite never runs without the real server it is written against.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "prometheus.sh: prometheus/promtool are missing and installing them needs root" >&2
    exit 1
fi
echo "prometheus.sh: installing Debian's prometheus package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# --no-install-recommends: only the server and promtool; the service is not started here
# (tests start their own on loopback).
apt-get install -y -qq --no-install-recommends prometheus >&2
for tool in prometheus promtool; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "prometheus.sh: $tool is still missing after installing the package" >&2
        exit 1
    fi
done
