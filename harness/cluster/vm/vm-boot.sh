#!/bin/sh
# PID 1 of a VM cluster node's initramfs, after make-initramfs.sh's /init has loaded the
# modules: mounts the node's root disk (the cached image, opened by qemu with
# snapshot=on, so nothing a node writes reaches the image), puts the node's own files
# into it (/fl-node/ comes from the node's second cpio, which `cluster up --vm` writes:
# node.env with its name and address, its ssh host key, the controller's public key,
# /etc/hosts) and switches to it, where vm-node-init.sh starts sshd. A probe boot
# (fl_probe=1 on the kernel command line: is this accelerator usable?) only says so and
# powers off. Any failure prints FL-VM-BOOT-FAILED and powers off, so qemu exits and
# `cluster up` reports the console's last lines instead of waiting.
fail() {
  echo "FL-VM-BOOT-FAILED: $*"
  poweroff -f
}
if grep -q 'fl_probe=1' /proc/cmdline; then
  echo "FL-PROBE-OK $(cut -d' ' -f1 /proc/uptime)"
  poweroff -f
fi
[ -f /fl-node/node.env ] || fail "no /fl-node/node.env: the node's cpio was not appended"
mkdir -p /newroot
mount -t ext4 /dev/vda /newroot || fail "cannot mount the root disk /dev/vda"
[ -x /newroot/usr/local/sbin/fl-node-init ] || fail "the root disk has no fl-node-init"
# (busybox has no install(1): cp keeps the cpio's modes.)
cp /fl-node/ssh_host_ed25519_key /fl-node/ssh_host_ed25519_key.pub /newroot/etc/ssh/ &&
  cp /fl-node/hosts /newroot/etc/hosts && cp /fl-node/node.env /newroot/etc/fl-node.env ||
  fail "cannot copy the node's files into its root"
. /fl-node/node.env
home=/newroot/home/$FL_USER
ids=$(awk -F: -v u="$FL_USER" '$1 == u { print $3 ":" $4 }' /newroot/etc/passwd)
[ -n "$ids" ] || fail "the root disk has no user $FL_USER"
mkdir -p "$home/.ssh" && cp /fl-node/authorized_keys "$home/.ssh/authorized_keys" &&
  chown -R "$ids" "$home/.ssh" && chmod 0700 "$home/.ssh" && chmod 0600 "$home/.ssh/authorized_keys" ||
  fail "cannot install $FL_USER's authorized_keys"
mount --move /dev /newroot/dev
umount /run /tmp /sys /proc
exec switch_root /newroot /usr/local/sbin/fl-node-init
