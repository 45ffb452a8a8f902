#!/bin/bash
# tests/cli/top-tmux.sh: `xres top` on a real terminal, in tmux, against
# xresd on its simulated host: the header, the domains with their memory
# figures, the sort keys, `q`; then -b and a missing xresd.  Fails (never
# skips) when tmux is missing.  Run by `make unit-check`.
# Usage: tests/cli/top-tmux.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
fail=0
bad() { echo "top-tmux: FAIL: $*" >&2; fail=1; }

command -v tmux >/dev/null || { echo "top-tmux: FAIL: tmux is not" \
    "installed (make deps)" >&2; exit 1; }
for b in xres xresd; do
    [ -x "$build/bin/$b" ] || { echo "top-tmux: FAIL: $build/bin/$b is" \
        "not built" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/xres-top-tmux.XXXXXX)
sock=$dir/xresd.sock
tm=(tmux -S "$dir/tmux.sock")
xresd_pid=
cleanup() {
    "${tm[@]}" kill-server 2>/dev/null
    [ -n "$xresd_pid" ] && kill "$xresd_pid" 2>/dev/null && \
        wait "$xresd_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

# Waits up to $1 tenths of a second for the command after it to succeed.
until_ok() {
    local n=$1; shift
    for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
    return 1
}

"$build/bin/xresd" -F --simulate agents -s "$sock" -c /dev/null \
    >"$dir/xresd.log" 2>&1 &
xresd_pid=$!
until_ok 100 "$build/bin/xres" -s "$sock" list >/dev/null 2>&1 || {
    cat "$dir/xresd.log" >&2; echo "top-tmux: FAIL: xresd did not start" >&2
    exit 1; }

screen() { "${tm[@]}" capture-pane -p -t top; }
shows() { screen | grep -qE "$1"; }
expect() {
    until_ok 50 shows "$1" || { bad "$2"; screen >&2; }
}

"${tm[@]}" new-session -d -s top -x 120 -y 30 \
    "$build/bin/xres -s $sock top -d 1; echo \$? > $dir/status; sleep 600"
expect '^xres top - [0-9:]{8}  Xen 4\.17\.0-sim  credit  2 CPUs' \
    "no header line"
expect '^NAME +ID +MEM +TARGET +USED +CPU% +WEIGHT +CAP +STATE' \
    "no column names"
expect '^Domain-0 +0 +2048 +2048 ' "no Domain-0 with 2048 MiB"
expect '^g1 +1 +1024 +1024 ' "no g1 with 1024 MiB"
expect '^g2 +2 +512 +512 ' "no g2 with 512 MiB"
expect '^  \(no pairs\)' "no pairs section"
expect '^  \(no memory moves in flight\)' "no moves section"

# Sorted by memory, largest first; by name; then quit.
"${tm[@]}" send-keys -t top m
expect '^Sorted by memory' "m does not sort by memory"
order=$(screen | awk '/^(Domain-0|g1|g2) /{printf "%s ", $1}')
[ "$order" = "Domain-0 g1 g2 " ] || bad "memory order: $order"
"${tm[@]}" send-keys -t top r
expect '^Sorted by memory \(reversed\)' "r does not reverse"
order=$(screen | awk '/^(Domain-0|g1|g2) /{printf "%s ", $1}')
[ "$order" = "g2 g1 Domain-0 " ] || bad "reversed memory order: $order"
"${tm[@]}" send-keys -t top q
until_ok 50 test -s "$dir/status" || bad "q does not quit"
[ "$(cat "$dir/status" 2>/dev/null)" = 0 ] || \
    bad "exit status after q: $(cat "$dir/status" 2>/dev/null)"

# Batch: plain frames, as many as asked.
out=$("$build/bin/xres" -s "$sock" top -b -n 2 -d 0.2) || bad "-b failed"
[ "$(grep -c '^xres top - ' <<<"$out")" = 2 ] || bad "-b -n 2: not 2 frames"
grep -qE '^g1 +1 +1024 ' <<<"$out" || bad "-b: no g1"
if grep -q $'\e' <<<"$out"; then bad "-b printed escape sequences"; fi

# No xresd: a plain error, exit 1.
err=$("$build/bin/xres" -s "$dir/none.sock" top 2>&1 >/dev/null)
rc=$?
[ "$rc" = 1 ] || bad "without xresd: exit $rc, not 1"
grep -q 'xres: xresd is not running' <<<"$err" || bad "without xresd: $err"

[ "$fail" = 0 ] && echo "top-tmux: xres top passes in tmux"
exit "$fail"
