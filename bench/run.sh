#!/bin/bash
# bench/run.sh: the docs/interface.md benchmark of mod_deskauth (speed, sign-in, memory).
#
# Expects the module built (`make`: .libs/mod_deskauth.so); builds nothing of
# the module itself. Installs what is missing from Debian (wrk, ab, the two
# peer modules, ...), then, in a temp dir, on 127.0.0.1 only:
#
#  1. Throughput. ONE httpd (event MPM, KeepAlive on, no access log, LogLevel
#     warn) with two <VirtualHost>s, because DeskAuthSigningKey is per
#     server: port A signs/verifies ES256 (P-256 PEM), port B HS256 (48-byte
#     secret). Both serve the same 1 KiB file at
#       /open/       no auth
#       /da/         AuthType DeskAuth, Require valid-user (session check on)
#       /da-nosess/  the same with DeskAuthSessionCheck off
#       /oidc/       mod_auth_openidc as a resource server (AuthType oauth20)
#       /oauth2/     mod_oauth2 (AuthType oauth2)
#     The tokens are real DeskAuth access tokens (POST /auth/register on A,
#     POST /auth/login on B); the peers validate the very same tokens with
#     the same public key / secret. Each protected location must answer 200
#     with its token and 401 without it or with a tampered one, or the run
#     stops. Then ROUNDS rounds; in each, every protected location runs
#     right next to a run of /open/ (before it in odd rounds, after it in
#     even ones), the order of the locations rotated each round; a round's
#     ratio is the location's req/s / that paired /open/ run's req/s; the
#     median over the rounds is reported (and the mean).
#  2. Sign-in. JSON sign-ins (POST /auth/login, ab -k) against as many
#     apr_password_validate calls at the same cost on as many threads
#     (bench/bcrypt_bench.c, compiled into the temp dir), interleaved in 4
#     chunks, which goes first alternating: wall time and CPU time (httpd's
#     against bcrypt_bench's) of both: at cost 4, one at a time, on the
#     throughput server (shows the non-bcrypt part of a sign-in); at
#     DeskAuthPasswordCost 12 (the default, docs/interface.md's "configured cost"),
#     2 x cores at a time (the server saturated: throughput), then cores at
#     a time, on a second start of the same configuration with a single
#     child process.
#  3. Memory. On that single-child server: the child's RSS (and its open
#     SQLite connections) after a warm-up that puts all its 64 worker
#     threads to work and outlasts DeskAuthSessionCacheTTL (wrk on 64
#     connections for BENCH_MEM_WARMUP seconds), then after every 100,000
#     of MEM_REQUESTS requests to /da/ (ES256, session check on; 1,000,000
#     take about a minute, past the moment lastUsedAt is written again);
#     then the same for /open/ after a restart, for reference.
#  4. Profile (BENCH_PROFILE=both|perf|callgrind|off, default both):
#     perf record -g on that child while wrk loads /open/, then /da/: CPU per
#     request by library and symbol, /da/ against /open/ (sampled, so as
#     noisy as the machine); and callgrind (httpd -X under valgrind, 2,000
#     requests per location): instructions per request inside request
#     processing, /open/ vs /da/ vs /da-nosess/, which other work on the
#     machine does not change. valgrind hides SHA-NI, so hashing costs more
#     instructions there than natively.
#  Also, before the rounds: HS256 tokens re-signed with one claim changed
#  (expired, no exp, other iss/aud, future nbf, alg none) against the three
#  modules, to show what each checks.
#
# Results: bench/out/<UTC time>/ (raw outputs, summary.md); the summary is
# printed at the end. bench/RESULTS.md is written by hand from it.
#
# Tunables (environment): BENCH_ROUNDS (30: on 2 shared cores the 95 %
# interval of a 30-pair median is about ±3 %, of a 10-pair one ±5 %),
# BENCH_DURATION (3s),
# BENCH_THREADS (2), BENCH_CONNECTIONS (32), BENCH_LOCATIONS (see below),
# BENCH_LOGINS (400), BENCH_LOGIN_COST (12), BENCH_LOGIN_CONCURRENCY ("4 2"), BENCH_MEM_REQUESTS (1000000), BENCH_MEM_WARMUP (15),
# BENCH_PROFILE (both), BENCH_LOGIN_SEQUENTIAL=1 (adds sequential sign-ins at
# the high cost), BENCH_KEEP=1 keeps the temp dir, BENCH_OUT (dir).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd -P)

ROUNDS=${BENCH_ROUNDS:-30}
DURATION=${BENCH_DURATION:-3s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
# all: open da-es256 da-hs256 da-es256-nosess da-hs256-nosess oidc-es256 oidc-hs256 oauth2-es256 oauth2-hs256
LOCATIONS=${BENCH_LOCATIONS:-"open da-es256 da-hs256 da-es256-nosess oidc-es256 oidc-hs256 oauth2-es256 oauth2-hs256"}
LOGINS=${BENCH_LOGINS:-400}
SIGNIN_CHUNKS=4
LOGIN_COST=${BENCH_LOGIN_COST:-12}
LOGIN_CONCURRENCY=${BENCH_LOGIN_CONCURRENCY:-"$((2 * $(nproc))) $(nproc)"}
MEM_REQUESTS=${BENCH_MEM_REQUESTS:-1000000}
MEM_STEP=100000
MEM_WARMUP=${BENCH_MEM_WARMUP:-15}
PROFILE=${BENCH_PROFILE:-both}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
t_start=$(date +%s)
OUT=${BENCH_OUT:-$top/bench/out/$stamp}

die() { echo "bench/run.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

so=$top/.libs/mod_deskauth.so
[ -f "$so" ] || die "$so is missing: build the module first (./configure && make); this script builds nothing"
[ "$(id -u)" -eq 0 ] || die "run as root (installs packages, httpd children run as www-data)"

# --- packages --------------------------------------------------------------------
# package:file-that-proves-it-is-there
need=(
    wrk:/usr/bin/wrk
    apache2-utils:/usr/bin/ab
    apache2-bin:/usr/sbin/apache2
    curl:/usr/bin/curl
    jq:/usr/bin/jq
    openssl:/usr/bin/openssl
    gcc:/usr/bin/gcc
    libaprutil1-dev:/usr/bin/apu-1-config
    libapr1-dev:/usr/bin/apr-1-config
    libaprutil1-dbd-sqlite3:/usr/lib/x86_64-linux-gnu/apr-util-1/apr_dbd_sqlite3-1.so
    libapache2-mod-auth-openidc:/usr/lib/apache2/modules/mod_auth_openidc.so
    libapache2-mod-oauth2:/usr/lib/apache2/modules/mod_oauth2.so
)
case $PROFILE in perf|both) need+=(linux-perf:/usr/bin/perf) ;; esac
case $PROFILE in callgrind|both) need+=(valgrind:/usr/bin/valgrind) ;; esac
missing=()
for pf in "${need[@]}"; do
    pkg=${pf%%:*} file=${pf#*:}
    if [ ! -e "$file" ] && ! dpkg -s "$pkg" >/dev/null 2>&1; then missing+=("$pkg"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # The peer modules' postinst enables them in the system's /etc/apache2;
    # this benchmark loads them itself, so leave the system server as it was.
    case " ${missing[*]} " in *" libapache2-mod-auth-openidc "*) a2dismod -q auth_openidc >/dev/null 2>&1 || true ;; esac
    case " ${missing[*]} " in *" libapache2-mod-oauth2 "*) a2dismod -q oauth2 >/dev/null 2>&1 || true ;; esac
