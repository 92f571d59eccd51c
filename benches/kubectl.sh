#!/usr/bin/env bash
# The kubectl exec credential plugin (`rsspot auth kube-token`) against a static-token kubeconfig,
# both with a real kubectl against the emulated cluster API. Prints a Markdown table for
# BENCHMARKS.md (issue 17's goals: kube-token warm ≤ 1.5× `rsspot version` with 0 requests;
# `kubectl get nodes` through the plugin ≤ 1.3× the static token).
#
#   bash benches/kubectl.sh            # RUNS=30 by default; NO_BUILD=1 skips the release build
#
# Builds target/release/rsspot, starts `rsspot emulator serve` (cluster API endpoints on) on a free
# port with an isolated HOME, makes a Ready cloudspace with a 2-node spot pool, writes the two
# kubeconfigs, warms the token cache once and times each command with hyperfine. Installs
# hyperfine and jq from Debian when they are missing. Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
work=$(mktemp -d)
emu_pid=
trap '[ -n "$emu_pid" ] && kill $emu_pid 2>/dev/null; rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || ! need jq; then
  (apt-get update -qq && apt-get install -y -qq hyperfine jq curl) >/dev/null
fi
need kubectl || { echo "kubectl is not on the PATH (apt-get install kubernetes-client)" >&2; exit 1; }

[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin rsspot   # NO_BUILD=1: use the binary as built
bin="$PWD/target/release"
export PATH="$bin:$PATH"

"$bin/rsspot" emulator serve --port 0 > "$work/emu.out" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do [ -s "$work/emu.out" ] && break; sleep 0.1; done
url=$(head -n1 "$work/emu.out")
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.local/state"
mkdir -p "$HOME"
export RSSPOT_BASE_URL=$url RSSPOT_OAUTH_URL=$url RSSPOT_PUBLIC_DATA_URL=$url
export RSSPOT_REFRESH_TOKEN=demo-token RSSPOT_ORG=demo NO_COLOR=1

rsspot cloudspaces create bench-dfw --region us-central-dfw-1 --wait >/dev/null
rsspot nodepools spot create --cloudspace bench-dfw --server-class gp.vs1.medium-dfw \
  --desired 2 --bid-price 0.50 --yes --wait >/dev/null
rsspot cloudspaces kubeconfig bench-dfw --file "$work/exec.yaml" >/dev/null 2>&1
rsspot cloudspaces kubeconfig bench-dfw --file "$work/static.yaml" --static-token >/dev/null 2>&1
kubectl --kubeconfig "$work/exec.yaml" get nodes >/dev/null     # warms the token cache
kubectl --kubeconfig "$work/static.yaml" get nodes >/dev/null

median_ms() { # command string → hyperfine median in ms
  hyperfine -N --runs "$RUNS" --warmup 3 --export-json "$work/h.json" "$1" >/dev/null
  jq '.results[0].median * 1000' "$work/h.json"
}
requests() { # command... → HTTP requests the emulator saw for `RUNS` runs of it
  curl -s -X DELETE "$url/_emulator/journal" >/dev/null
  for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1; done
  curl -s "$url/_emulator/journal" | jq '[.[] | select(.path | startswith("/k8s/") | not)] | length'
}

version=$(median_ms "rsspot version")
token=$(median_ms "rsspot auth kube-token")
token_requests=$(requests rsspot auth kube-token)
static=$(median_ms "kubectl --kubeconfig $work/static.yaml get nodes")
exec=$(median_ms "kubectl --kubeconfig $work/exec.yaml get nodes")
exec_requests=$(requests kubectl --kubeconfig "$work/exec.yaml" get nodes)

ratio() { echo "scale=2; $1 / $2" | bc; }
printf '| command | median ms | ratio | Spot API requests in %s runs |\n| --- | ---: | ---: | ---: |\n' "$RUNS"
printf '| `rsspot version` | %.1f | 1.00× | – |\n' "$version"
printf '| `rsspot auth kube-token` (token cached) | %.1f | %s× | %s |\n' "$token" "$(ratio "$token" "$version")" "$token_requests"
printf '| `kubectl get nodes`, static-token kubeconfig | %.1f | 1.00× | – |\n' "$static"
printf '| `kubectl get nodes`, exec kubeconfig | %.1f | %s× | %s |\n' "$exec" "$(ratio "$exec" "$static")" "$exec_requests"
echo
echo "$(rsspot --version) ($(git rev-parse --short HEAD)); $(kubectl version --client 2>/dev/null | head -n1); runs per cell: $RUNS; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
