#!/bin/bash
# bench/scale.sh [SIZE...]: how the cost of each database operation grows
# with the number of accounts (default sizes: 10000 1000000).
#
# Expects the module and deskauthctl built (`make`). On 127.0.0.1 only, in
# a temp dir: a throwaway PostgreSQL (tools/pg) and one httpd with the
# module on it, DeskAuthPasswordCost 4 and no socache loaded, so that every
# session check reads the database (the cache-miss path). For each SIZE:
#
#  1. fill, in SQL (not through HTTP): SIZE accounts ("userK@scale.test",
#     first name "Fn" + 10 hex digits, all with one password), one session
#     each (a tenth revoked an hour ago), one rotated-away refresh token per
#     session, SIZE/10 codes, then ANALYZE; the purge gets a fixed 1,000
#     sessions and 1,000 codes that ended 40 days ago to remove;
#  2. time, one request at a time (bench/scale_client.py, COUNT each):
#     sign-in, refresh, a session check that misses the cache, the
#     sessions page, the admin search (by the start of a first name or of
#     an email); and `deskauthctl sessions purge` PURGES times (the 1,000 +
#     1,000 old rows put back before each);
#  3. plans: with auto_explain on (every statement, ANALYZE), each
#     operation once more; the plan of every statement it ran goes to
#     plans-SIZE.txt.
# Then the table: median and 90th percentile per operation and size, and
# the ratio of the medians (the goal: x1.5 at most from the first size to
# the last). The admin search's plan on SQLite (EXPLAIN QUERY PLAN of the
# same statement) goes to plans-sqlite3.txt.
#
# Results: bench/out/scale-<UTC time>/ (summary.md, plans, logs).
# Environment: COUNT (200), PURGES (5), BENCH_KEEP=1 keeps the temp dir.
# Run as root (httpd children run as nobody, PostgreSQL as postgres) or as a
# user who may run both.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd -P)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 1000000)
COUNT=${COUNT:-200}
PURGES=${PURGES:-5}
PASSWORD='scale pass 1'
ADMIN=admin@scale.test

die() { echo "bench/scale.sh: $*" >&2; exit 1; }
say() { printf '\n==== %s ====\n' "$*" >&2; }

APXS=${APXS:-$(command -v apxs || command -v apxs2 || true)}
[ -n "$APXS" ] || die "apxs not found (apt-get install apache2-dev)"
HTTPD=${HTTPD:-$("$APXS" -q SBINDIR)/$("$APXS" -q TARGET)}
LIBEXEC=$("$APXS" -q LIBEXECDIR)
so=$top/.libs/mod_deskauth.so
ctl=$top/deskauthctl
[ -f "$so" ] && [ -x "$ctl" ] || die "build first: make"
command -v python3 >/dev/null || die "python3 missing"
command -v psql >/dev/null || die "psql missing (apt-get install postgresql)"
command -v sqlite3 >/dev/null || die "sqlite3 missing (apt-get install sqlite3)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$top/bench/out/scale-$stamp}
mkdir -p "$OUT"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deskauth-scale.XXXXXX")
chmod 755 "$tmp"
pg_dir=$tmp/pg
httpd_pid=

