#!/bin/sh
# tools/check-config.sh [TOP]: every field of the server and directory
# configurations (src/httpd/da_config.h) has a default in the static
# default config and a merge rule in its merge function (src/httpd/
# da_config.c), so that a new directive cannot forget either (run by
# `make check`).
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
h=$top/src/httpd/da_config.h
c=$top/src/httpd/da_config.c

# the field names of struct TYPE in the header
fields() {
    awk -v type="$1" '
        /^typedef struct \{/ { body = ""; inside = 1; next }
        inside && /^\}/ { inside = 0; if ($2 == type ";") print body; next }
        inside {
            line = $0; sub(/\/\*.*/, "", line); sub(/;.*/, "", line)
            n = split(line, w, /[ \t*]+/); if (n) body = body " " w[n]
        }' "$h"
}

# the text of a block of the .c file, from a line matching START to "^}"
block() {
    awk -v start="$1" '$0 ~ start { on = 1 } on { print } on && /^}/ { exit }' "$c"
}

bad=0
check() {   # TYPE DEFAULTS-START MERGE-START
    defaults=$(block "$2")
    merge=$(block "$3")
    n=0
    for f in $(fields "$1"); do
        n=$((n + 1))
        if ! printf '%s\n' "$defaults" | grep -q "^[[:space:]]*\.$f = "; then
            echo "$1.$f: no default in $(echo "$2" | tr -d '^\\')"; bad=1
        fi
        if ! printf '%s\n' "$merge" | grep -Eq "MERGE_(PTR|VAL)\($f\)|c->$f = "; then
            echo "$1.$f: no merge rule in $(echo "$3" | tr -d '^\\')"; bad=1
        fi
    done
    [ "$n" -gt 0 ] || { echo "$1: no fields found in $h"; bad=1; }
    echo "$1: $n fields"
}
check da_srv_conf_t '^static const da_srv_conf_t srv_defaults' '^void \*da_config_merge_srv'
check da_dir_conf_t '^static const da_dir_conf_t dir_defaults' '^void \*da_config_merge_dir'
[ "$bad" = 0 ] || exit 1
echo "check-config: every field has a default and a merge rule"
