#!/bin/bash
# tests/cli/completion.sh BUILD: the bash completion of xres
# (dom0/cli/xres.bash-completion), sourced in this shell and called as bash
# calls it, against xresd on its simulated host.  Run by `make unit-check`.
BUILD=${1:-build}
. "$(dirname "$0")/sim.sh"
. "$(dirname "$0")/../../dom0/cli/xres.bash-completion"
PATH=$BUILD/bin:$PATH

# comp WORD...: completes the last word of `WORD...`; prints COMPREPLY.
comp()
{
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _xres
    echo "${COMPREPLY[*]}"
}

# No xresd: no names, no error text, exit 0.
export XRES_SOCKET=$tmp/none.sock
out=$(xres complete domains 2>&1); rc=$?
expect "complete domains without xresd" "0:" "$rc:$out"
out=$(xres complete pairs 2>&1); rc=$?
expect "complete pairs without xresd" "0:" "$rc:$out"
expect "domains without xresd" "" "$(comp xres list '')"

# What needs no xresd.
expect "commands mem-" "mem-move mem-set mem-policy mem-moves" \
    "$(comp xres mem-)"
expect "commands pair-" "pair-create pair-list pair-show pair-delete" \
    "$(comp xres pair-)"
expect "complete is hidden" "" "$(comp xres compl)"
expect "options of mem-move" "--no-wait --dry-run --help" \
    "$(comp xres mem-move -)"
expect "options of mem-move --d" "--dry-run" "$(comp xres mem-move --d)"
expect "options of sched-list" "-j --json -d --help" \
    "$(comp xres sched-list -)"
expect "options of mem-moves" "--json --help" "$(comp xres mem-moves --)"
expect "global options" "--socket --help --version" "$(comp xres --)"
expect "help COMMAND" "sched-list sched-set sched-policy" \
    "$(comp xres help sched-)"

# Names from xresd, through $XRES_SOCKET.
start_xresd
export XRES_SOCKET=$SOCK
expect "domains of mem-move SRC" "Domain-0 g1 g2" "$(comp xres mem-move '')"
expect "domains g" "g1 g2" "$(comp xres mem-move g)"
expect "domains of mem-move DST" "Domain-0 g1 g2" \
    "$(comp xres mem-move --dry-run g1 '')"
expect "mem-move SIZE" "" "$(comp xres mem-move g1 g2 '')"
expect "domains of list" "g1 g2" "$(comp xres list Domain-0 g)"
expect "domains of sched-list -d" "Domain-0 g1 g2" \
    "$(comp xres sched-list -d '')"
expect "domains of pair-create --standby" "g2" \
    "$(comp xres pair-create p1 --active g1 --standby g2)"
expect "no pairs yet" "" "$(comp xres pair-show '')"
xres pair-create p1 --active g1 --standby g2 >/dev/null
expect "pairs of pair-show" "p1" "$(comp xres pair-show '')"
expect "pairs of failover" "p1" "$(comp xres failover p)"
expect "failover after NAME" "" "$(comp xres failover p1 '')"

# The socket given on the line wins over $XRES_SOCKET.
export XRES_SOCKET=$tmp/none.sock
expect "no names from the wrong socket" "" "$(comp xres list '')"
expect "domains through -s" "Domain-0 g1 g2" \
    "$(comp xres -s "$SOCK" list '')"
expect "commands after -s" "balance" "$(comp xres -s "$SOCK" bal)"
finish
