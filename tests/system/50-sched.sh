#!/bin/sh
# tests/system/50-sched.sh: CPU weights and caps on the real credit
# scheduler: weights share one physical CPU 2:1, a cap holds a burning
# guest down, demand-following caps rise and fall, and `xres sched-list`
# agrees with `xl sched-credit`.
#
# The two guests get physical CPU 1 to themselves in a cpupool of their
# own: the credit scheduler shares out credit per pool, so weights show
# only where the guests compete for the same CPU.  The bed runs under
# QEMU TCG, so shares are measured over windows of 20-30 s.
# shellcheck shell=dash
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

POOL=xres-sched
WINDOW=${SCHED_WINDOW:-30}

# CPU seconds of a domain, from `xl list`'s Time(s).
cpu_s() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $6 }'; }
now_s() { xb_uptime; }

# burn NAME SECONDS: cpuburn in the guest, in the background; it stops by
# itself after SECONDS even if unburn does not get through.
burn() { xb_guest_exec "$1" "cpuburn $2 >/dev/null 2>&1 </dev/null & echo started"; }
# unburn NAME: stop it, and wait until no cpuburn is left in the guest.
no_burn() { ! xb_guest_exec "$1" 'pidof cpuburn' >/dev/null 2>&1; }
unburn() {
    xb_guest_exec "$1" 'killall cpuburn 2>/dev/null; true' >/dev/null
    wait_for 60 no_burn "$1"
}
# Use% of a domain as xres measured it over the last tick.
xres_use() { xres sched-list "$1" | awk -v n="$1" '$1 == n { print $5 }'; }
# Whether xres measures the domain below 10% of a CPU.
idle() { awk -v u="$(xres_use "$1")" 'BEGIN { exit !(u != "" && u + 0 < 10) }'; }

cleanup() {
    unburn g1 2>/dev/null
    unburn g2 2>/dev/null
    # Run-time policies are kept by name: leave none behind for later tests.
    xres sched-policy --reset g1 >/dev/null 2>&1
    xres sched-policy --reset g2 >/dev/null 2>&1
    xresd_stop >/dev/null 2>&1
    xb_destroy_guest g1
    xb_destroy_guest g2
    xl cpupool-destroy "$POOL" >/dev/null 2>&1
    xl cpupool-cpu-add Pool-0 1 >/dev/null 2>&1
    # Best effort: the script's verdict is its checks, not the status of
    # the last clean-up command (cpupool-cpu-add once failed after every
    # check had passed).
    return 0
}

xb_create_guest g1 128 128 1 || exit 1
xb_create_guest g2 128 128 1 || exit 1

# A pool holding physical CPU 1, with both guests in it.
cat >"$XB_TMP/$POOL.cfg" <<EOF
name = "$POOL"
sched = "credit"
cpus = ["1"]
EOF
if ! xl cpupool-cpu-remove Pool-0 1 ||
   ! xl cpupool-create "$XB_TMP/$POOL.cfg" >/dev/null ||
   ! xl cpupool-migrate g1 "$POOL" || ! xl cpupool-migrate g2 "$POOL"; then
    xb_fail "cannot set up cpupool $POOL on CPU 1"
    cleanup
    exit 1
fi

cat >"$XB_TMP/xres-sched.conf" <<EOF
tick_ms = 2000
cpu_load_mode = "average"
cpu_load_window = 3
cpu_busy_pct = 80
cpu_idle_pct = 30
cpu_demand_window = 3
EOF
xresd_start --config "$XB_TMP/xres-sched.conf" || { cleanup; exit 1; }

out=$(xres sched-list)
assert_match '^Scheduler credit: 2 CPUs' "$out" "sched-list names the credit scheduler"
assert_match '^Name +ID +Weight +Cap' "$(echo "$out" | sed -n 2p)" "sched-list columns as xl sched-credit"

