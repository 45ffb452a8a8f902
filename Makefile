# Makefile: builds xresd, xres and xres-agent, runs the unit tests, the
# system tests on a real Xen host booted in QEMU, the demo, fuzzing and
# benchmarks.  `make help` lists the targets.

BUILD    ?= build
CC       ?= cc
CFLAGS   ?= -O2 -g
# CPPFLAGS and LDFLAGS are the user's (dpkg-buildflags sets them in a
# package build); the project's own flags are XRES_CFLAGS.
CPPFLAGS ?=
LDFLAGS  ?=
PREFIX   ?= /usr/local
DESTDIR  ?=

XRES_VERSION := 0.1.0

# dom0's layers, one folder each (docs/architecture.md).
DOM0_LAYERS := core config policy backend cluster ipc daemon cli

XRES_CFLAGS := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-DXRES_VERSION='"$(XRES_VERSION)"' -DXRES_LIBDIR='"$(PREFIX)/lib/xres"' \
	$(DOM0_LAYERS:%=-Idom0/%) -Ixenstore-schema -I$(BUILD)/gen -MMD -MP

PKGS_DOM0 := xenlight xlutil xenstore xencontrol xentoollog yajl libcpg
DOM0_CFLAGS = $(shell pkg-config --cflags $(PKGS_DOM0) 2>/dev/null)
DOM0_LIBS   = $(shell pkg-config --libs $(PKGS_DOM0) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

# Every Debian package needed to build, test and run the demo, and why.
# They are installed without their recommends: nothing here needs them.
DEPS_BUILD := gcc make pkg-config libc6-dev  # the compiler and the C library
DEPS_BUILD += libxen-dev     # libxl, libxlutil, libxenstore, libxenctrl
DEPS_BUILD += libyajl-dev    # JSON on xresd's socket
DEPS_BUILD += go-md2man      # man pages from docs/*.md
DEPS_BUILD += libncurses-dev # xres top
DEPS_BUILD += libcpg-dev     # Corosync's process groups: the cluster
DEPS_TEST  := check          # the unit tests
DEPS_TEST  += clang libclang-rt-14-dev   # libFuzzer and its sanitizers
DEPS_TEST  += tmux           # xres top's test drives a terminal
DEPS_TEST  += prometheus     # promtool checks xresd's metrics
DEPS_BED   := qemu-system-x86            # the test bed boots Xen in QEMU
DEPS_BED   += cpio xz-utils gzip         # its initramfs images and kernel
DEPS_BED   += util-linux     # flock: one QEMU boot at a time
DEPS_BED   += iproute2       # ss: a free port for the cluster bed's wire
DEPS_BED   += flex bison m4 python3  # hv-patches/build: the hypervisor (and dpkg-dev)
DEPS_PKG   := dpkg-dev       # dpkg-buildpackage and dpkg-architecture
DEPS_PKG   += debhelper lintian        # make deb: the packages the bed runs
DEPS_PKG   += mmdebstrap     # make pkg-check: a Debian 12 root to install them into
DEPS_PKGS  := $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_BED) $(DEPS_PKG)

.PHONY: all deps check unit-check soak-check pkg-check system-check cluster-check demo fuzz bench install \
	man deb clean help
.DEFAULT_GOAL := all

all: $(BUILD)/bin/xresd $(BUILD)/bin/xres $(BUILD)/bin/xres-agent

help:
	@echo "make            build xresd, xres and xres-agent"
	@echo "make deps       install the Debian packages needed (apt-get)"
	@echo "make check      unit tests, then system tests on real Xen in QEMU"
	@echo "make unit-check unit tests only"
	@echo "make pkg-check   the packages installed into a Debian 12 root with systemd"
	@echo "make system-check  system tests only (single-host boots, then the cluster boot)"
	@echo "make cluster-check two Xen hosts with Corosync and Pacemaker, tests/system/cluster/"
	@echo "make demo       boot a Xen host in QEMU running xresd and guests"
	@echo "make fuzz       run every fuzz target FUZZ_SECONDS each"
	@echo "make fuzz-long  run every fuzz target FUZZ_RUNS (10^6) times"
	@echo "make bench      run the benchmarks under bench/"
	@echo "make man        man pages from docs/*.N.md into $(BUILD)/man"
	@echo "make install    install xresd, xres and the OCF agent into DESTDIR/PREFIX"
	@echo "make install-agent  install xres-agent into DESTDIR/PREFIX"
	@echo "make deb        the Debian packages xres and xres-agent, into $(BUILD)/deb"

