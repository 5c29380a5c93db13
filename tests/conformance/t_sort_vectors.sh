#!/bin/bash
# RFC 6724 sorting against other projects' test vectors: Go's
# addrselect_test.go and c-ares's sorter (tests/conformance/sort_vectors.txt)
# through `rfcres sort`, and Go's classification tables through
# conformance_sort_tables (policy table, scope, CommonPrefixLen).  Each
# vector holds librfcres's expected order and, where the upstream order
# differs, that order and the reason; every differing id must be explained
# in docs/sorting.md.  Pure simulation: no network.  Args: build_dir source_dir.
set -u
B=$1 S=$2
R=$B/rfcres T=$B/tests/conformance/conformance_sort_tables
V=$S/tests/conformance/sort_vectors.txt
for f in "$R" "$T"; do
	[ -x "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done
fail=0 n=0 same=0 differ=0
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	IFS='|' read -r id origin opts input ours upstream reason <<<"$line"
	id=$(echo $id) upstream=$(echo $upstream) ours=$(echo $ours)
	reason=$(echo "$reason")
	opts=${opts//@DATA@/$S/tests/data}
	n=$((n + 1))
	# word splitting of opts/input is wanted: addresses and options
	# shellcheck disable=SC2086
	got=$("$R" sort $opts $input 2>&1 | tr '\n' ' ')
	got=$(echo $got)
	if [ "$got" != "$ours" ]; then
		echo "FAIL $id ($origin): expected '$ours', got '$got'"
		fail=1
		continue
	fi
	if [ "$upstream" = "=" ] || [ "$upstream" = "$ours" ]; then
		same=$((same + 1))
		echo "ok   $id: $got"
		continue
	fi
	differ=$((differ + 1))
	if [ -z "$reason" ]; then
		echo "FAIL $id: differs from upstream ($upstream) without a reason"
		fail=1
	elif ! grep -q -- "\`$id\`" "$S/docs/sorting.md"; then
		echo "FAIL $id: differs from upstream but is not explained in docs/sorting.md"
		fail=1
	else
		echo "ok   $id: $got (upstream: $upstream — $reason)"
	fi
done < "$V"
echo "sort vectors: $n vectors, $same same order as upstream, $differ documented differences"
[ "$n" -ge 15 ] || { echo "FAIL: only $n vectors read from $V"; fail=1; }
"$T" || fail=1
[ $fail = 0 ] && echo PASS
exit $fail
