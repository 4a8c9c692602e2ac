#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test: unit, integration, crash, the
# Node.js wire test and the benchmark smoke test; a short libFuzzer run of each fuzz target
# (tests/fuzz/README.md); then the unit, integration and crash tests again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

echo "== build (RelWithDebInfo) =="
scripts/build.sh build -DFIELDSYNC_BUILD_TESTS=ON -DFIELDSYNC_BUILD_BENCH=ON -DFIELDSYNC_SANITIZE=OFF
echo "== tests =="
ctest --test-dir build --no-tests=error --output-on-failure --timeout 600 -j2

if [ "${FIELDSYNC_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz (libFuzzer + ASan + UBSan, clang, ${FIELDSYNC_FUZZ_SECONDS:-10} s per target) =="
  tests/fuzz/run-fuzz.sh "${FIELDSYNC_FUZZ_SECONDS:-10}"
fi

if [ "${FIELDSYNC_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build (ASan + UBSan) =="
  # -O1 without debug info: sanitizer reports keep their stacks, and CI builds faster.
  scripts/build.sh build-asan -DFIELDSYNC_SANITIZE=ON -DFIELDSYNC_BUILD_TESTS=ON \
    -DFIELDSYNC_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1
  echo "== tests under ASan + UBSan =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --no-tests=error --output-on-failure --timeout 900 -j2 -L 'unit|integration|crash'
fi
