#!/usr/bin/env bash
# Installs every Debian package faultline needs to build and test (Debian 12, as root).
set -euo pipefail
packages=(
  build-essential cmake pkg-config bash   # the build
  clang libclang-rt-14-dev           # libFuzzer targets and their sanitizer runtime
  libjansson-dev                     # JSON: histories, results, configs
  libpcre2-dev                       # log-pattern checker
  libcmocka-dev                      # unit tests
  libssh2-1-dev                      # the controller's SSH
  libnl-3-dev libnl-route-3-dev      # the agent's partitions (htb, pfifo, u32 over netlink)
  openssh-server openssh-client      # sshd on every local-cluster node; ssh-keygen
  iproute2 util-linux procps         # ip netns / veth / bridge; unshare, nsenter; pkill
  sudo passwd                        # the test of a non-root node user (sudo -n)
  redis-tools                        # redis-server (as redis-check-rdb) under the clock shim
  redis-server                       # targets/support's test: a real daemon (test_support_redis)
  jq                                 # the integration tests read results.json and histories
  qemu-system-x86 busybox-static cpio  # the VM test: netem and system clock mode
  mmdebstrap gpg libdpkg-perl e2fsprogs  # cluster up --vm: the guests' Debian root disk
  libmicrohttpd-dev                  # faultline serve
  chromium                           # the report's browser tests (headless)
  libxml2-utils curl                 # junit.xml against its XSD (xmllint); serve's test
  python3-yaml                       # the CI examples' test parses ci/*.yml (PyYAML)
  git                                # the build's commit stamp (version/); CI containers lack it
  libpq-dev postgresql-15            # the postgres target: its client (libpq) and server
  etcd-server libcurl4-openssl-dev   # the etcd target: its server, and libcurl for its JSON gateway
  libssl-dev                         # and OpenSSL's base64 for the gateway's keys and values
  redis-sentinel libhiredis-dev      # the redis target: Sentinel, and its client (hiredis)
  python3 python3-redis              # the target-file examples' clients (examples/)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
# postgresql-common would create and start a "main" cluster on the host; the harness
# starts its own servers on the nodes and never the system's service.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
fi
if ((${#missing[@]})); then
  apt-get update -q
  # Packages with a service (postgresql, etcd-server, redis-server, redis-sentinel) would
  # start it on the host where an init system runs: the harness starts its own processes
  # on the nodes, never the system's. policy-rc.d says no to every service start, and only
  # while we install (an existing one is left alone).
  policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  # Everything is here; refresh the lists anyway, but an offline machine may go on.
  apt-get update -q >/dev/null 2>&1 || echo "install-deps: apt-get update failed (offline?); every package is installed" >&2
fi
