#!/bin/sh
# tests/system/30-agent.sh: xres-agent in a real guest, and xresd's side of
# it.  (1) a guest that touches 64 MiB shows mem-used up by 64 MiB +- 8 MiB
# and down again once freed; (2) an application that is killed goes to
# fault level 1, is restarted and returns to 0, one that cannot start
# reaches level 2, and notify sets a level; requests from dom0 are carried
# out and acked with their sequence number; (3) a guest that writes garbage,
# oversize values and a burst of 10,000 writes into its data/xres/report
# leaves xresd up, logging the rejection and serving `xres list` for every
# domain; (4) a guest cannot write the request directory dom0 made for it.
# The guests' agent.conf is tests/xenbed/guest/agent.conf.
# shellcheck shell=dash
# shellcheck disable=SC2016 # commands for the guest are quoted on purpose
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

FLOOD=${XB_AGENT_FLOOD:-10000}

xb_create_guest a1 256 512 || exit 1
xb_create_guest a2 192 384 || exit 1
D=$(domid_of a1)
D2=$(domid_of a2)
R=/local/domain/$D/data/xres

# A report field (mem-used), or a key under data/xres (app/web/level).
rd() {
    case $1 in
    */*) xenstore-read "$R/$1" 2>/dev/null ;;
    *) agent_field "$D" "$1" ;;
    esac
}
seq_ge() { v=$(rd seq) && [ "$v" -ge "$1" ]; }
ge() { v=$(rd "$1") && [ "$v" -ge "$2" ]; }
le() { v=$(rd "$1") && [ "$v" -le "$2" ]; }
is() { [ "$(rd "$1")" = "$2" ]; }

# ------------------------------------------------------------ reports
if ! wait_for 90 xenstore-exists "$R/report"; then
    xb_fail "no report from the agent in a1 (domid $D) within 90 s"
    xb_guest_exec a1 'cat /var/log/xres-agent.log' | tail -n 5
    exit 1
fi
xb_pass "the agent in a1 reports under $R"
assert_match '^[0-9]+\.[0-9]+\.[0-9]+' "$(rd version)" "version is written"
total=$(rd mem-total)
avail=$(rd mem-avail)
used=$(rd mem-used)
assert_eq $((total - avail)) "$used" "mem-used = mem-total - mem-avail"
assert_eq "$(xs_dom "$D" memory/target)" "$(rd balloon-target)" \
    "balloon-target is the toolstack's memory/target"
s0=$(rd seq)
case $s0 in ''|*[!0-9]*) xb_fail "seq is not a number: $s0"; s0=0 ;; esac
wait_for 30 seq_ge $((s0 + 1)) ||
    xb_fail "seq did not move from $s0 in 30 s (heartbeat 10 s)"
xb_pass "seq moves: $s0 -> $(rd seq)"

# ------------------------------------------------------------ (1) memory
# Settle, then the baseline.
sleep 3
u0=$(rd mem-used)
xb_guest_exec a1 'memhog 64 >/tmp/memhog.out 2>&1 & echo $! >/tmp/memhog.pid' >/dev/null
if wait_for 60 ge mem-used $((u0 + 57344)); then
    sleep 2
    u1=$(rd mem-used)
    d=$((u1 - u0))
    if [ $d -ge 57344 ] && [ $d -le 73728 ]; then
        xb_pass "mem-used rose by $d KiB with 64 MiB touched (65536 +- 8192)"
    else
        xb_fail "mem-used rose by $d KiB, expected 65536 +- 8192 ($u0 -> $u1)"
    fi
else
    xb_fail "mem-used did not rise by 56 MiB within 60 s (from $u0: $(rd mem-used))"
fi
xb_guest_exec a1 'kill $(cat /tmp/memhog.pid)' >/dev/null
if wait_for 60 le mem-used $((u0 + 8192)); then
    xb_pass "mem-used fell back once freed ($u0 -> $(rd mem-used))"
else
    xb_fail "mem-used did not fall back to $u0 + 8 MiB within 60 s: $(rd mem-used)"
fi

# ------------------------------------------------------------ (2) applications
A=app/web
wait_for 60 is $A/level 0 || xb_fail "web did not reach level 0: $(rd $A/level)"
assert_eq running "$(rd $A/state)" "web runs"
assert_eq 0 "$(rd $A/hot-standby)" "web is no hot standby"
assert_eq 16384 "$(rd $A/memory)" "web's memory from agent.conf"
wait_for 60 is app/broken/level 2 || xb_fail "broken did not reach level 2: $(rd app/broken/level)"
assert_eq 2 "$(rd app/broken/level)" "an application that cannot start reaches level 2"
assert_eq failed "$(rd app/broken/state)" "broken is failed"
assert_eq 2 "$(rd app/broken/restarts)" "broken was restarted max_restarts (2) times"

# Watch web's level from dom0 while it is killed.
r0=$(rd $A/restarts)
: >"$XB_TMP/levels"
(xenstore-watch "$R/$A/level" | while read -r _p; do
     xenstore-read "$R/$A/level" >>"$XB_TMP/levels" 2>/dev/null
 done) &
watcher=$!
sleep 1
xb_guest_exec a1 'kill $(cat /run/web.pid)' >/dev/null
wait_for 60 sh -c "[ \"\$(xenstore-read $R/$A/restarts)\" = $((r0 + 1)) ] && [ \"\$(xenstore-read $R/$A/level)\" = 0 ]" ||
    xb_fail "web was not restarted back to level 0 (level $(rd $A/level), restarts $(rd $A/restarts))"
sleep 1
kill "$watcher" 2>/dev/null
assert_eq $((r0 + 1)) "$(rd $A/restarts)" "the agent restarted web once"
assert_eq 0 "$(rd $A/level)" "web is back at level 0"
assert_match '^1$' "$(grep -x 1 "$XB_TMP/levels" | head -n 1)" \
    "web went through level 1 (levels seen: $(tr '\n' ' ' <"$XB_TMP/levels"))"
assert_ok "web runs again" xb_guest_exec a1 'kill -0 $(cat /run/web.pid)'
# The agent runs at agent.conf's nice (default -10); the applications it
# starts run at the priority it was started with (0), not at its own.
# (The agent is the oldest xres-agent: a job it forks carries the name
# until it execs.  The figures go back with a prefix: the guest's channel
# hands its output to xenstore-write, which takes "-10" for an option.)
assert_eq nice=-10 "$(xb_guest_exec a1 'p=$(for p in $(pidof xres-agent); do echo $p; done | sort -n | head -n 1); echo nice=$(cut -d" " -f19 /proc/$p/stat)')" \
    "the agent runs at nice -10"
assert_eq nice=0 "$(xb_guest_exec a1 'echo nice=$(cut -d" " -f19 /proc/$(cat /run/web.pid)/stat)')" \
    "web, which the agent restarted, runs at nice 0"

# The application sets its own level.
assert_ok "notify web 3" xb_guest_exec a1 'xres-agent notify web 3'
wait_for 30 is $A/level 3 || true
assert_eq 3 "$(rd $A/level)" "notify 3: serious fault"
assert_ok "notify web 0" xb_guest_exec a1 'xres-agent notify web 0'
wait_for 30 is $A/level 0 || true
assert_eq 0 "$(rd $A/level)" "notify 0 clears it"
assert_fail "notify of an unknown application" xb_guest_exec a1 'xres-agent notify mail 1'

# ------------------------------------------------------------ footprint
# Figures only (bench/agent_footprint.sh measures the same way).  For the
# window the agent runs with --heartbeat 1, so it writes a report every
# second whatever changed, and a loop in a1 flips a tmpfs file between 0
# and 256 KiB every second, so mem-avail and mem-used change too (the seq
# count over the window shows how many reports went out).  Over 60 s: the
# agent's CPU from utime+stime (10 ms ticks) and from /proc/PID/schedstat
# (ns on a CPU), and its VmRSS.  Then
# bench/agent_mix in the same guest: a fixed mix of system calls timed
# under this emulation, to set against the same program on the host.  The
# loop keeps running for the next section.
agent_restart() {
    xb_guest_exec a1 'kill $(pidof xres-agent)' >/dev/null
    wait_for 30 sh -c "! xenstore-exists $R/report" || xb_fail "the agent did not remove its report on SIGTERM"
    xb_guest_exec a1 "xres-agent $1 >/var/log/xres-agent.$2.log 2>&1 </dev/null &" >/dev/null
    wait_for 60 xenstore-exists "$R/report" || xb_fail "the agent ($1) did not report within 60 s"
}
xb_guest_exec a1 'rm -f /tmp/churn.stop; (i=0; while [ ! -e /tmp/churn.stop ]; do head -c $(( (i % 2) * 262144 )) /dev/zero >/tmp/churn; i=$((i + 1)); sleep 1; done) >/dev/null 2>&1 </dev/null & echo $!' >/dev/null
agent_restart "--heartbeat 1" fp
sleep 5
# One line (xenstore-read would escape tabs and newlines): "VmRSS: N kB
# UTIME STIME UPTIME RUN_NS voluntary_ctxt_switches: N
# nonvoluntary_ctxt_switches: N" (a voluntary switch is a sleep, so they
# count the agent's wake-ups; the others are preemptions).  No backslashes
# in guest commands: xenstore-write would unescape them.
fp() {
    xb_guest_exec a1 'p=$(pidof xres-agent); echo $(grep VmRSS /proc/$p/status) $(cut -d" " -f14,15 /proc/$p/stat) $(cut -d" " -f1 /proc/uptime) $(cut -d" " -f1 /proc/$p/schedstat) $(grep ^voluntary_ctxt /proc/$p/status) $(grep ^nonvoluntary_ctxt /proc/$p/status)'
}
# fp_window SECONDS LABEL: the running agent's figures over a window.
fp_window() {
    local secs=$1 label=$2 q0 q1 rss0 tk0 up0 ns0 vs0 nv0
    q0=$(rd seq)
    # shellcheck disable=SC2046 # split into the figures
    set -- $(fp)
    rss0=$2 tk0=$(($4 + $5)) up0=$6 ns0=$7 vs0=$9 nv0=${11}
    sleep "$secs"
    q1=$(rd seq)
    # shellcheck disable=SC2046
    set -- "$label" $(fp)
    xb_say "XB-INFO agent_rss_kb ($1) $rss0 $3"
    xb_say "XB-INFO agent_reports ($1) $((q1 - q0)) in $(awk -v a="$up0" -v b="$7" 'BEGIN { printf "%.0f", b - a }') s, $((${10} - vs0)) wake-ups, $((${12} - nv0)) preemptions"
    xb_say "XB-INFO agent_cpu_pct ($1) $(awk -v a="$tk0" -v b="$(($5 + $6))" -v t0="$up0" -v t1="$7" -v n0="$ns0" -v n1="$8" 'BEGIN { printf "%.3f (ticks) %.4f (schedstat) over %.0f s", (b - a) / 100 * 100 / (t1 - t0), (n1 - n0) / 1e9 * 100 / (t1 - t0), t1 - t0 }')"
    xb_say "XB-INFO agent_cpu_ms_per_report ($1) $(awk -v n0="$ns0" -v n1="$8" -v r="$((q1 - q0))" 'BEGIN { printf "%.2f", r ? (n1 - n0) / 1e6 / r : 0 }')"
}
fp_window "${XB_AGENT_FP_SECS:-60}" busy
if xb_guest_exec a1 'command -v agent_mix' >/dev/null; then
    xb_guest_exec a1 'rm -f /tmp/mix.done; (agent_mix 20000 >/tmp/mix.out 2>&1; touch /tmp/mix.done) </dev/null >/dev/null 2>&1 &' >/dev/null
    wait_for 600 xb_guest_exec a1 'test -e /tmp/mix.done' || true
    i=1
    while l=$(xb_guest_exec a1 "sed -n ${i}p /tmp/mix.out") && [ -n "$l" ]; do
        xb_say "XB-INFO agent_mix_guest $l"
        i=$((i + 1))
    done
fi
# The same with the loop stopped: a report a second still (--heartbeat
# 1), in a guest where nothing else wakes every second.
xb_guest_exec a1 'touch /tmp/churn.stop' >/dev/null
sleep 3
fp_window 30 quiet
# Where the agent's time goes, each over 20 s beside the running agent:
# a second agent with no applications (its reports overwrite the first's,
# which does not matter here), the same at nice -10 (so that the XenStore
# kernel thread its write wakes does not preempt it), the same printing
# its reports instead of writing them to XenStore (sampling and
# wake-ups), and a program that only wakes once a second.
if xb_guest_exec a1 'command -v agent_footprint' >/dev/null; then
    # (busybox has renice, not nice)
    xb_guest_exec a1 "echo 'renice -n -10 -p \$\$ >/dev/null; exec xres-agent \"\$@\"' >/tmp/nice-agent" >/dev/null
    for what in "xs-no-apps xres-agent --heartbeat 1 -c /dev/null --socket /tmp/fp1.sock" \
                "xs-no-apps-nice sh /tmp/nice-agent --heartbeat 1 -c /dev/null --socket /tmp/fp1.sock" \
                "print-no-apps xres-agent --print --heartbeat 1 -c /dev/null --socket /tmp/fp2.sock" \
                "idle agent_mix --idle 40"; do
        # shellcheck disable=SC2086 # split into the name and the command
        set -- $what
        name=$1
        shift
        l=$(xb_guest_exec a1 "agent_footprint -t 20 --spawn $* | grep -e cpu_pct_ns -e wakeups")
        # xenstore-read shows the newline as the two characters \n.
        xb_say "XB-INFO agent_cost $name: $(printf '%s' "$l" | sed 's/\\n/; /g' | tr -s ' ')"
    done
fi
xb_guest_exec a1 'rm -f /tmp/churn.stop; (i=0; while [ ! -e /tmp/churn.stop ]; do head -c $(( (i % 2) * 262144 )) /dev/zero >/tmp/churn; i=$((i + 1)); sleep 1; done) >/dev/null 2>&1 </dev/null & echo $!' >/dev/null
# Back to the configuration's rates, every key written afresh.
agent_restart "" main

# ------------------------------------------------------------ xresd
xresd_start || exit 1
Q=/local/domain/$D/xres
if ! wait_for 30 xenstore-exists "$Q/request"; then
    xb_fail "xresd did not create $Q/request"
fi

# ------------------------------------------------------------ (4) request directory
assert_fail "guest cannot create a request" \
    xb_guest_exec a1 "xenstore-write $Q/request/999 'stop web'"
assert_fail "guest cannot create a request (relative path)" \
    xb_guest_exec a1 "xenstore-write xres/request/999 'stop web'"
assert_fail "guest cannot write the sequence number" \
    xb_guest_exec a1 "xenstore-write xres/seq 1000"
assert_fail "guest cannot remove the request directory" \
    xb_guest_exec a1 "xenstore-rm xres/request"
assert_fail "guest cannot add keys beside it" \
    xb_guest_exec a1 "xenstore-write xres/evil 1"
assert_fail "guest cannot change its permissions" \
    xb_guest_exec a1 "xenstore-chmod xres/request b$D"
assert_ok "guest can read it" xb_guest_exec a1 "xenstore-read xres/seq"
assert_fail "no request 999 appeared" xenstore-exists "$Q/request/999"
assert_eq "n0 r$D" "$(xenstore-ls -p "$Q" 2>/dev/null | awk '$1 == "request" { sub(/.*\(/, ""); sub(/\).*/, ""); print }' | tr ',' ' ')" \
    "request directory: owner dom0, guest read-only"

