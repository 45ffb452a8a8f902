# guest-agent/agent.mk: xres-agent, the program that runs inside each guest,
# and its Debian package.  The agent is linked statically (libxenstore,
# and libxlutil's config parser without libxenlight: see xlu_shim.c), so a
# guest needs nothing else installed.
AGENT_SRCS      := $(wildcard guest-agent/*.c)
AGENT_MAIN_SRCS := $(wildcard guest-agent/agent_main*.c) guest-agent/xlu_shim.c
AGENT_LIB_SRCS  := $(filter-out $(AGENT_MAIN_SRCS),$(AGENT_SRCS))
AGENT_LIB_OBJS  := $(AGENT_LIB_SRCS:%.c=$(BUILD)/%.o)
AGENT_OBJS      := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
AGENT_LIBS      := -lxlutil -lxenstore -lxentoolcore -lpthread

# The agent's logic, for the unit tests too.  It carries the schema
# objects so that it resolves them whatever the link order.
$(BUILD)/libxresagent.a: $(AGENT_LIB_OBJS) $(SCHEMA_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Small and static: the agent's RSS counts every page of the binary it
# maps, so unused sections are dropped.
$(BUILD)/bin/xres-agent: $(AGENT_MAIN_SRCS:%.c=$(BUILD)/%.o) \
		$(BUILD)/libxresagent.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -Wl,--gc-sections -o $@ $^ $(AGENT_LIBS)

$(AGENT_OBJS) $(SCHEMA_OBJS): CFLAGS += -ffunction-sections -fdata-sections

$(BUILD)/unit-tests: $(BUILD)/libxresagent.a

# A Debian package for guests: make agent-deb -> build/xres-agent_VER_ARCH.deb
AGENT_DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
AGENT_DEB      := $(BUILD)/xres-agent_$(XRES_VERSION)_$(AGENT_DEB_ARCH).deb

agent-deb: $(AGENT_DEB)

# Staged in a temporary directory: the tree has etc/init.d, and the top
# Makefile includes every *.d under $(BUILD).
$(AGENT_DEB): $(BUILD)/bin/xres-agent guest-agent/xres-agent.service \
		guest-agent/xres-agent.init guest-agent/agent.conf.example \
		docs/xres-agent.8.md guest-agent/agent.mk
	set -e; st=$$(mktemp -d); trap 'rm -rf "$$st"' EXIT; \
	mkdir -p $$st/DEBIAN; \
	install -D -s -m 0755 $(BUILD)/bin/xres-agent $$st/usr/sbin/xres-agent; \
	install -D -m 0644 guest-agent/xres-agent.service \
		$$st/lib/systemd/system/xres-agent.service; \
	install -D -m 0755 guest-agent/xres-agent.init $$st/etc/init.d/xres-agent; \
	install -D -m 0644 guest-agent/agent.conf.example $$st/etc/xres/agent.conf; \
	install -D -m 0644 docs/xres-agent.8.md \
		$$st/usr/share/doc/xres-agent/xres-agent.8.md; \
	install -D -m 0644 COPYING $$st/usr/share/doc/xres-agent/copyright; \
	printf '%s\n' /etc/xres/agent.conf > $$st/DEBIAN/conffiles; \
	{ echo "Package: xres-agent"; \
	  echo "Version: $(XRES_VERSION)"; \
	  echo "Architecture: $(AGENT_DEB_ARCH)"; \
	  echo "Maintainer: xres developers <xres@localhost>"; \
	  echo "Section: admin"; \
	  echo "Priority: optional"; \
	  echo "Installed-Size: $$(du -sk $$st | cut -f1)"; \
	  echo "Description: xres guest agent for Xen PV guests"; \
	  echo " Reports the guest's memory, CPU and application health to xres"; \
	  echo " in dom0 through XenStore, and carries out its requests."; \
	  echo " Statically linked; needs no Xen libraries in the guest."; \
	} > $$st/DEBIAN/control; \
	printf '%s\n' '#!/bin/sh' 'set -e' \
	  'if [ -d /run/systemd/system ]; then systemctl daemon-reload || true;' \
	  '  systemctl enable --now xres-agent.service || true;' \
	  'elif [ -x /etc/init.d/xres-agent ]; then update-rc.d xres-agent defaults >/dev/null 2>&1 || true;' \
	  '  /etc/init.d/xres-agent start || true; fi' > $$st/DEBIAN/postinst; \
	printf '%s\n' '#!/bin/sh' 'set -e' \
	  'if [ "$$1" = remove ] || [ "$$1" = upgrade ]; then' \
	  '  if [ -d /run/systemd/system ]; then systemctl stop xres-agent.service || true;' \
	  '  elif [ -x /etc/init.d/xres-agent ]; then /etc/init.d/xres-agent stop || true; fi; fi' \
	  > $$st/DEBIAN/prerm; \
	chmod 0755 $$st/DEBIAN/postinst $$st/DEBIAN/prerm; \
	mkdir -p $(dir $@); \
	dpkg-deb --root-owner-group --build $$st $@

.PHONY: agent-deb

# The agent's unit tests include agent.h.
$(BUILD)/tests/unit/test_agent%: XRES_CFLAGS += -Iguest-agent

# bench/agent_mix: a fixed mix of the agent's system calls, timed; static,
# into build/guest/ so that the test bed's guests carry it (the bench sets
# the emulated figure against the host's).
$(BUILD)/guest/agent_mix: bench/agent_mix.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

guest-progs: $(BUILD)/guest/agent_mix
