#!/bin/sh
# tests/system/cluster/10-migrate.sh: a PV guest as the Pacemaker resource
# ocf:xres:domain (allow-migrate=true) starts on xa.  `xres migrate`
# refuses what it must, with the reason (this host, dom0, a domain that
# is no Pacemaker resource, a destination without room), then moves the
# guest live to xb through Pacemaker, and `xres migrate --save-restore`
# on xb moves it back by save and restore.  After each move the guest is
# gone from the source, runs on the target, answers there, and its uptime
# went on (it was moved, not restarted).  The longest pause the guest saw
# is printed, never asserted.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

R=vm1
AGENT_TAG=ocf:xres:domain
CFG=$XB_TMP/$R.cfg
T=${XB_MOVE_TIMEOUT:-900}
mkcfg="sed -e s/@NAME@/$R/ -e s/@MEM@/128/ -e s/@MAXMEM@/128/ -e s/@VCPUS@/1/ /xenbed/guest/guest.cfg >$CFG"
sh -c "$mkcfg"
on_b "mkdir -p $XB_TMP && $mkcfg" >/dev/null
# xb's xb_guest_exec counts its own sequence: keep it clear of xa's.
on_b "echo 100000 >$XB_TMP/exec.seq" >/dev/null

where() { crm_resource --locate --resource $R 2>/dev/null | sed -n 's/.*is running on: *\([^ ]*\).*/\1/p'; }
# Settled on NODE: Pacemaker locates it there alone and has nothing pending.
# shellcheck disable=SC2317 # called through wait_for
settled_on() {
    [ "$(where | tr '\n' ' ')" = "$1 " ] && crm_mon -1 2>/dev/null | grep -q "$R.*Started $1" &&
        ! crm_mon -1 2>/dev/null | grep -Eq "$R.*(Migrating|Starting|Stopping)"
}
here() { xl list 2>/dev/null | awk -v n=$R 'NR > 1 && $1 == n { print $1 }'; }
there() { on_b "xl list 2>/dev/null | awk -v n=$R 'NR > 1 && \$1 == n { print \$1 }'"; }
guest_uptime() { xb_guest_exec $R 'cut -d" " -f1 /proc/uptime'; }
b_guest() { on_b ". /xenbed/system/lib.sh; XB_TEST=$XB_TEST-xb; $1"; }

cibadmin --create -o resources --xml-text "<primitive id=\"$R\" class=\"ocf\" provider=\"xres\" type=\"domain\">
<instance_attributes id=\"$R-ia\"><nvpair id=\"$R-config\" name=\"config\" value=\"$CFG\"/></instance_attributes>
<meta_attributes id=\"$R-meta\"><nvpair id=\"$R-allow-migrate\" name=\"allow-migrate\" value=\"true\"/></meta_attributes>
<operations>
<op id=\"$R-monitor\" name=\"monitor\" interval=\"20s\" timeout=\"30s\"/>
<op id=\"$R-start\" name=\"start\" interval=\"0s\" timeout=\"120s\"/>
<op id=\"$R-stop\" name=\"stop\" interval=\"0s\" timeout=\"120s\"/>
<op id=\"$R-migrate_to\" name=\"migrate_to\" interval=\"0s\" timeout=\"240s\"/>
<op id=\"$R-migrate_from\" name=\"migrate_from\" interval=\"0s\" timeout=\"240s\"/>
</operations></primitive>" || { xb_fail "cibadmin --create $R"; exit 1; }
assert_ok "location preference for xa" cibadmin --create -o constraints \
    --xml-text "<rsc_location id=\"$R-on-xa\" rsc=\"$R\" node=\"xa\" score=\"50\"/>"
xb_pass "resource $R ($AGENT_TAG) defined"

t0=$(xb_uptime)
if ! wait_for "$T" settled_on xa; then
    xb_fail "$R did not start on xa: $(crm_mon -1 2>&1 | tail -n 8 | tr '\n' ' ')"
    exit 1
fi
xb_say "XB-TIMING pacemaker-start $R $(xb_secs "$t0" "$(xb_uptime)")"
assert_eq "$R" "$(here)" "xl list on xa has $R"
assert_eq "" "$(there)" "xl list on xb has no $R"
xb_uptime >"$XB_TMP/$R.created"
xb_wait_guest $R || exit 1

