#!/usr/bin/env bash
# MirrorMaker 2 (connect-mirror, the newest version the Maven mirror serves: test/mirror/pom.xml)
# from Maven Central into .cache/mirror/libs, its own classpath beside .cache/kafka/libs, for
# test/conformance/mirror-maker.test.ts (`java -cp '.cache/mirror/libs/*' org.apache.kafka.connect.mirror.MirrorMaker …`).
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=.cache/mirror/.resolved
if [ -f "$stamp" ] && [ "$stamp" -nt test/mirror/pom.xml ]; then exit 0; fi
# One resolution at a time (setup.sh and a test may both call this script).
mkdir -p .cache/mirror; exec 9>.cache/mirror.lock; flock 9
if [ -f "$stamp" ] && [ "$stamp" -nt test/mirror/pom.xml ]; then exit 0; fi
echo "setup: resolving MirrorMaker 2 from Maven Central into .cache/mirror (test/mirror/pom.xml)"
rm -rf .cache/mirror/libs
mvn -B -q -Dmaven.repo.local="$PWD/.cache/m2" -f test/mirror/pom.xml \
  dependency:copy-dependencies -DoutputDirectory="$PWD/.cache/mirror/libs"
touch "$stamp"