# Requests, as xresd sends them: the next number, then the request.
req() {
    local n
    n=$(($(xenstore-read "$Q/seq") + 1))
    xenstore-write "$Q/seq" "$n" "$Q/request/$n" "$1"
    echo "$n"
}
ack_of() {
    wait_for 30 xenstore-exists "$R/ack/$1" || return 1
    xenstore-read "$R/ack/$1"
}
n=$(req "stop web")
assert_eq "ok stopped web" "$(ack_of "$n")" "stop web is acked with its sequence number ($n)"
wait_for 30 is $A/state stopped || true
assert_eq stopped "$(rd $A/state)" "web is stopped"
n=$(req "start web")
assert_eq "ok started web" "$(ack_of "$n")" "start web acked ($n)"
wait_for 30 is $A/state running || true
assert_eq running "$(rd $A/state)" "web runs again"
lv=$(rd $A/level)
n=$(req "frobnicate everything")
assert_match '^error unknown request' "$(ack_of "$n")" "an unknown request is acked with an error ($n)"
n=$(req "stop mail")
assert_eq "error no application mail in agent.conf" "$(ack_of "$n")" "stop of an unknown application ($n)"
assert_eq "$lv" "$(rd $A/level)" "bad requests changed nothing"
n=$(req "engage")
assert_match '^ok ' "$(ack_of "$n")" "engage is acked ($n)"
tgt=$(xs_dom "$D" memory/target)
n=$(req "release $tgt drop-caches")
assert_match '^ok balloon at [0-9]+ KiB$' "$(ack_of "$n")" "release to the current target is acked ($n)"

