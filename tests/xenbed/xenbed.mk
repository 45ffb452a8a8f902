# tests/xenbed/xenbed.mk: the test bed, a real Xen 4.17 host in QEMU.  Its
# dom0 and guests run xres from the packages of `make deb`.  The system
# tests run in three boots: every test on Debian's stock hypervisor, then
# the pool and hypervisor-patch tests (80-*) on the patched one
# (hv-patches/, built once into the bed's cache), then the cluster bed:
# two patched hosts with Corosync and Pacemaker running
# tests/system/cluster/.  All boots always run; any failing fails the
# check.
system-check: deb guest-progs systools
	rm -f build/xenbed/failures.txt; \
	rc=0; tests/xenbed/xenbed run-tests || rc=1; \
	XENBED_HV=patched tests/xenbed/xenbed run-tests '80-*' || rc=1; \
	tests/xenbed/xenbed cluster-tests || rc=1; \
	if [ -s build/xenbed/failures.txt ]; then \
	    echo "xenbed: what failed, all boots:"; cat build/xenbed/failures.txt; fi; \
	exit $$rc

# The cluster boot alone.
cluster-check: deb guest-progs systools
	tests/xenbed/xenbed cluster-tests

demo: deps
	$(MAKE) deb guest-progs systools
	tests/xenbed/xenbed demo