cleanup() {
    set +e
    [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null && wait "$httpd_pid" 2>/dev/null
    [ -d "$pg_dir" ] && cp "$pg_dir/postgres.log" "$OUT/postgres.log" 2>/dev/null
    [ -d "$pg_dir" ] && "$top/tools/pg" stop "$pg_dir" >/dev/null 2>&1
    cp "$tmp/error_log" "$OUT/" 2>/dev/null
    if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}

# --- PostgreSQL -------------------------------------------------------------------
say "PostgreSQL"
pg_port=$(free_port)
params=$("$top/tools/pg" start "$pg_dir" "$pg_port")
psql_as() {   # psql_as ROLE [psql arguments]: quiet, stop on the first error
    local role=$1; shift
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U "$role" -d deskauth_test "$@"
}
pg() { psql_as deskauth "$@"; }
echo "DBDParams $params" >&2

# --- httpd --------------------------------------------------------------------------
http_port=$(free_port)
mkdir -p "$tmp/htdocs/protected" "$tmp/run" "$tmp/state"
echo ok >"$tmp/htdocs/protected/index.html"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/es256.pem" 2>/dev/null
chmod 644 "$tmp/es256.pem"
user_lines=
if [ "$(id -u)" -eq 0 ]; then
    user_lines="User nobody
Group $(id -gn nobody)"
    chown nobody "$tmp/state"
fi
load() {   # a LoadModule line unless httpd has the module built in
    "$HTTPD" -l | grep -q "mod_$1.c" || echo "LoadModule ${1}_module $LIBEXEC/mod_$1.so"
}
{
    echo "ServerRoot $tmp"
    echo "DefaultRuntimeDir $tmp/run"
    echo "PidFile $tmp/run/httpd.pid"
    echo "ErrorLog $tmp/error_log"
    echo "LogLevel warn"
    echo "Listen 127.0.0.1:$http_port"
    echo "ServerName 127.0.0.1:$http_port"
    echo "$user_lines"
    for m in mpm_event dbd authn_core authz_core authz_user mime; do load "$m"; done
    cat <<EOF
LoadModule deskauth_module $so
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
KeepAlive On
MaxKeepAliveRequests 0
DocumentRoot "$tmp/htdocs"
<Directory "$tmp/htdocs">
    Require all granted
</Directory>
DBDriver pgsql
DBDParams "$params"
DeskAuthSigningKey "$tmp/es256.pem" scale-es256
DeskAuthIssuer https://scale.test
DeskAuthPasswordCost 4
DeskAuthStateDir "$tmp/state"
# no socache provider loaded: every session check reads the database
<Location /auth/register>
    SetHandler deskauth-register
</Location>
<Location /auth/login>
    SetHandler deskauth-login
</Location>
<Location /auth/token>
    SetHandler deskauth-token
</Location>
<Location /auth/sessions>
    SetHandler deskauth-sessions
</Location>
<Location /auth/admin>
    SetHandler deskauth-admin
</Location>
<Location /protected/>
    AuthType DeskAuth
    Require valid-user
</Location>
EOF
} >"$tmp/httpd.conf"

start_httpd() {
    "$HTTPD" -f "$tmp/httpd.conf" -DFOREGROUND &
    httpd_pid=$!
    local i
    for i in $(seq 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$http_port/protected/index.html"; then return 0; fi
        sleep 0.1
    done
    cat "$tmp/error_log" >&2
    die "httpd did not start"
}
stop_httpd() {
    kill "$httpd_pid"; wait "$httpd_pid" 2>/dev/null || true; httpd_pid=
}
start_httpd

# One password hash at cost 4, made by the module: register a template account.
curl -sf -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"template@scale.test\",\"password\":\"$PASSWORD\",\"firstName\":\"T\",\"lastName\":\"T\"}" \
    "http://127.0.0.1:$http_port/auth/register" || die "cannot register the template account"
hash=$(pg -At -c "SELECT password_hash FROM deskauth_users WHERE email = 'template@scale.test'")
[ -n "$hash" ] || die "no password hash"

# --- filling -------------------------------------------------------------------------
now=$(date +%s)
old_rows() {   # the 1,000 sessions (with their used refresh tokens) and codes ended 40 days ago
    pg -v now="$now" -v n="$1" <<'EOF'
INSERT INTO deskauth_sessions (id, user_id, kind, client_id, device_name, user_agent, ip,
        refresh_hash, created_at, last_used_at, expires_at, revoked_at)
    SELECT 'old' || g, 'gen' || (1 + g % :n), 'web', '', 'old', 'scale.sh', '127.0.0.1',
        md5('old' || g), :now - 90 * 86400, :now - 60 * 86400, :now - 40 * 86400, 0
    FROM generate_series(1, 1000) g;
INSERT INTO deskauth_refresh_used (refresh_hash, session_id, used_at)
    SELECT md5('oldused' || g), 'old' || g, :now - 60 * 86400 FROM generate_series(1, 1000) g;
INSERT INTO deskauth_codes (code_hash, kind, user_id, created_at, expires_at)
    SELECT md5('oldcode' || g), 'code', 'gen' || (1 + g % :n), :now - 41 * 86400, :now - 40 * 86400
    FROM generate_series(1, 1000) g;
EOF
}
fill() {
    local n=$1
    pg -v now="$now" -v n="$n" -v hash="$hash" -v admin="$ADMIN" <<'EOF'
TRUNCATE deskauth_users, deskauth_sessions, deskauth_refresh_used, deskauth_codes,
         deskauth_resumes, deskauth_device_codes;
INSERT INTO deskauth_users (id, email, password_hash, first_name, last_name, role,
        company, job_role, email_verified, is_active, created_at, updated_at, last_login_at)
    SELECT 'gen' || g, 'user' || g || '@scale.test', :'hash',
        'Fn' || substr(md5('f' || g), 1, 10), 'Ln' || substr(md5('l' || g), 1, 10), 'USER',
        '', '', 1, 1, :now - g, :now - g, 0
    FROM generate_series(1, :n) g;
INSERT INTO deskauth_users (id, email, password_hash, first_name, last_name, role,
        company, job_role, email_verified, is_active, created_at, updated_at, last_login_at)
    VALUES ('admin', :'admin', :'hash', 'Ada', 'Admin', 'ADMIN', '', '', 1, 1, :now, :now, 0);
INSERT INTO deskauth_sessions (id, user_id, kind, client_id, device_name, user_agent, ip,
        refresh_hash, created_at, last_used_at, expires_at, revoked_at)
    SELECT 'gs' || g, 'gen' || g, 'web', '', 'scale', 'scale.sh', '127.0.0.1', md5('r' || g),
        :now - 3600, :now - 60, :now + 30 * 86400, CASE WHEN g % 10 = 0 THEN :now - 3600 ELSE 0 END
    FROM generate_series(1, :n) g;
INSERT INTO deskauth_refresh_used (refresh_hash, session_id, used_at)
    SELECT md5('u' || g), 'gs' || g, :now - 60 FROM generate_series(1, :n) g;
INSERT INTO deskauth_codes (code_hash, kind, user_id, created_at, expires_at)
    SELECT md5('c' || g), 'code', 'gen' || (1 + g % :n), :now - 60, :now + 60
    FROM generate_series(1, :n / 10) g;
EOF
    pg -c "VACUUM ANALYZE deskauth_users, deskauth_sessions, deskauth_refresh_used, deskauth_codes"
}

# --- one size ---------------------------------------------------------------------------
purge_once() {   # seconds of one `deskauthctl sessions purge`, old rows put back first
    old_rows "$1"
    local t0 t1 out
    t0=$(date +%s.%N)
    out=$("$ctl" --dbd-driver pgsql --dbd-params "$params" sessions purge)
    t1=$(date +%s.%N)
    case $out in *"purged 1000 sessions"*) ;; *) die "purge: unexpected answer: $out" ;; esac
    echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}
