#!/bin/bash
# bench/scale.sh [SIZE...]: how the cost of each database operation grows
# with the number of accounts (default sizes: 10000 1000000).
#
# Expects the module and deskauthctl built (`make`). On 127.0.0.1 only, in
# a temp dir: a throwaway PostgreSQL (tools/pg) with one database per SIZE,
# and one httpd per database with the module, DeskAuthPasswordCost 4 and no
# socache loaded, so that every session check reads the database (the
# cache-miss path).
#
#  1. fill each database, in SQL (not through HTTP): SIZE accounts
#     ("userK@scale.test", first name "Fn" + 10 hex digits, all with one
#     password), one session each (a tenth revoked an hour ago), one
#     rotated-away refresh token per session, SIZE/10 codes, then VACUUM
#     ANALYZE;
#  2. time, one request at a time (bench/scale_client.py, COUNT of each per
#     size): sign-in, refresh, a session check that misses the cache, the
#     sessions page, the admin search (by the start of a first name or of
#     an email), in ROUNDS rounds that take the sizes in turn, so that the
#     machine's other work falls on every size alike; then `deskauthctl
#     sessions purge` PURGES times per size, in turn too, each after 1,000
#     sessions (with their used refresh tokens) and 1,000 codes that ended
#     40 days ago are put back (a purge finds the same work at every size);
#  3. plans: with auto_explain on (every statement, ANALYZE), each
#     operation once more per size; the plan of every statement it ran goes
#     to plans-SIZE.txt.
# Then the table: median and 90th percentile per operation and size, and
# the ratio of the medians (the goal: x1.5 at most from the first size to
# the last). The admin search's plan on SQLite (EXPLAIN QUERY PLAN of the
# same statement) goes to plans-sqlite3.txt.
#
# Results: bench/out/scale-<UTC time>/ (summary.md, plans, logs).
# Environment: COUNT (2000), ROUNDS (20), PURGES (20), BENCH_KEEP=1 keeps the
# temp dir. Run as root (httpd children run as nobody, PostgreSQL as
# postgres) or as a user who may run both.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd -P)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 1000000)
COUNT=${COUNT:-2000}
ROUNDS=${ROUNDS:-20}
PURGES=${PURGES:-20}
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
declare -A httpd_pid=() http_port=() params=()

