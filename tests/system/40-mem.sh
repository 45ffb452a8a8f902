#!/bin/sh
# tests/system/40-mem.sh: memory by demand on real Xen.
#  1. three guests with agents: one allocates until deficient, one idles,
#     one is in between: the hungry guest's target and memory rise, the
#     idle guest's fall, and xresd's log shows the donor confirmed before
#     the receiver was raised; the time from the guest's report to the new
#     targets is printed (XB-TIMING, never asserted), and so is xresd's
#     own split of its path (`xres stats`);
#  2. `xres mem-move g1 g2 64M` moves exactly 64 MiB (xl list);
#  3. a guest whose balloon cannot release (the guest is paused, as a hung
#     guest would be) is marked not-responding, its target goes back to its
#     memory, and no memory is lost;
#  4. kill -9 of xresd in the middle of a move, then a restart: the move is
#     finished and every domain sits at a consistent target.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_destroy_all_guests

# Thresholds the small test guests can reach: a 256 MiB PV guest shows
# about 200 MiB of MemTotal, so "deficient" is 65 % here.
conf=$XB_TMP/xres-mem.conf
cat >"$conf" <<'EOF'
mem_high = 65
mem_low = 40
mem_block = "32M"
mem_timeout_ms = 5000
mem_retry_ms = 600000
tick_ms = 2000
EOF

# xresd first: it prepares each guest's request directory as the guest
# appears, before the guest's agent starts.
XRESD_ARGS="-c $conf"
xresd_start || exit 1
log=$XB_TMP/xresd.log
for g in g1 g2 g3; do
    xb_create_guest $g 256 512 || exit 1
done

wait_for 60 sh -c "[ \"\$(xres list | awk '\$1 == \"g1\" { print \$8 }')\" != - ]" ||
    xb_fail "g1 has no agent report after 60 s"
for g in g1 g2 g3; do
    assert_match '^[0-9]+$' "$(used_of $g)" "$g: the agent reports used memory"
    assert_eq ok "$(state_of $g)" "$g: balloon state ok"
done

# 1. By demand -----------------------------------------------------------
sum0=$(host_sum g1 g2 g3)
m1=$(xl_mem g1); m2=$(xl_mem g2); m3=$(xl_mem g3)
# The dom0 side of g1's reports: when each report (its seq) showed up in
# XenStore, on the clock of xresd's stamps (uptime is
# CLOCK_BOOTTIME, the same as CLOCK_MONOTONIC on a host that never
# suspends).
D1=$(domid_of g1)
seqlog=$XB_TMP/g1-seq.log
(sh -c 'echo $$ >"$1"; exec xenstore-watch "$2"' _ "$XB_TMP/seqwatch.pid" \
     "/local/domain/$D1/data/xres/report" |
 while read -r _p; do
     echo "$(cut -d' ' -f1 /proc/uptime) $(agent_field "$D1" seq)"
 done >"$seqlog") &
assert_match 'memhog: holding [0-9]+ MiB' "$(hog_to g3 pct 52)" \
    "memhog holds g3 at 52 % of its target (in between: neither gives nor takes)"
# deficient (>= 65 %); no swap, so not fuller
assert_match 'memhog: holding [0-9]+ MiB' "$(hog_to g1 pct 72)" \
    "memhog holds g1 at 72 % of its target (deficient)"
if wait_for 120 sh -c "[ \$(xl list g1 | awk 'NR == 2 { print \$3 }') -gt $m1 ]"; then
    xb_pass "g1's memory rose above $m1 MiB"
else
    xb_fail "g1's memory did not rise above $m1 MiB: $(xres list | grep g1)"
fi
wait_for 60 no_moves
wait_for 60 settled g1 g2 g3 || xb_fail "balloons did not reach their targets"
assert_match '^[0-9]+$' "$(target_of g1)" "g1 target readable"
check "g1's target rose" \
    "g1's target did not rise ($(target_of g1) <= $m1)" \
    test "$(target_of g1)" -gt "$m1"
check "idle g2's memory fell ($(xl_mem g2) < $m2)" \
    "idle g2's memory did not fall ($(xl_mem g2), was $m2)" \
    test "$(xl_mem g2)" -lt "$m2"
assert_eq "$m3" "$(xl_mem g3)" "g3, in between, kept its memory"
assert_eq $((m1 + m2 + m3)) $(($(xl_mem g1) + $(xl_mem g2) + $(xl_mem g3))) \
    "the three guests hold as much memory as before"
check "guests + free memory unchanged" \
    "guests + free memory changed: $sum0 -> $(host_sum g1 g2 g3)" \
    near "$sum0" "$(host_sum g1 g2 g3)" 4