# The guest records the longest gap between its clock readings 0.2 s apart
# (from 0 again once /tmp/gap.reset appears).
# shellcheck disable=SC2016 # expanded in the guest
xb_guest_exec $R 'rm -f /tmp/gap; (l=$(cut -d" " -f1 /proc/uptime); m=0; while :; do sleep 0.2; [ -e /tmp/gap.reset ] && { m=0; rm -f /tmp/gap.reset; }; n=$(cut -d" " -f1 /proc/uptime); m=$(awk -v a=$l -v b=$n -v m=$m "BEGIN { g = b - a; if (g > m) m = g; print m }"); l=$n; echo $m >/tmp/gap; done) >/dev/null 2>&1 &' >/dev/null
up0=$(guest_uptime)
assert_match '^[0-9]+\.[0-9]+$' "$up0" "$R answers on xa (uptime $up0)"

# ---- what xres migrate refuses
# shellcheck disable=SC2317 # called through wait_for
dry_ok() { xres migrate --dry-run $R xb; }
if ! wait_for 180 dry_ok; then
    xb_fail "xres migrate --dry-run $R xb never passed: $(xres migrate --dry-run $R xb 2>&1)"
    exit 1
fi
assert_match "^would move $R to xb live, through Pacemaker resource $R \(ocf:xres:domain\): xb has [0-9]+ MiB free for 136 MiB" \
    "$(xres migrate --dry-run $R xb 2>&1)" "migrate --dry-run: live, the resource, the room"
assert_match "cannot move $R to xa: xa is this host" "$(xres migrate $R xa 2>&1)" "migrate to this host: refused"
assert_match "cannot move Domain-0 to xb: dom0 cannot move" "$(xres migrate Domain-0 xb 2>&1)" "migrate dom0: refused"
assert_match "cannot move $R to xc: xc: not a host of the cluster" "$(xres migrate $R xc 2>&1)" "migrate to an unknown host: refused"
sed -e s/@NAME@/plain/ -e s/@MEM@/96/ -e s/@MAXMEM@/96/ -e s/@VCPUS@/1/ /xenbed/guest/guest.cfg >"$XB_TMP/plain.cfg"
assert_ok "xl create -p plain (no Pacemaker resource)" xl create -p "$XB_TMP/plain.cfg"
# shellcheck disable=SC2317 # called through wait_for
plain_refused() { xres migrate --dry-run plain xb 2>&1 | grep -q 'plain is not a Pacemaker resource'; }
wait_for 60 plain_refused
assert_match "cannot move plain to xb: plain is not a Pacemaker resource: xres moves domains only through Pacemaker" \
    "$(xres migrate plain xb 2>&1)" "migrate of a domain Pacemaker does not run: refused"
xl destroy plain >/dev/null 2>&1
# xb without room: a paused domain takes all but 100 MiB of it.
freeb=$(on_b "xl info | awk -F': ' '\$1 ~ /^free_memory/ { print \$2 }'")
on_b "sed -e s/@NAME@/filler/ -e s/@MEM@/$((freeb - 100))/ -e s/@MAXMEM@/$((freeb - 100))/ -e s/@VCPUS@/1/ /xenbed/guest/guest.cfg >$XB_TMP/filler.cfg && xl create -p $XB_TMP/filler.cfg" >/dev/null
# shellcheck disable=SC2317 # called through wait_for
full_refused() { xres migrate --dry-run $R xb 2>&1 | grep -q 'MiB free, and'; }
wait_for 60 full_refused
out=$(xres migrate $R xb 2>&1); rc=$?
assert_eq 1 "$rc" "migrate to a full host: exit 1"
assert_match "cannot move $R to xb: xb has [0-9]+ MiB free, and $R needs 136 MiB \(its 128 MiB and 8 MiB for Xen\)" \
    "$out" "migrate to a full host: refused with the figures"
xb_say "XB-INFO refusal: $out"
assert_eq "$R" "$(here)" "after the refusals: $R still on xa"
on_b "xl destroy filler" >/dev/null
wait_for 60 dry_ok

# ---- live, xa -> xb, through xres migrate
t0=$(xb_uptime)
out=$(xres migrate $R xb 2>&1); rc=$?
xb_say "XB-INFO xres migrate: $(printf '%s' "$out" | tr '\n' '|')"
assert_eq 0 "$rc" "xres migrate $R xb: exit 0"
assert_match "^$R runs on xb: moved live in [0-9.]+ s$" "$(printf '%s' "$out" | tail -n 1)" "xres migrate: moved live"
if ! wait_for "$T" settled_on xb; then
    xb_fail "$R did not move to xb: $(crm_mon -1 2>&1 | tail -n 8 | tr '\n' ' ')"
    exit 1
