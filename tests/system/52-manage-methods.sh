#!/bin/sh
# tests/system/52-manage-methods.sh: the managing domain's methods 1 to 3
# (001) and the average and maximum modes of `available`, on the real
# credit scheduler.  Guest mg (2 vCPUs) is the managing domain; its agent
# runs a fixed CPU-bound job (cpuwork) for each "alloc A".  Each request's
# basis in `xres sched-list --json` is checked:
#   method 1: A = allocable;
#   method 2 (coef 0.5): A = allocable x 0.5;
#   method 3, T that the estimate R / allocable meets: A = allocable, no
#     caution;
#   method 3, T = 1 s that it misses: A = allocable all the same, and a
#     caution in the basis note and in manage.caution;
# then, with cpu_load_mode average and maximum over 4 samples, load_pct is
# the mean and the maximum of the last 4 host loads (the sums of every
# domain's samples in --json), and available_pct = max_pct - load_pct.
# shellcheck shell=dash
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MG=mg
MDIR=/local/domain/0/xres/sched/manage
J=$XB_TMP/methods.json
CONF=$XB_TMP/xres-methods.conf

fcalc() { awk "BEGIN { $1 }"; }
# near A B TOL: |A - B| <= TOL
near() { fcalc "d = ($1) - ($2); exit !(d <= $3 && d >= -($3))"; }
sched_json() { xres sched-list --json >"$J"; }
jg() { json_get "$J" "$1"; }
cleanup() {
    xresd_stop >/dev/null 2>&1
    xb_destroy_guest $MG
    xenstore-rm $MDIR >/dev/null 2>&1
    return 0
}
# A request after seq K, with its basis.
has_request_after() {
    sched_json || return 1
    local q b
    q=$(jg manage.request_seq) && b=$(jg manage.basis.seq) || return 1
    [ "$q" -gt "$1" ] && [ "$b" = "$q" ]
}

xb_create_guest $MG 128 128 2 || exit 1
MGID=$(domid_of $MG)
conf="printf '%s\n' 'interval_ms = 1000' 'heartbeat = 10' 'analysis_command = \"/usr/local/bin/cpuwork 60\"' 'analysis_timeout = 600' >/etc/xres/agent-mg.conf"
start="/usr/sbin/xres-agent -v -c /etc/xres/agent-mg.conf >/var/log/xres-agent-mg.log 2>&1 </dev/null &"
xb_guest_exec $MG "$conf && killall xres-agent; sleep 1; $start echo started" >/dev/null ||
    { xb_fail "cannot restart xres-agent in $MG"; cleanup; exit 1; }
wait_for 60 agent_field "$MGID" seq || xb_fail "$MG's agent does not report"

xenstore-rm $MDIR >/dev/null 2>&1
printf 'tick_ms = 2000\ncpu_load_mode = "latest"\ncpu_policies = [ "%s: manage method=1 reserve=20" ]\n' $MG >"$CONF"
xresd_start --config "$CONF" || { cleanup; exit 1; }

seq=0
# step N POLICY: set POLICY; the request under way keeps its A until its
# run is recorded, so the one after it is the first under POLICY.  Reads
# that request's basis into A, AL (allocable), NOTE, CAUTION.
step() {
    local n=$1 cur
    shift
    if [ -n "$*" ]; then
        xres sched-policy $MG "$*" >/dev/null || xb_fail "($n) sched-policy $*"
        sched_json
        cur=$(jg manage.request_seq)
        [ "$cur" -gt "$seq" ] && seq=$cur
    fi
    if ! wait_for 600 has_request_after "$seq"; then
        xb_fail "($n) no request after $seq"
        return 1
    fi
    seq=$(jg manage.request_seq)
    A=$(jg manage.basis.a_pct)
    AL=$(jg manage.basis.allocable_pct)
    NOTE=$(jg manage.basis.note)
    CAUTION=$(jg manage.caution)
    xb_say "XB-OUT ($n) request $seq: allocable $AL A $A, note: $NOTE; caution: $CAUTION; cap $(xl_cap $MG)"
}
last_run() {  # prints "A t_ms" of the newest history slot
    local nx
    nx=$(xenstore-read $MDIR/history-next)
    xenstore-read "$MDIR/history/$(( (nx + 14) % 16 + 1 ))"
}

