#!/usr/bin/env bash
# Fetches Debian's stock kernel for the VM tests: resolves the package linux-image-amd64
# depends on (e.g. linux-image-6.1.0-56-amd64), `apt-get download`s it into CACHE_DIR
# (once: a .deb already there is reused) and unpacks it there with dpkg-deb -x.
# Prints three lines for the caller to eval:
#   FL_KVER=6.1.0-56-amd64  FL_VMLINUZ=/…/boot/vmlinuz-…  FL_MODDIR=/…/lib/modules/…
# Exit codes: 0 done; 77 the kernel cannot be fetched here (the reason is printed; a test
# may SKIP on it); 64 usage; 1 anything else (e.g. a broken .deb).
set -euo pipefail

die() { local rc=$1; shift; echo "fetch-kernel: $*" >&2; exit "$rc"; }

(($# == 1)) || die 64 "usage: fetch-kernel.sh CACHE_DIR"
cache=$1
for tool in apt-cache apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || die 77 "cannot fetch the kernel: $tool not found (not Debian?)"
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# "Depends: linux-image-6.1.0-56-amd64" (skip alternatives' "|" and virtual "<…>").
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ <>]*\)$/\1/p' | head -n 1 || true)
[[ -n $pkg ]] || die 77 "cannot fetch the kernel: apt-cache knows no dependency" \
  "linux-image-* of linux-image-amd64 (no Debian package lists? run apt-get update)"

deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z $deb ]]; then
  tmp=$(mktemp -d "$cache/.download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # As root apt would drop to _apt, which cannot write to a build tree: stay root.
  if ! out=$(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" 2>&1); then
    die 77 "cannot fetch the kernel: 'apt-get download $pkg' failed" \
      "(no network to the Debian mirror, or stale package lists: run apt-get update):" \
      "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
  fi
  got=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1 || true)
  [[ -n $got ]] || die 77 "cannot fetch the kernel: apt-get download $pkg left no .deb"
  deb="$cache/$(basename "$got")"
  mv "$got" "$deb"
  rm -rf "$tmp"
  trap - EXIT
  echo "fetch-kernel: downloaded $(basename "$deb")" >&2
  # An older kernel (linux-image-amd64 moved on) is not needed any more.
  for old in "$cache"/linux-image-*; do
    [[ $old == "$deb" || $old == "$cache/${pkg}.root" ]] || rm -rf "$old"
  done
else
  echo "fetch-kernel: reusing $(basename "$deb")" >&2
fi

# Unpack once per .deb (the stamp names it), into a fresh directory moved into place.
root="$cache/${pkg}.root"
if [[ ! -f $root/.fl-unpacked || $(cat "$root/.fl-unpacked") != "$(basename "$deb")" ]]; then
  rm -rf "$root" "$root.tmp"
  dpkg-deb -x "$deb" "$root.tmp" || die 1 "dpkg-deb -x $deb failed (a broken download? delete it)"
  basename "$deb" >"$root.tmp/.fl-unpacked"
  mv "$root.tmp" "$root"
fi

moddir=
for d in "$root"/lib/modules/* "$root"/usr/lib/modules/*; do
  [[ -f $d/modules.order ]] && moddir=$d && break
done
[[ -n $moddir ]] || die 1 "$deb: no lib/modules/*/modules.order inside"
kver=$(basename "$moddir")
vmlinuz=$root/boot/vmlinuz-$kver
[[ -f $vmlinuz ]] || die 1 "$deb: no boot/vmlinuz-$kver inside"

printf 'FL_KVER=%q\nFL_VMLINUZ=%q\nFL_MODDIR=%q\n' "$kver" "$vmlinuz" "$moddir"
