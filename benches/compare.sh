#!/usr/bin/env bash
# Compares the rsspot CLI with the Python tool it replaces (rsspot 0.3.0 from PyPI) and with plain
# curl, against the same emulator. Prints a Markdown table (paste it into BENCHMARKS.md).
#
#   bash benches/compare.sh            # RUNS=10 by default; RUNS=20 bash benches/compare.sh
#
# Installs what it needs: hyperfine, GNU time and jq from Debian, a throw-away venv with
# `rsspot==0.3.0 click` (its package forgets click). Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
work=$(mktemp -d)
trap 'kill $emu_pid 2>/dev/null || true; rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || ! [ -x /usr/bin/time ] || ! need jq; then
  (apt-get update -qq && apt-get install -y -qq hyperfine time jq curl) >/dev/null
fi
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q 'rsspot==0.3.0' click
py="$work/venv/bin/rsspot"

cargo build --release --quiet
ours="$PWD/target/release/rsspot"

# The emulator, on its own port; its first stdout line is the base URL.
"$ours" emulator serve --port 0 > "$work/emu.out" 2>&1 &
emu_pid=$!
for _ in $(seq 50); do [ -s "$work/emu.out" ] && break; sleep 0.1; done
url=$(head -n1 "$work/emu.out")
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.local/state"
mkdir -p "$HOME"
export RSSPOT_BASE_URL=$url RSSPOT_OAUTH_URL=$url RSSPOT_PUBLIC_DATA_URL=$url
export RSSPOT_REFRESH_TOKEN=demo-token RSSPOT_ORG=demo NO_COLOR=1

token=$(curl -s -X POST "$url/oauth/token" -d grant_type=refresh_token \
  -d client_id=mwG3lUMV8KyeMqHe4fJ5Bb3nM1vBvRNa -d refresh_token=demo-token | jq -r .id_token)
ns=$(curl -s -H "Authorization: Bearer $token" "$url/apis/auth.ngpc.rxt.io/v1/organizations" \
  | jq -r '.organizations[] | select(.name=="demo") | .metadata.namespace')

requests() { # command... → number of HTTP requests the emulator saw
  curl -s -X DELETE "$url/_emulator/journal" >/dev/null
  "$@" >/dev/null 2>&1 || true
  curl -s "$url/_emulator/journal" | jq length
}
peak_rss_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }
median_ms() { # name, command string
  hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$work/h.json" "$1" >/dev/null 2>&1 || \
    hyperfine --runs "$RUNS" --warmup 1 --export-json "$work/h.json" "$1" >/dev/null
  jq '.results[0].median * 1000' "$work/h.json"
}

printf '| command | case | rsspot (Rust) ms | Python ms | curl ms | × Python | × curl | Rust peak RSS MiB | Python peak RSS MiB | Rust requests | Python requests |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'

ours_state="$XDG_STATE_HOME/rsspot/state.db"
py_state="$HOME/.config/rsspot/state.db"
timed() { # prepare, command → median ms
  hyperfine -N --runs "$RUNS" --warmup 1 ${1:+--prepare "$1"} --export-json "$work/h.json" "$2" >/dev/null 2>&1 || \
    hyperfine --runs "$RUNS" --warmup 1 ${1:+--prepare "$1"} --export-json "$work/h.json" "$2" >/dev/null
  jq '.results[0].median * 1000' "$work/h.json"
}
counted() { # prepare, command... → HTTP requests of one run after `prepare`
  local prep=$1; shift
  [ -n "$prep" ] && bash -c "$prep"
  requests "$@"
}

