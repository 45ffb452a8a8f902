#!/bin/sh
# tests/system/03-sigterm.sh: xresd exits cleanly on SIGTERM (status 0,
# process gone, socket removed) and leaves every domain's memory target and
# scheduler settings exactly as they were before it started.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_create_guests "g1 128 256" "g2 192 384" || exit 1
xl sched-credit -d g2 -w 384 -c 30 || xb_fail "xl sched-credit -d g2 failed"
# A target that is not the configured memory.
xl mem-set g1 160m || xb_fail "xl mem-set g1 160m failed"

# domid name memory/target static-max weight cap, one line per domain.
settings() {
    xb_domains | while read -r domid name; do
        echo "$domid $name $(xs_dom "$domid" memory/target) $(xs_dom "$domid" memory/static-max)" \
             "$(xl_weight "$name") $(xl_cap "$name")"
    done
}
settings >"$XB_TMP/before"
cat "$XB_TMP/before"
assert_eq "163840 262144 256 0" "$(awk '$2 == "g1" { print $3, $4, $5, $6 }' "$XB_TMP/before")" \
    "g1's settings before xresd"

xresd_start || exit 1
pid=$(xresd_pid)
wait_for 30 xres list || xb_fail "xres list never answered"
# Let the daemon run a few ticks before it is stopped.
sleep 5
rc=0
xresd_stop || rc=$?
assert_eq 0 "$rc" "xresd exit status after SIGTERM"
assert_fail "xresd process $pid is gone" kill -0 "$pid"
assert_fail "socket $XRES_SOCKET removed" test -e "$XRES_SOCKET"
assert_fail "xres list fails once xresd is gone" xres list

settings >"$XB_TMP/after"
cat "$XB_TMP/after"
while read -r line; do
    # shellcheck disable=SC2086 # split the line into its fields
    set -- $line
    assert_eq "$line" "$(awk -v id="$1" '$1 == id' "$XB_TMP/after")" \
        "$2: domid name target static-max weight cap unchanged"
done <"$XB_TMP/before"
assert_eq "$(wc -l <"$XB_TMP/before")" "$(wc -l <"$XB_TMP/after")" "same domains after xresd"