measure() {
    local n=$1 start end
    say "size $n: filling"
    start=$(date +%s)
    fill "$n"
    end=$(date +%s)
    echo "fill $n: $((end - start)) s" | tee -a "$OUT/fill.txt" >&2
    pg -At -c "SELECT 'rows: users ' || (SELECT count(*) FROM deskauth_users) || ', sessions ' ||
               (SELECT count(*) FROM deskauth_sessions) || ', refresh_used ' ||
               (SELECT count(*) FROM deskauth_refresh_used) || ', codes ' ||
               (SELECT count(*) FROM deskauth_codes)" | tee -a "$OUT/fill.txt" >&2

    say "size $n: timing"
    stop_httpd; start_httpd       # fresh connections, the same for every size
    python3 "$top/bench/scale_client.py" "http://127.0.0.1:$http_port" "$n" "$PASSWORD" "$ADMIN" \
        "$COUNT" | tee "$OUT/times-$n.txt"
    local i purge=()
    for i in $(seq "$PURGES"); do purge+=("$(purge_once "$n")"); done
    printf '%s\n' "${purge[@]}" | sort -n | awk -v n="${#purge[@]}" '
        { t[NR] = $1 * 1000 }
        END { p = int(n * 0.9) + 1; if (p > n) p = n
              printf "purge %.3f %.3f %d\n", t[int(n / 2) + 1], t[p], n }' | tee -a "$OUT/times-$n.txt"

    say "size $n: plans (auto_explain)"
    psql_as postgres -c "ALTER ROLE deskauth SET session_preload_libraries = 'auto_explain'" \
        -c "ALTER ROLE deskauth SET auto_explain.log_min_duration = 0" \
        -c "ALTER ROLE deskauth SET auto_explain.log_analyze = on"
    local mark
    mark=$(wc -l <"$pg_dir/postgres.log")
    stop_httpd; start_httpd
    python3 "$top/bench/scale_client.py" "http://127.0.0.1:$http_port" "$n" "$PASSWORD" "$ADMIN" \
        1 --explain >/dev/null
    purge_once "$n" >/dev/null
    stop_httpd; start_httpd
    psql_as postgres -c "ALTER ROLE deskauth RESET ALL"
    tail -n +"$((mark + 1))" "$pg_dir/postgres.log" | plans >"$OUT/plans-$n.txt"
}

