# tests/cli/sim.sh: sourced by the tests of xres itself: check helpers, and
# an xresd on its simulated host (Domain-0, g1, g2, agents reporting) that
# is stopped when the test exits.  Needs BUILD (the build directory).

fails=0
tmp=$(mktemp -d /tmp/xres-cli-test.XXXXXX)
SOCK=$tmp/xresd.sock
xresd_pid=

stop_xresd()
{
    if [ -n "$xresd_pid" ]; then
        kill "$xresd_pid" 2>/dev/null
        wait "$xresd_pid" 2>/dev/null
        xresd_pid=
    fi
    rm -rf "$tmp"
}
trap stop_xresd EXIT

# start_xresd: starts xresd on the simulated host at $SOCK and waits for
# it to answer.
start_xresd()
{
    "$BUILD/bin/xresd" -F --simulate agents -s "$SOCK" -c /dev/null \
        >"$tmp/xresd.log" 2>&1 &
    xresd_pid=$!
    for _ in $(seq 50); do
        "$BUILD/bin/xres" -s "$SOCK" list >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "xresd did not start:" >&2
    cat "$tmp/xresd.log" >&2
    exit 1
}

# expect WHAT WANT GOT: one check.
expect()
{
    if [ "$2" = "$3" ]; then
        echo "ok: $1"
    else
        echo "FAIL: $1: want \`$2', got \`$3'"
        fails=$((fails + 1))
    fi
}

# finish: the exit code of the test.
finish()
{
    [ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
    exit 0
}
