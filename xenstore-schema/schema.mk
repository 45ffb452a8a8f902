# xenstore-schema/schema.mk: the shared XenStore value parser and validator,
# linked into xresd, xres and xres-agent alike, and the schema document.
# The parser's fuzz target is built by tests/fuzz/fuzz.mk.
SCHEMA_SRCS := $(wildcard xenstore-schema/*.c)
SCHEMA_OBJS := $(SCHEMA_SRCS:%.c=$(BUILD)/%.o)
SCHEMA_GEN  := $(BUILD)/gen/xs_schema_rows.h

# The rows of schema.tbl as XS_ROW(...) lines; a malformed row stops here.
$(SCHEMA_GEN): xenstore-schema/schema.tbl xenstore-schema/schema_gen.awk
	@mkdir -p $(dir $@)
	awk -f xenstore-schema/schema_gen.awk xenstore-schema/schema.tbl > $@.tmp
	mv $@.tmp $@

# Anything that may include xs_schema.h needs the generated rows first;
# after the first build the compiler's .d files track them exactly.
SCHEMA_USERS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard xenstore-schema/*.c \
	dom0/*/*.c guest-agent/*.c tests/unit/*.c))
$(SCHEMA_USERS): | $(SCHEMA_GEN)

$(BUILD)/libxrescommon.a: $(SCHEMA_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# docs/xenstore-schema.md carries the table between two marker lines; a
# unit test fails when it differs from schema.tbl.  This rewrites it.
$(BUILD)/bin/xres-schema-doc: xenstore-schema/tools/schema_doc.c $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XRES_CFLAGS) -o $@ $(filter %.c %.a,$^)

schema-doc: $(BUILD)/bin/xres-schema-doc
	$(BUILD)/bin/xres-schema-doc docs/xenstore-schema.md

.PHONY: schema-doc
