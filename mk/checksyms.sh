#!/bin/sh
# Checks that no library uses a symbol another library defines but does not
# export. Arguments: NAME:PARTIAL_OBJECT:EXPORTSYMS, one per library.
# Prints one line per violation, naming the user and the owner, and fails.
NM=${NM:-nm}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for spec in "$@"; do
	name=${spec%%:*}; rest=${spec#*:}; obj=${rest%%:*}; exp=${rest#*:}
	"$NM" -g --defined-only "$obj" | awk -v l="$name" 'NF==3 {print $3, l}' >> "$tmp/defs"
	"$NM" -u "$obj" | awk -v l="$name" '{print $NF, l}' >> "$tmp/uses"
	if [ -f "$exp" ]; then
		grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$exp" | awk -v l="$name" '{print $1, l}' >> "$tmp/exps"
	else
		: >> "$tmp/exps"
	fi
	echo "$name $exp" >> "$tmp/files"
done
touch "$tmp/defs" "$tmp/uses" "$tmp/exps"
awk '
FILENAME == ARGV[1] { file[$1] = $2; next }
FILENAME == ARGV[2] { if (!($1 in owner)) owner[$1] = $2; next }
FILENAME == ARGV[3] { exported[$1 " " $2] = 1; next }
{
	sym = $1; user = $2
	if (!(sym in owner) || owner[sym] == user) next
	if ((sym " " owner[sym]) in exported) next
	printf "nfos: %s uses `%s`, defined in %s but not exported by %s\n", \
		user, sym, owner[sym], file[owner[sym]]
	bad = 1
}
END { exit bad }
' "$tmp/files" "$tmp/defs" "$tmp/exps" "$tmp/uses"