# ------------------------------------------------------------ (3) a hostile guest
# Stop the agent so its own writes do not hide the garbage.
xb_guest_exec a1 'kill $(pidof xres-agent)' >/dev/null
wait_for 30 sh -c "! xenstore-exists $R/report" || xb_fail "the agent did not remove its report on SIGTERM"
assert_ok "guest writes garbage" xb_guest_exec a1 \
    "xenstore-write data/xres/report 'seq=7 version=x%y heartbeat=1 heartbeat-interval=10 mem-total=12abc mem-avail=1 mem-used=1 swap-used=0 balloon-cur=0 balloon-target=0 cpu-pct=999'"
assert_ok "guest writes an oversize value" xb_guest_exec a1 \
    "xenstore-write data/xres/report \$(head -c 1500 /dev/zero | tr '\\0' 9)"
wait_for 30 grep -q "dom$D: agent report rejected" "$XB_TMP/xresd.log" ||
    xb_fail "xresd logged no rejection for dom$D"
assert_match "dom$D: agent report rejected" "$(grep "dom$D: agent report rejected" "$XB_TMP/xresd.log" | head -n 1)" \
    "xresd logs the rejection, naming the domain"
assert_ok "guest floods data/xres with $FLOOD writes" xb_guest_exec a1 \
    "appsim --xs-flood $FLOOD"
