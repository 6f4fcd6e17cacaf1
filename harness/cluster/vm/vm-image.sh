#!/usr/bin/env bash
# Builds, once, what every VM cluster node boots, into a cache folder (`faultline cluster
# up --vm` runs it; a warm cache makes it a few checks):
#   - Debian's stock kernel (fetch-kernel.sh: `apt-get download` of the package
#     linux-image-amd64 depends on);
#   - a root disk image: a Debian minbase made by mmdebstrap from the host's own Debian
#     mirror (openssh-server, sudo, iproute2, procps), a user "faultline" with password-less
#     sudo, sshd set for keys only, and /usr/local/sbin/fl-node-init (vm-node-init.sh) as
#     the node's PID 1; an ext4 file system made by mke2fs -d, so no loop mount is needed;
#   - the boot initramfs (make-initramfs.sh with vm-boot.sh): busybox and the
#     modules the node needs before its root disk (virtio for the disk and the NIC, ext4)
#     and the qdiscs the agent uses (htb, u32, netem);
#   - which accelerator works: KVM only when a short probe boot under KVM reaches the
#     initramfs within 10 s (a /dev/kvm whose guest hangs, as on hosts without vmx, means TCG),
#     remembered per host boot.
# Why mmdebstrap and a disk: the node is a real Debian userland (PAM, sudo, sshd as
# packaged), as a user's own VM is, and the disk is shared by every node read-only
# (qemu's snapshot=on keeps each node's writes in a temporary file qemu deletes), while
# a full root as an initramfs would cost every guest its size in RAM.
# The image's name carries a hash of this folder's scripts and the package list: a
# changed recipe builds a new image, an old one is removed.
#
#   vm-image.sh CACHE_DIR
#
# Prints lines for the caller: FL_VM_KERNEL=… FL_VM_INITRD=… FL_VM_ROOTFS=… FL_VM_ACCEL=kvm|tcg
# FL_VM_BUILT=0|1 (1: something was built now). Exit codes: 0 done; 77 what it needs
# cannot be had here (the reason is printed: a missing tool, no Debian mirror); 64 usage;
# 1 anything else.
set -euo pipefail

die() { local rc=$1; shift; echo "vm-image: $*" >&2; exit "$rc"; }
(($# == 1)) || die 64 "usage: vm-image.sh CACHE_DIR"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
cache=$(cd "$1" && pwd)

packages=openssh-server,sudo,iproute2,procps
modules=(virtio_pci virtio_net virtio_blk ext4 crc32c_generic sch_htb cls_u32 sch_netem)
for tool in mmdebstrap:mmdebstrap mke2fs:e2fsprogs qemu-system-x86_64:qemu-system-x86 \
            busybox:busybox-static; do
  command -v "${tool%%:*}" >/dev/null ||
    die 77 "${tool%%:*} not found (apt-get install ${tool#*:})"
done

exec 9>"$cache/.lock"
flock 9 # one build at a time; a second `up` waits, then finds the cache warm
built=0

vars=$("$here/fetch-kernel.sh" "$cache") || exit $?
eval "$vars"

recipe=$(cat "$here/vm-image.sh" "$here/vm-node-init.sh" "$here/vm-boot.sh" \
             "$here/make-initramfs.sh"; echo "$packages ${modules[*]}")
hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)
rootfs=$cache/rootfs-$hash.ext4
initrd=$cache/boot-$FL_KVER-$hash.cpio.gz

# The host's Debian release and its first mirror (the one apt already reaches).
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $suite ]] || die 77 "cannot tell the host's Debian release (/etc/os-release)"
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
         grep -v security | head -n 1 || true)
[[ -n $mirror ]] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' \
                             /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1 || true)
[[ -n $mirror ]] || mirror=http://deb.debian.org/debian

