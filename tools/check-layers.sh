#!/bin/sh
# tools/check-layers.sh [TOP]: the source tree keeps its three layers apart and
# its modules free of include cycles (run by `make check`).
#
#   src/core/       APR-only: includes no httpd header and nothing of ours
#                   outside src/core/
#   src/httpd/      never includes a header of src/endpoints/
#   src/endpoints/  do not include each other's headers (one handler may be
#                   several files: deskauth-profile is da_profile.c,
#                   da_resume.c and da_account.c, sharing da_resume.h and
#                   da_account.h; deskauth-admin is da_admin.c and
#                   da_admin_page.c, sharing da_admin.h; see `family` below)
#   no cycle        between modules (da_x.c + da_x.h); da_private.h counts
#                   as the headers it includes
#
# Prints each violation and the dependency order it checked; exit 1 on any.
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"

# "FILE HEADER" for every #include "..." of ours, and "FILE <HEADER>" for
# the httpd headers a core file must not include.
includes() {
    for f in src/*/*.[ch] mod_deskauth.c; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
            while read -r h; do echo "$f $h"; done
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(httpd\.h\|http_[a-z_]*\.h\|ap_[a-z_]*\.h\|util_[a-z_]*\.h\|mod_[a-z_]*\.h\)>.*/<\1>/p' "$f" |
            while read -r h; do echo "$f $h"; done
    done
}

# "HEADER FOLDER" for every header of ours
homes() {
    for h in src/*/*.h; do
        [ -f "$h" ] && echo "${h##*/} $(basename "$(dirname "$h")")"
    done
}

{ homes | sed 's/^/H /'; includes | sed 's/^/I /'; } | awk '
$1 == "H" { home[$2] = $3; next }
$1 == "I" { n++; file[n] = $2; inc[n] = $3 }
function layer(path,   q) { split(path, q, "/"); return q[1] == "src" ? q[2] : "top" }
# the handler a file of src/endpoints/ belongs to
function family(m) { return m == "da_resume" || m == "da_account" ? "da_profile" : m == "da_admin_page" ? "da_admin" : m }
function modname(path,   b) { b = path; sub(/.*\//, "", b); sub(/\.[ch]$/, "", b); return b }
END {
    bad = 0
    for (i = 1; i <= n; i++) {
        f = file[i]; h = inc[i]; l = layer(f)
        if (h ~ /^</) {
            if (l == "core") { print f ": includes " h " (core is APR-only)"; bad++ }
            continue
        }
        hl = (h in home) ? home[h] : "?"
        if (l == "core" && hl != "core") { print f ": includes " h " (" hl "/), core includes only core/"; bad++ }
        if (l == "httpd" && hl == "endpoints") { print f ": includes " h " (endpoints/), httpd/ never does"; bad++ }
        if (l == "endpoints" && hl == "endpoints" && family(modname(h)) != family(modname(f))) {
            print f ": includes " h ", another endpoint'"'"'s header"; bad++
        }
        # module graph; da_private.h stands for what it includes
        if (modname(f) == "da_private") { priv[modname(h)] = 1; continue }
        if (h == "da_private.h") { via[modname(f)] = 1; continue }
        edge[modname(f), modname(h)] = 1; node[modname(f)] = 1; node[modname(h)] = 1
    }
    for (m in via) for (p in priv) edge[m, p] = 1
    # depth-first search for a back edge
    for (m in node) state[m] = 0
    for (m in node) if (!state[m]) bad += dfs(m, m)
    if (bad) { print "check-layers: " bad " violation(s)"; exit 1 }
    print "check-layers: core -> nothing of httpd; httpd -/-> endpoints; endpoints -/-> each other; no module cycle (" length(node) " modules)"
}
function dfs(m, path,   k, t, found) {
    state[m] = 1; found = 0
    for (k in edge) {
        split(k, t, SUBSEP)
        if (t[1] != m || t[2] == m) continue
        if (state[t[2]] == 1) { print "cycle: " path " -> " t[2]; found++ }
        else if (!state[t[2]]) found += dfs(t[2], path " -> " t[2])
    }
    state[m] = 2
    return found
}'
