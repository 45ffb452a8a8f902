#!/bin/bash
# tests/cli/xres-crm.sh BUILD: the helper xresd runs to speak to Pacemaker
# (dom0/ocf/xres-crm), against stand-ins for Pacemaker's tools that log
# their arguments and answer as Pacemaker 2.1 does: the resource table
# read from a CIB, a move asked and followed until the resource runs on
# the node, a move Pacemaker refuses, one that never ends, and the
# utilization.  Run by `make unit-check`.
BUILD=${1:-build}
. "$(dirname "$0")/sim.sh"
CRM=$(cd "$(dirname "$0")/../../dom0/ocf" && pwd)/xres-crm
bin=$tmp/bin
mkdir -p "$bin"
log=$tmp/calls
PATH=$bin:$PATH

cat >"$tmp/cib" <<'E'
<resources>
  <primitive id="vm1" class="ocf" provider="xres" type="domain">
    <instance_attributes id="vm1-ia">
      <nvpair id="vm1-config" name="config" value="@TMP@/vm1.cfg"/>
    </instance_attributes>
    <meta_attributes id="vm1-meta">
      <nvpair id="vm1-allow-migrate" name="allow-migrate" value="true"/>
    </meta_attributes>
  </primitive>
  <primitive id="web" class="ocf" provider="heartbeat" type="Xen">
    <instance_attributes id="web-ia">
      <nvpair name="name" value="webdom" id="web-name"/>
      <nvpair name="xmfile" value="/etc/xen/web.cfg" id="web-xm"/>
    </instance_attributes>
    <meta_attributes id="web-meta">
      <nvpair id="web-am" name="allow-migrate" value="no"/>
    </meta_attributes>
  </primitive>
  <primitive id="db" class="ocf" provider="xres" type="domain">
    <instance_attributes id="db-ia">
      <nvpair id="db-config" name="config" value="/nonexistent.cfg"/>
    </instance_attributes>
  </primitive>
  <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
    <instance_attributes id="ip-ia"><nvpair id="ip-ip" name="name" value="x"/></instance_attributes>
  </primitive>
</resources>
E
sed -i "s|@TMP@|$tmp|" "$tmp/cib"
printf 'name = "vm-one"\nmemory = 128\n' >"$tmp/vm1.cfg"

cat >"$bin/cibadmin" <<E
#!/bin/sh
echo "cibadmin \$*" >>$log
cat $tmp/cib
E
# crm_resource: --move records the node, --locate reports it (xa before);
# $tmp/refuse makes --move fail, $tmp/stuck keeps it on xa.
cat >"$bin/crm_resource" <<E
#!/bin/sh
echo "crm_resource \$*" >>$log
case "\$*" in
*--move*)
    if [ -e $tmp/refuse ]; then echo "Error performing operation: No such device or address" >&2; exit 6; fi
    [ -e $tmp/stuck ] || echo "\$5" >$tmp/node ;;
*--locate*) echo "resource \$4 is running on: \$(cat $tmp/node 2>/dev/null || echo xa)" ;;
esac
exit 0
E
cat >"$bin/crm_mon" <<E
#!/bin/sh
echo "  * vm1	(ocf:xres:domain):	 Started \$(cat $tmp/node 2>/dev/null || echo xa)"
E
printf '#!/bin/sh\necho xa\n' >"$bin/crm_node"
cat >"$bin/crm_attribute" <<E
#!/bin/sh
echo "crm_attribute \$*" >>$log
E
chmod +x "$bin"/*

out=$("$CRM" resources 2>&1); rc=$?
expect "resources: the domains' resources, by domain name" \
    "0:vm1 ocf:xres:domain vm-one 1
web ocf:heartbeat:Xen webdom 0
db ocf:xres:domain db 0" "$rc:$out"
expect "resources: one CIB query" "cibadmin --query --scope resources" "$(cat "$log")"

: >"$log"
out=$("$CRM" move vm1 xb save 30 2>&1); rc=$?
expect "move: moved" "0:moved vm1 xb" "$rc:$out"
expect "move: the method, then the move" \
    "crm_resource --resource vm1 --meta --set-parameter xres-method --parameter-value save
crm_resource --move --resource vm1 --node xb
crm_resource --locate --resource vm1" "$(cat "$log")"

: >"$log"
out=$("$CRM" move vm1 xa auto 30 2>&1); rc=$?
expect "move auto: moved" "0:moved vm1 xa" "$rc:$out"
expect "move auto: the meta attribute deleted" \
    "crm_resource --resource vm1 --meta --delete-parameter xres-method" "$(head -n 1 "$log")"

touch "$tmp/refuse"
out=$("$CRM" move vm1 xb live 30 2>&1); rc=$?
expect "move refused by Pacemaker: its reason" \
    "1:error: crm_resource --move: Error performing operation: No such device or address" "$rc:$out"
rm -f "$tmp/refuse"

touch "$tmp/stuck"
out=$("$CRM" move vm1 xb live 1 2>&1); rc=$?
expect "move that never ends: the timeout" \
    "1:error: vm1 is not running on xb after 1s (running on: xa )" "$rc:$out"
rm -f "$tmp/stuck"

out=$("$CRM" move vm1 xb fast 2>&1); rc=$?
expect "move with a bad method" "1:error: move: method fast is not auto, live or save" "$rc:$out"

: >"$log"
out=$("$CRM" utilization 400 3584 vm1 20 128 2>&1); rc=$?
expect "utilization: done" "0:utilization xa" "$rc:$out"
expect "utilization: the node's capacity, then the resource's use" \
    "crm_attribute --node xa --utilization --name cpu --update 400
crm_attribute --node xa --utilization --name memory --update 3584
crm_resource --resource vm1 --utilization --set-parameter cpu --parameter-value 20
crm_resource --resource vm1 --utilization --set-parameter memory --parameter-value 128" "$(cat "$log")"

out=$("$CRM" 2>&1); rc=$?
expect "no subcommand: usage, 2" "2" "$rc"

exit $((fails != 0))
