#!/usr/bin/env bash
# version/commit.cmake, which writes the build's commit into version_build.h: a git
# checkout gives `git describe --always --dirty` (and -dirty after an edit of a tracked
# file); a tree that is not a checkout (a tarball) gives "unknown", as does a tarball
# unpacked inside another checkout, and so does a missing git; none of them fails; an
# unchanged result leaves the header's time stamp alone (nothing rebuilds).
#
# usage: test_version_commit.sh CMAKE VERSION_DIR
# exit: 0 all ok, 1 a check failed, 77 no git (skipped).
set -u
CMAKE=${1:?usage: test_version_commit.sh CMAKE VERSION_DIR}
VDIR=${2:?usage: test_version_commit.sh CMAKE VERSION_DIR}
command -v git >/dev/null || { echo "skip: no git"; exit 77; }
GIT=$(command -v git)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# commit_of SOURCE_DIR [GIT]: the FL_VERSION_COMMIT the script writes for that tree.
commit_of() {
    "$CMAKE" "-DSOURCE_DIR=$1" "-DGIT=${2-$GIT}" -DVERSION=9.8.7 \
        "-DTEMPLATE=$VDIR/version_build.h.in" "-DOUT=$scratch/version_build.h" \
        -P "$VDIR/commit.cmake" || { echo "cmake -P failed"; return; }
    sed -n 's/^#define FL_VERSION_COMMIT "\(.*\)"$/\1/p' "$scratch/version_build.h"
}

repo=$scratch/repo
mkdir -p "$repo/sub"
git -C "$repo" init -q
echo one >"$repo/file"
git -C "$repo" add file
git -C "$repo" -c user.name=t -c user.email=t@t commit -qm one
head=$(git -C "$repo" rev-parse --short HEAD)
got=$(commit_of "$repo")
[ "$got" = "$head" ] && ok "a checkout: its commit ($got)" || fail "a checkout: '$got', not $head"
grep -q '^#define FL_VERSION_NUMBER "9.8.7"$' "$scratch/version_build.h" \
    && ok "the version goes in too" || fail "no FL_VERSION_NUMBER 9.8.7"
touch -d '2000-01-01' "$scratch/version_build.h"
commit_of "$repo" >/dev/null
[ "$(stat -c %Y "$scratch/version_build.h")" = "$(date -d 2000-01-01 +%s)" ] \
    && ok "the same commit again leaves the header untouched" || fail "the header was rewritten"
echo two >"$repo/file"
got=$(commit_of "$repo")
[ "$got" = "$head-dirty" ] && ok "an edited checkout: $got" || fail "an edited checkout: '$got'"
g() { git -C "$repo" -c user.name=t -c user.email=t@t "$@"; }
g tag -a v1.0 -m v1.0
git -C "$repo" checkout -q file
got=$(commit_of "$repo")
[ "$got" = "v1.0" ] && ok "a tagged commit: its tag" || fail "a tagged commit: '$got'"
g tag -d v1.0 >/dev/null
g tag -a 'odd"tag' -m odd
got=$(commit_of "$repo")
[ "$got" = "$head" ] && ok "a tag a C string cannot hold: the commit instead" || fail "an odd tag: '$got'"
got=$(commit_of "$repo/sub")
[ "$got" = unknown ] && ok "a tree inside another checkout: unknown" || fail "inside another checkout: '$got'"
mkdir "$scratch/tarball"
got=$(commit_of "$scratch/tarball")
[ "$got" = unknown ] && ok "not a checkout (a tarball): unknown" || fail "a tarball: '$got'"
got=$(commit_of "$repo" "")
[ "$got" = unknown ] && ok "no git: unknown" || fail "no git: '$got'"

[ "$failures" = 0 ] && echo "all ok" && exit 0
echo "$failures check(s) failed"
exit 1
