#!/bin/bash
# tests/cli/json.sh BUILD: every listing command of xres prints JSON with
# --json, against xresd on its simulated host.  Run by `make unit-check`.
BUILD=${1:-build}
. "$(dirname "$0")/sim.sh"
xres() { "$BUILD/bin/xres" -s "$SOCK" "$@"; }

# json_keys CMD...: the top-level keys of CMD's indented JSON output,
# sorted, or "not JSON".
json_keys()
{
    local out
    out=$("$@") || { echo "failed"; return; }
    case $out in
    "{"*"}") ;;
    *) echo "not JSON"; return ;;
    esac
    printf '%s\n' "$out" | sed -n 's/^    "\([a-z_]*\)":.*/\1/p' | sort |
        tr '\n' ' ' | sed 's/ $//'
}

start_xresd
xres pair-create p1 --active g1 --standby g2 >/dev/null
# A move once g1's agent has reported.
for _ in $(seq 50); do
    xres mem-move --no-wait g1 g2 16M >/dev/null 2>&1 && break
    sleep 0.1
done
expect "list --json" "domains free_kb nr_cpus scheduler total_kb xen_version" \
    "$(json_keys xres list --json)"
expect "mem-moves --json" "moves" "$(json_keys xres mem-moves --json)"
expect "mem-moves --json ID" "moves" "$(json_keys xres mem-moves --json 1)"
expect "mem-moves -j: move 1" '"id": 1,' \
    "$(xres mem-moves -j 1 | grep -o '"id": [0-9]*,')"
expect "mem-moves text unchanged" "move 1:" \
    "$(xres mem-moves 1 | cut -d' ' -f1-2)"
expect "sched-list --json has domains" "yes" \
    "$(json_keys xres sched-list --json | grep -qw domains && echo yes)"
expect "pair-list --json" "pairs reserve_kb" "$(json_keys xres pair-list --json)"
expect "pair-show --json" "pair" "$(json_keys xres pair-show --json p1)"
expect "stats --json" "actions counters reset snapshot_calls span_ms steps window" \
    "$(json_keys xres stats --json)"
expect "stats --json: the path's steps" \
    "coalesce report-read snapshot policy report-to-target" \
    "$(xres stats --json | sed -n 's/^ *"name": "\(.*\)",*$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
finish