# --- refusals, each with a reason
assert_fail "weight 70000 refused" xres sched-set g1 weight=70000
assert_fail "cap above 100 x vCPUs refused" xres sched-set g1 cap=150
assert_fail "guarantee beyond the vCPUs refused" \
    xres sched-policy g1 shares priority=1000 guarantee=150
assert_ok "dom0 guarantee 150%" xres sched-policy Domain-0 shares priority=256 guarantee=150
err=$(xres sched-policy g1 shares priority=1000 guarantee=100 2>&1)
assert_match 'add up to 250%' "$err" "guarantees summing above Max (200%) refused"
assert_ok "dom0 policy reset" xres sched-policy --reset Domain-0
# The guarantee raised dom0's weight; policy none leaves it, so put it back.
assert_ok "dom0 weight back to 256" xres sched-set Domain-0 weight=256
assert_eq 256 "$(xl_weight Domain-0)" "xl sees dom0's weight 256 again"

# --- (1) weights 512 and 256 on one CPU: shares about 2:1
assert_ok "sched-set g1 weight=512" xres sched-set g1 weight=512
assert_ok "sched-set g2 -w 256" xres sched-set g2 -w 256
assert_eq 512 "$(xl_weight g1)" "xl sees g1's weight 512"
assert_eq 256 "$(xl_weight g2)" "xl sees g2's weight 256"
burn g1 $((WINDOW + 60)) >/dev/null
burn g2 $((WINDOW + 60)) >/dev/null
sleep 5
a1=$(cpu_s g1); a2=$(cpu_s g2)
sleep "$WINDOW"
b1=$(cpu_s g1); b2=$(cpu_s g2)
ratio=$(awk -v a1="$a1" -v b1="$b1" -v a2="$a2" -v b2="$b2" \
    'BEGIN { d2 = b2 - a2; if (d2 <= 0) print "inf"; else printf "%.2f", (b1 - a1) / d2 }')
xb_say "XB-TIMING sched-share-g1 $(xb_secs "$a1" "$b1")"
xb_say "XB-TIMING sched-share-g2 $(xb_secs "$a2" "$b2")"
if awk -v r="$ratio" 'BEGIN { exit !(r != "inf" && r >= 1.7 && r <= 2.3) }'; then
    xb_pass "weights 512:256 give CPU shares $ratio:1 (2:1 +-15%)"
else
    xb_fail "weights 512:256: expected shares 2:1 +-15%, got $ratio:1"
fi

# --- (2) cap 20: a burning guest stays at about a fifth of a CPU
unburn g2 || xb_fail "cpuburn in g2 did not stop"
assert_ok "sched-set g1 cap=20" xres sched-set g1 cap=20
assert_eq 20 "$(xl_cap g1)" "xl sees g1's cap 20"
sleep 3
a1=$(cpu_s g1); t0=$(now_s)
sleep 20
b1=$(cpu_s g1); t1=$(now_s)
use=$(awk -v a="$a1" -v b="$b1" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "%.1f", (b - a) / (t1 - t0) * 100 }')
xb_say "XB-TIMING sched-cap20-use-pct $use"
if awk -v u="$use" 'BEGIN { exit !(u <= 25 && u >= 5) }'; then
    xb_pass "g1 under cap 20 used $use% of a CPU (<= 25%)"
else
    xb_fail "g1 under cap 20: expected 5..25% of a CPU, got $use%"
fi
# xres measured it the same way.
xuse=$(xres sched-list g1 | awk '$1 == "g1" { print $5 }')
if awk -v u="$xuse" 'BEGIN { exit !(u + 0 <= 30) }'; then
    xb_pass "xres measures g1 at $xuse% under cap 20"
else
    xb_fail "xres measures g1 at $xuse% under cap 20, expected <= 30"
fi