assert_ok "xresd is still running" sh -c "kill -0 $(xresd_pid)"
out=$XB_TMP/agent-list.txt
rc=0
xres list >"$out" 2>&1 || rc=$?
assert_eq 0 "$rc" "xres list still answers"
assert_eq "$(xb_domains | awk '{ print $1 }' | tr '\n' ' ')" \
    "$(awk 'NR > 1 { print $2 }' "$out" | tr '\n' ' ')" "xres list shows every domain"
assert_eq "-" "$(awk -v id="$D" 'NR > 1 && $2 == id { print $8 }' "$out")" \
    "a1 counts as not reporting: Used is -"
assert_match '^[0-9]+$' "$(awk -v id="$D2" 'NR > 1 && $2 == id { print $8 }' "$out")" \
    "a2, whose agent is fine, still shows Used"
nlog=$(grep -c "dom$D:" "$XB_TMP/xresd.log")
if [ "$nlog" -le 20 ]; then
    xb_pass "the log about dom$D stayed short: $nlog lines for $FLOOD writes"
else
    xb_fail "xresd logged $nlog lines about dom$D: not rate-limited"
fi

# The agent comes back: reporting again.
xb_guest_exec a1 'xres-agent >/var/log/xres-agent.2.log 2>&1 </dev/null &' >/dev/null
wait_for 60 sh -c "xres list | awk -v id=$D 'NR > 1 && \$2 == id { exit !(\$8 ~ /^[0-9]+\$/) }'" ||
    xb_fail "a1 did not report again after the agent restarted"
