#!/bin/sh
# tests/system/cluster/20-conflict.sh: a resource conflict on xa moves
# its busiest domain to xb.  Three PV guests, Pacemaker resources of
# ocf:xres:domain with allow-migrate=true, start on xa: c1 and c2 burn
# CPU, c3 idles; xb runs none.  xresd on both hosts runs with thresholds
# low enough for 1-vCPU TCG guests on the bed's few CPUs (T_server 50%,
# T_vm static 20%, sustained on 2 figures, relocate on).  xa goes into
# conflict and the busier of c1 and c2 moves live to xb: xl list on both
# hosts, xresd's decision line with its figures, `xres conflicts`.  Then
# xa has one busy guest: it is no conflict and nothing more moves.  The
# moved guest's hold-down is in XenStore on both hosts, and a kill -9 of
# xresd on xa keeps it.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

T=${XB_MOVE_TIMEOUT:-600}
CONF=$XB_TMP/xres-conflict.conf
cat >"$CONF" <<'CONF'
conflict_mode = "host"
conflict_t_server_cpu = 50
conflict_t_vm = "static:20"
conflict_sustain = 2
relocate = "on"
relocate_hold_down = "30m"
crm_refresh_ticks = 1
CONF
on_b "mkdir -p $XB_TMP && printf '%s\\n' 'conflict_mode = \"host\"' 'conflict_t_server_cpu = 50' 'conflict_t_vm = \"static:20\"' 'conflict_sustain = 2' 'relocate = \"on\"' 'relocate_hold_down = \"30m\"' 'crm_refresh_ticks = 1' >$CONF" >/dev/null
on_b "echo 300000 >$XB_TMP/exec.seq" >/dev/null

# xresd again on both hosts, with $CONF.
restart_xresd() {
    # shellcheck disable=SC2016 # expanded on xb
    on_b 'kill $(pidof xresd) 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do pidof xresd >/dev/null || break; sleep 1; done' >/dev/null
    on_b "rm -f /run/xres/xresd.sock; xresd --foreground $1 >>$XB_TMP/xresd-conflict.log 2>&1 </dev/null &" >/dev/null
    # shellcheck disable=SC2046 # one pid or none
    kill $(pidof xresd) 2>/dev/null
    wait_for 30 sh -c '! pidof xresd >/dev/null'
    rm -f /run/xres/xresd.sock
    # Its output away from the test's: the runner waits for the test's
    # output to end, and xresd outlives the test.
    # shellcheck disable=SC2086 # $1 is one option and its file, or nothing
    xresd_start $1 >/dev/null 2>&1 </dev/null || { xb_fail "xresd did not start again ($1)"; return 1; }
}
restart_xresd "--config $CONF" || exit 1

for r in c1 c2 c3; do
    sed -e s/@NAME@/$r/ -e s/@MEM@/128/ -e s/@MAXMEM@/128/ -e s/@VCPUS@/1/ /xenbed/guest/guest.cfg >"$XB_TMP/$r.cfg"
    on_b "sed -e s/@NAME@/$r/ -e s/@MEM@/128/ -e s/@MAXMEM@/128/ -e s/@VCPUS@/1/ /xenbed/guest/guest.cfg >$XB_TMP/$r.cfg" >/dev/null
    cibadmin --create -o resources --xml-text "<primitive id=\"$r\" class=\"ocf\" provider=\"xres\" type=\"domain\">
<instance_attributes id=\"$r-ia\"><nvpair id=\"$r-config\" name=\"config\" value=\"$XB_TMP/$r.cfg\"/></instance_attributes>
<meta_attributes id=\"$r-meta\"><nvpair id=\"$r-allow-migrate\" name=\"allow-migrate\" value=\"true\"/></meta_attributes>
<operations>
<op id=\"$r-monitor\" name=\"monitor\" interval=\"20s\" timeout=\"30s\"/>
<op id=\"$r-start\" name=\"start\" interval=\"0s\" timeout=\"120s\"/>
<op id=\"$r-stop\" name=\"stop\" interval=\"0s\" timeout=\"120s\"/>
<op id=\"$r-migrate_to\" name=\"migrate_to\" interval=\"0s\" timeout=\"240s\"/>
<op id=\"$r-migrate_from\" name=\"migrate_from\" interval=\"0s\" timeout=\"240s\"/>
</operations></primitive>" || { xb_fail "cibadmin --create $r"; exit 1; }
    assert_ok "location preference of $r for xa" cibadmin --create -o constraints \
        --xml-text "<rsc_location id=\"$r-on-xa\" rsc=\"$r\" node=\"xa\" score=\"50\"/>"
