#!/bin/sh
# PID 1 of a VM cluster node once it has switched to its root disk (installed there as
# /usr/local/sbin/fl-node-init by vm-image.sh): the kernel file systems, the node's name
# and address (from /etc/fl-node.env, which vm-boot.sh copied in), then sshd in the
# foreground, as on the namespace cluster. sshd as PID 1 reaps what is orphaned on the
# node (daemons started detached by the harness); its end ends the VM (panic=-1 and
# qemu's -no-reboot).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
. /etc/fl-node.env
hostname "$FL_NODE"
echo "$FL_NODE" >/etc/hostname
ip link set lo up
ip addr add "$FL_ADDR" dev eth0
ip link set eth0 up
mkdir -p /run/sshd
echo "FL-NODE-UP $FL_NODE $FL_ADDR uptime_s=$(cut -d' ' -f1 /proc/uptime)"
exec /usr/sbin/sshd -D -e
