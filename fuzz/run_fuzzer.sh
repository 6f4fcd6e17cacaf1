#!/bin/sh
# The runner of the ctest fuzz tests (fuzz/CMakeLists.txt), started in the fuzz build
# directory:   run_fuzzer.sh NAME COMMITTED DICT [FLAG...]
# runs ./fuzz_NAME FLAG... from exactly the committed corpus COMMITTED (fuzz/corpus/NAME),
# the same way every time, so that one build makes the same run wherever it runs:
# - run/NAME/ is made afresh: seeds/ (a copy of COMMITTED), seeds.list (their names, sorted,
#   given as -seed_inputs: libFuzzer shuffles its seeds with -seed, so they must come in the
#   same order everywhere, and a directory's listing order depends on the file system),
#   new/ (empty; the only corpus directory, where libFuzzer writes the inputs it finds, so
#   never the source tree) and dict (a copy of DICT; none when DICT is "-"). It stays after
#   the run for a look.
# - Addresses are not randomised (setarch -R) and the environment is fixed (env -i, only
#   the sanitizers' *SAN_OPTIONS passed on), with relative paths only on the command line:
#   libFuzzer feeds values the code compares into its mutations, pointers among them, so
#   with ASLR, or with a stack moved by a longer environment or argument list, the same
#   -seed takes another path.
set -eu
name=$1
committed=$2
dict=$3
shift 3
if [ ! -d "$committed" ] || [ ! -x "./fuzz_$name" ]; then
  echo "run_fuzzer.sh: no corpus at $committed or no ./fuzz_$name here" >&2
  exit 1
fi
run=run/$name
rm -rf "$run"
mkdir -p "$run/new" artifacts
cp -R "$committed" "$run/seeds"
seeds=$(cd "$run/seeds" && find . -type f | LC_ALL=C sort | sed "s|^\./|$run/seeds/|")
case $seeds in
  *,*) echo "run_fuzzer.sh: a seed's name in $committed has a comma (-seed_inputs splits at commas)" >&2
       exit 1 ;;
esac
printf "%s" "$seeds" | tr "\n" , > "$run/seeds.list" # no newline: it would end a name
if [ "$dict" != - ]; then
  cp "$dict" "$run/dict"
  set -- "$@" "-dict=$run/dict"
fi
set -- "./fuzz_$name" "$@" "-seed_inputs=@$run/seeds.list" "-artifact_prefix=artifacts/fuzz_$name-" \
  "$run/new"
if setarch "$(uname -m)" -R true 2>/dev/null; then
  set -- setarch "$(uname -m)" -R "$@"
else
  echo "run_fuzzer.sh: setarch -R is not allowed here: addresses vary, so may the run" >&2
fi
keep=""
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  eval "value=\${$var-}"
  if [ -n "$value" ]; then keep="$keep $var=$value"; fi
done
# shellcheck disable=SC2086 # $keep: NAME=VALUE words (sanitizer options hold no spaces)
exec env -i PATH=/usr/local/bin:/usr/bin:/bin $keep "$@"
