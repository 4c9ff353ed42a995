#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build.sh DIR [CMAKE ARGS...]: configures and builds faultline into DIR.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cmake -S "$src" -B "$dir" -DFAULTLINE_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