assert_match '^[0-9]+$' "$(xres list | awk -v id="$D" 'NR > 1 && $2 == id { print $8 }')" \
    "a1 reports again: Used is a figure"

# ------------------------------------------------------------ commands never block
# (After the hostile guest: restarting the agent makes xresd log, and its
# per-domain log limit must not be spent before that section.)
# The agent again, with one more application whose start command takes
# 25 s.  While it runs, the agent goes on reporting, refuses a second
# command for that application as busy, and acks a request for another
# application first; the slow start is acked when it ends.
xb_guest_exec a1 'kill $(pidof xres-agent)' >/dev/null
wait_for 30 sh -c "! xenstore-exists $R/report" || xb_fail "the agent did not remove its report on SIGTERM"
xb_guest_exec a1 "grep -v -e '^apps' -e '^command_timeout' /etc/xres/agent.conf >/tmp/slow.conf; echo \"command_timeout = 90; apps = [ 'web', 'broken', 'slow' ]\" >>/tmp/slow.conf; echo \"slow.check = 'true'; slow.start = 'sleep 25; touch /tmp/slow.started'; slow.stop = 'rm -f /tmp/slow.started'\" >>/tmp/slow.conf" >/dev/null
assert_ok "agent.conf with a slow application passes --check-config" \
    xb_guest_exec a1 'xres-agent -c /tmp/slow.conf --check-config'
