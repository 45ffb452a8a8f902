#!/bin/sh
# tests/system/cluster/01-membership.sh: the cluster bed's two hosts form
# one cluster: Corosync has both members and quorum, Pacemaker shows both
# nodes online on either host, and it knows the agent xres ships.
# shellcheck shell=dash
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

assert_eq 2 "$(corosync-cmapctl -b runtime.members 2>/dev/null | grep -c '\.status (str) = joined$')" \
    "corosync: members joined"
assert_eq 2 "$(corosync-quorumtool -s 2>/dev/null | awk '$1 == "Nodes:" { print $2 }')" \
    "corosync-quorumtool: nodes"
assert_eq Yes "$(corosync-quorumtool -s 2>/dev/null | awk '$1 == "Quorate:" { print $2 }')" \
    "corosync-quorumtool: quorate"
assert_match 'Online: \[ xa xb \]' "$(crm_mon -1 2>&1)" "crm_mon on xa: xa and xb online"
assert_match 'Online: \[ xa xb \]' "$(on_b 'crm_mon -1' 2>&1)" "crm_mon on xb: xa and xb online"
assert_eq false "$(crm_attribute --type crm_config --name stonith-enabled --query --quiet 2>&1)" \
    "stonith-enabled"
assert_eq balanced "$(crm_attribute --type crm_config --name placement-strategy --query --quiet 2>&1)" \
    "placement-strategy"

# The agent as packaged, through Pacemaker's own reader of meta-data.
md=$(crm_resource --show-metadata ocf:xres:domain 2>&1)
assert_match '<action name="migrate_to" timeout="240s"' "$md" "meta-data: migrate_to 240 s"
assert_match '<action name="migrate_from" timeout="240s"' "$md" "meta-data: migrate_from 240 s"
assert_match '<parameter name="config" unique="1" required="1">' "$md" "meta-data: config required"
assert_ok "validate-all with a config" env OCF_RESKEY_config=/xenbed/guest/guest.cfg OCF_RESKEY_name=x \
    /usr/lib/ocf/resource.d/xres/domain validate-all
rc=0
env OCF_RESKEY_method=fast OCF_RESKEY_config=/xenbed/guest/guest.cfg OCF_RESKEY_name=x \
    /usr/lib/ocf/resource.d/xres/domain validate-all >/dev/null 2>&1 || rc=$?
assert_eq 6 "$rc" "validate-all: method=fast is OCF_ERR_CONFIGURED"
rc=0
env OCF_RESKEY_config=/xenbed/guest/guest.cfg OCF_RESKEY_name=nosuch \
    /usr/lib/ocf/resource.d/xres/domain monitor >/dev/null 2>&1 || rc=$?
assert_eq 7 "$rc" "monitor of an absent domain: OCF_NOT_RUNNING"

# Which hypervisor each host runs, as the agent's auto method sees it.
for h in xa xb; do
    if [ $h = xa ]; then caps=$(xl info | awk '$1 == "virt_caps"'); else caps=$(on_b "xl info | awk '\$1 == \"virt_caps\"'"); fi
    xb_say "XB-INFO $h $caps"
    assert_match '(^| )shadow( |$)' "$caps" "$h: xl info virt_caps lists shadow (patched Xen)"
done
