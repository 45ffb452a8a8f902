#!/bin/sh
# tests/system/51-manage.sh: managing-domain sizing on the real credit
# scheduler.  Guest mg is the managing domain (policy manage method=4);
# its agent runs a fixed CPU-bound analysis job (cpuwork) on each
# "alloc A" request.  Checked, each with exact figures:
#   - request 1 carries A = allocable, and allocable is what `xres
#     sched-list --json` shows: max(0, min(Max, available + own) - 20% Max);
#   - mg's cap (xl sched-credit) is A while the job runs;
#   - the agent acks "ok time-ms=t" and (A, t) lands in XenStore's history;
#   - request 2 (and 3) carry A = min(R/T, allocable) with R = A_prev x
#     t_prev, within half a cap step of slack.
# No elapsed time is asserted; the figures are printed.
# shellcheck shell=dash
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MG=mg
MDIR=/local/domain/0/xres/sched/manage
STEP=10             # cpu_cap_step (xresd's default)

# In mg's guest, the analysis job's log lines from the agent (-v).
agent_log() { xb_guest_exec $MG 'grep -E "alloc|time-ms|analysis" /var/log/xres-agent-mg.log | tail -20' 2>/dev/null; }

cleanup() {
    xresd_stop >/dev/null 2>&1
    xb_destroy_guest $MG
    xenstore-rm $MDIR >/dev/null 2>&1
    return 0
}

# Floating-point helpers (busybox awk).
fcalc() { awk "BEGIN { $1 }"; }
# close_to A B: |A - B| <= 0.002 (the JSON shows 3 decimals).
close_to() { fcalc "d = ($1) - ($2); exit !(d <= 0.002 && d >= -0.002)"; }
# cap_for A PREV_CAP: the cap xresd gives for A on one vCPU (lround, at
# least 1, at most 100; kept at PREV_CAP when within half a step of it).
cap_for() {
    fcalc "a = $1; p = $2; c = int(a + 0.5); if (c < 1) c = 1;
           if (c > 100) c = 100;
           d = c - p; if (d < 0) d = -d;
           if (p > 0 && d * 2 < $STEP) c = p; print c"
}

xb_create_guest $MG 128 128 1 || exit 1
MGID=$(domid_of $MG)

# How long does some work take in mg, uncapped?  Aim for ~5 s runs at a
# full CPU; the target T is twice that, so A should about halve.
t0=$(xb_guest_exec $MG 'a=$(cut -d" " -f1 /proc/uptime); /usr/local/bin/cpuwork 20; b=$(cut -d" " -f1 /proc/uptime); echo "$a $b"')
unit=$(echo "$t0" | awk '{ u = ($2 - $1) / 20; if (u < 0.001) u = 0.001; printf "%.4f", u }')
UNITS=$(fcalc "n = int(5 / $unit + 0.5); if (n < 1) n = 1; if (n > 100000) n = 100000; print n")
T=$(fcalc "t = int(2 * $UNITS * $unit + 0.999); if (t < 2) t = 2; print t")
xb_say "XB-OUT manage: cpuwork unit $unit s in $MG; job = cpuwork $UNITS; target T = $T s"

# mg's agent with an analysis job: replace the image's agent.
conf="printf '%s\n' 'interval_ms = 1000' 'heartbeat = 10' 'analysis_command = \"/usr/local/bin/cpuwork $UNITS\"' 'analysis_timeout = 600' >/etc/xres/agent-mg.conf"
start="/usr/sbin/xres-agent -v -c /etc/xres/agent-mg.conf >/var/log/xres-agent-mg.log 2>&1 </dev/null &"
if ! xb_guest_exec $MG "$conf && killall xres-agent; sleep 1; $start echo started" >/dev/null; then
    xb_fail "cannot restart xres-agent in $MG with an analysis job"
    cleanup
    exit 1
