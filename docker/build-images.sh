#!/usr/bin/env bash
# Builds docker/'s images with buildah, without a Docker engine or a registry (issue 22): the base
# image is localhost/tributary/node-base:24 (scripts/setup.d/70-images.sh: debootstrap + Node 24),
# given to the Dockerfiles as NODE_IMAGE; storage is .cache/images/storage (vfs driver), RUN steps
# run with chroot isolation (no OCI runtime needed). The build context is the checkout's files as
# git lists them (tracked and untracked-but-not-ignored), so .cache and node_modules never enter it.
set -euo pipefail
usage() {
  cat <<'USAGE'
Usage: docker/build-images.sh [broker|control-plane]...
Builds tributary/broker:dev and tributary/control-plane:dev (default: both) from docker/*.Dockerfile
with buildah into .cache/images/storage, then prints each image's size.
  --help   this text
Environment: TRIBUTARY_IMAGE_TAG (default dev). Needs root, buildah and debootstrap (installed by
scripts/setup.d/70-images.sh, which this script runs first).
USAGE
}
targets=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    broker|control-plane) targets+=("$arg") ;;
    *) echo "build-images: unknown argument $arg" >&2; usage >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(broker control-plane)
cd "$(dirname "$0")/.."
TRIBUTARY_IMAGES_BUILD=1 bash scripts/setup.d/70-images.sh
tag=${TRIBUTARY_IMAGE_TAG:-dev}
b=(buildah --root "$PWD/.cache/images/storage" --runroot "$PWD/.cache/images/run" --storage-driver vfs)
ctx=$(mktemp -d /tmp/tributary-image-context-XXXXXX)
trap 'rm -rf "$ctx"' EXIT
# npm inside the build reaches the registry with this machine's trust store (as the host's npm does,
# its cafile): the CA bundle and an npmrc naming it are mounted for RUN steps only, never copied
# into an image.
cafile=$(npm config get cafile 2>/dev/null || true)
case "$cafile" in null|undefined|"") cafile=/etc/ssl/certs/ca-certificates.crt ;; esac
mkdir -p "$ctx.npm"; printf 'cafile=/run/tributary-build/ca.crt\n' >"$ctx.npm/npmrc"
trap 'rm -rf "$ctx" "$ctx.npm"' EXIT
mounts=(--volume "$cafile:/run/tributary-build/ca.crt:ro" --volume "$ctx.npm/npmrc:/usr/local/etc/npmrc:ro")
git ls-files --cached --others --exclude-standard -z | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$ctx"
for t in "${targets[@]}"; do
  started=$SECONDS
  echo "build-images: tributary/$t:$tag"
  # No --layers: with the vfs driver every committed step is a full copy of the root filesystem.
  "${b[@]}" bud --isolation chroot --pull=never "${mounts[@]}" \
    --build-arg NODE_IMAGE=localhost/tributary/node-base:24 \
    --ignorefile "docker/$t.Dockerfile.dockerignore" \
    -f "$PWD/docker/$t.Dockerfile" -t "tributary/$t:$tag" "$ctx"
  echo "build-images: tributary/$t:$tag built in $((SECONDS - started)) s"
done
"${b[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E '^(localhost/)?tributary/'
