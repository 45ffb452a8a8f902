# tests/system/lib.sh: helpers for xres system tests.  Sourced by every
# tests/system/NN-*.sh script, which the test bed runs inside dom0 (busybox
# ash, with xl, xenstore-*, xresd and xres on PATH).
#
# Console markers (machine-parsable, one per line):
#   XB-BEGIN <test>                      a test script starts
#   XB-CHECK PASS|FAIL <test>: <what>    one assertion (FAIL: expected/got)
#   XB-RESULT PASS|FAIL <test> [why]     a test script's verdict
#   XB-INFO <key> <value...>             facts: xen_version, guest domids
#   XB-TIMING <what> <seconds>           measured figures (never asserted)
#   XB-OUT <text>                        extra text for the host to show
#   XB-TESTS-DONE passed=N failed=N      the runner finished
#
# Assertions (each records a failure and returns 1; the script goes on
# unless it chooses `|| exit 1`):
#   assert_eq EXPECTED GOT WHAT          exact string equality
#   assert_ne UNEXPECTED GOT WHAT
#   assert_match REGEX GOT WHAT          grep -E on GOT
#   assert_ok WHAT CMD...                CMD exits 0
#   assert_fail WHAT CMD...              CMD exits non-zero
#   xb_fail WHAT                         record a failure directly
#   xb_pass WHAT                         record a passed check
# Waiting:
#   wait_for TIMEOUT CMD...              poll CMD until it exits 0 (0.2 s
#                                        steps); returns 1 after TIMEOUT s
# Guests (PV, no disk, kernel+initramfs from /xenbed/guest):
#   xb_create_guest NAME MEM_MIB MAXMEM_MIB [VCPUS]
#                                        xl create, then wait until the
#                                        guest's command shim answers
#   xb_create_guests "NAME MEM MAXMEM [VCPUS]"...
#                                        several at once (boots overlap)
#   xb_start_guest NAME MEM MAXMEM [VCPUS], xb_wait_guest NAME
#                                        the two halves of xb_create_guest
#   domid_of NAME                        print the domid (from xl domid)
#   xb_guest_exec NAME CMD               run CMD (sh -c) in the guest; prints
#                                        its output, returns its exit status
#                                        (124 if the guest did not answer)
#   xb_destroy_guest NAME, xb_destroy_all_guests
#   xb_domains                           print "domid name" of every domain
# XenStore / xl figures:
#   xs_dom DOMID RELPATH                 xenstore-read /local/domain/DOMID/...
#   xl_mem NAME                          Mem column of `xl list`
#   xl_weight NAME, xl_cap NAME          from `xl sched-credit -d NAME`
# xresd:
#   xresd_start [ARGS...]                start xresd --foreground ARGS (as a
#                                        child; output in $XB_TMP/xresd.log)
#                                        and wait for its socket; more
#                                        arguments may come in $XRESD_ARGS
#   xresd_stop                           SIGTERM; waits; returns its status
#   xresd_pid                            pid of the running xresd
# Cluster bed (tests/system/cluster/, run on host xa):
#   on_b CMD                             TEST-ONLY: run CMD (sh -c) in host
#                                        xb's dom0 through the bed's command
#                                        listener; prints its output, returns
#                                        its status (124: no answer)
# JSON (dom0 has no python): jsonflat FILE prints "path<TAB>value" lines
#   (e.g. "domains.1.cur_kb	131072"), exit 1 and a message if invalid;
#   json_get FILE PATH prints one value.
#
# Tests must not assert elapsed time; wait_for's timeout is a safety net.
# shellcheck shell=dash

XB_TEST=${XB_TEST:-$(basename "$0" .sh)}
XB_TMP=${XB_TMP:-/tmp/xb}
XRES_SOCKET=${XRES_SOCKET:-/run/xres/xresd.sock}
XRESD_FG_ARGS=${XRESD_FG_ARGS:---foreground}
XB_EXEC_TIMEOUT=${XB_EXEC_TIMEOUT:-120}
XB_GUEST_TIMEOUT=${XB_GUEST_TIMEOUT:-180}
XB_FAILS=$XB_TMP/$XB_TEST.fails
mkdir -p "$XB_TMP"

