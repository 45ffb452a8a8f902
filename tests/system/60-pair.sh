#!/bin/sh
# tests/system/60-pair.sh: hot-standby pairs on real Xen.
#  (1) the active, running the hot-standby app "web" (64 MiB), crashes from
#      inside (sysrq c): the standby's memory (xl list) rises by 64 MiB, its
#      agent started web, and the pair shows web owned by the standby;
#  (2) web faults at level 3 on the active: the active's memory falls by
#      64 MiB before the standby's rises by 64 MiB, web runs on the
#      standby, the active keeps running;
#  (3) a pair declared in xres.conf (pair=, role=, pair_apps=) is created
#      on SIGHUP; a level-1 fault restarts web in place (new pid) and no
#      memory moves; web stays the active's.
# After (1), memory balancing runs with a guest below its guarantee (m1)
# and two possible donors: the new active s1, the most underused, and d1.
# s1 keeps what the failover gave it (the pair's floor); d1 gives.
# The timing of each failover (xresd's share, the guests' share) is
# printed, not asserted.
# shellcheck shell=dash disable=SC2016
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

APP_MIB=64


# Two fresh guests, agents set up, web running on the active only.
make_pair() {  # PAIR ACTIVE STANDBY [declared]
    xb_create_guest "$2" 160 320 || return 1
    xb_create_guest "$3" 128 256 || return 1
    agent_setup "$2"
    agent_setup "$3"
    xb_guest_exec "$2" 'sh -c "sleep 100000 >/dev/null 2>&1 & echo \$! >/run/web.pid"' >/dev/null
    xl sched-credit -d "$2" -w 512 -c 0 >/dev/null
    xl sched-credit -d "$3" -w 64 -c 20 >/dev/null
    if ! wait_for 30 app_state_is "$2" running; then
        xb_fail "$2: the agent never reported web running"
        xb_say "XB-INFO $2's agent log and processes:"
        { xb_guest_exec "$2" 'tail -n 15 /var/log/xres-agent.log; head -n 3 /etc/xres/agent.conf; ps | grep -v "\[" | tail -n 12; cat /run/web.pid' 2>&1
          xenstore-ls "/local/domain/$(domid_of "$2")/data/xres" 2>&1 | head -n 40; } |
            while IFS= read -r l; do xb_say "XB-INFO   $l"; done
    fi
    if [ "${4:-}" = declared ]; then
        # Declared in xres.conf (the balancing keys of (1b) unchanged) and
        # picked up on SIGHUP, with no pair-create.
        printf 'tick_ms = 2000\nmem_high = 100\nmem_low = 99\nmem_block = "32M"\nmem_reserve = "4G"\ndomains = [ "name=m1, min=192M", "name=%s, pair=%s, role=active, pair_apps=web:%sM:hot", "name=%s, pair=%s, role=standby" ]\n' \
            "$2" "$1" "$APP_MIB" "$3" "$1" >"$conf"
        kill -HUP "$(xresd_pid)"
        wait_for 30 grep -q "pair $1 created (declared in $conf): active $2 (dom$(domid_of "$2")), standby $3 (dom$(domid_of "$3")), 1 apps" "$XB_TMP/xresd.log" ||
            xb_fail "$1: the pair declared in xres.conf was not created"
        xres pair-show --json "$1" >"$XB_TMP/pair.json"
        assert_eq "$2 $3" "$(json_get "$XB_TMP/pair.json" pair.active_name) $(json_get "$XB_TMP/pair.json" pair.standby_name)" \
            "$1: declared in xres.conf, with its members"
    else
        assert_ok "xres pair-create $1" xres pair-create "$1" --active "$2" --standby "$3" \
            --app "web:${APP_MIB}M:hot"
    fi
    wait_for 30 web_in_table "$1" || xb_fail "$1: web never entered the table"
    # xresd asks the standby's agent to hold web stopped until a failover.
    wait_for 30 app_state_is "$3" stopped || xb_fail "$3: web not held stopped"
    assert_fail "$3: web is not running on the standby" web_running_in "$3"
    assert_eq active "$(area_field "$1" web owner)" "$1: web's area is owned by the active"
    assert_eq standby "$(area_field "$1" web dest)" "$1: web's area goes to the standby"
    assert_eq $((APP_MIB * 1024)) "$(area_field "$1" web size_kb)" "$1: web's area size"
    assert_eq $(((160 - APP_MIB) * 1024)) "$(area_field "$1" base size_kb)" \
        "$1: the base is the rest of the active's memory"
}

# xresd starts on the built-in defaults; after (1) it reloads (SIGHUP) a
# configuration for the balancing check.
conf=$XB_TMP/xres-pair.conf
: >"$conf"
xresd_start -c "$conf" || exit 1
wait_for 30 xres list || { xb_fail "xresd does not answer"; exit 1; }

# A pair the standby could not serve is refused, with the reason.
xb_create_guest r1 128 256 || exit 1
xb_create_guest r2 128 128 || exit 1
out=$(xres pair-create rp --active r1 --standby r2 --app web:64M:hot 2>&1)
assert_match "r2.*maxmem 128 MiB" "$out" "pair-create refuses a standby that cannot grow"
xb_destroy_guest r1
xb_destroy_guest r2

# ---------------------------------------------------------------- (1)
make_pair p1 a1 s1 || exit 1
s0=$(xl_mem s1)
xb_guest_exec a1 'echo c >/proc/sysrq-trigger' >/dev/null 2>&1
wait_for 60 mem_is s1 $((s0 + APP_MIB)) ||
    xb_fail "s1 never reached $((s0 + APP_MIB)) MiB (has $(xl_mem s1))"
