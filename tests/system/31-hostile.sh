#!/bin/sh
# tests/system/31-hostile.sh: hostile guests and kills of xresd on real Xen.
# Three guests h1..h3 (256 MiB, static-max 512); xres.conf caps h1 at
# 320 MiB and keeps h2 and h3 at 192 MiB or more.  A guest program,
# xshostile, writes to the guest's own XenStore keys as a compromised guest
# could, with the guest's agent stopped where it would write over it.
#  1. h1 reports itself starving (used = total) for a minute: it gets
#     exactly its max, 320 MiB, and no more; the donors keep their floor.
#     Then h1's agent comes back and the memory goes back (256 MiB each).
#  2. h2, with 32 MiB above its 192 MiB floor, reports zero use while h3
#     is really short: h2 gives exactly its one block down to its floor,
#     never below.
#  3. During `xres mem-move h3 h2 32M` between two guests with valid
#     reports, a third guest, h1 (its agent stopped), floods its report,
#     its application keys and its acks with 10^4 writes (garbage,
#     oversized, lying), forges acks and deletes its own keys: the move
#     ends exactly as without the attack (h3 -32, h2 +32, h1 unchanged),
#     `xres list` answers throughout, and xresd's CPU use during the flood
#     is printed.
#  4. h1 fills its XenStore quota: xresd goes on for the others (an exact
#     mem-move between h3 and h2), and refuses a mem-set of h1, which has
#     no valid report, with a reason naming it.
#  5. kill -9 of xresd at 4 points of a mem-move drawn from a seeded random
#     draw (the seed is printed; XB_SEED sets it): after each restart the
#     move is done exactly once or, if it never got in, not at all; memory
#     is conserved; every domain is at its target; no record is left.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_destroy_all_guests

conf=$XB_TMP/xres-hostile.conf
cat >"$conf" <<'EOF'
mem_high = 65
mem_low = 40
mem_block = "32M"
mem_timeout_ms = 5000
mem_retry_ms = 600000
tick_ms = 2000
domains = [ "name=h1, max=320M", "name=h2, min=192M", "name=h3, min=192M" ]
EOF
XRESD_ARGS="-c $conf"
log=$XB_TMP/xresd.log
alllog=$XB_TMP/xresd-hostile-all.log
: >"$alllog"
xresd_start || exit 1
xb_create_guests "h1 256 512" "h2 256 512" "h3 256 512" || exit 1

# Helpers ----------------------------------------------------------------
no_report() { ! reports "$1"; }
# xresd's CPU time in clock ticks (utime + stime).
xresd_ticks() { awk '{ print $14 + $15 }' "/proc/$(xresd_pid)/stat"; }
# kill -9 xresd and start it again; its log so far is kept.
xresd_kill_restart() {
    kill -KILL "$(xresd_pid)"
    wait_for 30 test -e "$XB_TMP/xresd.status"
    rm -f "$XB_TMP/xresd.pid"
    cat "$log" >>"$alllog"
    xresd_start || return 1
    wait_for 60 grep -q 'xresd .* started' "$log" ||
        xb_fail "the restarted xresd did not log that it started"
}

for g in h1 h2 h3; do
    wait_for 60 reports $g || xb_fail "$g has no agent report after 60 s"
done

# 1. A guest that says it is starving -------------------------------------
sum0=$(host_sum h1 h2 h3)
stop_agent h1
xb_guest_exec h1 'xshostile lie starving 60 >/tmp/lie.log 2>&1 &' >/dev/null
if wait_for 120 mem_is h1 320; then
    xb_pass "the starving liar h1 was raised to its max, 320 MiB"
else
    xb_fail "h1 did not reach 320 MiB: $(xres list | grep h1)"
fi
# Several more ticks of lies: nothing beyond the max.
top=0
i=0
while [ $i -lt 20 ]; do
    m=$(xl_mem h1)
    [ "$m" -gt "$top" ] && top=$m
    sleep 1
    i=$((i + 1))
done
assert_eq 320 "$top" "h1 never held more than its max while it lied (highest sample)"
assert_eq 320 "$(target_of h1)" "h1's target is its max"
for g in h2 h3; do
    m=$(xl_mem $g)
    if [ "$m" -ge 192 ]; then
        xb_pass "$g kept its floor ($m >= 192 MiB)"
    else
        xb_fail "$g went below its floor: $m MiB"
    fi
done
wait_for 60 settled h1 h2 h3
check "guests + free memory unchanged ($sum0 MiB)" \
    "guests + free memory changed: $sum0 -> $(host_sum h1 h2 h3)" \
    near "$sum0" "$(host_sum h1 h2 h3)" 4