cleanup() {
    set +e
    for n in "${!httpd_pid[@]}"; do stop_httpd "$n"; done
    [ -d "$pg_dir" ] && cp "$pg_dir/postgres.log" "$OUT/postgres.log" 2>/dev/null
    [ -d "$pg_dir" ] && "$top/tools/pg" stop "$pg_dir" >/dev/null 2>&1
    for n in "${sizes[@]}"; do cp "$tmp/httpd-$n/error_log" "$OUT/error_log-$n" 2>/dev/null; done
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
"$top/tools/pg" start "$pg_dir" "$pg_port" >/dev/null
psql_as() {   # psql_as ROLE DATABASE [psql arguments]: quiet, stop on the first error
    local role=$1 db=$2; shift 2
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U "$role" -d "$db" "$@"
}
pg() { local n=$1; shift; psql_as deskauth "scale_$n" "$@"; }
for n in "${sizes[@]}"; do
    psql_as postgres postgres -c "CREATE DATABASE scale_$n OWNER deskauth"
    params[$n]="host=127.0.0.1 port=$pg_port dbname=scale_$n user=deskauth"
done

# --- httpd --------------------------------------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/es256.pem" 2>/dev/null
chmod 644 "$tmp/es256.pem"
mkdir -p "$tmp/htdocs/protected"
echo ok >"$tmp/htdocs/protected/index.html"
user_lines=
if [ "$(id -u)" -eq 0 ]; then
    user_lines="User nobody
Group $(id -gn nobody)"
fi
load() {   # a LoadModule line unless httpd has the module built in
    "$HTTPD" -l | grep -q "mod_$1.c" || echo "LoadModule ${1}_module $LIBEXEC/mod_$1.so"
}
httpd_conf() {   # httpd_conf SIZE: the configuration of that size's server
    local n=$1 dir=$tmp/httpd-$1
    mkdir -p "$dir/run" "$dir/state"
    [ "$(id -u)" -ne 0 ] || chown nobody "$dir/state"
    echo "ServerRoot $dir"
    echo "DefaultRuntimeDir $dir/run"
    echo "PidFile $dir/run/httpd.pid"
    echo "ErrorLog $dir/error_log"
    echo "LogLevel warn"
    echo "Listen 127.0.0.1:${http_port[$n]}"
    echo "ServerName 127.0.0.1:${http_port[$n]}"
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
DBDParams "${params[$n]}"
DeskAuthSigningKey "$tmp/es256.pem" scale-es256
DeskAuthIssuer https://scale.test
DeskAuthPasswordCost 4
DeskAuthStateDir "$dir/state"
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
}
start_httpd() {   # start_httpd SIZE
    local n=$1 i
    "$HTTPD" -f "$tmp/httpd-$n.conf" -DFOREGROUND &
    httpd_pid[$n]=$!
    for i in $(seq 100); do
        if curl -s -o /dev/null "http://127.0.0.1:${http_port[$n]}/protected/index.html"; then return 0; fi
        sleep 0.1
    done
    cat "$tmp/httpd-$n/error_log" >&2
    die "httpd for $n did not start"
}
stop_httpd() {   # stop_httpd SIZE
    local n=$1
    [ -n "${httpd_pid[$n]:-}" ] || return 0
    kill "${httpd_pid[$n]}" 2>/dev/null || true
    wait "${httpd_pid[$n]}" 2>/dev/null || true
    unset "httpd_pid[$n]"
}
for n in "${sizes[@]}"; do
    http_port[$n]=$(free_port)
    httpd_conf "$n" >"$tmp/httpd-$n.conf"
    start_httpd "$n"
done
first=${sizes[0]}; last=${sizes[${#sizes[@]}-1]}

# One password hash at cost 4, made by the module: register a template account.
curl -sf -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"template@scale.test\",\"password\":\"$PASSWORD\",\"firstName\":\"T\",\"lastName\":\"T\"}" \
    "http://127.0.0.1:${http_port[$first]}/auth/register" || die "cannot register the template account"
hash=$(pg "$first" -At -c "SELECT password_hash FROM deskauth_users WHERE email = 'template@scale.test'")
[ -n "$hash" ] || die "no password hash"

# --- filling -------------------------------------------------------------------------
now=$(date +%s)
old_rows() {   # old_rows SIZE: 1,000 sessions (with their used refresh tokens) and codes ended 40 days ago
    pg "$1" -v now="$now" -v n="$1" <<'EOF'
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
    pg "$n" -v now="$now" -v n="$n" -v hash="$hash" -v admin="$ADMIN" <<'EOF'
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
    pg "$n" -c "VACUUM ANALYZE deskauth_users, deskauth_sessions, deskauth_refresh_used, deskauth_codes"
}

# --- one size ---------------------------------------------------------------------------
purge_once() {   # seconds of one `deskauthctl sessions purge`, old rows put back first
    old_rows "$1"
    local t0 t1 out
    t0=$(date +%s.%N)
    out=$("$ctl" --dbd-driver pgsql --dbd-params "${params[$1]}" sessions purge)
    t1=$(date +%s.%N)
    case $out in *"purged 1000 sessions"*) ;; *) die "purge: unexpected answer: $out" ;; esac
    echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}
purge_times() {   # PURGES purges per size, the sizes in turn: "SIZE purge median p90 count"
    local r n order=("${sizes[@]}")
    for r in $(seq "$PURGES"); do
        for n in "${order[@]}"; do echo "$n $(purge_once "$n")"; done
        order=($(printf '%s\n' "${order[@]}" | tac))
    done | sort -k1,1n -k2,2n | awk '
        function flush() { if (!c) return; p = int(c * 0.9) + 1; if (p > c) p = c
                           printf "%s purge %.3f %.3f %d\n", size, t[int(c / 2) + 1], t[p], c; c = 0 }
        $1 != size { flush(); size = $1 }
        { t[++c] = $2 * 1000 }
        END { flush() }'
}
explain() {   # explain SIZE: plans-SIZE.txt, every statement of every operation once
    local n=$1 mark
    psql_as postgres postgres -c "ALTER ROLE deskauth SET session_preload_libraries = 'auto_explain'" \
        -c "ALTER ROLE deskauth SET auto_explain.log_min_duration = 0" \
        -c "ALTER ROLE deskauth SET auto_explain.log_analyze = on"
    mark=$(wc -l <"$pg_dir/postgres.log")
    stop_httpd "$n"; start_httpd "$n"
    python3 "$top/bench/scale_client.py" "$PASSWORD" "$ADMIN" 1 1 \
        "$n=http://127.0.0.1:${http_port[$n]}" --explain
    purge_once "$n" >/dev/null
    stop_httpd "$n"
    psql_as postgres postgres -c "ALTER ROLE deskauth RESET ALL"
    tail -n +"$((mark + 1))" "$pg_dir/postgres.log" | plans >"$OUT/plans-$n.txt"
    start_httpd "$n"
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

for n in "${sizes[@]}"; do
    say "size $n: filling"
    start=$(date +%s)
    fill "$n"
    echo "fill $n: $(($(date +%s) - start)) s" | tee -a "$OUT/fill.txt" >&2
    pg "$n" -At -c "SELECT 'rows: users ' || (SELECT count(*) FROM deskauth_users) || ', sessions ' ||
               (SELECT count(*) FROM deskauth_sessions) || ', refresh_used ' ||
               (SELECT count(*) FROM deskauth_refresh_used) || ', codes ' ||
               (SELECT count(*) FROM deskauth_codes)" | tee -a "$OUT/fill.txt" >&2
done

say "timing: $ROUNDS rounds, the sizes in turn"
urls=()
for n in "${sizes[@]}"; do
    stop_httpd "$n"; start_httpd "$n"       # fresh connections, alike for every size
    urls+=("$n=http://127.0.0.1:${http_port[$n]}")
done
python3 "$top/bench/scale_client.py" "$PASSWORD" "$ADMIN" "$COUNT" "$ROUNDS" "${urls[@]}" | tee "$OUT/times.txt"
purge_times | tee -a "$OUT/times.txt"

for n in "${sizes[@]}"; do
    say "size $n: plans (auto_explain)"
    explain "$n"
done

# --- SQLite: the admin search's plan -------------------------------------------------------
say "SQLite: the admin search's plan"
sqlite_db=$tmp/plan.db
"$ctl" --dbd-driver sqlite3 --dbd-params "$sqlite_db" user list >/dev/null
search_sql=$(grep -m1 -h 'Query Text: PREPARE deskauth_user_search (' "$OUT"/plans-*.txt | head -n 1 |
             sed -e 's/.*) AS SELECT/SELECT/' -E -e 's/\$([0-9]+)/?\1/g' || true)
[ -n "$search_sql" ] || die "the admin search statement is not in the plans"
{ echo "$search_sql"; echo; sqlite3 "$sqlite_db" "EXPLAIN QUERY PLAN $search_sql"; } >"$OUT/plans-sqlite3.txt"

# --- the table -------------------------------------------------------------------------------
{
    echo "bench/scale.sh at $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), $stamp," \
         "COUNT=$COUNT in ROUNDS=$ROUNDS, PURGES=$PURGES"
    echo
    echo "| operation | $first: median ms (p90) | $last: median ms (p90) | ratio of medians |"
    echo "|---|---|---|---|"
    join <(awk -v n="$first" '$1 == n { print $2, $3, $4 }' "$OUT/times.txt" | sort) \
         <(awk -v n="$last" '$1 == n { print $2, $3, $4 }' "$OUT/times.txt" | sort) | awk '
        { r = ($2 > 0) ? $4 / $2 : 0
          printf "| %s | %.2f (%.2f) | %.2f (%.2f) | %.2f%s |\n", $1, $2, $3, $4, $5, r, (r > 1.5 ? " **over 1.5**" : "") }'
    echo
    cat "$OUT/fill.txt"
} | tee "$OUT/summary.md"
echo "results: $OUT" >&2
