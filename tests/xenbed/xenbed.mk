# tests/xenbed/xenbed.mk: the test bed, a real Xen 4.17 host in QEMU.  Its
# dom0 and guests run xres from the packages of `make deb`.
system-check: deb guest-progs systools
	tests/xenbed/xenbed run-tests

demo: deps
	$(MAKE) deb guest-progs
	tests/xenbed/xenbed demo
