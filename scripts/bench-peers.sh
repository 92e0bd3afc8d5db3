#!/usr/bin/env bash
# Times consign-sums against the peer tools on the same inputs, in the same run, and prints
# ratios (ours / theirs: below 1.00 means consign is faster). Also prints OpenSSL's SHA-256
# ceiling on this CPU and consign-sums' peak memory on a 1 GiB and a 4 GiB file.
#
#   scripts/bench-peers.sh [RUNS]        (default 5 runs per command; the minimum is reported)
#
# Needs: coreutils, openssl, GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

for tool in sha256sum sha512sum openssl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-peers: $tool missing (apt-get install coreutils openssl time)" >&2; exit 1; }
done

cargo build --release --quiet --example consign-sums
sums=$PWD/target/release/examples/consign-sums

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Inputs: one 1 GiB file, and 16 files of 64 MiB (also 1 GiB) — random bytes, in the page cache.
head -c $((1 << 30)) /dev/urandom >"$work/one.bin"
mkdir "$work/many"
for i in $(seq -w 1 16); do head -c $((64 << 20)) /dev/urandom >"$work/many/f$i.bin"; done
cat "$work/one.bin" "$work"/many/* >/dev/null

# min_seconds CMD...: the fastest of $runs runs, in seconds.
min_seconds() {
  local best= t0 t1 t
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    t=$(awk "BEGIN { print $t1 - $t0 }")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
  done
  printf '%.3f' "$best"
}

ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
gibs() { awk "BEGIN { printf \"%.2f\", 1 / $1 }"; }

row() { printf '%-44s %8s s %7s GiB/s %s\n' "$1" "$2" "$(gibs "$2")" "${3:-}"; }

echo "consign-sums vs peers: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $runs runs, minimum shown"
echo
echo "== one 1 GiB file"
ours=$(min_seconds "$sums" "$work/one.bin"); row "consign-sums (sha256)" "$ours"
t=$(min_seconds sha256sum "$work/one.bin"); row "sha256sum" "$t" "ratio $(ratio "$ours" "$t")"
t=$(min_seconds openssl dgst -sha256 "$work/one.bin"); row "openssl dgst -sha256" "$t" "ratio $(ratio "$ours" "$t")"
ours=$(min_seconds "$sums" -a sha512 "$work/one.bin"); row "consign-sums -a sha512" "$ours"
t=$(min_seconds sha512sum "$work/one.bin"); row "sha512sum" "$t" "ratio $(ratio "$ours" "$t")"
t=$(min_seconds openssl dgst -sha512 "$work/one.bin"); row "openssl dgst -sha512" "$t" "ratio $(ratio "$ours" "$t")"
t=$(min_seconds "$sums" -a blake3 "$work/one.bin"); row "consign-sums -a blake3" "$t"

echo
echo "== 16 files of 64 MiB (sha256)"
one=$(min_seconds "$sums" -j 1 "$work"/many/*); row "consign-sums -j 1" "$one"
ours=$(min_seconds "$sums" "$work"/many/*); row "consign-sums (all cores)" "$ours" "speed-up $(ratio "$one" "$ours")x"
t=$(min_seconds sha256sum "$work"/many/*); row "sha256sum" "$t" "ratio $(ratio "$ours" "$t")"

echo
echo "== SHA-256 ceiling on this CPU (one core, 16 KiB blocks)"
openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null | tail -1 |
  awk '{ printf "openssl speed: %.2f GiB/s\n", $NF * 1000 / 1073741824 }'

echo
echo "== peak memory (max RSS) of consign-sums"
truncate -s 4G "$work/four.bin"
for f in one.bin four.bin; do
  kib=$(/usr/bin/time -f %M "$sums" "$work/$f" 2>&1 >/dev/null | tail -1)
  printf '%-44s %8s MiB\n' "consign-sums $f ($(du --apparent-size -h "$work/$f" | cut -f1))" "$((kib / 1024))"
done