fi
assert_eq "analysis_command = \"/usr/local/bin/cpuwork $UNITS\"" \
    "$(xb_guest_exec $MG 'grep analysis_command /etc/xres/agent-mg.conf')" "$MG's agent.conf names the job"
wait_for 60 agent_field "$MGID" seq || xb_fail "$MG's agent does not report"

# A fresh history: earlier xresd runs in this boot keep theirs.
xenstore-rm $MDIR >/dev/null 2>&1
cat >"$XB_TMP/xres-manage.conf" <<EOF
tick_ms = 2000
cpu_load_mode = "latest"
cpu_cap_step = $STEP
cpu_policies = [ "$MG: manage method=4 target=$T reserve=20" ]
EOF
xresd_start --config "$XB_TMP/xres-manage.conf" || { cleanup; exit 1; }

J=$XB_TMP/manage.json
# sched_json: the current `xres sched-list --json` into $J.
sched_json() { xres sched-list --json >"$J"; }
jg() { json_get "$J" "$1"; }
# has_run N: history slot N holds a run.
has_run() { xenstore-read "$MDIR/history/$1" >/dev/null 2>&1; }

# has_request_after K: the manage block shows a pending request after
# seq K, with its basis.
has_request_after() {
    sched_json || return 1
    local q b
    q=$(jg manage.request_seq) && b=$(jg manage.basis.seq) || return 1
    [ "$q" -gt "$1" ] && [ "$b" = "$q" ]
}
# allocable_for AVAIL OWN MAX: max(0, min(MAX, AVAIL + OWN) - 20% MAX).
allocable_for() { fcalc "x = $1 + $2; if (x > $3) x = $3; x -= 0.2 * $3; if (x < 0) x = 0; printf \"%.3f\", x"; }

# check_request N PREV_SEQ PREV_A PREV_T PREV_CAP: the request after
# PREV_SEQ and its figures.  Leaves its seq and alloc in files.
check_request() {
    local n=$1 pseq=$2 pa=$3 pt=$4 pcap=$5 seq avail own allocable a
    local want_alloc cap req want_a max
    if ! wait_for 600 has_request_after "$pseq"; then
        xb_fail "request $n: xresd posted no alloc request to $MG after seq $pseq; manage: $(jsonflat "$J" | grep '^manage' | tr '\t\n' '= ')"
        return 1
    fi
    seq=$(jg manage.request_seq)
    req=$(xs_dom "$MGID" "xres/request/$seq")
    cap=$(xl_cap $MG)
    avail=$(jg manage.basis.available_pct)
    own=$(jg manage.basis.own_pct)
    allocable=$(jg manage.basis.allocable_pct)
    a=$(jg manage.basis.a_pct)
    want_alloc=$(jg manage.request_alloc_pct)
    max=$(jg max_pct)
    if close_to "$allocable" "$(allocable_for "$avail" "$own" "$max")"; then
        xb_pass "request $n: allocable $allocable = min($max, available $avail + own $own) - 20% of $max"
    else
        xb_fail "request $n: allocable: expected $(allocable_for "$avail" "$own" "$max") from available $avail + own $own, got $allocable"
    fi
    if [ -z "$pa" ]; then
        assert_eq "$allocable" "$a" "request $n: no run yet, method 4 gives A = allocable"
    else
        want_a=$(fcalc "a = $pa * $pt / 1000 / $T; if (a > $allocable) a = $allocable; printf \"%.3f\", a")
        if close_to "$a" "$want_a"; then
            xb_pass "request $n: A = min(R/T, allocable) = min($pa x $pt ms / $T s, $allocable) = $a"
        else
            xb_fail "request $n: A: expected $want_a (R = $pa x $pt ms, T = $T s, allocable $allocable), got $a"
        fi
    fi
    assert_eq "$(cap_for "$a" "$pcap")" "$want_alloc" "request $n: the allocation sent is A as a cap (1 vCPU, step $STEP, previous cap $pcap)"
    assert_eq "alloc $want_alloc" "$req" "request $n: xres/request/$seq in $MG"
    assert_eq "$want_alloc" "$cap" "request $n: $MG's cap in xl sched-credit while it runs"
    xb_say "XB-OUT manage: request $n (seq $seq): available $avail own $own allocable $allocable A $a -> alloc $want_alloc"
    echo "$want_alloc" >"$XB_TMP/manage.alloc"
    echo "$seq" >"$XB_TMP/manage.seq.$n"
}

