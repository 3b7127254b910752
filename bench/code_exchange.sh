#!/bin/bash
# bench/code_exchange.sh: authorization-code exchanges per second at
# /auth/token, without and with the OpenID Connect ID token (one more
# signature per exchange). Short (about a minute); not part of bench/run.sh.
#
# One httpd (event MPM, KeepAlive, LogLevel warn, SQLite, an ES256
# DeskAuthSigningKey), a confidential client with consent=never and one
# signed-in browser session: N codes are made with one GET /auth/login each
# (the direct 303 of a web application), then exchanged by C keep-alive
# client threads (client_secret_basic, PKCE), with scope "email" (no ID
# token: the part-one exchange) and "openid email" (an ID token signed),
# ROUNDS times, the order alternating. Prints exchanges/s and httpd's CPU
# time per exchange for each round, and the medians (on a shared machine the
# CPU time is the steadier number).
#
# Tunables: BENCH_CODES (1000 per round), BENCH_CONC (4), BENCH_ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd -P)
so=$top/.libs/mod_deskauth.so
[ -f "$so" ] || { echo "bench/code_exchange.sh: build first (make)" >&2; exit 1; }
apxs=$(sed -n 's/^APXS = //p' Makefile)
httpd=$(sed -n 's/^HTTPD = //p' Makefile)
libexec=$("$apxs" -q LIBEXECDIR)
N=${BENCH_CODES:-1000} C=${BENCH_CONC:-4} ROUNDS=${BENCH_ROUNDS:-3}

tmp=$(mktemp -d /tmp/deskauth-codebench-XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp"/{run,logs,db,state}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=$(id -un)
[ "$(id -u)" -eq 0 ] && user=www-data
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/es256.pem" 2>/dev/null
openssl rand -base64 48 | tr -d '\n' > "$tmp/secret"
chmod 644 "$tmp/es256.pem" "$tmp/secret"
touch "$tmp/db/deskauth.db"
chown "$user" "$tmp/db" "$tmp/db/deskauth.db" "$tmp/state" 2>/dev/null || true

load() { "$httpd" -l | grep -q "^ *$2\.c$" || echo "LoadModule ${1}_module $libexec/$2.so"; }
{
    echo "ServerRoot \"$tmp\""
    echo "ServerName 127.0.0.1:$port"
    echo "Listen 127.0.0.1:$port"
    echo "PidFile \"$tmp/run/httpd.pid\""
    echo "DefaultRuntimeDir \"$tmp/run\""
    echo "ErrorLog \"$tmp/logs/error_log\""
    echo "LogLevel warn"
    load mpm_event mod_mpm_event
    load unixd mod_unixd
    load authn_core mod_authn_core
    load authz_core mod_authz_core
    load socache_shmcb mod_socache_shmcb
    load dbd mod_dbd
    [ "$(id -u)" -eq 0 ] && printf 'User %s\nGroup %s\n' "$user" "$user"
    echo "LoadModule deskauth_module $so"
    echo "KeepAlive On"
    echo "MaxKeepAliveRequests 0"
    echo "DBDriver sqlite3"
    echo "DBDParams \"$tmp/db/deskauth.db\""
    echo "DBDMin 0"
    echo "DeskAuthSigningKey \"$tmp/es256.pem\" bench"
    echo "DeskAuthIssuer http://127.0.0.1:$port"
    echo "DeskAuthStateDir \"$tmp/state\""
    echo "DeskAuthPasswordCost 4"
    echo "DeskAuthCodeTTL 3600"
    echo "DeskAuthLoginLimit 1000000 60"
    echo "DeskAuthClient bench-web http://127.0.0.1/cb \"secret=$tmp/secret\" consent=never"
    for h in login register token; do
        printf '<Location /auth/%s>\n    SetHandler deskauth-%s\n</Location>\n' "$h" "$h"
    done
} > "$tmp/httpd.conf"

"$httpd" -f "$tmp/httpd.conf" -k start
trap '"$httpd" -f "$tmp/httpd.conf" -k stop; sleep 1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/auth/login" && break
    sleep 0.1
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $N codes per round, $C client threads"
python3 "$top/bench/code_exchange.py" "$port" "$tmp/secret" "$N" "$C" "$ROUNDS" "$tmp/run/httpd.pid"
