#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ (or $FIELDSYNC_FUZZ_BUILD_DIR) and
# runs each for SECONDS (default 20), starting from a copy of its checked-in seed corpus.
#   tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]
# A crash or failed property stops with a non-zero exit; the reproducer is left in the work
# directory printed at the start (see tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(record_validator_fuzz key_codec_fuzz cursor_fuzz bundle_reader_fuzz expr_fuzz)
dir="${FIELDSYNC_FUZZ_BUILD_DIR:-build-fuzz}"
if [ ! -f "$dir/CMakeCache.txt" ]; then
  CXX=clang++ cmake -S . -B "$dir" -DFIELDSYNC_FUZZ=ON -DFIELDSYNC_BUILD_TESTS=OFF \
    -DFIELDSYNC_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)" --target "${targets[@]}"
bin_dir="$(cd "$dir" && pwd)/tests/fuzz"
work="$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-fuzz-XXXXXX")"
echo "fuzz work directory: $work"
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/"
  echo "== $t: ${seconds} s =="
  (cd "$work" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin_dir/$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "$work/$t" 2>"$work/$t.log") || {
    tail -50 "$work/$t.log"
    echo "FUZZ FAILURE in $t: see $work/$t.log and the crash-* file in $work"
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$t.log" || true
done
rm -rf "$work"
