# tests/xenbed/xenbed.mk: the test bed, a real Xen 4.17 host in QEMU.
system-check: all guest-progs
	tests/xenbed/xenbed run-tests

demo: deps
	$(MAKE) all guest-progs
	tests/xenbed/xenbed demo
