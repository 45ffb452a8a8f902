#!/bin/sh
# tests/system/10-core.sh: xresd's core on real Xen: it follows domains
# that appear and disappear while it runs (libxl death events,
# @introduceDomain), keeps its configuration when a bad one is loaded on
# SIGHUP, refuses a second xresd, sets up the XenStore areas with dom0's
# permissions, and on SIGTERM exits 0 leaving every domain as it was.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_destroy_all_guests
xb_create_guest c1 128 256 || exit 1

conf=$XB_TMP/xres-core.conf
# Memory balancing kept idle (nothing is ever deficient or in excess), so
# that nothing but this test changes a domain.
printf 'tick_ms = 1000\nmem_high = 100\nmem_low = 1\ndomains = [ "name=c1, min=96M" ]\n' >"$conf"
xresd_start -c "$conf" || exit 1

in_list() { xres list | awk -v n="$1" 'NR > 1 && $1 == n { f = 1 } END { exit !f }'; }
assert_ok "c1 is listed" in_list c1
assert_eq 96 "$(xres list c1 | awk 'NR == 2 { print $9 }')" "c1's Min from the configuration"

# A domain created while xresd runs is picked up, and its areas are set up.
xb_create_guest c2 128 256 || exit 1
id2=$(domid_of c2)
assert_ok "c2 appears in xres list" wait_for 30 in_list c2
assert_ok "xresd watches c2: its request area exists" \
    wait_for 30 xenstore-exists "/local/domain/$id2/xres"
assert_match "^n0" "$(xenstore-ls -p "/local/domain/$id2" 2>/dev/null |
    awk '$1 == "xres" { sub(/.*\(/, ""); sub(/\).*/, ""); print }')" \
    "c2's request area is owned by dom0"
assert_fail "the guest cannot write its request area" \
    xb_guest_exec c2 "xenstore-write /local/domain/$id2/xres/x 1"
assert_ok "dom0's state area exists" xenstore-exists /local/domain/0/xres

# Destroyed: it goes, xresd carries on.
xl destroy c2 || xb_fail "xl destroy c2"
assert_ok "c2 leaves xres list" wait_for 30 sh -c "! xres list c2 >/dev/null 2>&1"
assert_ok "xresd still runs after a domain died" kill -0 "$(xresd_pid)"
grep -q "dom$id2: destroyed" "$XB_TMP/xresd.log" &&
    xb_pass "xresd saw c2's death event" ||
    xb_fail "no death event for dom$id2 in xresd's log"

assert_ok "xres list still answers" xres list

# A bad configuration on SIGHUP is refused; the old one stays.
printf 'tick_ms = [\n' >"$conf"
kill -HUP "$(xresd_pid)"
assert_ok "the refusal is logged" wait_for 10 grep -q "keeping the previous configuration" "$XB_TMP/xresd.log"
assert_eq 96 "$(xres list c1 | awk 'NR == 2 { print $9 }')" "c1's Min kept after a bad reload"

# Only one xresd.
rc=0
xresd --foreground >"$XB_TMP/second.log" 2>&1 || rc=$?
assert_eq 1 "$rc" "a second xresd exits 1"
assert_match "already running" "$(cat "$XB_TMP/second.log")" "and says another xresd runs"
assert_ok "the first still answers" xres list

# SIGTERM: exit 0, nothing changed.
before=$(xl list | awk 'NR > 1 { print $1, $3 }')
t1=$(xs_dom "$(domid_of c1)" memory/target)
rc=0
xresd_stop || rc=$?
assert_eq 0 "$rc" "xresd exits 0 on SIGTERM"
assert_fail "the socket is gone" test -e "$XRES_SOCKET"
assert_eq "$before" "$(xl list | awk 'NR > 1 { print $1, $3 }')" "every domain's memory as before"
assert_eq "$t1" "$(xs_dom "$(domid_of c1)" memory/target)" "c1's target as before"
xb_destroy_all_guests