fi

httpd=$(sed -n 's/^HTTPD = //p' Makefile 2>/dev/null || true); httpd=${httpd:-/usr/sbin/apache2}
apxs=$(sed -n 's/^APXS = //p' Makefile 2>/dev/null || true); apxs=${apxs:-apxs}
libexec=$("$apxs" -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
static_modules=$("$httpd" -l)

# --- temp dir, keys ----------------------------------------------------------------
tmp=$(mktemp -d /tmp/deskauth-bench.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp"/{htdocs,logs,run,db,state,keys} "$OUT"
chown www-data: "$tmp/db" "$tmp/state"
pids_to_stop=()
cleanup() {
    local f pid
    cp "$tmp"/logs/error_log.* "$OUT/" 2>/dev/null || true
    for f in "$tmp"/run/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null) || continue
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids_to_stop[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 1
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench/run.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A copy of the module: other people may rebuild .libs/ while this runs, and
# both servers (and perf's symbols) must see the same file.
cp "$so" "$tmp/mod_deskauth.so"
so_src=$so so=$tmp/mod_deskauth.so
so_built=$(date -u -r "$so_src" '+%Y-%m-%d %H:%M:%S UTC')
so_git="$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD -- src mod_deskauth.c 2>/dev/null || echo ' + uncommitted changes in src/')"

K=$tmp/keys
openssl ecparam -name prime256v1 -genkey -noout -out "$K/es256.pem" 2>/dev/null
openssl ec -in "$K/es256.pem" -pubout -out "$K/es256.pub.pem" 2>/dev/null
# 48 random bytes; the module drops one trailing newline, so avoid ending in one
while :; do
    openssl rand 48 >"$K/hs256.key"
    [ "$(tail -c1 "$K/hs256.key" | od -An -tx1 | tr -d ' ')" != 0a ] && break
done
# TLS for the JWKS that mod_auth_openidc fetches (it takes https URLs only)
openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/tls.key" \
    -subj /CN=127.0.0.1 -addext basicConstraints=critical,CA:FALSE -days 2 -out "$K/tls.crt" 2>/dev/null
chmod 600 "$K/es256.pem" "$K/hs256.key" "$K/tls.key"
hs_hex=$(od -An -v -tx1 "$K/hs256.key" | tr -d ' \n')
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
ec_der=$(openssl ec -pubin -in "$K/es256.pub.pem" -outform DER 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
ec_xy=${ec_der: -128}     # uncompressed point 04||X||Y: the last 64 bytes
ec_x=$(printf %s "${ec_xy:0:64}" | xxd -r -p 2>/dev/null | b64url || true)
if [ -z "$ec_x" ]; then   # no xxd: decode hex with printf
    hex2bin() { local h=$1 i; for ((i = 0; i < ${#h}; i += 2)); do printf "\\x${h:i:2}"; done; }
    ec_x=$(hex2bin "${ec_xy:0:64}" | b64url)
    ec_y=$(hex2bin "${ec_xy:64:64}" | b64url)
else
    ec_y=$(printf %s "${ec_xy:64:64}" | xxd -r -p | b64url)
fi
ES_KID=bench-es256 HS_KID=bench-hs256
es_jwk="{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"$ES_KID\",\"use\":\"sig\",\"alg\":\"ES256\",\"x\":\"$ec_x\",\"y\":\"$ec_y\"}"

# the same 1 KiB file behind every location
for _ in $(seq 16); do printf '%063d\n' 0; done >"$tmp/htdocs/file.txt"   # 16 x 64 bytes

# --- ports -------------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        [ "$p" != "${1:-}" ] && port_free "$p" && { echo "$p"; return 0; }
    done
    return 1
}
PA=$(pick_port) || die "no free port"
PB=$(pick_port "$PA") || die "no free port"
# pick_other PORT... -> a free port, none of these
pick_other() {
    local p
    for _ in $(seq 50); do
        p=$(pick_port) || return 1
        case " $* " in *" $p "*) ;; *) echo "$p"; return 0 ;; esac
    done
    return 1
}
PC=$(pick_other "$PA" "$PB") || die "no free port"
PD=$(pick_other "$PA" "$PB" "$PC") || die "no free port"
PE=$(pick_other "$PA" "$PB" "$PC" "$PD") || die "no free port"

# --- the configuration -------------------------------------------------------------
load() {   # LoadModule unless compiled in
    grep -Eq "^[[:space:]]*$2\.c$" <<<"$static_modules" || echo "LoadModule ${1}_module $libexec/$2.so"
}
# write_conf NAME COST MPM(bench|single) [WHO(deskauth|peers)]: DeskAuth
# alone (ports A, B and C), or the two peers alone (ports D and E): each
# module is measured in an httpd that loads only it, as it is deployed (a
# loaded mod_auth_openidc runs its hooks on every request that has an
# AuthType, DeskAuth's too)
write_conf() {
    local name=$1 cost=$2 mpm=$3 who=${4:-deskauth} f=$tmp/$1.conf
    {
        cat <<EOF
# Written by bench/run.sh ($name: $who).
ServerRoot "$tmp"
ServerName 127.0.0.1
PidFile "$tmp/run/$name.pid"
DefaultRuntimeDir "$tmp/run"
ErrorLog "$tmp/logs/error_log.$name"
LogLevel warn
EOF
        if [ "$who" = deskauth ]; then
            printf 'Listen 127.0.0.1:%s\nListen 127.0.0.1:%s\nListen 127.0.0.1:%s https\n' "$PA" "$PB" "$PC"
        else
            printf 'Listen 127.0.0.1:%s\nListen 127.0.0.1:%s\n' "$PD" "$PE"
        fi
        load mpm_event mod_mpm_event
        load unixd mod_unixd
        load authn_core mod_authn_core
        load authz_core mod_authz_core
        load authz_user mod_authz_user
        load alias mod_alias
        load mime mod_mime
        if [ "$who" = deskauth ]; then
            load socache_shmcb mod_socache_shmcb
            load dbd mod_dbd
            load ssl mod_ssl
            echo "LoadModule deskauth_module $so"
        else
            load auth_openidc mod_auth_openidc
            load oauth2 mod_oauth2
        fi
        if [ "$mpm" = single ]; then
            cat <<EOF
# one child process, so that its RSS is the whole story
StartServers 1
ServerLimit 1
ThreadsPerChild 64
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
EOF
        else
            cat <<EOF
StartServers 2
ServerLimit 4
ThreadsPerChild 64
MaxRequestWorkers 256
MinSpareThreads 64
MaxSpareThreads 256
EOF
        fi
        cat <<EOF
MaxConnectionsPerChild 0
User www-data
Group www-data
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 30
TypesConfig /etc/mime.types
# no CustomLog: no access log
DocumentRoot "$tmp/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$tmp/htdocs">
    AllowOverride None
    Require all granted
</Directory>
Alias /open/      "$tmp/htdocs/"
EOF
        if [ "$who" = deskauth ]; then
            cat <<EOF
Alias /da/        "$tmp/htdocs/"
Alias /da-nosess/ "$tmp/htdocs/"

DBDriver sqlite3
DBDParams "$tmp/db/deskauth.db"
DeskAuthStateDir "$tmp/state"
DeskAuthIssuer https://bench.deskauth.test
DeskAuthSiteName "DeskAuth bench"
DeskAuthAccessTTL 7200
DeskAuthPasswordCost $cost
DeskAuthSigningKey "$K/es256.pem" $ES_KID

<Location /auth/register>
    SetHandler deskauth-register
</Location>
<Location /auth/login>
    SetHandler deskauth-login
</Location>
<Location /.well-known/jwks.json>
    SetHandler deskauth-jwks
</Location>
<Location /da/>
    AuthType DeskAuth
    Require valid-user
</Location>
<Location /da-nosess/>
    AuthType DeskAuth
    DeskAuthSessionCheck off
    Require valid-user
</Location>

# Port A: ES256 (P-256 key)
<VirtualHost 127.0.0.1:$PA>
    ServerName 127.0.0.1
    DeskAuthSigningKey "$K/es256.pem" $ES_KID
</VirtualHost>

# Port B: HS256 (48-byte secret)
<VirtualHost 127.0.0.1:$PB>
    ServerName 127.0.0.1
    DeskAuthSigningKey "$K/hs256.key" $HS_KID
</VirtualHost>

# Port C (TLS): only the ES256 JWKS, for mod_auth_openidc on port D
<VirtualHost 127.0.0.1:$PC>
    ServerName 127.0.0.1
    SSLEngine on
    SSLCertificateFile "$K/tls.crt"
    SSLCertificateKeyFile "$K/tls.key"
    DeskAuthSigningKey "$K/es256.pem" $ES_KID
</VirtualHost>
EOF
        else
            cat <<EOF
Alias /oidc/      "$tmp/htdocs/"
Alias /oauth2/    "$tmp/htdocs/"

# mod_auth_openidc as an OAuth 2.0 resource server (local JWT validation;
# the keys are per virtual host, below)
<Location /oidc/>
    AuthType oauth20
    Require valid-user
</Location>
OIDCOAuthRemoteUserClaim sub

# Port D: ES256 (the DeskAuth server's P-256 key)
<VirtualHost 127.0.0.1:$PD>
    ServerName 127.0.0.1
    # OIDCOAuthVerifyCertFiles takes RSA only in 2.4.12 (an EC certificate
    # crashes httpd -t in oidc_jwk_rsa_bio_to_jwk): use DeskAuth's own JWKS,
    # served over TLS by the DeskAuth server's port C (mod_auth_openidc
    # caches it for OIDCJWKSRefreshInterval, 3600 s by default)
    OIDCOAuthVerifyJwksUri https://127.0.0.1:$PC/.well-known/jwks.json
    OIDCOAuthSSLValidateServer Off
    <Location /oauth2/>
        AuthType oauth2
        OAuth2TokenVerify jwk '$es_jwk' verify.exp=required&verify.iat=optional
        Require valid-user
    </Location>
</VirtualHost>

# Port E: HS256 (the DeskAuth server's 48-byte secret)
<VirtualHost 127.0.0.1:$PE>
    ServerName 127.0.0.1
    OIDCOAuthVerifySharedKeys hex#$HS_KID#$hs_hex
    <Location /oauth2/>
        AuthType oauth2
        OAuth2TokenVerify hex $hs_hex kid=$HS_KID&verify.exp=required&verify.iat=optional
        Require valid-user
    </Location>
</VirtualHost>
EOF
        fi
    } >"$f"
    echo "$f"
}

# the ports of a server NAME (the peers listen on D and E)
ports_of() { case $1 in peers) echo "$PD $PE" ;; *) echo "$PA $PB $PC" ;; esac; }
start_httpd() {   # start_httpd CONF
    local conf=$1 name p ok
    name=$(basename "$conf" .conf)
    "$httpd" -t -f "$conf" >"$tmp/logs/configtest.$name" 2>&1 ||
        { cat "$tmp/logs/configtest.$name" >&2; die "the $name configuration does not load ($conf)"; }
    "$httpd" -f "$conf" -k start
    for _ in $(seq 100); do
        ok=1
        for p in $(ports_of "$name"); do
            [ "$p" = "$PC" ] && continue  # TLS
            [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/open/file.txt")" = 200 ] || ok=0
        done
        [ $ok = 1 ] && return 0
        sleep 0.1
    done
    tail -n 20 "$tmp/logs/error_log.$name" >&2 || true
    die "httpd ($name) does not answer on 127.0.0.1 ports $(ports_of "$name")"
}
stop_httpd() {    # stop_httpd NAME
    local pid p free
    pid=$(cat "$tmp/run/$1.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$tmp/run/$1.pid"
    for _ in $(seq 50); do
        free=1
        for p in $(ports_of "$1"); do port_free "$p" || free=0; done
        [ $free = 1 ] && return 0
        sleep 0.1
    done
}

# json_post PORT PATH BODY -> body on stdout, fails unless 2xx
json_post() {
    curl -sS --fail-with-body -H 'Content-Type: application/json' -H 'Accept: application/json' \
         --data-binary "$3" "http://127.0.0.1:$1$2"
}
PASSWORD=bench-password-1

url_of() {   # location name -> URL
    case $1 in
        open)             echo "http://127.0.0.1:$PA/open/file.txt" ;;
        da-es256)         echo "http://127.0.0.1:$PA/da/file.txt" ;;
        da-hs256)         echo "http://127.0.0.1:$PB/da/file.txt" ;;
        da-es256-nosess)  echo "http://127.0.0.1:$PA/da-nosess/file.txt" ;;
        da-hs256-nosess)  echo "http://127.0.0.1:$PB/da-nosess/file.txt" ;;
        open-peers)       echo "http://127.0.0.1:$PD/open/file.txt" ;;
        oidc-es256)       echo "http://127.0.0.1:$PD/oidc/file.txt" ;;
        oidc-hs256)       echo "http://127.0.0.1:$PE/oidc/file.txt" ;;
        oauth2-es256)     echo "http://127.0.0.1:$PD/oauth2/file.txt" ;;
        oauth2-hs256)     echo "http://127.0.0.1:$PE/oauth2/file.txt" ;;
        *) die "unknown location $1" ;;
    esac
}
token_of() { case $1 in *hs256*) echo "$TOK_HS" ;; *) echo "$TOK_ES" ;; esac; }
# the httpd that serves a location, and the unprotected location of that httpd
server_of() { case $1 in oidc-*|oauth2-*|open-peers) echo peers ;; *) echo bench ;; esac; }
open_of() { [ "$(server_of "$1")" = peers ] && echo open-peers || echo open; }
tamper() {   # change one character of the signature
    local t=$1 last=${1: -2:1}
    [ "$last" = A ] && echo "${t:0:${#t}-2}B${t: -1}" || echo "${t:0:${#t}-2}A${t: -1}"
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

machine() {
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- cpu: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | tr '\n' ' ')($(grep -o -w -m1 sha_ni /proc/cpuinfo || echo 'no sha_ni'))"
    echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "- os: $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "- httpd: $("$httpd" -v | sed -n 's/^Server version: //p'), event MPM"
    echo "- wrk $(dpkg-query -W -f='${Version}' wrk), mod_auth_openidc $(dpkg-query -W -f='${Version}' libapache2-mod-auth-openidc), mod_oauth2 $(dpkg-query -W -f='${Version}' libapache2-mod-oauth2) (liboauth2 $(dpkg-query -W -f='${Version}' liboauth2-0 2>/dev/null || echo '?'))"
    echo "- mod_deskauth: $so_src as it was at the start (built $so_built; a copy was loaded), sha256 $(sha256sum "$so" | cut -c1-16), work tree at git $so_git"
    echo "- run started $(date -u -d "@$t_start" '+%H:%M:%S UTC'), took $(( $(date +%s) - t_start )) s"
}

