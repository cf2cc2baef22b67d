#!/usr/bin/env bash
# The README's first command: install what is missing, then run the local stack until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what the stack needs: the test components (Kafka, librdkafka, …) come with the first `npm test`.
bash scripts/setup.sh --stack
# The web console the API serves at / (built when missing or older than its sources).
npm run --silent console:build -- --if-stale
exec npm start
