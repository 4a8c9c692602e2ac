#!/usr/bin/env bash
# Installs everything fieldsync needs to build and run on Debian 12 (run as root); with
# --test also what only the tests need (Chromium for the dashboard test).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config ccache git ca-certificates \
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
  librocksdb-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libre2-dev \
  libabsl-dev grpc-proto openssl libzstd-dev \
  prometheus-cpp-dev libcpp-httplib-dev nlohmann-json3-dev libcli11-dev \
  libxlsxwriter-dev libminizip-dev libzip-dev libpugixml-dev \
  clang libclang-rt-dev zstd \
  yamllint systemd >/dev/null
if [ "${1:-}" = "--test" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# Node.js runs the wire test in another gRPC implementation (@grpc/grpc-js).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ -f tests/node/package-lock.json ]; then
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi
