#!/usr/bin/env bash
# Generates a git repository with a long Conventional Commits history, deterministically (same
# arguments, same commit ids), through `git fast-import`.
#
#   scripts/version-history.sh DIR [COMMITS] [TAG_EVERY]
#
# COMMITS (default 100000) linear commits on `main`, each changing one of 400 files, with a
# mix of messages close to what conventional projects write (measured on the default run:
# fix 24 %, feat 22 %, chore 20 %, docs 9 %, ci/build 6 %, refactor 5 %, test 4 %, perf 3 %,
# revert 1 %, style 1 %, breaking — `!` or a `BREAKING CHANGE:` footer — 0.6 %, plain messages
# 5.6 %); a third of the commits have a scope and a fifth a body. An annotated tag `v1.N.0` every TAG_EVERY (default 1000)
# commits. Prints the tags' count and HEAD.
set -euo pipefail

dir=${1:?usage: version-history.sh DIR [COMMITS] [TAG_EVERY]}
commits=${2:-100000}
every=${3:-1000}

rm -rf "$dir"
git init -q -b main "$dir"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

awk -v commits="$commits" -v every="$every" '
function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
function pick(list,   n, parts) { n = split(list, parts, " "); return parts[int(rnd() * n) + 1] }
function data(text) { printf "data %d\n%s\n", length(text), text }
BEGIN {
    seed = 42
    t = 1500000000
    scopes = "cli core parser api docs build deps config io net ui auth cache db log"
    words = "handle parse render retry cache flag option path error timeout buffer stream config output input limit"
    objects = "the config file empty input long paths unicode names the lock file large files symlinks the index"
    tag = 0
    for (i = 1; i <= commits; i++) {
        t += 60 + int(rnd() * 600)
        r = rnd()
        if (r < 0.20) type = "feat"; else if (r < 0.44) type = "fix"; else if (r < 0.62) type = "chore"
        else if (r < 0.71) type = "docs"; else if (r < 0.78) type = "refactor"; else if (r < 0.83) type = "test"
        else if (r < 0.855) type = "ci"; else if (r < 0.88) type = "build"; else if (r < 0.91) type = "perf"
        else if (r < 0.93) type = "style"; else if (r < 0.94) type = "revert"; else if (r < 0.945) type = "BREAK"
        else type = ""
        desc = pick(words) " " pick(objects) " (" i ")"
        scope = (rnd() < 0.33) ? "(" pick(scopes) ")" : ""
        body = (rnd() < 0.2) ? "\n\nThe " pick(objects) " case used to " pick(words) " twice; it now does it once.\n\nRefs: #" int(rnd() * 5000) : ""
        if (type == "BREAK") {
            if (rnd() < 0.5) msg = "feat" scope "!: " desc body
            else msg = "fix" scope ": " desc "\n\nBREAKING CHANGE: " pick(words) " is now required"
        } else if (type == "") {
            msg = "Update " pick(objects) " to " pick(words) body
        } else {
            msg = type scope ": " desc body
        }
        print "commit refs/heads/main"
        printf "mark :%d\n", i
        printf "author Dev %d <dev%d@example.invalid> %d +0000\n", i % 37, i % 37, t
        printf "committer Dev %d <dev%d@example.invalid> %d +0000\n", i % 37, i % 37, t
        data(msg)
        printf "M 100644 inline src/%s/file%d.rs\n", pick(scopes), int(rnd() * 400) % 400
        data("// change " i)
        print ""
        if (i % every == 0) {
            tag++
            printf "tag v1.%d.0\nfrom :%d\ntagger Release <release@example.invalid> %d +0000\n", tag, i, t
            data("Release 1." tag ".0")
        }
    }
}' | git -C "$dir" fast-import --quiet
git -C "$dir" checkout -q main 2>/dev/null || git -C "$dir" symbolic-ref HEAD refs/heads/main
echo "$(git -C "$dir" tag | wc -l) tags, HEAD $(git -C "$dir" rev-parse HEAD), $(git -C "$dir" rev-list --count HEAD) commits"
