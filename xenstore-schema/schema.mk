# xenstore-schema/schema.mk: the shared XenStore value parser and validator,
# linked into xresd, xres and xres-agent alike.
SCHEMA_SRCS := $(wildcard xenstore-schema/*.c)
SCHEMA_OBJS := $(SCHEMA_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libxrescommon.a: $(SCHEMA_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
