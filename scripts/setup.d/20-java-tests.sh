#!/usr/bin/env bash
# The Java programs of the tests (test/java/src: Java-client scenarios and the Kafka config dumper),
# compiled against .cache/kafka/libs (10-kafka.sh) into .cache/java-tests/classes. Recompiles when
# any source is newer than the last build.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.cache/java-tests
stamp=$out/.built
if [ -f "$stamp" ] && [ -z "$(find test/java/src -name '*.java' -newer "$stamp" -print -quit)" ] && [ "$stamp" -nt .cache/kafka/.resolved ]; then exit 0; fi
[ -f .cache/kafka/.resolved ] || bash scripts/setup.d/10-kafka.sh
echo "setup: compiling the Java test programs (test/java/src) into $out"
rm -rf "$out/classes"
mkdir -p "$out/classes"
javac -nowarn -Xlint:none -d "$out/classes" -cp '.cache/kafka/libs/*' $(find test/java/src -name '*.java') 2>&1 | grep -v '^Note:' || true
[ -f "$out/classes/tributary/compat/Json.class" ] || { echo "setup: javac failed" >&2; exit 1; }
touch "$stamp"
