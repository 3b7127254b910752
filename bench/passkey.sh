#!/bin/bash
# bench/passkey.sh: passkey sign-ins per second against password sign-ins
# at DeskAuthPasswordCost 12, on one httpd (event MPM, SQLite, LogLevel
# warn, no access log) on 127.0.0.1, driven by bench/passkey_bench.mjs.
#
# A passkey sign-in is two requests (login/options, then login with an
# assertion the bench's software authenticator signs: ES256, as platform
# authenticators use) and one signature check; a password sign-in is one
# request and one bcrypt. Both are run at the same concurrency, in
# alternating chunks, on the same server; reported per second.
#
#   bench/passkey.sh                 defaults: 200 of each, concurrency "1 2 4"
#   BENCH_PK_N=400 BENCH_PK_CONC="2" bench/passkey.sh
# Results: bench/out/passkey-<UTC time>/summary.md (printed at the end).
# Expects the module built (.libs/mod_deskauth.so) and node >= 18.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd -P)
N=${BENCH_PK_N:-200}
CONC=${BENCH_PK_CONC:-"1 2 4"}
COST=${BENCH_PK_COST:-12}
out=$top/bench/out/passkey-$(date -u +%Y%m%dT%H%M%SZ)
die() { echo "bench/passkey.sh: $*" >&2; exit 1; }
[ -f .libs/mod_deskauth.so ] || die "build the module first"
command -v node >/dev/null || die "node is missing (tools/deps --test)"

httpd=$(sed -n 's/^HTTPD = //p' Makefile 2>/dev/null || true); httpd=${httpd:-/usr/sbin/apache2}
apxs=$(sed -n 's/^APXS = //p' Makefile 2>/dev/null || true); apxs=${apxs:-apxs}
libexec=$("$apxs" -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
static_modules=$("$httpd" -l)
load() { grep -Eq "^[[:space:]]*$2\.c$" <<<"$static_modules" || echo "LoadModule ${1}_module $libexec/$2.so"; }

tmp=$(mktemp -d /tmp/deskauth-pkbench.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp"/{logs,run,db,state} "$out"
user=www-data
[ "$(id -u)" -eq 0 ] || user=$(id -un)
chown "$user" "$tmp/db" "$tmp/state"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/es256.pem" 2>/dev/null
chmod 644 "$tmp/es256.pem"
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 200); do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" && break
done
cleanup() {
    [ -f "$tmp/run/httpd.pid" ] && kill -TERM "$(cat "$tmp/run/httpd.pid")" 2>/dev/null || true
    sleep 1
    cp "$tmp/logs/error_log" "$out/" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
{
    echo "ServerRoot \"$tmp\""
    echo "ServerName localhost"
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
    echo "LoadModule deskauth_module $tmp/mod_deskauth.so"
    [ "$(id -u)" -eq 0 ] && printf 'User www-data\nGroup www-data\n'
    cat <<CONF
StartServers 2
ServerLimit 2
ThreadsPerChild 32
MaxRequestWorkers 64
KeepAlive On
DBDriver sqlite3
DBDParams "$tmp/db/deskauth.db"
DeskAuthStateDir "$tmp/state"
DeskAuthIssuer http://localhost:$port
DeskAuthSigningKey "$tmp/es256.pem" bench
DeskAuthPasswordCost $COST
DeskAuthLoginLimit 1000000 60
DeskAuthRegisterLimit 1000000 60
<Location /auth/register>
    SetHandler deskauth-register
</Location>
<Location /auth/login>
    SetHandler deskauth-login
</Location>
<Location /auth/passkey>
    SetHandler deskauth-passkey
</Location>
CONF
} >"$tmp/httpd.conf"
cp .libs/mod_deskauth.so "$tmp/mod_deskauth.so"
"$httpd" -f "$tmp/httpd.conf" -k start
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/auth/login" && break; sleep 0.2; done

{
    echo "# Passkey vs password sign-ins ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "Module: $(git rev-parse --short HEAD), DeskAuthPasswordCost $COST, SQLite, $(nproc) cores"
    echo "(shared with other work), $N sign-ins of each kind per concurrency, in 4"
    echo "alternating chunks."
    echo
    node bench/passkey_bench.mjs "http://localhost:$port" "$N" $CONC
} | tee "$out/summary.md"