# ------------------------------------------------------------ reporting

# Console markers go to the console (live on the host) and to the test log.
xb_say() {
    echo "$*"
    [ -w /dev/console ] && [ -z "${XB_NO_CONSOLE:-}" ] && echo "$*" >/dev/console
    return 0
}

xb_uptime() { cut -d' ' -f1 /proc/uptime; }

# Seconds between two xb_uptime readings, one decimal.
xb_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

xb_pass() { xb_say "XB-CHECK PASS $XB_TEST: $*"; }

xb_fail() {
    xb_say "XB-CHECK FAIL $XB_TEST: $*"
    echo x >>"$XB_FAILS"
    return 1
}

assert_eq() {
    if [ "$1" = "$2" ]; then
        xb_pass "$3 ($2)"
    else
        xb_fail "$3: expected '$1', got '$2'"
    fi
}

assert_ne() {
    if [ "$1" != "$2" ]; then
        xb_pass "$3 ($2)"
    else
        xb_fail "$3: expected anything but '$1', got it"
    fi
}

assert_match() {
    if printf '%s\n' "$2" | grep -q -E -- "$1"; then
        xb_pass "$3"
    else
        xb_fail "$3: expected a match for /$1/, got '$2'"
    fi
}

assert_ok() {
    local what=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if [ $rc -eq 0 ]; then
        xb_pass "$what"
    else
        xb_fail "$what: '$*' exited $rc: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
    fi
}

assert_fail() {
    local what=$1 rc=0
    shift
    "$@" >/dev/null 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        xb_pass "$what (exit $rc)"
    else
        xb_fail "$what: '$*' succeeded, expected a failure"
    fi
}

# wait_for TIMEOUT CMD...: 0 once CMD succeeds, 1 if it never did in TIMEOUT s.
wait_for() {
    local timeout=$1 end
    shift
    end=$(awk -v u="$(xb_uptime)" -v t="$timeout" 'BEGIN { printf "%d", u + t }')
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(xb_uptime | cut -d. -f1)" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# ------------------------------------------------------------ figures

xs_dom() { xenstore-read "/local/domain/$1/$2"; }
# One field of a guest agent's report, the record at data/xres/report:
# agent_field DOMID NAME.  Fails when there is no report or no such field.
agent_field() {
    xenstore-read "/local/domain/$1/data/xres/report" 2>/dev/null |
        awk -v k="$2=" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); f = 1 } } END { exit !f }'
}

