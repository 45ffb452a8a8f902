#!/bin/sh
# tests/system/01-list.sh: xresd starts, finds two running PV guests, and
# `xres list` shows every domain with the same figures as xl, XenStore and
# `xl sched-credit` (columns as agreed: Name ID Mem Target MaxMem Weight
# Cap Used Min State).
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_create_guests "g1 128 256" "g2 192 384" || exit 1
# A non-default weight and cap so the comparison means something.
xl sched-credit -d g2 -w 384 -c 30 || xb_fail "xl sched-credit -d g2 -w 384 -c 30 failed"

xresd_start || exit 1
out=$XB_TMP/list.txt
rc=0
xres list >"$out" 2>&1 || rc=$?
assert_eq 0 "$rc" "xres list exits 0" || { cat "$out"; exit 1; }
cat "$out"

assert_eq "Name ID Mem Target MaxMem Weight Cap Used Min State" \
    "$(head -n 1 "$out" | tr -s ' \t' '  ' | sed 's/ $//')" "xres list header"
assert_eq "$(xb_domains | awk '{ print $1 }' | tr '\n' ' ')" \
    "$(awk 'NR > 1 { print $2 }' "$out" | tr '\n' ' ')" \
    "xres list shows every domain of xl list, sorted by domid"

xb_domains | while read -r domid name; do
    row=$(awk -v id="$domid" 'NR > 1 && $2 == id' "$out")
    if [ -z "$row" ]; then
        xb_fail "no xres list row for $name (domid $domid)"
        continue
    fi
    # shellcheck disable=SC2086 # split the row into its columns
    set -- $row
    assert_eq "$name" "$1" "domid $domid: Name"
    assert_eq "$(xl_mem "$name")" "$3" "$name: Mem vs xl list"
    assert_eq $(($(xs_dom "$domid" memory/target) / 1024)) "$4" "$name: Target vs memory/target"
    assert_eq $(($(xs_dom "$domid" memory/static-max) / 1024)) "$5" \
        "$name: MaxMem vs memory/static-max"
    assert_eq "$(xl_weight "$name")" "$6" "$name: Weight vs xl sched-credit"
    assert_eq "$(xl_cap "$name")" "$7" "$name: Cap vs xl sched-credit"
    assert_match '^(-|[0-9]+)$' "$8" "$name: Used is a MiB figure or - ($8)"
    assert_match '^(-|[0-9]+)$' "$9" "$name: Min is a MiB figure or - ($9)"
    assert_match '^(fixed|ok|moving|not-responding)$' "${10}" "$name: State (${10})"
done
# The figures the comparison rests on, spelled out.
assert_eq "384 30" "$(awk '$1 == "g2" { print $6, $7 }' "$out")" "g2 shows weight 384 and cap 30"
assert_eq "128 128 256" "$(awk '$1 == "g1" { print $3, $4, $5 }' "$out")" "g1 shows Mem/Target/MaxMem 128/128/256"