xb_guest_exec h1 'killall xshostile' >/dev/null
# The liar's agent comes back; the 64 MiB it took goes back to the guests
# that gave it, so that the next parts start from 256 MiB each.
start_agent h1
wait_for 60 reports h1 || xb_fail "h1's agent did not report again"
wait_for 60 no_moves
for g in h2 h3; do
    m=$(xl_mem $g)
    [ "$m" -lt 256 ] && assert_ok "mem-move h1 $g $((256 - m))M" \
        xres mem-move h1 $g "$((256 - m))M"
done
m=$(xl_mem h1)
[ "$m" -gt 256 ] && assert_ok "mem-set h1 256M" xres mem-set h1 256M
wait_for 60 settled h1 h2 h3
assert_eq "256 256 256" "$(xl_mem h1) $(xl_mem h2) $(xl_mem h3)" \
    "after part 1: h1, h2 and h3 at 256 MiB"

# 2. A guest that says it uses nothing, while another is short -------------
# h2 keeps one block (32 MiB) above its floor, h3 gets room for its hog.
assert_ok "mem-move h2 h3 32M" xres mem-move h2 h3 32M
wait_for 60 settled h1 h2 h3
assert_eq "256 224 288" "$(xl_mem h1) $(xl_mem h2) $(xl_mem h3)" \
    "before part 2: h1 256, h2 224, h3 288 MiB"
sum0=$(host_sum h1 h2 h3)
stop_agent h2
xb_guest_exec h2 'xshostile lie idle 90 >/tmp/lie.log 2>&1 &' >/dev/null
# 68 % of 288 MiB is deficient (>= 65 %); one more block (320) is not.
assert_match 'memhog: holding [0-9]+ MiB' "$(hog_to h3 pct 68)" "memhog holds h3 at 68 % (short)"
low=100000
i=0
while [ $i -lt 40 ]; do
    m=$(xl_mem h2); t=$(target_of h2)
    [ "$m" -lt "$low" ] && low=$m
    [ "$t" -lt "$low" ] && low=$t
    sleep 1
    i=$((i + 1))
done
wait_for 60 no_moves
wait_for 60 settled h1 h2 h3
assert_eq 192 "$low" "h2, lying idle, gave down to its floor and never below (lowest memory or target)"
assert_eq 192 "$(xl_mem h2)" "h2 ends at its 192 MiB floor"
assert_eq 320 "$(xl_mem h3)" "h3, short, got the one block h2 gave (320 MiB)"
assert_eq 256 "$(xl_mem h1)" "h1 gave nothing (h2, the most underused, gave first)"
check "guests + free memory unchanged ($sum0 MiB)" \
    "guests + free memory changed: $sum0 -> $(host_sum h1 h2 h3)" \
    near "$sum0" "$(host_sum h1 h2 h3)" 4
xb_guest_exec h3 'killall memhog' >/dev/null
xb_guest_exec h2 'killall xshostile' >/dev/null
start_agent h2
wait_for 60 reports h2 || xb_fail "h2's agent did not report again"
sleep 5
wait_for 60 no_moves
wait_for 60 settled h1 h2 h3 || xb_fail "balloons did not settle after part 2"

# 3. A flood during a mem-move ---------------------------------------------
# The move is between two guests with valid reports (a donor without one
# must not give); h1, the third guest, attacks with its agent stopped.
stop_agent h1
a1=$(xl_mem h1); a2=$(xl_mem h2); a3=$(xl_mem h3)
assert_eq "256 192 320" "$a1 $a2 $a3" "before part 3: h1 256, h2 192, h3 320 MiB"
sum0=$(host_sum h1 h2 h3)
tk0=$(xresd_ticks); t0=$(xb_uptime)
xb_guest_exec h1 'xshostile flood 10000 data/xres/report data/xres/app/web/level data/xres/ack/1 >/tmp/flood.log 2>&1 & xshostile acks 200 >/tmp/acks.log 2>&1 & xshostile rm data/xres/report data/xres/ack' >/dev/null
rc=0
out=$(xres mem-move h3 h2 32M 2>&1) || rc=$?
answered=0
i=0
while [ $i -lt 5 ]; do
    xres list >/dev/null 2>&1 && answered=$((answered + 1))
    i=$((i + 1))
done
assert_eq 5 "$answered" "xres list answered 5 of 5 times during the flood"
flood=$(xb_guest_exec h1 'while pidof xshostile >/dev/null; do sleep 1; done; cat /tmp/flood.log /tmp/acks.log')
tk1=$(xresd_ticks); t1=$(xb_uptime)
xb_say "XB-OUT $flood"
xb_say "XB-TIMING xresd-cpu-pct-during-flood $(awk -v a="$tk0" -v b="$tk1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", (b - a) / (e - s) }')"
assert_eq 0 "$rc" "xres mem-move h3 h2 32M exits 0 under h1's flood ($out)"
wait_for 60 no_moves
wait_for 60 settled h1 h2 h3
assert_eq $((a3 - 32)) "$(xl_mem h3)" "h3 gave exactly 32 MiB under the flood"
assert_eq $((a2 + 32)) "$(xl_mem h2)" "h2 took exactly 32 MiB under the flood"
assert_eq "$a1" "$(xl_mem h1)" "h1, the attacker, kept its memory"
assert_ok "xresd is still running" kill -0 "$(xresd_pid)"
check "no memory lost under the flood" \
    "guests + free memory changed under the flood: $sum0 -> $(host_sum h1 h2 h3)" \
    near "$sum0" "$(host_sum h1 h2 h3)" 4

