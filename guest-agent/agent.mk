# guest-agent/agent.mk: xres-agent, the program that runs inside each guest,
# and its installation.  The agent is linked statically (libxenstore,
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
	$(CC) $(CFLAGS) $(LDFLAGS) -static -Wl,--gc-sections -o $@ $^ $(AGENT_LIBS)

$(AGENT_OBJS) $(SCHEMA_OBJS): CFLAGS += -ffunction-sections -fdata-sections

$(BUILD)/unit-tests: $(BUILD)/libxresagent.a

# `make install-agent`: the agent and its man page, for a guest (the
# Debian package, debian/, also ships its unit, init script and conffile).
install-agent: $(BUILD)/bin/xres-agent $(BUILD)/man/xres-agent.8
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/bin/xres-agent $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 $(BUILD)/man/xres-agent.8 $(DESTDIR)$(PREFIX)/share/man/man8/

.PHONY: install-agent

# The agent's unit tests include agent.h.
$(BUILD)/tests/unit/test_agent%: XRES_CFLAGS += -Iguest-agent
$(BUILD)/tests/unit/test_fuzz_found.o: XRES_CFLAGS += -Iguest-agent

# bench/agent_mix: a fixed mix of the agent's system calls, timed; static,
# into build/guest/ so that the test bed's guests carry it (the bench sets
# the emulated figure against the host's).
$(BUILD)/guest/agent_mix: bench/agent_mix.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

guest-progs: $(BUILD)/guest/agent_mix
