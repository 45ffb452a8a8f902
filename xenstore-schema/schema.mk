# xenstore-schema/schema.mk: the shared XenStore value parser and validator,
# linked into xresd, xres and xres-agent alike; the schema document; and
# the parser's fuzz target.
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

# libFuzzer on the parser: `make fuzz` (FUZZ_SECONDS, default 60);
# `make unit-check` includes a 20 s run.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Ixenstore-schema \
	-I$(BUILD)/gen

$(FUZZ_DIR)/fuzz_schema: xenstore-schema/fuzz/fuzz_schema.c $(SCHEMA_SRCS) \
		xenstore-schema/xs_schema.h $(SCHEMA_GEN)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ xenstore-schema/fuzz/fuzz_schema.c \
		$(SCHEMA_SRCS)

fuzz: $(FUZZ_DIR)/fuzz_schema
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_schema -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus \
		xenstore-schema/fuzz/seeds

fuzz-short:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

unit-check: fuzz-short

.PHONY: schema-doc fuzz-short