done

here() { xl list 2>/dev/null | awk -v n="$1" 'NR > 1 && $1 == n { print $1 }'; }
there() { on_b "xl list 2>/dev/null | awk -v n=$1 'NR > 1 && \$1 == n { print \$1 }'"; }
# shellcheck disable=SC2317 # called through wait_for
all_on_xa() { [ "$(here c1)$(here c2)$(here c3)" = c1c2c3 ]; }
if ! wait_for "$T" all_on_xa; then
    xb_fail "c1, c2, c3 did not start on xa: $(crm_mon -1 2>&1 | tail -n 8 | tr '\n' ' ')"
    exit 1
fi
for r in c1 c2 c3; do xb_uptime >"$XB_TMP/$r.created"; done
for r in c1 c2 c3; do xb_wait_guest $r || exit 1; done
for r in c1 c2; do
    assert_match started "$(xb_guest_exec $r 'cpuburn 900 >/dev/null 2>&1 </dev/null & echo started')" "$r burns CPU"
done
xb_say "XB-INFO xa: $(xl info | awk -F': ' '$1 ~ /^nr_cpus/ { print "nr_cpus", $2 }')"

# ---- xa in conflict: the busier burner moves live to xb
# shellcheck disable=SC2317 # called through wait_for
decided() { grep -q 'conflict: host xa Up' "$XB_TMP/xresd.log"; }
if ! wait_for 300 decided; then
    xb_fail "no decision on xa: $(xres conflicts 2>&1 | tr '\n' '|')"
    exit 1
fi
t_dec=$(xb_uptime)
line=$(grep 'conflict: host xa Up' "$XB_TMP/xresd.log" | head -n 1)
xb_say "XB-INFO $line"
assert_match "conflict: host xa Up cpu [0-9.]+% >= T_server 50%, T_vm 20% \(static\), over: c[12] [0-9.]+% c[12] [0-9.]+%; moving c[12] \([0-9.]+%\) to xb \(free [0-9.]+% x1\.0\), live" \
    "$line" "xresd's decision line with its figures"
moved=$(printf '%s' "$line" | sed -n 's/.*; moving \(c[12]\) .*/\1/p')
stays=c1; [ "$moved" = c1 ] && stays=c2
# shellcheck disable=SC2317 # called through wait_for
moved_to_xb() { [ -z "$(here "$moved")" ] && [ "$(there "$moved")" = "$moved" ]; }
if ! wait_for "$T" moved_to_xb; then
    xb_fail "$moved did not reach xb: $(crm_mon -1 2>&1 | tail -n 8 | tr '\n' ' ')"
    exit 1
fi
assert_eq "" "$(here "$moved")" "xl list on xa: no $moved"
assert_eq "$moved" "$(there "$moved")" "xl list on xb: $moved"
assert_eq "$stays c3" "$(here $stays) $(here c3)" "xl list on xa: $stays and c3 stay"
assert_eq 1 "$(grep -c 'conflict: host xa Up' "$XB_TMP/xresd.log")" "one decision"
# xres-crm ends once Pacemaker shows nothing pending for the resource.
# shellcheck disable=SC2317 # called through wait_for
move_done() { grep -q "move 1: $moved to xb done after" "$XB_TMP/xresd.log"; }
wait_for 120 move_done
xb_say "XB-TIMING conflict-decided-to-moved $(xb_secs "$t_dec" "$(xb_uptime)")"
assert_match "move 1: $moved to xb done after" "$(cat "$XB_TMP/xresd.log")" "xresd's log: move 1 done"

