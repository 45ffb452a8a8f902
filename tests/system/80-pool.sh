#!/bin/sh
# tests/system/80-pool.sh: memory pools on real Xen.
#  1. three guests with agents that report low use, each guaranteed 320 of
#     its 384 MiB, and little free memory.  A pool larger than what the
#     host can give in one round gathers 32 MiB every 2 s: each
#     placeholder (xl list) holds exactly 32 MiB, donors fall, and free +
#     guests + claims stays the same;
#  2. an `xl create` of another guest that needs the held memory fails,
#     and the claims are untouched;
#  3. a pool with an impossible deadline is at-risk before its deadline;
#  4. kill -9 of xresd in the middle of the gathering: the next xresd
#     resumes, with what Xen holds, and the sum still holds;
#  5. a guest is destroyed, the pool fills up and, with --start-when-full,
#     its domain is created from its xl.cfg with exactly the pool's size;
#     no claim and no placeholder is left;
#  6. a --domain pool hands its memory to a running guest while a competing
#     allocator (a domain taking pages in a loop) runs: on the patched
#     hypervisor (xenbed.hv=patched) the claim moves in one hypercall, on
#     stock Xen it is cancelled and claimed again with the allocator
#     frozen; either way the guest gets all of it and the allocator none.
#     On the patched hypervisor a pool also has one placeholder whose claim
#     grows in place.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

