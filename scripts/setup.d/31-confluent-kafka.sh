#!/usr/bin/env bash
# confluent-kafka for Python from PyPI: its manylinux wheel carries a current librdkafka (2.16 with
# 2.16.1; Debian's python3-confluent-kafka, used by the other confluent tests, carries librdkafka 2.0),
# so the suite also speaks to the newest librdkafka, KIP-848's group.protocol=consumer included.
# In its own venv at .cache/venv-confluent on Debian's /usr/bin/python3. Pinned here; the stamp is
# newer than this file once it is installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACKAGES=(confluent-kafka==2.16.1)
venv=.cache/venv-confluent
stamp=$venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt "$0" ]; then exit 0; fi
echo "setup: installing ${PACKAGES[*]} from PyPI into $venv"
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --no-input "${PACKAGES[@]}"
touch "$stamp"