# Order in the log: for the first move into g1, the donor's confirmation
# comes before the receiver's raise.
raise=$(grep -n 'raise receiver (g1)' "$log" | head -n 1)
id=$(echo "$raise" | sed -n 's/.*# move \([0-9]*\) .*/\1/p')
rline=${raise%%:*}
cline=$(grep -n "move $id: donor .* confirmed" "$log" | head -n 1 | cut -d: -f1)
lline=$(grep -n "move $id .*lower donor" "$log" | head -n 1 | cut -d: -f1)
if [ -n "$id" ] && [ -n "$cline" ] && [ -n "$lline" ] &&
   [ "$lline" -lt "$cline" ] && [ "$cline" -lt "$rline" ]; then
    xb_pass "move $id: donor lowered (line $lline), confirmed (line $cline), then g1 raised (line $rline)"
else
    xb_fail "log order for g1's first move: '$raise' confirm=$cline lower=$lline"
    grep -E 'move|set-target' "$log" | head -n 20 >&2
fi

# Report-to-target time for that move (printed, never asserted): xresd
# logs when it read g1's report and when it wrote the donor's target and
# then g1's, on its monotonic clock; the seq watch adds when the report
# appeared in XenStore.
kill "$(cat "$XB_TMP/seqwatch.pid")" 2>/dev/null
lat=$(grep "mem: latency: move $id: report seq" "$log" | head -n 1)
if [ -n "$id" ] && [ -n "$lat" ]; then
    xb_pass "xresd logged the report-to-target times of move $id"
    lseq=$(echo "$lat" | sed -n 's/.* report seq \([0-9]*\) .*/\1/p')
    lread=$(echo "$lat" | sed -n 's/.* read at \([0-9]*\) ms.*/\1/p')
    lwrite=$(echo "$lat" | sed -n 's/.* target written at \([0-9]*\) ms.*/\1/p')
    lraise=$(grep "mem: latency: move $id: receiver" "$log" | head -n 1 |
             sed -n 's/.* target written at \([0-9]*\) ms.*/\1/p')
    lseen=$(awk -v s="$lseq" '$2 == s { print $1; exit }' "$seqlog")
    xb_say "XB-TIMING mem-report-read-to-donor-target $(awk -v a="$lread" -v b="$lwrite" 'BEGIN { printf "%.3f", (b - a) / 1000 }')"
    [ -n "$lseen" ] &&
        xb_say "XB-TIMING mem-report-in-xenstore-to-donor-target $(awk -v a="$lseen" -v b="$lwrite" 'BEGIN { printf "%.3f", b / 1000 - a }')"
    [ -n "$lraise" ] &&
        xb_say "XB-TIMING mem-report-read-to-receiver-target $(awk -v a="$lread" -v b="$lraise" 'BEGIN { printf "%.3f", (b - a) / 1000 }')"
    xb_say "XB-OUT $lat"
else
    xb_fail "no report-to-target line for g1's first move ('$id') in xresd's log"
fi

# xresd's own split of that path (xres stats --json), printed, never
# asserted: each step's count, median, p99 and largest in ms, the
# snapshot's calls into Xen by kind, each kind of action, the counters.
if xres stats --json >"$XB_TMP/stats.json" 2>"$XB_TMP/stats.err" &&
    jsonflat "$XB_TMP/stats.json" >"$XB_TMP/stats.flat"; then
    awk -F '\t' '
        { n = split($1, a, ".") }
        n == 1 || a[1] == "counters" { if (n == 2) c[a[2]] = $2; next }
        n == 3 && (a[3] == "name" || a[3] == "kind") { nm[a[1] "." a[2]] = $2 }
        n == 3 { v[a[1] "." a[2] "." a[3]] = $2; k[a[1] "." a[2]] = a[1] }
        END {
            for (x in k) {
                p = k[x] == "steps" ? "" : k[x] == "actions" ? "action-" : "snapshot-"
                t = "XB-TIMING xresd-" p nm[x]
                printf "%s-count %s\n", t, v[x ".count"]
                if (k[x] == "snapshot_calls")
                    printf "%s-calls-last %s\n", t, v[x ".last_calls"]
                printf "%s-p50-ms %.3f\n", t, v[x ".p50_ns"] / 1e6
                printf "%s-p99-ms %.3f\n", t, v[x ".p99_ns"] / 1e6
                printf "%s-max-ms %.3f\n", t, v[x ".max_ns"] / 1e6
            }
            for (x in c) printf "XB-TIMING xresd-%s %s\n", x, c[x]
        }' "$XB_TMP/stats.flat" | sort | while read -r line; do
        xb_say "$line"
    done
else
    xb_say "XB-OUT xres stats --json failed: $(cat "$XB_TMP/stats.err")"
