#!/usr/bin/env bash
# One command for every GPU path of the kit: prints one JSON summary (see scripts/gpu_check.py).
# Without a GPU it says so ("gpu": false), prints the CPU figures only and exits 0.
#   scripts/gpu_check.sh [--budget SECONDS] [--fast] [--submissions N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "${PYTHON:-python}" "$here/gpu_check.py" "$@"
