#!/usr/bin/env bash
# kafka-python (PyPI's current release, not Debian's old python3-kafka) and its codec libraries in a
# venv at .cache/venv, built on Debian's /usr/bin/python3. Pinned here; the stamp is newer than this
# file once they are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACKAGES=(kafka-python==3.0.12 python-snappy==0.7.3 cramjam==2.14.0 lz4==4.4.5 zstandard==0.25.0)
stamp=.cache/venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt "$0" ]; then exit 0; fi
echo "setup: installing ${PACKAGES[*]} from PyPI into .cache/venv"
rm -rf .cache/venv
/usr/bin/python3 -m venv .cache/venv
.cache/venv/bin/pip install -q --disable-pip-version-check --no-input "${PACKAGES[@]}"
touch "$stamp"