fi

# Load goes away: stop the hogs; nothing is taken back without demand.
xb_guest_exec g1 'killall memhog' >/dev/null
xb_guest_exec g3 'killall memhog' >/dev/null
sleep 5
wait_for 60 no_moves
wait_for 60 settled g1 g2 g3

# 2. mem-move ------------------------------------------------------------
a1=$(xl_mem g1); a2=$(xl_mem g2)
rc=0
out=$(xres mem-move g1 g2 64M 2>&1) || rc=$?
assert_eq 0 "$rc" "xres mem-move g1 g2 64M exits 0 ($out)"
wait_for 60 settled g1 g2 g3
assert_eq $((a1 - 64)) "$(xl_mem g1)" "g1 gave exactly 64 MiB"
assert_eq $((a2 + 64)) "$(xl_mem g2)" "g2 took exactly 64 MiB"
# Refusals change nothing.
assert_fail "mem-move from dom0 is refused" xres mem-move Domain-0 g1 64M
assert_fail "mem-move past static-max is refused" xres mem-move g1 g2 2G
assert_eq $((a2 + 64)) "$(xl_mem g2)" "refused moves changed nothing"

# 3. A balloon that cannot release ----------------------------------------
# A paused guest cannot run its balloon driver.  (Filling it with memhog
# does not block the balloon: Linux, with no swap, kills memhog instead.)
sum0=$(host_sum g1 g2 g3)
b3=$(xl_mem g3)
assert_ok "mem-policy g2 max=$(target_of g2)M" xres mem-policy g2 "max=$(target_of g2)M"
assert_ok "g2 paused" xl pause g2
rc=0
out=$(xres mem-move g2 g3 128M 2>&1) || rc=$?
assert_ne 0 "$rc" "mem-move from a blocked balloon fails"
assert_match 'not responding|did not release' "$out" "the error says why"
wait_for 30 sh -c "xres list | awk '\$1 == \"g2\" { print \$10 }' | grep -qx not-responding"
assert_eq not-responding "$(state_of g2)" "xres list shows g2 not-responding"
wait_for 30 settled g1 g2 g3
check "g2's target is back at its memory" \
    "g2 target $(target_of g2) vs memory $(xl_mem g2)" \
    near "$(xl_mem g2)" "$(target_of g2)" 2
assert_eq "$b3" "$(xl_mem g3)" "g3 got nothing from the failed move"
check "no memory lost" \
    "guests + free memory changed: $sum0 -> $(host_sum g1 g2 g3)" \
    near "$sum0" "$(host_sum g1 g2 g3)" 4
assert_ok "g2 unpaused" xl unpause g2

# 4. kill -9 in the middle of a move --------------------------------------
wait_for 60 no_moves
c1=$(xl_mem g1); c3=$(xl_mem g3)
sum0=$(host_sum g1 g2 g3)
assert_ok "mem-move --no-wait g1 g3 96M starts" xres mem-move --no-wait g1 g3 96M
kill -KILL "$(xresd_pid)"
wait_for 30 test -e "$XB_TMP/xresd.status"
rm -f "$XB_TMP/xresd.pid"
assert_ok "a move record is left in XenStore" \
    sh -c "xenstore-list /local/domain/0/xres/mem/moves | grep -q ."
XRESD_ARGS="-c $conf"
xresd_start || exit 1
# xresd listens before its subsystems have started: wait for their lines.
wait_for 60 grep -q 'xresd .* started' "$log" ||
    xb_fail "the restarted xresd did not log that it started"
check "the restarted xresd took the move over" \
    "no 'taken over' in the log of the restarted xresd" \
    grep -q "taken over" "$log"
wait_for 60 no_moves || xb_fail "the move did not finish after the restart"
wait_for 60 settled g1 g2 g3 || xb_fail "balloons did not reach their targets"
assert_eq $((c1 - 96)) "$(xl_mem g1)" "g1 gave exactly 96 MiB across the restart"
assert_eq $((c3 + 96)) "$(xl_mem g3)" "g3 took exactly 96 MiB across the restart"
for g in g1 g2 g3; do
    check "$g at its target" "$g: memory $(xl_mem $g) vs target $(target_of $g)" \
        near "$(xl_mem $g)" "$(target_of $g)" 2
done
check "no memory lost or counted twice" \
    "guests + free memory changed: $sum0 -> $(host_sum g1 g2 g3)" \
    near "$sum0" "$(host_sum g1 g2 g3)" 4
assert_eq "" "$(xenstore-list /local/domain/0/xres/mem/moves 2>/dev/null)" \
    "no move record left"

xresd_stop
xb_destroy_all_guests
