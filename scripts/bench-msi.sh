#!/usr/bin/env bash
# Times consign's .msi writer against msitools' wixl on the same tree in the same run, and
# prints both times, the ratio (wixl / consign: above 1.00 means consign is faster) and the
# peak memory (max RSS) of each.
#
#   scripts/bench-msi.sh [RUNS] [PAYLOAD_MIB]      (defaults: 3 runs, 256 MiB)
#
# The tree is one file, bin/payload, under Program Files\consign\payload: machine code, the
# first PAYLOAD_MIB MiB of this machine's shared libraries and programs (/usr/lib, /usr/bin)
# concatenated. Both write one embedded MSZIP cabinet at deflate's default level 6 (wixl's
# gcab uses zlib's default; consign's --level 6 is its default too). The fastest of RUNS
# runs is shown for each, and the largest max RSS.
#
# Needs: wixl (wixl), msiinfo (msitools), /usr/bin/time (time).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mib=${2:-256}
. scripts/bench-lib.sh

for tool in wixl msiinfo /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-msi: $tool missing (apt-get install wixl msitools time)" >&2; exit 1; }
done

cargo build --release --quiet --example package
ours=$PWD/target/release/examples/package

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench-msi.XXXXXX")
trap 'rm -rf "$work"' EXIT
payload "$mib" >"$work/payload"

cat >"$work/payload.wxs" <<WXS
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="payload" Language="1033" Version="1.0.0" Manufacturer="consign"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version is installed."/>
    <Media Id="1" Cabinet="cab1.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="MANUFACTURERFOLDER" Name="consign">
          <Directory Id="INSTALLDIR" Name="payload">
            <Directory Id="BIN" Name="bin">
              <Component Id="c1" Guid="11111111-1111-1111-1111-111111111111" Win64="yes">
                <File Id="f1" Source="payload" KeyPath="yes"/>
              </Component>
            </Directory>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1"><ComponentRef Id="c1"/></Feature>
  </Product>
</Wix>
WXS

# measure NAME CMD...: runs CMD $runs times under /usr/bin/time; sets best (seconds) and rss (KiB).
measure() {
  local name=$1 t m
  shift
  best= rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/$name.err" || {
      cat "$work/$name.err" >&2
      exit 1
    }
    read -r t m <"$work/time"
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
}

echo "consign .msi writer vs wixl: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, ${mib} MiB payload, $runs runs, fastest shown"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure consign "$ours" msi --level 6 --name payload --out "$work/ours.msi" "$work/payload"
t_ours=$best rss_ours=$rss
cd "$work" # wixl reads Source paths relative to the working directory
measure wixl wixl -a x64 -o "$work/wixl.msi" "$work/payload.wxs"
t_wixl=$best rss_wixl=$rss
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

# Both packages must be sound: msiinfo reads their summaries without complaint.
for f in ours wixl; do
  if [ -n "$(msiinfo suminfo "$work/$f.msi" 2>&1 >/dev/null)" ]; then
    echo "bench-msi: msiinfo cannot read $f.msi" >&2
    exit 1
  fi
done

printf '%-28s %8s s %8s MiB max RSS %12s bytes\n' "consign (msi, level 6)" "$t_ours" "$((rss_ours / 1024))" "$(stat -c %s "$work/ours.msi")"
printf '%-28s %8s s %8s MiB max RSS %12s bytes\n' "wixl -a x64" "$t_wixl" "$((rss_wixl / 1024))" "$(stat -c %s "$work/wixl.msi")"
echo "ratio wixl / consign: $(awk "BEGIN { printf \"%.2f\", $t_wixl / $t_ours }")"