assert_fail "--check-config fails on an unknown key" \
    xb_guest_exec a1 "cp /tmp/slow.conf /tmp/typo.conf; echo 'slow.strat = 1' >>/tmp/typo.conf; xres-agent -c /tmp/typo.conf --check-config"
assert_match 'typo.conf:[0-9]+: unknown key "slow.strat", ignored' \
    "$(xb_guest_exec a1 'xres-agent -c /tmp/typo.conf --check-config 2>&1 | head -n 1')" \
    "the warning names the file, the line and the key"
xb_guest_exec a1 'xres-agent -c /tmp/slow.conf >/var/log/xres-agent.slow.log 2>&1 </dev/null &' >/dev/null
wait_for 60 is app/slow/level 0 || xb_fail "slow did not report level 0: $(rd app/slow/level)"
wait_for 60 is $A/state running || true
n1=$(req "start slow")
n2=$(req "stop slow")
assert_eq "error busy: a start command of slow is running" "$(ack_of "$n2")" \
    "a second command for slow while its start runs is refused as busy ($n2)"
n3=$(req "stop web")
assert_eq "ok stopped web" "$(ack_of "$n3")" "stop web is acked while slow starts ($n3)"
assert_fail "start slow ($n1) is not acked yet" xenstore-exists "$R/ack/$n1"
s0=$(rd seq)
case $s0 in ''|*[!0-9]*) xb_fail "seq is not a number: $s0"; s0=0 ;; esac
wait_for 30 seq_ge $((s0 + 3)) || true
assert_ok "reports go on while slow starts (seq $s0 -> $(rd seq))" \
    seq_ge $((s0 + 3))
assert_fail "start slow ($n1) is still not acked" xenstore-exists "$R/ack/$n1"
wait_for 90 xenstore-exists "$R/ack/$n1" || true
assert_eq "ok started slow" "$(xenstore-read "$R/ack/$n1" 2>/dev/null)" \
    "start slow is acked once its command ends ($n1)"
assert_ok "slow's start command ran to its end" xb_guest_exec a1 'test -e /tmp/slow.started'
xb_guest_exec a1 'touch /tmp/churn.stop' >/dev/null

xresd_stop
assert_eq 0 "$?" "xresd exits 0 on SIGTERM"
