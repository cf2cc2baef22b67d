#!/usr/bin/env bash
# librdkafka 2.12.1's own test suite built into .cache/librdkafka-2.12, for
# test/conformance/librdkafka-2.12.test.ts: the tests Debian's 2.0.2 (20-librdkafka-tests.sh) does
# not have (0127, 0140, 0142, KIP-848's group.protocol=consumer). Debian has no newer librdkafka
# source; the crates.io crate rdkafka-sys 4.10.0+2.12.1 vendors librdkafka 2.12.1 complete, tests/
# included. It comes through cargo (`cargo fetch` of a scratch crate depending on it: crates.io's
# checksum is verified, the download lands in cargo's registry cache), and its librdkafka directory
# is copied to .cache/librdkafka-2.12/src. The build dependencies are Debian's, as in
# 20-librdkafka-tests.sh, and so are the build steps (lib/librdkafka-suite.sh, which both share).
# Changes to the source, 21-librdkafka-2.12-tests.patch: 20-librdkafka-tests.patch's runner changes
# (SUBTESTS_SKIP, TEST_TOLERATED_ERRORS, 0086's sub-test names) carried over to 2.12.1's test.c;
# 0142's consumer sub-test creates its topic with the broker's default replication factor instead
# of 3 (librdkafka's own CI has 3 brokers), so it runs on one broker. 2.0.2's library fix
# (rd_kafka_seek_partitions' timeout) is in 2.12.1 already; the library is not changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup.d/lib/librdkafka-suite.sh
crate="rdkafka-sys"
crate_version="4.10.0+2.12.1"
suite_name="librdkafka 2.12.1's test suite"
suite_root="$PWD/.cache/librdkafka-2.12"
suite_source="crates.io $crate $crate_version"
suite_patch=scripts/setup.d/21-librdkafka-2.12-tests.patch
# cargo from Debian only when the machine has none (e.g. rustup's).
export PATH="$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"
suite_deps=(build-essential pkg-config python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev)
command -v cargo >/dev/null || suite_deps+=(cargo)
suite_configure=(--disable-debug-symbols --enable-zstd --enable-lz4-ext --enable-ssl --enable-gssapi --enable-zlib --disable-curl)

# librdkafka as vendored by the crate, unpacked as $suite_root/src.
fetch_source() {
  mkdir -p "$suite_root/fetch/src"
  # A scratch crate whose only dependency is the pinned rdkafka-sys; `cargo fetch` downloads it
  # (and its small build dependencies) into cargo's registry and unpacks it there.
  cat >"$suite_root/fetch/Cargo.toml" <<CARGO
[package]
name = "tributary-librdkafka-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$crate = { version = "=$crate_version", default-features = false }
CARGO
  : >"$suite_root/fetch/src/lib.rs"
  (cd "$suite_root/fetch" && cargo fetch -q >"$suite_root/fetch.log" 2>&1) || { cat "$suite_root/fetch.log" >&2; return 1; }
  # cargo fetch keeps the .crate archive (registry/cache); unpack it ourselves rather than rely on
  # registry/src, which only a build fills.
  local archive
  archive=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$crate-$crate_version.crate" | head -1)
  [ -n "$archive" ] || { echo "setup: cargo fetch gave no $crate-$crate_version.crate" >&2; return 1; }
  mkdir -p "$suite_root/unpack"
  tar -xzf "$archive" -C "$suite_root/unpack" "$crate-$crate_version/librdkafka"
  mv "$suite_root/unpack/$crate-$crate_version/librdkafka" "$suite_root/src"
  rm -rf "$suite_root/unpack" "$suite_root/fetch"
}

build_librdkafka_suite