deps:
	@missing=""; for p in $(DEPS_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing:$$missing"; \
	  apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $$missing; \
	else echo "make deps: all packages present"; fi

# The package list is read at parse time, so the real work runs in a
# sub-make after `deps` has installed the compilers and libraries.
check: deps
	$(MAKE) unit-check
	$(MAKE) asan-check
	$(MAKE) pkg-check
	$(MAKE) system-check

# The packages installed with apt into a fresh Debian 12 root with systemd
# (tests/pkg/dpkg-systemd.sh): files, units, conffiles, remove and purge.
pkg-check: deb
	tests/pkg/dpkg-systemd.sh $(DEB_DIR)

include xenstore-schema/schema.mk
include dom0/dom0.mk
include guest-agent/agent.mk
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk
include tests/guest/guest.mk
include tests/system/tools/tools.mk
include tests/xenbed/xenbed.mk
include bench/bench.mk

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XRES_CFLAGS) $(DOM0_CFLAGS) -c -o $@ $<

# Man pages: docs/NAME.N.md, in markdown, become roff in $(BUILD)/man.
MAN_SRCS  := $(wildcard docs/*.[1-8].md)
MAN_PAGES := $(MAN_SRCS:docs/%.md=$(BUILD)/man/%)
# dom0's pages; the agent's is installed with the agent (install-agent).
DOM0_MAN_PAGES := $(filter-out $(BUILD)/man/xres-agent.8,$(MAN_PAGES))

$(BUILD)/man/%: docs/%.md
	@mkdir -p $(dir $@)
	go-md2man -in $< -out $@.tmp
	n=$(notdir $*); sed -i "s/^\.TH .*/.TH $${n%.*} $${n##*.} \"\" \"xres $(XRES_VERSION)\" \"xres\"/" $@.tmp
	mv $@.tmp $@

man: $(MAN_PAGES)

install: all man
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BUILD)/bin/xresd $(BUILD)/bin/xres $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 dom0/ocf/xres-migrate-receive $(DESTDIR)$(PREFIX)/sbin/
	install -D -m 0755 dom0/ocf/domain $(DESTDIR)$(PREFIX)/lib/ocf/resource.d/xres/domain
	install -D -m 0755 dom0/ocf/xres-crm $(DESTDIR)$(PREFIX)/lib/xres/xres-crm
	for m in $(DOM0_MAN_PAGES); do s=$${m##*.}; \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

# Debian packages from debian/: dpkg-buildpackage writes its results to the
# parent of the tree it builds, so it builds a copy of the sources (the
# files git knows, or everything but build/ and .cache/) in
# $(BUILD)/deb/src, and the packages land in $(BUILD)/deb.  Nothing is
# written outside the checkout, and the copy has none of the checkout's
# own build.  lintian must find no errors.  The packages are rebuilt when
# any file changes but the bed's and the system tests' own.
DEB_DIR     := $(BUILD)/deb
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_VERSION := $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEBS        := $(DEB_DIR)/xres_$(DEB_VERSION)_$(DEB_ARCH).deb \
	$(DEB_DIR)/xres-agent_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_FILES   := $(sort $(wildcard $(shell \
	git ls-files -co --exclude-standard 2>/dev/null || \
	find . -path ./build -prune -o -path ./.cache -prune -o -path ./.git \
	  -prune -o \( -type f -o -type l \) -print)))

deb: $(DEB_DIR)/stamp

$(DEBS): $(DEB_DIR)/stamp

$(DEB_DIR)/stamp: $(filter-out tests/system/% tests/xenbed/% tests/pkg/%,$(DEB_FILES))
	@[ "$(DEB_VERSION)" = "$(XRES_VERSION)" ] || { echo "make deb:" \
	  "debian/changelog says $(DEB_VERSION), XRES_VERSION is $(XRES_VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	@echo "copying $(words $(DEB_FILES)) files into $(DEB_DIR)/src"
	@printf '%s\n' $(DEB_FILES) | tar -cf - -T - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_DIR)/src
	lintian --fail-on error $(DEB_DIR)/xres_$(DEB_VERSION)_$(DEB_ARCH).changes
	touch $@

clean:
	rm -rf $(BUILD)

# The compiler's dependency files; not the images' and packages' trees,
# which have directories such as etc/init.d.
-include $(shell find $(BUILD) \( -path $(BUILD)/xenbed -o -path $(BUILD)/deb \
	-o -path $(BUILD)/pkg-root -o -path $(BUILD)/asan \) \
	-prune -o -name '*.d' -type f -print 2>/dev/null)
