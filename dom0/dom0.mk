# dom0/dom0.mk: xresd (the daemon), xres (the command) and libxres.a, the
# code they share with the unit tests.
DOM0_MAINS := dom0/daemon/xresd_main.c dom0/cli/xres_main.c
# The simulator's agent follows xres-agent's own release rule.
DOM0_SRCS  := $(filter-out $(DOM0_MAINS),$(wildcard dom0/*/*.c)) \
	guest-agent/agent_release.c
DOM0_OBJS  := $(DOM0_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libxres.a: $(DOM0_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/xresd: $(BUILD)/dom0/daemon/xresd_main.o $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DOM0_LIBS) -lm

$(BUILD)/bin/xres: $(BUILD)/dom0/cli/xres_main.o $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DOM0_LIBS) -lm

# Xen's public headers, which xenctrl.h pulls in, need GNU C: in strict ISO
# mode they leave their alignment macro undefined.  Only the libxl backend
# includes them.
$(patsubst %.c,$(BUILD)/%.o,$(wildcard dom0/backend/backend_xen*.c)): \
	XRES_CFLAGS += -std=gnu11

$(BUILD)/dom0/backend/backend_sim_agent.o: XRES_CFLAGS += -Iguest-agent
