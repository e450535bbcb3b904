#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite (meson test prints what ran).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec meson test -C "$MOAT_BUILD" --print-errorlogs "$@"
