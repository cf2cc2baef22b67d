#!/usr/bin/env bash
# librdkafka's own test suite (tests/ of Debian's librdkafka 2.0.2 source package) built into
# .cache/librdkafka, for test/conformance/librdkafka.test.ts. Everything comes from Debian: a deb-src
# entry mirroring the machine's own Debian entries, the build dependencies as Debian packages, and
# `apt-get source`. librdkafka's `configure --install-deps` is never used (it downloads sources).
# Only what the tests need is built: the static C and C++ libraries and tests/test-runner.
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
root="$PWD/.cache/librdkafka"
stamp="$root/.built"
runner="$root/src/tests/test-runner"
if [ -f "$stamp" ] && [ -x "$runner" ] && [ "$stamp" -nt scripts/setup.d/20-librdkafka-tests.sh ] &&
  [ "$stamp" -nt scripts/setup.d/20-librdkafka-tests.patch ]; then exit 0; fi
# One build at a time (setup.sh and a test may both call this script).
mkdir -p .cache; exec 9>.cache/librdkafka.lock; flock 9
if [ -f "$stamp" ] && [ -x "$runner" ] && [ "$stamp" -nt scripts/setup.d/20-librdkafka-tests.sh ] &&
  [ "$stamp" -nt scripts/setup.d/20-librdkafka-tests.patch ]; then exit 0; fi
echo "setup: building librdkafka's test suite from Debian's source package into .cache/librdkafka"
started=$SECONDS
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# deb-src entry: the same URIs and suites as the machine's own Debian (deb822) entries.
src_list=/etc/apt/sources.list.d/debian-src.sources
if [ ! -f "$src_list" ]; then
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
  } | $SUDO tee "$src_list" >/dev/null
  $SUDO apt-get update -qq
fi

# Build dependencies, from Debian.
deps=(build-essential dpkg-dev pkg-config python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev rapidjson-dev libcurl4-openssl-dev)
missing=()
for pkg in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Source: Debian's librdkafka (2.0.2 on bookworm), unpacked as .cache/librdkafka/src.
if [ ! -f "$root/src/tests/test.c" ]; then
  rm -rf "$root"; mkdir -p "$root/dl"
  (cd "$root/dl" && apt-get source -qq librdkafka >/dev/null 2>&1)
  dir=$(find "$root/dl" -mindepth 1 -maxdepth 1 -type d -name 'librdkafka-*' | head -1)
  [ -n "$dir" ] || { echo "setup: apt-get source librdkafka gave no source tree" >&2; exit 1; }
  mv "$dir" "$root/src"; rm -rf "$root/dl"
fi
patch_file="$PWD/scripts/setup.d/20-librdkafka-tests.patch"
if ! cmp -s "$patch_file" "$root/applied.patch" 2>/dev/null; then
  if [ -f "$root/applied.patch" ]; then (cd "$root/src" && patch -s -R -p1 <"$root/applied.patch"); fi
  (cd "$root/src" && patch -s -p1 <"$patch_file")
  cp "$patch_file" "$root/applied.patch"
fi

cd "$root/src"
if [ ! -f Makefile.config ]; then
  ./configure --prefix="$root/install" --disable-debug-symbols --enable-zstd --enable-lz4-ext \
    --enable-ssl --enable-sasl --enable-zlib --disable-curl >"$root/configure.log" 2>&1 ||
    { tail -30 "$root/configure.log" >&2; exit 1; }
fi
# Static libraries only (the runner links them; no shared library, no install, no examples).
make -j2 -C src librdkafka.a >"$root/build.log" 2>&1 || { tail -40 "$root/build.log" >&2; exit 1; }
make -j2 -C src-cpp librdkafka++.a >>"$root/build.log" 2>&1 || { tail -40 "$root/build.log" >&2; exit 1; }
make -j2 -C tests test-runner >>"$root/build.log" 2>&1 || { tail -40 "$root/build.log" >&2; exit 1; }
touch "$stamp"
echo "setup: librdkafka test suite built in $((SECONDS - started)) s"
