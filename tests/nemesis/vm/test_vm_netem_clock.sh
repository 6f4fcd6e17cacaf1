#!/usr/bin/env bash
# ctest test_vm_netem_clock: boots Debian's stock kernel under qemu (TCG, no network)
# with faultline-agent inside and runs guest_netem_clock.sh there (netem delay/loss/heal
# between two namespaces, `system` clock mode). Steps: fetch-kernel.sh (the .deb cached
# in CACHE_DIR), make-initramfs.sh, run-vm.sh. Exits 77 with the reason printed when the
# kernel or qemu is not to be had here, else with the guest's number of failures.
#
#   test_vm_netem_clock.sh AGENT CACHE_DIR [WORK_DIR]   (WORK_DIR: initramfs and serial log)
set -euo pipefail

(($# == 2 || $# == 3)) || { echo "usage: $0 AGENT CACHE_DIR [WORK_DIR]" >&2; exit 64; }
agent=$1 cache=$2 work=${3:-$2}
here=$(cd "$(dirname "$0")" && pwd)
vm=$(cd "$here/../../../harness/cluster/vm" && pwd) # the scripts the VM cluster shares
t0=$(date +%s.%N)
since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
skip() { echo "SKIP: $*" >&2; exit 77; }

command -v qemu-system-x86_64 >/dev/null ||
  skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
mkdir -p "$work"
msgs=$(mktemp "$work/.steps.XXXXXX")
trap 'rm -f "$msgs"' EXIT
# Runs a step with its messages shown; a step's exit 77 skips with its last message.
step() {
  local rc=0
  "$@" 2>"$msgs" || rc=$?
  cat "$msgs" >&2
  ((rc != 77)) || skip "$(tail -n 1 "$msgs")"
  ((rc == 0)) || { echo "FAIL: $(basename "$1") exited $rc"; exit 1; }
}

vars=$(step "$vm/fetch-kernel.sh" "$cache") || exit $?
eval "$vars"
echo "kernel $FL_KVER: $FL_VMLINUZ (fetched/unpacked in $(since) s)"
step "$vm/make-initramfs.sh" "$FL_MODDIR" "$agent" "$here/guest_netem_clock.sh" \
  "$work/netem_clock.initrd.gz"

set +e
"$here/run-vm.sh" "$FL_VMLINUZ" "$work/netem_clock.initrd.gz" "$work/netem_clock.serial.log" 300
rc=$?
set -e
grep -aE '^(PASS|FAIL|SKIP|INFO):' "$work/netem_clock.serial.log" || true
echo "test_vm_netem_clock: rc=$rc, whole test $(since) s"
((rc != 77)) || rc=1 # only this script decides to skip
exit "$rc"
