#!/bin/sh
# tests/system/cluster/90-failures.sh: the cluster's failure cases with
# xresd.  A kill -9 of xresd on xb changes nothing in xa's domains; xa
# marks xb's figures stale (or xb gone) and fresh again once xb's xresd
# runs again.  Then, with Corosync stopped on xb, xresd there goes on
# managing its own host and reports the cluster as lost.  Runs last: it
# leaves xb out of the cluster.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

J=$XB_TMP/fail.json
idx() { jsonflat "$J" | awk -F '\t' -v h="$1" '$1 ~ /^hosts\.[0-9]+\.host$/ && $2 == h { split($1, p, "."); print p[2] }'; }
# xb's entry in xa's view: "STATE STALE".
xb_entry() {
    xres cluster-list --json >"$J" 2>/dev/null || return 1
    i=$(idx xb)
    [ -n "$i" ] && echo "$(json_get "$J" "hosts.$i.state") $(json_get "$J" "hosts.$i.stale")"
}
# shellcheck disable=SC2317 # called through wait_for
xb_fresh() { [ "$(xb_entry)" = "member false" ]; }
# shellcheck disable=SC2317 # called through wait_for
xb_not_fresh() { e=$(xb_entry) && [ "$e" != "member false" ]; }

if ! wait_for 120 xb_fresh; then
    xb_fail "xb not fresh in xa's view at the start: $(xb_entry)"
    exit 1
fi
sed -e s/@NAME@/keep/ -e s/@MEM@/96/ -e s/@MAXMEM@/96/ -e s/@VCPUS@/1/ /xenbed/guest/guest.cfg >"$XB_TMP/keep.cfg"
assert_ok "xl create -p keep on xa" xl create -p "$XB_TMP/keep.cfg"
# Name and memory: a guest still booting may bring a vCPU online.
before=$(xl list | awk 'NR > 1 { print $1, $3 }' | sort | tr '\n' ' ')

# ---- kill -9 of xresd on xb
t0=$(xb_uptime)
# shellcheck disable=SC2016 # expanded on xb
assert_ok "kill -9 xresd on xb" on_b 'kill -9 $(pidof xresd)'
if wait_for 90 xb_not_fresh; then
    xb_pass "xa marks xb's figures stale or gone: $(xb_entry)"
    xb_say "XB-TIMING cluster-stale-after-kill $(xb_secs "$t0" "$(xb_uptime)")"
else
    xb_fail "xa still sees xb fresh 90 s after xresd was killed there: $(xb_entry)"
fi
assert_eq "$before" "$(xl list | awk 'NR > 1 { print $1, $3 }' | sort | tr '\n' ' ')" \
    "xa's domains unchanged (name, memory) after xb's xresd died"
assert_ok "xa's xresd still answers" xres list
on_b "rm -f /run/xres/xresd.sock; xresd --foreground >>$XB_TMP/xresd-restart.log 2>&1 </dev/null &" >/dev/null
t0=$(xb_uptime)
if wait_for 120 xb_fresh; then
    xb_pass "xb's figures fresh again after xresd restarted there"
    xb_say "XB-TIMING cluster-fresh-after-restart $(xb_secs "$t0" "$(xb_uptime)")"
else
    xb_fail "xb not fresh 120 s after its xresd restarted: $(xb_entry); $(on_b "tail -n 5 $XB_TMP/xresd-restart.log" | tr '\n' '|')"
fi
xl destroy keep >/dev/null 2>&1

# ---- Corosync stopped on xb
# shellcheck disable=SC2016 # expanded on xb
assert_ok "stop corosync on xb" on_b 'kill $(pidof corosync)'
# shellcheck disable=SC2317 # called through wait_for
b_lost() { on_b "xres cluster-list --json" 2>/dev/null | grep -q '"cluster": *false'; }
if wait_for 120 b_lost; then
    xb_pass "xres cluster-list on xb: not in the cluster"
else
    xb_fail "xb's xresd still reports a cluster 120 s after corosync stopped: $(on_b 'xres cluster-list' 2>&1 | tr '\n' '|')"
fi
out=$(on_b "xres cluster-list" 2>&1)
assert_match "^not in the cluster now: connection to corosync lost; the last view:" "$out" \
    "xres cluster-list on xb: the cluster lost, and the last view"
assert_match "connection to corosync lost; managing this host alone" \
    "$(on_b "cat $XB_TMP/xresd-restart.log")" "xb's xresd log: one line for the loss"
assert_ok "xb's xresd still manages its host (xres list answers)" on_b "xres list"
assert_match 'Domain-0' "$(on_b 'xres list' 2>&1)" "xres list on xb: Domain-0"
assert_ok "xb's xresd still runs" on_b 'pidof xresd'
# shellcheck disable=SC2317 # called through wait_for
xb_gone() { e=$(xb_entry) && [ "${e%% *}" != member ]; }
wait_for 120 xb_gone
assert_match '^(lost|left) ' "$(xb_entry)" "xa's view: xb lost or left"
