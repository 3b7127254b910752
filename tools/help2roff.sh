#!/bin/sh
# help2roff.sh VERSION < HELP > MAN: a man page (section 1) from the text of
# `deskauthctl --help`, which is already laid out as one: a line in capitals
# at the left margin starts a section, the first section (NAME) gives the
# page's NAME line, everything else is kept as written (no-fill), one level
# of indentation removed. POSIX sh and awk; backslashes, leading dots and
# quotes are escaped for roff. The help text stays the one source.
set -eu
[ $# -eq 1 ] || { echo "usage: sh $0 VERSION < help > man" >&2; exit 2; }
awk -v version="$1" '
function roff(s) {
    gsub(/\\/, "\\e", s)
    sub(/^[.'"'"']/, "\\\\\\&&", s)
    gsub(/-/, "\\-", s)
    return s
}
BEGIN {
    print ".TH DESKAUTHCTL 1 \"\" \"mod_deskauth " version "\" \"User Commands\""
}
/^[A-Z][A-Z ]*$/ {
    if (open) print ".fi"
    section = $0
    print ".SH " $0
    open = 0
    next
}
section == "NAME" {
    if ($0 ~ /^[ \t]*$/) next
    line = $0; sub(/^[ \t]+/, "", line)
    sub(/ - /, " \\- ", line)
    print line
    next
}
{
    if (!open) { print ".nf"; open = 1 }
    line = $0; sub(/^    /, "", line)
    if (line ~ /^[ \t]*$/) { print ""; next }
    print roff(line)
}
END { if (open) print ".fi" }
'
