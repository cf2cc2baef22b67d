#!/usr/bin/env bash
# Apache Kafka (broker, tools, Java client, Streams, Connect) from Maven Central into .cache/kafka/libs:
# the reference broker and the Java programs of the tests run from that one classpath
# (`java -cp '.cache/kafka/libs/*' kafka.Kafka …`). The Maven repository stays in .cache/m2.
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=.cache/kafka/.resolved
if [ -f "$stamp" ] && [ "$stamp" -nt test/kafka/pom.xml ]; then exit 0; fi
echo "setup: resolving Apache Kafka from Maven Central into .cache/kafka (test/kafka/pom.xml)"
rm -rf .cache/kafka/libs
mvn -B -q -Dmaven.repo.local="$PWD/.cache/m2" -f test/kafka/pom.xml \
  dependency:copy-dependencies -DoutputDirectory="$PWD/.cache/kafka/libs"
touch "$stamp"