# 4. A guest that fills its XenStore quota ---------------------------------
# The flood may have ended on a well-formed record: h1 removes its report,
# so that it has none, as a guest without an agent.
assert_ok "h1 removed its report" xb_guest_exec h1 'xshostile rm data/xres/report'
wait_for 30 no_report h1 || xb_fail "xres list still shows a report of h1"
fill=$(xb_guest_exec h1 'xshostile fill')
assert_match 'filled [1-9][0-9]* entries; refused: ' "$fill" "h1 filled its XenStore quota"
xb_say "XB-OUT h1: $fill"
a1=$(xl_mem h1); a2=$(xl_mem h2); a3=$(xl_mem h3)
assert_ok "mem-move h3 h2 32M with h1's quota full" xres mem-move h3 h2 32M
wait_for 60 no_moves
wait_for 60 settled h1 h2 h3
assert_eq $((a2 + 32)) "$(xl_mem h2)" "h2 took exactly 32 MiB with h1's quota full"
assert_eq $((a3 - 32)) "$(xl_mem h3)" "h3 gave exactly 32 MiB with h1's quota full"
assert_eq "$a1" "$(xl_mem h1)" "h1 kept its memory"
# h1's agent is stopped: it has no valid report, so xres does not touch it.
rc=0
out=$(xres mem-set h1 288M 2>&1) || rc=$?
assert_ne 0 "$rc" "mem-set h1 288M (no valid report, quota full) is refused"
assert_match 'domain h1 .*no valid xres-agent report' "$out" "the refusal names h1 and the reason"
assert_eq "$a1" "$(xl_mem h1)" "the refused mem-set changed nothing"
assert_ok "h1's quota emptied" xb_guest_exec h1 'xshostile unfill'

# 5. kill -9 at seeded points of a mem-move --------------------------------
seed=${XB_SEED:-$(($(date +%s) % 100000))}
xb_say "XB-OUT crash points: seed $seed"
points=$(awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 4; i++) printf "%d ", int(rand() * 3000) }')
xb_say "XB-OUT crash points (ms after the move was asked for): $points"
from=h2; to=h3
for ms in $points; do
    wait_for 60 no_moves
    wait_for 60 settled h1 h2 h3
    f0=$(xl_mem $from); t0m=$(xl_mem $to)
    sum0=$(host_sum h1 h2 h3)
    rc=0
    xres mem-move --no-wait $from $to 32M >/dev/null 2>&1 &
    cpid=$!
    usleep $((ms * 1000))
    xresd_kill_restart || exit 1
    wait "$cpid" || rc=$?
    wait_for 60 no_moves || xb_fail "kill at $ms ms: the move did not finish after the restart"
    wait_for 60 settled h1 h2 h3 || xb_fail "kill at $ms ms: balloons did not reach their targets"
    df=$(($(xl_mem $from) - f0)); dt=$(($(xl_mem $to) - t0m))
    if [ "$rc" -eq 0 ]; then
        assert_eq "-32 32" "$df $dt" "kill at $ms ms (move taken): $from -32, $to +32 MiB, exactly once"
    elif [ "$df $dt" = "-32 32" ] || [ "$df $dt" = "0 0" ]; then
        xb_pass "kill at $ms ms (no reply): the move was done once or not at all ($df $dt)"
    else
        xb_fail "kill at $ms ms: $from changed by $df, $to by $dt MiB"
    fi
    for g in h1 h2 h3; do
        near "$(xl_mem $g)" "$(target_of $g)" 2 ||
            xb_fail "kill at $ms ms: $g memory $(xl_mem $g) vs target $(target_of $g)"
    done
    if near "$sum0" "$(host_sum h1 h2 h3)" 4; then
        xb_pass "kill at $ms ms: no memory lost or counted twice"
    else
        xb_fail "kill at $ms ms: guests + free memory changed: $sum0 -> $(host_sum h1 h2 h3)"
    fi
    assert_eq "" "$(xenstore-list /local/domain/0/xres/mem/moves 2>/dev/null)" \
        "kill at $ms ms: no move record left"
    # The next point moves the other way.
    tmp=$from; from=$to; to=$tmp
done

cat "$log" >>"$alllog"
xresd_stop
xb_destroy_all_guests
