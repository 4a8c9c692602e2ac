#!/usr/bin/env bash
# Runs the README's example blocks marked `<!-- readme-test expect="TEXT" -->` (the line just
# before a ```sh block) against a dev server started by scripts/run-dev.sh, the way a reader
# would run them, so the README cannot drift from the product. Each block runs in one bash
# with `set -euo pipefail` and must exit 0 and print TEXT.
#
# Hermetic: a fresh temporary folder stands for the checkout (scripts/, deploy/ and build/
# linked in, data/ its own), the server listens on free ports, and the README's text is
# changed in one way only: 127.0.0.1:7443 becomes the port the server bound. `npx --yes
# @bufbuild/buf` resolves to tests/node/node_modules (npm ci), offline.
#
# Usage: readme_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$(realpath "$1")"
build="$(realpath "$2")"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "readme_test: $*" >&2; exit 1; }

[ -x "$src/tests/node/node_modules/.bin/buf" ] ||
  fail "tests/node/node_modules has no buf: run \`npm ci --prefix tests/node\` first"
ln -s "$src/scripts" "$work/scripts"
ln -s "$src/deploy" "$work/deploy"
ln -s "$build" "$work/build"
ln -s "$src/tests/node/node_modules" "$work/node_modules"

# Only this test's settings: none of the shell's FIELDSYNC_* reach the server.
for name in $(compgen -e | grep '^FIELDSYNC_' || true); do unset "$name"; done
(cd "$work" && FIELDSYNC_LISTEN=127.0.0.1:0 FIELDSYNC_ADMIN_LISTEN=127.0.0.1:0 \
  FIELDSYNC_DEV_SKIP_BUILD=1 exec scripts/run-dev.sh) >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/data/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "run-dev.sh stopped"; }
  sleep 0.1  # polling a real process
done
[ -s "$work/data/port" ] || { cat "$work/server.log" >&2; fail "no port after 30 s"; }
port="$(cat "$work/data/port")"

# The marked blocks: "expect<TAB>first line number" then the block, blocks split by NUL.
python3 - "$src/README.md" "$work/blocks" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out, i = [], 0
while i < len(lines):
    m = re.match(r'^<!-- readme-test expect="([^"]+)" -->$', lines[i])
    if m:
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```sh":
            sys.exit(f"README.md:{i + 1}: a readme-test marker must precede a ```sh block")
        j = i + 2
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        out.append(f"{m.group(1)}\t{i + 3}\n" + "\n".join(lines[i + 2:j]) + "\n")
        i = j
    i += 1
open(sys.argv[2], "w", encoding="utf-8").write("\0".join(out))
PY

blocks=0
while IFS= read -r -d '' block || [ -n "$block" ]; do
  header="${block%%$'\n'*}"
  expect="${header%%$'\t'*}"
  line="${header##*$'\t'}"
  body="${block#*$'\n'}"
  blocks=$((blocks + 1))
  printf '%s' "$body" | sed "s/127\.0\.0\.1:7443/127.0.0.1:$port/g" >"$work/block$blocks.sh"
  if ! (cd "$work" && npm_config_offline=true npm_config_update_notifier=false \
        bash -euo pipefail "block$blocks.sh") >"$work/block$blocks.out" 2>&1 </dev/null; then
    cat "$work/block$blocks.out" >&2
    fail "README.md:$line: the block failed"
  fi
  grep -qF -- "$expect" "$work/block$blocks.out" ||
    { cat "$work/block$blocks.out" >&2; fail "README.md:$line: no \"$expect\" in the output"; }
  echo "README.md:$line: ok ($expect)"
done <"$work/blocks"
[ "$blocks" -ge 2 ] || fail "only $blocks marked blocks in README.md (expected at least 2)"
echo "readme_test: $blocks blocks ran as written"
