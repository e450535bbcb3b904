#!/usr/bin/env bash
# README command 1: set up, build, and run moat's main job, a sandboxed command on the host's root
# (`moat do` with its embedded default command, or the command given as arguments).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec "$MOAT_BUILD/tools/moat/moat" do -- "$@"
