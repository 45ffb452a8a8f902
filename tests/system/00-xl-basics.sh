#!/bin/sh
# tests/system/00-xl-basics.sh: the test bed itself works: Xen runs the
# credit scheduler, two PV guests come up with the memory given, and the
# test-only command channel runs commands inside a guest.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

sched=$(xl info | awk -F': ' '/^xen_scheduler/ { print $2 }' | tr -d ' ')
assert_eq credit "$sched" "xl info reports the credit scheduler"

xb_create_guests "g1 128 256" "g2 192 384 2" || exit 1

d1=$(domid_of g1)
d2=$(domid_of g2)
assert_ne "$d1" "$d2" "g1 and g2 have different domids"
assert_eq 128 "$(xl_mem g1)" "xl list Mem of g1"
assert_eq 192 "$(xl_mem g2)" "xl list Mem of g2"
assert_eq 2 "$(xl_vcpus g2)" "xl list VCPUs of g2"
assert_eq $((128 * 1024)) "$(xs_dom "$d1" memory/target)" "g1 memory/target (KiB)"
assert_eq $((384 * 1024)) "$(xs_dom "$d2" memory/static-max)" "g2 memory/static-max (KiB)"

xl sched-credit -d g2 -w 384 -c 30
assert_eq 384 "$(xl_weight g2)" "g2 credit weight after xl sched-credit -w 384"
assert_eq 30 "$(xl_cap g2)" "g2 credit cap after xl sched-credit -c 30"
assert_eq 256 "$(xl_weight g1)" "g1 keeps the default credit weight"

# The command channel: output, exit status, and the guest's own view.
out=$(xb_guest_exec g1 'xenstore-read domid')
assert_eq "$d1" "$out" "g1 reads its own domid through the command channel"
rc=0
xb_guest_exec g2 'echo hello; exit 3' >"$XB_TMP/exec.out" || rc=$?
assert_eq 3 "$rc" "guest command exit status comes back"
assert_eq hello "$(cat "$XB_TMP/exec.out")" "guest command output comes back"
out=$(xb_guest_exec g2 'grep -c ^processor /proc/cpuinfo')
assert_eq 2 "$out" "g2 sees 2 vCPUs"
out=$(xb_guest_exec g1 'memhog 16 1 && cpuburn 1')
assert_eq "memhog: holding 16 MiB" "$out" "memhog and cpuburn run in the guest"