step m1 "" || { cleanup; exit 1; }
assert_eq "$AL" "$A" "(m1) method 1: A = allocable"
step m2 "manage method=2 coef=0.5 reserve=20" || { cleanup; exit 1; }
near "$A" "$AL * 0.5" 0.002 && xb_pass "(m2) method 2: A $A = allocable $AL x 0.5" ||
    xb_fail "(m2) method 2: expected $(fcalc "print $AL * 0.5"), got $A"
step m3 "manage method=3 target=100000 reserve=20" || { cleanup; exit 1; }
assert_eq "$AL" "$A" "(m3) method 3, target met: A = allocable"
assert_match "meets target 100000 s" "$NOTE" "(m3) the estimate meets the target"
assert_eq "" "$CAUTION" "(m3) no caution"
step m3c "manage method=3 target=1 reserve=20" || { cleanup; exit 1; }
run=$(last_run)
est=$(fcalc "printf \"%.1f\", ${run% *} * ${run#* } / 1000 / $AL")
assert_eq "$AL" "$A" "(m3c) method 3, target 1 s missed (estimate $est s): A = allocable all the same"
assert_match "misses target 1 s: all of .*caution" "$NOTE" "(m3c) the basis says it misses the target"
assert_match "misses target 1 s" "$CAUTION" "(m3c) manage.caution in sched-list --json"
assert_match "Caution: manage 3" "$(xres sched-list)" "(m3c) xres sched-list shows the caution"
assert_match "cpu: caution: managing domain dom$MGID: manage 3" "$(cat "$XB_TMP/xresd.log")" "(m3c) xresd logged the caution"

# ---- average and maximum over the last 4 samples
# host_loads: the host load of each sample time, oldest first (the sum of
# every domain's use at that time).
host_loads() {
    jsonflat "$J" | awk -F '\t' '
        $1 ~ /^domains\.[0-9]+\.history\.[0-9]+\.t_ms$/ { split($1, p, "."); t[p[2] "." p[4]] = $2 }
        $1 ~ /^domains\.[0-9]+\.history\.[0-9]+\.use_pct$/ { split($1, p, "."); u[p[2] "." p[4]] = $2 }
        END { for (k in t) s[t[k]] += u[k]; for (x in s) print x, s[x] }' | sort -n
}
for mode in average maximum; do
    printf 'tick_ms = 2000\ncpu_load_mode = "%s"\ncpu_load_window = 4\ncpu_policies = [ "%s: manage method=1 reserve=20" ]\n' \
        "$mode" $MG >"$CONF"
    kill -HUP "$(xresd_pid)"
    sleep 6         # passes under the new mode, a job running or not
    sched_json
    assert_eq "$mode" "$(jg load_mode)" "($mode) sched-list shows the mode"
    want=$(host_loads | tail -n 4 | awk -v m="$mode" '{ n++; s += $2; if ($2 > x) x = $2 }
        END { if (m == "average") printf "%.2f", s / n; else printf "%.2f", x }')
    got=$(jg load_pct)
    xb_say "XB-OUT ($mode) last 4 host loads: $(host_loads | tail -n 4 | awk '{ printf "%s ", $2 }')-> load $got (computed $want), available $(jg available_pct) of $(jg max_pct)"
    near "$got" "$want" 0.25 && xb_pass "($mode) load_pct $got is the $mode of the last 4 host loads ($want)" ||
        xb_fail "($mode) load_pct: expected $want (the $mode of the last 4 samples), got $got"
    near "$(jg available_pct)" "$(jg max_pct) - $got" 0.11 &&
        xb_pass "($mode) available_pct $(jg available_pct) = max_pct $(jg max_pct) - load_pct $got" ||
        xb_fail "($mode) available_pct: expected $(fcalc "print $(jg max_pct) - $got"), got $(jg available_pct)"
done

cleanup
