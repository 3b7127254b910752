#!/bin/sh
# tools/check-logtags.sh [TOP]: every ap_log_*error() call of the module
# carries a tag of our own, DA_LOGNO(NNNNN), and no tag is used twice (run
# by `make check`; the scheme: docs/log-message-tags/README.md).
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
files=$(ls mod_deskauth.c src/*/*.c 2>/dev/null)
bad=0

# a statement (up to its ';') that logs without a tag
untagged=$(awk 'BEGIN { RS = ";" }
    /ap_log_[a-z]*error[ \t\n]*\(/ && !/DA_LOGNO\([0-9]+\)/ {
        line = $0; gsub(/[ \t\n]+/, " ", line); print FILENAME ": " substr(line, 1, 100)
    }' $files)
if [ -n "$untagged" ]; then
    echo "$untagged" | sed 's/^/untagged: /'
    bad=1
fi

dups=$(grep -ho 'DA_LOGNO([0-9]*)' $files | sort | uniq -d)
if [ -n "$dups" ]; then
    for d in $dups; do
        echo "used twice: $d in $(grep -l "$d" $files | tr '\n' ' ')"
    done
    bad=1
fi

high=$(grep -ho 'DA_LOGNO([0-9]*)' $files | tr -dc '0-9\n' | sort -n | tail -1)
n=$(grep -ho 'DA_LOGNO([0-9]*)' $files | wc -l)
[ "$bad" = 0 ] || exit 1
echo "check-logtags: $n tags, each used once (highest DA$high)"
