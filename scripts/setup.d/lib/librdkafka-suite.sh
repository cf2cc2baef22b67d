# librdkafka's own test suite built from a source tree: the steps 20-librdkafka-tests.sh (2.0.2,
# Debian's source package) and 21-librdkafka-2.12-tests.sh (2.12.1, vendored by a crates.io crate)
# share. Sourced by them, never run alone. The caller, in the repository root, sets
#   suite_name       what is built, for the log lines ("librdkafka 2.12.1's test suite")
#   suite_root       the cache directory (absolute); the tree is $suite_root/src, its lock $suite_root.lock
#   suite_source     where the tree comes from, in words; part of the build's identity
#   suite_patch      the patch applied to the tree (the previous one is reversed first)
#   suite_deps       Debian build dependencies (array)
#   suite_configure  configure's flags (array)
# and defines fetch_source, which leaves the unpacked tree at $suite_root/src; then it calls
# build_librdkafka_suite. Only what the tests need is built: the static C and C++ libraries and
# tests/test-runner.
#
# The stamp ($suite_root/.built) holds a checksum of what the build is made of (the patch, the
# flags, the source named, this file): a build is redone when one of them changes, not when a
# checkout merely touches a file.

# Installs those of the given Debian packages the machine lacks.
install_missing_debian_packages() {
  local pkg missing=() sudo=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # setup.sh runs installers side by side: wait for another apt-get's lock instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

build_librdkafka_suite() {
  local stamp="$suite_root/.built" runner="$suite_root/src/tests/test-runner" key started
  key=$( { cat "$suite_patch" "${BASH_SOURCE[0]}"; printf '%s\n' "$suite_source" "${suite_configure[@]}"; } |
    sha256sum | cut -d' ' -f1)
  if [ -x "$runner" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then return 0; fi
  # One build at a time (setup.sh and a test may both call the installer).
  mkdir -p "$(dirname "$suite_root")"; exec 9>"$suite_root.lock"; flock 9
  if [ -x "$runner" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then return 0; fi
  echo "setup: building $suite_name ($suite_source) into ${suite_root#"$PWD"/}"
  started=$SECONDS
  install_missing_debian_packages "${suite_deps[@]}"

  if [ ! -f "$suite_root/src/tests/test.c" ]; then
    rm -rf "$suite_root"; mkdir -p "$suite_root"
    fetch_source
    [ -f "$suite_root/src/tests/test.c" ] || { echo "setup: $suite_source gave no librdkafka tests/test.c" >&2; return 1; }
  fi
  local patch_file applied="$suite_root/applied.patch"
  patch_file="$(realpath "$suite_patch")"
  if ! cmp -s "$patch_file" "$applied" 2>/dev/null; then
    if [ -f "$applied" ]; then (cd "$suite_root/src" && patch -s -R -p1 <"$applied"); fi
    (cd "$suite_root/src" && patch -s -p1 <"$patch_file")
    cp "$patch_file" "$applied"
  fi

  (
    cd "$suite_root/src"
    chmod +x configure lds-gen.py 2>/dev/null || true
    if [ ! -f Makefile.config ] || [ "$(cat "$suite_root/configured-with" 2>/dev/null)" != "${suite_configure[*]}" ]; then
      ./configure --prefix="$suite_root/install" "${suite_configure[@]}" >"$suite_root/configure.log" 2>&1 ||
        { tail -30 "$suite_root/configure.log" >&2; exit 1; }
      printf '%s' "${suite_configure[*]}" >"$suite_root/configured-with"
    fi
    # Static libraries only (the runner links them; no shared library, no install, no examples).
    : >"$suite_root/build.log"
    for target in "src librdkafka.a" "src-cpp librdkafka++.a" "tests test-runner"; do
      set -- $target
      make -j2 -C "$1" "$2" >>"$suite_root/build.log" 2>&1 || { tail -40 "$suite_root/build.log" >&2; exit 1; }
    done
  )
  printf '%s\n' "$key" >"$stamp"
  echo "setup: $suite_name built in $((SECONDS - started)) s"
}
