# guest-agent/agent.mk: xres-agent, the program that runs inside each guest.
AGENT_SRCS := $(wildcard guest-agent/*.c)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/bin/xres-agent: $(AGENT_OBJS) $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(shell pkg-config --libs xenstore xlutil 2>/dev/null)
