#!/usr/bin/env bash
# Prepare snarkjs powers-of-tau files for the Groth16 peer benchmarks.
#
# Usage: scripts/prepare_ptau.sh POWER [POWER...]
#   ZK_PTAU_DIR   cache directory (default ~/.cache/zk-bench); kept outside the
#                 repository because the files are large and slow to make
#                 (2 cores, shared: power 12 took 287 s, power 16 3621 s under load;
#                 power 14 ~4 min and power 17 ~39 min reported on a quieter machine).
#   SNARKJS       snarkjs binary (default node_modules/.bin/snarkjs)
#
# A prepared pot{N}_final.ptau serves every circuit whose domain is <= 2^N, so
# the benchmarks only need the largest power they run.  The contribution uses
# fresh random entropy: this is a benchmark ceremony, not a trusted one.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${ZK_PTAU_DIR:-$HOME/.cache/zk-bench}"
snarkjs="${SNARKJS:-$root/node_modules/.bin/snarkjs}"
[ $# -ge 1 ] || { echo "usage: $0 POWER [POWER...]" >&2; exit 2; }
[ -x "$snarkjs" ] || { echo "snarkjs not found at $snarkjs (run: make npm)" >&2; exit 1; }
mkdir -p "$dir"

for power in "$@"; do
  case "$power" in (''|*[!0-9]*) echo "bad power: $power" >&2; exit 2;; esac
  final="$dir/pot${power}_final.ptau"
  if [ -s "$final" ]; then
    echo "ptau: $final already present"
    continue
  fi
  work="$(mktemp -d "$dir/.pot${power}.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  start=$(date +%s)
  echo "ptau: preparing power $power into $final (one-off; this takes minutes)"
  "$snarkjs" powersoftau new bn128 "$power" "$work/pot_0000.ptau"
  entropy="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  "$snarkjs" powersoftau contribute "$work/pot_0000.ptau" "$work/pot_0001.ptau" \
    --name="zk-bench" -e="$entropy"
  "$snarkjs" powersoftau prepare phase2 "$work/pot_0001.ptau" "$work/final.ptau"
  # Rename last so a killed run never leaves a truncated file under the final name.
  mv "$work/final.ptau" "$final"
  rm -rf "$work"
  trap - EXIT
  echo "ptau: power $power done in $(( $(date +%s) - start )) s -> $final"
done
