#!/usr/bin/env bash
# librdkafka's own test suite (tests/ of Debian's librdkafka 2.0.2 source package) built into
# .cache/librdkafka, for test/conformance/librdkafka.test.ts. Everything comes from Debian: a deb-src
# entry mirroring the machine's own Debian entries, the build dependencies as Debian packages, and
# `apt-get source`. librdkafka's `configure --install-deps` is never used (it downloads sources).
# The build steps both librdkafka suites share (patch, configure, the static libraries and
# tests/test-runner, the stamp) are lib/librdkafka-suite.sh's.
# Changes to the source, 20-librdkafka-tests.patch: the runner's test.c learns SUBTESTS_SKIP
# ('|'-separated sub-test name substrings not to run, a trailing '$' anchoring one at the name's
# end, each announced in the output), so that a test's transactional sub-tests can be left out by
# name while the rest of that test runs; and TEST_TOLERATED_ERRORS ('|'-separated error names the
# runner's error callback reports instead of failing the test: the connection errors of a broker
# killed on purpose). 0086-purge.c names each of its variants as a sub-test (nothing else changes),
# so that its one racy variant can be left out (test/conformance/README.md). One line of the library
# itself: librdkafka's own fix of rd_kafka_seek_partitions()'s timeout unit (upstream PR #4230, in
# 2.1.0): 2.0.2 waited 2 ms where the caller asked for 2 s, which failed test 0137 on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup.d/lib/librdkafka-suite.sh
suite_name="librdkafka's test suite"
suite_root="$PWD/.cache/librdkafka"
suite_source="Debian's source package librdkafka"
suite_patch=scripts/setup.d/20-librdkafka-tests.patch
suite_deps=(build-essential dpkg-dev pkg-config python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev rapidjson-dev libcurl4-openssl-dev)
suite_configure=(--disable-debug-symbols --enable-zstd --enable-lz4-ext --enable-ssl --enable-sasl --enable-zlib --disable-curl)

# Debian's librdkafka (2.0.2 on bookworm), unpacked as $suite_root/src.
fetch_source() {
  add_debian_source_entries
  mkdir -p "$suite_root/dl"
  (cd "$suite_root/dl" && apt-get source -qq librdkafka >/dev/null 2>&1)
  local dir
  dir=$(find "$suite_root/dl" -mindepth 1 -maxdepth 1 -type d -name 'librdkafka-*' | head -1)
  [ -n "$dir" ] || { echo "setup: apt-get source librdkafka gave no source tree" >&2; return 1; }
  mv "$dir" "$suite_root/src"; rm -rf "$suite_root/dl"
}

# deb-src entry: the same URIs and suites as the machine's own Debian (deb822) entries.
add_debian_source_entries() {
  local src_list=/etc/apt/sources.list.d/debian-src.sources entries sudo=""
  [ -f "$src_list" ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  entries=$(awk -v RS= '/(^|\n)Types:[^\n]*deb([ \n]|$)/ && /debian/ {print; print ""}' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null |
    grep -E '^(URIs|Suites):' || true)
  if [ -z "$entries" ]; then
    entries=$'URIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security'
  fi
  {
    echo "# Debian source packages (written by scripts/setup.d/20-librdkafka-tests.sh)"
    printf '%s\n' "$entries" | while read -r key value; do
      if [ "$key" = "URIs:" ]; then echo "Types: deb-src"; echo "URIs: $value"; fi
      if [ "$key" = "Suites:" ]; then
        echo "Suites: $value"; echo "Components: main"
        echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"; echo
      fi
    done
  } | $sudo tee "$src_list" >/dev/null
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
}

build_librdkafka_suite
