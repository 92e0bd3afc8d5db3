#!/usr/bin/env bash
# Compares consign-version's release-note groups with git-cliff's on the ranges the replay
# uses (BENCHMARKS.md, "Next version replayed on real histories"): for each replayed release
# TAG with previous release PREV, the commits of PREV..TAG and the group each is listed in.
#
#   scripts/compare-git-cliff.sh [OUT_DIR]
#
# Needs git-cliff (`cargo install --locked git-cliff`), jq, and bare clones of the projects in
# $MIRROR (default /work/.mirror) as OWNER+NAME/repo. Builds the `version-replay` example
# (release). Writes OUT_DIR/<project>.diff (one line per commit whose groups differ:
# `TAG COMMIT OURS THEIRS SUBJECT`, `-` for a commit a side leaves out) and prints a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-target/compare-git-cliff}
mirror=${MIRROR:-/work/.mirror}
config=scripts/git-cliff-groups.toml
mkdir -p "$out"
command -v git-cliff >/dev/null || { echo "git-cliff not found: cargo install --locked git-cliff" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq not found" >&2; exit 1; }

cargo build --quiet --release --example version-replay
replay=${CARGO_TARGET_DIR:-target}/release/examples/version-replay

# name | clone | replay options | unconventional commits (ignore or patch)
projects=(
    "semantic-release|semantic-release+semantic-release|--initial 1.0.0|ignore"
    "release-please|googleapis+release-please|--initial 1.0.0|ignore"
    "commit-analyzer|semantic-release+commit-analyzer|--initial 1.0.0|ignore"
    "release-plz|release-plz+release-plz|--tag-pattern {name}-v{version} --package release-plz --unconventional patch|patch"
)

printf '%-18s %8s %8s %8s %8s\n' project ranges commits same differ
for spec in "${projects[@]}"; do
    IFS='|' read -r name clone options unconventional <<<"$spec"
    repo=$mirror/$clone/repo
    [ -d "$repo" ] || { echo "$name: no clone at $repo (fetch it first)" >&2; continue; }
    cfg=$out/$name.toml
    if [ "$unconventional" = patch ]; then
        sed 's/skip = true }, # UNCONVENTIONAL/group = "Other changes" },/' "$config" >"$cfg"
    else
        cp "$config" "$cfg"
    fi
    # shellcheck disable=SC2086 # options are words
    "$replay" --git-dir "$repo" --last 1000 $options --groups >"$out/$name.ours.tsv"
    : >"$out/$name.theirs.tsv"
    cut -f1,2 "$out/$name.ours.tsv" | uniq | while IFS=$'\t' read -r tag previous; do
        git-cliff --config "$cfg" --repository "$repo" --context "$previous..$tag" 2>/dev/null |
            jq -r --arg tag "$tag" '.[].commits[] | [$tag, .id, .group] | @tsv' >>"$out/$name.theirs.tsv"
    done
    # Join on (tag, commit): every commit either side lists, with both groups.
    awk -F'\t' -v OFS='\t' '
        FNR == NR { theirs[$1 SUBSEP $2] = $3; next }
        { key = $1 SUBSEP $3; t = (key in theirs) ? theirs[key] : "-"; delete theirs[key]
          print $1, $3, $4, t }
        END { for (k in theirs) { split(k, p, SUBSEP); print p[1], p[2], "-", theirs[k] } }
    ' "$out/$name.theirs.tsv" "$out/$name.ours.tsv" >"$out/$name.joined.tsv"
    : >"$out/$name.diff"
    awk -F'\t' '$3 != $4' "$out/$name.joined.tsv" | while IFS=$'\t' read -r tag id ours theirs; do
        subject=$(git -C "$repo" log -1 --format=%s "$id" 2>/dev/null || echo '?')
        printf '%s\t%s\t%s\t%s\t%s\n' "$tag" "${id:0:8}" "$ours" "$theirs" "$subject" >>"$out/$name.diff"
    done
    ranges=$(cut -f1 "$out/$name.ours.tsv" | sort -u | wc -l)
    listed=$(awk -F'\t' '$3 != "-" || $4 != "-"' "$out/$name.joined.tsv" | wc -l)
    differ=$(wc -l <"$out/$name.diff")
    printf '%-18s %8d %8d %8d %8d\n' "$name" "$ranges" "$listed" "$((listed - differ))" "$differ"
done
echo "differences: $out/<project>.diff (tag, commit, ours, git-cliff's, subject)"
