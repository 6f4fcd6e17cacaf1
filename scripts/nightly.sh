#!/usr/bin/env bash
# One night of a faultline suite, for a scheduled CI job (ci/github-actions.yml,
# ci/gitlab-ci.yml) or a cron entry: runs `faultline suite` on SUITE.json (or this
# worker's shard of it) into a folder of its own, keeps the last K nights, and exits with
# the suite's exit code.
#
# usage: scripts/nightly.sh [--faultline BIN] [--store DIR] [--keep K] [--shard I/N]
#                           [--junit FILE] [--budget S] [--nodes-file F] [--list] SUITE.json
#
#   --faultline BIN  the faultline to run (default: build/harness/faultline of this
#                    repository, else `faultline` on PATH)
#   --store DIR      where the nights go (default ./nightly): DIR/nights/<UTC stamp>[-shard-I-of-N]/
#                    holds the suite's store (store/), junit.xml, summary.txt (what the suite
#                    printed: a line per run and the summary table), suite.log (its messages),
#                    exit-code, suite.json (the file as run) and faultline-version;
#                    DIR/nights/latest points at the newest night
#   --keep K         keep the last K nights of this shard (default 14); only folders this
#                    script made are ever deleted (its own naming and its .nightly marker)
#   --shard I/N      run worker I's share of N (faultline suite --shard)
#   --junit FILE     also copy the night's junit.xml to FILE (a fixed path for CI)
#   --budget S       seconds for the whole night (faultline suite --budget; else the file's)
#   --nodes-file F   the nodes (default: the local cluster's, brought up if needed)
#   --list           dry run: check the flags and the suite file and print this shard's
#                    tests (faultline suite --list); makes and deletes nothing
#
# Exit: the suite's: 0 valid, 1 anomaly, 2 unknown (or a test not run), 3 harness error,
# 64 usage, 65 a suite file that does not parse or names a bad setting. A suite file that
# `faultline suite --list` refuses makes no night. Needs only bash, coreutils and faultline
# (root, as faultline's local cluster does).
set -euo pipefail

prog=scripts/nightly.sh
# A step of this script that fails is a harness error (3), never a verdict.
trap 'echo "$prog: line $LINENO: a step failed (exit $?)" >&2; exit 3' ERR
usage() { sed -n '/^# usage:/,/makes and deletes nothing$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die_usage() { echo "$prog: $*" >&2; usage | sed -n 1,2p >&2; echo "($prog --help says more)" >&2; exit 64; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
faultline="" store=nightly keep=14 shard="" junit="" budget="" nodes_file="" list=0 suite=""
need_value() { [[ $# -ge 2 && -n $2 ]] || die_usage "$1 needs a value"; }
while (($#)); do
    case $1 in
        --faultline) need_value "$@"; faultline=$2; shift 2 ;;
        --store) need_value "$@"; store=$2; shift 2 ;;
        --keep) need_value "$@"; keep=$2; shift 2 ;;
        --shard) need_value "$@"; shard=$2; shift 2 ;;
        --junit) need_value "$@"; junit=$2; shift 2 ;;
        --budget) need_value "$@"; budget=$2; shift 2 ;;
        --nodes-file) need_value "$@"; nodes_file=$2; shift 2 ;;
        --faultline=* | --store=* | --keep=* | --shard=* | --junit=* | --budget=* | --nodes-file=*)
            flag=${1%%=*} value=${1#*=}; shift; set -- "$flag" "$value" "$@" ;;
        --list) list=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; (($# == 1)) || die_usage "want one suite file after --"; suite=$1; shift ;;
        -*) die_usage "unknown flag $1" ;;
        *) [[ -z $suite ]] || die_usage "want one suite file, got '$suite' and '$1'"; suite=$1; shift ;;
    esac
