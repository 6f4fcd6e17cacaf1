#!/usr/bin/env bash
# Boots a kernel and initramfs under qemu (TCG, no network, serial console only), waits
# for the guest's `FL-VM-RESULT rc=N` line and exits with N. The serial output goes to
# LOG; it is printed whole when the guest fails or never reports.
#
#   run-vm.sh VMLINUZ INITRD LOG [TIMEOUT_S]     (TIMEOUT_S default 300; FL_VM_MEM MiB, 512)
#
# Exit codes: the guest's rc; 77 qemu-system-x86_64 missing (reason printed); 64 usage;
# 124 the VM ran out of time; 1 the VM stopped without reporting.
set -euo pipefail

die() { local rc=$1; shift; echo "run-vm: $*" >&2; exit "$rc"; }

(($# == 3 || $# == 4)) || die 64 "usage: run-vm.sh VMLINUZ INITRD LOG [TIMEOUT_S]"
kernel=$1 initrd=$2 log=$3 limit=${4:-300}
qemu=$(command -v qemu-system-x86_64 || true)
[[ -n $qemu ]] || die 77 "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
[[ -f $kernel && -f $initrd ]] || die 64 "$kernel or $initrd: no such file"
mkdir -p "$(dirname "$log")"

start=$(date +%s.%N)
set +e
# -nographic: the serial port on stdio, captured whole in LOG; stdin is /dev/null so
# nothing reaches qemu's monitor. panic=-1 + -no-reboot: a guest panic ends qemu at once.
timeout -k 10 "$limit" "$qemu" -accel tcg -machine pc -m "${FL_VM_MEM:-512}" -smp 1 \
  -nographic -no-reboot -nic none \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet" </dev/null >"$log" 2>&1
qrc=$?
set -e
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
# The markers may follow the firmware's escape sequences on the same line.
booted=$(grep -ao 'FL-VM-BOOTED .*' "$log" | sed -n 's/.*uptime_s=\([0-9.]*\).*/\1/p' | head -n 1 || true)
rc=$(grep -ao 'FL-VM-RESULT rc=[0-9]*' "$log" | tail -n 1 | sed 's/.*rc=//' || true)
echo "run-vm: qemu exited $qrc after ${elapsed} s (guest uptime at /init: ${booted:-?} s);" \
  "log: $log"
if [[ -z $rc ]]; then
  cat "$log"
  ((qrc == 124)) && die 124 "the VM did not finish within ${limit}s"
  die 1 "the VM stopped without reporting FL-VM-RESULT (qemu exit $qrc)"
fi
((rc == 0)) || { cat "$log"; echo "run-vm: guest reported rc=$rc"; }
exit "$rc"
