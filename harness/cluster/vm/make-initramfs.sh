#!/usr/bin/env bash
# Builds a VM cluster node's boot initramfs (a gzip'd newc cpio): busybox-static with its
# applet links, the kernel modules asked for (and what they depend on, in load order),
# and an /init that mounts proc/sys/dev/run, loads the modules and then becomes the
# node's boot script (vm-boot.sh: it mounts the node's root disk and switches to it).
#
#   make-initramfs.sh MODDIR BOOT_SCRIPT OUT MODULE...
#
# MODDIR is the kernel's lib/modules/<version> (fetch-kernel.sh prints it).
# Exit codes: 0 built; 77 a tool it needs is missing (the reason is printed); 64 usage;
# 1 anything else.
set -euo pipefail

die() { local rc=$1; shift; echo "make-initramfs: $*" >&2; exit "$rc"; }

(($# >= 4)) || die 64 "usage: make-initramfs.sh MODDIR BOOT_SCRIPT OUT MODULE..."
moddir=$1 guest=$2 out=$3
shift 3
modules=("$@")

[[ -f $moddir/modules.order ]] || die 1 "$moddir: not a kernel modules directory"
[[ -f $guest ]] || die 1 "$guest: no such file"
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die 77 "busybox not found (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die 77 "$busybox is dynamically linked: install busybox-static"
command -v objcopy >/dev/null || die 77 "objcopy not found (apt-get install binutils)"
# GNU cpio when there is one, else busybox's (both write newc).
if command -v cpio >/dev/null; then cpio=(cpio --quiet -o -H newc -R 0:0)
else cpio=("$busybox" cpio -o -H newc); fi

kver=$(basename "$moddir")
stage=$(mktemp -d "${TMPDIR:-/tmp}/fl-initramfs.XXXXXX")
trap 'rm -rf "$stage" "$out.tmp"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,lib/modules/"$kver"}
mkdir "$stage/var" && ln -s ../run "$stage/var/run"

# busybox and one link per applet.
install -m 0755 "$busybox" "$stage/bin/busybox"
while read -r applet; do
  case ${applet##*/} in busybox) continue ;; esac
  [[ -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)
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

printf 'FL_KVER=%s\n' "$kver" >"$stage/etc/fl-vm.env"

cat >"$stage/init" <<'INIT'
#!/bin/sh
# PID 1 of the VM until the boot script takes over: set up, load modules, exec it.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
. /etc/fl-vm.env
export FL_KVER
echo "FL-VM-BOOTED kernel=$(uname -r) uptime_s=$(cut -d' ' -f1 /proc/uptime)"
ip link set lo up
while read -r m; do
  insmod "/lib/modules/$FL_KVER/$m" || echo "FL-VM: insmod $m failed"
done </etc/fl-modules
exec sh /fl-guest.sh
INIT
chmod 0755 "$stage/init"
# The kernel opens /dev/console before /init runs (its built-in initramfs has one too).
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "${cpio[@]}" | gzip -6) >"$out.tmp"
mv "$out.tmp" "$out"
echo "make-initramfs: $out ($(du -h "$out" | cut -f1)), modules: ${order[*]}" >&2
