#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for moat: installs the Debian packages that are missing,
# then configures (once) and builds with meson into ./build. Sourced by quickstart.sh and test.sh.
set -euo pipefail

MOAT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOAT_BUILD="$MOAT_TOP/build"

# Build dependencies, the test suite's tools and workloads (gdb: hang reports), and the peers
# the benchmark compares.
MOAT_PACKAGES=(
  meson ninja-build pkg-config gcc clang
  libseccomp-dev libunwind-dev liburing-dev libcriterion-dev libjson-c-dev
  python3 libpython3.11-testsuite busybox-static gdb
  runsc proot sqlite3 gzip tar
  containerd runc
)

moat_missing_packages() {
  local p missing=()
  for p in "${MOAT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

moat_install_packages() {
  local missing
  missing=$(moat_missing_packages)
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing $missing"
  moat_quiet $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  moat_quiet $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# Quiet when it works; on failure, shows the tool's own output (meson prints errors on stdout).
moat_quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" | tail -40 >&2
    echo "setup: failed: $*" >&2
    return 1
  fi
}

moat_build() {
  if [ ! -f "$MOAT_BUILD/build.ninja" ]; then
    moat_quiet meson setup "$MOAT_BUILD" "$MOAT_TOP"
  fi
  moat_quiet ninja -C "$MOAT_BUILD"
}

moat_install_packages
moat_build
