# Helpers the benchmark scripts share; source it after setting `runs`.
#
#   payload MIB          machine code on stdout: the first MIB MiB of this machine's shared
#                        libraries and programs (/usr/lib, /usr/bin), repeated if there are fewer
#   min_seconds CMD...   the fastest of $runs runs of CMD, in seconds
#   ratio A B            A / B with two decimals

payload() {
  (
    set +o pipefail # head ends the stream early on purpose
    for _ in 1 2 3 4 5 6 7 8; do
      find /usr/lib /usr/bin -type f -size +64k -print0 2>/dev/null | sort -z | xargs -0 cat 2>/dev/null
    done | head -c $(($1 << 20))
  )
}

min_seconds() {
  local best= t0 t1 t
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    t=$(awk "BEGIN { print $t1 - $t0 }")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
  done
  printf '%.2f' "$best"
}

ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
