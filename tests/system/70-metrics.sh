#!/bin/sh
# tests/system/70-metrics.sh: xresd's Prometheus metrics on real Xen.
#  1. with the node exporter's textfile directory present, xresd writes
#     xres.prom there: a guest's target in bytes as XenStore has it, and
#     the same line from `xres metrics`;
#  2. `xres mem-set g1 96M`: on the next write the target is 96 MiB and
#     one move is counted done;
#  3. the file is printed between XB-PROM-BEGIN and XB-PROM-END, and the
#     test bed's host runs `promtool check metrics` on it (the bed has no
#     room for promtool itself).
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_destroy_all_guests
dir=/var/lib/prometheus/node-exporter
file=$dir/xres.prom
mkdir -p "$dir"
rm -f "$file"
conf=$XB_TMP/xres-metrics.conf
printf 'tick_ms = 2000\nmem_high = 100\nmem_low = 1\n' >"$conf"
xresd_start -c "$conf" || exit 1
xb_create_guest g1 128 256 || exit 1
D=$(domid_of g1)
wait_for 60 sh -c "[ \"\$(xres list | awk '\$1 == \"g1\" { print \$8 }')\" != - ]" ||
    xb_fail "g1 has no agent report after 60 s"

# 1. The file, and the same figure from xres metrics.
wait_for 10 test -s "$file" || xb_fail "xresd wrote no $file"
target_line() {
    grep "^xres_domain_memory_target_bytes{domain=\"g1\",domid=\"$D\"} " "$1"
}
want="xres_domain_memory_target_bytes{domain=\"g1\",domid=\"$D\"} $(($(xs_dom "$D" memory/target) * 1024))"
wait_for 10 sh -c "grep -qxF '$want' '$file'" || true
assert_eq "$want" "$(target_line "$file")" \
    "the file gives g1's target in bytes, as XenStore has it"
xres metrics >"$XB_TMP/metrics.txt"
assert_eq "$want" "$(target_line "$XB_TMP/metrics.txt")" \
    "xres metrics gives the same line"
assert_match '^# TYPE xres_memory_moves_total counter$' \
    "$(grep '^# TYPE xres_memory_moves_total' "$file")" "moves are a counter"

# 2. A move, counted.
done0=$(sed -n 's/^xres_memory_moves_total{result="done"} //p' "$file")
assert_ok "xres mem-set g1 96M" xres mem-set g1 96M
want="xres_domain_memory_target_bytes{domain=\"g1\",domid=\"$D\"} $((96 * 1024 * 1024))"
wait_for 10 sh -c "grep -qxF '$want' '$file'" || true
assert_eq "$want" "$(target_line "$file")" "after mem-set the file gives 96 MiB"
# The move ends when Xen shows g1 at its target, which may be a tick or
# more after the target itself is in the file.
wantd="xres_memory_moves_total{result=\"done\"} $((done0 + 1))"
wait_for 30 sh -c "grep -qxF '$wantd' '$file'" || true
assert_eq "xres_memory_moves_total{result=\"done\"} $((done0 + 1))" \
    "$(grep '^xres_memory_moves_total{result="done"} ' "$file")" \
    "one more move counted done"
for f in "$dir"/.xres.prom.*; do
    [ -e "$f" ] && xb_fail "a temporary file is left: $f"
done

# 3. For the host's promtool.
xb_say "XB-PROM-BEGIN xres.prom"
while IFS= read -r l; do xb_say "XB-PROM $l"; done <"$file"
xb_say "XB-PROM-END"
xb_pass "the metrics file is printed for promtool on the host"
xresd_stop
xb_destroy_all_guests
