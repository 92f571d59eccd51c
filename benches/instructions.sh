#!/usr/bin/env bash
# Instructions per call of `regions().list()` vs a raw reqwest GET, counted by callgrind (see
# benches/instructions.rs). Deterministic, unlike wall time at this scale. Not part of .ci/run.
#
#   bash benches/instructions.sh          # N=1000 calls per mode
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
cargo build --release --quiet --bench instructions
bin=$(ls -t target/release/deps/instructions-* | grep -v '\.d$' | head -n1)
count() { # mode, n → instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
declare -A per
for mode in raw raw-typed sdk; do
  zero=$(count "$mode" 0); full=$(count "$mode" "$N")
  per[$mode]=$(( (full - zero) / N ))
done
printf '| mode | instructions per call |\n|---|---:|\n'
for mode in raw raw-typed sdk; do printf '| %s | %s |\n' "$mode" "${per[$mode]}"; done
echo
echo "sdk / raw = $(echo "scale=3; ${per[sdk]} / ${per[raw]}" | bc)"
echo "sdk / raw-typed = $(echo "scale=3; ${per[sdk]} / ${per[raw-typed]}" | bc)"
echo "raw-typed / raw = $(echo "scale=3; ${per[raw-typed]} / ${per[raw]}" | bc)"