# check_run N ALLOC: run N is recorded as "ALLOC t"; prints t.
check_run() {
    local n=$1 alloc=$2 rec t c caps="" i=0
    # While the run is under way its cap stays at its allocation, however
    # the available amount moves.  A sample counts only if the run was
    # still unrecorded after it was read (xresd records a run before it
    # changes the cap).
    while [ $i -lt 600 ] && ! has_run "$n"; do
        c=$(xl_cap $MG)
        has_run "$n" || caps="$caps $c"
        sleep 1
        i=$((i + 1))
    done
    caps=$(echo $caps | tr ' ' '\n' | sort -u | tr '\n' ' ')
    assert_eq "$alloc " "$caps" "run $n: $MG's cap held at $alloc throughout the run (samples each second)"
    if ! wait_for 600 has_run "$n"; then
        xb_fail "run $n: no (A, t) in $MDIR/history/$n; agent log: $(agent_log | tail -3 | tr '\n' ';')"
        return 1
    fi
    rec=$(xenstore-read "$MDIR/history/$n")
    t=${rec#* }
    assert_eq "$alloc" "${rec% *}" "run $n: history/$n holds the allocation it ran under"
    assert_match '^[1-9][0-9]*$' "$t" "run $n: a time in ms"
    assert_eq "$(fcalc "print ($n % 16) + 1")" "$(xenstore-read $MDIR/history-next)" "run $n: history-next"
    echo "$t" >"$XB_TMP/manage.t"
    xb_say "XB-TIMING manage-run-$n-alloc-$alloc $(fcalc "printf \"%.3f\", $t / 1000")"
}

prev_seq=0; prev_a=""; prev_t=""; prev_cap=0
for n in 1 2 3; do
    check_request $n "$prev_seq" "$prev_a" "$prev_t" "$prev_cap" || break
    alloc=$(cat "$XB_TMP/manage.alloc")
    check_run $n "$alloc" || break
    prev_seq=$(cat "$XB_TMP/manage.seq.$n")
    prev_a=$alloc; prev_t=$(cat "$XB_TMP/manage.t"); prev_cap=$alloc
done

# The agent's acks, as it logged them (-v), carry the recorded times.
log=$(agent_log)
for n in 1 2 3; do
    rec=$(xenstore-read "$MDIR/history/$n" 2>/dev/null) || continue
    assert_match "request $(cat "$XB_TMP/manage.seq.$n"): ok time-ms=${rec#* }([^0-9]|$)" "$log" \
        "run $n: the agent acked ok time-ms=${rec#* }"
done
sched_json
slots=""; n=1
while [ $n -le 16 ] && xenstore-read "$MDIR/history/$n" >/dev/null 2>&1; do slots="$slots $n"; n=$((n + 1)); done
runs=$(jsonflat "$J" | awk -F '\t' '/^manage\.runs\.[0-9]+\.(alloc_pct|time_s)/ { printf "%s%s", s, $2; s = " " }')
hist=$(for n in $slots; do xenstore-read "$MDIR/history/$n" 2>/dev/null; done |
       awk '{ printf "%s%.1f %.1f", s, $1, $2 / 1000; s = " " }')
xb_say "XB-OUT manage: history (A t_ms): $(for n in $slots; do xenstore-read "$MDIR/history/$n" 2>/dev/null | tr '\n' ';'; done)"
assert_eq "$hist" "$runs" "sched-list --json lists the XenStore history's runs (A, t s), oldest first"

cleanup