# ===================================================================================
# 1. throughput
# ===================================================================================
conf=$(write_conf bench 4 bench)
cp "$conf" "$OUT/bench.conf"
say "starting the DeskAuth httpd ($conf), ports A=$PA (ES256) B=$PB (HS256) C=$PC (TLS, JWKS)"
start_httpd "$conf"
# the peers want DeskAuth's JWKS (port C) at start-up: started second
peers_conf=$(write_conf peers 4 bench peers)
cp "$peers_conf" "$OUT/peers.conf"
say "starting the peers' httpd ($peers_conf), ports D=$PD (ES256) E=$PE (HS256)"
start_httpd "$peers_conf"
# every location, with the unprotected one of each httpd first
all_locs="open $(case " $LOCATIONS " in *" oidc-"*|*" oauth2-"*) echo open-peers ;; esac) $(tr ' ' '\n' <<<"$LOCATIONS" | grep -v '^open$' | tr '\n' ' ')"

reg=$(json_post "$PA" /auth/register \
      "{\"email\":\"bench@bench.test\",\"password\":\"$PASSWORD\",\"firstName\":\"Bench\",\"lastName\":\"User\"}") ||
    die "POST /auth/register failed: $reg"
TOK_ES=$(jq -r '.tokens.accessToken' <<<"$reg")
login=$(json_post "$PB" /auth/login "{\"email\":\"bench@bench.test\",\"password\":\"$PASSWORD\"}") ||
    die "POST /auth/login (HS256 vhost) failed: $login"
