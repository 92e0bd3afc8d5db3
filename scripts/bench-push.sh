#!/usr/bin/env bash
# Times consign's registry push against `skopeo copy oci:… docker://…` for the same image (4
# gzip layers of incompressible data, ~1 GiB in all, in an OCI image layout) to a local
# `docker-registry` (distribution), each to a fresh repository, in the same run; prints the
# ratio skopeo / consign (above 1.00 means consign is faster). Then times a re-push by consign,
# which must send no blob bytes. Also prints consign's peak memory (max RSS) per push.
#
#   scripts/bench-push.sh [RUNS] [LAYER_MIB]      (defaults: 3 runs, 256 MiB layers)
#
# Needs: docker-registry, skopeo, openssl, gzip, tar, curl, bc, python3, /usr/bin/time (Debian
# packages of the same names).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mib=${2:-256}

for tool in docker-registry skopeo openssl gzip tar curl bc python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-push: $tool missing (apt-get install docker-registry skopeo openssl gzip tar curl bc python3 time)" >&2; exit 1; }
done

cargo build --release --quiet --example push
ours=$PWD/target/release/examples/push

work=$(mktemp -d "${TMPDIR:-/tmp}/consign-bench-push.XXXXXX")
registry_pid=
cleanup() { stop_registry; rm -rf "$work"; }
trap cleanup EXIT

sha() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

# The image: an OCI layout with 4 layers of MIB MiB of random bytes each.
layout=$work/layout
mkdir -p "$layout/blobs/sha256" "$work/src"
layers= diff_ids=
for i in 1 2 3 4; do
  head -c "${mib}M" /dev/urandom > "$work/src/data$i.bin"
  tar -C "$work/src" -cf "$work/layer$i.tar" "data$i.bin"
  rm "$work/src/data$i.bin"
  diff_ids+="${diff_ids:+,}\"sha256:$(sha "$work/layer$i.tar")\""
  gzip -1 -n -c "$work/layer$i.tar" > "$work/layer$i.tar.gz"
  rm "$work/layer$i.tar"
  d=$(sha "$work/layer$i.tar.gz")
  size=$(stat -c %s "$work/layer$i.tar.gz")
  mv "$work/layer$i.tar.gz" "$layout/blobs/sha256/$d"
  layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$size}"
done
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diff_ids" > "$work/config.json"
cd_=$(sha "$work/config.json"); cs=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$layout/blobs/sha256/$cd_"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$cd_" "$cs" "$layers" > "$work/manifest.json"
md=$(sha "$work/manifest.json"); ms=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$layout/blobs/sha256/$md"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' "$md" "$ms" > "$layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
total=$(du -sb "$layout/blobs" | cut -f1)
echo "image: 4 layers, $((total / 1048576)) MiB, manifest sha256:$md"

# A fresh registry for every push: skopeo remembers where it saw blobs (its blob info cache)
# and would mount them from an earlier repository on the same registry instead of uploading.
registries=0
start_registry() {
  stop_registry
  registries=$((registries + 1))
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage$registries
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$work/registry.yml" 2>>"$work/registry.log" &
  registry_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  host=127.0.0.1:$port
}
stop_registry() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
    registry_pid=
  fi
  rm -rf "$work"/storage*
}

now() { date +%s.%N; }
best_ours= best_s=
for run in $(seq "$runs"); do
  start_registry
  t0=$(now)
  skopeo copy --quiet --dest-tls-verify=false "oci:$layout:bench" "docker://$host/skopeo/bench:1"
  t1=$(now)
  start_registry
  t2=$(now)
  /usr/bin/time -f %M -o "$work/rss" "$ours" --plain-http --layout "$layout" "$host/consign/bench:1" > "$work/ours.out"
  t3=$(now)
  rss=$(cat "$work/rss")
  s=$(echo "$t1 - $t0" | bc); o=$(echo "$t3 - $t2" | bc)
  printf 'run %d: skopeo copy %.2f s, consign push %.2f s (max RSS %d MiB), ratio %.2f\n' "$run" "$s" "$o" "$((rss / 1024))" "$(echo "$s / $o" | bc -l)"
  [ -z "${best_ours}" ] || [ "$(echo "$o < $best_ours" | bc)" = 1 ] && best_ours=$o
  [ -z "${best_s}" ] || [ "$(echo "$s < $best_s" | bc)" = 1 ] && best_s=$s
done
printf 'best of %d: skopeo copy %.2f s, consign push %.2f s (%.0f MB/s): ratio skopeo/consign %.2f\n' \
  "$runs" "$best_s" "$best_ours" "$(echo "$total / $best_ours / 1000000" | bc -l)" "$(echo "$best_s / $best_ours" | bc -l)"

# A re-push to the last repository: every blob exists, none is sent.
t0=$(now)
"$ours" --plain-http --layout "$layout" "$host/consign/bench:1" > "$work/again.out"
t1=$(now)
cat "$work/again.out"
grep -q '^0 blob bytes sent' "$work/again.out" || { echo "bench-push: the re-push sent blob bytes" >&2; exit 1; }
printf 're-push: %.2f s, 0 blob bytes sent\n' "$(echo "$t1 - $t0" | bc)"
