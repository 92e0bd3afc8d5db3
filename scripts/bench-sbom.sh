#!/usr/bin/env bash
# Times SBOM generation for this workspace's graph: the `sbom` example (inventory of the
# `consign` package for the host, then CycloneDX 1.6 and SPDX 2.3 written) against
# `cargo cyclonedx` (CycloneDX 1.5 JSON for the workspace), in the same run, on the same copy of
# the workspace, and prints the ratio (ours / theirs: below 1.00 means consign is faster).
#
#   scripts/bench-sbom.sh [RUNS]        (default 20 runs per command; the minimum is reported)
#
# Installs cargo-cyclonedx (`cargo install cargo-cyclonedx --locked`) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}

command -v cargo-cyclonedx >/dev/null || cargo install cargo-cyclonedx --locked
cargo build --release --quiet --example sbom
sbom=$PWD/target/release/examples/sbom

# Both tools run cargo and rustc: call the toolchain's binaries, not the rustup proxies.
if command -v rustup >/dev/null; then
  CARGO=$(rustup which cargo) RUSTC=$(rustup which rustc)
  export CARGO RUSTC
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench-sbom.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A copy of the sources (not target/): cargo cyclonedx writes its files beside each manifest.
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work"
cd "$work"
export SOURCE_DATE_EPOCH=1700000000
mkdir out

# seconds CMD...: the wall time of one run.
seconds() {
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  awk "BEGIN { print $t1 - $t0 }"
}
min() { if [ -z "$1" ] || awk "BEGIN { exit !($2 < $1) }"; then echo "$2"; else echo "$1"; fi; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

# Warm the caches (registry index, rustc's target information) for both.
"$sbom" -p consign -o out >/dev/null
cargo cyclonedx -f json --spec-version 1.5 -q

# The commands take turns, so a change of load on the machine hits them alike.
ours= theirs= meta=
for _ in $(seq "$runs"); do
  ours=$(min "$ours" "$(seconds "$sbom" -p consign -o out)")
  theirs=$(min "$theirs" "$(seconds cargo cyclonedx -f json --spec-version 1.5 -q)")
  meta=$(min "$meta" "$(seconds cargo metadata --format-version 1 --locked)")
done

crates=$(grep -c '"bom-ref": "pkg:cargo/' out/consign-0.1.0.cdx.json)
echo "SBOM of this workspace ($crates crates for consign): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $runs runs, minimum shown"
printf '%-52s %7.3f s\n' "consign sbom example (CycloneDX 1.6 + SPDX 2.3)" "$ours"
printf '%-52s %7.3f s   ratio %s\n' "cargo cyclonedx -f json --spec-version 1.5" "$theirs" "$(ratio "$ours" "$theirs")"
printf '%-52s %7.3f s\n' "cargo metadata --format-version 1 (reference)" "$meta"
