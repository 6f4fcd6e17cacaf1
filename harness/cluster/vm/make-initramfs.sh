#!/usr/bin/env bash
# Builds a guest's initramfs (a gzip'd newc cpio): busybox-static with its applet links,
# the kernel modules asked for (and what they depend on, in load order), the host's `ip`
# and `tc` (iproute2) and faultline-agent with their shared libraries and the dynamic
# loader when an agent is given, a guest script, and an /init that mounts
# proc/sys/dev/run, loads the modules and runs the guest script. Two uses:
#   - the VM tests (tests/nemesis/vm): /init runs the guest script, prints
#     `FL-VM-RESULT rc=N` and powers the VM off;
#   - the VM cluster (--exec, AGENT "-"): the guest script becomes PID 1 (it mounts the
#     node's root disk and switches to it: vm-boot.sh).
#
#   make-initramfs.sh [--exec] MODDIR AGENT|- GUEST_SCRIPT OUT [MODULE...]
#
# MODDIR is the kernel's lib/modules/<version> (fetch-kernel.sh prints it); MODULE names
# default to sch_netem sch_htb cls_u32 veth. The host's boot id is written to
# /etc/fl-vm.env as FL_HOST_BOOT_ID (the agent's --controller-boot-id in the guest).
# Exit codes: 0 built; 77 a tool it needs is missing (the reason is printed); 64 usage;
# 1 anything else.
set -euo pipefail

die() { local rc=$1; shift; echo "make-initramfs: $*" >&2; exit "$rc"; }

exec_guest=0
[[ ${1:-} != --exec ]] || { exec_guest=1; shift; }
(($# >= 4)) || die 64 "usage: make-initramfs.sh [--exec] MODDIR AGENT|- GUEST_SCRIPT OUT [MODULE...]"
moddir=$1 agent=$2 guest=$3 out=$4
shift 4
modules=("$@")
((${#modules[@]})) || modules=(sch_netem sch_htb cls_u32 veth)

[[ -f $moddir/modules.order ]] || die 1 "$moddir: not a kernel modules directory"
[[ $agent == - || -x $agent ]] || die 1 "$agent: no such executable"
[[ -f $guest ]] || die 1 "$guest: no such file"
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die 77 "busybox not found (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die 77 "$busybox is dynamically linked: install busybox-static"
ip=$(command -v ip || true)
[[ -n $ip ]] || die 77 "ip not found (apt-get install iproute2)"
tc=$(command -v tc || true)
command -v objcopy >/dev/null || die 77 "objcopy not found (apt-get install binutils)"
# GNU cpio when there is one, else busybox's (both write newc).
if command -v cpio >/dev/null; then cpio=(cpio --quiet -o -H newc -R 0:0)
else cpio=("$busybox" cpio -o -H newc); fi

kver=$(basename "$moddir")
stage=$(mktemp -d "${TMPDIR:-/tmp}/fl-initramfs.XXXXXX")
trap 'rm -rf "$stage" "$out.tmp"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,lib/modules/"$kver"}
mkdir "$stage/var" && ln -s ../run "$stage/var/run"

# busybox and one link per applet (skipped where a real binary goes below).
install -m 0755 "$busybox" "$stage/bin/busybox"
while read -r applet; do
  case ${applet##*/} in busybox | ip | tc) continue ;; esac
  [[ -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)

# A binary and every library ldd names (the loader too), at the paths ldd gives.
copy_with_libs() { # src dest-in-stage
  install -D -m 0755 "$1" "$stage$2"
  local lib
  for lib in $(ldd "$1" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'); do
    [[ -e $stage$lib ]] || install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
  done
}
if [[ $agent != - ]]; then
  copy_with_libs "$ip" /sbin/ip
  [[ -z $tc ]] || copy_with_libs "$tc" /sbin/tc
  copy_with_libs "$(readlink -f "$agent")" /bin/faultline-agent
fi
install -m 0755 "$guest" "$stage/fl-guest.sh"

# Modules: name -> path from modules.order; dependencies from each module's .modinfo
# "depends=" (the package ships no modules.dep: depmod makes it at install time).
declare -A path_of=() loaded=()
while read -r rel; do
  name=${rel##*/}; name=${name%%.ko*}; name=${name//-/_}
  path_of[$name]=$rel
done <"$moddir/modules.order"
builtin_has() { grep -q "/${1}.ko\$" "$moddir/modules.builtin" 2>/dev/null; }
order=()
add_module() { # name: its dependencies first, then itself
  local name=${1//-/_}
  [[ -n ${loaded[$name]:-} ]] && return 0
  loaded[$name]=1
  if [[ -z ${path_of[$name]:-} ]]; then
    builtin_has "$name" && return 0
    die 1 "module $name: not in $moddir/modules.order nor modules.builtin"
  fi
  local rel=${path_of[$name]} src dest
  # modules.order names foo.ko; the file may be stored compressed.
  for src in "$moddir/$rel" "$moddir/$rel.xz" "$moddir/$rel.zst" "$moddir/$rel.gz"; do
    [[ -f $src ]] && break
  done
  [[ -f $src ]] || die 1 "module $name: $moddir/$rel not found (nor compressed)"
  dest=$stage/lib/modules/$kver/$name.ko
  case $src in
    *.xz) xz -dc "$src" >"$dest" ;;
    *.zst) zstd -qdc "$src" >"$dest" ;;
    *.gz) gzip -dc "$src" >"$dest" ;;
    *) cp "$src" "$dest" ;;
  esac
  local deps dep
  deps=$(objcopy -O binary --only-section=.modinfo "$dest" /dev/stdout | tr '\0' '\n' |
         sed -n 's/^depends=//p')
  for dep in ${deps//,/ }; do add_module "$dep"; done
  order+=("$name.ko")
}
for m in "${modules[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$stage/etc/fl-modules"

host_boot_id=$(cat /proc/sys/kernel/random/boot_id)
printf 'FL_HOST_BOOT_ID=%s\nFL_KVER=%s\nFL_EXEC_GUEST=%s\n' "$host_boot_id" "$kver" \
  "$exec_guest" >"$stage/etc/fl-vm.env"

cat >"$stage/init" <<'INIT'
#!/bin/sh
# PID 1 of the VM: set up, load modules, run /fl-guest.sh (or become it), report, power off.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
. /etc/fl-vm.env
export FL_HOST_BOOT_ID FL_KVER
echo "FL-VM-BOOTED kernel=$(uname -r) uptime_s=$(cut -d' ' -f1 /proc/uptime)"
ip link set lo up
modfail=0
while read -r m; do
  insmod "/lib/modules/$FL_KVER/$m" || { echo "FL-VM: insmod $m failed"; modfail=1; }
done </etc/fl-modules
[ "$FL_EXEC_GUEST" = 1 ] && exec sh /fl-guest.sh
sh /fl-guest.sh
rc=$?
[ "$modfail" = 0 ] || rc=$((rc + 1))
if [ "$rc" != 0 ]; then
  echo "== guest kernel log (last 60 lines)"
  dmesg | tail -n 60
fi
echo "FL-VM-RESULT rc=$rc uptime_s=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
INIT
chmod 0755 "$stage/init"
# The kernel opens /dev/console before /init runs (its built-in initramfs has one too).
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "${cpio[@]}" | gzip -6) >"$out.tmp"
mv "$out.tmp" "$out"
echo "make-initramfs: $out ($(du -h "$out" | cut -f1)), modules: ${order[*]}" >&2
