# dom0/dom0.mk: xresd (the daemon), xres (the command) and libxres.a, the
# code they share with the unit tests.
DOM0_MAINS := dom0/daemon/xresd_main.c dom0/cli/xres_main.c
# `xres top`'s terminal is the one file that needs ncurses: it goes into
# xres only, never into libxres.a (xresd and the unit tests).
TOP_CURSES := dom0/cli/top_curses.c
# The simulator's agent follows xres-agent's own release rule.
DOM0_SRCS  := $(filter-out $(DOM0_MAINS) $(TOP_CURSES), \
	$(wildcard dom0/*/*.c)) guest-agent/agent_release.c
DOM0_OBJS  := $(DOM0_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libxres.a: $(DOM0_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/xresd: $(BUILD)/dom0/daemon/xresd_main.o $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DOM0_LIBS) -lm

# xres only talks to xresd's socket: it links no Xen control library.
# libxlutil's parser comes in statically, with the shim that stands in for
# the one libxenlight function it refers to (guest-agent/xlu_shim.c);
# `make unit-check` fails if ldd shows libxenlight or libxenctrl.
# libxresbase.a holds the layers below the CLI; only what it uses is linked.
BASE_OBJS := $(patsubst %.c,$(BUILD)/%.o, \
	$(foreach l,core config policy ipc,$(wildcard dom0/$(l)/*.c)))
CLI_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(DOM0_MAINS), \
	$(wildcard dom0/cli/*.c)))

$(BUILD)/libxresbase.a: $(BASE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

CLI_LIBS   := -Wl,-Bstatic -lxlutil -Wl,-Bdynamic \
	$(shell pkg-config --libs yajl ncurses 2>/dev/null)

$(BUILD)/bin/xres: $(BUILD)/dom0/cli/xres_main.o $(CLI_OBJS) \
		$(BUILD)/guest-agent/xlu_shim.o $(BUILD)/libxresbase.a \
		$(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS) -lm

# Xen's public headers, which xenctrl.h pulls in, need GNU C: in strict ISO
# mode they leave their alignment macro undefined.  Only the libxl backend
# includes them.
$(patsubst %.c,$(BUILD)/%.o,$(wildcard dom0/backend/backend_xen*.c)): \
	XRES_CFLAGS += -std=gnu11

$(BUILD)/dom0/backend/backend_sim_agent.o: XRES_CFLAGS += -Iguest-agent

# The optional hypervisor patch's claim operations (hv-patches/) go through
# libxencall: its header is plain C11, unlike xenctrl.h.
DOM0_LIBS += $(shell pkg-config --libs xencall 2>/dev/null)
