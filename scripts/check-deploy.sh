#!/usr/bin/env bash
# Checks deploy/: yamllint on every YAML file, `systemd-analyze verify` and an exposure
# threshold on the systemd unit, and the container image's non-root, read-only contract.
# Usage: scripts/check-deploy.sh PATH/TO/fieldsyncd
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:?usage: check-deploy.sh PATH/TO/fieldsyncd}")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== yamllint deploy/"
yamllint --strict deploy/

echo "== systemd-analyze verify"
# The unit names the installed path; verify a copy that points at the binary under test.
unit="$tmp/fieldsyncd.service"
sed "s|/usr/local/bin/fieldsyncd|$bin|" deploy/systemd/fieldsyncd.service >"$unit"
# verify exits 0 on unknown keys and bad values (it only warns): any output is a failure.
out="$(systemd-analyze verify "$unit" 2>&1)" || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; exit 1; fi
systemd-analyze security --offline=yes --threshold=20 "$unit" >"$tmp/security.txt" 2>&1 || {
  tail -n 5 "$tmp/security.txt"; echo "exposure above 2.0"; exit 1; }
tail -n 1 "$tmp/security.txt"

echo "== Dockerfile contract"
grep -q '^FROM debian:12 AS build' deploy/Dockerfile
grep -q '^FROM debian:12-slim' deploy/Dockerfile
grep -q '^USER 10001:10001' deploy/Dockerfile
grep -q 'read_only: true' deploy/compose/compose.yaml
grep -q 'readOnlyRootFilesystem: true' deploy/k8s/statefulset.yaml
echo "deploy checks passed"
