#!/usr/bin/env bash
# kube-apiserver, kube-controller-manager and kube-scheduler of the Kubernetes release pinned in
# tools/kube/go.mod, built from the Go module proxy into .cache/kube/bin for the test control plane
# (libs/testkit kube.ts); etcd v3.5.17 (tools/etcd) into the same directory for the chart's bundled
# etcd, and Debian's libnss-wrapper for its bundled PostgreSQL (test/kube/agent-cluster.ts). Module and build caches stay in .cache/go like 40-franz-go.sh. A first build
# takes many minutes of CPU (measured in tools/kube/README.md); it runs under `nice` so a shared
# machine stays usable. Skipped when the binaries are newer than tools/kube and this script.
# Opt-in (TRIBUTARY_KUBE_BUILD=1) until a test in CI needs it: a first build costs far more than the
# CI budget of one suite (tools/kube/README.md); libs/testkit's kubeBinaries() sets it.
set -euo pipefail
[ "${TRIBUTARY_KUBE_BUILD:-0}" = 1 ] || exit 0
cd "$(dirname "$0")/../.."
out=.cache/kube/bin
src=tools/kube
if ! dpkg-query -W -f='${Status}' libnss-wrapper 2>/dev/null | grep -q 'install ok installed'; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing libnss-wrapper from Debian"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libnss-wrapper >/dev/null
fi
export GOMODCACHE="$PWD/.cache/go/mod" GOCACHE="$PWD/.cache/go/build" GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0
if [ ! -x "$out/etcd" ] || [ -n "$(find tools/etcd "$0" -newer "$out/etcd" -type f | head -1)" ]; then
  command -v go >/dev/null || { echo "setup: etcd for the bundled-backend test needs Go (go not found on PATH)" >&2; exit 1; }
  echo "setup: building etcd v3.5.17 (tools/etcd) from the Go module proxy into $out"
  mkdir -p "$out"
  (cd tools/etcd && nice -n 19 go build -trimpath -ldflags "-s -w" -o "../../$out/etcd.tmp" .)
  mv "$out/etcd.tmp" "$out/etcd"
fi
cmds=(kube-apiserver kube-controller-manager kube-scheduler)
fresh=1
for c in "${cmds[@]}"; do
  if [ ! -x "$out/$c" ] || [ -n "$(find "$src" "$0" -newer "$out/$c" -type f | head -1)" ]; then fresh=0; fi
done
[ "$fresh" = 1 ] && exit 0
command -v go >/dev/null || { echo "setup: the Kubernetes test control plane needs Go (go not found on PATH)" >&2; exit 1; }
version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v[0-9]/ { print $2; exit }' "$src/go.mod")
[ -n "$version" ] || { echo "setup: $src/go.mod requires no k8s.io/kubernetes version" >&2; exit 1; }
major=${version#v}; minor=${major#*.}; major=${major%%.*}; minor=${minor%%.*}
echo "setup: building Kubernetes $version (${cmds[*]}) from the Go module proxy into $out (nice; many minutes the first time)"
mkdir -p "$out"
# The version a real release stamps in (hack/lib/version.sh); helm and clients read it from /version.
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
start=$(date +%s)
for c in "${cmds[@]}"; do
  (cd "$src" && nice -n 19 go build -trimpath -ldflags "$ldflags" -o "../../$out/$c.tmp" "./cmd/$c")
  mv "$out/$c.tmp" "$out/$c"
done
echo "setup: Kubernetes $version built in $(( $(date +%s) - start )) s"