# auto_explain's log entries, each statement's text and plan, once per
# distinct statement (the first time it ran), without the log prefixes.
plans() {
    perl -ne '
        if (/LOG:\s+duration: [\d.]+ ms\s+plan:/) { flush(); $in = 1; $cur = ""; next }
        if ($in && /^\s/) { $cur .= $_; next }
        flush(); $in = 0;
        sub flush { return unless defined $cur && length $cur;
                    my ($q) = $cur =~ /Query Text: (.*)/;
                    print "----\n$cur" unless $seen{$q // $cur}++; $cur = "" }
        END { flush() }'
}

for n in "${sizes[@]}"; do measure "$n"; done

# --- SQLite: the admin search's plan -------------------------------------------------------
say "SQLite: the admin search's plan"
sqlite_db=$tmp/plan.db
"$ctl" --dbd-driver sqlite3 --dbd-params "$sqlite_db" user list >/dev/null
search_sql=$(grep -m1 -h 'Query Text: PREPARE deskauth_user_search (' "$OUT"/plans-*.txt | head -n 1 |
             sed -e 's/.*) AS SELECT/SELECT/' -E -e 's/\$([0-9]+)/?\1/g' || true)
[ -n "$search_sql" ] || die "the admin search statement is not in the plans"
{ echo "$search_sql"; echo; sqlite3 "$sqlite_db" "EXPLAIN QUERY PLAN $search_sql"; } >"$OUT/plans-sqlite3.txt"

# --- the table -------------------------------------------------------------------------------
first=${sizes[0]}; last=${sizes[${#sizes[@]}-1]}
{
    echo "bench/scale.sh at $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), $stamp, COUNT=$COUNT, PURGES=$PURGES"
    echo
    echo "| operation | $first: median ms (p90) | $last: median ms (p90) | ratio of medians |"
    echo "|---|---|---|---|"
    join <(sort "$OUT/times-$first.txt") <(sort "$OUT/times-$last.txt") | awk '
        { r = ($2 > 0) ? $5 / $2 : 0
          printf "| %s | %.2f (%.2f) | %.2f (%.2f) | %.2f%s |\n", $1, $2, $3, $5, $6, r, (r > 1.5 ? " **over 1.5**" : "") }'
    echo
    cat "$OUT/fill.txt"
} | tee "$OUT/summary.md"
echo "results: $OUT" >&2
