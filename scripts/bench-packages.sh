#!/usr/bin/env bash
# Times consign's .deb and .rpm writers against dpkg-deb, cargo-deb, rpmbuild and
# cargo-generate-rpm on the same 512 MiB payload with the same codec and level, in the same run,
# and prints ratios (ours / theirs: below 1.00 means consign is faster). Then prints consign's
# peak memory (max RSS) for 64 MiB and 1 GiB payloads.
#
#   scripts/bench-packages.sh [RUNS] [PAYLOAD_MIB]      (defaults: 3 runs, 512 MiB)
#
# Codecs: .deb with xz level 1 (what `cargo deb --fast -Z xz` uses; its gzip is zopfli unless
# it is built with its `gzip` feature), .rpm with gzip level 9 (the level cargo-generate-rpm always uses for gzip; its zstd
# is fixed at level 19, which would take minutes a run). rpmbuild runs without its
# post-install scripts (no strip, no debuginfo extraction): only the packaging is timed.
# The payload is machine code: the first 512 MiB of this machine's shared libraries and
# programs (/usr/lib, /usr/bin), concatenated into one file.
#
# Needs: dpkg-deb (dpkg), rpmbuild (rpm), xz (xz-utils), /usr/bin/time (time), cargo-deb and
# cargo-generate-rpm (cargo install --locked cargo-deb cargo-generate-rpm); the script installs
# the last two when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mib=${2:-512}
. scripts/bench-lib.sh

for tool in dpkg-deb rpmbuild xz /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-packages: $tool missing (apt-get install dpkg rpm xz-utils time)" >&2; exit 1; }
done
for sub in deb generate-rpm; do
  cargo "$sub" --version >/dev/null 2>&1 || cargo install --locked "cargo-$sub"
done

cargo build --release --quiet --example package
ours=$PWD/target/release/examples/package

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT

payload "$mib" >"$work/payload"

row() { printf '%-40s %8s s %s\n' "$1" "$2" "${3:-}"; }

# A minimal Cargo project that cargo-deb and cargo-generate-rpm package the payload from.
mkdir -p "$work/crate/src"
echo 'fn main() {}' >"$work/crate/src/main.rs"
cat >"$work/crate/Cargo.toml" <<EOF
[package]
name = "bench-payload"
version = "1.0.0"
edition = "2021"
description = "benchmark payload"
license = "MIT"
authors = ["consign <consign@example.org>"]

[workspace]

[package.metadata.deb]
maintainer = "consign <consign@example.org>"
assets = [["$work/payload", "usr/share/bench-payload/payload", "644"]]

[package.metadata.generate-rpm]
assets = [{ source = "$work/payload", dest = "/usr/share/bench-payload/payload", mode = "644" }]
EOF

# dpkg-deb's staging tree.
mkdir -p "$work/stage/DEBIAN" "$work/stage/usr/share/bench-payload"
cp "$work/payload" "$work/stage/usr/share/bench-payload/payload"
cat >"$work/stage/DEBIAN/control" <<EOF
Package: bench-payload
Version: 1.0.0
Architecture: amd64
Maintainer: consign <consign@example.org>
Description: benchmark payload
EOF

# rpmbuild's spec and tree.
mkdir -p "$work/rpmbuild/SPECS"
cat >"$work/rpmbuild/SPECS/bench.spec" <<EOF
Name: bench-payload
Version: 1.0.0
Release: 1
Summary: benchmark payload
License: MIT
BuildArch: x86_64
%description
benchmark payload
%install
mkdir -p %{buildroot}/usr/share/bench-payload
cp $work/payload %{buildroot}/usr/share/bench-payload/payload
%files
/usr/share/bench-payload/payload
EOF
cargo_generate_rpm() {
  (cd "$work/crate" && cargo generate-rpm --payload-compress gzip -o "$work/cargo.rpm")
}
rpmbuild_run() {
  rpmbuild -bb --quiet --define "_topdir $work/rpmbuild" \
    --define "_binary_payload w9.gzdio" --define "__os_install_post %{nil}" \
    --define "debug_package %{nil}" "$work/rpmbuild/SPECS/bench.spec"
}

echo "consign .deb/.rpm writers vs peers: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, ${mib} MiB payload, $runs runs, minimum shown"
echo
echo "== .deb, xz level 1"
t_ours=$(min_seconds "$ours" deb --codec xz --level 1 --out "$work/ours.deb" "$work/payload")
row "consign (deb)" "$t_ours"
t=$(min_seconds dpkg-deb --root-owner-group -Zxz -z1 -b "$work/stage" "$work/dpkg.deb")
row "dpkg-deb -b -Zxz -z1" "$t" "ratio $(ratio "$t_ours" "$t")"
t=$(min_seconds cargo deb --manifest-path "$work/crate/Cargo.toml" --no-build --no-strip --fast -Z xz -o "$work/cargo.deb")
row "cargo deb --fast -Z xz" "$t" "ratio $(ratio "$t_ours" "$t")"
# The codec alone on every core, no packaging: the floor both sides stand on.
t=$(min_seconds xz -1 -T"$(nproc)" -c "$work/payload")
row "xz -1 -T$(nproc) alone (no packaging)" "$t" "ratio $(ratio "$t_ours" "$t")"

echo
echo "== .rpm, gzip level 9"
t_ours=$(min_seconds "$ours" rpm --codec gzip --level 9 --out "$work/ours.rpm" "$work/payload")
row "consign (rpm)" "$t_ours"
t=$(min_seconds rpmbuild_run)
row "rpmbuild (w9.gzdio)" "$t" "ratio $(ratio "$t_ours" "$t")"
t=$(min_seconds cargo_generate_rpm)
row "cargo generate-rpm (gzip 9)" "$t" "ratio $(ratio "$t_ours" "$t")"

echo
echo "== peak memory (max RSS) of consign, zstd level 3"
for size in 64 1024; do
  payload "$size" >"$work/rss-payload"
  for kind in deb rpm; do
    kib=$(/usr/bin/time -f %M "$ours" "$kind" --codec zstd --level 3 --out "$work/rss.$kind" "$work/rss-payload" 2>&1 >/dev/null | tail -1)
    printf '%-40s %8s MiB\n' "consign $kind, $size MiB payload" "$((kib / 1024))"
  done
done
