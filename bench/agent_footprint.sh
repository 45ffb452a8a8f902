#!/bin/sh
# bench/agent_footprint.sh: memory and CPU of a running xres-agent.
# Reads VmRSS and VmHWM from /proc/PID/status, utime+stime from
# /proc/PID/stat (clock ticks) and the time on a CPU from
# /proc/PID/schedstat (ns, far finer than ticks) at the start and the end
# of a window, and prints the figures; it asserts nothing.  POSIX sh: runs
# in a busybox guest.  To measure at one report a second, make a figure
# change every second (tests/system/30-agent.sh flips a tmpfs file).
#
# usage: agent_footprint.sh [-p PID] [-t SECONDS] [--spawn AGENT [ARGS...]]
#   -p PID     measure this process (default: pidof xres-agent)
#   -t SECONDS length of the window (default 60)
#   --spawn    start AGENT ARGS... first (e.g. build/bin/xres-agent --print
#              on a host without Xen), measure it, then stop it
# Targets (issue): RSS < 1 MiB, CPU < 0.1% at one report per second.
# shellcheck shell=dash
set -u

pid=""
secs=60
spawned=""

usage() {
    sed -n '2,13s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
    case $1 in
    -p) pid=$2; shift 2 ;;
    -t) secs=$2; shift 2 ;;
    --spawn)
        shift
        [ $# -gt 0 ] || { usage >&2; exit 2; }
        "$@" >/dev/null 2>&1 &
        spawned=$!
        pid=$spawned
        # Let it start and settle before the window opens.
        sleep 2
        break
        ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

case $secs in
''|*[!0-9]*|0) echo "agent_footprint: -t needs a positive number of seconds" >&2; exit 2 ;;
esac
if [ -z "$pid" ]; then
    pid=$(pidof xres-agent 2>/dev/null | awk '{ print $1 }')
fi
if [ -z "$pid" ] || [ ! -r "/proc/$pid/stat" ]; then
    echo "agent_footprint: no running xres-agent (give -p PID or --spawn)" >&2
    exit 1
fi

hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# utime + stime in clock ticks: fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends the command name (which may hold spaces).
ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
status_kb() {
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
run_ns() {
    cut -d' ' -f1 "/proc/$1/schedstat" 2>/dev/null || echo 0
}
uptime_s() {
    cut -d' ' -f1 /proc/uptime
}

t0=$(uptime_s)
c0=$(ticks "$pid") || exit 1
n0=$(run_ns "$pid")
rss0=$(status_kb "$pid" VmRSS)
# Voluntary context switches: one per sleep, so they count wake-ups.
w0=$(status_kb "$pid" voluntary_ctxt_switches)
p0=$(status_kb "$pid" nonvoluntary_ctxt_switches)
sleep "$secs"
if [ ! -r "/proc/$pid/stat" ]; then
    echo "agent_footprint: process $pid went away during the window" >&2
    exit 1
fi
t1=$(uptime_s)
c1=$(ticks "$pid")
n1=$(run_ns "$pid")
rss1=$(status_kb "$pid" VmRSS)
hwm=$(status_kb "$pid" VmHWM)
w1=$(status_kb "$pid" voluntary_ctxt_switches)
p1=$(status_kb "$pid" nonvoluntary_ctxt_switches)
name=$(cat "/proc/$pid/comm")

if [ -n "$spawned" ]; then
    kill "$spawned" 2>/dev/null
    wait "$spawned" 2>/dev/null
fi

awk -v name="$name" -v pid="$pid" -v t0="$t0" -v t1="$t1" -v c0="$c0" \
    -v c1="$c1" -v n0="$n0" -v n1="$n1" -v hz="$hz" -v rss0="$rss0" -v rss1="$rss1" -v hwm="$hwm" \
    -v w0="$w0" -v w1="$w1" -v p0="$p0" -v p1="$p1" '
BEGIN {
    el = t1 - t0
    cpu = (c1 - c0) / hz
    pct = el > 0 ? 100 * cpu / el : 0
    printf "process        %s (pid %s)\n", name, pid
    printf "window_s       %.1f\n", el
    printf "cpu_s          %.2f (%d ticks at %d Hz)\n", cpu, c1 - c0, hz
    printf "cpu_pct        %.4f   (ticks; target < 0.1)\n", pct
    if (n1 > 0 && el > 0)
        printf "cpu_pct_ns     %.4f   (schedstat, %.1f ms on a CPU)\n", (n1 - n0) / 1e9 * 100 / el, (n1 - n0) / 1e6
    printf "rss_kb         %d at start, %d at end   (target < 1024)\n", rss0, rss1
    printf "rss_peak_kb    %d\n", hwm
    if (el > 0)
        printf "wakeups_per_s  %.2f   (voluntary context switches; %.2f/s preempted)\n", (w1 - w0) / el, (p1 - p0) / el
}'