assert_eq $((s0 + APP_MIB)) "$(xl_mem s1)" "(1) standby grew by web's area"
assert_fail "(1) the crashed active is fenced" xl domid a1
wait_for 30 web_running_in s1 || true
assert_ok "(1) the standby's agent started web" web_running_in s1
assert_eq standby "$(area_field p1 web owner)" "(1) web's owner is the standby"
assert_eq host "$(area_field p1 base owner)" "(1) the base went back to the host"
assert_eq failed-over "$(json_get "$XB_TMP/pair.json" pair.state)" "(1) pair state"
assert_eq "512 0" "$(xl_weight s1) $(xl_cap s1)" "(1) the standby has the active's weight and cap"
xres pair-show p1
print_timing p1 "(1) domain"
grep "failover timing" "$XB_TMP/xresd.log" | tail -n 1
assert_eq $(((s0 + APP_MIB) * 1024)) "$(json_get "$XB_TMP/pair.json" pair.standby_floor_kb)" \
    "(1) the pair keeps the standby at what it now has"

# Balancing after the failover, every 2 s: every reporting guest counts as
# in excess (low 99 %), none as deficient (high 100 %), Xen's free memory
# is never handed out (reserve 4G), so m1 (128 MiB, min 192M: 64 MiB short)
# can only be fed by a donor.
printf 'tick_ms = 2000\nmem_high = 100\nmem_low = 99\nmem_block = "32M"\nmem_reserve = "4G"\ndomains = [ "name=m1, min=192M" ]\n' >"$conf"
kill -HUP "$(xresd_pid)"
sleep 2
s1mem=$(xl_mem s1)
xb_create_guest d1 160 320 || exit 1
xb_create_guest m1 128 256 || exit 1
wait_for 120 mem_is m1 192 || xb_fail "m1 never got its guarantee (has $(xl_mem m1))"
sleep 8     # a few more balancing ticks
assert_eq 192 "$(xl_mem m1)" "(1b) m1 got its 64 MiB guarantee"
assert_eq 96 "$(xl_mem d1)" "(1b) the 64 MiB came from d1"
assert_eq "$s1mem" "$(xl_mem s1)" "(1b) balancing left the new active s1 what the failover gave it"
grep "mem: .*move\|mem: .*balance" "$XB_TMP/xresd.log" | tail -n 4
assert_ok "(1) pair-delete" xres pair-delete p1
xb_destroy_guest d1
xb_destroy_guest m1
xb_destroy_guest s1

# ---------------------------------------------------------------- (2)
make_pair p2 a2 s2 || exit 1
a0=$(xl_mem a2)
s0=$(xl_mem s2)
: >"$XB_TMP/mem-trace"
# Standby first: if a sample shows the standby grown, the active (read
# after it) must already show the shrink.
( i=0; while [ $i -lt 300 ]; do echo "$(xl_mem s2) $(xl_mem a2)"; sleep 0.2; i=$((i + 1)); done ) \
    >"$XB_TMP/mem-trace" 2>/dev/null &
tracer=$!
xb_guest_exec a2 'xres-agent notify web 3' >/dev/null
wait_for 60 mem_is s2 $((s0 + APP_MIB)) ||
    xb_fail "s2 never reached $((s0 + APP_MIB)) MiB (has $(xl_mem s2))"
sleep 1
kill "$tracer" 2>/dev/null
wait "$tracer" 2>/dev/null
assert_eq $((a0 - APP_MIB)) "$(xl_mem a2)" "(2) the active shrank by web's area"
assert_eq $((s0 + APP_MIB)) "$(xl_mem s2)" "(2) the standby grew by web's area"
# In every sample, the standby has grown only if the active had shrunk.
bad=$(awk -v a0="$a0" -v s0="$s0" -v m="$APP_MIB" \
    '$1 > s0 && $2 > a0 - m + 1 { n++ } END { print n + 0 }' "$XB_TMP/mem-trace")
assert_ne 0 "$(awk -v s0="$s0" '$1 > s0' "$XB_TMP/mem-trace" | wc -l)" "(2) the trace saw the standby grow"
assert_eq 0 "$bad" "(2) the standby never grew before the active had shrunk"
assert_ok "(2) the active keeps running" xl domid a2
assert_ok "(2) web runs on the standby" web_running_in s2
assert_eq standby "$(area_field p2 web owner)" "(2) web's owner is the standby"
assert_eq active "$(area_field p2 base owner)" "(2) the base stays with the active"
assert_eq normal "$(json_get "$XB_TMP/pair.json" pair.state)" "(2) pair state"
print_timing p2 "(2) app"
assert_ok "(2) pair-delete" xres pair-delete p2
xb_destroy_guest a2
xb_destroy_guest s2

# ---------------------------------------------------------------- (3)
make_pair p3 a3 s3 declared || exit 1
a0=$(xl_mem a3)
s0=$(xl_mem s3)
pid0=$(xb_guest_exec a3 'cat /run/web.pid')
xb_guest_exec a3 'xres-agent notify web 1' >/dev/null
# Restarted in place (by the agent, or by xresd's start request): a new pid.
wait_for 60 web_restarted a3 "$pid0" || xb_fail "(3) web was not restarted in place"
wait_for 30 web_running_in a3 || true
assert_ok "(3) web runs again on the active" web_running_in a3
sleep 3
assert_eq "$a0 $s0" "$(xl_mem a3) $(xl_mem s3)" "(3) no memory moved"
assert_eq active "$(area_field p3 web owner)" "(3) web's owner is still the active"
assert_ok "(3) pair-delete" xres pair-delete p3
xb_destroy_guest a3
xb_destroy_guest s3

xresd_stop
