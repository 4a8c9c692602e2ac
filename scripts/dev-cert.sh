#!/usr/bin/env bash
# Makes a self-signed development certificate for fieldsyncd (never for production):
#   scripts/dev-cert.sh DIR  ->  DIR/server.crt, DIR/server.key (mode 600)
# valid for localhost, 127.0.0.1 and ::1, for 30 days. Clients trust DIR/server.crt.
set -euo pipefail
dir="${1:?usage: scripts/dev-cert.sh DIR}"
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -keyout "$dir/server.key" -out "$dir/server.crt" 2>/dev/null
echo "wrote $dir/server.crt and $dir/server.key"
