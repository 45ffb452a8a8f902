#!/bin/sh
# tests/system/02-list-json.sh: `xres list --json` prints valid JSON with
# the agreed fields, its figures match xl, XenStore, xentop and
# `xl sched-credit`, and they agree with the text `xres list`.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_create_guests "g1 128 256" "g2 192 384 2" || exit 1
xl sched-credit -d g2 -w 384 -c 30 || xb_fail "xl sched-credit -d g2 -w 384 -c 30 failed"

xresd_start || exit 1
js=$XB_TMP/list.json
txt=$XB_TMP/list.txt
rc=0
xres list --json >"$js" 2>"$XB_TMP/list.err" || rc=$?
assert_eq 0 "$rc" "xres list --json exits 0" || { cat "$js" "$XB_TMP/list.err"; exit 1; }
cat "$js"
echo
assert_ok "xres list --json is valid JSON" jsonflat -q "$js" || exit 1
jsonflat "$js" >"$XB_TMP/list.flat"
xres list >"$txt" 2>&1 || xb_fail "xres list (text) failed: $(cat "$txt")"
xentop -b -i 1 >"$XB_TMP/xentop.txt" || xb_fail "xentop -b failed"

j() { awk -F '\t' -v p="$1" '$1 == p { print $2; f = 1 } END { if (!f) print "<missing>" }' "$XB_TMP/list.flat"; }
info() { xl info | awk -F': ' -v k="$1" '$1 ~ "^"k" *$" { print $2 }'; }

assert_eq "$(info xen_version)" "$(j xen_version)" "xen_version vs xl info"
assert_eq credit "$(j scheduler)" "scheduler"
assert_eq "$(info nr_cpus)" "$(j nr_cpus)" "nr_cpus vs xl info"
assert_eq $(($(info total_memory) * 1024)) "$(j total_kb)" "total_kb vs xl info total_memory"
assert_match '^[0-9]+$' "$(j free_kb)" "free_kb is a number"

ndom=$(xb_domains | wc -l)
assert_eq "$ndom" "$(grep -c '^domains\.[0-9]*\.domid	' "$XB_TMP/list.flat")" "one domains[] entry per domain"

i=0
xb_domains | while read -r domid name; do
    p=domains.$i
    i=$((i + 1))
    assert_eq "$domid" "$(j $p.domid)" "$p.domid (sorted by domid)"
    assert_eq "$name" "$(j $p.name)" "$p.name"
    cur_kb=$(j $p.cur_kb)
    assert_eq "$(xl_mem "$name")" $((cur_kb / 1024)) "$name: cur_kb/1024 vs xl list Mem"
    assert_eq "$(awk -v n="$name" '$1 == n { print $5 }' "$XB_TMP/xentop.txt")" "$cur_kb" \
        "$name: cur_kb vs xentop MEM(k)"
    assert_eq "$(awk -v n="$name" '$1 == n { print $7 }' "$XB_TMP/xentop.txt")" "$(j $p.xen_max_kb)" \
        "$name: xen_max_kb vs xentop MAXMEM(k)"
    assert_eq "$(xs_dom "$domid" memory/target)" "$(j $p.target_kb)" "$name: target_kb vs memory/target"
    assert_eq "$(xs_dom "$domid" memory/static-max)" "$(j $p.static_max_kb)" \
        "$name: static_max_kb vs memory/static-max"
    assert_eq "$(xl_vcpus "$name")" "$(j $p.vcpus)" "$name: vcpus vs xl list"
    assert_eq "$(xl_weight "$name")" "$(j $p.weight)" "$name: weight vs xl sched-credit"
    assert_eq "$(xl_cap "$name")" "$(j $p.cap)" "$name: cap vs xl sched-credit"
    assert_match '^(true|false)$' "$(j $p.agent)" "$name: agent is a boolean"
    assert_match '^(null|[0-9]+)$' "$(j $p.used_kb)" "$name: used_kb is null or a number"
    for k in min_kb max_kb; do
        assert_match '^[0-9]+$' "$(j $p.$k)" "$name: $k is a number"
    done
    assert_match '^(fixed|ok|moving|not-responding)$' "$(j $p.state)" "$name: state"
    # The text view shows the same figures.
    row=$(awk -v id="$domid" 'NR > 1 && $2 == id { print $3, $4, $5, $6, $7, $10 }' "$txt")
    assert_eq "$((cur_kb / 1024)) $(($(j $p.target_kb) / 1024)) $(($(j $p.static_max_kb) / 1024)) $(j $p.weight) $(j $p.cap) $(j $p.state)" \
        "$row" "$name: text row (Mem Target MaxMem Weight Cap State) matches the JSON"
done
assert_eq "384 30" "$(awk -F '\t' '$1 ~ /\.name$/ && $2 == "g2" { sub(/\.name$/, "", $1); p = $1 }
    p != "" && $1 == p ".weight" { w = $2 } p != "" && $1 == p ".cap" { c = $2 } END { print w, c }' "$XB_TMP/list.flat")" \
    "g2's JSON entry shows weight 384 and cap 30"