# Cases:
#   cached — a second run within the cache TTLs, both tools as they ship (HTTP caches on);
#   warm   — a real request: rsspot --no-cache with its id token cached; Python without its
#            cache (it keeps no token, so it exchanges one every run); curl with a bearer in hand;
#   cold   — no state at all (token exchange included) for both.
row() { # label, our args, python args, curl path (or -)
  local label=$1 ours_args=$2 py_args=$3 path=$4
  "$ours" $ours_args >/dev/null 2>&1 || true
  "$py" $py_args >/dev/null 2>&1 || true
  local case o p c xo xc rss_o rss_p req_o req_p
  for case in cached warm cold; do
    local o_prep="" p_prep="" o_cmd="$ours $ours_args" p_cmd="$py $py_args"
    case $case in
      warm) o_cmd="$ours $ours_args --no-cache"; p_prep="bash -c 'rm -f $py_state*'" ;;
      cold) o_prep="bash -c 'rm -f $ours_state*'"; p_prep="bash -c 'rm -f $py_state*'" ;;
    esac
    o=$(timed "$o_prep" "$o_cmd"); p=$(timed "$p_prep" "$p_cmd")
    xo=$(echo "scale=1; $p / $o" | bc)
    c="-"; xc="-"
    if [ "$path" != "-" ] && [ "$case" != cached ]; then
      c=$(timed "" "curl -s -H 'Authorization: Bearer $token' $url$path")
      xc=$(echo "scale=2; $o / $c" | bc)
      c=$(printf %.1f "$c")
    fi
    [ -n "$o_prep" ] && bash -c "$o_prep"
    rss_o=$(echo "scale=1; $(peak_rss_kib $o_cmd) / 1024" | bc)
    [ -n "$p_prep" ] && bash -c "$p_prep"
    rss_p=$(echo "scale=1; $(peak_rss_kib $p_cmd) / 1024" | bc)
    req_o=$(counted "$o_prep" $o_cmd)
    req_p=$(counted "$p_prep" $p_cmd)
    printf '| `%s` | %s | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %s |\n' \
      "$label" "$case" "$o" "$p" "$c" "$xo" "$xc" "$rss_o" "$rss_p" "$req_o" "$req_p"
  done
}

row "regions list"         "regions list -o json"           "regions list"           "/apis/ngpc.rxt.io/v1/regions"
row "server-classes list"  "server-classes list -o json"    "server-classes list"    "/apis/ngpc.rxt.io/v1/serverclasses"
row "cloudspaces list"     "cloudspaces list -o json"       "cloudspaces list"       "/apis/ngpc.rxt.io/v1/namespaces/$ns/cloudspaces"
row "nodepools spot list"  "nodepools spot list -o json"    "nodepools spot list"    "/apis/ngpc.rxt.io/v1/namespaces/$ns/spotnodepools"
row "pricing list"         "pricing list -o json"           "-o json pricing list"   "-"

# Create → delete cycle (each run creates a fresh name, then deletes it).
cat > "$work/cycle-ours.sh" <<EOF
n=c\$RANDOM\$RANDOM; $ours cloudspaces create \$n --region us-central-dfw-1 -o json >/dev/null && $ours cloudspaces delete \$n --yes >/dev/null
EOF
cat > "$work/cycle-py.sh" <<EOF
n=p\$RANDOM\$RANDOM; $py cloudspaces create --name \$n --region us-central-dfw-1 >/dev/null && $py cloudspaces delete \$n >/dev/null
EOF
o=$(median_ms "bash $work/cycle-ours.sh"); p=$(median_ms "bash $work/cycle-py.sh")
printf '| `create → delete` | warm | %.1f | %.1f | - | %s | - | - | - | %s | %s |\n' "$o" "$p" \
  "$(echo "scale=1; $p / $o" | bc)" "$(requests bash "$work/cycle-ours.sh")" "$(requests bash "$work/cycle-py.sh")"

echo
echo "rsspot: $("$ours" version -o json 2>/dev/null | jq -r '.version // empty' || true) ($(git rev-parse --short HEAD)); Python rsspot: $("$work/venv/bin/pip" show rsspot | awk '/^Version/{print $2}'); hyperfine: $(hyperfine --version); runs per cell: $RUNS"
echo "cached = second run within the cache TTLs (both tools' defaults); warm = a real request (rsspot --no-cache with its token cached; Python without its cache, token exchange included since it caches none); cold = no state (token exchange included)."