done
[[ -n $suite ]] || die_usage "want a suite file"
[[ -f $suite && -r $suite ]] || die_usage "$suite: no such file (a faultline suite file, README \"Suites\")"
[[ $keep =~ ^[1-9][0-9]*$ ]] || die_usage "--keep $keep: want a whole number of nights, 1 or more"
suffix=""
if [[ -n $shard ]]; then
    [[ $shard =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] && ((BASH_REMATCH[1] <= BASH_REMATCH[2])) \
        || die_usage "--shard $shard: want I/N with 1 <= I <= N"
    suffix="-shard-${BASH_REMATCH[1]}-of-${BASH_REMATCH[2]}"
fi
if [[ -n $budget ]]; then
    [[ $budget =~ ^[0-9]+([.][0-9]+)?$ && ! $budget =~ ^0+([.]0+)?$ ]] || die_usage "--budget $budget: want seconds over 0"
fi
if [[ -n $faultline ]]; then
    [[ -x $faultline && ! -d $faultline ]] || die_usage "--faultline $faultline: not an executable file"
elif [[ -x $repo/build/harness/faultline ]]; then
    faultline=$repo/build/harness/faultline
elif command -v faultline >/dev/null; then
    faultline=$(command -v faultline)
else
    echo "$prog: no faultline: build it (cmake -S . -B build && cmake --build build) or pass --faultline BIN" >&2
    exit 3
fi

args=()
[[ -n $shard ]] && args+=(--shard "$shard")
[[ -n $nodes_file ]] && args+=(--nodes-file "$nodes_file")

# The flags and every test of the file are checked before a night is made.
if ((list)); then
    [[ -n $budget ]] && args+=(--budget "$budget")
    exec "$faultline" suite --list "${args[@]}" "$suite"
fi
rc=0
"$faultline" suite --list "${args[@]}" "$suite" >/dev/null || rc=$?
if ((rc)); then
    echo "$prog: $suite: refused by faultline suite (exit $rc); no night made" >&2
    exit "$rc"
fi

nights=$store/nights
mkdir -p "$nights"
# A folder of its own: a new stamp if a night of this shard started in the same second.
while :; do
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    night=$nights/$stamp$suffix
    mkdir "$night" 2>/dev/null && break
    [[ -d $night ]] || { echo "$prog: cannot make $night" >&2; exit 3; }
    sleep 1
done
echo "made by scripts/nightly.sh; deleted by it when more than --keep nights are kept" >"$night/.nightly"
cp -- "$suite" "$night/suite.json"
"$faultline" --version >"$night/faultline-version" 2>&1 || true
ln -sfn "$stamp$suffix" "$nights/latest.tmp.$$" && mv -Tf "$nights/latest.tmp.$$" "$nights/latest"
echo "$prog: night $night (suite $suite${shard:+, shard $shard})" >&2

args+=(--store "$night/store" --junit "$night/junit.xml")
[[ -n $budget ]] && args+=(--budget "$budget")
printf '%q ' "$faultline" suite "${args[@]}" "$suite" >"$night/command"
echo >>"$night/command"
# The suite's output to the terminal and the night: stdout (run lines, the summary
# table) to summary.txt, its messages to suite.log.
set +e
trap - ERR
"$faultline" suite "${args[@]}" "$suite" 2> >(tee "$night/suite.log" >&2) | tee "$night/summary.txt"
statuses=("${PIPESTATUS[@]}")
set -e
trap 'echo "$prog: line $LINENO: a step failed (exit $?)" >&2; exit 3' ERR
rc=${statuses[0]}
wait # for the stderr tee
echo "$rc" >"$night/exit-code"
if [[ -n $junit ]]; then
    if [[ -f $night/junit.xml ]]; then
        mkdir -p -- "$(dirname -- "$junit")" && cp -- "$night/junit.xml" "$junit"
    else
        echo "$prog: the suite wrote no junit.xml (exit $rc); $junit not written" >&2
    fi
fi

# Keep the last K nights of this shard: folders named as this script names them (the
# same shard suffix), holding its marker, never a symlink or anything else.
re="^[0-9]{8}T[0-9]{6}Z${suffix}\$"
mine=()
for d in "$nights"/*; do
    name=${d##*/}
    [[ $name =~ $re && -d $d && ! -L $d && -f $d/.nightly ]] && mine+=("$name")
done
if ((${#mine[@]} > keep)); then
    mapfile -t mine < <(printf '%s\n' "${mine[@]}" | LC_ALL=C sort)
    for name in "${mine[@]:0:${#mine[@]}-keep}"; do
        [[ $name == "$stamp$suffix" ]] && continue
        echo "$prog: removing the old night $nights/$name (--keep $keep)" >&2
        rm -rf -- "${nights:?}/$name"
    done
fi
echo "$prog: night $night: exit $rc" >&2
exit "$rc"
