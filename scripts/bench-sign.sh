#!/usr/bin/env bash
# Signs one large file with consign's OpenPGP signer (examples/sign.rs) and with
# `gpg --detach-sign`, same key (Ed25519, made by gpg), same digest (SHA-256), same run;
# prints the best of RUNS times, the ratio (ours / gpg: below 1.00 means consign is faster)
# and both peak RSS figures. Both signatures are checked with gpgv.
#
#   scripts/bench-sign.sh [SIZE_GIB] [RUNS]      (defaults: 4 GiB, 3 runs)
#
# The input is a sparse file (reads cost no disk I/O). Needs: gpg, gpgv, GNU time
# (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-4}
runs=${2:-3}

for tool in gpg gpgv /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-sign: $tool missing (apt-get install gpg gpgv time)" >&2; exit 1; }
done

cargo build --release --quiet --no-default-features --features sign --example sign
sign=$PWD/target/release/examples/sign

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench-sign.XXXXXX")
trap 'gpgconf --homedir "$work/gnupg" --kill gpg-agent 2>/dev/null || true; rm -rf "$work"' EXIT
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
uid='Bench <bench@consign.invalid>'
gpg --batch --quiet --passphrase '' --quick-gen-key "$uid" ed25519 sign never
gpg --batch --quiet --armor --export-secret-keys "$uid" >"$work/key.asc"
gpg --batch --quiet --export "$uid" >"$work/keyring.gpg"
truncate -s "${size}G" "$work/big.bin"

# best CMD...: runs CMD $runs times under GNU time; prints "seconds peak_rss_kib" of the
# fastest run.
best() {
  local best_t= best_m= t m
  for _ in $(seq "$runs"); do
    read -r t m < <(/usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -n 1)
    if [ -z "$best_t" ] || awk "BEGIN { exit !($t < $best_t) }"; then best_t=$t best_m=$m; fi
  done
  echo "$best_t $best_m"
}

read -r ours_t ours_m < <(best "$sign" --key "$work/key.asc" "$work/big.bin")
read -r gpg_t gpg_m < <(best gpg --batch --yes --quiet --digest-algo SHA256 --local-user "$uid" \
  --output "$work/big.bin.gpg-sig" --detach-sign "$work/big.bin")

gpgv --quiet --keyring "$work/keyring.gpg" "$work/big.bin.sig" "$work/big.bin" 2>/dev/null \
  || { echo "bench-sign: gpgv rejected our signature" >&2; exit 1; }
gpgv --quiet --keyring "$work/keyring.gpg" "$work/big.bin.gpg-sig" "$work/big.bin" 2>/dev/null \
  || { echo "bench-sign: gpgv rejected gpg's signature" >&2; exit 1; }

printf 'input: %s GiB sparse file, best of %s runs, both signatures checked with gpgv\n' "$size" "$runs"
printf '%-28s %8s s  %7.1f MiB peak RSS\n' "consign sign (examples/sign)" "$ours_t" "$(awk "BEGIN { print $ours_m / 1024 }")"
printf '%-28s %8s s  %7.1f MiB peak RSS\n' "gpg --detach-sign" "$gpg_t" "$(awk "BEGIN { print $gpg_m / 1024 }")"
printf 'ratio ours / gpg: %s\n' "$(awk "BEGIN { printf \"%.2f\", $ours_t / $gpg_t }")"
if awk "BEGIN { exit !($ours_m >= 64 * 1024) }"; then
  echo "bench-sign: peak RSS ${ours_m} KiB is over the 64 MiB target" >&2
  exit 1
fi