fi
assert_match "move 1: $R to xb done after" "$(cat "$XB_TMP/xresd.log")" "xresd's log: move 1 done"
assert_match "move 1: $R \(domain [0-9]+, 128 MiB, [0-9]+% CPU\) to xb \([0-9]+ MiB free, [0-9]+% CPU allocable\), live, through Pacemaker resource $R; asked by the operator" \
    "$(cat "$XB_TMP/xresd.log")" "xresd's log: the decision line with its figures"
xb_say "XB-TIMING migration live xa-xb $(xb_secs "$t0" "$(xb_uptime)")"
assert_eq "" "$(here)" "after the live move: xl list on xa has no $R"
assert_eq "$R" "$(there)" "after the live move: xl list on xb has $R"
assert_match "$R: migrating to xb \(live;" "$(grep "$AGENT_TAG" /var/log/messages | tr '\n' '|')" \
    "xa's agent migrated $R live"
up1=$(b_guest "xb_guest_exec $R 'cut -d\" \" -f1 /proc/uptime'")
assert_match '^[0-9]+\.[0-9]+$' "$up1" "$R answers on xb through XenStore (uptime $up1)"
assert_eq 1 "$(awk -v a="$up0" -v b="$up1" 'BEGIN { print (b > a) }')" \
    "$R's uptime went on across the live move ($up0 -> $up1)"
gap=$(b_guest "xb_guest_exec $R 'cat /tmp/gap'")
xb_say "XB-TIMING guest-longest-pause live $gap"

# ---- save and restore, xb -> xa
b_guest "xb_guest_exec $R 'touch /tmp/gap.reset'" >/dev/null
t0=$(xb_uptime)
out=$(on_b "xres migrate --save-restore $R xa" 2>&1); rc=$?
xb_say "XB-INFO xres migrate on xb: $(printf '%s' "$out" | tr '\n' '|')"
assert_eq 0 "$rc" "xres migrate --save-restore $R xa on xb: exit 0"
assert_match "^$R runs on xa: moved save-restore in [0-9.]+ s$" "$(printf '%s' "$out" | tail -n 1)" \
    "xres migrate --save-restore: moved by save and restore"
if ! wait_for "$T" settled_on xa; then
    xb_fail "$R did not move back to xa: $(crm_mon -1 2>&1 | tail -n 8 | tr '\n' ' ')"
    exit 1
fi
assert_eq save "$(crm_resource --resource $R --meta --get-parameter xres-method --quiet 2>/dev/null)" \
    "the resource's meta attribute xres-method=save, set by xres"
xb_say "XB-TIMING migration save xb-xa $(xb_secs "$t0" "$(xb_uptime)")"
assert_eq "$R" "$(here)" "after the save move: xl list on xa has $R"
assert_eq "" "$(there)" "after the save move: xl list on xb has no $R"
assert_match "$R: migrating to xa \(save;" "$(on_b "grep '$AGENT_TAG' /var/log/messages" | tr '\n' '|')" \
    "xb's agent migrated $R by save and restore"
echo 200000 >"$XB_TMP/exec.seq"
up2=$(guest_uptime)
assert_match '^[0-9]+\.[0-9]+$' "$up2" "$R answers on xa through XenStore (uptime $up2)"
assert_eq 1 "$(awk -v a="$up1" -v b="$up2" 'BEGIN { print (b > a) }')" \
    "$R's uptime went on across save and restore ($up1 -> $up2)"
xb_say "XB-TIMING guest-longest-pause save $(xb_guest_exec $R 'cat /tmp/gap')"

# ---- clean up: stop it through Pacemaker, then remove it
crm_resource --clear --resource $R >/dev/null 2>&1
crm_resource --resource $R --meta --set-parameter target-role --parameter-value Stopped >/dev/null 2>&1
# shellcheck disable=SC2317 # called through wait_for
stopped() { [ -z "$(where)" ] && [ -z "$(here)" ]; }
wait_for 300 stopped
assert_eq "" "$(here)" "stopped: xl list on xa has no $R"
cibadmin --delete -o constraints --xml-text "<rsc_location id=\"$R-on-xa\"/>" >/dev/null 2>&1
cibadmin --delete -o resources --xml-text "<primitive id=\"$R\"/>" >/dev/null 2>&1
