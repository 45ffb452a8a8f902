#!/bin/sh
# tests/system/cluster/05-figures.sh: each host's xresd is in the Corosync
# group, and `xres cluster-list` on either host shows both, as members,
# with fresh figures that agree with `xl info` on the host they describe;
# `xres cluster-show` lists the domains `xl list` shows there.  xresd keeps
# Pacemaker's node utilization at the host's capacity.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

J=$XB_TMP/cluster.json
info_b() { on_b "xl info | awk -F': ' '\$1 ~ \"^$1 *\$\" { print \$2 }'"; }
info_a() { xl info | awk -F': ' -v k="$1" '$1 ~ "^"k" *$" { print $2 }'; }
# Index of HOST in the cluster-list reply in $J.
idx() { jsonflat "$J" | awk -F '\t' -v h="$1" '$1 ~ /^hosts\.[0-9]+\.host$/ && $2 == h { split($1, p, "."); print p[2] }'; }
# shellcheck disable=SC2317 # called through wait_for
both_fresh() {
    xres cluster-list --json >"$J" 2>/dev/null || return 1
    for h in xa xb; do
        i=$(idx $h)
        [ -n "$i" ] && [ "$(json_get "$J" "hosts.$i.state")" = member ] &&
            [ "$(json_get "$J" "hosts.$i.stale")" = false ] || return 1
    done
}
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

if ! wait_for 120 both_fresh; then
    xb_fail "xres cluster-list never showed xa and xb fresh: $(xres cluster-list 2>&1 | tr '\n' '|')"
    exit 1
fi
xb_pass "xres cluster-list on xa: xa and xb members with fresh figures"
assert_eq true "$(json_get "$J" cluster)" "cluster-list: in a cluster"
assert_eq true "$(json_get "$J" "hosts.$(idx xa).self")" "cluster-list: xa is this host"
for h in xa xb; do
    i=$(idx $h)
    if [ $h = xa ]; then
        tot=$(info_a total_memory) free=$(info_a free_memory) cpus=$(info_a nr_cpus)
    else
        tot=$(info_b total_memory) free=$(info_b free_memory) cpus=$(info_b nr_cpus)
    fi
    assert_eq "$tot" $(($(json_get "$J" "hosts.$i.mem_total_kb") / 1024)) "$h: total memory as xl info says (MiB)"
    assert_eq "$cpus" "$(json_get "$J" "hosts.$i.cpus")" "$h: CPUs as xl info says"
    f=$(($(json_get "$J" "hosts.$i.mem_free_kb") / 1024))
    assert_ok "$h: free memory $f MiB within 2 MiB of xl info's $free" near "$f" "$free" 2
    assert_eq live "$(json_get "$J" "hosts.$i.method")" "$h: moves domains live (patched Xen)"
    xb_say "XB-INFO cluster-list $h: total $tot MiB, free $f MiB (xl info $free), cpus $cpus, cpu use $(json_get "$J" "hosts.$i.cpu_use_pct")%"
done
out=$(xres cluster-list 2>&1)
assert_match 'xa .*member.* \(this host\)' "$out" "cluster-list's table: xa, this host"
assert_match 'xb .*member' "$out" "cluster-list's table: xb"

# The same view from xb.
on_b "xres cluster-list --json" >"$J" 2>&1
for h in xa xb; do
    i=$(idx $h)
    assert_eq "member false" "$(json_get "$J" "hosts.$i.state") $(json_get "$J" "hosts.$i.stale")" \
        "xres cluster-list on xb: $h a member, fresh"
done
assert_eq true "$(json_get "$J" "hosts.$(idx xb).self")" "xres cluster-list on xb: xb is this host"

# xb's domains as xa sees them, against xl list on xb.
xres cluster-show --json xb >"$J"
want=$(on_b "xl list | awk 'NR > 1 { print \$1, \$3 }' | sort")
got=$(jsonflat "$J" | awk -F '\t' '$1 ~ /^host\.domains\.[0-9]+\.name$/ { split($1, p, "."); n[p[3]] = $2 }
    $1 ~ /^host\.domains\.[0-9]+\.mem_kb$/ { split($1, p, "."); m[p[3]] = int($2 / 1024) }
    END { for (i in n) print n[i], m[i] }' | sort)
assert_eq "$want" "$got" "cluster-show xb on xa: the domains and memory of xl list on xb"
assert_fail "cluster-show of an unknown host" xres cluster-show nowhere

# Pacemaker's utilization, from xresd's figures: CPUs x 100, and the
# memory less dom0's.
dom0=$(xl list Domain-0 | awk 'NR == 2 { print $3 }')
# shellcheck disable=SC2317 # called through wait_for
util() { crm_attribute --node xa --utilization --name "$1" --query --quiet 2>/dev/null; }
# shellcheck disable=SC2317 # called through wait_for
util_set() { [ -n "$(util cpu)" ] && [ -n "$(util memory)" ]; }
wait_for 120 util_set
assert_eq $(($(info_a nr_cpus) * 100)) "$(util cpu)" "Pacemaker: xa's cpu utilization capacity"
assert_ok "Pacemaker: xa's memory capacity $(util memory) MiB = $(info_a total_memory) - dom0's $dom0 (within 1)" \
    near "$(util memory)" $(($(info_a total_memory) - dom0)) 1