if [[ ! -f $rootfs ]]; then
  t0=$(date +%s)
  tree=$(mktemp -d "$cache/.rootfs.XXXXXX")
  trap 'rm -rf "$tree" "$rootfs.tmp"' EXIT
  # Documentation, manuals and translations are left out: the node needs none of them.
  if ! mmdebstrap --variant=minbase --include="$packages" \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      "$suite" "$tree" "deb $mirror $suite main" >"$cache/mmdebstrap.log" 2>&1; then
    tail -n 5 "$cache/mmdebstrap.log" >&2
    die 77 "mmdebstrap $suite from $mirror failed (no Debian mirror reachable?); log: $cache/mmdebstrap.log"
  fi
  chroot "$tree" useradd --create-home --shell /bin/bash --user-group faultline
  chroot "$tree" usermod --password '*' faultline # no password, yet not locked: keys log in
  printf 'faultline ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$tree/etc/sudoers.d/faultline"
  chmod 0440 "$tree/etc/sudoers.d/faultline"
  # Keys only, no root login; MaxSessions above the controller's 6 channels a session.
  printf '%s\n' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' \
    'PermitRootLogin no' 'UseDNS no' 'PrintMotd no' 'MaxSessions 10' 'MaxStartups 100' \
    'LogLevel ERROR' >"$tree/etc/ssh/sshd_config.d/faultline.conf"
  rm -f "$tree"/etc/ssh/ssh_host_* # each node gets its own from `cluster up`
  install -m 0755 "$here/vm-node-init.sh" "$tree/usr/local/sbin/fl-node-init"
  : >"$tree/etc/machine-id"
  size_mb=$(( $(du -sm "$tree" | cut -f1) + 768 )) # room for the nodes' work
  mke2fs -q -t ext4 -L flroot -d "$tree" "$rootfs.tmp" "${size_mb}M" >&2 ||
    die 1 "mke2fs of $rootfs failed"
  mv "$rootfs.tmp" "$rootfs"
  rm -rf "$tree"
  trap - EXIT
  built=1
  echo "vm-image: root disk $rootfs built in $(( $(date +%s) - t0 )) s" >&2
fi

if [[ ! -f $initrd ]]; then
  "$here/make-initramfs.sh" "$FL_MODDIR" "$here/vm-boot.sh" "$initrd" "${modules[@]}"
  built=1
fi

# Only this recipe's files stay (an older kernel's go with fetch-kernel.sh).
for old in "$cache"/rootfs-*.ext4 "$cache"/boot-*.cpio.gz; do
  [[ -e $old && $old != "$rootfs" && $old != "$initrd" ]] && rm -f "$old"
done

# KVM only when a guest really runs under it: the probe boot must print FL-PROBE-OK.
boot_id=$(cat /proc/sys/kernel/random/boot_id)
accel_file=$cache/accel-$boot_id
if [[ ! -f $accel_file ]]; then
  accel=tcg
  if [[ -r /dev/kvm && -w /dev/kvm ]]; then
    log=$cache/kvm-probe.log
    timeout -k 5 10 qemu-system-x86_64 -accel kvm -machine pc -m 256 -smp 1 -nodefaults \
      -display none -no-reboot -nic none -serial "file:$log" -kernel "$FL_VMLINUZ" \
      -initrd "$initrd" -append "console=ttyS0 panic=-1 quiet fl_probe=1" \
      </dev/null >/dev/null 2>&1 || true
    grep -aq FL-PROBE-OK "$log" 2>/dev/null && accel=kvm
    echo "vm-image: KVM probe boot: $([[ $accel == kvm ]] && echo works || echo "no guest ran in 10 s, using TCG")" >&2
  fi
  rm -f "$cache"/accel-*
  echo "$accel" >"$accel_file"
fi

printf 'FL_VM_KERNEL=%q\nFL_VM_INITRD=%q\nFL_VM_ROOTFS=%q\nFL_VM_ACCEL=%q\nFL_VM_BUILT=%d\n' \
  "$FL_VMLINUZ" "$initrd" "$rootfs" "$(cat "$accel_file")" "$built"
