#!/usr/bin/env bash
# Makes development certificates for fieldsyncd (never for production):
#   scripts/dev-cert.sh DIR              ->  DIR/server.crt, DIR/server.key (mode 600)
# a self-signed server certificate valid for localhost, 127.0.0.1 and ::1, for 30 days.
# Clients trust DIR/server.crt.
#   scripts/dev-cert.sh DIR NAME...      ->  also, for mutual TLS, a client CA
# (DIR/client-ca.crt, DIR/client-ca.key; made once) and for each NAME a client certificate
# DIR/NAME.crt + DIR/NAME.key signed by it. Start fieldsyncd with
# --tls-client-ca-file DIR/client-ca.crt; clients present NAME.crt/NAME.key.
set -euo pipefail
dir="${1:?usage: scripts/dev-cert.sh DIR [CLIENT_NAME...]}"
shift
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -keyout "$dir/server.key" -out "$dir/server.crt" 2>/dev/null
echo "wrote $dir/server.crt and $dir/server.key"
[ $# -eq 0 ] && exit 0

if [ ! -f "$dir/client-ca.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=fieldsync dev client CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -keyout "$dir/client-ca.key" -out "$dir/client-ca.crt" 2>/dev/null
  echo "wrote $dir/client-ca.crt and $dir/client-ca.key"
fi
for name in "$@"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' > "$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/client-ca.crt" -CAkey "$dir/client-ca.key" \
    -CAcreateserial -days 30 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  echo "wrote $dir/$name.crt and $dir/$name.key"
done