xb_destroy_all_guests
hv=$(sed -n 's/.*xenbed\.hv=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$hv" ] || hv=stock
xb_say "XB-INFO hypervisor: $hv"

conf=$XB_TMP/xres-pool.conf
cat >"$conf" <<'EOF'
mem_high = 65
mem_low = 40
mem_block = "32M"
tick_ms = 2000
EOF
XRESD_ARGS="-c $conf"
# Run-time policies that earlier tests left for guests of these names.
xenstore-rm /local/domain/0/xres/mem/policy >/dev/null 2>&1
xenstore-rm /local/domain/0/xres/pools >/dev/null 2>&1
xresd_start || exit 1
xb_create_guests "g1 384 512" "g2 384 512" "g3 384 512" || exit 1
wait_for 90 sh -c "! xres list | awk '\$1 ~ /^g[123]\$/ && \$8 == \"-\"' | grep -q ." ||
    xb_fail "the guests' agents do not report"
for g in g1 g2 g3; do
    assert_ok "$g: guarantee 320 MiB" xres mem-policy $g min=320M
done

info() { xl info | awk -F': *' -v k="$1" '$1 ~ "^"k" *$" { print $2 }'; }
guests_sum() {
    local s=0 g m
    for g in g1 g2 g3 pnew; do
        m=$(xl_mem $g) || continue
        [ -n "$m" ] && s=$((s + m))
    done
    echo $s
}
# xl info's free_memory is what is not claimed: free + claims + guests is
# the host's, MiB; placeholders cost Xen ~0.2 MiB each.
claims() { info outstanding_claims; }
# One reading, taken again until the host held still while it was read
# (free memory and claims from one `xl info`, the same before and after
# the guests' figures).
host_sum() {
    local a b g i=0
    while [ $i -lt 20 ]; do
        a=$(xl info | awk -F': *' '/^free_memory/ { f = $2 } /^outstanding_claims/ { c = $2 } END { print f + c }')
        g=$(guests_sum)
        b=$(xl info | awk -F': *' '/^free_memory/ { f = $2 } /^outstanding_claims/ { c = $2 } END { print f + c }')
        [ "$a" = "$b" ] && { echo $((a + g)); return; }
        i=$((i + 1))
    done
    echo $((a + g))
}
near() { [ $(($1 - $2)) -le "$3" ] && [ $(($2 - $1)) -le "$3" ]; }
pj() { xres pool-show --json "$1" >"$XB_TMP/pool.json" && json_get "$XB_TMP/pool.json" "pool.$2"; }
p1_stalled() { [ "$(pj p1 stalled)" -ge 1 ] 2>/dev/null; }
p1_started() { [ "$(pj p1 phase)" = started ]; }
pieces() { xl list | awk -v p="xres-pool-$1-" 'index($1, p) == 1 { print $1, $3 }'; }

# 1. Gathering in steps ----------------------------------------------------
free0=$(info free_memory)
claims0=$(claims)
assert_eq 0 "$claims0" "(1) no claims before the pool"
sum0=$(host_sum)
g0=$(guests_sum)
# Free above the 64 MiB reserve, plus 3 x 64 MiB from the donors, plus 96:
# more than one round can give.
size=$((free0 - 64 + 192 + 96))
xb_say "XB-INFO free ${free0} MiB, pool size ${size} MiB"
sed -e "s/@NAME@/pnew/" -e "s/@MEM@/$size/" -e "s/@MAXMEM@/$size/" \
    -e "s/@VCPUS@/1/" /xenbed/guest/guest.cfg >"$XB_TMP/pnew.cfg"
assert_ok "(1) pool-create" xres pool-create p1 --size ${size}M --step 32M \
    --every 2s --in 30m --priority 10 --start-when-full --config "$XB_TMP/pnew.cfg"
wait_for 30 sh -c "[ \$(xl info | awk -F': *' '/^outstanding_claims/ { print \$2 }') -ge 96 ]" ||
    xb_fail "(1) no 96 MiB claimed within 30 s"
c1=$(claims)
assert_eq 0 $((c1 % 32)) "(1) claims are whole 32 MiB steps (${c1} MiB)"
n=$(pieces p1 | wc -l)
if [ "$hv" = patched ]; then
    assert_eq 1 "$n" "(1) patched: one placeholder"
    assert_eq "$c1" "$(pieces p1 | awk '{ print $2 }')" "(1) patched: its claim grew in place to ${c1} MiB"
else
    assert_eq "$n" "$((c1 / 32))" "(1) one placeholder per 32 MiB step"
    assert_eq "" "$(pieces p1 | awk '$2 != 32')" "(1) every placeholder holds exactly 32 MiB"
fi
hs=$(host_sum)
assert_ok "(1) sum unchanged (${sum0} vs ${hs} MiB)" near "$sum0" "$hs" 8
h1=$(($(pj p1 held_kb) / 1024)); c1b=$(claims)
assert_ok "(1) pool-show's held (${h1} MiB) is Xen's claim (${c1b} MiB), within the step it may have taken between" \
    near "$h1" "$c1b" 32
xres pool-list

# 2. xl create cannot take the held memory -----------------------------------
unclaimed=$(info free_memory)
want=$((unclaimed + 32))
sed -e "s/@NAME@/intruder/" -e "s/@MEM@/$want/" -e "s/@MAXMEM@/$want/" \
    -e "s/@VCPUS@/1/" /xenbed/guest/guest.cfg >"$XB_TMP/intruder.cfg"
c2=$(claims)
if xl create -q "$XB_TMP/intruder.cfg" >"$XB_TMP/intruder.log" 2>&1; then
    xb_fail "(2) xl create of a ${want} MiB guest took held memory"
    xl destroy intruder
else
    xb_say "XB-INFO (2) xl create: $(tail -n 2 "$XB_TMP/intruder.log" | tr '\n' ' ')"
    xb_pass "(2) xl create of a ${want} MiB guest (${unclaimed} MiB unclaimed) fails"
fi
assert_fail "(2) no intruder domain" xl domid intruder
c3=$(claims)
[ "$c3" -ge "$c2" ] && xb_pass "(2) the claims are untouched (${c2} -> ${c3} MiB)" ||
    xb_fail "(2) the claims fell from ${c2} to ${c3} MiB"

# 3. An impossible deadline -------------------------------------------------
assert_ok "(3) pool-create imp" xres pool-create imp --size 512M --step 4M \
    --every 10s --in 90s --domain g3
assert_eq true "$(pj imp at_risk)" "(3) imp is at-risk"
dl=$(pj imp deadline_in_ms)
[ "$dl" -gt 0 ] && xb_pass "(3) before its deadline (${dl} ms left)" ||
    xb_fail "(3) at-risk only after the deadline (${dl} ms)"
assert_match "at-risk" "$(grep 'pool imp' "$XB_TMP/xresd.log" | head -n 3)" \
    "(3) xresd logged the warning"
assert_ok "(3) pool-delete imp" xres pool-delete imp
wait_for 10 sh -c "! xl list | grep -q xres-pool-imp-" ||
    xb_fail "(3) imp's placeholders are left"

# 4. kill -9 in the middle --------------------------------------------------
wait_for 60 sh -c "[ \$(xl info | awk -F': *' '/^outstanding_claims/ { print \$2 }') -ge $((c1 + 64)) ]" ||
    xb_fail "(4) the pool stopped gathering"
kill -9 "$(xresd_pid)"
wait_for 10 sh -c "! pidof xresd >/dev/null" || xb_fail "(4) xresd survived kill -9"
ck=$(claims)
assert_ok "(4) sum unchanged after kill -9" near "$sum0" "$(host_sum)" 8
xresd_start || exit 1
hk=$(($(pj p1 held_kb) / 1024))
[ "$hk" -ge "$ck" ] && near "$hk" "$ck" 32 &&
    xb_pass "(4) the new xresd holds what Xen held at the kill (${ck} MiB; ${hk} MiB now, one step on at most)" ||
    xb_fail "(4) the new xresd holds ${hk} MiB, Xen held ${ck} MiB at the kill"
assert_match "pool p1: resumed, gathering" "$(cat "$XB_TMP/xresd.log")" "(4) xresd logged the resume"
assert_eq gathering "$(pj p1 phase)" "(4) and goes on gathering"
wait_for 60 sh -c "[ \$(xl info | awk -F': *' '/^outstanding_claims/ { print \$2 }') -gt $ck ]" ||
    xb_fail "(4) no progress after the restart"
assert_ok "(4) sum unchanged after the restart" near "$sum0" "$(host_sum)" 8

# The donors fell by what the pool took from them.
wait_for 120 p1_stalled ||
    xb_fail "(1) the pool never ran out of memory to take"
cg=$(claims)
dg=$((g0 - $(guests_sum)))
xb_say "XB-INFO held ${cg} MiB: ${dg} MiB from the guests, the rest from free memory"
for g in g1 g2 g3; do
    assert_eq 320 "$(xl_mem $g)" "(1) $g gave down to its guarantee"
done
assert_eq 192 "$dg" "(1) the donors fell by 3 x 64 MiB"
assert_ok "(1) sum unchanged with the pool stalled" near "$sum0" "$(host_sum)" 8

# 5. Handover --------------------------------------------------------------
xb_destroy_guest g3
wait_for 120 xl domid pnew >/dev/null || xb_fail "(5) pnew was not created"
wait_for 30 p1_started ||
    xb_fail "(5) p1 did not reach started: $(pj p1 message)"
assert_eq "$size" "$(xl_mem pnew)" "(5) pnew has exactly the pool's size"
assert_eq 0 "$(claims)" "(5) no claim is left"
assert_eq "" "$(pieces p1)" "(5) no placeholder is left"
grep -E 'pool p1|create pnew' "$XB_TMP/xresd.log" | tail -n 5
assert_ok "(5) pool-delete p1" xres pool-delete p1
assert_fail "(5) p1 is gone" xres pool-show p1

# 6. Handover to a running guest with a competing allocator ---------------
m2=$(xl_mem g2)
assert_ok "(6) pool-create dbp" xres pool-create dbp --size 64M --step 64M \
    --every 2s --in 30m --domain g2
wait_for 30 sh -c "[ \$(xl info | awk -F': *' '/^outstanding_claims/ { print \$2 }') -ge 64 ]" ||
    xb_fail "(6) dbp holds no 64 MiB"
hogid=$(hvclaim create hvhog 4096) || xb_fail "(6) create the hog placeholder"
rm -f "$XB_TMP/hog.status" "$XB_TMP/hog.stop"
hvclaim hog "$hogid" "$XB_TMP/hog.status" "$XB_TMP/hog.stop" >"$XB_TMP/hog.out" 2>&1 &
hogpid=$!
wait_for 300 test -s "$XB_TMP/hog.status" || xb_fail "(6) the hog did not soak up free memory"
got0=$(awk '{ print $4 }' "$XB_TMP/hog.status")
assert_ok "(6) pool-start dbp" xres pool-start dbp
dbp_started() { [ "$(pj dbp phase)" = started ]; }
g2_up() { [ "$(xl_mem g2)" -ge $((m2 + 64)) ]; }
wait_for 60 dbp_started || xb_fail "(6) dbp did not reach started: $(pj dbp message)"
wait_for 60 g2_up
sleep 1
got1=$(awk '{ print $4 }' "$XB_TMP/hog.status")
touch "$XB_TMP/hog.stop"
wait "$hogpid"
xb_say "XB-INFO (6) hog: $(cat "$XB_TMP/hog.out"); pages got during the handover: $((got1 - got0))"
xl destroy "$hogid"
# The pool's 64 MiB went to g2, all of it; what the allocator got after
# the handover are the placeholder's own pages (Xen frees about 40 when it
# is destroyed), none of the pool's.
assert_eq "$((m2 + 64))" "$(xl_mem g2)" "(6) $hv: g2 has all of the pool's 64 MiB (xl list)"
[ $((got1 - got0)) -lt 64 ] &&
    xb_pass "(6) $hv: the competing allocator got none of the pool's memory ($((got1 - got0)) pages, the placeholder's own)" ||
    xb_fail "(6) $hv: the competing allocator got $((got1 - got0)) pages"
assert_eq started "$(pj dbp phase)" "(6) the handover completes"
assert_eq "$((m2 + 64))" "$(target_of g2)" "(6) g2's target rose by the pool's 64 MiB"
grep -E 'pool dbp|claim-move|claim dom' "$XB_TMP/xresd.log" | tail -n 6
assert_ok "(6) pool-delete dbp" xres pool-delete dbp

xresd_stop
xb_destroy_all_guests
