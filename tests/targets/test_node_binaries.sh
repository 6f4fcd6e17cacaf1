#!/usr/bin/env bash
# The binaries faultline uploads to the nodes (the in-tree servers, the agent, the clock
# shim) need nothing of the build machine's but glibc: their ELF NEEDED entries are glibc's
# own (libc, libm, the loader; the sanitizers' runtimes in a sanitizer build), so they run
# on a VM or a user's machine that has no jansson or libnl (DESIGN.md "Binaries"). And
# they are still dynamic executables, which the clock shim's LD_PRELOAD reaches. Prints
# the newest glibc symbol version each needs.
#
# usage: test_node_binaries.sh BINARY...
set -u
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
command -v readelf >/dev/null || { echo "skip: readelf (binutils) is not installed"; exit 77; }
for b in "$@"; do
    name=$(basename "$b")
    needed=$(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    foreign=$(for n in $needed; do echo "$n"; done |
        grep -vxE 'libc\.so\.6|libm\.so\.6|ld-linux-x86-64\.so\.2|libpthread\.so\.0|libdl\.so\.2|libasan\.so\.[0-9]+|libubsan\.so\.[0-9]+')
    glibc=$(objdump -T "$b" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
    [ -z "$foreign" ] && [ -n "$needed" ] \
        && ok "$name needs only glibc ($needed; newest symbol ${glibc:-?})" \
        || bad "$name needs libraries a node may lack: ${foreign:-none at all: not dynamic, so no LD_PRELOAD}"
done
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
