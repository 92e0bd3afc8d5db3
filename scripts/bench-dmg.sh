#!/usr/bin/env bash
# Times consign's .dmg writer (an HFS+ volume in a UDZO image: zlib chunks on every core)
# against the zlib codec alone over the same bytes on the same cores (pigz -z, zlib format,
# every core), at the image's default level 9 and at level 1, in the same run, and prints
# ratios (codec alone / consign: 0.80 or more is the target). Then prints consign's peak
# memory (max RSS) for 64 MiB and 1 GiB payloads (it should be flat).
#
#   scripts/bench-dmg.sh [RUNS] [PAYLOAD_MIB]      (defaults: 3 runs, 512 MiB)
#
# The payload is machine code: the first MiB of this machine's shared libraries and programs
# (/usr/lib, /usr/bin), concatenated into one file.
#
# Needs: pigz, /usr/bin/time (apt-get install pigz time).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mib=${2:-512}
. scripts/bench-lib.sh

for tool in pigz /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-dmg: $tool missing (apt-get install pigz time)" >&2; exit 1; }
done

cargo build --release --quiet --example package
ours=$PWD/target/release/examples/package

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench-dmg.XXXXXX")
trap 'rm -rf "$work"' EXIT

payload "$mib" >"$work/payload"

row() { printf '%-44s %8s s %s\n' "$1" "$2" "${3:-}"; }
zlib_alone() { pigz -z -p "$(nproc)" "-$1" -c "$work/payload" >"$work/payload.zz"; }

echo "consign .dmg writer vs the zlib codec alone: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, ${mib} MiB payload, $runs runs, minimum shown, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for level in 9 1; do
  echo
  echo "== zlib level $level"
  t_ours=$(min_seconds "$ours" dmg --format udzo --level "$level" --out "$work/ours.dmg" "$work/payload")
  row "consign (dmg, UDZO)" "$t_ours" "$(stat -c %s "$work/ours.dmg") bytes"
  t=$(min_seconds zlib_alone "$level")
  row "pigz -z -$level -p$(nproc) alone" "$t" "$(stat -c %s "$work/payload.zz") bytes, speed ratio $(ratio "$t" "$t_ours")"
done

echo
echo "== peak memory (max RSS) of consign, UDZO level 9"
for size in 64 1024; do
  payload "$size" >"$work/rss-payload"
  kib=$(/usr/bin/time -f %M "$ours" dmg --out "$work/rss.dmg" "$work/rss-payload" 2>&1 >/dev/null | tail -1)
  printf '%-44s %8s MiB\n' "consign dmg, $size MiB payload" "$((kib / 1024))"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
