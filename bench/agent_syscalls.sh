#!/bin/sh
# bench/agent_syscalls.sh: system calls and XenStore requests per report of
# xres-agent on a host without Xen.  Runs the agent against
# bench/fake_xenstored.py (a UNIX socket standing in for xenstored) under
# `strace -c -f`, one report forced each second (--heartbeat 1), for a
# window, then prints the agent's system calls and the requests xenstored
# saw, per report.  Prints figures; asserts nothing.
#
# usage: agent_syscalls.sh [-t SECONDS] [AGENT]   (default 20 s,
#        build/bin/xres-agent)
set -u
secs=20
[ "${1:-}" = -t ] && { secs=$2; shift 2; }
agent=${1:-build/bin/xres-agent}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'kill $fx 2>/dev/null; rm -rf "$tmp"' EXIT
command -v strace >/dev/null || { echo "agent_syscalls: needs strace" >&2; exit 1; }

python3 "$here/fake_xenstored.py" "$tmp/xs.sock" >"$tmp/xs.out" &
fx=$!
i=0
while [ ! -S "$tmp/xs.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
: >"$tmp/agent.conf"
XENSTORED_PATH=$tmp/xs.sock timeout -s INT "$secs" \
    strace -f -c -o "$tmp/strace.txt" "$agent" -c "$tmp/agent.conf" \
    --socket "$tmp/agent.sock" --heartbeat "${HEARTBEAT:-1}" --interval-ms 1000 -v \
    2>"$tmp/agent.log"
[ -n "${KEEP_LOG:-}" ] && cp "$tmp/agent.log" "$KEEP_LOG"
reports=$(grep -c 'report [0-9]' "$tmp/agent.log")
kill -USR1 $fx; sleep 0.3
echo "window_s        $secs"
echo "reports         $reports"
awk -v r="$reports" '
/^-+/ { next }
$NF == "total" { printf "syscalls        %d total, %.1f per report\n", $(NF-2), r ? $(NF-2) / r : 0; next }
NR > 2 && $NF ~ /^[a-z_0-9]+$/ { n = ($5 ~ /^[0-9]+$/) ? $4 : $4; calls[$NF] = $4 }
END { for (c in calls) printf "  %-14s %6d  %.1f/report\n", c, calls[c], r ? calls[c] / r : 0 }' "$tmp/strace.txt" | sort -k1,1 -s
echo "xenstore_reqs   $(tail -n 1 "$tmp/xs.out")"
awk -v r="$reports" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); t += kv[2] } }
END { printf "xenstore_reqs   %.1f per report (incl. start-up)\n", r ? t / r : 0 }' "$tmp/xs.out"
