#!/bin/sh
# tests/system/62-mem-reverse.sh: 004, FIG. 2(d) on real Xen.  Two guests
# with agents; Xen's free memory is kept out of balancing (mem_reserve),
# so memory only moves between them.  g1 is loaded (memhog, deficient)
# while g2 idles: memory moves g2 -> g1 in mem_block steps.  Then the load
# reverses (g1's hog ends, g2 is loaded): the next rounds move memory
# back, g1 -> g2.  Checked with `xl list`: each phase moves whole blocks,
# the donor gives exactly what the receiver gets, and the two guests hold
# the same total throughout.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

BLOCK=32
conf=$XB_TMP/xres-reverse.conf
cat >"$conf" <<EOF
mem_high = 65
mem_low = 40
mem_block = "${BLOCK}M"
mem_reserve = "4G"
mem_timeout_ms = 5000
tick_ms = 2000
EOF
XRESD_ARGS="-c $conf"
xresd_start || exit 1
xb_create_guests "g1 256 512" "g2 256 512" || exit 1
for g in g1 g2; do
    wait_for 60 sh -c "xres list | awk -v n=$g '\$1 == n && \$8 != \"-\" { f = 1 } END { exit !f }'" ||
        xb_fail "$g has no agent report"
done
no_moves() { ! xres mem-moves | grep -Eq ': (lowering|raising) '; }
near() { [ $(($1 - $2)) -le "$3" ] && [ $(($2 - $1)) -le "$3" ]; }
settled() {
    for g in g1 g2; do near "$(xl_mem $g)" "$(target_of $g)" 2 || return 1; done
}
rose() { [ "$(xl_mem "$1")" -gt "$2" ]; }
# phase WHAT RECEIVER DONOR R0 D0: the receiver rose, the donor gave the
# same, in whole blocks.
phase() {
    local what=$1 r=$2 dn=$3 r0=$4 d0=$5 gain give
    wait_for 180 rose "$r" "$r0" || xb_fail "$what: $r never rose above $r0 MiB"
    wait_for 60 no_moves
    wait_for 60 settled || xb_fail "$what: balloons did not settle"
    gain=$(($(xl_mem "$r") - r0))
    give=$((d0 - $(xl_mem "$dn")))
    xb_say "XB-OUT $what: $r $r0 -> $(xl_mem "$r") MiB, $dn $d0 -> $(xl_mem "$dn") MiB (xl list)"
    assert_ne 0 "$gain" "$what: $r received memory"
    assert_eq "$gain" "$give" "$what: $dn gave exactly what $r received ($gain MiB)"
    assert_eq 0 $((gain % BLOCK)) "$what: in whole ${BLOCK} MiB blocks"
}

m1=$(xl_mem g1)
m2=$(xl_mem g2)
assert_match 'memhog: holding [0-9]+ MiB' "$(hog_to g1 pct 72)" "g1 loaded to 72 % (deficient)"
phase "(a) load on g1" g1 g2 "$m1" "$m2"
assert_eq $((m1 + m2)) $(($(xl_mem g1) + $(xl_mem g2))) "(a) the two guests hold as much as before"
a1=$(xl_mem g1)
a2=$(xl_mem g2)
# The load reverses.
xb_guest_exec g1 'killall memhog' >/dev/null 2>&1
assert_match 'memhog: holding [0-9]+ MiB' "$(hog_to g2 pct 72)" "g2 loaded to 72 % (deficient)"
phase "(b) load reversed" g2 g1 "$a2" "$a1"
assert_eq $((m1 + m2)) $(($(xl_mem g1) + $(xl_mem g2))) "(b) the two guests still hold as much as before"
assert_match "g1" "$(grep -E 'mem: .*(move|balance)' "$XB_TMP/xresd.log" | tail -n 3)" "(b) the log shows the moves back"
grep -E 'mem: .*(move|balance)' "$XB_TMP/xresd.log" | tail -n 4
xb_destroy_guest g1
xb_destroy_guest g2
xresd_stop