# --- (3) demand-following: pegged g1 rises from 20, idle g2 falls from 60
# g1 burns on (a fresh run, long enough for the whole of this part); g2
# must be idle.
unburn g1
burn g1 300 >/dev/null
if wait_for 60 idle g2; then
    xb_pass "g2 is idle ($(xres_use g2)% of a CPU)"
else
    xb_fail "g2 is not idle: xres measures $(xres_use g2)% of a CPU"
fi
assert_ok "g2 cap 60" xres sched-set g2 cap=60
assert_ok "g1 demand policy" xres sched-policy g1 demand min=10 max=80 step=10
assert_ok "g2 demand policy" xres sched-policy g2 demand min=10 max=80 step=10
out=$(xres sched-policy g1)
assert_eq "g1: demand min=10 max=80 step=10 (run-time)" "$out" "sched-policy shows g1's policy"
# Kept in XenStore for a restarted daemon: one numbered entry per domain.
spec=
for n in $(xenstore-list /local/domain/0/xres/sched/policy 2>/dev/null); do
    [ "$(xenstore-read "/local/domain/0/xres/sched/policy/$n/name")" = g1 ] &&
        spec=$(xenstore-read "/local/domain/0/xres/sched/policy/$n/spec")
done
assert_eq 'demand min=10 max=80 step=10' "$spec" "g1's policy kept in XenStore"
# shellcheck disable=SC2016 # expanded by the inner shell, each poll
if wait_for 120 sh -c '[ "$(xl sched-credit -d g1 | awk "NR == 2 { print \$4 }")" -gt 20 ]'; then
    xb_pass "pegged g1's cap rose above 20 (now $(xl_cap g1))"
else
    xb_fail "pegged g1's cap did not rise above 20 (still $(xl_cap g1))"
fi
# shellcheck disable=SC2016 # expanded by the inner shell, each poll
if wait_for 120 sh -c '[ "$(xl sched-credit -d g2 | awk "NR == 2 { print \$4 }")" -lt 60 ]'; then
    xb_pass "idle g2's cap fell below 60 (now $(xl_cap g2))"
else
    xb_fail "idle g2's cap did not fall below 60 (still $(xl_cap g2))"
fi
c1=$(xl_cap g1); c2=$(xl_cap g2)
if [ "$c1" -le 80 ] && [ "$c2" -ge 10 ]; then
    xb_pass "caps stay within 10..80 ($c1, $c2)"
else
    xb_fail "caps left 10..80: g1 $c1, g2 $c2"
fi
xres sched-list >"$XB_TMP/sched-list.txt"
xb_say "XB-OUT $(grep -E '^ +g[12]:' "$XB_TMP/sched-list.txt" | tr '\n' ';')"

# --- (4) sched-list agrees with xl sched-credit for every domain
assert_ok "g1 policy none" xres sched-policy g1 none
assert_ok "g2 policy none" xres sched-policy g2 none
unburn g1
xl sched-credit | awk 'NF == 4 && $2 ~ /^[0-9]+$/ { print $1, $2, $3, $4 }' | sort >"$XB_TMP/xl.sched"
xres sched-list | awk 'NR > 2 && NF >= 7 && $2 ~ /^[0-9]+$/ { print $1, $2, $3, $4 }' | sort >"$XB_TMP/xres.sched"
n=$(wc -l <"$XB_TMP/xl.sched")
[ "$n" -ge 3 ] || xb_fail "xl sched-credit listed $n domains"
assert_eq "$(tr '\n' ';' <"$XB_TMP/xl.sched")" "$(tr '\n' ';' <"$XB_TMP/xres.sched")" \
    "xres sched-list agrees with xl sched-credit (Name ID Weight Cap)"
xres sched-list --json >"$XB_TMP/sched.json"
assert_eq credit "$(json_get "$XB_TMP/sched.json" scheduler)" "sched-list --json scheduler"
assert_ok "sched-list --json has g1's history" json_get "$XB_TMP/sched.json" domains.1.history.0.use_pct

cleanup