TOK_HS=$(jq -r '.tokens.accessToken' <<<"$login")
for t in "$TOK_ES" "$TOK_HS"; do
    [ "$(tr -cd . <<<"$t" | wc -c)" = 2 ] || die "not a JWT: $t"
done
hdr() { cut -d. -f1 <<<"$1" | tr '_-' '/+' | { b=$(cat); while [ $((${#b} % 4)) -ne 0 ]; do b="$b="; done; echo "$b"; } | openssl base64 -d -A; }
say "ES256 token header $(hdr "$TOK_ES"), HS256 token header $(hdr "$TOK_HS")"
{ echo "ES256 header: $(hdr "$TOK_ES")"; echo "HS256 header: $(hdr "$TOK_HS")";
  echo "claims: $(cut -d. -f2 <<<"$TOK_ES" | tr '_-' '/+' | { b=$(cat); while [ $((${#b} % 4)) -ne 0 ]; do b="$b="; done; echo "$b"; } | openssl base64 -d -A)"; } >"$OUT/tokens.txt"

say "checking every location: 200 with its token, 401 without and with a tampered one"
bad=0
for loc in $all_locs; do
    u=$(url_of "$loc") t=$(token_of "$loc")
    with=$(code -H "Authorization: Bearer $t" "$u")
    if [ "$loc" = open ] || [ "$loc" = open-peers ]; then
        [ "$with" = 200 ] || { echo "  $loc: $with with a token (want 200)" >&2; bad=1; }
        echo "  $loc: $with" >&2; continue
    fi
    without=$(code "$u")
    tampered=$(code -H "Authorization: Bearer $(tamper "$t")" "$u")
    echo "  $loc: token $with, none $without, tampered $tampered" >&2
    [ "$with" = 200 ] && [ "$without" = 401 ] && [ "$tampered" = 401 ] || bad=1
done
[ $bad = 0 ] || { tail -n 30 "$tmp/logs/error_log.bench" "$tmp/logs/error_log.peers" >&2; die "a location does not behave (want 200 / 401 / 401); see above"; }

# --- what each module checks (HS256 tokens re-signed with the same secret) ------------
b64url_of() { printf %s "$1" | openssl base64 -A | tr '+/' '-_' | tr -d '='; }
b64url_dec() { local b; b=$(tr '_-' '/+' <<<"$1"); while [ $((${#b} % 4)) -ne 0 ]; do b="$b="; done; openssl base64 -d -A <<<"$b"; }
hs_sign() {   # hs_sign HEADER_JSON PAYLOAD_JSON -> compact JWS (HS256)
    local hp
    hp="$(b64url_of "$1").$(b64url_of "$2")"
    echo "$hp.$(printf %s "$hp" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hs_hex" -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')"
}
hs_header=$(b64url_dec "$(cut -d. -f1 <<<"$TOK_HS")")
hs_payload=$(b64url_dec "$(cut -d. -f2 <<<"$TOK_HS")")
now=$(date +%s)
claim_cases=(
    "the same claims, re-signed|$(hs_sign "$hs_header" "$hs_payload")"
    "exp 1 h ago|$(hs_sign "$hs_header" "$(jq -c --argjson t "$now" '.exp = $t - 3600 | .iat = $t - 7200 | .nbf = $t - 7200' <<<"$hs_payload")")"
    "no exp|$(hs_sign "$hs_header" "$(jq -c 'del(.exp)' <<<"$hs_payload")")"
    "another iss|$(hs_sign "$hs_header" "$(jq -c '.iss = "https://evil.example"' <<<"$hs_payload")")"
    "another aud|$(hs_sign "$hs_header" "$(jq -c '.aud = "someone-else"' <<<"$hs_payload")")"
    "nbf 1 h ahead|$(hs_sign "$hs_header" "$(jq -c --argjson t "$now" '.nbf = $t + 3600' <<<"$hs_payload")")"
    "alg none, no signature|$(b64url_of '{"alg":"none","typ":"at+jwt"}').$(b64url_of "$hs_payload")."
)
claim_rows=
for c in "${claim_cases[@]}"; do
    row="| ${c%%|*} |"
    for loc in da-hs256 oidc-hs256 oauth2-hs256; do
        row="$row $(code -H "Authorization: Bearer ${c#*|}" "$(url_of "$loc")") |"
    done
    claim_rows="$claim_rows"$'\n'"$row"
done
say "claim checks (HTTP status per module):$claim_rows"

# httpd's CPU time (clock ticks): the parent with its reaped children, plus
# the live children. Robust to other work on the machine, unlike req/s.
hz=$(getconf CLK_TCK)
httpd_ticks() {
    local parent kids
    parent=$(cat "$tmp/run/$1.pid")
    kids=$(ps --ppid "$parent" -o pid= | tr -d ' ' | tr '\n' ' ')
    {   sed 's/.*) //' "/proc/$parent/stat" | awk '{print $12 + $13 + $14 + $15}'
        for k in $kids; do sed 's/.*) //' "/proc/$k/stat" 2>/dev/null | awk '{print $12 + $13}'; done
    } | awk '{t += $1} END {print t + 0}'
}
wrk_once() {   # wrk_once LOC DURATION OUTFILE -> "req/s requests httpd_cpu_ticks" on stdout
    local loc=$1 d=$2 f=$3 u t c0 c1
    u=$(url_of "$loc") t=$(token_of "$loc")
    c0=$(httpd_ticks "$(server_of "$loc")")
    wrk -t"$THREADS" -c"$CONNS" -d"$d" --latency -H "Authorization: Bearer $t" "$u" >"$f" 2>&1 ||
        { cat "$f" >&2; die "wrk failed on $loc"; }
    c1=$(httpd_ticks "$(server_of "$loc")")
    # a valid token refused under load is a finding, not a reason to stop: counted and reported
    echo "$(awk '/^Requests\/sec:/ {print $2}' "$f") $(awk '/ requests in / {print $1}' "$f") $((c1 - c0)) $(awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$f")"
}
load1() { cut -d' ' -f1 /proc/loadavg; }   # 1-minute load average (other work on the machine)

say "warm-up (1 s per location)"
for loc in $all_locs; do wrk_once "$loc" 1s "$OUT/warmup-$loc.txt" >/dev/null; done

# Paired rounds: each protected location runs right next to a run of
# /open/ on its own httpd, first or second by turns, and its ratio is
# taken to that run:
# the machine drifts by more than 10 % within a minute (2 shared cores),
# and a pair cancels what drifts slower than a pair's two runs.
read -r -a locs <<<"$LOCATIONS"
protected=()
for loc in "${locs[@]}"; do [ "$loc" = open ] || [ "$loc" = open-peers ] || protected+=("$loc"); done
n=${#protected[@]}
: >"$OUT/rounds.tsv"
# measure LOC FILE -> "rps reqs cpu_us non2xx load" (the wrk output kept in FILE)
measure() {
    local l0 rps reqs ticks non2xx
    l0=$(load1)
    read -r rps reqs ticks non2xx < <(wrk_once "$1" "$DURATION" "$2")
    echo "$rps $reqs $(awk -v t="$ticks" -v h="$hz" -v n="$reqs" 'BEGIN {printf "%.1f", t / h * 1e6 / n}') $non2xx $l0"
    [ "$non2xx" = 0 ] || echo "   WARNING: $1 answered $non2xx requests with non-2xx (see $2, error_log.throughput)" >&2
}
for ((r = 0; r < ROUNDS; r++)); do
    order=()
    for ((i = 0; i < n; i++)); do order+=("${protected[(i + r) % n]}"); done
    say "round $((r + 1))/$ROUNDS: ${order[*]}, each paired with /open/ of its httpd ($([ $((r % 2)) = 0 ] && echo 'open first' || echo 'open second'))"
    for loc in "${order[@]}"; do
        ol=$(open_of "$loc")
        f=$OUT/round$((r + 1))-$loc.txt fo=$OUT/round$((r + 1))-$ol-for-$loc.txt
        if [ $((r % 2)) = 0 ]; then
            read -r o_rps o_reqs o_cpu o_bad o_load < <(measure "$ol" "$fo")
            read -r p_rps p_reqs p_cpu p_bad p_load < <(measure "$loc" "$f")
        else
            read -r p_rps p_reqs p_cpu p_bad p_load < <(measure "$loc" "$f")
            read -r o_rps o_reqs o_cpu o_bad o_load < <(measure "$ol" "$fo")
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$((r + 1))" "$loc" "$p_rps" "$p_load" "$p_cpu" "$p_bad" "$p_reqs" "$o_rps" "$o_cpu" >>"$OUT/rounds.tsv"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$((r + 1))" "$ol" "$o_rps" "$o_load" "$o_cpu" "$o_bad" "$o_reqs" "$o_rps" "$o_cpu" >>"$OUT/rounds.tsv"
        echo "   $loc $p_rps req/s (CPU $p_cpu us/req), paired $ol $o_rps req/s (CPU $o_cpu us/req): ratio $(awk -v a="$p_rps" -v b="$o_rps" 'BEGIN {printf "%.3f", a / b}')" >&2
    done
done
cat "$tmp/logs/error_log.bench" "$tmp/logs/error_log.peers" >"$OUT/error_log.throughput"
errors=$(grep -c . "$OUT/error_log.throughput" || true)
error_kinds=$(sed -e 's/^\[[^]]*\] //' -e 's/\[pid [^]]*\] //' -e 's/\[client [^]]*\] //' -e 's/ with label .*//' \
                  "$OUT/error_log.throughput" | cut -c1-160 | sort | uniq -c | sort -rn | head -8 || true)

# --- sign-in ----------------------------------------------------------------------
gcc -O2 -pthread $(apr-1-config --cflags --cppflags --includes) $(apu-1-config --includes) \
    "$top/bench/bcrypt_bench.c" -o "$tmp/bcrypt_bench" $(apu-1-config --link-ld --libs) $(apr-1-config --link-ld --libs)
printf '{"email":"bench@bench.test","password":"%s"}' "$PASSWORD" >"$tmp/login4.json"
# signin SERVER COST JSONFILE N CONCURRENCY -> "login_s bcrypt_s login_cpu_s
# bcrypt_cpu_s": N sign-ins (ab -k -c CONCURRENCY) against the httpd SERVER
# and N apr_password_validate calls on CONCURRENCY threads, interleaved in
# SIGNIN_CHUNKS chunks, which goes first alternating (so that other work on
# the machine, and its drift, fall on both alike); the CPU times are
# httpd's (all its processes) and bcrypt_bench's own. Few, long chunks: the
# end of each chunk of sign-ins idles a core while the last ones finish one
# by one (the bcrypt threads finish together), which a steady load of
# sign-ins never does: 10 chunks of 20 cost 3 points of the overhead.
signin() {
    local srv=$1 cost=$2 body=$3 total=$4 conc=$5 chunk lt=0 bt=0 lc=0 bc=0 i k=0 a b f c0 c1 out
    chunk=$(( (total + SIGNIN_CHUNKS - 1) / SIGNIN_CHUNKS ))
    [ "$chunk" -ge "$conc" ] || chunk=$conc
    for ((i = 0; i < total; i += chunk)); do
        [ $((total - i)) -lt "$chunk" ] && chunk=$((total - i))
        [ "$chunk" -ge "$conc" ] || break
        f=$OUT/login-cost$cost-c$conc-$i.txt
        if [ $((k++ % 2)) = 1 ]; then
            out=$("$tmp/bcrypt_bench" "$cost" "$chunk" "$conc" "$PASSWORD" | tee -a "$OUT/bcrypt-cost$cost-c$conc.txt")
        fi
        c0=$(httpd_ticks "$srv")
        ab -k -c "$conc" -n "$chunk" -p "$body" -T application/json -H 'Accept: application/json' \
           "http://127.0.0.1:$PA/auth/login" >"$f" 2>&1 || { cat "$f" >&2; die "ab (login) failed"; }
        c1=$(httpd_ticks "$srv")
        grep -q 'Non-2xx' "$f" && { cat "$f" >&2; die "logins answered non-2xx"; }
        a=$(awk '/^Time taken for tests:/ {print $5}' "$f")
        [ -n "$a" ] || { cat "$f" >&2; die "ab (login) gave no time"; }
        if [ $((k % 2)) = 1 ]; then
            out=$("$tmp/bcrypt_bench" "$cost" "$chunk" "$conc" "$PASSWORD" | tee -a "$OUT/bcrypt-cost$cost-c$conc.txt")
        fi
        b=$(sed -n 's/.*total_s=\([0-9.]*\).*/\1/p' <<<"$out")
        lt=$(awk -v x="$lt" -v y="$a" 'BEGIN {print x + y}')
        bt=$(awk -v x="$bt" -v y="$b" 'BEGIN {print x + y}')
        lc=$(awk -v x="$lc" -v t=$((c1 - c0)) -v h="$hz" 'BEGIN {print x + t / h}')
        bc=$(awk -v x="$bc" -v y="$(sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' <<<"$out")" 'BEGIN {print x + y}')
    done
    echo "$lt $bt $lc $bc"
}
signin_row() {   # signin_row COST N CONCURRENCY WHERE "login_s bcrypt_s login_cpu_s bcrypt_cpu_s"
    local l b lc bc
    read -r l b lc bc <<<"$5"
    awk -v c="$1" -v n="$2" -v k="$3" -v w="$4" -v l="$l" -v b="$b" -v lc="$lc" -v bc="$bc" 'BEGIN {
        printf "| %d | %s | %d | %d | %.1f/s (%.2f ms) | %.1f/s (%.2f ms) | **%.1f %%** | %.1f ms / %.1f ms (%+.1f %%) |\n", c, w, k, n,
               n / l, l * 1000 / n, n / b, b * 1000 / n, (l - b) / b * 100, lc * 1000 / n, bc * 1000 / n, (lc - bc) / bc * 100 }'
}
say "sign-in at cost 4 (shows the non-bcrypt part): $LOGINS JSON logins vs bcrypt alone, sequential"
json_post "$PA" /auth/login "$(cat "$tmp/login4.json")" >/dev/null || die "a JSON login fails"
signin_rows=$(signin_row 4 "$LOGINS" 1 "throughput server" "$(signin bench 4 "$tmp/login4.json" "$LOGINS" 1)")
stop_httpd peers
stop_httpd bench

# table: location, median req/s, median ratio to the paired /open/ run,
# mean ratio, the ratios per round, CPU per request
table=$(awk -F'\t' -v order="$all_locs" '
    function median(s,   a, k, m, i, j, t) {
        k = split(s, a, " ")
        for (i = 2; i <= k; i++)          # insertion sort (mawk has no asort)
            for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        m = int((k + 1) / 2)
        return (k % 2) ? a[m] : (a[m] + a[m + 1]) / 2
    }
    {
        loc = $2; q = $3 / $8
        vals[loc] = vals[loc] " " $3; ratios[loc] = ratios[loc] " " q
        rr[loc] = rr[loc] (rr[loc] == "" ? "" : " ") sprintf("%.3f", q)
        sum[loc] += q; cnt[loc]++
        cv[loc] = cv[loc] " " $5; cr[loc] = cr[loc] " " ($5 > 0 ? $9 / $5 : 0)
        bad[loc] += $6; tot[loc] += $7
    }
    END {
        nl = split(order, L, " ")
        print "| location | median req/s | **median ratio to the paired /open/** | mean ratio | ratio per pair | httpd CPU us/req (median) | CPU ratio open/location (median) | non-2xx |"
        print "|---|---:|---:|---:|---|---:|---:|---:|"
        for (i = 1; i <= nl; i++) {
            loc = L[i]
            if (!(loc in cnt)) continue
            printf "| %s | %.0f | **%.3f** | %.3f | %s | %.1f | %.3f | %d of %d |\n", loc, median(vals[loc]), median(ratios[loc]),
                   sum[loc] / cnt[loc], (loc ~ /^open/ ? "(the reference of its pairs)" : rr[loc]), median(cv[loc]), median(cr[loc]), bad[loc], tot[loc]
        }
    }' "$OUT/rounds.tsv")

# ===================================================================================
# 2. sign-in at DeskAuthPasswordCost $LOGIN_COST, 3. memory, 4. profile: one child
# ===================================================================================
conf=$(write_conf single "$LOGIN_COST" single)
cp "$conf" "$OUT/single.conf"
say "starting the single-child httpd, DeskAuthPasswordCost $LOGIN_COST"
start_httpd "$conf"
parent=$(cat "$tmp/run/single.pid")
child_pid() { ps --ppid "$parent" -o pid= | awk '{print $1}'; }
[ "$(child_pid | wc -l)" = 1 ] || die "expected exactly one child of $parent: $(child_pid | tr '\n' ' ')"

say "sign-in: registering an account at cost $LOGIN_COST"
reg=$(json_post "$PA" /auth/register \
      "{\"email\":\"login@bench.test\",\"password\":\"$PASSWORD\",\"firstName\":\"Login\",\"lastName\":\"User\"}") ||
    die "POST /auth/register (cost $LOGIN_COST) failed: $reg"
printf '{"email":"login@bench.test","password":"%s"}' "$PASSWORD" >"$tmp/login.json"
json_post "$PA" /auth/login "$(cat "$tmp/login.json")" >/dev/null || die "a JSON login fails"
# Throughput: more sign-ins at a time than cores (a saturated server), as
# many bcrypt threads; then exactly one per core, where every round trip
# leaves a core idle for a moment.
for conc in $LOGIN_CONCURRENCY; do
    say "sign-in at cost $LOGIN_COST: $LOGINS JSON logins, $conc at a time, vs bcrypt alone on $conc threads"
    signin_rows="$signin_rows"$'\n'"$(signin_row "$LOGIN_COST" "$LOGINS" "$conc" "single child" "$(signin single "$LOGIN_COST" "$tmp/login.json" "$LOGINS" "$conc")")"
done
if [ "${BENCH_LOGIN_SEQUENTIAL:-0}" = 1 ]; then
    say "sign-in at cost $LOGIN_COST, sequential"
    signin_rows="$signin_rows"$'\n'"$(signin_row "$LOGIN_COST" "$LOGINS" 1 "single child" "$(signin single "$LOGIN_COST" "$tmp/login.json" "$LOGINS" 1)")"
fi

# mem_run LOC -> table rows; RSS of the one child ($child): after a warm-up that
# puts every worker thread to work (as many connections as ThreadsPerChild:
# a thread's stack and its pool grow on its first requests, in httpd
# whatever the location) for MEM_WARMUP s (the session check's cached
# answer is asked again meanwhile), then every MEM_STEP requests
mem_run() {
    local loc=$1 done_n=0 step rows
    wrk -t"$THREADS" -c64 -d"${MEM_WARMUP}s" -H "Authorization: Bearer $TOK_ES" "$(url_of "$loc")" >"$OUT/mem-$loc-warmup.txt" 2>&1 ||
        { cat "$OUT/mem-$loc-warmup.txt" >&2; die "wrk (memory warm-up) failed"; }
    grep -q 'Non-2xx' "$OUT/mem-$loc-warmup.txt" && { cat "$OUT/mem-$loc-warmup.txt" >&2; die "$loc answered non-2xx"; }
    rows="| $loc | 0 (after the warm-up) | $(rss "$child") | $(db_conns "$child") |"
    while [ "$done_n" -lt "$MEM_REQUESTS" ]; do
        step=$MEM_STEP; [ $((MEM_REQUESTS - done_n)) -lt "$step" ] && step=$((MEM_REQUESTS - done_n))
        ab -k -c "$CONNS" -n "$step" -H "Authorization: Bearer $TOK_ES" "$(url_of "$loc")" >"$OUT/mem-$loc-$done_n.txt" 2>&1 ||
            { cat "$OUT/mem-$loc-$done_n.txt" >&2; die "ab (memory) failed"; }
        grep -q 'Non-2xx' "$OUT/mem-$loc-$done_n.txt" && { cat "$OUT/mem-$loc-$done_n.txt" >&2; die "$loc answered non-2xx"; }
        done_n=$((done_n + step))
        rows="$rows"$'\n'"| $loc | $done_n | $(rss "$child") | $(db_conns "$child") |"
    done
    [ "$(child_pid)" = "$child" ] || die "the child changed during the memory run"
    echo "$rows"
}
rss() { ps -o rss= -p "$1" | tr -d ' '; }
max_step() {   # max_step LOC: the largest RSS growth between two rows of LOC in $mem_rows
    grep "^| $1 |" <<<"$mem_rows" | awk -F'|' 'NR > 1 && $4 - prev > max { max = $4 - prev } { prev = $4 } END { print max + 0 }'
}
db_conns() { ls -l "/proc/$1/fd" | grep -c '/deskauth\.db$' || true; }
say "memory: $MEM_REQUESTS requests to /da/ (ES256, session check on) on the one child, after $MEM_WARMUP on 64 connections"
child=$(child_pid)
mem_rows=$(mem_run da-es256)
rss0=$(sed -n 1p <<<"$mem_rows" | awk -F'|' '{print $4 + 0}')
rss1=$(rss "$child")
# the reference: the same on /open/, from a fresh start of the same server
stop_httpd single
start_httpd "$conf"
parent=$(cat "$tmp/run/single.pid")
say "memory: the same on /open/ (a fresh start), for reference"
child=$(child_pid)
mem_rows="$mem_rows"$'\n'"$(mem_run open)"
open_rss0=$(grep '| open | 0 ' <<<"$mem_rows" | awk -F'|' '{print $4 + 0}')
open_rss1=$(rss "$child")

# --- profile ------------------------------------------------------------------------
profile_note="not run (BENCH_PROFILE=$PROFILE)"
if [ "$PROFILE" = perf ] || [ "$PROFILE" = both ]; then
    # perf_run LOC: 6 s of perf record -g (cpu-clock, 999 Hz) on the child while
    # wrk loads LOC; prints the number of requests served meanwhile
    perf_run() {
        local loc=$1 pp n
        perf record -F 999 -g -o "$tmp/perf-$loc.data" -p "$child" -- sleep 6 >"$OUT/perf-record-$loc.txt" 2>&1 &
        pp=$!; pids_to_stop+=("$pp")
        sleep 0.3
        n=$(wrk -t"$THREADS" -c"$CONNS" -d5s -H "Authorization: Bearer $(token_of "$loc")" "$(url_of "$loc")" |
            awk '/ requests in / {print $1}')
        wait "$pp" || true
        echo "$n"
    }
    # report LOC ARGS...: perf report lines without comments
    report() { perf report -i "$tmp/perf-$1.data" --stdio -g none "${@:2}" 2>/dev/null | grep -v '^#' | grep -v '^$' || true; }
    # per_request LOC N SORT -> "us_per_request<TAB>name", from each line's share of the event count (ns)
    per_request() {
        local ev
        ev=$(perf report -i "$tmp/perf-$1.data" --stdio 2>/dev/null | awk '/^# Event count/ {print $NF}')
        report "$1" --no-children --sort "$3" | awk -v ev="$ev" -v n="$2" '{
            pct = $1; sub(/%/, "", pct); $1 = ""; sub(/^ +/, "")
            printf "%.3f\t%s\n", pct / 100 * ev / 1e3 / n, $0 }'
    }
    say "profile: perf record -g on the child, /open/ then /da/ (ES256), 6 s each under wrk"
    n_open=$(perf_run open)
    n_da=$(perf_run da-es256)
    if [ -s "$tmp/perf-da-es256.data" ] && [ -n "$n_da" ] && [ -n "$n_open" ] &&
       report da-es256 --no-children --sort dso,symbol >"$OUT/perf-self.txt" && [ -s "$OUT/perf-self.txt" ]; then
        head -40 "$OUT/perf-self.txt" >"$OUT/perf-top.txt"
        report da-es256 --children --sort dso,symbol >"$OUT/perf-children.txt"
        grep -E 'mod_deskauth|libcrypto|libjson|sqlite|socache|mod_dbd' "$OUT/perf-self.txt" | head -25 \
            >"$OUT/perf-deskauth.txt" || true
        # where /da/'s extra CPU per request goes, compared with /open/
        for what in dso sym; do
            per_request open "$n_open" "$what" >"$tmp/pr-open-$what.tsv"
            per_request da-es256 "$n_da" "$what" >"$tmp/pr-da-$what.tsv"
            awk -F'\t' 'FNR == NR { o[$2] = $1; next }
                        { printf "%.2f\t%.2f\t%.2f\t%s\n", $1 - o[$2], $1, o[$2] + 0, $2; seen[$2] = 1 }
                        END { for (k in o) if (!(k in seen)) printf "%.2f\t0.00\t%.2f\t%s\n", -o[k], o[k], k }' \
                "$tmp/pr-open-$what.tsv" "$tmp/pr-da-$what.tsv" | sort -t$'\t' -k1,1 -rn >"$OUT/perf-compare-$what.tsv"
        done
        tot_open=$(awk -F'\t' '{t += $3} END {printf "%.1f", t}' "$OUT/perf-compare-dso.tsv")
        tot_da=$(awk -F'\t' '{t += $2} END {printf "%.1f", t}' "$OUT/perf-compare-dso.tsv")
        profile_note="perf record -F 999 -g (cpu-clock) on the one child, 6 s under wrk -t$THREADS -c$CONNS on /open/ ($n_open requests) then on /da/ ES256 ($n_da requests): sampled CPU $tot_open us per request for /open/, $tot_da us for /da/. Files: perf-compare-dso.tsv and perf-compare-sym.tsv (us per request: da - open, da, open), perf-top.txt (self, /da/), perf-deskauth.txt, perf-children.txt (inclusive)."
    else
        echo "perf could not sample here; use BENCH_PROFILE=callgrind" >"$OUT/perf-top.txt"
        profile_note="perf unavailable (see perf-record-*.txt); rerun with BENCH_PROFILE=callgrind"
    fi
fi
stop_httpd single

if [ "$PROFILE" = callgrind ] || [ "$PROFILE" = both ]; then
    # Deterministic instruction counts (other work on the machine does not
    # change them): httpd -X under callgrind, collecting only inside
    # ap_process_async_request (the request, not the connection), 2,000
    # keep-alive requests per location. valgrind hides SHA-NI, so hashing
    # costs more instructions here than it does natively.
    say "profile: callgrind, instructions per request inside ap_process_async_request, /open/ /da/ /da-nosess/ (ES256)"
    conf=$(write_conf single "$LOGIN_COST" single)
    mkdir -p "$tmp/cg"; chown www-data: "$tmp/cg"
    cg_rows=
    for loc in open da-es256 da-es256-nosess; do
        # valgrind creates the file as root at start-up; the process writes it as www-data
        install -o www-data -g www-data -m 644 /dev/null "$tmp/cg/$loc.out"
        valgrind --tool=callgrind --toggle-collect=ap_process_async_request \
            --callgrind-out-file="$tmp/cg/$loc.out" "$httpd" -X -f "$conf" >"$OUT/callgrind-run-$loc.txt" 2>&1 &
        vg=$!; pids_to_stop+=("$vg")
        for _ in $(seq 300); do [ "$(code "http://127.0.0.1:$PA/open/file.txt")" = 200 ] && break; sleep 0.2; done
        ab -k -c 4 -n 2000 -H "Authorization: Bearer $TOK_ES" "$(url_of "$loc")" >"$OUT/callgrind-ab-$loc.txt" 2>&1 || true
        kill -TERM "$vg" 2>/dev/null || true; wait "$vg" 2>/dev/null || true
        rm -f "$tmp/run/single.pid"
        for _ in $(seq 50); do port_free "$PA" && break; sleep 0.1; done
        # 2,000 requests plus the readiness probe(s)
        ir=$(callgrind_annotate "$tmp/cg/$loc.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
        cg_rows="$cg_rows"$'\n'"| $loc | $(awk -v t="${ir:-0}" 'BEGIN {printf "%.0f", t / 2000}') |"
        callgrind_annotate --inclusive=yes "$tmp/cg/$loc.out" >"$OUT/callgrind-$loc.txt" 2>/dev/null || true
    done
    # the module's functions, the request phases and the libraries it calls; one line each
    grep -E ':(da_[a-z_]+|ap_process_request_internal|ap_run_(check_user_id|auth_checker|access_checker|fixups|handler)|EVP_[A-Za-z_]+|SHA256_[A-Za-z]+|apr_global_mutex_[a-z]+|json_[a-z_]+)( \[|$)' \
        "$OUT/callgrind-da-es256.txt" | sed -e 's/ \[[^]]*\]$//' -e 's/^\( *[0-9,]* ([ 0-9.%]*)  \).*:/\1/' \
        | awk '!seen[$NF]++' | head -30 >"$OUT/callgrind-deskauth.txt" || true
    cg_note="callgrind: instructions per request inside ap_process_async_request (httpd -X, 2,000 keep-alive requests each; includes the 1-2 readiness probes)"
fi

# ===================================================================================
# summary
# ===================================================================================
{
    echo "# mod_deskauth benchmark run $stamp"
    echo
    machine
    echo
    echo "## Throughput (wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds of pairs with /open/, order rotated)"
    echo
    echo "Two httpds, each loading only the auth modules it measures: DeskAuth on A = 127.0.0.1:$PA"
    echo "(ES256 vhost) and B = 127.0.0.1:$PB (HS256 vhost), /open/ = A; mod_auth_openidc and mod_oauth2"
    echo "on D = 127.0.0.1:$PD (ES256) and E = 127.0.0.1:$PE (HS256), open-peers = /open/ on D. The same"
    echo "1 KiB file everywhere; every request carries \`Authorization: Bearer <token>\` (the ES256 token"
    echo "for the open locations)."
    echo
    echo "$table"
    echo
    echo "Ratio = the location's req/s / the req/s of the /open/ run paired with it (run just before it"
    echo "in odd rounds, just after it in even ones): the measure of docs/interface.md's qualities, one ratio per round; the"
    echo "median and the mean of the $ROUNDS ratios are shown. httpd CPU = user+system time of all"
    echo "httpd processes during the run / requests served; CPU ratio = the paired /open/ run's CPU"
    echo "per request / the location's. Both wrk and httpd share the 2 cores."
    echo
    echo "1-minute load average before each protected run (the benchmark's own threads count), per round:"
    echo
    awk -F'\t' '$2 != "open" { l[$1] = l[$1] " " $4 } END { for (r = 1; r in l; r++) print "- round " r ":" l[r] }' "$OUT/rounds.tsv"
    echo
    echo "error_log lines during the throughput run: $errors"
    if [ -n "$error_kinds" ]; then echo; echo '```'; echo "$error_kinds"; echo '```'; fi
    echo
    echo "## What each module checks"
    echo
    echo "HS256 tokens re-signed with the bench secret from the real token's header and claims, one"
    echo "thing changed; HTTP status from each location on port B (DeskAuth) or E (the peers); a location must refuse all but the first."
    echo
    echo "| token | DeskAuth /da/ | mod_auth_openidc /oidc/ | mod_oauth2 /oauth2/ |"
    echo "|---|---:|---:|---:|"
    echo "${claim_rows#$'\n'}"
    echo
    echo "## Sign-in"
    echo
    echo "JSON sign-ins (ab -k, POST /auth/login) against apr_password_validate calls at the same"
    echo "cost on as many threads (bench/bcrypt_bench.c), interleaved in $SIGNIN_CHUNKS chunks. Cost 4 runs on the"
    echo "throughput server (bcrypt is small there: it shows the rest of a sign-in); cost $LOGIN_COST on the"
    echo "single-child server. SQLite file in $tmp/db (same file system as /tmp)."
    echo
    echo "| cost | server | concurrency | n | sign-ins | bcrypt alone | overhead beyond bcrypt | CPU per sign-in / per bcrypt call |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|"
    echo "$signin_rows"
    echo
    echo "## Memory: the one child's RSS (KiB), /da/ (ES256, session check on), then /open/ after a restart"
    echo
    echo "Warm-up: wrk for $MEM_WARMUP s on 64 keep-alive connections (ThreadsPerChild 64: every worker"
    echo "thread serves some; DeskAuthSessionCacheTTL is 10 s), then $MEM_REQUESTS on $CONNS connections (ab -k),"
    echo "RSS and the child's open SQLite connections every $MEM_STEP."
    echo
    echo "| location | requests done | RSS KiB | SQLite connections |"
    echo "|---|---:|---:|---:|"
    echo "$mem_rows"
    echo
    echo "/da/: after the warm-up $rss0 KiB, after $MEM_REQUESTS more $rss1 KiB, difference $((rss1 - rss0)) KiB;"
    echo "/open/ (reference): $open_rss0 KiB, then $open_rss1 KiB, difference $((open_rss1 - open_rss0)) KiB"
    echo "largest growth over one step of $MEM_STEP: /da/ $(max_step da-es256) KiB, /open/ $(max_step open) KiB"
    echo
    echo "## Profile"
    echo
    echo "$profile_note"
    if [ -s "$OUT/perf-compare-dso.tsv" ]; then
        echo; echo "Sampled CPU per request (us) by library, /da/ ES256 against /open/ (largest differences first):"
        echo; echo "| library | /da/ - /open/ | /da/ | /open/ |"; echo "|---|---:|---:|---:|"
        head -10 "$OUT/perf-compare-dso.tsv" | awk -F'\t' '{printf "| %s | %+.2f | %.2f | %.2f |\n", $4, $1, $2, $3}'
        echo; echo "By symbol (largest differences first):"
        echo; echo "| symbol | /da/ - /open/ | /da/ | /open/ |"; echo "|---|---:|---:|---:|"
        head -20 "$OUT/perf-compare-sym.tsv" | awk -F'\t' '{s = $4; gsub(/\|/, "/", s); printf "| `%s` | %+.2f | %.2f | %.2f |\n", s, $1, $2, $3}'
        echo; echo "The module and its libraries (self share of /da/'s samples):"; echo; echo '```'; cut -c1-90 "$OUT/perf-deskauth.txt"; echo '```'
    fi
    if [ -n "${cg_rows:-}" ]; then
        echo; echo "$cg_note:"
        echo; echo "| location | instructions per request |"; echo "|---|---:|"
        echo "${cg_rows#$'\n'}"
        echo; echo "/da/ (ES256, session check on), inclusive instructions over the 2,000 requests, the module's"
        echo "functions and the request phases (per request: divide by 2,000):"
        echo; echo '```'; cat "$OUT/callgrind-deskauth.txt"; echo '```'
    fi
} >"$OUT/summary.md"
cat "$OUT/summary.md"
echo
echo "bench/run.sh: raw outputs in $OUT" >&2
