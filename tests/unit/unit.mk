# tests/unit/unit.mk: the Check unit tests, the tree check and `xres top`
# in tmux.  Every file here that defines `Suite *NAME_suite(void)` is
# found and run by main.c.
UNIT_SRCS := $(filter-out tests/unit/main.c,$(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/main.o

$(BUILD)/gen/unit_suites.h: $(UNIT_SRCS) tests/unit/unit.mk
	@mkdir -p $(dir $@)
	{ grep -ho '^Suite \*[a-z0-9_]*_suite(void)' $(UNIT_SRCS) /dev/null | \
	  sed 's/^Suite \*\([a-z0-9_]*\)(void)/XRES_SUITE(\1)/'; } > $@.tmp
	mv $@.tmp $@

$(BUILD)/tests/unit/main.o: $(BUILD)/gen/unit_suites.h

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XRES_CFLAGS) $(DOM0_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DOM0_LIBS) $(CHECK_LIBS) -lm

unit-check: $(BUILD)/unit-tests tree-check cli-check top-tmux-check soak-check
	$(BUILD)/unit-tests

# The layering, file-size and link rules of the tree (tests/lint/tree.sh).
tree-check: $(BUILD)/bin/xres
	tests/lint/tree.sh $(BUILD)

.PHONY: tree-check

# xres against xresd on its simulated host: the bash completion and the
# --json of the listing commands, and the helper xres-crm against
# stand-ins for Pacemaker's tools (tests/cli/).
cli-check: $(BUILD)/bin/xres $(BUILD)/bin/xresd
	tests/cli/completion.sh $(BUILD)
	tests/cli/json.sh $(BUILD)
	tests/cli/xres-crm.sh $(BUILD)

.PHONY: cli-check

# `xres top` in tmux against xresd's simulated host (tests/cli/top-tmux.sh).
top-tmux-check: $(BUILD)/bin/xres $(BUILD)/bin/xresd
	tests/cli/top-tmux.sh $(BUILD)

.PHONY: top-tmux-check
