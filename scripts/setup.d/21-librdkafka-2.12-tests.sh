#!/usr/bin/env bash
# librdkafka 2.12.1's own test suite built into .cache/librdkafka-2.12, for
# test/conformance/librdkafka-2.12.test.ts: the tests Debian's 2.0.2 (20-librdkafka-tests.sh) does
# not have (0127, 0140, 0142, KIP-848's group.protocol=consumer). Debian has no newer librdkafka
# source; the crates.io crate rdkafka-sys 4.10.0+2.12.1 vendors librdkafka 2.12.1 complete, tests/
# included. It comes through cargo (`cargo fetch` of a scratch crate depending on it: crates.io's
# checksum is verified, the download lands in cargo's registry cache), and its librdkafka directory
# is copied to .cache/librdkafka-2.12/src. The build dependencies are Debian's, as in
# 20-librdkafka-tests.sh (which installs them; this script installs them too when run alone).
# Only what the tests need is built: the static C and C++ libraries and tests/test-runner.
# Changes to the source, 21-librdkafka-2.12-tests.patch: 20-librdkafka-tests.patch's runner changes
# (SUBTESTS_SKIP, TEST_TOLERATED_ERRORS, 0086's sub-test names) carried over to 2.12.1's test.c;
# 0142's consumer sub-test creates its topic with the broker's default replication factor instead
# of 3 (librdkafka's own CI has 3 brokers), so it runs on one broker. 2.0.2's library fix
# (rd_kafka_seek_partitions' timeout) is in 2.12.1 already; the library is not changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD/.cache/librdkafka-2.12"
crate="rdkafka-sys"
crate_version="4.10.0+2.12.1"
stamp="$root/.built"
runner="$root/src/tests/test-runner"
fresh() {
  [ -f "$stamp" ] && [ -x "$runner" ] && [ "$stamp" -nt scripts/setup.d/21-librdkafka-2.12-tests.sh ] &&
    [ "$stamp" -nt scripts/setup.d/21-librdkafka-2.12-tests.patch ]
}
if fresh; then exit 0; fi
# One build at a time (setup.sh and a test may both call this script).
mkdir -p .cache; exec 9>.cache/librdkafka-2.12.lock; flock 9
if fresh; then exit 0; fi
echo "setup: building librdkafka 2.12.1's test suite (crates.io $crate $crate_version) into .cache/librdkafka-2.12"
started=$SECONDS
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Build dependencies and cargo, from Debian (cargo only when the machine has none, e.g. rustup's).
deps=(build-essential pkg-config python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev)
export PATH="$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"
command -v cargo >/dev/null || deps+=(cargo)
missing=()
for pkg in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Source: librdkafka as vendored by the crate, unpacked as .cache/librdkafka-2.12/src.
if [ ! -f "$root/src/tests/test.c" ]; then
  rm -rf "$root"; mkdir -p "$root/fetch/src"
  # A scratch crate whose only dependency is the pinned rdkafka-sys; `cargo fetch` downloads it
  # (and its small build dependencies) into cargo's registry and unpacks it there.
  cat >"$root/fetch/Cargo.toml" <<EOF
[package]
name = "tributary-librdkafka-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$crate = { version = "=$crate_version", default-features = false }
EOF
  : >"$root/fetch/src/lib.rs"
  (cd "$root/fetch" && cargo fetch -q >"$root/fetch.log" 2>&1) || { cat "$root/fetch.log" >&2; exit 1; }
  # cargo fetch keeps the .crate archive (registry/cache); unpack it ourselves rather than rely on
  # registry/src, which only a build fills.
  archive=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$crate-$crate_version.crate" | head -1)
  [ -n "$archive" ] || { echo "setup: cargo fetch gave no $crate-$crate_version.crate" >&2; exit 1; }
  mkdir -p "$root/unpack"
  tar -xzf "$archive" -C "$root/unpack" "$crate-$crate_version/librdkafka"
  mv "$root/unpack/$crate-$crate_version/librdkafka" "$root/src"
  rm -rf "$root/unpack" "$root/fetch"
  [ -f "$root/src/tests/test.c" ] || { echo "setup: $archive has no librdkafka/tests" >&2; exit 1; }
fi
patch_file="$PWD/scripts/setup.d/21-librdkafka-2.12-tests.patch"
if ! cmp -s "$patch_file" "$root/applied.patch" 2>/dev/null; then
  if [ -f "$root/applied.patch" ]; then (cd "$root/src" && patch -s -R -p1 <"$root/applied.patch"); fi
  (cd "$root/src" && patch -s -p1 <"$patch_file")
  cp "$patch_file" "$root/applied.patch"
fi

cd "$root/src"
chmod +x configure lds-gen.py 2>/dev/null || true
if [ ! -f Makefile.config ]; then
  ./configure --prefix="$root/install" --disable-debug-symbols --enable-zstd --enable-lz4-ext \
    --enable-ssl --enable-gssapi --enable-zlib --disable-curl >"$root/configure.log" 2>&1 ||
    { tail -30 "$root/configure.log" >&2; exit 1; }
fi
# Static libraries only (the runner links them; no shared library, no install, no examples).
make -j2 -C src librdkafka.a >"$root/build.log" 2>&1 || { tail -40 "$root/build.log" >&2; exit 1; }
make -j2 -C src-cpp librdkafka++.a >>"$root/build.log" 2>&1 || { tail -40 "$root/build.log" >&2; exit 1; }
make -j2 -C tests test-runner >>"$root/build.log" 2>&1 || { tail -40 "$root/build.log" >&2; exit 1; }
touch "$stamp"
echo "setup: librdkafka 2.12.1 test suite built in $((SECONDS - started)) s"
