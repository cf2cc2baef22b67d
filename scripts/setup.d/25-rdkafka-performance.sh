#!/usr/bin/env bash
# librdkafka's load generator, examples/rdkafka_performance of the same Debian source package the
# test suite is built from (20-librdkafka-tests.sh unpacks and builds the static library first), for
# bench/vs-kafka: a neutral C client driving Apache Kafka and Tributary alike. Built into
# .cache/librdkafka/src/examples/rdkafka_performance; a few seconds once the library is built.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=".cache/librdkafka/src/examples/rdkafka_performance"
if [ -x "$bin" ] && [ "$bin" -nt scripts/setup.d/25-rdkafka-performance.sh ] && [ "$bin" -nt .cache/librdkafka/.built ]; then exit 0; fi
bash scripts/setup.d/20-librdkafka-tests.sh
exec 9>.cache/librdkafka.lock; flock 9
echo "setup: building librdkafka's rdkafka_performance"
make -C .cache/librdkafka/src/examples rdkafka_performance >>.cache/librdkafka/build.log 2>&1 ||
  { tail -30 .cache/librdkafka/build.log >&2; exit 1; }
touch "$bin"
