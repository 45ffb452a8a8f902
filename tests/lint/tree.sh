#!/bin/bash
# tests/lint/tree.sh: the rules of the tree that the compiler does not see.
#   - dom0's layers include only the layers below them (the table below);
#   - only cli/, daemon/ and ipc/ include ipc.h or yajl;
#   - no production source file is over 600 lines, and each opens with a
#     comment;
#   - only the core (daemon.c, domains.c, server.c) takes snapshots with
#     xres_daemon_refresh; subsystems mark them stale;
#   - only the actuator changes a domain through the backend, and only the
#     request channel (agent_request.c) touches request and ack nodes;
#   - xres, the command, links neither libxenlight nor libxenctrl;
#   - only dom0/cli/top_curses.c includes curses, and xresd does not link
#     it.
# Run by `make unit-check`; prints every violation, exits 1 if any.
# Usage: tests/lint/tree.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
fail=0
bad() { echo "tree: $*" >&2; fail=1; }

# What each layer of dom0 may include (besides libc, its own folder and
# xenstore-schema/).  A header's layer is the folder it is in.
declare -A may=(
    [core]="core"
    [policy]="core policy cluster"
    [config]="core policy config"
    [backend]="core backend"
    [cluster]="core cluster"
    [ipc]="core ipc"
    [daemon]="core policy config backend cluster ipc daemon"
    [cli]="core policy config ipc cli"
)
declare -A layer_of
for h in dom0/*/*.h; do
    l=${h#dom0/}; layer_of[$(basename "$h")]=${l%%/*}
done

for f in dom0/*/*.[ch]; do
    l=${f#dom0/}; l=${l%%/*}
    [ -n "${may[$l]+x}" ] || { bad "$f: dom0/$l is not a known layer"; continue; }
    while read -r inc; do
        hl=${layer_of[$inc]:-}
        [ -n "$hl" ] || continue
        case " ${may[$l]} " in
        *" $hl "*) ;;
        *) bad "$f: includes $inc from dom0/$hl/, which dom0/$l/ may not use" ;;
        esac
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
    case $l in cli|daemon|ipc|cluster) ;;
    *) grep -Hn '^#include [<"]\(yajl/\|ipc\.h\)' "$f" | while read -r m; do
           echo "tree: $m: only cli/, daemon/, ipc/ and cluster/ (its messages) speak JSON and IPC" >&2
       done
       grep -q '^#include [<"]\(yajl/\|ipc\.h\)' "$f" && fail=1 ;;
    esac
done

for f in dom0/daemon/*.c; do
    case ${f##*/} in daemon.c|domains.c|server.c) continue ;; esac
    if grep -n 'xres_daemon_refresh(' "$f" >&2; then
        bad "$f: takes a snapshot itself; the core owns it (daemon.h)"
    fi
done

for f in dom0/*/*.c; do
    case $f in dom0/backend/*|dom0/daemon/actuator.c) ;;
    *) if grep -nE -- '->(set_target|set_maxmem|set_sched|destroy|pause)\(' \
            "$f" >&2; then
           bad "$f: changes a domain itself; actions go to xres_actuate"
       fi ;;
    esac
    case $f in dom0/backend/*|dom0/daemon/agent_request.c) ;;
    *) if grep -nE '\bXS_(REQ_LAST_SEQ|REQ_ITEM|REQ_DIR|REPORT_ACK|REPORT_ACK_DIR)\b' \
            "$f" >&2; then
           bad "$f: touches guest requests; they go through agent_request.c"
       fi ;;
    esac
done

for f in $(git ls-files 'dom0/*.[ch]' 'guest-agent/*.[ch]' \
               'xenstore-schema/*.[ch]' 2>/dev/null || \
           find dom0 guest-agent xenstore-schema -name '*.[ch]'); do
    [ -f "$f" ] || continue
    n=$(wc -l < "$f")
    [ "$n" -le 600 ] || bad "$f: $n lines (at most 600)"
    head -1 "$f" | grep -q '^/\*' || bad "$f: does not open with a comment"
done

for f in dom0/*/*.[ch] guest-agent/*.[ch] xenstore-schema/*.[ch]; do
    [ "$f" = dom0/cli/top_curses.c ] && continue
    if grep -Hn '^#include [<"]n\?curses' "$f" >&2; then
        bad "$f: only dom0/cli/top_curses.c draws on the terminal"
    fi
done
if [ -x "$build/bin/xresd" ] && ldd "$build/bin/xresd" | grep curses >&2
then
    bad "$build/bin/xresd links ncurses; only xres does"
fi

if [ -x "$build/bin/xres" ]; then
    if ldd "$build/bin/xres" | grep -E 'libxenlight|libxenctrl' >&2; then
        bad "$build/bin/xres links a Xen control library"
    fi
else
    bad "$build/bin/xres is not built"
fi

[ "$fail" = 0 ] && echo "tree: layering, file size and link rules hold"
exit "$fail"
