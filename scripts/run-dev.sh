#!/usr/bin/env bash
# Installs the dependencies, builds fieldsyncd and the fieldsync CLI, and runs fieldsyncd on an
# embedded default: a local RocksDB folder (./data/fieldsync), loopback only (127.0.0.1:7443;
# admin HTTP port with the dashboard on 127.0.0.1:9090), plaintext development mode, the
# example forms of deploy/forms. The first run creates three devices whose tokens are written
# to ./data/tokens/ (readable by the owner only) and a PII key in ./data/pii.key. The bound
# ports are written to ./data/port and ./data/admin-port.
#
# FIELDSYNC_LISTEN / FIELDSYNC_ADMIN_LISTEN change the addresses (port 0: any free port);
# FIELDSYNC_DEV_SKIP_BUILD=1 uses build/ as it is (no package install, no build), as the
# README test does (tests/readme).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${FIELDSYNC_DEV_SKIP_BUILD:-0}" != 1 ]; then
  scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target fieldsyncd fieldsync
fi

bin=build/server/app/fieldsyncd
data=data/fieldsync
mkdir -p data/tokens
chmod 700 data/tokens
if [ ! -f data/tokens/admin ]; then
  "$bin" device add --data-dir "$data" --id admin --role admin --all-scopes \
    --token-file data/tokens/admin
  "$bin" device add --data-dir "$data" --id tablet-ninewa-01 --role enumerator \
    --scope governorate=Ninewa --token-file data/tokens/tablet-ninewa-01
  "$bin" device add --data-dir "$data" --id post-bp-001 --role border_officer \
    --scope border_point=BP-001 --token-file data/tokens/post-bp-001
fi
# The example forms have pii fields: they are pseudonymised with a key kept in a file.
if [ ! -f data/pii.key ]; then
  (umask 077 && openssl rand -hex 32 > data/pii.key)
fi
echo "tokens: $(pwd)/data/tokens/ (send as 'authorization: Bearer <token>')"
echo "dashboard and metrics: http://${FIELDSYNC_ADMIN_LISTEN:-127.0.0.1:9090}/"
exec "$bin" serve --data-dir "$data" --listen "${FIELDSYNC_LISTEN:-127.0.0.1:7443}" \
  --admin-listen "${FIELDSYNC_ADMIN_LISTEN:-127.0.0.1:9090}" --dev-plaintext --reflection \
  --forms-dir deploy/forms --pii-key-file data/pii.key \
  --port-file data/port --admin-port-file data/admin-port
