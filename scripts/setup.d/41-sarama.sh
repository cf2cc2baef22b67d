#!/usr/bin/env bash
# IBM/sarama from the Go module proxy, built with the small driver in test/compat/go-sarama (versions pinned by
# its go.mod/go.sum; the helpers both drivers share are in test/compat/go-driver) into .cache/bin/sarama-driver. The module and build caches stay in .cache/go.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.cache/bin/sarama-driver
src=test/compat/go-sarama
if [ -x "$bin" ] && [ -z "$(find "$src" test/compat/go-driver "$0" -newer "$bin" -type f | head -1)" ]; then exit 0; fi
command -v go >/dev/null || { echo "setup: Sarama needs Go (go not found on PATH)" >&2; exit 1; }
echo "setup: building Sarama's test driver ($src) into $bin"
mkdir -p .cache/bin
export GOMODCACHE="$PWD/.cache/go/mod" GOCACHE="$PWD/.cache/go/build" GOFLAGS=-mod=readonly GOTOOLCHAIN=local
(cd "$src" && go build -trimpath -o "../../../$bin" .)
