#!/usr/bin/env bash
# The README's first command: install what is missing, then run the local stack until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npm start
