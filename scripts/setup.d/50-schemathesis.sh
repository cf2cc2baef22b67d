#!/usr/bin/env bash
# schemathesis (PyPI) in its own virtualenv under .cache/schemathesis: the API's property-based
# OpenAPI test (apps/api/src/schemathesis.test.ts) runs `.cache/schemathesis/bin/schemathesis`.
# Pinned: a new schemathesis release generates other examples, and a fixed seed is only
# reproducible with a fixed generator. Debian's python3 (python3-venv) makes the venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.32.5
venv=.cache/schemathesis
stamp="$venv/.installed-$VERSION"
if [ -f "$stamp" ]; then exit 0; fi
echo "setup: installing schemathesis $VERSION from PyPI into $venv"
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
touch "$stamp"