# Column N of NAME's line in `xl list`.
xl_list_col() { xl list "$1" 2>/dev/null | awk -v c="$2" 'NR == 2 { print $c }'; }
xl_mem() { xl_list_col "$1" 3; }
xl_vcpus() { xl_list_col "$1" 4; }
xl_weight() { xl sched-credit -d "$1" 2>/dev/null | awk 'NR == 2 { print $3 }'; }
xl_cap() { xl sched-credit -d "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }

domid_of() { xl domid "$1" 2>/dev/null; }

# "domid name" of every domain, sorted by domid.
xb_domains() { xl list | awk 'NR > 1 { print $2, $1 }' | sort -n; }

json_get() { jsonflat "$1" | awk -F '\t' -v p="$2" '$1 == p { print $2; f = 1 } END { exit !f }'; }

# ------------------------------------------------------------ guests

# xb_start_guest NAME MEM_MIB MAXMEM_MIB [VCPUS]: xl create only.
xb_start_guest() {
    local name=$1 mem=$2 maxmem=$3 vcpus=${4:-1} cfg t0 t1 domid
    cfg=$XB_TMP/$name.cfg
    sed -e "s/@NAME@/$name/" -e "s/@MEM@/$mem/" -e "s/@MAXMEM@/$maxmem/" \
        -e "s/@VCPUS@/$vcpus/" /xenbed/guest/guest.cfg >"$cfg"
    t0=$(xb_uptime)
    if ! xl create -q "$cfg" >"$XB_TMP/$name.create.log" 2>&1; then
        xb_fail "xl create $name failed: $(tail -n 3 "$XB_TMP/$name.create.log" | tr '\n' ' ')"
        return 1
    fi
    t1=$(xb_uptime)
    echo "$t1" >"$XB_TMP/$name.created"
    domid=$(domid_of "$name")
    xb_say "XB-INFO guest $name domid $domid"
    xb_say "XB-TIMING xl-create $name $(xb_secs "$t0" "$t1")"
}

# xb_wait_guest NAME: wait until NAME's command shim has said it is ready.
xb_wait_guest() {
    local name=$1 domid t2
    domid=$(domid_of "$name") || { xb_fail "no guest $name to wait for"; return 1; }
    if ! wait_for "$XB_GUEST_TIMEOUT" xenstore-exists "/local/domain/$domid/data/xrestest/ready"; then
        xb_fail "guest $name (domid $domid) did not come up within ${XB_GUEST_TIMEOUT}s"
        xl list >&2
        return 1
    fi
    t2=$(xb_uptime)
    xb_say "XB-TIMING guest-first-xenstore-write $name $(xb_secs "$(cat "$XB_TMP/$name.created")" "$t2")"
}

xb_create_guest() {
    xb_start_guest "$@" && xb_wait_guest "$1"
}

# xb_create_guests "NAME MEM MAXMEM [VCPUS]"...: create them all, then wait
# for all (their kernels boot side by side).
xb_create_guests() {
    local spec rc=0
    for spec in "$@"; do
        # shellcheck disable=SC2086 # the spec is split into arguments
        xb_start_guest $spec || return 1
    done
    for spec in "$@"; do
        xb_wait_guest "${spec%% *}" || rc=1
    done
    return $rc
}

xb_destroy_guest() {
    xl destroy "$1" >/dev/null 2>&1
    wait_for 30 sh -c "! xl domid '$1'"
}

xb_destroy_all_guests() {
    local d
    for d in $(xl list | awk 'NR > 2 { print $1 }'); do
        xb_destroy_guest "$d"
    done
}

# xb_guest_exec NAME CMD: run CMD inside guest NAME through the test-only
# XenStore channel (see tests/xenbed/guest-shim).  Prints the output (at
# most 2000 bytes) and returns CMD's exit status, 124 on timeout.
xb_guest_exec() {
    local name=$1 cmd=$2 domid seq base rc
    domid=$(domid_of "$name") || { echo "xb_guest_exec: no guest $name" >&2; return 125; }
    base=/local/domain/$domid/data/xrestest
    seq=$(($(cat "$XB_TMP/exec.seq" 2>/dev/null || echo 0) + 1))
    echo "$seq" >"$XB_TMP/exec.seq"
    xenstore-write "$base/cmd" "$seq $cmd" || return 125
    if ! wait_for "$XB_EXEC_TIMEOUT" sh -c "xenstore-read $base/rc | grep -q '^$seq '"; then
        echo "xb_guest_exec: $name (domid $domid) did not answer '$cmd' in ${XB_EXEC_TIMEOUT}s" >&2
        return 124
    fi
    xenstore-read "$base/out"
    rc=$(xenstore-read "$base/rc")
    return "${rc#* }"
}

# ------------------------------------------------------------ xresd

xresd_pid() { cat "$XB_TMP/xresd.pid" 2>/dev/null; }

# Runs xresd in the foreground as our child (so its exit status is ours to
# see) and waits until it listens.
# shellcheck disable=SC2120 # arguments are optional
xresd_start() {
    rm -f "$XB_TMP/xresd.status"
    # shellcheck disable=SC2086 # the ARGS variables hold several words
    (xresd $XRESD_FG_ARGS ${XRESD_ARGS:-} "$@" >"$XB_TMP/xresd.log" 2>&1
     echo $? >"$XB_TMP/xresd.status") &
    # The subshell's pid is not xresd's; find xresd itself.
    if ! wait_for 10 sh -c "pidof xresd >/dev/null || [ -e '$XB_TMP/xresd.status' ]"; then
        xb_fail "xresd did not start"
        return 1
    fi
    pidof xresd | awk '{ print $1 }' >"$XB_TMP/xresd.pid"
    if ! wait_for 30 test -S "$XRES_SOCKET"; then
        xb_fail "xresd did not create $XRES_SOCKET (status $(cat "$XB_TMP/xresd.status" 2>/dev/null || echo running)): $(tail -n 3 "$XB_TMP/xresd.log" | tr '\n' ' ')"
        return 1
    fi
    return 0
}

# SIGTERM xresd, wait up to 30 s; return its exit status (124: still running).
xresd_stop() {
    local pid
    pid=$(xresd_pid)
    [ -n "$pid" ] || return 125
    kill -TERM "$pid" 2>/dev/null
    if ! wait_for 30 test -e "$XB_TMP/xresd.status"; then
        return 124
    fi
    rm -f "$XB_TMP/xresd.pid"
    return "$(cat "$XB_TMP/xresd.status")"
}

# --- Helpers of the memory and pair scripts, and of the demo -------------

# A guest's balloon target in MiB, from XenStore.
target_of() { echo $(($(xs_dom "$(domid_of "$1")" memory/target) / 1024)); }

# |a - b| <= tol
near() { [ $(($1 - $2)) -le "$3" ] && [ $(($2 - $1)) -le "$3" ]; }
# check WHAT-IF-TRUE WHAT-IF-FALSE CMD...: a pass or a failure from CMD.
check() {
    local yes=$1 no=$2
    shift 2
    if "$@"; then xb_pass "$yes"; else xb_fail "$no"; fi
}
# The sum of the guests' memory (xl list) plus Xen's free memory, MiB.
host_sum() {
    local s g
    s=$(xl info | awk -F': ' '/^free_memory/ { print $2 }')
    for g in "$@"; do s=$((s + $(xl_mem "$g"))); done
    echo "$s"
}
# settled G...: every guest named is at its target (within 2 MiB).
settled() {
    local g
    for g in "$@"; do
        near "$(xl_mem "$g")" "$(target_of "$g")" 2 || return 1
    done
    return 0
}
# No memory move is lowering or raising.
no_moves() { ! xres mem-moves | grep -Eq ': (lowering|raising) '; }
# Used memory of a guest as its agent reports it, MiB ("-" without one),
# and its balloon state, from `xres list`.
used_of() { xres list | awk -v n="$1" '$1 == n { print $8 }'; }
state_of() { xres list | awk -v n="$1" '$1 == n { print $10 }'; }
# Stop or start the xres-agent in a guest.
# shellcheck disable=SC2016 # expanded in the guest
stop_agent() { xb_guest_exec "$1" 'for p in $(pidof xres-agent); do kill $p; done' >/dev/null; }
start_agent() { xb_guest_exec "$1" '(/usr/sbin/xres-agent >/var/log/xres-agent.log 2>&1 &)' >/dev/null; }
# The guest's agent reports used memory (a valid report).
reports() { used_of "$1" | grep -q '^[0-9][0-9]*$'; }

# Start memhog in a guest: `hog_to G pct N` brings its use to about N % of
# its target; `hog_to G fill N` leaves only N MiB available.  Prints
# memhog's log once it holds its memory ("memhog: holding N MiB").  The
# command is one line without backslashes: the guest's xenstore-read
# escapes a newline as \012, which the guest's shell then cannot parse.
hog_to() {
    local want
    if [ "$2" = pct ]; then
        want="\$(( $3 * $(target_of "$1") / 100 - (t - a) ))"
    else
        want="\$(( a - $3 ))"
    fi
    xb_guest_exec "$1" "rm -f /tmp/memhog.log; t=\$(awk '/MemTotal/ { print int(\$2 / 1024) }' /proc/meminfo); a=\$(awk '/MemAvailable/ { print int(\$2 / 1024) }' /proc/meminfo); want=$want; [ \$want -gt 0 ] || want=1; memhog \$want 0 >/tmp/memhog.log 2>&1 & i=0; while [ \$i -lt 90 ] && ! grep -q holding /tmp/memhog.log; do sleep 1; i=\$((i + 1)); done; cat /tmp/memhog.log"
}

# --- Hot-standby pairs: the app "web" (APP_MIB MiB, default 64) ----------

# The agent configuration both guests get: one hot-standby app, a sleeping
# process whose pid file is its health check.  Written inside the guest,
# then the agent is restarted with it.
agent_setup() {
    xb_guest_exec "$1" '
mkdir -p /etc/xres
cat >/etc/xres/agent.conf <<EOF
interval_ms = 200
heartbeat = 1
check_interval = 1
apps = [ "web" ]
web.pidfile = "/run/web.pid"
web.start = "sh -c '"'"'sleep 100000 >/dev/null 2>&1 & echo \$! >/run/web.pid'"'"'"
web.stop = "sh -c '"'"'kill \$(cat /run/web.pid); rm -f /run/web.pid'"'"'"
web.memory = "'"${APP_MIB:-64}"'M"
web.hot_standby = 1
web.max_restarts = 3
EOF
for p in $(pidof xres-agent); do kill $p; done
sleep 0.5
(/usr/sbin/xres-agent >/var/log/xres-agent.log 2>&1 &)
' >/dev/null
}

web_running_in() {
    xb_guest_exec "$1" 'kill -0 $(cat /run/web.pid) 2>/dev/null' >/dev/null
}

app_state_is() { [ "$(xs_dom "$(domid_of "$1")" data/xres/app/web/state 2>/dev/null)" = "$2" ]; }
mem_is() { [ "$(xl_mem "$1")" = "$2" ]; }

# pair-show as "path<TAB>value" lines.
pair_flat() { xres pair-show --json "$1" >"$XB_TMP/pair.json" && jsonflat "$XB_TMP/pair.json"; }
area_field() {  # PAIR AREA FIELD
    pair_flat "$1" | awk -F '\t' -v a="$2" -v f="$3" '
        $1 ~ /^pair\.areas\.[0-9]+\.name$/ && $2 == a { split($1, p, "."); i = p[3] }
        { v[$1] = $2 }
        END { if (i != "") print v["pair.areas." i "." f] }'
}
web_restarted() {  # GUEST OLD_PID
    local p
    p=$(xb_guest_exec "$1" 'cat /run/web.pid 2>/dev/null')
    [ -n "$p" ] && [ "$p" != "$2" ] && web_running_in "$1"
}
# The last failover's timing from pair-show, as one line in the log.
print_timing() {  # PAIR CASE
    xb_say "$(pair_flat "$1" | awk -F '\t' -v c="$2" '
        $1 ~ /^pair\.last_failover_timing\./ { sub(/^pair\.last_failover_timing\./, "", $1); v[$1] = $2 }
        END { printf "XB-INFO %s failover timing: toolstack %.3f ms, guest %d ms (balloon %d ms, app start ack %d ms), target written %d ms after the fault, total %d ms\n",
              c, v["toolstack_us"] / 1000, v["guest_ms"], v["balloon_ms"], v["start_ack_ms"], v["target_written_ms"], v["total_ms"] }')"
}
web_in_table() { [ "$(area_field "$1" web owner)" = active ]; }

# --- The cluster bed: TEST-ONLY command channel to host xb ---------------

# on_b CMD: host xb's dom0 runs CMD with sh -c (tests/xenbed/dom0-cmd-serve
# behind socat on xb:7001); its output, then its exit status.
on_b() {
    local out rc t=${XB_ONB_TIMEOUT:-900}
    out=$(printf '%s\n' "$1" | socat -t "$t" -T "$t" - TCP:xb:7001 2>&1) || {
        echo "on_b: xb did not answer: $out" >&2
        return 124
    }
    rc=$(printf '%s\n' "$out" | sed -n 's/^XB-ONB-RC //p' | tail -n 1)
    printf '%s\n' "$out" | grep -v '^XB-ONB-RC '
    if [ -z "$rc" ]; then
        xb_say "XB-INFO on_b: no status from xb within ${t}s for: $(printf '%s' "$1" | head -c 120)" >&2
        return 124
    fi
    return "$rc"
}