# ---- one busy guest on xa: no conflict, nothing moves
# shellcheck disable=SC2317 # called through wait_for
calm() { xres conflicts 2>/dev/null | grep -q '^xa (this host): no conflict'; }
if ! wait_for 120 calm; then
    xb_fail "xa still in conflict with one busy guest: $(xres conflicts 2>&1 | tr '\n' '|')"
fi
sleep 40        # four figures: more than conflict_sustain
out=$(xres conflicts 2>&1)
xb_say "XB-INFO xres conflicts: $(printf '%s' "$out" | tr '\n' '|')"
assert_match "xa \(this host\): no conflict, 2 domains" "$out" "xres conflicts: xa has no conflict"
assert_match "last, [0-9]+ s ago: host xa Up cpu" "$out" "xres conflicts: the last decision"
assert_eq 1 "$(grep -c 'conflict: host xa Up' "$XB_TMP/xresd.log")" "with one busy guest: no second decision"
assert_match '"conflict": *false' "$(xres conflicts --json 2>&1)" "xres conflicts --json: no conflict"
assert_match "no move: xa is not in conflict" "$(xres relocate --dry-run 2>&1)" "xres relocate --dry-run: no move"
assert_eq "$stays c3" "$(here $stays) $(here c3)" "xl list on xa: $stays and c3 still there"

# ---- the moved guest's hold-down is in XenStore on both hosts, and a
# kill -9 of xresd keeps it
nb=$(on_b "crm_node -i" | tr -d ' \n')
hd=/local/domain/0/xres/conflict/moved/$moved
assert_match '^[0-9]+$' "$nb" "xb's node id"
assert_eq "$nb" "$(xenstore-read "$hd/node" 2>&1)" "xa's XenStore: $moved held down, on xb (node $nb)"
assert_eq "$nb" "$(on_b "xenstore-read $hd/node" 2>&1)" "xb's XenStore: $moved held down, on xb"
at=$(xenstore-read "$hd/at_ms" 2>&1)
assert_match '^[0-9]+$' "$at" "xa's XenStore: when $moved moved ($at ms)"
# 10-migrate's guest may be there too: each domain seen to move is.
n=$(xenstore-list /local/domain/0/xres/conflict/moved 2>/dev/null | wc -l)
xb_say "XB-INFO held down on xa: $(xenstore-list /local/domain/0/xres/conflict/moved 2>&1 | tr '\n' ' ')"
# shellcheck disable=SC2046 # one pid
kill -9 $(pidof xresd)
wait_for 10 sh -c '! pidof xresd >/dev/null'
rm -f /run/xres/xresd.sock
xresd_start --config "$CONF" || exit 1
# shellcheck disable=SC2317 # called through wait_for
restored() { grep -q "hold-down of $n domain(s) restored from XenStore" "$XB_TMP/xresd.log"; }
wait_for 10 restored
assert_match "conflict: hold-down of $n domain\(s\) restored from XenStore" "$(cat "$XB_TMP/xresd.log")" "after kill -9: the new xresd reads the hold-down back"
sleep 20        # two figures
assert_eq "$at $nb" "$(xenstore-read "$hd/at_ms" 2>&1) $(xenstore-read "$hd/node" 2>&1)" "after kill -9: $moved's hold-down as it was"

# ---- clean up: stop them through Pacemaker, remove them, xresd as before
for r in c1 c2 c3; do
    crm_resource --clear --resource $r >/dev/null 2>&1
    crm_resource --resource $r --meta --set-parameter target-role --parameter-value Stopped >/dev/null 2>&1
done
# shellcheck disable=SC2317 # called through wait_for
stopped() { [ -z "$(here c1)$(here c2)$(here c3)$(there c1)$(there c2)$(there c3)" ]; }
wait_for 300 stopped
assert_ok "c1, c2, c3 stopped on both hosts" stopped
for r in c1 c2 c3; do
    cibadmin --delete -o constraints --xml-text "<rsc_location id=\"$r-on-xa\"/>" >/dev/null 2>&1
    cibadmin --delete -o resources --xml-text "<primitive id=\"$r\"/>" >/dev/null 2>&1
done
restart_xresd ""
